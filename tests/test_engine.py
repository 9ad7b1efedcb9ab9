"""The real engine's state lifecycle: states never pile up, failures leave nothing behind, threads agree."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import FACTS_1_1

from kb.compiler import MARKER, CompiledRules, Part, compile_rules, message
from kb.engine import Engine, EngineError
from kb.facts import EARLIEST
from kb.loader import load_rules
from kb.model import RuleBook
from kb.reference import fired_rules

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("threats", "insults", "visits", "odd_hours")
MANY = 70

# Only harassment matters here: a borrower who is not harassed matches nothing but the catch-all.
QUIET_RULES = """questions:
  harassment:
    text: {zh: 骚扰？, en: "Harassment?"}
    choose: any
    branches:
      harassment_yes:
        label: {zh: 是, en: "yes"}
        when: {harassment: {is: true}}
        advice: [pay_today]
advice:
  pay_today:
    kind: action
    priority: 5
    urgency: this_week
    title: {zh: 今天还款, en: Pay today}
    steps:
      - {zh: 能还多少还多少。, en: Pay what you can.}
    practice: true
"""

FIRST_EVALUATION = """
import sys
from datetime import date
from pathlib import Path
from kb.compiler import MARKER, CompiledRules, Part, compile_rules, message
from kb.engine import Engine
from kb.loader import load_rules
book = load_rules(Path(sys.argv[1]))
facts = dict(days_overdue=3, harassment=False, harassment_kinds=frozenset(), hardship="none",
             credit_reported="no", first_time_borrower=None, lender_licensed="unknown",
             annual_rate_percent=None, legal_action="none", other_loans=0, debt_sold=False,
             plan_agreed="none", credit_card_debt=False, identity_misused=False, guarantee="none",
             student=False, safety_risk=False)
