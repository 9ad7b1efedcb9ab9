"""Gaps: a `days_overdue` region in no stage band, a `choose: one` question asked where no branch
holds, or a region where the answer would hold no action at all."""

from __future__ import annotations

from collections.abc import Iterator

from kb.conditions import ALWAYS
from kb.model import RuleBook
from kb.verify.analysis import Analysis
from kb.verify.findings import Finding

KIND = "gap"


def applies(book: RuleBook) -> bool:
    return bool(book.questions)


def find(analysis: Analysis) -> Iterator[Finding]:
    yield from _stage_gaps(analysis)
    for qid, question in analysis.book.questions.items():
        if question.choose != "one":
            continue
        rows = [row for row in analysis.table(qid) if row.asked and not row.holding]
        if rows:
            branches = question.branches
            yield Finding(
                KIND,
                "error",
                f"question '{qid}' (choose: one) has no branch for {len(rows)} of "
                f"{len(analysis.table(qid))} regions, e.g. {rows[0].region.words()}",
                (str(question.defined_at),),
                tuple(f"{rid} ({rule.defined_at})" for rid, rule in branches.items()),
                rows[0].region.example,
            )
    yield from _no_action(analysis)


def _stage_gaps(analysis: Analysis) -> Iterator[Finding]:
    """Every cell of the staged input lies inside exactly one band (the loader checks it too)."""
    book = analysis.book
    for cell in analysis.domain.cells[book.stages.of]:
        inside = [bid for bid, band in book.stages.bands.items() if band.min <= cell.value <= band.max]
        if len(inside) != 1:
            what = "no stage band" if not inside else f"several stage bands ({', '.join(inside)})"
            example = analysis.domain.example([cell], analysis.domain.periods(())[0])
            yield Finding(
                KIND,
                "error",
                f"{cell.words} is in {what}",
                (str(book.inputs[book.stages.of].defined_at),),
                example=example,
            )


def _no_action(analysis: Analysis) -> Iterator[Finding]:
    """Some action in every answer: where every question that can give one gives none, there is none."""
    book = analysis.book

    def acts(qid: str, taken: tuple[str, ...]) -> bool:
        branches = book.questions[qid].branches
        return any(book.advice[a].kind == "action" for rid in taken for a in branches[rid].advice)

    giving = [
        qid for qid, question in book.questions.items() if any(acts(qid, (rid,)) for rid in question.branches)
    ]
    tables = [analysis.parts(qid, lambda taken, q=qid: not acts(q, taken)) for qid in giving]
    everywhere = analysis.premise(ALWAYS, analysis.domain.periods(()))
    region = next(analysis.join([everywhere, *tables]), None)
    if region is not None:
        yield Finding(KIND, "error", f"no action at all for {region.words()}", example=region.example)
