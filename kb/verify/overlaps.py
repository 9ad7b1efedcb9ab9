"""Overlaps: a `choose: one` question where more than one branch holds for the same borrower.

The answer takes the first, so the later one is silently lost there: exactly one branch must
apply to every borrower (rules/README.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from kb.model import RuleBook
from kb.verify.analysis import Analysis, Row
from kb.verify.findings import Finding

KIND = "overlap"


def applies(book: RuleBook) -> bool:
    return any(q.choose == "one" and len(q.branches) > 1 for q in book.questions.values())


def find(analysis: Analysis) -> Iterator[Finding]:
    for qid, question in analysis.book.questions.items():
        if question.choose != "one":
            continue
        pairs: dict[tuple[str, str], list[Row]] = {}
        for row in analysis.table(qid):
            if row.asked:
                for pair in itertools.combinations(row.holding, 2):
                    pairs.setdefault(pair, []).append(row)
        for (first, second), rows in pairs.items():
            one, other = question.branches[first], question.branches[second]
            yield Finding(
                KIND,
                "error",
                f"question '{qid}' (choose: one): '{first}' and '{second}' both hold for {len(rows)} "
                f"regions, e.g. {rows[0].region.words()}; only '{first}' is taken there",
                (str(other.defined_at), str(one.defined_at)),
                (f"{first} ({one.defined_at})", f"{second} ({other.defined_at})"),
                rows[0].region.example,
            )
