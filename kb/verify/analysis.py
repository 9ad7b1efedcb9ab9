"""One rule book cut into regions, with what every check shares: per-question tables and outcomes.

A question's table has one row per region over the facts that question reads and the dates its
rules change on: whether it is asked there, which branches hold, and which are taken (the first
that holds for `choose: one`, every one for `choose: any`), as the answer takes them. An outcome
is what an answer holds, as ids: ordered actions, avoid items, contacts, citations and tags.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from kb.answer import Answer, ranked
from kb.conditions import ALWAYS, Condition
from kb.model import Question, RuleBook
from kb.summary import deadline_ids
from kb.verify.findings import Finding
from kb.verify.regions import (
    MAX_REGIONS,
    Cell,
    Domain,
    Period,
    Region,
    condition_facts,
    question_cuts,
    question_facts,
)


@dataclass(frozen=True)
class Row:
    region: Region
    asked: bool
    holding: tuple[str, ...]  # branches whose condition holds and that are in force, in tree order
    taken: tuple[str, ...]  # what the answer takes of them


@dataclass(frozen=True)
class Part:
    """Part of a region: cells of some facts and a period; joined with other parts into a region."""

    cells: Mapping[str, Cell]
    period: Period

    @classmethod
    def of(cls, region: Region) -> Part:
        return cls({cell.fact: cell for cell in region.cells}, region.period)


@dataclass(frozen=True)
class Outcome:
    """The ids an answer holds, in the answer's order."""

    actions: tuple[str, ...]
    avoid: tuple[str, ...]
    contacts: tuple[str, ...]
    cites: frozenset[str]
    tags: frozenset[str]


def taken_by(question: Question, holding: Sequence[str]) -> tuple[str, ...]:
    return tuple(holding[:1]) if question.choose == "one" else tuple(holding)


def outcome_of(book: RuleBook, path: Iterable[tuple[str, Sequence[str]]], as_of: date) -> Outcome:
    """What `kb.answer.Presenter.answer` would hold for the branches taken, as ids only."""
    path = list(path)
    ids = ranked(book, path)
    given = ids.actions + ids.avoid
    cited = [law_id for aid in given for law_id in book.advice[aid].legal_basis]
    cited += [law_id for did in deadline_ids(book, path) for law_id in book.deadlines[did].legal_basis]
    cites = {law_id for law_id in cited if book.laws[law_id].in_force.covers(as_of)}
    tags = {tag for aid in given for tag in book.advice[aid].tags}
    return Outcome(ids.actions, ids.avoid, ids.contacts, frozenset(cites), frozenset(tags))


def outcome_of_answer(book: RuleBook, answer: Answer) -> Outcome:
    """The same ids read from a real answer."""
    given = [item.id for item in answer.actions + answer.avoid]
    return Outcome(
        actions=tuple(item.id for item in answer.actions),
        avoid=tuple(item.id for item in answer.avoid),
        contacts=tuple(c.id for c in answer.contacts),
        cites=frozenset(c.id for c in answer.legal_basis),
        tags=frozenset(tag for aid in given for tag in book.advice[aid].tags),
    )


class TooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"{size} regions, more than the {MAX_REGIONS} one analysis may enumerate")
        self.size = size


