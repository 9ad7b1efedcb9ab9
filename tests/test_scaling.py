"""The compiler scales: the engine's network model against the real engine, generated rule books of
1,000 and 5,000 rules against the reference evaluator, and `check`/`lint` refusing exactly what the
engine would refuse at start-up."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from synthetic import varied_facts, write_rules

from kb import network
from kb.advisor import load_checked
from kb.compiler import MARKER, compile_rules, message
from kb.engine import _FACT_IDS, Engine, _exponent, engine_json
from kb.facts import EARLIEST, AdviceRequest
from kb.loader import RulesError
from kb.reference import fired_rules

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "kb"]
DAY = date(2026, 1, 15)


def rule(condition: dict[str, Any], pri: int) -> dict[str, Any]:
    return {"all": [{"m": condition}], "pri": pri}


def flat(width: int) -> dict[str, Any]:
    """`width` rules that one message (d = 100) all satisfies, side by side under the marker."""
    definition = {"catch_all": rule(MARKER, 1)}
    for i in range(width):
        definition[f"r{i}"] = rule({"$and": [MARKER, {"$gte": {"d": i}}]}, i + 2)
    return definition


def joined(width: int) -> dict[str, Any]:
    """One rule whose `any` has `width` alternatives that the message all satisfies."""
    alternatives = [{"$gte": {"d": i}} for i in range(width)]
    return {"catch_all": rule(MARKER, 1), "wide": rule({"$and": [MARKER, {"$or": alternatives}]}, 2)}


def nested(inner: int) -> dict[str, Any]:
    """30 rules side by side, one of whose conditions has `inner` rules below it."""
    definition = flat(30)
    for j in range(inner):
        definition[f"s{j}"] = rule({"$and": [MARKER, {"$gte": {"d": 0}}, {"$gte": {"e": j}}]}, 100 + j)
    return definition


PROBE = """
import json, sys
import durable_rules_engine as core
handle = core.create_ruleset("probe", sys.argv[1])
body = json.dumps({"kind": "borrower_facts", "d": 100, "e": 100, "sid": "1", "id": "1"})
try:
    _, state = core.assert_fact(handle, body)
    fired = 0
    pending = core.start_action_for_state(handle, state)[1]
    while pending:
        fired += 1
        pending = core.complete_and_start_action(handle, state)
    print("ok", fired)
except core.error as error:
    print("error", error)
"""


def real_engine(definition: dict[str, Any]) -> str:
    """What the real engine says of a message meeting every rule (in a process of its own)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(definition)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.stdout.strip() or f"crashed {done.returncode}"


@pytest.mark.parametrize(
    ("definition", "peak", "engine"),
    [
        (flat(64), 64, "ok 65"),
        (flat(65), 65, "error Could not assert fact, error code: 303"),
        (joined(64), 64, "ok 65"),  # an `any` fires once per alternative met
        (joined(65), 65, "error Could not assert fact, error code: 303"),
    ],
    ids=["flat-64", "flat-65", "any-64", "any-65"],
)
def test_network_model_matches_the_engine_at_its_stack_limit(
    definition: dict[str, Any], peak: int, engine: str
) -> None:
    assert network.build(definition).peak() == peak
    assert real_engine(definition) == engine


def test_network_model_never_underestimates() -> None:
    # the engine walks depth first: the model assumes the widest child waits for the deepest
    for inner in (30, 34, 35):
        definition = nested(inner)
        assert network.build(definition).peak() == 29 + inner
        assert real_engine(definition) == f"ok {31 + inner}"
    assert network.overflows(nested(36))  # the model refuses what might fail


def agree(folder: Path, count: int, seed: int) -> Engine:
    """The engine and the reference evaluator give the same rules on `count` varied requests."""
    book = load_checked(folder)
    engine = Engine(compile_rules(book), warm_up=message(book, {}, EARLIEST))
    rng = random.Random(seed)
    for i in range(count):
        request = AdviceRequest.model_validate(varied_facts(i, rng) | {"as_of": None})
        facts = request.facts()
        assert engine.fired(message(book, facts, DAY)) == fired_rules(book, facts, DAY), facts
    return engine


