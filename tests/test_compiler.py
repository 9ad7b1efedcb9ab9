"""The compiled ruleset as data, and the real engine against the reference evaluator on boundary grids."""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import FACTS_1_1, line_of, mini_facts, variant
from pydantic import ValidationError

from kb import conditions
from kb.advisor import load_checked, shipped_rules
from kb.compiler import CATCH_ALL, MARKER, CompiledRules, asked_rule, compile_rules, message
from kb.engine import Engine
from kb.facts import EARLIEST, HARASSMENT_KINDS, AdviceRequest
from kb.loader import RulesError, load_rules, load_texts
from kb.model import RuleBook
from kb.reference import fired_rules

KINDS = HARASSMENT_KINDS[:7]  # the kinds the mini rules know (those of contract 1.0)
TRI = (True, False, None)
RATES = (None, 0, 24, 24.0001, 30)
DAYS = (date(2025, 12, 21), date(2025, 12, 22), date(2026, 3, 31), date(2026, 4, 1))
Grid = tuple[list[dict[str, Any]], dict[str, list[Any]]]  # the points, and the values of each axis
FULL_GRID = os.environ.get("OVERDUE_FULL_GRID") == "1"  # every combination of the listed axes: ~45 s

# Conditions the mini rules lack: negations of nullable facts, sets, nested any/all, a negated ask_if.
EXTRA = """questions:
  extra:
    text: {zh: 额外, en: extra}
    choose: any
    ask_if:
      not: {hardship: {in: [none]}}
    branches:
      not_rate_above:
        label: {zh: 甲, en: a}
        when: {not: {annual_rate_percent: {above: 24}}}
        advice: []
      not_first_time:
        label: {zh: 乙, en: b}
        when: {not: {first_time_borrower: {is: true}}}
        advice: []
      first_time_unknown:
        label: {zh: 丙, en: c}
        when: {first_time_borrower: {is: null}}
        advice: []
      not_threats:
        label: {zh: 丁, en: d}
        when: {not: {harassment_kinds: {contains: threats}}}
        advice: []
      not_empty:
        label: {zh: 戊, en: e}
        when: {not: {harassment_kinds: {empty: true}}}
        advice: []
      not_nested:
        label: {zh: 己, en: f}
        when:
          not:
            any:
              - {stage: {in: [due_today]}}
              - all:
                  - {annual_rate_percent: {min: 24, max: 30}}
                  - any:
                      - {credit_reported: {in: ["no"]}}
                      - {harassment_kinds: {contains: insults}}
        advice: []
      or_inside_and_inside_or:
        label: {zh: 庚, en: g}
        when:
          any:
            - all:
                - {days_overdue: {above: 7, below: 91}}
                - any:
                    - {first_time_borrower: {known: false}}
                    - {harassment: {is: true}}
            - {hardship: {in: [long_term]}}
        advice: []
      below_and_known:
        label: {zh: 辛, en: h}
        when: {annual_rate_percent: {below: 24}, first_time_borrower: {known: true}}
        in_force: {until: 2025-12-31}
        advice: []
"""


def engine_for(compiled: CompiledRules, book: RuleBook) -> Engine:
    return Engine(compiled, warm_up=message(book, {}, EARLIEST))


