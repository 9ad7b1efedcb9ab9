"""Mutation check: small wrong edits to in-memory copies of the rules, and what catches each one.

A mutant changes one thing a lawyer could get wrong: drops a rule, moves a threshold or a stage
edge by one, gives another advice item instead of the right one, drops an advice item or a
contact from a rule, negates a yes/no, picks another value of a choice, moves a date by a day,
or makes an urgent item routine. Each is caught (killed) by the loader refusing the rules, by
`lint` (including the invariants), or by a failing scenario; one that nothing catches survives.
Mutants are built from the parsed YAML and dumped back with `yaml.safe_dump`; nothing is run.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any

import yaml

from kb.answer import taken_path
from kb.facts import AdviceRequest
from kb.loader import RulesError, load_texts
from kb.model import RuleBook
from kb.reference import fired_rules
from kb.verify import lint
from kb.verify.analysis import Analysis, outcome_of
from kb.verify.regions import in_force_cuts
from kb.verify.scenarios import Scenario, reference_answers, run_scenario

Data = dict[str, Any]
# libyaml's safe dumper when PyYAML has it (ten times faster), else the pure-Python one
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class Mutant:
    operator: str
    name: str
    file: str
    data: Data = field(repr=False, compare=False)  # the mutated file, parsed
    originals: Mapping[str, str] = field(repr=False, compare=False)

    @cached_property
    def texts(self) -> Mapping[str, str]:
        """Every file of the mutated rules (the one changed file dumped back to YAML)."""
        text = yaml.dump(self.data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False)
        return {**self.originals, self.file: text}


@dataclass(frozen=True)
class Verdict:
    mutant: Mutant
    killed_by: tuple[str, ...]  # "load", "lint" and/or "scenarios"; empty: it survived
    why: str
    # for a survivor: a request whose answer the mutant changes, or None when none of the probes
    # shows a difference (an equivalent mutant: nothing could catch it)
    differs_on: Mapping[str, Any] | None = None

    @property
    def killed(self) -> bool:
        return bool(self.killed_by)

    @property
    def equivalent(self) -> bool:
        return not self.killed and self.differs_on is None


class Rules:
    """The parsed files of one rules folder, from which mutants are made."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.texts = dict(texts)
        self.data: dict[str, Data] = {name: yaml.safe_load(text) or {} for name, text in texts.items()}

    def files_with(self, section: str) -> list[str]:
        return [name for name, data in self.data.items() if isinstance(data.get(section), dict)]

    def entries(self, section: str) -> Iterator[tuple[str, str, Data]]:
        for name in self.files_with(section):
            for key, body in self.data[name][section].items():
                yield name, key, body

    def mutant(self, operator: str, name: str, file: str, change: Callable[[Data], None]) -> Mutant:
        data = copy.deepcopy(self.data[file])
        change(data)
        return Mutant(operator, name, file, data, self.texts)