def test_a_thousand_rules_compile_and_agree_with_the_reference(tmp_path: Path) -> None:
    folder = write_rules(tmp_path, 1000)
    compiled = compile_rules(load_checked(folder))
    assert len(compiled.definition) > 1000
    assert all(network.build(part.definition).peak() <= network.STACK - 4 for part in compiled.parts)
    engine = agree(folder, 300, seed=3)
    assert engine.cleaned == engine.evaluations


def test_five_thousand_rules_are_split_into_rulesets_and_agree(tmp_path: Path) -> None:
    folder = write_rules(tmp_path, 5000)
    compiled = compile_rules(load_checked(folder))
    assert len(compiled.parts) > 1  # one ruleset of the engine takes at most 4,096 rules
    assert sum(len(part.definition) for part in compiled.parts) > 5000
    agree(folder, 60, seed=4)


def wide_question(branches: int) -> str:
    """A question whose branches all hold for a borrower 100 days overdue."""
    rules = "".join(
        f"      wide_{i}:\n        label: {{zh: 宽, en: wide}}\n        advice: [keep_records]\n"
        f"        when: {{days_overdue: {{min: {i}}}}}\n"
        for i in range(branches)
    )
    return f"questions:\n  wide:\n    text: {{zh: 宽, en: wide}}\n    choose: any\n    branches:\n{rules}"


def folder_with(tmp_path: Path, branches: int) -> Path:
    folder = write_rules(tmp_path / str(branches), 0)
    (folder / "zz_generated.yaml").write_text(wide_question(branches), encoding="utf-8")
    return folder


def widest_accepted(tmp_path: Path) -> int:
    low, high = 1, 120
    while low < high:  # the largest width the compiler accepts
        middle = (low + high + 1) // 2
        try:
            load_checked(folder_with(tmp_path, middle))
            low = middle
        except RulesError:
            high = middle - 1
    return low


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)


def test_check_and_lint_refuse_exactly_what_the_engine_refuses(tmp_path: Path) -> None:
    widest = widest_accepted(tmp_path)
    assert 40 < widest < 64
    at_limit, past = folder_with(tmp_path, widest), folder_with(tmp_path, widest + 1)
    case = ["--days-overdue", "100", "--no-harassment", "--hardship", "none", "--credit-reported", "no"]
    case.append("--json")
    assert run("check", "--rules", str(at_limit)).returncode == 0
    assert '"kind": "load"' not in run("lint", "--rules", str(at_limit), "--json").stdout
    advised = run("advise", "--rules", str(at_limit), *case)  # every wide_ rule holds: the widest message
    assert advised.returncode == 0, advised.stderr
    trace = json.loads(advised.stdout)["trace"]
    assert sum(1 for entry in trace if entry["rule"].startswith("wide_")) == widest
    refusal = "pending conditions at once; the engine fails past 64 (error 303)"
    checked = run("check", "--rules", str(past))
    assert checked.returncode != 0 and refusal in checked.stderr and "zz_generated.yaml:" in checked.stderr
    linted = run("lint", "--rules", str(past), "--json")
    assert linted.returncode == 1 and refusal in linted.stdout
    assert run("advise", "--rules", str(past), *case).returncode != 0


def test_no_fact_id_takes_the_slow_path() -> None:
    # only a float written with an exponent sends a message down the field-by-field path; an id
    # never does, whatever its digits (a hex id such as 3e5a once did, in half the evaluations)
    start = next(_FACT_IDS)
    for fact_id in (str(start + i) for i in range(100_000)):
        fields = {**MARKER, "days_overdue": 7, "sid": "1", "id": fact_id}
        assert not any(_exponent(value) for value in fields.values())
    fields = {**MARKER, "annual_rate_percent": 0.00001, "sid": "1", "id": "3e5"}
    assert _exponent(fields["annual_rate_percent"])
    written = '{"kind": "borrower_facts", "annual_rate_percent": 0.00001, "sid": "1", "id": "3e5"}'
    assert engine_json(fields) == written
    with pytest.raises(ValueError):
        engine_json({**fields, "annual_rate_percent": float("nan")})