def keys(node: Any) -> Iterator[str]:
    """Every mapping key anywhere inside `node` (the fields and operators of the conditions)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from keys(item)


def condition_of(compiled: CompiledRules, name: str) -> Any:
    rule = compiled.definition[name]
    assert list(rule["all"][0]) == ["m"] and len(rule["all"]) == 1
    return rule["all"][0]["m"]


def rng(low: int, high: int) -> dict[str, Any]:
    return {"$and": [{"$gte": {"days_overdue": low}}, {"$lte": {"days_overdue": high}}]}


@pytest.fixture(scope="module")
def mini_book(mini_dir: Path) -> RuleBook:
    return load_rules(mini_dir)


@pytest.fixture(scope="module")
def mini_compiled(mini_book: RuleBook) -> CompiledRules:
    return compile_rules(mini_book)


# ---- the compiled data ----


def test_every_rule_is_guarded_by_the_input_marker(mini_compiled: CompiledRules) -> None:
    assert len(mini_compiled.definition) == 14  # 12 rules, one asked question, the catch-all
    for name in mini_compiled.definition:
        condition = condition_of(mini_compiled, name)
        assert condition == MARKER or (list(condition) == ["$and"] and condition["$and"][0] == MARKER), name


def test_catch_all_comes_first_and_needs_only_the_marker(mini_compiled: CompiledRules) -> None:
    assert condition_of(mini_compiled, CATCH_ALL) == MARKER
    assert mini_compiled.definition[CATCH_ALL]["pri"] == 1
    assert mini_compiled.actions[0] == CATCH_ALL
    assert mini_compiled.actions == tuple(mini_compiled.definition)
    assert asked_rule("kinds") in mini_compiled.definition
    assert asked_rule("stage") not in mini_compiled.definition  # no ask_if: not a rule of its own


def test_stages_become_days_overdue_ranges(mini_compiled: CompiledRules) -> None:
    assert condition_of(mini_compiled, "stage_due_today") == {"$and": [MARKER, rng(0, 0)]}
    assert condition_of(mini_compiled, "stage_early") == {"$and": [MARKER, {"$or": [rng(1, 7), rng(8, 30)]}]}
    # not: [due_today, just_overdue, overdue_8_30] is the other two bands
    assert condition_of(mini_compiled, "stage_late") == {
        "$and": [MARKER, {"$or": [rng(31, 90), rng(91, 36500)]}]
    }
    fields = set(keys(dict(mini_compiled.definition)))
    assert "days_overdue" in fields
    assert "stage" not in fields


def test_negation_is_pushed_to_the_leaves(mini_texts: dict[str, str]) -> None:
    book = load_texts({**mini_texts, "extra.yaml": EXTRA})
    compiled = compile_rules(book)
    assert {"$not", "not"}.isdisjoint(keys(dict(compiled.definition)))
    # a nullable number: "not above 24" is "at most 24, or unknown"
    rate = {"$or": [{"$lte": {"annual_rate_percent": 24}}, {"$nex": {"annual_rate_percent": 1}}]}
    ask = {"$or": [{"hardship": "temporary"}, {"hardship": "long_term"}]}
    assert condition_of(compiled, "not_rate_above") == {"$and": [MARKER, ask, rate]}
    # a nullable boolean: "not true" is "false, or unknown"
    first = {"$or": [{"first_time_borrower": False}, {"$nex": {"first_time_borrower": 1}}]}
    assert condition_of(compiled, "not_first_time") == {"$and": [MARKER, ask, first]}
    assert condition_of(compiled, "not_threats") == {
        "$and": [MARKER, ask, {"harassment_kinds__threats": False}]
    }
    assert condition_of(compiled, asked_rule("extra")) == {"$and": [MARKER, ask]}


def test_ruleset_name_follows_the_digest(mini_texts: dict[str, str], mini_book: RuleBook) -> None:
    same = compile_rules(load_texts(mini_texts))
    reworded = load_texts(variant(mini_texts, "rules.yaml", "en: Pay what you can.", "en: Pay what you may."))
    assert same.name == compile_rules(mini_book).name == f"overdue_advisor_{mini_book.digest[:16]}"
    assert compile_rules(reworded).name != same.name
    assert compile_rules(reworded).name == f"overdue_advisor_{reworded.digest[:16]}"


def wide_rule(alternatives: int) -> str:
    parts = "".join(f"            - {{days_overdue: {{min: {i}}}}}\n" for i in range(alternatives))
    return (
        "questions:\n  wide:\n    text: {zh: 宽, en: wide}\n    choose: any\n    branches:\n"
        "      wide_rule:\n        label: {zh: 宽, en: wide}\n        advice: []\n"
        f"        when:\n          any:\n{parts}"
    )


def test_limit_check_refuses_too_many_alternatives(mini_texts: dict[str, str]) -> None:
    # one message meets all 56 alternatives at day 100, and the engine holds them all: accepted
    book = load_texts({**mini_texts, "wide.yaml": wide_rule(56)})
    engine = Engine(compile_rules(book), warm_up=message(book, {}, EARLIEST))
    facts = {**mini_facts(days_overdue=100), "harassment_kinds": frozenset(KINDS)}
    facts["harassment"] = True
    assert engine.fired(message(book, facts, DAYS[0])) == fired_rules(book, facts, DAYS[0])
    wide = wide_rule(70)
    book = load_texts({**mini_texts, "wide.yaml": wide})
    with pytest.raises(RulesError) as caught:
        compile_rules(book)
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == ("wide.yaml", line_of(wide, "      wide_rule:"))
    assert "pending conditions at once; the engine fails past 64 (error 303)" in problem.reason


def many_branches(count: int) -> str:
    branches = "".join(
        f"      many_{i}:\n        label: {{zh: 多, en: many}}\n        advice: []\n"
        f"        when: {{days_overdue: {{min: {i}}}}}\n"
        for i in range(count)
    )
    return f"questions:\n  many:\n    text: {{zh: 多, en: many}}\n    choose: any\n    branches:\n{branches}"


def test_limit_check_refuses_too_many_rules_under_one_shared_condition(mini_texts: dict[str, str]) -> None:
    # 61+ rules that one message can all satisfy make the engine fail at evaluation time (error 303)
    many = many_branches(70)
    with pytest.raises(RulesError) as caught:
        compile_rules(load_texts({**mini_texts, "many.yaml": many}))
    [problem] = caught.value.problems
    assert problem.file == "many.yaml"
    assert many.splitlines()[problem.line - 1].strip().startswith("many_")  # names the rule past the limit
    assert "pending conditions at once; the engine fails past 64 (error 303)" in problem.reason


# ---- the reference evaluator itself, by hand ----


def test_reference_by_hand(mini_book: RuleBook) -> None:
    day = date(2026, 1, 5)
    assert fired_rules(mini_book, mini_facts(), day) == {
        "everyone",
        "stage_due_today",
        "harassment_no",
        "rate_unknown",
    }
    assert fired_rules(
        mini_book,
        mini_facts(
            days_overdue=31,
            harassment=True,
            harassment_kinds=frozenset({"threats"}),
            credit_reported="unknown",
            first_time_borrower=True,
            annual_rate_percent=24.0001,
        ),
        day,
    ) == {
        "everyone",
        "stage_late",
        "harassment_yes",
        asked_rule("kinds"),
        "kind_threats",
        "rate_high",
        "policy_open",
    }
    harassed = mini_facts(
        days_overdue=30,
        harassment=True,
        credit_reported="yes",
        first_time_borrower=True,
        annual_rate_percent=24,
    )
    assert fired_rules(mini_book, harassed, date(2026, 4, 1)) == {
        "everyone",
        "stage_early",
        "harassment_yes",
        asked_rule("kinds"),
        "kind_unsaid",
        "rate_low",
    }
    with pytest.raises(ValueError, match="harassment"):
        fired_rules(mini_book, {k: v for k, v in mini_facts().items() if k != "harassment"}, day)


# ---- the engine against the reference ----


def edges(book: RuleBook) -> list[int]:
    """Every band edge of the stages and the days next to them, within the input's range."""
    spec = book.inputs[book.stages.of]
    near = {
        edge + step
        for band in book.stages.bands.values()
        for edge in (band.min, band.max)
        for step in (-1, 0, 1)
    }
    return sorted(
        day for day in near if spec.min is not None and spec.max is not None and spec.min <= day <= spec.max
    )


