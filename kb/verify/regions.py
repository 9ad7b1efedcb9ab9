"""The input domain cut into finitely many regions, on each of which every rule is constant.

Every number is cut at the thresholds the rules use (band edges; `min`, `max`, `above`, `below`
values; the input's own `min` and `max`), every set into the combinations of the values the rules
name, and `as_of` at every effective date (rules, laws, invariants and the knowledge base: each
`from`, and each `until` plus one day). A cell of one fact holds values that meet exactly the same
tests, so one example value stands for all of them; a region picks one cell for each fact an
analysis looks at, and one period of dates. Checks enumerate regions only over the facts their
question (or pair of advice, or invariant) mentions, never over every input at once.

A region counts only when a valid request falls in it (the request model refuses, for example,
harassment kinds without harassment); its example is such a request, in full.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from pydantic import ValidationError

from kb.conditions import Condition, Test, tests
from kb.facts import COMPANIONS, EARLIEST, LATEST, AdviceRequest, check_contract
from kb.model import InForce, Input, Question, RuleBook
from kb.reference import holds

# The most regions one analysis may enumerate; past it the analysis reports that it gave up.
MAX_REGIONS = 250_000
EXAMPLE_LANG = "en"


@dataclass(frozen=True)
class Cell:
    """A piece of one fact's domain: every value in it meets the same tests as `value`.

    `span` is the first and last value of an integer or date cell, both included.
    """

    fact: str
    value: Any
    words: str
    span: tuple[Any, Any] | None = None


@dataclass(frozen=True, order=True)
class Period:
    """Dates from `start` to `end`, both included, on which no rule, law or invariant changes."""

    start: date
    end: date

    def __str__(self) -> str:
        return self.start.isoformat() if self.start == self.end else f"{self.start}..{self.end}"

    def within(self, in_force: InForce) -> bool:
        """Whether these dates are in force (cut at its dates, a period is wholly in or out)."""
        return in_force.covers(self.start)


@dataclass(frozen=True)
class Region:
    cells: tuple[Cell, ...]
    period: Period
    example: Mapping[str, Any] = field(compare=False)

    @property
    def day(self) -> date:
        """The example's date (any date of the period would do)."""
        return date.fromisoformat(self.example["as_of"])

    def words(self) -> str:
        return ", ".join([*(c.words for c in self.cells), f"as_of {self.period}"])


def in_force_cuts(in_force: InForce) -> set[date]:
    """The first day of each stretch that `in_force` starts or ends."""
    cuts = set()
    if in_force.start:
        cuts.add(in_force.start)
    if in_force.until and in_force.until < date.max:
        cuts.add(in_force.until + timedelta(days=1))
    return cuts


def condition_facts(book: RuleBook, condition: Condition) -> set[str]:
    """The facts a condition reads: `stage` reads the input the bands are of (and the days until
    due, when the rules know a stage before the due date); a derived fact is read as itself."""
    found = set()
    for test in tests(condition):
        if test.fact == "stage":
            found.add(book.stages.of)
            if book.stages.ahead is not None:
                found.add(book.stages.ahead.of)
        else:
            found.add(test.fact)
    return found


def question_facts(book: RuleBook, question: Question) -> set[str]:
    found = condition_facts(book, question.ask_if)
    for rule in question.branches.values():
        found |= condition_facts(book, rule.when)
    return found


def question_cuts(question: Question) -> set[date]:
    return {day for rule in question.branches.values() for day in in_force_cuts(rule.in_force)}


