"""Compile a RuleBook into a durable-rules ruleset, as plain data (the engine's JSON form).

Each rule becomes one engine rule whose condition is the conjunction of: the input marker (so the
engine's own state can never match), the question's `ask_if`, the rule's `when`, and its dates in
force on the message's `as_of_day`. Questions with an `ask_if` get a rule of their own, so the
engine also says which questions were asked. A catch-all rule makes every message handled.
Negation is pushed down to the leaves (durable-rules has no `not`), with unknown (null) values
handled explicitly because the engine treats a missing field as failing every comparison.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from kb.conditions import ALWAYS, All, Condition, Not, Test
from kb.loader import Problem, RulesError
from kb.model import InForce, Input, RuleBook

MARKER = {"kind": "borrower_facts"}
NEVER = {"kind": "no_message_has_this"}
CATCH_ALL = "__catch_all__"
ASKED = "__asked__"
AS_OF = "as_of_day"

# The engine's hard limits (see durable-rules-notes.md), kept well inside.
MAX_RULES = 4000
MAX_SAME_CONDITION = 256
MAX_ALTERNATIVES = 64
MAX_SIBLINGS = 60  # a message may satisfy at most 64 sibling conditions at once (error 303)

Expr = dict[str, Any]
ALWAYS_EXPR: Expr = MARKER


@dataclass(frozen=True)
class CompiledRules:
    name: str
    definition: Mapping[str, Any]
    actions: tuple[str, ...]


def asked_rule(question_id: str) -> str:
    return ASKED + question_id


def compile_rules(book: RuleBook) -> CompiledRules:
    definition: dict[str, Any] = {}
    pri = 0

    def add(name: str, *conditions: Expr) -> None:
        nonlocal pri
        pri += 1
        parts = [MARKER, *(c for c in conditions if c is not ALWAYS_EXPR)]
        definition[name] = {
            "all": [{"m": {"$and": parts} if len(parts) > 1 else parts[0]}],
            "pri": pri,
            "run": name,
        }

    add(CATCH_ALL)
    for qid, question in book.questions.items():
        ask = _expr(book, question.ask_if, negate=False)
        if question.ask_if != ALWAYS:  # the same test the answer uses to look for this rule
            add(asked_rule(qid), ask)
        for rid, rule in question.branches.items():
            add(rid, ask, _expr(book, rule.when, negate=False), _dates(rule.in_force))
    _check_limits(book, definition)
    return CompiledRules(f"overdue_advisor_{book.digest[:16]}", definition, tuple(definition))


def message(book: RuleBook, facts: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    """The engine message for one borrower's facts: flat fields, unknown values left out."""
    fields: dict[str, Any] = {**MARKER, AS_OF: as_of.toordinal()}
    for name, spec in book.inputs.items():
        value = facts.get(name)
        if spec.type == "set":
            chosen = set(value or ())
            for option in spec.values or {}:
                fields[_member(name, option)] = option in chosen
        elif value is not None:
            fields[name] = value
    return fields


def _member(name: str, option: str) -> str:
    return f"{name}__{option}"


def _dates(in_force: InForce) -> Expr:
    parts = []
    if in_force.start:
        parts.append({"$gte": {AS_OF: in_force.start.toordinal()}})
    if in_force.until:
        parts.append({"$lte": {AS_OF: in_force.until.toordinal()}})
    return _join("$and", parts)


def _join(op: str, parts: list[Expr]) -> Expr:
    if op == "$and":
        parts = [p for p in parts if p is not ALWAYS_EXPR]
        if any(p is NEVER for p in parts):
            return NEVER
        if not parts:
            return ALWAYS_EXPR
    else:
        if any(p is ALWAYS_EXPR for p in parts):
            return ALWAYS_EXPR
        parts = [p for p in parts if p is not NEVER]
        if not parts:
            return NEVER
    return parts[0] if len(parts) == 1 else {op: parts}


def _expr(book: RuleBook, condition: Condition, negate: bool) -> Expr:
    if isinstance(condition, Test):
        return _test(book, condition, negate)
    if isinstance(condition, Not):
        return _expr(book, condition.part, not negate)
    both = isinstance(condition, All)
    op = "$and" if both != negate else "$or"
    return _join(op, [_expr(book, part, negate) for part in condition.parts])