def mutants(texts: Mapping[str, str]) -> Iterator[Mutant]:
    """Every mutant of these rules, in a fixed order."""
    rules = Rules(texts)
    advice_kinds = {key: body.get("kind") for _, key, body in rules.entries("advice")}
    enum_values = {
        key: list(body.get("values") or {})
        for _, key, body in rules.entries("inputs")
        if body.get("type") == "enum"
    }
    for file, qid, question in rules.entries("questions"):
        for rid, rule in question["branches"].items():

            def branch(data: Data, q: str = qid, r: str = rid) -> Data:
                return data["questions"][q]["branches"][r]

            yield rules.mutant(
                "drop rule", rid, file, lambda d, q=qid, r=rid: d["questions"][q]["branches"].pop(r)
            )
            for path, value in _numbers(rule.get("when") or {}):
                for step in (-1, 1):
                    yield rules.mutant(
                        "move threshold",
                        f"{rid}: {'.'.join(path)} {value} -> {value + step}",
                        file,
                        lambda d, b=branch, p=path, v=value + step: _set(b(d)["when"], p, v),
                    )
            for path, value in _booleans(rule.get("when") or {}):
                flipped = (not value) if value is not None else True
                yield rules.mutant(
                    "negate",
                    f"{rid}: {'.'.join(path)} {value} -> {flipped}",
                    file,
                    lambda d, b=branch, p=path, v=flipped: _set(b(d)["when"], p, v),
                )
            for path, chosen in _choices(rule.get("when") or {}):
                fact = path[-2]
                other = next((v for v in enum_values.get(fact, []) if v not in chosen), None)
                if other is not None:
                    yield rules.mutant(
                        "other choice",
                        f"{rid}: {fact} {chosen[0]} -> {other}",
                        file,
                        lambda d, b=branch, p=path, c=[other, *chosen[1:]]: _set(b(d)["when"], p, c),
                    )
            # an entry is an id, or {id: urgency} where the branch sets the item's urgency
            given = [e if isinstance(e, str) else next(iter(e)) for e in rule.get("advice") or []]
            for i, aid in enumerate(given):
                yield rules.mutant(
                    "drop advice", f"{rid}: -{aid}", file, lambda d, b=branch, i=i: b(d)["advice"].pop(i)
                )
                swap = _next_of_kind(aid, advice_kinds, given)
                if swap:
                    yield rules.mutant(
                        "swap advice",
                        f"{rid}: {aid} -> {swap}",
                        file,
                        lambda d, b=branch, i=i, s=swap: b(d)["advice"].__setitem__(i, s),
                    )
            for i, cid in enumerate(rule.get("contacts") or []):
                yield rules.mutant(
                    "drop contact", f"{rid}: -{cid}", file, lambda d, b=branch, i=i: b(d)["contacts"].pop(i)
                )
            yield from _dates(rules, file, ("questions", qid, "branches", rid), rule, rid)
    speaks_from = _speaks_from(rules)
    for file, lid, law in rules.entries("laws"):
        # a law's dates matter where the rules speak (kb.in_force); earlier ones are history
        yield from _dates(rules, file, ("laws", lid), law, lid, speaks_from)
    for file, aid, advice in rules.entries("advice"):
        if advice.get("urgency") == "now":
            yield rules.mutant(
                "demote urgency",
                f"{aid}: urgency now -> later",
                file,
                lambda d, a=aid: d["advice"][a].__setitem__("urgency", "later"),
            )
        if advice.get("kind") == "action" and advice.get("priority", 100) < 10:
            yield rules.mutant(
                "make routine",
                f"{aid}: priority {advice['priority']} -> 50",
                file,
                lambda d, a=aid: d["advice"][a].__setitem__("priority", 50),
            )
    yield from _band_edges(rules)


@dataclass(frozen=True)
class Baseline:
    """The unmutated rules, their scenarios, and what a borrower sees for each probe request."""

    book: RuleBook
    scenarios: tuple[Scenario, ...]
    probes: tuple[AdviceRequest, ...]
    seen: tuple[tuple[Any, ...], ...]

    @classmethod
    def of(cls, book: RuleBook, scenarios: Sequence[Scenario]) -> Baseline:
        requests = tuple(AdviceRequest.model_validate_json(json.dumps(body)) for body in probes(book))
        return cls(book, tuple(scenarios), requests, tuple(_seen(book, r) for r in requests))

    def first_difference(self, mutant: RuleBook) -> dict[str, Any] | None:
        """A probe request on which the mutant's answer differs in what a borrower sees, if any."""
        for request, seen in zip(self.probes, self.seen, strict=True):
            if _seen(mutant, request) != seen:
                return request.model_dump(mode="json", exclude_none=True)
        return None


def judge(mutant: Mutant, baseline: Baseline, every_killer: bool = False) -> Verdict:
    """What catches a mutant: the loader, the scenarios, lint (cheapest first; all with `every_killer`).

    A mutant nothing catches is checked against the probe requests: one that changes no answer
    is equivalent to the rules, and no check could catch it.
    """
    try:
        book = load_texts(mutant.texts)
    except RulesError as error:
        return Verdict(mutant, ("load",), str(error.problems[0]))
    killers: list[str] = []
    why = ""
    answer = reference_answers(book)
    failing = [r for r in (run_scenario(book, answer, s) for s in baseline.scenarios) if not r.passed]
    if failing:
        killers.append("scenarios")
        why = f"{failing[0].scenario.name}: {failing[0].failures[0]}"
        if not every_killer:
            return Verdict(mutant, tuple(killers), why)
    errors = lint(book).errors
    if errors:
        killers.append("lint")
        why = why or f"{errors[0].kind}: {errors[0].message}"
    if killers:
        return Verdict(mutant, tuple(killers), why)
    return Verdict(mutant, (), "survived", baseline.first_difference(book))


