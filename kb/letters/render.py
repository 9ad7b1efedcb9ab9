"""Which letters fit a case, why one does not, and a letter's text for one borrower.

Whether a letter fits is decided by the engine like every answer (rule `letter__<kind>`); this
module reads the engine's result. Only the words of a refusal come from the reference evaluator,
which names the parts of the letter's condition that the facts do not meet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from kb.compiler import letter_rule
from kb.conditions import All, Condition
from kb.letters.request import UNKNOWN_DETAIL
from kb.letters.templates import compiled
from kb.model import Lang, RuleBook
from kb.reference import holds
from kb.wording import describe

BLANK = "＿＿＿＿"
# C0 controls but tab and newline, and DEL: shown as their Unicode control pictures (␀ … ␟, ␡), in
# both formats alike, since a .docx (XML) cannot hold them at all
_C0 = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# C1 controls, lone surrogates and the XML non-characters: no picture exists, so U+FFFD
_UNPRINTABLE = re.compile(r"[\x80-\x9f\ud800-\udfff\ufffe\uffff]")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


class Blank(str):
    """A detail not given: prints as a visible blank to fill by hand, and is false in `{% if %}`."""

    def __new__(cls) -> Blank:
        return super().__new__(cls, BLANK)

    def __bool__(self) -> bool:
        return False


class DetailsError(ValueError):
    """Details the letter does not take; `errors` as [{field, message}]."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))


class DoesNotFit(ValueError):
    """The letter kind does not fit the facts; `unmet` says which parts of its condition fail."""

    def __init__(self, kind: str, unmet: list[str]) -> None:
        self.kind = kind
        self.unmet = unmet
        super().__init__(f"the letter '{kind}' does not fit these facts: not met: {'; '.join(unmet)}")


@dataclass(frozen=True)
class RenderedLetter:
    kind: str
    lang: Lang
    title: str
    lines: tuple[str, ...]  # the body, one line each; an empty string is a paragraph break

    def text(self) -> str:
        return "\n".join((self.title, "", *self.lines)) + "\n"


def documents(book: RuleBook, fired: Iterable[str]) -> list[str]:
    """The letter kinds the engine found to fit, most urgent first (priority, then catalogue order)."""
    fired = set(fired)
    order = list(book.letters)
    chosen = [kind for kind in book.letters if letter_rule(kind) in fired]
    return sorted(chosen, key=lambda kind: (book.letters[kind].priority, order.index(kind)))


def fits(book: RuleBook, kind: str, fired: Iterable[str]) -> bool:
    return letter_rule(kind) in set(fired)


def unmet(book: RuleBook, kind: str, facts: Mapping[str, Any], as_of: date, lang: Lang) -> list[str]:
    """The parts of the letter's condition these facts do not meet, in words."""
    condition: Condition = book.letters[kind].when
    derived = book.derive(facts, as_of)
    parts = condition.parts if isinstance(condition, All) else (condition,)
    return [describe(book, part, lang) for part in parts if not holds(book, part, derived)]


def clean(value: Any) -> str:
    """A detail as literal text: numbers in plain notation, line ends as newlines, control characters
    as visible symbols."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = format(value, "f").rstrip("0").rstrip(".") if value == value else "NaN"
    else:
        text = str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _C0.sub(lambda m: chr(0x2421) if m.group() == "\x7f" else chr(0x2400 + ord(m.group())), text)
    return _UNPRINTABLE.sub("\ufffd", text)


def check_details(book: RuleBook, kind: str, details: Mapping[str, Any]) -> None:
    fields = book.letters[kind].fields
    unknown = [name for name in details if name not in fields]
    if unknown:
        message = UNKNOWN_DETAIL.format(", ".join(fields) or "none")
        raise DetailsError([{"field": f"details.{name}", "message": message} for name in unknown])


def day_words(day: date, lang: Lang) -> str:
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def context(
    book: RuleBook, kind: str, facts: Mapping[str, Any], as_of: date, details: Mapping[str, Any], lang: Lang
) -> dict[str, Any]:
    letter = book.letters[kind]
    values: dict[str, Any] = {
        name: clean(details[name]) if details.get(name) not in (None, "") else Blank()
        for name in letter.fields
    }
    served = facts.get("served_days_ago")
    served_on = as_of - timedelta(days=served) if served is not None else None
    last_day = served_on + timedelta(days=letter.limit.days) if served_on and letter.limit else None
    citations = [
        _citation(law.law(lang), law.article(lang), lang)
        for law in (book.laws[law_id] for law_id in letter.legal_basis)
        if law.in_force.covers(as_of)
    ]
    values.update(
        today=day_words(as_of, lang),
        served_on=day_words(served_on, lang) if served_on else Blank(),
        last_day=day_words(last_day, lang) if last_day else Blank(),
        days_left=(last_day - as_of).days if last_day else None,
        citations=citations,
        facts=dict(facts),
        blank=Blank(),
    )
    return values


def _citation(law: str, article: str, lang: Lang) -> str:
    if lang == "zh":  # a title inside a title takes the single angle brackets
        return "《" + law.replace("《", "〈").replace("》", "〉") + "》" + article
    return f"{law}, {article}"


def render(
    book: RuleBook,
    kind: str,
    facts: Mapping[str, Any],
    as_of: date,
    details: Mapping[str, Any],
    lang: Lang,
) -> RenderedLetter:
    """The letter for these facts and details (it is the caller's part to check that it fits)."""
    check_details(book, kind, details)
    letter = book.letters[kind]
    text = compiled(letter.body(lang)).render(context(book, kind, facts, as_of, details, lang))
    lines: list[str] = []
    for line in text.strip("\n").split("\n"):
        line = line.rstrip()
        if line or (lines and lines[-1]):  # one empty line at most between paragraphs
            lines.append(line)
    return RenderedLetter(kind, lang, letter.title(lang), tuple(lines))
