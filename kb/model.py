"""The typed, immutable rules model: what every stage of the data flow reads.

The loader builds it from the YAML in rules/; nothing else constructs it. Each entity knows the
file and line it was defined at (`defined_at`).
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from datetime import date, timedelta
from functools import cached_property
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from kb.conditions import ALWAYS, parse

Lang = Literal["zh", "en"]
Urgency = Literal["now", "this_week", "later"]
URGENCIES: tuple[Urgency, ...] = ("now", "this_week", "later")
LANGS: tuple[Lang, ...] = ("zh", "en")

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Words = Annotated[str, Field(min_length=1, max_length=4000)]
When = Annotated[Any, BeforeValidator(parse)]


def _list_to_tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


# YAML gives lists; the model keeps tuples so that it stays immutable.
Ids = Annotated[tuple[Id, ...], BeforeValidator(_list_to_tuple)]


class Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, arbitrary_types_allowed=True)


class Source(Node):
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class Entity(Node):
    defined_at: Source


class Text(Node):
    zh: Words
    en: Words

    def __call__(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en


class InForce(Node):
    """Dates a rule or law applies, both included; an open end is unbounded."""

    model_config = ConfigDict(populate_by_name=True)
    start: date | None = Field(default=None, alias="from")
    until: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> InForce:
        if self.start and self.until and self.start > self.until:
            raise ValueError(f"'from' {self.start} is after 'until' {self.until}")
        return self

    def covers(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.until is None or day <= self.until)


ALWAYS_IN_FORCE = InForce()


class KbInfo(Node):
    name: Text
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
    # the dates the rules are written for: `lint` checks citations on these dates
    in_force: InForce = ALWAYS_IN_FORCE


class Input(Entity):
    type: Literal["integer", "number", "boolean", "enum", "set"]
    label: Text
    min: int | float | None = None
    max: int | float | None = None
    nullable: bool = False
    values: dict[str, Text] | None = None

    @model_validator(mode="after")
    def _shape(self) -> Input:
        numeric = self.type in ("integer", "number")
        if numeric and (self.min is None or self.max is None or self.min > self.max):
            raise ValueError(f"a {self.type} input needs 'min' and 'max', min <= max")
        if not numeric and (self.min is not None or self.max is not None):
            raise ValueError(f"'min'/'max' are for numbers, not for a {self.type} input")
        if self.type in ("enum", "set") and not self.values:
            raise ValueError(f"a {self.type} input needs 'values'")
        if self.type not in ("enum", "set") and self.values is not None:
            raise ValueError(f"'values' are for enum and set inputs, not for a {self.type} input")
        return self


class Band(Entity):
    min: int
    max: int
    label: Text
    about: Text


class Ahead(Entity):
    """The stage before the due date, chosen when its input (days until due) is known."""

    of: str
    stage: Id
    label: Text
    about: Text


class Stages(Node):
    of: str
    ahead: Ahead | None = None
    bands: dict[Id, Band]

    def ids(self) -> tuple[str, ...]:
        """Every stage, from the earliest."""
        return ((self.ahead.stage,) if self.ahead else ()) + tuple(self.bands)

    def words(self, stage: str) -> Band | Ahead:
        """What has the stage's label and about."""
        if self.ahead and stage == self.ahead.stage:
            return self.ahead
        return self.bands[stage]


class Derived(Entity):
    """A fact computed from the inputs and the date, usable in conditions like an input.

    `as_of_minus`: the date of the advice less a number of days (an integer input): the first
    missed day is `as_of - days_overdue`.
    """

    type: Literal["date"]
    label: Text
    as_of_minus: str


def _advice_entries(value: Any) -> Any:
    """A rule's advice list may give an item's urgency on this branch: `- {object_to_payment_order: now}`."""
    if not isinstance(value, dict) or not isinstance(value.get("advice"), list):
        return value
    ids, urgency = [], dict(value.get("urgency") or {})
    for entry in value["advice"]:
        if isinstance(entry, dict) and len(entry) == 1:
            [(advice_id, level)] = entry.items()
            ids.append(advice_id)
            urgency[advice_id] = level
        else:
            ids.append(entry)
    return {**value, "advice": ids, "urgency": urgency}


