"""Assemble the answer from the rules that fired: texts in one language, citations, trace, path.

The order never depends on the engine's firing order: questions and branches in tree order,
actions by priority then by the position of the first rule that gave them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_json

from kb.compiler import asked_rule
from kb.conditions import ALWAYS
from kb.model import Lang, RuleBook
from kb.wording import describe, describe_dates


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class StageOut(_Out):
    id: str
    label: str
    about: str


class Citation(_Out):
    id: str
    law: str
    article: str
    summary: str
    source: str
    binding: bool = Field(description="false for self-regulation and standards, which are not law")


class Item(_Out):
    id: str
    title: str
    steps: list[str]
    priority: int = Field(description="1 = most urgent")
    legal_basis: list[Citation]
    practice: bool = Field(description="practical guidance that rests on no article")


class ContactOut(_Out):
    id: str
    name: str
    channel: str
    purpose: str


class TraceEntry(_Out):
    rule: str
    question: str
    because: str


class Answer(_Out):
    kb_version: str
    as_of: date
    lang: Lang
    stage: StageOut
    actions: list[Item]
    avoid: list[Item]
    contacts: list[ContactOut]
    legal_basis: list[Citation]
    trace: list[TraceEntry]
    path: list[str]
    diagram_url: str

    def json_bytes(self) -> bytes:
        """The answer as UTF-8 JSON, exactly the bytes of model_dump_json()."""
        return to_json(self)


def taken_path(book: RuleBook, fired: frozenset[str]) -> list[tuple[str, list[str]]]:
    """Each asked question with the branches taken, in tree order."""
    path = []
    for qid, question in book.questions.items():
        if question.ask_if != ALWAYS and asked_rule(qid) not in fired:
            continue
        taken = [rid for rid in question.branches if rid in fired]
        path.append((qid, taken[:1] if question.choose == "one" else taken))
    return path


class Ranked(NamedTuple):
    """The ids an answer holds, in its order: actions and avoid by priority, then by the position of
    the first rule that gave them; contacts in rule order."""

    actions: tuple[str, ...]
    avoid: tuple[str, ...]
    contacts: tuple[str, ...]


def ranked(book: RuleBook, path: Iterable[tuple[str, Sequence[str]]]) -> Ranked:
    order: dict[str, int] = {}
    contacts: list[str] = []
    for qid, taken in path:
        for rid in taken:
            rule = book.questions[qid].branches[rid]
            for aid in rule.advice:
                order.setdefault(aid, len(order))
            contacts.extend(c for c in rule.contacts if c not in contacts)

    def of_kind(kind: str) -> tuple[str, ...]:
        chosen = [aid for aid in order if book.advice[aid].kind == kind]
        return tuple(sorted(chosen, key=lambda aid: (book.advice[aid].priority, order[aid])))

    return Ranked(of_kind("action"), of_kind("avoid"), tuple(contacts))


class Presenter:
    """The answer texts of one rule book, built once per language (and date range) and reused.

    Every piece is a frozen model, so sharing them between answers and threads is safe.
    """

    def __init__(self, book: RuleBook) -> None:
        self.book = book
        self._items: dict[tuple[str, Lang, frozenset[str]], Item] = {}
        self._in_force: dict[date, frozenset[str]] = {}
        self._because: dict[tuple[str, str, Lang], str] = {}
        self._contacts: dict[tuple[str, Lang], ContactOut] = {}

    def laws_in_force(self, as_of: date) -> frozenset[str]:
        if as_of not in self._in_force:
            if len(self._in_force) > 1024:  # requests may ask for any date: keep the cache bounded
                self._in_force.clear()
            laws = frozenset(law_id for law_id, law in self.book.laws.items() if law.in_force.covers(as_of))
            self._in_force[as_of] = laws
            return laws
        return self._in_force[as_of]

    def item(self, advice_id: str, lang: Lang, as_of: date) -> Item:
        laws = self.laws_in_force(as_of)
        key = (advice_id, lang, laws)
        if key not in self._items:
            advice = self.book.advice[advice_id]
            in_force = [law_id for law_id in advice.legal_basis if law_id in laws]
            self._items[key] = Item(
                id=advice_id,
                title=advice.title(lang),
                steps=[step(lang) for step in advice.steps],
                priority=advice.priority,
                legal_basis=[self._citation(law_id, lang) for law_id in in_force],
                practice=advice.practice,
            )
        return self._items[key]

    def because(self, question_id: str, rule_id: str, lang: Lang) -> str:
        key = (question_id, rule_id, lang)
        if key not in self._because:
            rule = self.book.questions[question_id].branches[rule_id]
            words = describe(self.book, rule.when, lang)
            if rule.in_force.start or rule.in_force.until:
                words += f" ({describe_dates(rule.in_force, lang)})"
            self._because[key] = words
        return self._because[key]

    def contact(self, contact_id: str, lang: Lang) -> ContactOut:
        key = (contact_id, lang)
        if key not in self._contacts:
            contact = self.book.contacts[contact_id]
            self._contacts[key] = ContactOut(
                id=contact_id,
                name=contact.name(lang),
                channel=contact.channel(lang),
                purpose=contact.purpose(lang),
            )
        return self._contacts[key]

    def _citation(self, law_id: str, lang: Lang) -> Citation:
        law = self.book.laws[law_id]
        return Citation(
            id=law_id,
            law=law.law(lang),
            article=law.article(lang),
            summary=law.summary(lang),
            source=law.source,
            binding=law.binding,
        )

    def answer(
        self, facts: dict[str, Any], as_of: date, lang: Lang, fired: frozenset[str], diagram_url: str
    ) -> Answer:
        book = self.book
        path = taken_path(book, fired)
        trace = [
            TraceEntry(rule=rid, question=qid, because=self.because(qid, rid, lang))
            for qid, taken in path
            for rid in taken
        ]
        ids = ranked(book, path)
        actions = [self.item(aid, lang, as_of) for aid in ids.actions]
        avoid = [self.item(aid, lang, as_of) for aid in ids.avoid]
        used: dict[str, Citation] = {}
        for entry in actions + avoid:
            for citation in entry.legal_basis:
                used.setdefault(citation.id, citation)
        stage_id = book.stage_of(facts[book.stages.of])
        band = book.stages.bands[stage_id]
        return Answer.model_construct(
            kb_version=book.kb_version,
            as_of=as_of,
            lang=lang,
            stage=StageOut(id=stage_id, label=band.label(lang), about=band.about(lang)),
            actions=actions,
            avoid=avoid,
            contacts=[self.contact(cid, lang) for cid in ids.contacts],
            legal_basis=list(used.values()),
            trace=trace,
            path=[step for qid, taken in path for step in (qid, *taken)],
            diagram_url=diagram_url,
        )
