"""The checks can fail: a fixed set of wrong edits to the shipped rules (every fifth mutant of
kb.verify.mutants, in its fixed order) and the share that the loader, lint (with the invariants)
or the scenario files catch. bench/mutation.py runs and reports every mutant."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from kb.advisor import shipped_rules
from kb.loader import load_texts, read_folder
from kb.verify.mutants import Baseline, Verdict, judge, mutants
from kb.verify.scenarios import load_scenarios

SCENARIOS = Path(__file__).parent / "scenarios"
# Measured on the shipped rules (1.1): 124 of the 129 mutants of this set that change an answer are
# caught (96%); bench/mutation.py runs every mutant.
FLOOR = 0.95
EVERY = 5


@pytest.fixture(scope="module")
def verdicts() -> list[Verdict]:
    texts = read_folder(shipped_rules())
    book = load_texts(texts)
    baseline = Baseline.of(book, load_scenarios(SCENARIOS, book))
    return [judge(mutant, baseline) for mutant in itertools.islice(mutants(texts), 0, None, EVERY)]


def test_the_fixed_set_has_every_kind_of_mutant(verdicts: list[Verdict]) -> None:
    assert len(verdicts) >= 60
    kinds = {v.mutant.operator for v in verdicts}
    assert {"drop rule", "drop advice", "swap advice", "move threshold", "move date"} <= kinds


def test_the_kill_rate_stays_at_its_floor(verdicts: list[Verdict]) -> None:
    live = [v for v in verdicts if not v.equivalent]
    killed = [v for v in live if v.killed]
    survivors = [f"{v.mutant.operator}: {v.mutant.name}" for v in live if not v.killed]
    assert len(killed) / len(live) >= FLOOR, survivors


def test_each_safety_net_catches_something(verdicts: list[Verdict]) -> None:
    caught = {killer for v in verdicts for killer in v.killed_by}
    assert {"scenarios", "lint"} <= caught


def test_an_equivalent_mutant_really_changes_no_probe(verdicts: list[Verdict]) -> None:
    """Equivalent ones are named as such, never silently counted as killed."""
    for verdict in verdicts:
        if verdict.equivalent:
            assert verdict.killed_by == () and verdict.differs_on is None