class Rule(Entity):
    """A branch of a question: when `when` holds, it adds its advice, contacts and summary texts."""

    label: Text
    when: When = ALWAYS
    advice: Ids
    # the urgency of an item on this branch, where it differs from the item's own
    urgency: dict[Id, Urgency] = {}
    contacts: Ids = ()
    deadlines: Ids = ()
    headline: Id | None = None
    reassurance: Ids = ()
    # the summary's first steps whenever this branch is taken, in this order, in place of the most
    # urgent actions (a borrower at risk is asked to do one thing first, not three); the first
    # branch taken that names them decides
    first_steps: Annotated[Ids, Field(max_length=3)] = ()
    # whenever this branch is taken, every item it does not give is at most this urgent (the crisis
    # branch: nothing about the debt is for today)
    others_at_most: Urgency | None = None
    in_force: InForce = ALWAYS_IN_FORCE

    @model_validator(mode="before")
    @classmethod
    def _entries(cls, value: Any) -> Any:
        return _advice_entries(value)

    @model_validator(mode="after")
    def _urgency_of_own_advice(self) -> Rule:
        stray = [advice_id for advice_id in self.urgency if advice_id not in self.advice]
        if stray:
            raise ValueError(f"urgency given for advice this branch does not give: {stray}")
        stray = [advice_id for advice_id in self.first_steps if advice_id not in self.advice]
        if stray:
            raise ValueError(f"first steps name advice this branch does not give: {stray}")
        return self


class Question(Entity):
    text: Text
    choose: Literal["one", "any"]
    ask_if: When = ALWAYS
    branches: dict[Id, Rule] = Field(min_length=1)


class Advice(Entity):
    kind: Literal["action", "avoid"]
    priority: Annotated[int, Field(ge=1, le=1000)]
    urgency: Urgency
    # the facts this item presupposes: `lint` reports every borrower who gets it without them
    needs: When = ALWAYS
    title: Text
    steps: Annotated[tuple[Text, ...], BeforeValidator(_list_to_tuple)] = Field(min_length=1)
    legal_basis: Ids = ()
    practice: bool = False
    # advice that must never be given together with this one (the relation is symmetric)
    conflicts_with: Ids = ()
    # words a lawyer groups advice by, for invariants (`tags_exclude`)
    tags: Ids = ()


class Law(Entity):
    law: Text
    article: Text
    summary: Text
    source: Annotated[str, Field(pattern=r"^https?://[^\s\"'<>]+$")]
    in_force: InForce = ALWAYS_IN_FORCE
    binding: bool = True


class Deadline(Entity):
    """A legal time limit, counted from the day the paper reached the borrower (`served`) or up to
    the due date (`due`). A rule that fires lists it; the answer computes what is left."""

    what: Text
    counted_from: Literal["served", "due"]
    days: Annotated[int, Field(ge=0, le=3650)] | None = None
    months: Annotated[int, Field(ge=1, le=120)] | None = None
    legal_basis: Ids = ()
    practice: bool = False
    # what can still be done once the limit has passed
    after: Text

    @model_validator(mode="after")
    def _period(self) -> Deadline:
        if self.counted_from == "served" and (self.days is None) == (self.months is None):
            raise ValueError("a limit counted from service needs 'days' or 'months' (one of them)")
        if self.counted_from == "due" and (self.days is not None or self.months is not None):
            raise ValueError("a limit counted to the due date takes no 'days' or 'months'")
        return self


class Message(Entity):
    """A sentence for the summary: a headline (the most urgent one is shown) or a reassurance."""

    priority: Annotated[int, Field(ge=1, le=1000)]
    text: Text


class Term(Entity):
    """A term of art and its plain explanation; an answer lists the terms its texts use."""

    term: Text
    explanation: Text


LetterWords = Annotated[str, Field(min_length=1, max_length=20000)]


