"""Preconditions: regions where an advice item is given although the facts it presupposes (its
`needs`) do not hold — a credit-card item for a borrower without a card, a payment-order item
without a payment order. Noise for the borrower, and a sign that a branch is too wide."""

from __future__ import annotations

from collections.abc import Iterator

from kb.conditions import ALWAYS, Not
from kb.model import RuleBook
from kb.verify.analysis import Analysis, TooLarge
from kb.verify.conflicts import givers
from kb.verify.findings import Finding
from kb.verify.regions import Period

KIND = "precondition"


def applies(book: RuleBook) -> bool:
    return any(advice.needs != ALWAYS for advice in book.advice.values())


def find(analysis: Analysis) -> Iterator[Finding]:
    book = analysis.book
    domain = analysis.domain
    everything = [Period(domain.first_day, domain.last_day)]
    for aid, advice in book.advice.items():
        if advice.needs == ALWAYS:
            continue
        at = (str(advice.defined_at),)
        try:
            lacking = analysis.premise(Not(advice.needs), everything)
            for qid in givers(book, {aid}):
                branches = book.questions[qid].branches
                giving = analysis.parts(
                    qid, lambda taken, b=branches, a=aid: any(a in b[r].advice for r in taken)
                )
                region = next(analysis.join([giving, lacking]), None)
                if region is None:
                    continue
                rules = [
                    f"{rid} ({branches[rid].defined_at})"
                    for rid in analysis.taken(qid, region.example, region.day)
                    if aid in branches[rid].advice
                ]
                yield Finding(
                    KIND,
                    "error",
                    f"'{aid}' is given where what it needs does not hold, e.g. for {region.words()}",
                    at,
                    tuple(rules),
                    region.example,
                )
        except TooLarge as error:
            yield analysis.too_large(f"the needs of '{aid}'", error, at)
