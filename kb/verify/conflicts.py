"""Conflicts: regions where an answer holds two advice items declared mutually exclusive
(`conflicts_with` on either of them)."""

from __future__ import annotations

from collections.abc import Iterator

from kb.model import RuleBook
from kb.verify.analysis import Analysis, Part, TooLarge
from kb.verify.findings import Finding
from kb.verify.regions import Region

KIND = "conflict"


def applies(book: RuleBook) -> bool:
    return any(advice.conflicts_with for advice in book.advice.values())


def declared_pairs(book: RuleBook) -> list[tuple[str, str]]:
    """Each declared pair once, whichever side declared it."""
    pairs: dict[frozenset[str], tuple[str, str]] = {}
    for aid, advice in book.advice.items():
        for other in advice.conflicts_with:
            if other in book.advice and other != aid:
                pairs.setdefault(frozenset((aid, other)), (aid, other))
    return list(pairs.values())


def givers(book: RuleBook, advice_ids: set[str]) -> list[str]:
    """The questions with a branch that gives any of these advice items."""
    return [
        qid
        for qid, question in book.questions.items()
        if any(advice_ids & set(rule.advice) for rule in question.branches.values())
    ]


def find(analysis: Analysis) -> Iterator[Finding]:
    book = analysis.book
    for first, second in declared_pairs(book):
        at = (str(book.advice[first].defined_at), str(book.advice[second].defined_at))
        try:
            clash = next(_clashes(analysis, first, second), None)
        except TooLarge as error:
            yield analysis.too_large(f"conflict of '{first}' and '{second}'", error, at)
            continue
        if clash is not None:
            rules = [
                f"{rid} ({rule.defined_at})"
                for qid, question in book.questions.items()
                for rid in analysis.taken(qid, clash.example, clash.day)
                for rule in (question.branches[rid],)
                if {first, second} & set(rule.advice)
            ]
            yield Finding(
                KIND,
                "error",
                f"'{first}' and '{second}' are declared to conflict but are given together, "
                f"e.g. for {clash.words()}",
                at,
                tuple(rules),
                clash.example,
            )


def _clashes(analysis: Analysis, first: str, second: str) -> Iterator[Region]:
    """Regions giving both: for each pair of questions giving one each, the join of their tables."""
    book = analysis.book

    def gives(qid: str, aid: str) -> list[Part]:
        branches = book.questions[qid].branches
        return analysis.parts(qid, lambda taken: any(aid in branches[rid].advice for rid in taken))

    for one in givers(book, {first}):
        for other in givers(book, {second}):
            if one == other:
                branches = book.questions[one].branches
                both = analysis.parts(
                    one,
                    lambda taken, b=branches: {first, second} <= {a for rid in taken for a in b[rid].advice},
                )
                tables = [both]
            else:
                tables = [gives(one, first), gives(other, second)]
            yield from analysis.join(tables)