class LetterText(Node):
    """A letter's template in both languages: Jinja2 source, rendered in a sandbox (kb.letters)."""

    zh: LetterWords
    en: LetterWords

    def __call__(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en


class LetterField(Node):
    """A detail the borrower may fill in; left out, it is a visible blank to fill by hand."""

    label: Text
    # an invented example, for the review pages' rendered letter (never a real person's data)
    example: Text | None = None


class LetterLimit(Node):
    """A time limit the letter must meet, counted in days from the day the paper was served."""

    days: Annotated[int, Field(ge=1, le=3650)]


class Letter(Entity):
    """A letter kind: when it fits (a condition over the facts, like a rule's `when`), its legal
    basis, the details it takes and its text."""

    title: Text
    priority: Annotated[int, Field(ge=1, le=1000)]
    when: When = ALWAYS
    legal_basis: Ids = ()
    fields: dict[Id, LetterField] = {}
    limit: LetterLimit | None = None
    body: LetterText


class Contact(Entity):
    name: Text
    channel: Text
    purpose: Text


class Expectations(Node):
    """What an invariant requires of every answer its condition covers (the `then` of an invariant)."""

    actions_include: Ids = ()
    actions_exclude: Ids = ()
    avoid_include: Ids = ()
    avoid_exclude: Ids = ()
    contacts_include: Ids = ()
    contacts_include_any: Ids = ()
    contacts_exclude: Ids = ()
    first_action: Id | None = None
    # contacts keep the order of the rules giving them: this contact must be listed first
    first_contact: Id | None = None
    cites_include: Ids = ()
    cites_exclude: Ids = ()
    tags_exclude: Ids = ()

    @model_validator(mode="after")
    def _not_empty(self) -> Expectations:
        if not any(getattr(self, name) for name in type(self).model_fields):
            raise ValueError(f"'then' needs at least one of: {', '.join(type(self).model_fields)}")
        return self


class Invariant(Entity):
    """A property every answer must have: for every input where `if` holds, on dates in force."""

    says: Text
    given: When = Field(default=ALWAYS, alias="if")
    then: Expectations
    in_force: InForce = ALWAYS_IN_FORCE


class RuleBook(Node):
    """The whole knowledge base, validated and cross-checked."""

    kb: KbInfo
    inputs: dict[Id, Input]
    derived: dict[Id, Derived] = {}
    stages: Stages
    questions: dict[Id, Question] = Field(min_length=1)
    advice: dict[Id, Advice] = {}
    laws: dict[Id, Law] = {}
    contacts: dict[Id, Contact] = {}
    invariants: dict[Id, Invariant] = {}
    deadlines: dict[Id, Deadline] = {}
    headlines: dict[Id, Message] = {}
    reassurance: dict[Id, Message] = {}
    terms: dict[Id, Term] = {}
    letters: dict[Id, Letter] = {}
    digest: str = ""

    @property
    def kb_version(self) -> str:
        return f"{self.kb.version}+{self.digest[:12]}"

    @cached_property
    def rules(self) -> tuple[PlacedRule, ...]:
        """Every rule in tree order, with the question it belongs to."""
        return tuple(
            PlacedRule(question_id, question, rule_id, rule)
            for question_id, question in self.questions.items()
            for rule_id, rule in question.branches.items()
        )

    @cached_property
    def _band_starts(self) -> tuple[list[int], list[str]]:
        ordered = sorted(self.stages.bands.items(), key=lambda item: item[1].min)
        return [band.min for _, band in ordered], [bid for bid, _ in ordered]

    def stage_of(self, value: int) -> str:
        """The id of the band that `value` falls in (bands partition the input's range)."""
        starts, ids = self._band_starts
        return ids[bisect.bisect_right(starts, value) - 1]

    def stage_of_facts(self, facts: Mapping[str, Any]) -> str:
        """The stage of a borrower: before the due date when that is known, else by band."""
        ahead = self.stages.ahead
        if ahead is not None and facts.get(ahead.of) is not None:
            return ahead.stage
        return self.stage_of(facts[self.stages.of])

    def derive(self, facts: Mapping[str, Any], as_of: date) -> dict[str, Any]:
        """The facts with every derived fact added."""
        found = dict(facts)
        for name, spec in self.derived.items():
            found[name] = as_of - timedelta(days=facts[spec.as_of_minus])
        return found


class PlacedRule(NamedTuple):
    question_id: str
    question: Question
    rule_id: str
    rule: Rule