quiet = message(book, facts, date(2026, 1, 5))
engine = Engine(compile_rules(book), warm_up=quiet)  # the process's first state: only the catch-all
print(sorted(engine.fired(quiet)), engine.evaluations, engine.cleaned)
"""


def varied_facts(i: int) -> tuple[dict[str, Any], date]:
    """A deterministic, well-spread borrower for index `i`."""
    harassed = i % 4 != 0
    choices = list(itertools.combinations(KINDS, i % 3)) if harassed else [()]
    kinds = choices[i % len(choices)]
    facts = {
        "days_overdue": (0, 1, 7, 8, 30, 31, 90, 91, 400)[i % 9],
        "harassment": harassed,
        "harassment_kinds": frozenset(kinds),
        "hardship": ("none", "temporary", "long_term")[i % 5 % 3],
        "credit_reported": ("yes", "no", "unknown")[i // 7 % 3],
        "first_time_borrower": (True, False, None)[i // 3 % 3],
        "lender_licensed": "unknown",
        "annual_rate_percent": (None, 0, 24, 24.5, 36)[i // 11 % 5],
        "legal_action": "none",
        "other_loans": i % 4,
        **FACTS_1_1,
    }
    return facts, (date(2025, 12, 21), date(2026, 1, 5), date(2026, 4, 1))[i // 13 % 3]


@pytest.fixture(scope="module")
def book(mini_dir: Path) -> RuleBook:
    return load_rules(mini_dir)


@pytest.fixture()
def engine(book: RuleBook) -> Engine:
    return Engine(compile_rules(book), warm_up=message(book, {}, EARLIEST))


def run(book: RuleBook, engine: Engine, i: int) -> frozenset[str]:
    facts, as_of = varied_facts(i)
    return engine.fired(message(book, facts, as_of))


def expected(book: RuleBook, i: int) -> frozenset[str]:
    facts, as_of = varied_facts(i)
    return fired_rules(book, facts, as_of)


def test_varied_facts_fire_every_rule(book: RuleBook) -> None:
    fired = set().union(*(expected(book, i) for i in range(300)))
    assert fired >= {placed.rule_id for placed in book.rules}


def test_states_do_not_pile_up(book: RuleBook, engine: Engine) -> None:
    count = 3_000  # about three times the engine's limit of live states
    before = engine.evaluations
    for i in range(count):
        assert run(book, engine, i) == expected(book, i), i
    assert engine.evaluations - before == count
    assert engine.cleaned == engine.evaluations


def many_matches(book: RuleBook) -> CompiledRules:
    """The mini ruleset plus 70 rules that all hold past day 69: more than the engine can match at once.

    Built as data, not from YAML, so that it stays possible whatever the compiler comes to refuse.
    """
    compiled = compile_rules(book)
    definition = dict(compiled.definition)
    for i in range(MANY):
        definition[f"many_{i}"] = {
            "all": [{"m": {"$and": [MARKER, {"$gte": {"days_overdue": i}}]}}],
            "pri": len(definition) + 1,
            "run": f"many_{i}",
        }
    name = f"{compiled.name}_many"
    return CompiledRules(name, (Part(name, definition),), tuple(definition))


def infinite_days(book: RuleBook) -> dict[str, Any]:
    facts, as_of = varied_facts(4)
    return {**message(book, facts, as_of), "days_overdue": float("inf")}  # the engine's error 202


def too_many_fields(book: RuleBook) -> dict[str, Any]:
    facts, as_of = varied_facts(4)
    return {**message(book, facts, as_of), **{f"extra_{i}": i for i in range(300)}}  # error 302


def too_many_matches(book: RuleBook) -> dict[str, Any]:
    facts, as_of = varied_facts(8)  # day 400: all 70 many_* rules hold: error 303, mid-evaluation
    return message(book, facts, as_of)


# how to make the engine fail, and what its error must say (None: anything)
FAILURES: dict[str, tuple[Callable[[RuleBook], dict[str, Any]], str | None]] = {
    "infinity": (infinite_days, None),
    "too_many_fields": (too_many_fields, "error code: 302"),
    "too_many_matches": (too_many_matches, "error code: 303"),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_failed_evaluations_leave_no_state(book: RuleBook, failure: str) -> None:
    wide = failure == "too_many_matches"
    engine = Engine(many_matches(book) if wide else compile_rules(book), warm_up=message(book, {}, EARLIEST))
    make, says = FAILURES[failure]
    bad = make(book)
    for _ in range(1_100):  # past the limit of live states: one leaked state per failure would show
        with pytest.raises(EngineError, match=says):
            engine.fired(bad)
    for i in range(200):
        days = varied_facts(i)[0]["days_overdue"]
        if wide and days >= 60:
            continue
        many = {f"many_{k}" for k in range(MANY) if wide and days >= k}
        assert run(book, engine, i) == expected(book, i) | many, i
    assert engine.cleaned == engine.evaluations


def test_refused_message_counts_as_cleaned_up(book: RuleBook, engine: Engine) -> None:
    with pytest.raises(EngineError, match="302"):
        engine.fired(too_many_fields(book))
    assert engine.cleaned == engine.evaluations


def test_first_evaluation_of_a_process_that_matches_nothing(tmp_path: Path, mini_dir: Path) -> None:
    for name in ("inputs.yaml", "kb.yaml"):
        (tmp_path / name).write_text((mini_dir / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "rules.yaml").write_text(QUIET_RULES, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", FIRST_EVALUATION, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr  # a segfault is -11
    assert done.stdout == "[] 2 2\n"


def test_threads_share_one_engine(book: RuleBook, engine: Engine) -> None:
    threads, each = 16, 300
    single = [run(book, engine, i) for i in range(each)]
    assert single == [expected(book, i) for i in range(each)]
    results: dict[int, list[frozenset[str]]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(t: int) -> None:
        order = [(t * 37 + k) % each for k in range(each)]  # each thread its own order
        try:
            start.wait()
            results[t] = [frozenset()] * each
            for i in order:
                results[t][i] = run(book, engine, i)
        except BaseException as error:
            errors.append(error)

    before = engine.evaluations
    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert errors == []
    assert [results[t] == single for t in range(threads)] == [True] * threads
    assert engine.evaluations - before == threads * each
    assert engine.cleaned == engine.evaluations


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def test_memory_stays_flat(book: RuleBook, engine: Engine) -> None:
    messages = [message(book, *varied_facts(i)) for i in range(500)]
    for i in range(2_000):
        engine.fired(messages[i % 500])
    before = rss_kb()
    for i in range(20_000):
        engine.fired(messages[i % 500])
    grown = rss_kb() - before
    assert grown < 20 * 1024, f"RSS grew by {grown} kB over 20,000 evaluations"
    assert engine.cleaned == engine.evaluations