def harassment_choices(kinds: Sequence[str]) -> list[tuple[bool, frozenset[str]]]:
    """Not harassed (no kinds), or harassed with any zero, one or two kinds."""
    subsets = [frozenset(c) for size in (0, 1, 2) for c in itertools.combinations(kinds, size)]
    return [(False, frozenset()), *((True, kinds) for kinds in subsets)]


def mini_grid(book: RuleBook) -> Grid:
    """The boundary grid: the axes that rules read together are fully crossed; the others are drawn.

    Crossing the rate and hardship too makes 275,400 evaluations (~45 s; OVERDUE_FULL_GRID=1 does
    it). By default the rate, read by its own question only, and the inputs no mini rule reads take
    a value drawn with a fixed seed at each point of the crossed grid; every pair of values of any
    two axes still occurs (test_grid_covers_every_pair_of_values).
    """
    axes: dict[str, list[Any]] = {
        "days_overdue": edges(book),
        "harassment": harassment_choices(KINDS),
        "credit_reported": ["yes", "no", "unknown"],
        "first_time_borrower": list(TRI),
        "as_of": list(DAYS),
        "annual_rate_percent": list(RATES),
        "hardship": ["none", "temporary", "long_term"],
        "lender_licensed": ["yes", "no", "unknown"],
        "legal_action": ["none", "payment_order", "lawsuit", "judgment"],
        "other_loans": [0, 1, 1000],
    }
    crossed = list(axes)[: 7 if FULL_GRID else 5]
    drawn = [name for name in axes if name not in crossed]
    pick = random.Random(1)
    grid = []
    for values in itertools.product(*(axes[name] for name in crossed)):
        point = dict(zip(crossed, values, strict=True))
        grid.append(point | {name: pick.choice(axes[name]) for name in drawn})
    return grid, axes


def as_facts(point: Mapping[str, Any]) -> tuple[dict[str, Any], date]:
    facts = {name: value for name, value in point.items() if name not in ("as_of", "harassment")}
    facts.update(FACTS_1_1)
    facts["harassment"], facts["harassment_kinds"] = point["harassment"]
    return facts, point["as_of"]


def differences(
    book: RuleBook, engine: Engine, cases: list[tuple[dict[str, Any], date]]
) -> tuple[list[str], set[str]]:
    """Every case where the engine and the reference disagree, and every rule that fired."""
    found, fired = [], set()
    for facts, as_of in cases:
        expected = fired_rules(book, facts, as_of)
        fired |= expected
        try:
            got = engine.fired(message(book, facts, as_of))
        except Exception as error:  # error 303 and the like are failures too
            got = frozenset({f"raised {error}"})
        if got != expected:
            found.append(
                f"{facts} {as_of}: only the engine {sorted(got - expected)}, only the reference "
                f"{sorted(expected - got)}"
            )
    return found, fired


