"""The durable-rules engine and the pure-Python reference evaluator agree: the same rules fire and,
through the same Presenter, the same answer comes out; and lint's model of an answer (the ids it
reasons about) is the real answer's. Inputs favour every threshold and effective date, ± 1."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from strategies import request_bodies

from kb.advisor import Advisor
from kb.answer import taken_path
from kb.compiler import message
from kb.facts import AdviceRequest
from kb.model import RuleBook
from kb.reference import fired_rules
from kb.verify.analysis import outcome_of, outcome_of_answer
from kb.verify.scenarios import reference_answers

SETTINGS = settings(
    max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.fixture(scope="module")
def advisor() -> Advisor:
    return Advisor.from_folder()


def shipped() -> RuleBook:
    return Advisor.from_folder().book


BOOK = shipped()
REFERENCE = reference_answers(BOOK)


def request_of(body: dict[str, Any]) -> AdviceRequest:
    return AdviceRequest.model_validate_json(json.dumps(body))


@SETTINGS
@given(body=request_bodies(BOOK))
def test_engine_and_reference_fire_the_same_rules(advisor: Advisor, body: dict[str, Any]) -> None:
    request = request_of(body)
    facts, day = request.facts(), request.day()
    assert advisor.engine.fired(message(advisor.book, facts, day)) == fired_rules(advisor.book, facts, day)


@SETTINGS
@given(body=request_bodies(BOOK))
def test_engine_and_reference_give_the_same_answer(advisor: Advisor, body: dict[str, Any]) -> None:
    request = request_of(body)
    from_engine = advisor.advise(request)
    from_reference = REFERENCE(request)
    assert from_engine.model_dump_json() == from_reference.model_dump_json()


@SETTINGS
@given(body=request_bodies(BOOK))
def test_lint_reasons_about_the_real_answer(advisor: Advisor, body: dict[str, Any]) -> None:
    request = request_of(body)
    answer = advisor.advise(request)
    facts, day = request.facts(), request.day()
    path = taken_path(advisor.book, fired_rules(advisor.book, facts, day))
    assert outcome_of(advisor.book, path, day) == outcome_of_answer(advisor.book, answer)


def test_the_strategy_reaches_every_rule(advisor: Advisor) -> None:
    """The generated inputs are not stuck in a corner: together they fire every rule."""
    fired: set[str] = set()

    @settings(max_examples=4000, derandomize=True, deadline=None)
    @given(body=request_bodies(BOOK))
    def collect(body: dict[str, Any]) -> None:
        request = request_of(body)
        fired.update(fired_rules(advisor.book, request.facts(), request.day()))

    collect()
    assert {rid for _, _, rid, _ in advisor.book.rules} <= fired


@pytest.mark.parametrize("rate", [1e-05, 5e-324, 1e-07, 9999.999999999998, 24.000000000000004])
def test_rates_python_writes_with_an_exponent_reach_the_engine(advisor: Advisor, rate: float) -> None:
    """Found by the property tests: the engine's parser refused `1e-05` (error 204), a valid rate."""
    request = request_of(
        {"days_overdue": 3, "harassment": False, "hardship": "none", "credit_reported": "no"}
    )
    request = request.model_copy(update={"annual_rate_percent": rate})
    facts, day = request.facts(), request.day()
    assert advisor.engine.fired(message(advisor.book, facts, day)) == fired_rules(advisor.book, facts, day)
