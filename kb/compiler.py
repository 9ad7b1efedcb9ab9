"""Compile a RuleBook into a durable-rules ruleset, as plain data (the engine's JSON form).

Each rule becomes one engine rule whose condition is the conjunction of: the input marker (so the
engine's own state can never match), the question's `ask_if`, the rule's `when`, and its dates in
force on the message's `as_of_day`. Questions with an `ask_if` get a rule of their own, so the
engine also says which questions were asked. Each letter kind's `when` is a rule too
(`letter__<kind>`), so the engine also decides which letters fit. A catch-all rule makes every
message handled.
The rules are then shaped so that the engine's network never overflows however many there are
(`compile_rules`), and the shape is checked against a model of that network (`kb.network`).
Negation is pushed down to the leaves (durable-rules has no `not`), with unknown (null) values
handled explicitly because the engine treats a missing field as failing every comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from kb import network
from kb.conditions import ALWAYS, All, Condition, Not, Test
from kb.loader import Problem, RulesError
from kb.model import InForce, Input, RuleBook

MARKER_FIELD = "kind"
MARKER = {MARKER_FIELD: "borrower_facts"}
NEVER = {"kind": "no_message_has_this"}
CATCH_ALL = "__catch_all__"
ASKED = "__asked__"
AS_OF = "as_of_day"

# The engine's hard limits (see durable-rules-notes.md and kb/network.py), kept well inside.
MAX_RULES = 4000  # per ruleset (MAX_ACTIONS 4096 in rete.c)
# How the network is shaped: a bucket of questions may leave at most BUCKET_WIDTH conditions
# pending at once; guard levels add GUARD_FANOUT - 1 each, so four levels (4,096 buckets) stay
# under the engine's 64. Rulesets are cut at RULES_PER_PART rules.
BUCKET_WIDTH = 28
GUARD_FANOUT = 8
RULES_PER_PART = 2000

Expr = dict[str, Any]
ALWAYS_EXPR: Expr = MARKER


@dataclass(frozen=True)
class Part:
    """One ruleset registered with the engine: a share of the rules, each with the catch-all."""

    name: str
    definition: Mapping[str, Any]


@dataclass(frozen=True)
class CompiledRules:
    name: str
    parts: tuple[Part, ...]
    actions: tuple[str, ...]

    @property
    def definition(self) -> Mapping[str, Any]:
        """Every rule of every part by name (the catch-all once)."""
        return {name: rule for part in self.parts for name, rule in part.definition.items()}


def asked_rule(question_id: str) -> str:
    return ASKED + question_id


LETTER = "letter__"


def letter_rule(kind: str) -> str:
    """The engine rule that fires when a letter kind fits the facts."""
    return LETTER + kind


Chain = tuple[str, list[Expr]]  # a rule's name and its conditions after the marker


def compile_rules(book: RuleBook) -> CompiledRules:
    """The rules as engine rulesets, shaped so that no node of the engine's network overflows.

    Each question's rules form a group that stays together (their chains share the question's
    `ask_if`). Groups are packed in tree order into buckets whose network stays narrow; when there
    is more than one bucket, each bucket hangs under its own path of guard tests that every
    message meets (`kind` differs from a name no message has), a tree `GUARD_FANOUT` wide, so that
    the engine never holds more than a few guards pending. Rulesets hold at most `RULES_PER_PART`
    rules each and are all evaluated for every message.
    """
    groups: list[list[Chain]] = []
    for qid, question in book.questions.items():
        ask = _expr(book, question.ask_if, negate=False)
        group: list[Chain] = []
        if question.ask_if != ALWAYS:  # the same test the answer uses to look for this rule
            group.append((asked_rule(qid), [ask]))
        for rid, rule in question.branches.items():
            group.append((rid, [ask, _expr(book, rule.when, negate=False), _dates(rule.in_force)]))
        groups.append(group)
    # the letters that fit: one more group, each letter's `when` as a rule of its own
    letters: list[Chain] = [
        (letter_rule(kind), [_expr(book, letter.when, negate=False)]) for kind, letter in book.letters.items()
    ]
    if letters:
        groups.append(letters)
    parts = tuple(
        Part(f"overdue_advisor_{book.digest[:16]}" + (f"_{index}" if index else ""), _ruleset(share))
        for index, share in enumerate(_shares(groups))
    )
    compiled = CompiledRules(parts[0].name, parts, (CATCH_ALL, *(name for g in groups for name, _ in g)))
    _check_limits(book, compiled)
    return compiled


def _shares(groups: list[list[Chain]]) -> list[list[list[Chain]]]:
    """Groups in tree order, cut into shares of at most RULES_PER_PART rules (a group is never cut)."""
    shares: list[list[list[Chain]]] = [[]]
    size = 0
    for group in groups:
        if size and size + len(group) > RULES_PER_PART:
            shares.append([])
            size = 0
        shares[-1].append(group)
        size += len(group)
    return shares


def _ruleset(groups: list[list[Chain]]) -> dict[str, Any]:
    buckets: list[list[Chain]] = []
    for group in groups:
        if buckets and network.build(_definition([*buckets[-1], *group])).peak() <= BUCKET_WIDTH:
            buckets[-1].extend(group)
        else:
            buckets.append(list(group))
    depth = 0
    while GUARD_FANOUT**depth < len(buckets):
        depth += 1
    chains = [
        (name, [*_guards(index, depth), *conditions])
        for index, bucket in enumerate(buckets)
        for name, conditions in bucket
    ]
    return _definition(chains)


def _guards(index: int, depth: int) -> list[Expr]:
    """The path of always-true tests that leads to bucket `index` in a guard tree of `depth` levels."""
    path = []
    for level in range(depth):
        digit = index // GUARD_FANOUT ** (depth - 1 - level) % GUARD_FANOUT
        path.append({"$neq": {MARKER_FIELD: f"guard_{level}_{digit}"}})
    return path


def _definition(chains: list[Chain]) -> dict[str, Any]:
    """Rules as the engine takes them, with the catch-all first; `pri` follows the given order."""
    definition: dict[str, Any] = {}
    for pri, (name, conditions) in enumerate([(CATCH_ALL, []), *chains], start=1):
        parts = [MARKER, *(c for c in conditions if c is not ALWAYS_EXPR)]
        definition[name] = {
            "all": [{"m": {"$and": parts} if len(parts) > 1 else parts[0]}],
            "pri": pri,
            "run": name,
        }
    return definition


def message(book: RuleBook, facts: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    """The engine message for one borrower's facts: flat fields, unknown values left out."""
    fields: dict[str, Any] = {**MARKER, AS_OF: as_of.toordinal()}
    for name, derived in book.derived.items():
        fields[name] = as_of.toordinal() - facts.get(derived.as_of_minus, 0)
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
        return _stage(book, set(test.value), negate)
    if test.fact in book.derived:
        comparison = {"min": "$gte", "max": "$lte", "above": "$gt", "below": "$lt"}
        opposite = {"min": "$lt", "max": "$gt", "above": "$lte", "below": "$gte"}
        return {(opposite if negate else comparison)[test.op]: {test.fact: test.value.toordinal()}}
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


