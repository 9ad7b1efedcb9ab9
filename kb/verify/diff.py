"""What an edit of the rules changes in the answers: two rule books compared region by region.

Both books are cut into the same regions (the thresholds and effective dates of both, as lint
cuts one book), question by question. In every region of a question, the branches each version
takes and what those branches give are compared; every advice item, law and contact they give is
compared once. Each difference becomes a change group: which question and what changed (stage,
branches, advice, urgency, order, citation, contacts, summary, text), in how many of the
question's regions, with one example request and the rules responsible in each version. Regions
where nothing changes cost nothing but their evaluation.

What an answer shows from several questions at once (the urgency shown on an item, the order of
two items, the summary's first steps and headline) is compared afterwards on the regions of the
questions it depends on, joined (kb/verify/answer_diff.py): those change groups are of the whole
answer (question "answer"), counted in joined regions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kb.conditions import ALWAYS
from kb.model import Advice, Question, RuleBook
from kb.reference import holds
from kb.verify import answer_diff
from kb.verify.answer_diff import Row
from kb.verify.regions import MAX_REGIONS, Domain, in_force_cuts, question_cuts, question_facts

QUESTION_KINDS = (
    "stage",
    "branches",
    "advice",
    "urgency",
    "order",
    "citation",
    "contacts",
    "summary",
    "text",
)
# what whole answers show that comes from several questions at once (kb/verify/answer_diff.py)
WHOLE_ANSWER = "answer"
ANSWER_KINDS = QUESTION_KINDS + answer_diff.KINDS


@dataclass
class Change:
    """One group of changes: the same difference, in `regions` regions of one question."""

    kind: str
    question: str
    what: str
    regions: int = 0
    example: Mapping[str, Any] | None = None
    base_rules: tuple[str, ...] = ()
    new_rules: tuple[str, ...] = ()
    # a whole-answer change (question "answer"): the questions whose regions were joined and how
    # many joined regions were compared; when `sampled` is not 0, `regions` were counted among that
    # many regions drawn at random (the join was too large)
    joined: tuple[str, ...] = ()
    compared: int = 0
    sampled: int = 0

    def as_json(self) -> dict[str, Any]:
        found = {
            "kind": self.kind,
            "question": self.question,
            "what": self.what,
            "regions": self.regions,
            "example": dict(self.example) if self.example is not None else None,
            "base_rules": list(self.base_rules),
            "new_rules": list(self.new_rules),
        }
        if self.question == WHOLE_ANSWER:
            found |= {"joined": list(self.joined), "compared": self.compared, "sampled": self.sampled}
        return found


@dataclass
class Report:
    base: str
    new: str
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # differences no answer shows (labels, inputs)
    regions: int = 0
    answer_regions: int = 0  # joined regions of several questions compared for whole answers

    @property
    def answers_change(self) -> bool:
        return any(change.regions for change in self.changes)

    def as_json(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "new": self.new,
            "answers_change": self.answers_change,
            "regions_compared": self.regions,
            "answer_regions_compared": self.answer_regions,
            "changes": [change.as_json() for change in self.changes],
            "notes": self.notes,
        }


def diff(
    base: RuleBook,
    new: RuleBook,
    base_name: str = "base",
    new_name: str = "new",
    limit: int = MAX_REGIONS,
) -> Report:
    """`limit`: the most partial regions a whole-answer join may keep at once before it samples."""
    report = Report(base_name, new_name)
    report.notes.extend(_input_notes(base, new))
    domain = Domain(new, also=base)
    changed_items = {aid: kinds for aid, kinds in _item_changes(base, new).items() if kinds}
    groups: dict[tuple[str, str, str], Change] = {}
    rows: dict[str, list[Row]] = {}
    if _bands(base) != _bands(new):
        report.changes.append(Change("stage", "stage", "the stage bands changed", 0))
    for qid in dict.fromkeys([*base.questions, *new.questions]):
        old, now = base.questions.get(qid), new.questions.get(qid)
        report.notes.extend(_label_notes(qid, old, now))
        facts = _facts(base, old) | _facts(new, now)
        facts &= set(new.inputs) | set(new.derived)
        cuts = _cuts(base, old, new) | _cuts(new, now, base)
        for region in domain.regions(facts, domain.periods(cuts)):
            report.regions += 1
            example, day = region.example, region.day
            taken_base = _taken(base, old, example, day)
            taken_new = _taken(new, now, example, day)
            rows.setdefault(qid, []).append(Row(region, (taken_base, taken_new)))
            differences = _differences(base, new, old, now, taken_base, taken_new, changed_items, day)
            for kind, what in differences:
                key = (qid, kind, what)
                change = groups.get(key)
                if change is None:
                    change = groups[key] = Change(
                        kind,
                        qid,
                        what,
                        example=example,
                        base_rules=_sources(old, taken_base),
                        new_rules=_sources(now, taken_new),
                    )
                change.regions += 1
    report.changes.extend(
        sorted(groups.values(), key=lambda c: (ANSWER_KINDS.index(c.kind), c.question, c.what))
    )
    report.changes.extend(_whole_answers(base, new, domain, rows, report, limit))
    return report


def _whole_answers(
    base: RuleBook, new: RuleBook, domain: Domain, rows: Mapping[str, list[Row]], report: Report, limit: int
) -> list[Change]:
    """The changes in what whole answers show: shown urgency, order, first steps, headline."""
    outcome = answer_diff.compare(base, new, domain, rows, limit)
    report.answer_regions = outcome.regions
    report.notes.extend(outcome.notes)
    changes = []
    for found in outcome.found:
        shown = found.shown
        example = domain.example(found.cells, found.period)
        change = Change(
            found.kind,
            WHOLE_ANSWER,
            f"{shown.what}, e.g. {shown.detail}" if shown.detail else shown.what,
            found.regions,
            example=example,
            joined=found.joined,
            compared=found.compared,
            sampled=found.sampled,
        )
        if example is not None:
            day = date.fromisoformat(example["as_of"])
            change.base_rules = _naming(base, found.joined, shown.mentions, example, day)
            change.new_rules = _naming(new, found.joined, shown.mentions, example, day)
        changes.append(change)
    return sorted(changes, key=lambda c: (ANSWER_KINDS.index(c.kind), -c.regions, c.what))


def _naming(
    book: RuleBook, joined: Iterable[str], ids: frozenset[str], example: Mapping[str, Any], day: date
) -> tuple[str, ...]:
    """The branches the example takes among the joined questions that give or name any of `ids`."""
    found = []
    for qid in joined:
        question = book.questions.get(qid)
        for rid in _taken(book, question, example, day):
            assert question is not None
            rule = question.branches[rid]
            if ids & {*rule.advice, *rule.first_steps, rule.headline}:
                found.append(f"{rid} ({rule.defined_at})")
    return tuple(found)


def _bands(book: RuleBook) -> tuple[Any, ...]:
    ahead = book.stages.ahead
    return (
        book.stages.of,
        tuple((bid, band.min, band.max) for bid, band in book.stages.bands.items()),
        (ahead.of, ahead.stage) if ahead else None,
    )


def _facts(book: RuleBook, question: Question | None) -> set[str]:
    return question_facts(book, question) if question is not None else set()


def _cuts(book: RuleBook, question: Question | None, other: RuleBook) -> set[date]:
    """The question's own effective dates, and those of every law it cites whose dates differ in
    the other version (so a changed date splits the regions where it matters, and only then)."""
    if question is None:
        return set()
    cuts = question_cuts(question)
    for rule in question.branches.values():
        for advice_id in rule.advice:
            for law_id in book.advice[advice_id].legal_basis:
                law, twin = book.laws[law_id], other.laws.get(law_id)
                if twin is None or twin.in_force != law.in_force:
                    cuts |= in_force_cuts(law.in_force) | (in_force_cuts(twin.in_force) if twin else set())
    return cuts


def _taken(
    book: RuleBook, question: Question | None, example: Mapping[str, Any], day: date
) -> tuple[str, ...]:
    if question is None:
        return ()
    if question.ask_if != ALWAYS and not holds(book, question.ask_if, example):
        return ()
    holding = [
        rid
        for rid, rule in question.branches.items()
        if rule.in_force.covers(day) and holds(book, rule.when, example)
    ]
    return tuple(holding[:1]) if question.choose == "one" else tuple(holding)


def _sources(question: Question | None, taken: Iterable[str]) -> tuple[str, ...]:
    if question is None:
        return ()
    return tuple(f"{rid} ({question.branches[rid].defined_at})" for rid in taken)


def _gives(book: RuleBook, question: Question | None, taken: Iterable[str]) -> dict[str, Any]:
    """What the taken branches put into an answer, by kind."""
    if question is None:
        return {"advice": set(), "urgency": {}, "contacts": (), "summary": (), "summary_words": ()}
    rules = [question.branches[rid] for rid in taken]
    return {
        "advice": {aid for rule in rules for aid in rule.advice},
        "urgency": {aid: level for rule in rules for aid, level in rule.urgency.items()},
        "contacts": tuple(c for rule in rules for c in rule.contacts),
        "summary": tuple(
            (rule.headline, rule.reassurance, rule.deadlines, rule.first_steps, rule.others_at_most)
            for rule in rules
        ),
        # what those summary entries say: their words, a deadline's length and what it cites
        "summary_words": tuple(
            (
                _words(book.headlines.get(rule.headline)) if rule.headline else None,
                tuple(_words(book.reassurance.get(rid)) for rid in rule.reassurance),
                tuple(_words(book.deadlines.get(did)) for did in rule.deadlines),
            )
            for rule in rules
        ),
    }


def _words(entry: Any) -> Any:
    """A summary entry as the answer shows it: all but where it is written and its priority (which
    headline wins is a whole-answer change)."""
    return None if entry is None else entry.model_dump(exclude={"defined_at", "priority"})


def _differences(
    base: RuleBook,
    new: RuleBook,
    old: Question | None,
    now: Question | None,
    taken_base: tuple[str, ...],
    taken_new: tuple[str, ...],
    changed_items: Mapping[str, list[tuple[str, str]]],
    day: date,
) -> Iterator[tuple[str, str]]:
    if taken_base != taken_new:
        yield "branches", f"takes {list(taken_base) or 'nothing'} → {list(taken_new) or 'nothing'}"
    before, after = _gives(base, old, taken_base), _gives(new, now, taken_new)
    removed, added = sorted(before["advice"] - after["advice"]), sorted(after["advice"] - before["advice"])
    if removed or added:
        yield (
            "advice",
            f"advice {'-' + str(removed) if removed else ''}{' +' + str(added) if added else ''}".strip(),
        )
    if before["urgency"] != after["urgency"]:
        yield "urgency", f"urgency on the branch {before['urgency']} → {after['urgency']}"
    if before["contacts"] != after["contacts"]:
        yield "contacts", f"contacts {list(before['contacts'])} → {list(after['contacts'])}"
    if before["summary"] != after["summary"]:
        yield "summary", "headline, reassurance, deadlines, first steps or urgency cap listed"
    elif before["summary_words"] != after["summary_words"]:
        yield "text", "the words of a headline, reassurance or deadline listed (or a deadline's length)"
    for advice_id in sorted(before["advice"] & after["advice"]):
        yield from changed_items.get(advice_id, ())
        cited_before = _in_force(base, base.advice[advice_id].legal_basis, day)
        cited_after = _in_force(new, new.advice[advice_id].legal_basis, day)
        if cited_before != cited_after:
            yield "citation", f"'{advice_id}' cites {cited_before} → {cited_after} on these dates"


def _in_force(book: RuleBook, law_ids: Iterable[str], day: date) -> list[str]:
    return [law_id for law_id in law_ids if book.laws[law_id].in_force.covers(day)]


def _item_changes(base: RuleBook, new: RuleBook) -> dict[str, list[tuple[str, str]]]:
    """What changed in each advice item present in both books (and in what it cites)."""
    changes: dict[str, list[tuple[str, str]]] = {}
    for advice_id in base.advice.keys() & new.advice.keys():
        old, now = base.advice[advice_id], new.advice[advice_id]
        found: list[tuple[str, str]] = []
        if old.priority != now.priority:
            found.append(("order", f"'{advice_id}' priority {old.priority} → {now.priority}"))
        if old.urgency != now.urgency:
            found.append(("urgency", f"'{advice_id}' urgency {old.urgency} → {now.urgency}"))
        if old.kind != now.kind:
            found.append(("advice", f"'{advice_id}' kind {old.kind} → {now.kind}"))
        if (old.title, old.steps) != (now.title, now.steps) or _law_texts(base, old) != _law_texts(new, now):
            found.append(("text", f"'{advice_id}' texts (title, steps or the words of its citations)"))
        changes[advice_id] = found
    return changes


def _law_texts(book: RuleBook, advice: Advice) -> tuple[Any, ...]:
    return tuple(
        (law.law, law.article, law.summary, law.source, law.binding)
        for law in (book.laws[law_id] for law_id in advice.legal_basis)
    )


def _input_notes(base: RuleBook, new: RuleBook) -> Iterator[str]:
    for name in new.inputs.keys() - base.inputs.keys():
        yield f"input '{name}' added ({new.inputs[name].defined_at})"
    for name in base.inputs.keys() - new.inputs.keys():
        yield f"input '{name}' removed (was {base.inputs[name].defined_at})"


def _label_notes(qid: str, old: Question | None, now: Question | None) -> Iterator[str]:
    if old is None or now is None:
        verb = "added" if old is None else "removed"
        yield f"question '{qid}' {verb}"
        return
    if old.text != now.text:
        yield f"question '{qid}': its text changed ({now.defined_at}); answers do not show it"
    for rid in old.branches.keys() & now.branches.keys():
        if old.branches[rid].label != now.branches[rid].label:
            yield f"rule '{rid}': its label changed ({now.branches[rid].defined_at}); answers do not show it"
