"""Unused ids: advice no rule gives, laws no advice or letter cites, contacts no rule names. (Dangling ids,
references to advice, contacts or laws that do not exist, are refused by the loader with their
file:line; only the loader builds a RuleBook, so lint never sees one.)"""

from __future__ import annotations

from collections.abc import Iterator

from kb.model import RuleBook
from kb.verify.analysis import Analysis
from kb.verify.findings import Finding

KIND = "reference"


def applies(book: RuleBook) -> bool:
    return True


def find(analysis: Analysis) -> Iterator[Finding]:
    book = analysis.book
    given = {aid for _, _, _, rule in book.rules for aid in rule.advice}
    named = {cid for _, _, _, rule in book.rules for cid in rule.contacts}
    cited = {law for advice in book.advice.values() for law in advice.legal_basis}
    cited |= {law for letter in book.letters.values() for law in letter.legal_basis}
    for aid, advice in book.advice.items():
        if aid not in given:
            yield Finding(KIND, "error", f"advice '{aid}' is given by no rule", (str(advice.defined_at),))
    for cid, contact in book.contacts.items():
        if cid not in named:
            yield Finding(KIND, "error", f"contact '{cid}' is named by no rule", (str(contact.defined_at),))
    for lid, law in book.laws.items():
        if lid not in cited:
            reason = f"law '{lid}' is cited by no advice or letter"
            yield Finding(KIND, "error", reason, (str(law.defined_at),))
