"""Dead rules: a branch no valid borrower ever takes, because its condition (with its question's
`ask_if` and its dates) holds nowhere, its dates lie outside those the API accepts, or an earlier
branch of a `choose: one` question holds wherever it does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from kb.model import InForce, RuleBook
from kb.verify.analysis import Analysis
from kb.verify.findings import Finding

KIND = "dead_rule"


def applies(book: RuleBook) -> bool:
    return bool(book.questions)


def find(analysis: Analysis) -> Iterator[Finding]:
    book = analysis.book
    domain = analysis.domain
    for qid, question in book.questions.items():
        table = analysis.table(qid)
        if not any(row.asked for row in table):
            yield Finding(
                KIND,
                "error",
                f"question '{qid}' is never asked: its 'ask_if' holds for no valid input",
                (str(question.defined_at),),
                tuple(question.branches),
            )
            continue
        for rid, rule in question.branches.items():
            where = (str(rule.defined_at),)
            if not _overlaps(rule.in_force, domain.first_day, domain.last_day):
                yield Finding(
                    KIND,
                    "error",
                    f"rule '{rid}' is in force only outside the dates the API accepts "
                    f"({domain.first_day}..{domain.last_day})",
                    where,
                    (rid,),
                )
                continue
            holding = [row for row in table if row.asked and rid in row.holding]
            if not holding:
                yield Finding(
                    KIND,
                    "error",
                    f"rule '{rid}': no valid input satisfies its condition on any date",
                    where,
                    (rid,),
                )
            elif not any(rid in row.taken for row in holding):
                masking = sorted({row.taken[0] for row in holding}, key=list(question.branches).index)
                yield Finding(
                    KIND,
                    "error",
                    f"rule '{rid}' is always masked by earlier branches of '{qid}' (choose: one): "
                    f"{', '.join(masking)} {'holds' if len(masking) == 1 else 'hold'} wherever it does, "
                    f"e.g. {holding[0].region.words()}",
                    where + tuple(str(question.branches[m].defined_at) for m in masking),
                    tuple(f"{r} ({question.branches[r].defined_at})" for r in (rid, *masking)),
                    holding[0].region.example,
                )


def _overlaps(in_force: InForce, first: date, last: date) -> bool:
    return (in_force.start is None or in_force.start <= last) and (
        in_force.until is None or in_force.until >= first
    )