def probes(book: RuleBook, seed: int = 4, per_law: int = 3) -> list[dict[str, Any]]:
    """Requests that reach every region of every question, each also with the other facts drawn at
    random from their cells (always the same draws); and, for every date a law starts or ends and
    the day before, a few requests whose answer gives advice citing it."""
    chosen = random.Random(seed)
    analysis = Analysis(book)
    domain = analysis.domain
    bodies: dict[str, dict[str, Any]] = {}

    def add(body: dict[str, Any]) -> None:
        bodies.setdefault(json.dumps(body, sort_keys=True), body)

    for qid in book.questions:
        for row in analysis.table(qid):
            add(dict(row.region.example))
            own = {cell.fact for cell in row.region.cells}
            others = [chosen.choice(cells) for name, cells in domain.cells.items() if name not in own]
            example = domain.example((*row.region.cells, *others), row.region.period)
            if example is not None:
                add(example)
    for lid, law in book.laws.items():
        citing = {aid for aid, advice in book.advice.items() if lid in advice.legal_basis}
        giving = [
            row
            for qid, question in book.questions.items()
            for row in analysis.table(qid)
            if any(citing & set(question.branches[rid].advice) for rid in row.taken)
        ][:per_law]
        for cut in sorted(in_force_cuts(law.in_force)):
            for day in (cut - timedelta(days=1), cut):
                if domain.first_day <= day <= domain.last_day:
                    for row in giving:
                        add({**row.region.example, "as_of": day.isoformat()})
    return list(bodies.values())


def _seen(book: RuleBook, request: AdviceRequest) -> tuple[Any, ...]:
    """The stage, the branches taken and every id of the answer, in order."""
    facts, day = request.facts(), request.day()
    path = taken_path(book, fired_rules(book, facts, day))
    return book.stage_of(facts[book.stages.of]), path, outcome_of(book, path, day)


def _numbers(when: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], float]]:
    if isinstance(when, dict):
        for key, value in when.items():
            if key in ("min", "max", "above", "below") and isinstance(value, (int, float)):
                yield (*path, key), value
            else:
                yield from _numbers(value, (*path, str(key)))


def _booleans(when: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], bool | None]]:
    if isinstance(when, dict):
        for key, value in when.items():
            if key == "is":
                yield (*path, key), value
            else:
                yield from _booleans(value, (*path, str(key)))


def _choices(when: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], list[str]]]:
    if isinstance(when, dict):
        for key, value in when.items():
            if key == "in" and isinstance(value, list) and path and path[-1] != "stage":
                yield (*path, key), value
            else:
                yield from _choices(value, (*path, str(key)))


def _set(mapping: Data, path: tuple[str, ...], value: Any) -> None:
    for step in path[:-1]:
        mapping = mapping[step]
    mapping[path[-1]] = value


def _next_of_kind(aid: str, kinds: Mapping[str, Any], present: list[str]) -> str | None:
    """The next advice item of the same kind in catalog order that the rule does not give yet."""
    same = [a for a, kind in kinds.items() if kind == kinds.get(aid)]
    if aid not in same:
        return None
    start = same.index(aid)
    return next((a for a in same[start + 1 :] + same[:start] if a not in present), None)


def _speaks_from(rules: Rules) -> date:
    for file in rules.files_with("kb"):
        start = (rules.data[file]["kb"].get("in_force") or {}).get("from")
        if isinstance(start, date):
            return start
    return date.min


def _dates(
    rules: Rules, file: str, where: tuple[str, ...], body: Data, name: str, after: date = date.min
) -> Iterator[Mutant]:
    in_force = body.get("in_force") or {}
    for end in ("from", "until"):
        day = in_force.get(end)
        if isinstance(day, date) and day >= after:
            for step in (-1, 1):
                moved = day + timedelta(days=step)

                def change(d: Data, e: str = end, m: date = moved) -> None:
                    target = d
                    for step_ in where:
                        target = target[step_]
                    target["in_force"][e] = m

                yield rules.mutant("move date", f"{name}: {end} {day} -> {moved}", file, change)


def _band_edges(rules: Rules) -> Iterator[Mutant]:
    for file in rules.files_with("stages"):
        bands = rules.data[file]["stages"]["bands"]
        ordered = sorted(bands, key=lambda b: bands[b]["min"])
        for low, high in itertools.pairwise(ordered):
            for step in (-1, 1):

                def change(d: Data, lo: str = low, hi: str = high, s: int = step) -> None:
                    d["stages"]["bands"][lo]["max"] += s
                    d["stages"]["bands"][hi]["min"] += s

                edge = bands[high]["min"]
                yield rules.mutant("move stage edge", f"{low}/{high}: {edge} -> {edge + step}", file, change)