@pytest.fixture(scope="module")
def grid_and_axes(mini_book: RuleBook) -> Grid:
    return mini_grid(mini_book)


def test_grid_covers_every_pair_of_values(grid_and_axes: Grid) -> None:
    grid, axes = grid_and_axes
    assert len(grid) == (275_400 if FULL_GRID else 18_360)
    assert len(axes["days_overdue"]) == 17 and len(axes["harassment"]) == 30
    for a, b in itertools.combinations(axes, 2):
        seen = {(repr(point[a]), repr(point[b])) for point in grid}
        assert len(seen) == len(axes[a]) * len(axes[b]), (a, b)


def test_engine_equals_reference_on_the_mini_grid(
    mini_book: RuleBook,
    mini_compiled: CompiledRules,
    grid_and_axes: Grid,
) -> None:
    grid, _ = grid_and_axes
    engine = engine_for(mini_compiled, mini_book)
    found, fired = differences(mini_book, engine, [as_facts(point) for point in grid])
    assert found == [], f"{len(found)} differences, first: {found[:5]}"
    assert fired == {placed.rule_id for placed in mini_book.rules} | {asked_rule("kinds")}  # every rule fired


def test_engine_equals_reference_with_nested_and_negated_conditions(mini_texts: dict[str, str]) -> None:
    book = load_texts({**mini_texts, "extra.yaml": EXTRA})
    grid, _ = mini_grid(book)
    cases = [as_facts(point) for point in random.Random(7).sample(grid, 4000)]
    found, fired = differences(book, engine_for(compile_rules(book), book), cases)
    assert found == [], f"{len(found)} differences, first: {found[:5]}"
    assert set(book.questions["extra"].branches) <= fired


def boundary_values(book: RuleBook, name: str) -> list[Any]:
    """The values of one input worth trying: its bounds, every constant the rules compare it to and
    the values next to them, every allowed value, and null when it is nullable."""
    spec = book.inputs[name]
    values: list[Any]
    if spec.type in ("integer", "number"):
        assert spec.min is not None and spec.max is not None
        step = 1 if spec.type == "integer" else 0.0001
        constants = {spec.min, spec.max}
        for placed in book.rules:
            for condition in (placed.question.ask_if, placed.rule.when):
                constants |= {
                    t.value for t in conditions.tests(condition) if t.fact == name and t.op != "known"
                }
        if name == book.stages.of:
            constants |= {edge for band in book.stages.bands.values() for edge in (band.min, band.max)}
        near = {c + d for c in constants for d in (-step, 0, step)}
        values = sorted(v for v in near if spec.min <= v <= spec.max)
    elif spec.type == "boolean":
        values = [True, False]
    elif spec.type == "enum":
        values = list(spec.values or {})
    else:
        values = [frozenset(c) for size in (0, 1, 2) for c in itertools.combinations(spec.values or {}, size)]
    return [*values, None] if spec.nullable else values


def in_force_edges(book: RuleBook) -> list[date]:
    """The days on and next to every rule's dates in force, and one day long before and after."""
    bounds = {
        d for placed in book.rules for d in (placed.rule.in_force.start, placed.rule.in_force.until) if d
    }
    near = {date.fromordinal(d.toordinal() + step) for d in bounds for step in (-1, 0, 1)}
    return sorted(near | {date(2000, 1, 1), date(2100, 12, 31)})


def test_engine_equals_reference_on_the_shipped_rules() -> None:
    try:
        book = load_checked(shipped_rules())
    except RulesError as error:
        pytest.skip(f"the shipped rules do not load yet (being written): {error.problems[0]}")
    axes = {name: boundary_values(book, name) for name in book.inputs}
    days = in_force_edges(book)
    pick = random.Random(2026)
    cases = []
    for _ in range(100_000):  # the 1.1 facts that go only with others make many points invalid
        point = {name: pick.choice(values) for name, values in axes.items()}
        body = {k: sorted(v) if isinstance(v, frozenset) else v for k, v in point.items() if v is not None}
        try:  # only facts the API accepts (e.g. no harassment kinds without harassment)
            facts = AdviceRequest.model_validate(body).facts()
        except ValidationError:
            continue
        cases.append((facts, pick.choice(days)))
        if len(cases) == 6000:
            break
    assert len(cases) == 6000, "the API refused most of the grid"
    found, _ = differences(book, engine_for(compile_rules(book), book), cases)
    assert found == [], f"{len(found)} differences, first: {found[:5]}"
