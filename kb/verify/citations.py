"""Citations by date: an advice item citing a law that is out of force on every date the advice is
given, and an advice item (not marked `practice`) given on dates when none of its laws is in force,
so that the answer would cite nothing. Dates are those of the rules (`kb.in_force`); the dates the
API accepts beyond them are reported once, as a warning."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from kb.model import InForce, RuleBook
from kb.verify.analysis import Analysis, Row
from kb.verify.findings import Finding
from kb.verify.regions import Period, in_force_cuts

KIND = "citation"


@dataclass(frozen=True)
class Given:
    """Where one rule gives one advice item: a row of its question's table, narrowed to dates."""

    rule: str
    row: Row
    period: Period


def applies(book: RuleBook) -> bool:
    return any(advice.legal_basis for advice in book.advice.values())


def find(analysis: Analysis) -> Iterator[Finding]:
    book = analysis.book
    yield from _outside_the_rules_dates(analysis)
    for aid, advice in book.advice.items():
        if not advice.legal_basis:
            continue
        cuts = {day for lid in advice.legal_basis for day in in_force_cuts(book.laws[lid].in_force)}
        given = list(_given(analysis, aid, cuts))
        analysis.regions_analysed += len(given)
        if not given:
            continue  # given by no rule, or only by dead ones: reported by those checks
        for lid in advice.legal_basis:
            law = book.laws[lid]
            if not any(law.in_force.covers(g.period.start) for g in given):
                first = given[0]
                yield Finding(
                    KIND,
                    "error",
                    f"advice '{aid}' cites '{lid}' ({_dates(law.in_force)}), out of force on every date "
                    f"the advice is given (e.g. {first.period})",
                    (str(advice.defined_at), str(law.defined_at)),
                    _located(book, given),
                    _on(first),
                )
        if advice.practice:
            continue
        uncited = [
            g
            for g in given
            if not any(book.laws[lid].in_force.covers(g.period.start) for lid in advice.legal_basis)
        ]
        if uncited:
            periods = _merged(sorted({g.period for g in uncited}))
            yield Finding(
                KIND,
                "error",
                f"advice '{aid}' (not marked practice) is given with none of its laws in force on "
                f"{', '.join(str(p) for p in periods)}: the answer would cite nothing",
                (str(advice.defined_at),),
                _located(book, uncited),
                _on(uncited[0]),
            )


def _given(analysis: Analysis, aid: str, cuts: set[date]) -> Iterator[Given]:
    """Every (rule, region, period) where the answer takes a rule giving `aid`, within the rules' dates."""
    book = analysis.book
    within = book.kb.in_force
    inner = analysis.domain.periods(cuts | in_force_cuts(within), within)
    for qid, question in book.questions.items():
        givers = [rid for rid, rule in question.branches.items() if aid in rule.advice]
        if not givers:
            continue
        for row in analysis.table(qid):
            for rid in givers:
                if rid not in row.taken:
                    continue
                span = row.region.period
                for period in inner:
                    if period.start <= span.end and period.end >= span.start:
                        yield Given(
                            rid, row, Period(max(period.start, span.start), min(period.end, span.end))
                        )


def _located(book: RuleBook, given: list[Given]) -> tuple[str, ...]:
    where = {rid: rule.defined_at for _, _, rid, rule in book.rules}
    return tuple(f"{rid} ({where[rid]})" for rid in dict.fromkeys(g.rule for g in given))


def _on(given: Given) -> dict[str, Any]:
    return {**given.row.region.example, "as_of": given.period.start.isoformat()}


def _merged(periods: list[Period]) -> list[Period]:
    out: list[Period] = []
    for period in periods:
        if out and out[-1].end + timedelta(days=1) >= period.start:
            out[-1] = Period(out[-1].start, max(out[-1].end, period.end))
        else:
            out.append(period)
    return out


def _dates(in_force: InForce) -> str:
    parts = []
    if in_force.start:
        parts.append(f"from {in_force.start}")
    if in_force.until:
        parts.append(f"until {in_force.until}")
    return ", ".join(parts) or "always"


def _outside_the_rules_dates(analysis: Analysis) -> Iterator[Finding]:
    within = analysis.book.kb.in_force
    outside = [p for p in analysis.domain.periods(in_force_cuts(within)) if not p.within(within)]
    if outside:
        yield Finding(
            KIND,
            "warning",
            f"the API accepts as_of on {', '.join(str(p) for p in outside)}, outside the dates the rules "
            "are written for (kb.in_force): citations are not checked there",
        )