class Domain:
    """The cells of every input and the dates of one rule book, and which requests are valid.

    Built once per rule book and shared by every check; the cells use the thresholds of the whole
    book, so that regions of different checks line up.
    """

    def __init__(self, book: RuleBook, also: RuleBook | None = None) -> None:
        """`also`: another book whose thresholds cut the domain too (to compare two versions)."""
        self.book = book
        self.first_day = EARLIEST
        self.last_day = LATEST
        # Requests are checked by the API's own model, on the fields it knows; rules that lack a
        # field the API requires cannot be checked that way (the contract check reports them).
        self._api_fields = set(AdviceRequest.model_fields)
        required = {name for name, info in AdviceRequest.model_fields.items() if info.is_required()}
        self.contract_problems = tuple(check_contract(book))
        self.checks_requests = required <= set(book.inputs)
        self._tests = _all_tests(book)
        if also is not None:
            for name, found in _all_tests(also).items():
                if name in book.inputs or name in book.derived:
                    self._tests.setdefault(name, []).extend(found)
        self.cells: dict[str, tuple[Cell, ...]] = {
            name: _cells(book, name, spec, self._tests.get(name, [])) for name, spec in book.inputs.items()
        }
        for name in book.derived:
            self.cells[name] = _date_cells(name, self._tests.get(name, []))
        self.baseline = {name: self._baseline(name) for name in book.inputs}
        self._valid: dict[tuple[Any, ...], bool] = {}

    @cached_property
    def every_cut(self) -> frozenset[date]:
        """Every effective date in the book."""
        book = self.book
        cuts = in_force_cuts(book.kb.in_force)
        for question in book.questions.values():
            cuts |= question_cuts(question)
        for law in book.laws.values():
            cuts |= in_force_cuts(law.in_force)
        for invariant in book.invariants.values():
            cuts |= in_force_cuts(invariant.in_force)
        return frozenset(cuts)

    def thresholds(self, name: str) -> list[Any]:
        """The values where a fact's cells change, for tests that favour them (each cell's example)."""
        return [cell.value for cell in self.cells[name]]

    def periods(self, cuts: Iterable[date], within: InForce | None = None) -> tuple[Period, ...]:
        """The dates the API accepts, cut at `cuts`; only those in `within` when given."""
        starts = sorted({self.first_day, *(d for d in cuts if self.first_day < d <= self.last_day)})
        ends = [d - timedelta(days=1) for d in starts[1:]] + [self.last_day]
        found = tuple(Period(s, e) for s, e in zip(starts, ends, strict=True))
        if within is None:
            return found
        return tuple(p for p in found if p.within(within))

    def day_of(self, period: Period) -> date:
        """The example date of a period: the first day the rules speak for (`kb.in_force`), if in it."""
        start = self.book.kb.in_force.start
        return start if start and period.start < start <= period.end else period.start

    def size(self, facts: Iterable[str], periods: Sequence[Period]) -> int:
        return math.prod(len(self.cells[name]) for name in facts) * len(periods)

    def regions(self, facts: Iterable[str], periods: Sequence[Period]) -> Iterator[Region]:
        """Every region over these facts and periods in which some valid request falls."""
        wanted = set(facts)
        names = [name for name in [*self.book.inputs, *self.book.derived] if name in wanted]
        for period in periods:
            for cells in itertools.product(*(self.cells[name] for name in names)):
                example = self.example(cells, period)
                if example is not None:
                    yield Region(cells, period, example)

    def example(self, cells: Sequence[Cell], period: Period) -> dict[str, Any] | None:
        """A full valid request body in these cells and period, or None when there is none.

        Facts outside `cells` take their baseline value, or, when that makes the request invalid,
        the first value of one of their cells that makes it valid. A derived fact's cell is met by
        choosing its input and the date together.
        """
        chosen = {cell.fact: cell.value for cell in cells if cell.fact in self.book.inputs}
        day: date | None = self.day_of(period)
        for cell in cells:
            if cell.fact in self.book.derived:
                day = self._solve(cell, cells, period, chosen)
                if day is None:
                    return None
        assert day is not None
        values = {**self.baseline, **chosen}
        for name, (other, allowed) in COMPANIONS.items():  # a field that goes only with another's value
            given = values.get(name) not in (None, ())
            if given and other in values and values[other] not in allowed:
                if other in chosen:
                    return None  # the two cells never go together: no request falls here
                values[other] = next((v for v in self.thresholds(other) if v in allowed), values[other])
        body = self._body(values, day)
        if self._accepts(body):
            return body
        for name in self.book.inputs:
            if name in chosen:
                continue
            for cell in self.cells[name]:
                body = self._body({**self.baseline, **chosen, name: cell.value}, day)
                if self._accepts(body):
                    return body
        return None

    def _solve(
        self, derived: Cell, cells: Sequence[Cell], period: Period, chosen: dict[str, Any]
    ) -> date | None:
        """A date in `period` and a value of the derived fact's input (set in `chosen`) that put
        `as_of - input` in the derived cell, within the input's own cell if one is chosen."""
        source = self.book.derived[derived.fact].as_of_minus
        spec = self.book.inputs[source]
        own = next((cell for cell in cells if cell.fact == source), None)
        low, high = own.span if own and own.span else (int(spec.min or 0), int(spec.max or 0))
        first, last = derived.span or (date.min, date.max)
        earliest = max(first.toordinal(), period.start.toordinal() - high)
        latest = min(last.toordinal(), period.end.toordinal() - low)
        if earliest > latest:
            return None
        value = earliest
        lowest_day = max(period.start.toordinal(), value + low)
        highest_day = min(period.end.toordinal(), value + high)
        preferred = self.day_of(period).toordinal()
        day = min(max(preferred, lowest_day), highest_day)
        chosen[source] = day - value
        return date.fromordinal(day)

    def holds(self, condition: Condition, example: Mapping[str, Any]) -> bool:
        return holds(self.book, condition, example)

    def _body(self, values: Mapping[str, Any], day: date) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for name, spec in self.book.inputs.items():
            value = values[name]
            body[name] = list(value) if spec.type == "set" else value
        return {**body, "lang": EXAMPLE_LANG, "as_of": day.isoformat()}

    def _accepts(self, body: Mapping[str, Any]) -> bool:
        if not self.checks_requests:
            return True  # the model's own domains are all there is
        fields = {k: v for k, v in body.items() if k in self._api_fields}
        key = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in fields.items())
        if key not in self._valid:
            try:
                # the Python form of the JSON body (a date object for as_of), checked as strictly
                AdviceRequest.model_validate({**fields, "as_of": date.fromisoformat(fields["as_of"])})
                self._valid[key] = True
            except ValidationError:
                self._valid[key] = False
        return self._valid[key]

    def _baseline(self, name: str) -> Any:
        """The API's default for an optional field, else the first cell's value."""
        if self.checks_requests:
            info = AdviceRequest.model_fields.get(name)
            if info is not None and not info.is_required():
                default = info.get_default(call_default_factory=True)
                return tuple(default) if isinstance(default, list) else default
        if name == "harassment" or self.book.inputs[name].type == "boolean":
            return False
        return self.cells[name][0].value


