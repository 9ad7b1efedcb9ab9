"""The typed, immutable rules model: what every stage of the data flow reads.

The loader builds it from the YAML in rules/; nothing else constructs it. Each entity knows the
file and line it was defined at (`defined_at`).
"""

from __future__ import annotations

import bisect
from datetime import date
from functools import cached_property
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from kb.conditions import ALWAYS, parse

Lang = Literal["zh", "en"]
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


class Stages(Node):
    of: str
    bands: dict[Id, Band]


class Rule(Entity):
    """A branch of a question: when `when` holds, it adds its advice and contacts."""

    label: Text
    when: When = ALWAYS
    advice: Ids
    contacts: Ids = ()
    in_force: InForce = ALWAYS_IN_FORCE


class Question(Entity):
    text: Text
    choose: Literal["one", "any"]
    ask_if: When = ALWAYS
    branches: dict[Id, Rule] = Field(min_length=1)


class Advice(Entity):
    kind: Literal["action", "avoid"]
    priority: Annotated[int, Field(ge=1, le=1000)]
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
    stages: Stages
    questions: dict[Id, Question] = Field(min_length=1)
    advice: dict[Id, Advice] = {}
    laws: dict[Id, Law] = {}
    contacts: dict[Id, Contact] = {}
    invariants: dict[Id, Invariant] = {}
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


class PlacedRule(NamedTuple):
    question_id: str
    question: Question
    rule_id: str
    rule: Rule
