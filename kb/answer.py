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
from kb.letters.render import documents
from kb.model import URGENCIES, Lang, RuleBook, Urgency
from kb.summary import (
    count_deadline,
    deadline_ids,
    first_steps,
    headline,
    next_stage,
    reassurance,
    urgency_of,
)
from kb.wording import describe, describe_dates

API_VERSION = "1.1"
date_type = date


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


class BriefCitation(_Out):
    id: str
    law: str
    article: str


class BriefContact(_Out):
    id: str
    name: str
    channel: str


class BriefTraceEntry(_Out):
    rule: str
    question: str


class Item(_Out):
    id: str
    title: str
    urgency: Urgency = Field(description="now: today; this_week; later")
    steps: list[str]
    priority: int = Field(description="1 = most urgent")
    legal_basis: list[Citation]
    practice: bool = Field(description="practical guidance that rests on no article")


class BriefItem(_Out):
    id: str
    title: str
    urgency: Urgency = Field(description="now: today; this_week; later")
    legal_basis: list[str] = Field(description="citation ids; the citations are in the answer's legal_basis")


class DeadlineOut(_Out):
    id: str
    what: str
    days_left: int | None = Field(description="days to the last day, negative once passed; null if unknown")
    date: date_type | None = Field(description="the last day; null when the day it counts from is unknown")
    legal_basis: list[Citation] | list[str]
    after: str | None = Field(description="what can still be done, once the limit has passed")


class NextStageOut(_Out):
    id: str
    label: str
    on_day: int = Field(description="the days overdue on which it begins")
    in_days: int


class Summary(_Out):
    headline: str
    first_steps: list[str] = Field(
        description="ids of at most three actions to do first: look each up in `actions` by its `id`"
    )
    reassurance: list[str]
    deadlines: list[DeadlineOut]
    next_stage: NextStageOut | None


class TermOut(_Out):
    term: str
    explanation: str


class ContactOut(_Out):
    id: str
    name: str
    channel: str
    purpose: str


class TraceEntry(_Out):
    rule: str
    question: str
    because: str


class DocumentOut(_Out):
    kind: str
    title: str
    url: str = Field(description="POST here with the facts (and any details) for the letter")


class Answer(_Out):
    kb_version: str
    api_version: str
    as_of: date
    lang: Lang
    stage: StageOut
    summary: Summary
    actions: list[Item] | list[BriefItem]
    avoid: list[Item] | list[BriefItem]
    contacts: list[ContactOut] | list[BriefContact]
    legal_basis: list[Citation] | list[BriefCitation]
    trace: list[TraceEntry] | list[BriefTraceEntry]
    path: list[str]
    diagram_url: str
    terms: list[TermOut]
    documents: list[DocumentOut] = Field(description="letters that fit this case, most urgent first")

    def json_bytes(self) -> bytes:
        """The answer as UTF-8 JSON, exactly the bytes of model_dump_json()."""
        return to_json(self)


def letter_url(kind: str) -> str:
    return f"/letters/{kind}"


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
    """The ids an answer holds, in its order: actions and avoid by urgency, then priority, then the
    position of the first rule that gave them; contacts in rule order; each item's urgency."""

    actions: tuple[str, ...]
    avoid: tuple[str, ...]
    contacts: tuple[str, ...]
    urgency: dict[str, Urgency]
    first_steps: tuple[str, ...]


def ranked(book: RuleBook, path: Iterable[tuple[str, Sequence[str]]]) -> Ranked:
    path = list(path)
    urgency = urgency_of(book, path)
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
        return tuple(
            sorted(
                chosen,
                key=lambda aid: (URGENCIES.index(urgency[aid]), book.advice[aid].priority, order[aid]),
            )
        )

    actions = of_kind("action")
    steps = first_steps(book, path, actions, urgency)
    return Ranked(actions, of_kind("avoid"), tuple(contacts), urgency, steps)