class Analysis:
    """The shared state of one lint run: the domain, question tables and a count of regions.

    Tables and taken branches are memoised; everything else is computed from the frozen model.
    """

    def __init__(self, book: RuleBook) -> None:
        self.book = book
        self.domain = Domain(book)
        self.regions_analysed = 0
        self._tables: dict[str, tuple[Row, ...]] = {}
        self._taken: dict[tuple[Any, ...], tuple[str, ...]] = {}

    def regions(self, facts: Iterable[str], periods: Sequence[Period]) -> Iterator[Region]:
        """Every valid region over `facts` and `periods`; raises TooLarge past the limit."""
        chosen = set(facts)
        size = self.domain.size(chosen, periods)
        if size > MAX_REGIONS:
            raise TooLarge(size)
        for region in self.domain.regions(chosen, periods):
            self.regions_analysed += 1
            yield region

    def table(self, qid: str) -> tuple[Row, ...]:
        if qid not in self._tables:
            question = self.book.questions[qid]
            periods = self.domain.periods(question_cuts(question))
            rows = []
            for region in self.regions(question_facts(self.book, question), periods):
                holding = self.holding(qid, region.example, region.day)
                asked = self.asked(qid, region.example)
                rows.append(Row(region, asked, holding, taken_by(question, holding) if asked else ()))
            self._tables[qid] = tuple(rows)
        return self._tables[qid]

    def asked(self, qid: str, example: Mapping[str, Any]) -> bool:
        ask_if = self.book.questions[qid].ask_if
        return ask_if == ALWAYS or self.domain.holds(ask_if, example)

    def holding(self, qid: str, example: Mapping[str, Any], day: date) -> tuple[str, ...]:
        return tuple(
            rid
            for rid, rule in self.book.questions[qid].branches.items()
            if rule.in_force.covers(day) and self.domain.holds(rule.when, example)
        )

    def _key_value(self, example: Mapping[str, Any], name: str) -> Any:
        """A fact's value for memoising: a derived fact (not in a request body) by its input and date."""
        if name in example or name not in self.book.derived:
            return _hashable(example[name])
        return (_hashable(example[self.book.derived[name].as_of_minus]), example["as_of"])

    def taken(self, qid: str, example: Mapping[str, Any], day: date) -> tuple[str, ...]:
        """The branches of one question the answer takes for this request (memoised)."""
        question = self.book.questions[qid]
        facts = question_facts(self.book, question)
        key = (
            qid,
            tuple(self._key_value(example, name) for name in sorted(facts)),
            tuple(rule.in_force.covers(day) for rule in question.branches.values()),
        )
        if key not in self._taken:
            asked = self.asked(qid, example)
            self._taken[key] = taken_by(question, self.holding(qid, example, day)) if asked else ()
        return self._taken[key]

    def outcome(self, qids: Iterable[str], example: Mapping[str, Any], day: date) -> Outcome:
        """The outcome the named questions give (the others add nothing the caller looks at)."""
        chosen = set(qids)
        path = [(qid, self.taken(qid, example, day)) for qid in self.book.questions if qid in chosen]
        return outcome_of(self.book, path, day)

    def parts(self, qid: str, wanted: Callable[[tuple[str, ...]], bool]) -> list[Part]:
        """The regions of a question's table where the branches it takes are `wanted`."""
        return [Part.of(row.region) for row in self.table(qid) if wanted(row.taken)]

    def join(self, tables: Sequence[Sequence[Part]]) -> Iterator[Region]:
        """Every valid region made of one part of each table, parts agreeing on shared facts and dates.

        This is how a property of several questions is decided without the cross product of their
        facts: each table is first narrowed to the regions where its question does what the
        property needs, and only parts that agree are combined.
        """
        ordered = sorted(tables, key=len)
        if any(not table for table in ordered):
            return
        domain = self.domain
        everything = Period(domain.first_day, domain.last_day)
        combined = 0
        # Each table's parts read one set of facts; index every table by its cells of the facts the
        # tables before it have already bound, so agreeing parts are found without trying them all.
        bound: set[str] = set()
        indexes: list[tuple[tuple[str, ...], dict[tuple[Cell, ...], list[Part]]]] = []
        for table in ordered:
            facts = set().union(*(part.cells for part in table))
            shared = tuple(sorted(facts & bound))
            index: dict[tuple[Cell, ...], list[Part]] = {}
            for part in table:
                index.setdefault(tuple(part.cells[f] for f in shared if f in part.cells), []).append(part)
            indexes.append((shared, index))
            bound |= facts

        def extend(depth: int, cells: dict[str, Cell], period: Period) -> Iterator[Region]:
            nonlocal combined
            if depth == len(ordered):
                combined += 1
                if combined > MAX_REGIONS:
                    raise TooLarge(combined)
                self.regions_analysed += 1
                names = [*self.book.inputs, *self.book.derived]
                chosen = tuple(cells[name] for name in names if name in cells)
                example = domain.example(chosen, period)
                if example is not None:
                    yield Region(chosen, period, example)
                return
            shared, index = indexes[depth]
            for part in index.get(tuple(cells[f] for f in shared if f in cells), ()):
                if any(cells.get(fact, cell) != cell for fact, cell in part.cells.items()):
                    continue
                start, end = max(period.start, part.period.start), min(period.end, part.period.end)
                if start <= end:
                    yield from extend(depth + 1, {**cells, **part.cells}, Period(start, end))

        yield from extend(0, {}, everything)

    def premise(self, condition: Condition, periods: Sequence[Period]) -> list[Part]:
        """The regions over a condition's facts and these periods where it holds."""
        facts = condition_facts(self.book, condition)
        return [Part.of(r) for r in self.regions(facts, periods) if self.domain.holds(condition, r.example)]

    def full_outcome(self, region: Region) -> Outcome:
        """The outcome of the whole answer for the region's example request."""
        return self.outcome(self.book.questions, region.example, region.day)

    def too_large(self, what: str, error: TooLarge, at: tuple[str, ...]) -> Finding:
        return Finding("too_large", "warning", f"{what}: not analysed: {error}", at)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
