"""A plain-Python evaluator of the rules model, to check the compiled engine against.

The engine sees the rules only after `kb.compiler` has rewritten them (negation pushed to the
leaves, stages turned into ranges, sets into flags, unknowns into `$nex`), and durable-rules has
sharp edges of its own. This module reads the same `RuleBook` straight from its condition trees,
so that tests can compare the two on many inputs. It is never used to answer a borrower.

`facts` are what a validated request gives: every non-nullable input present, a set as a
frozenset (missing = empty, as in `kb.compiler.message`), and null for an unknown nullable value.
Derived facts are computed from them and the date (`RuleBook.derive`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from kb.compiler import asked_rule, letter_rule
from kb.conditions import ALWAYS, All, AnyOf, Condition, Not, Test
from kb.model import RuleBook


def fired_rules(book: RuleBook, facts: Mapping[str, Any], as_of: date) -> frozenset[str]:
    """What `Engine.fired(message(book, facts, as_of))` must return for these facts."""
    _check_complete(book, facts)
    facts = book.derive(facts, as_of)
    fired: set[str] = set()
    for qid, question in book.questions.items():
        if not holds(book, question.ask_if, facts):
            continue
        if question.ask_if != ALWAYS:
            fired.add(asked_rule(qid))
        for rid, rule in question.branches.items():
            if rule.in_force.covers(as_of) and holds(book, rule.when, facts):
                fired.add(rid)
    for kind, letter in book.letters.items():
        if holds(book, letter.when, facts):
            fired.add(letter_rule(kind))
    return frozenset(fired)


def holds(book: RuleBook, condition: Condition, facts: Mapping[str, Any]) -> bool:
    """Whether a condition tree holds for the facts."""
    if isinstance(condition, Test):
        return leaf_holds(book, condition, facts)
    if isinstance(condition, Not):
        return not holds(book, condition.part, facts)
    if isinstance(condition, All):
        return all(holds(book, part, facts) for part in condition.parts)
    if isinstance(condition, AnyOf):
        return any(holds(book, part, facts) for part in condition.parts)
    raise TypeError(f"not a condition: {condition!r}")


def leaf_holds(book: RuleBook, test: Test, facts: Mapping[str, Any]) -> bool:
    """Whether one leaf holds; null never meets a bound."""
    value = _value(book, test.fact, facts)
    op = test.op
    if op == "in":
        return value in test.value
    if op == "is":
        return bool(value == test.value)
    if op == "known":
        return (value is not None) == test.value
    if op == "contains":
        return test.value in value
    if op == "empty":
        return (not value) == test.value
    if value is None:
        return False
    if op == "min":
        return bool(value >= test.value)
    if op == "max":
        return bool(value <= test.value)
    if op == "above":
        return bool(value > test.value)
    if op == "below":
        return bool(value < test.value)
    raise ValueError(f"unknown constraint '{op}'")


def _value(book: RuleBook, fact: str, facts: Mapping[str, Any]) -> Any:
    if fact == "stage":
        return book.stage_of_facts(facts)
    if fact in book.derived:
        if fact not in facts:  # an example request: the date is its as_of
            facts = book.derive(facts, date.fromisoformat(facts["as_of"]))
        return facts[fact]
    if book.inputs[fact].type == "set":
        return frozenset(facts.get(fact) or ())
    return facts.get(fact)


def _check_complete(book: RuleBook, facts: Mapping[str, Any]) -> None:
    """The engine treats a missing field as failing every test, negated ones too: require them."""
    missing = [
        name
        for name, spec in book.inputs.items()
        if spec.type != "set" and not spec.nullable and facts.get(name) is None
    ]
    if missing:
        raise ValueError(f"facts lack the non-nullable inputs {missing}")