class Presenter:
    """The answer texts of one rule book, built once per language (and date range) and reused.

    Every piece is a frozen model, so sharing them between answers and threads is safe. This is the
    readable assembly of an answer (the command line, the scenario files and the tests use it);
    the API sends the same answer as bytes spliced from parts serialised once (`kb.serialize`),
    and a test compares the two byte for byte.
    """

    def __init__(self, book: RuleBook) -> None:
        self.book = book
        self._items: dict[tuple[str, Lang, frozenset[str], Urgency], Item] = {}
        self._in_force: dict[date, frozenset[str]] = {}
        self._because: dict[tuple[str, str, Lang], str] = {}
        self._contacts: dict[tuple[str, Lang], ContactOut] = {}
        self._terms: dict[tuple[str, Lang], frozenset[str]] = {}

    def laws_in_force(self, as_of: date) -> frozenset[str]:
        if as_of not in self._in_force:
            if len(self._in_force) > 1024:  # requests may ask for any date: keep the cache bounded
                self._in_force.clear()
            laws = frozenset(law_id for law_id, law in self.book.laws.items() if law.in_force.covers(as_of))
            self._in_force[as_of] = laws
            return laws
        return self._in_force[as_of]

    def cited(self, law_ids: Iterable[str], laws: frozenset[str]) -> list[str]:
        """The ids of the citations in force, in the order given."""
        return [law_id for law_id in law_ids if law_id in laws]

    def answer_citations(self, ids: Ranked, deadlines: Sequence[str], laws: frozenset[str]) -> list[str]:
        """Every citation in force that the answer's items and deadlines use, once, in their order."""
        book = self.book
        found: list[str] = []
        for advice_id in ids.actions + ids.avoid:
            found.extend(self.cited(book.advice[advice_id].legal_basis, laws))
        for deadline_id in deadlines:
            found.extend(self.cited(book.deadlines[deadline_id].legal_basis, laws))
        return list(dict.fromkeys(found))

    def item(self, advice_id: str, lang: Lang, as_of: date, urgency: Urgency | None = None) -> Item:
        laws = self.laws_in_force(as_of)
        advice = self.book.advice[advice_id]
        level = urgency or advice.urgency
        key = (advice_id, lang, laws, level)
        if key not in self._items:
            self._items[key] = Item(
                id=advice_id,
                title=advice.title(lang),
                urgency=level,
                steps=[step(lang) for step in advice.steps],
                priority=advice.priority,
                legal_basis=[self.citation(law_id, lang) for law_id in self.cited(advice.legal_basis, laws)],
                practice=advice.practice,
            )
        return self._items[key]

    def brief_item(self, advice_id: str, lang: Lang, as_of: date, urgency: Urgency) -> BriefItem:
        advice = self.book.advice[advice_id]
        return BriefItem(
            id=advice_id,
            title=advice.title(lang),
            urgency=urgency,
            legal_basis=self.cited(advice.legal_basis, self.laws_in_force(as_of)),
        )

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

    def brief_contact(self, contact_id: str, lang: Lang) -> BriefContact:
        contact = self.book.contacts[contact_id]
        return BriefContact(id=contact_id, name=contact.name(lang), channel=contact.channel(lang))

    def brief_citation(self, law_id: str, lang: Lang) -> BriefCitation:
        law = self.book.laws[law_id]
        return BriefCitation(id=law_id, law=law.law(lang), article=law.article(lang))

    def citation(self, law_id: str, lang: Lang) -> Citation:
        law = self.book.laws[law_id]
        return Citation(
            id=law_id,
            law=law.law(lang),
            article=law.article(lang),
            summary=law.summary(lang),
            source=law.source,
            binding=law.binding,
        )

    def terms_of(self, advice_id: str, lang: Lang) -> frozenset[str]:
        """The terms of art an item's title and steps use."""
        key = (advice_id, lang)
        if key not in self._terms:
            advice = self.book.advice[advice_id]
            words = " ".join([advice.title(lang), *(step(lang) for step in advice.steps)])
            self._terms[key] = frozenset(
                term_id for term_id, term in self.book.terms.items() if term.term(lang) in words
            )
        return self._terms[key]

    def used_terms(self, advice_ids: Iterable[str], lang: Lang) -> list[str]:
        used = set().union(*(self.terms_of(aid, lang) for aid in advice_ids))
        return [term_id for term_id in self.book.terms if term_id in used]

    def stage(self, stage_id: str, lang: Lang) -> StageOut:
        words = self.book.stages.words(stage_id)
        return StageOut(id=stage_id, label=words.label(lang), about=words.about(lang))

    def answer(
        self,
        facts: dict[str, Any],
        as_of: date,
        lang: Lang,
        fired: frozenset[str],
        diagram_url: str,
        detail: str = "full",
    ) -> Answer:
        book = self.book
        brief = detail == "brief"
        path = taken_path(book, fired)
        trace: list[Any] = [
            BriefTraceEntry(rule=rid, question=qid)
            if brief
            else TraceEntry(rule=rid, question=qid, because=self.because(qid, rid, lang))
            for qid, taken in path
            for rid in taken
        ]
        ids = ranked(book, path)
        laws = self.laws_in_force(as_of)
        if brief:
            actions: list[Any] = [self.brief_item(a, lang, as_of, ids.urgency[a]) for a in ids.actions]
            avoid: list[Any] = [self.brief_item(a, lang, as_of, ids.urgency[a]) for a in ids.avoid]
        else:
            actions = [self.item(a, lang, as_of, ids.urgency[a]) for a in ids.actions]
            avoid = [self.item(a, lang, as_of, ids.urgency[a]) for a in ids.avoid]
        deadlines = deadline_ids(book, path)
        cited = self.answer_citations(ids, deadlines, laws)
        return Answer.model_construct(
            kb_version=book.kb_version,
            api_version=API_VERSION,
            as_of=as_of,
            lang=lang,
            stage=self.stage(book.stage_of_facts(facts), lang),
            summary=self.summary(facts, as_of, lang, path, ids, deadlines, brief),
            actions=actions,
            avoid=avoid,
            contacts=[
                self.brief_contact(cid, lang) if brief else self.contact(cid, lang) for cid in ids.contacts
            ],
            legal_basis=[
                self.brief_citation(law_id, lang) if brief else self.citation(law_id, lang)
                for law_id in cited
            ],
            trace=trace,
            path=[step for qid, taken in path for step in (qid, *taken)],
            diagram_url=diagram_url,
            terms=[
                TermOut(term=book.terms[t].term(lang), explanation=book.terms[t].explanation(lang))
                for t in self.used_terms(ids.actions + ids.avoid, lang)
            ],
            documents=[self.document(kind, lang) for kind in documents(book, fired)],
        )

    def document(self, kind: str, lang: Lang) -> DocumentOut:
        return DocumentOut(kind=kind, title=self.book.letters[kind].title(lang), url=letter_url(kind))

    def summary(
        self,
        facts: dict[str, Any],
        as_of: date,
        lang: Lang,
        path: list[tuple[str, list[str]]],
        ids: Ranked,
        deadlines: Sequence[str],
        brief: bool,
    ) -> Summary:
        book = self.book
        laws = self.laws_in_force(as_of)
        chosen = headline(book, path)
        stage = book.stages.words(book.stage_of_facts(facts))
        counted = []
        for deadline_id in deadlines:
            deadline = book.deadlines[deadline_id]
            days = count_deadline(deadline_id, deadline, facts, as_of)
            cited = self.cited(deadline.legal_basis, laws)
            counted.append(
                DeadlineOut(
                    id=deadline_id,
                    what=deadline.what(lang),
                    days_left=days.days_left,
                    date=days.last_day,
                    legal_basis=cited if brief else [self.citation(law_id, lang) for law_id in cited],
                    after=deadline.after(lang) if days.days_left is not None and days.days_left < 0 else None,
                )
            )
        upcoming = next_stage(book, facts)
        return Summary(
            headline=book.headlines[chosen].text(lang) if chosen else stage.about(lang),
            first_steps=list(ids.first_steps),
            reassurance=[book.reassurance[rid].text(lang) for rid in reassurance(book, path)],
            deadlines=counted,
            next_stage=None
            if upcoming is None
            else NextStageOut(
                id=upcoming.id,
                label=book.stages.words(upcoming.id).label(lang),
                on_day=upcoming.on_day,
                in_days=upcoming.in_days,
            ),
        )