def _test(book: RuleBook, test: Test, negate: bool) -> Expr:
    if test.fact == "stage":
        chosen = set(test.value) ^ (set(book.stages.bands) if negate else set())
        return _join(
            "$or",
            [
                _range(book.stages.of, band.min, band.max)
                for band_id, band in book.stages.bands.items()
                if band_id in chosen
            ],
        )
    spec = book.inputs[test.fact]
    name = test.fact
    if test.op in ("in", "is"):
        domain = _domain(spec)
        wanted = set(test.value) if test.op == "in" else {test.value}
        if negate:
            wanted = set(domain) - wanted
        return _join("$or", [_equals(name, v) for v in domain if v in wanted])
    if test.op == "known":
        exists = test.value != negate
        return {"$ex" if exists else "$nex": {name: 1}}
    if test.op == "contains":
        return {_member(name, test.value): not negate}
    if test.op == "empty":
        members = [{_member(name, v): True} for v in spec.values or {}]
        if test.value != negate:
            return _join("$and", [{_member(name, v): False} for v in spec.values or {}])
        return _join("$or", members)
    comparison = {"min": "$gte", "max": "$lte", "above": "$gt", "below": "$lt"}
    opposite = {"min": "$lt", "max": "$gt", "above": "$lte", "below": "$gte"}
    if not negate:
        return {comparison[test.op]: {name: test.value}}
    flipped = {opposite[test.op]: {name: test.value}}
    return _join("$or", [flipped, {"$nex": {name: 1}}]) if spec.nullable else flipped


def _domain(spec: Input) -> list[Any]:
    values: list[Any] = [True, False] if spec.type == "boolean" else list(spec.values or {})
    return [*values, None] if spec.nullable else values


def _equals(name: str, value: Any) -> Expr:
    return {"$nex": {name: 1}} if value is None else {name: value}


def _range(name: str, low: int, high: int) -> Expr:
    return {"$and": [{"$gte": {name: low}}, {"$lte": {name: high}}]}


def _check_limits(book: RuleBook, definition: Mapping[str, Any]) -> None:
    """Refuse a ruleset that would cross one of the engine's hard limits, naming the rule."""
    where = {rid: rule.defined_at for _, _, rid, rule in book.rules}
    problems = []
    if len(definition) > MAX_RULES:
        problems.append(Problem("rules", 0, f"{len(definition)} rules; the engine takes at most {MAX_RULES}"))
    same = Counter(json.dumps(rule["all"], sort_keys=True) for rule in definition.values())
    for name, rule in definition.items():
        source = where.get(name)
        if source is None:
            continue
        if same[json.dumps(rule["all"], sort_keys=True)] > MAX_SAME_CONDITION:
            problems.append(
                Problem(
                    source.file, source.line, f"more than {MAX_SAME_CONDITION} rules share this condition"
                )
            )
        widest = _widest_alternatives(rule["all"])
        if widest > MAX_ALTERNATIVES:
            problems.append(
                Problem(
                    source.file,
                    source.line,
                    f"{widest} alternatives in one 'any'; the engine takes at most {MAX_ALTERNATIVES}",
                )
            )
    problems.extend(_sibling_problems(definition, where))
    if problems:
        raise RulesError(problems)


def _sibling_problems(definition: Mapping[str, Any], where: Mapping[str, Any]) -> list[Problem]:
    """Rules share the engine's nodes along equal leading conditions; refuse any node with more
    children than a message could safely satisfy at once, naming the first rule past the limit."""
    children: dict[str, list[str]] = {}
    for name, rule in definition.items():
        condition = rule["all"][0]["m"]
        chain = condition.get("$and", [condition])
        prefix = ""
        for part in chain:
            step = json.dumps(part, sort_keys=True)
            siblings = children.setdefault(prefix, [])
            if step not in siblings:
                siblings.append(step)
                if len(siblings) == MAX_SIBLINGS + 1 and name in where:
                    source = where[name]
                    return [
                        Problem(
                            source.file,
                            source.line,
                            f"more than {MAX_SIBLINGS} rules branch from one "
                            "shared condition; the engine fails when a message meets over 64 at once",
                        )
                    ]
            prefix += "\0" + step
    return []


def _widest_alternatives(expr: Any) -> int:
    if isinstance(expr, dict):
        own = len(expr["$or"]) if isinstance(expr.get("$or"), list) else 0
        return max([own, *(_widest_alternatives(v) for v in expr.values())])
    if isinstance(expr, list):
        return max((_widest_alternatives(v) for v in expr), default=0)
    return 0