def _stage(book: RuleBook, chosen: set[str], negate: bool) -> Expr:
    """Stages as tests of the inputs they come from: a band is a range of its input, and, when the
    rules know a stage before the due date, only while the days until due are unknown."""
    stages = book.stages
    if negate:
        chosen = set(stages.ids()) - chosen
    ahead = stages.ahead
    not_ahead: list[Expr] = [{"$nex": {ahead.of: 1}}] if ahead else []
    alternatives = [
        _join("$and", [_range(stages.of, band.min, band.max), *not_ahead])
        for band_id, band in stages.bands.items()
        if band_id in chosen
    ]
    if ahead and ahead.stage in chosen:
        alternatives.insert(0, {"$ex": {ahead.of: 1}})
    return _join("$or", alternatives)


def _domain(spec: Input) -> list[Any]:
    values: list[Any] = [True, False] if spec.type == "boolean" else list(spec.values or {})
    return [*values, None] if spec.nullable else values


def _equals(name: str, value: Any) -> Expr:
    return {"$nex": {name: 1}} if value is None else {name: value}


def _range(name: str, low: int, high: int) -> Expr:
    return {"$and": [{"$gte": {name: low}}, {"$lte": {name: high}}]}


def _check_limits(book: RuleBook, compiled: CompiledRules) -> None:
    """Refuse rules the engine would fail on at registration or evaluation, naming the rule."""
    where = {rid: rule.defined_at for _, _, rid, rule in book.rules}
    where.update({asked_rule(qid): q.defined_at for qid, q in book.questions.items()})
    where.update({letter_rule(kind): letter.defined_at for kind, letter in book.letters.items()})
    problems = []
    for part in compiled.parts:
        if len(part.definition) > MAX_RULES:
            problems.append(Problem("rules", 0, f"{len(part.definition)} rules in one engine ruleset"))
        for overflow in network.overflows(part.definition):
            source = where.get(overflow.rule)
            file, line = (source.file, source.line) if source else ("rules", 0)
            problems.append(Problem(file, line, overflow.reason))
    if problems:
        raise RulesError(problems)
