"""Letters: a letter kind that fits no valid borrower on any date, or whose legal basis is out of
force on every date it could be written (the answer would offer a letter citing nothing)."""

from __future__ import annotations

from collections.abc import Iterator

from kb.model import RuleBook
from kb.verify.analysis import Analysis, TooLarge
from kb.verify.findings import Finding
from kb.verify.regions import condition_facts, in_force_cuts

KIND = "letter"


def applies(book: RuleBook) -> bool:
    return bool(book.letters)


def find(analysis: Analysis) -> Iterator[Finding]:
    book = analysis.book
    domain = analysis.domain
    periods = domain.periods(())
    for kind, letter in book.letters.items():
        where = (str(letter.defined_at),)
        try:
            regions = analysis.regions(condition_facts(book, letter.when), periods)
            fitting = next((r for r in regions if domain.holds(letter.when, r.example)), None)
        except TooLarge as error:
            yield analysis.too_large(f"letter '{kind}'", error, where)
            continue
        if fitting is None:
            reason = f"letter '{kind}' fits no valid borrower on any date"
            yield Finding(KIND, "error", reason, where, (kind,))
        laws = [book.laws[law_id] for law_id in letter.legal_basis]
        cuts = set(in_force_cuts(book.kb.in_force)).union(*(in_force_cuts(law.in_force) for law in laws))
        uncited = [
            period
            for period in domain.periods(cuts)
            if book.kb.in_force.covers(day := domain.day_of(period))
            and not any(law.in_force.covers(day) for law in laws)
        ]
        if uncited:
            first = uncited[0]
            yield Finding(
                KIND,
                "warning",
                f"letter '{kind}' cites no law in force on {first.start}..{first.end}",
                where,
                (kind,),
            )

