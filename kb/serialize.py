"""The answer as JSON bytes, spliced from parts serialised once.

Every item, contact, citation, trace entry and stage is serialised once per (id, language, laws in
force, urgency, detail) and kept; the part of an answer that depends only on the decision (the
rules that fired, the language, the laws in force, the detail), letters that fit included, is kept
in a bounded LRU; a request
then adds only what is its own: the date, the deadlines counted from its facts, the next stage and
the diagram link. The bytes are exactly those of `Presenter.answer(...).model_dump_json()` (a test
compares them over the whole grid and the scenario files); no pydantic model is built per request.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from kb.answer import API_VERSION, Presenter, Ranked, ranked, taken_path
from kb.letters.render import documents
from kb.model import Lang, RuleBook, Urgency
from kb.summary import count_deadline, deadline_ids, headline, next_stage, reassurance

DECISIONS = 4096  # answers' decision parts kept; one is a few to a few dozen KB


# summary opening, the middle (actions … path), terms, documents, the ids, the deadlines listed
Decision = tuple[bytes, bytes, bytes, bytes, Ranked, list[Any]]


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _array(parts: Iterable[bytes]) -> bytes:
    return b"[" + b",".join(parts) + b"]"


class AnswerWriter:
    """Writes answers of one rule book as bytes; safe to share between threads."""

    def __init__(self, presenter: Presenter) -> None:
        self.presenter = presenter
        self.book: RuleBook = presenter.book
        self.hits = 0
        self.misses = 0
        # told of every decision: True when it was kept, False when built (the service counts them)
        self.observers: list[Callable[[bool], None]] = []
        self._parts: dict[tuple[Any, ...], bytes] = {}
        self._decisions: OrderedDict[tuple[Any, ...], Decision] = OrderedDict()
        self._lock = threading.Lock()
        self._kb_version = _json(self.book.kb_version)

    # ---- parts serialised once ----

    def _part(self, key: tuple[Any, ...], make: Any) -> bytes:
        found = self._parts.get(key)
        if found is None:
            found = self._parts[key] = make()
        return found

    def citation(self, law_id: str, lang: Lang) -> bytes:
        return self._part(
            ("citation", law_id, lang),
            lambda: self.presenter.citation(law_id, lang).model_dump_json().encode(),
        )

    def _citations(self, law_ids: Sequence[str], lang: Lang, brief: bool) -> bytes:
        if brief:
            return _json(list(law_ids))
        return _array(self.citation(law_id, lang) for law_id in law_ids)

    def item(self, advice_id: str, lang: Lang, laws: frozenset[str], urgency: Urgency, brief: bool) -> bytes:
        def make() -> bytes:
            advice = self.book.advice[advice_id]
            cited = self.presenter.cited(advice.legal_basis, laws)
            head = b'{"id":' + _json(advice_id) + b',"title":' + _json(advice.title(lang))
            head += b',"urgency":' + _json(urgency)
            if brief:
                return head + b',"legal_basis":' + _json(cited) + b"}"
            steps = _json([step(lang) for step in advice.steps])
            return (
                head
                + b',"steps":'
                + steps
                + b',"priority":'
                + _json(advice.priority)
                + b',"legal_basis":'
                + self._citations(cited, lang, brief=False)
                + b',"practice":'
                + _json(advice.practice)
                + b"}"
            )

        return self._part(("item", advice_id, lang, laws, urgency, brief), make)

    def contact(self, contact_id: str, lang: Lang, brief: bool) -> bytes:
        def make() -> bytes:
            found = self.presenter
            contact = found.brief_contact(contact_id, lang) if brief else found.contact(contact_id, lang)
            return contact.model_dump_json().encode()

        return self._part(("contact", contact_id, lang, brief), make)

    def top_citation(self, law_id: str, lang: Lang, brief: bool) -> bytes:
        if not brief:
            return self.citation(law_id, lang)
        return self._part(
            ("brief citation", law_id, lang),
            lambda: self.presenter.brief_citation(law_id, lang).model_dump_json().encode(),
        )

    def trace_entry(self, question_id: str, rule_id: str, lang: Lang, brief: bool) -> bytes:
        def make() -> bytes:
            if brief:
                return _json({"rule": rule_id, "question": question_id})
            because = self.presenter.because(question_id, rule_id, lang)
            return _json({"rule": rule_id, "question": question_id, "because": because})

        return self._part(("trace", question_id, rule_id, lang, brief), make)

    def stage(self, stage_id: str, lang: Lang) -> bytes:
        return self._part(
            ("stage", stage_id, lang), lambda: self.presenter.stage(stage_id, lang).model_dump_json().encode()
        )

    # ---- the decision: what the rules that fired give, whatever else the request says ----

    def _decision(
        self, fired: frozenset[str], lang: Lang, laws: frozenset[str], brief: bool, stage_id: str
    ) -> Decision:
        key = (fired, lang, laws, brief, stage_id)
        with self._lock:
            found = self._decisions.get(key)
            if found is not None:
                self.hits += 1
                self._decisions.move_to_end(key)
        for observe in self.observers:
            observe(found is not None)
        if found is not None:
            return found
        with self._lock:
            self.misses += 1
        book, presenter = self.book, self.presenter
        path = taken_path(book, fired)
        ids = ranked(book, path)
        chosen = headline(book, path)
        words = book.stages.words(stage_id)
        opening = (
            b'{"headline":'
            + _json(book.headlines[chosen].text(lang) if chosen else words.about(lang))
            + b',"first_steps":'
            + _json(list(ids.first_steps))
            + b',"reassurance":'
            + _json([book.reassurance[rid].text(lang) for rid in reassurance(book, path)])
        )
        deadlines = list(deadline_ids(book, path))
        cited = presenter.answer_citations(ids, deadlines, laws)
        middle = (
            b'"actions":'
            + _array(self.item(a, lang, laws, ids.urgency[a], brief) for a in ids.actions)
            + b',"avoid":'
            + _array(self.item(a, lang, laws, ids.urgency[a], brief) for a in ids.avoid)
            + b',"contacts":'
            + _array(self.contact(c, lang, brief) for c in ids.contacts)
            + b',"legal_basis":'
            + _array(self.top_citation(law_id, lang, brief) for law_id in cited)
            + b',"trace":'
            + _array(self.trace_entry(qid, rid, lang, brief) for qid, taken in path for rid in taken)
            + b',"path":'
            + _json([step for qid, taken in path for step in (qid, *taken)])
        )
        terms = _array(
            _json({"term": book.terms[t].term(lang), "explanation": book.terms[t].explanation(lang)})
            for t in presenter.used_terms(ids.actions + ids.avoid, lang)
        )
        letters = _array(
            presenter.document(kind, lang).model_dump_json().encode() for kind in documents(book, fired)
        )
        made = (opening, middle, terms, letters, ids, deadlines)
        with self._lock:
            self._decisions[key] = made
            if len(self._decisions) > DECISIONS:
                self._decisions.popitem(last=False)
        return made

    # ---- one request ----

    def answer(
        self,
        facts: dict[str, Any],
        as_of: date,
        lang: Lang,
        fired: frozenset[str],
        diagram_url: str,
        detail: str = "full",
    ) -> bytes:
        book = self.book
        brief = detail == "brief"
        laws = self.presenter.laws_in_force(as_of)
        stage_id = book.stage_of_facts(facts)
        opening, middle, terms, letters, _, deadlines = self._decision(fired, lang, laws, brief, stage_id)
        counted = []
        for deadline_id in deadlines:
            deadline = book.deadlines[deadline_id]
            days = count_deadline(deadline_id, deadline, facts, as_of)
            passed = days.days_left is not None and days.days_left < 0
            counted.append(
                b'{"id":'
                + _json(deadline_id)
                + b',"what":'
                + _json(deadline.what(lang))
                + b',"days_left":'
                + _json(days.days_left)
                + b',"date":'
                + _json(days.last_day.isoformat() if days.last_day else None)
                + b',"legal_basis":'
                + self._citations(self.presenter.cited(deadline.legal_basis, laws), lang, brief)
                + b',"after":'
                + _json(deadline.after(lang) if passed else None)
                + b"}"
            )
        upcoming = next_stage(book, facts)
        following = (
            b"null"
            if upcoming is None
            else _json(
                {
                    "id": upcoming.id,
                    "label": book.stages.words(upcoming.id).label(lang),
                    "on_day": upcoming.on_day,
                    "in_days": upcoming.in_days,
                }
            )
        )
        return (
            b'{"kb_version":'
            + self._kb_version
            + b',"api_version":'
            + _json(API_VERSION)
            + b',"as_of":"'
            + as_of.isoformat().encode()
            + b'","lang":'
            + _json(lang)
            + b',"stage":'
            + self.stage(stage_id, lang)
            + b',"summary":'
            + opening
            + b',"deadlines":'
            + _array(counted)
            + b',"next_stage":'
            + following
            + b"},"
            + middle
            + b',"diagram_url":'
            + _json(diagram_url)
            + b',"terms":'
            + terms
            + b',"documents":'
            + letters
            + b"}"
        )
