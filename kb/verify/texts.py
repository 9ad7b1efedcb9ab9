"""Texts: every text has both languages with words in them, English texts hold no Chinese, and
Chinese texts hold some (short labels such as "App" aside: a warning)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kb.model import RuleBook, Source, Text
from kb.verify.analysis import Analysis
from kb.verify.findings import Finding

KIND = "text"
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def applies(book: RuleBook) -> bool:
    return True


def every_text(book: RuleBook) -> Iterator[tuple[str, Source | None, Text]]:
    """Each text of the book with what it is and where it was defined."""
    yield "kb name", None, book.kb.name
    for name, spec in book.inputs.items():
        yield f"input '{name}' label", spec.defined_at, spec.label
        for value, words in (spec.values or {}).items():
            yield f"input '{name}' value '{value}'", spec.defined_at, words
    for bid, band in book.stages.bands.items():
        yield f"stage '{bid}' label", band.defined_at, band.label
        yield f"stage '{bid}' about", band.defined_at, band.about
    for qid, question in book.questions.items():
        yield f"question '{qid}' text", question.defined_at, question.text
        for rid, rule in question.branches.items():
            yield f"rule '{rid}' label", rule.defined_at, rule.label
    for aid, advice in book.advice.items():
        yield f"advice '{aid}' title", advice.defined_at, advice.title
        for i, step in enumerate(advice.steps, 1):
            yield f"advice '{aid}' step {i}", advice.defined_at, step
    for lid, law in book.laws.items():
        for part in ("law", "article", "summary"):
            yield f"law '{lid}' {part}", law.defined_at, getattr(law, part)
    for cid, contact in book.contacts.items():
        for part in ("name", "channel", "purpose"):
            yield f"contact '{cid}' {part}", contact.defined_at, getattr(contact, part)
    for iid, invariant in book.invariants.items():
        yield f"invariant '{iid}' says", invariant.defined_at, invariant.says


def find(analysis: Analysis) -> Iterator[Finding]:
    for what, source, text in every_text(analysis.book):
        where = (str(source),) if source else ()
        for lang in ("zh", "en"):
            if not text(lang).strip():
                yield Finding(KIND, "error", f"{what} has no {lang} words", where)
        if CJK.search(text.en):
            yield Finding(KIND, "error", f"{what}: the en text holds Chinese: {text.en!r}", where)
        if text.zh.strip() and not CJK.search(text.zh) and text.zh != text.en:
            yield Finding(KIND, "warning", f"{what}: the zh text holds no Chinese: {text.zh!r}", where)