def _all_tests(book: RuleBook) -> dict[str, list[Test]]:
    """Every test in the book by the input it reads (stage tests become band edges)."""
    found: dict[str, list[Test]] = {}
    conditions: list[Condition] = []
    for question in book.questions.values():
        conditions.append(question.ask_if)
        conditions.extend(rule.when for rule in question.branches.values())
    conditions.extend(invariant.given for invariant in book.invariants.values())
    conditions.extend(advice.needs for advice in book.advice.values())
    conditions.extend(letter.when for letter in book.letters.values())
    for condition in conditions:
        for test in tests(condition):
            if test.fact != "stage":
                found.setdefault(test.fact, []).append(test)
    edges = found.setdefault(book.stages.of, [])
    for band in book.stages.bands.values():
        edges += [Test(book.stages.of, "min", band.min), Test(book.stages.of, "max", band.max)]
    return found


def _cells(book: RuleBook, name: str, spec: Input, found: list[Test]) -> tuple[Cell, ...]:
    if spec.type == "integer":
        cells = _integer_cells(name, spec, found)
    elif spec.type == "number":
        cells = _number_cells(name, spec, found)
    elif spec.type == "boolean":
        cells = [Cell(name, value, f"{name} {str(value).lower()}") for value in (False, True)]
    elif spec.type == "enum":
        cells = [Cell(name, value, f"{name} {value}") for value in spec.values or {}]
    else:
        cells = _set_cells(name, spec, found)
    if spec.nullable:
        cells.append(Cell(name, None, f"{name} unknown"))
    return tuple(cells)


def _integer_cells(name: str, spec: Input, found: list[Test]) -> list[Cell]:
    low, high = math.ceil(spec.min or 0), math.floor(spec.max or 0)
    starts = {low}
    for test in found:
        value = test.value
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        start = math.ceil(value) if test.op in ("min", "below") else math.floor(value) + 1
        if low < start <= high:
            starts.add(start)
    ordered = sorted(starts)
    cells = []
    for begin, after in zip(ordered, [*ordered[1:], high + 1], strict=True):
        end = after - 1
        words = f"{name} {begin}" if begin == end else f"{name} {begin}..{end}"
        cells.append(Cell(name, begin, words, (begin, end)))
    return cells


def _date_cells(name: str, found: list[Test]) -> tuple[Cell, ...]:
    """A derived date cut at every date its tests name (the same cuts as an integer's)."""
    starts = {date.min}
    for test in found:
        day = test.value
        start = day if test.op in ("min", "below") else day + timedelta(days=1)
        if date.min < start:
            starts.add(start)
    ordered = sorted(starts)
    cells = []
    for begin, after in zip(ordered, [*ordered[1:], None], strict=True):
        end = after - timedelta(days=1) if after else date.max
        if begin == date.min:
            words = f"{name} before {after}" if after else f"{name} any"
            value = end if after else date(2000, 1, 1)
        elif after is None:
            words, value = f"{name} from {begin}", begin
        else:
            words, value = f"{name} {begin}..{end}", begin
        cells.append(Cell(name, value, words, (begin, end)))
    return tuple(cells)


def _number_cells(name: str, spec: Input, found: list[Test]) -> list[Cell]:
    low, high = spec.min or 0, spec.max or 0
    points = {low, high}
    for test in found:
        if (
            isinstance(test.value, (int, float))
            and not isinstance(test.value, bool)
            and low <= test.value <= high
        ):
            points.add(test.value)
    ordered = sorted(points)
    cells = [Cell(name, _plain(ordered[0]), f"{name} {_plain(ordered[0])}")]
    for below, above in itertools.pairwise(ordered):
        inside = below + 1 if below + 1 < above else (below + above) / 2
        cells.append(Cell(name, _plain(inside), f"{_plain(below)} < {name} < {_plain(above)}"))
        cells.append(Cell(name, _plain(above), f"{name} {_plain(above)}"))
    return cells


def _set_cells(name: str, spec: Input, found: list[Test]) -> list[Cell]:
    values = list(spec.values or {})
    named = [v for v in values if any(t.op == "contains" and t.value == v for t in found)]
    others = [v for v in values if v not in named]
    cells = []
    for size in range(len(named) + 1):
        for chosen in itertools.combinations(named, size):
            for other in (False, True) if others else (False,):
                members = tuple(v for v in values if v in chosen or (other and v == others[0]))
                words = f"{name} [{', '.join(chosen)}{', another' if other else ''}]"
                cells.append(Cell(name, members, words))
    return cells


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
