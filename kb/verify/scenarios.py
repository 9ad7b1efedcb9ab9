"""Scenario files: a borrower's case in plain YAML and what the answer must (and must not) hold.

A scenario file (tests/scenarios/*.yaml) is a list of scenarios:

    - name: due today, can pay
      description: The payment is due today and the borrower can pay.
      input: {days_overdue: 0, harassment: false, hardship: none, credit_reported: "no", as_of: 2026-11-29}
      expected:
        stage: due_today
        first_action: stage_due_today
        advice_present: [pay_promptly_official]
        advice_absent: [hardship_statement_and_plan]
        contacts_present: [lender_official]
        first_steps: [stage_due_today, contact_lender_official]   # the summary's, in order
        deadlines: {payment_order_objection: 5}                    # id: days left (null: unknown)
        first_contact: lender_official
        documents: [hardship_statement, collection_complaint]       # the letters offered, in order

`input` is exactly an /advise request body. Files are read with `yaml.safe_load`; a wrong key, an
invalid input or an id the rules do not define is refused with `file:line`. Running a scenario
asks an answer function (the real engine for `overdue-advisor test` and pytest; the reference
evaluator for the mutation check) and lists every expectation the answer does not meet.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from kb.answer import Answer, Presenter
from kb.facts import AdviceRequest, field_errors
from kb.loader import Problem, RulesError
from kb.model import RuleBook
from kb.reference import fired_rules

AnswerFn = Callable[[AdviceRequest], Answer]


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


Ids = Annotated[tuple[str, ...], BeforeValidator(_tuple)]


class Expected(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    stage: str
    first_action: str
    advice_present: Ids = ()
    advice_absent: Ids = ()
    contacts_present: Ids = ()
    contacts_absent: Ids = ()
    # added in 1.1: the summary's first steps, in order; the deadlines listed, each with its days left
    # (null when the day it counts from is not given); the first contact named
    first_steps: Ids | None = None
    deadlines: dict[str, int | None] | None = None
    first_contact: str | None = None
    # the letter kinds the answer offers (`documents`), exactly and in order
    documents: Ids | None = None


class ScenarioText(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    input: dict[str, Any]
    expected: Expected


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    request: AdviceRequest
    expected: Expected
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    failures: tuple[str, ...]
    rules: frozenset[str]  # the rules the answer took
    advice: frozenset[str]  # the advice it gave

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class Coverage:
    rules: tuple[str, ...]  # rules no scenario took
    advice: tuple[str, ...]  # advice no scenario got


def scenario_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise RulesError([Problem(str(path), 0, "no such scenario file or folder")])
    files = sorted(p for p in path.rglob("*.yaml") if p.is_file())
    if not files:
        raise RulesError([Problem(str(path), 0, "no *.yaml scenario files here")])
    return files


def load_scenarios(path: Path, book: RuleBook) -> list[Scenario]:
    """Every scenario below `path` (a file or folder), or RulesError with each problem at file:line."""
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    for file in scenario_files(path):
        name = file.as_posix()
        found, refused = parse_scenarios(name, file.read_text(encoding="utf-8"), book)
        scenarios += found
        problems += refused
    seen: dict[str, str] = {}
    for scenario in scenarios:
        if scenario.name in seen:
            problems.append(
                Problem(scenario.file, scenario.line, f"duplicate name (first at {seen[scenario.name]})")
            )
        seen.setdefault(scenario.name, scenario.where)
    if problems:
        raise RulesError(problems)
    return scenarios


def parse_scenarios(name: str, text: str, book: RuleBook) -> tuple[list[Scenario], list[Problem]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        return [], [Problem(name, mark.line + 1 if mark else 1, f"not valid YAML: {error}")]
    if not isinstance(data, list) or not isinstance(root, yaml.SequenceNode):
        return [], [Problem(name, 1, "a scenario file is a list of scenarios")]
    found, problems = [], []
    for item, node in zip(data, root.value, strict=True):
        line = node.start_mark.line + 1
        try:
            text_form = ScenarioText.model_validate(item)
        except ValidationError as error:
            for e in error.errors(include_url=False):
                field = ".".join(str(step) for step in e["loc"])
                problems.append(Problem(name, _line(node, e["loc"]) or line, f"{field}: {e['msg']}"))
            continue
        try:
            request = AdviceRequest.model_validate_json(json.dumps(text_form.input, default=_iso))
        except ValidationError as error:
            for e in field_errors(error):
                where = _line(node, ("input", e["field"])) or line
                problems.append(Problem(name, where, f"input.{e['field']}: {e['message']}"))
            continue
        unknown = list(_unknown_ids(book, text_form.expected))
        problems += [Problem(name, _line(node, ("expected",)) or line, reason) for reason in unknown]
        if not unknown:
            found.append(
                Scenario(text_form.name, text_form.description, request, text_form.expected, name, line)
            )
    return found, problems


def run_scenario(book: RuleBook, answer_of: AnswerFn, scenario: Scenario) -> Result:
    answer = answer_of(scenario.request)
    return Result(
        scenario,
        tuple(unmet(scenario.expected, answer)),
        frozenset(t.rule for t in answer.trace),
        frozenset(item.id for item in answer.actions + answer.avoid),
    )


def unmet(expected: Expected, answer: Answer) -> Iterable[str]:
    """Each expectation the answer does not meet, in words."""
    actions = [item.id for item in answer.actions]
    given = set(actions) | {item.id for item in answer.avoid}
    contacts = {c.id for c in answer.contacts}
    if answer.stage.id != expected.stage:
        yield f"stage is {answer.stage.id}, expected {expected.stage}"
    if actions[:1] != [expected.first_action]:
        yield f"first action is {actions[0] if actions else 'nothing'}, expected {expected.first_action}"
    for aid in expected.advice_present:
        if aid not in given:
            yield f"advice {aid} is missing"
    for aid in expected.advice_absent:
        if aid in given:
            yield f"advice {aid} is given but must not be"
    for cid in expected.contacts_present:
        if cid not in contacts:
            yield f"contact {cid} is missing"
    for cid in expected.contacts_absent:
        if cid in contacts:
            yield f"contact {cid} is named but must not be"
    steps = list(answer.summary.first_steps)
    if expected.first_steps is not None and steps != list(expected.first_steps):
        yield f"first steps are {steps}, expected {list(expected.first_steps)}"
    if expected.deadlines is not None:
        counted = {d.id: d.days_left for d in answer.summary.deadlines}
        if counted != expected.deadlines:
            yield f"deadlines are {counted}, expected {expected.deadlines}"
    offered = [d.kind for d in answer.documents]
    if expected.documents is not None and offered != list(expected.documents):
        yield f"documents are {offered}, expected {list(expected.documents)}"
    first_contact = answer.contacts[0].id if answer.contacts else None
    if expected.first_contact is not None and first_contact != expected.first_contact:
        yield f"first contact is {first_contact}, expected {expected.first_contact}"


def coverage(book: RuleBook, results: Sequence[Result]) -> Coverage:
    rules = set().union(*(r.rules for r in results)) if results else set()
    advice = set().union(*(r.advice for r in results)) if results else set()
    return Coverage(
        tuple(rid for _, _, rid, _ in book.rules if rid not in rules),
        tuple(aid for aid in book.advice if aid not in advice),
    )


def reference_answers(book: RuleBook) -> AnswerFn:
    """Answers from the pure-Python reference evaluator: the same answers as the engine (the
    differential test checks it), without registering a ruleset in the engine for every copy of
    the rules (the mutation check makes many)."""
    presenter = Presenter(book)

    def answer(request: AdviceRequest) -> Answer:
        facts, day = request.facts(), request.day()
        fired = fired_rules(book, facts, day)
        return presenter.answer(facts, day, request.lang, fired, request.diagram_url(), request.detail)

    return answer


def _unknown_ids(book: RuleBook, expected: Expected) -> Iterable[str]:
    if expected.stage not in book.stages.ids():
        yield f"expected.stage: unknown stage '{expected.stage}'"
    for aid in expected.first_steps or ():
        if aid not in book.advice or book.advice[aid].kind != "action":
            yield f"expected.first_steps: '{aid}' is not an action"
    for did in expected.deadlines or {}:
        if did not in book.deadlines:
            yield f"expected.deadlines: unknown deadline '{did}'"
    for kind in expected.documents or ():
        if kind not in book.letters:
            yield f"expected.documents: unknown letter kind '{kind}'"
    if expected.first_contact is not None and expected.first_contact not in book.contacts:
        yield f"expected.first_contact: unknown contact '{expected.first_contact}'"
    action = book.advice.get(expected.first_action)
    if action is None or action.kind != "action":
        yield f"expected.first_action: '{expected.first_action}' is not an action"
    for aid in (*expected.advice_present, *expected.advice_absent):
        if aid not in book.advice:
            yield f"expected: unknown advice '{aid}'"
    for cid in (*expected.contacts_present, *expected.contacts_absent):
        if cid not in book.contacts:
            yield f"expected: unknown contact '{cid}'"


def _line(node: yaml.Node, loc: Sequence[Any]) -> int | None:
    line = None
    for step in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        child = next(((k, v) for k, v in node.value if k.value == str(step)), None)
        if child is None:
            break
        line, node = child[0].start_mark.line + 1, child[1]
    return line


def _iso(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON: {value!r}")
