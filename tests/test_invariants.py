"""Invariants (rules/invariants.yaml): refused with file:line when malformed, and true of the real
answers to many generated requests, not only of lint's regions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import variant
from hypothesis import HealthCheck, given, settings
from strategies import request_bodies

from kb.advisor import Advisor, shipped_rules
from kb.facts import AdviceRequest
from kb.loader import RulesError, load_texts, read_folder
from kb.model import RuleBook
from kb.verify import lint
from kb.verify.analysis import outcome_of_answer
from kb.verify.invariants import covers, violations

ADVISOR = Advisor.from_folder()
BOOK: RuleBook = ADVISOR.book


def test_the_shipped_rules_have_at_least_ten_invariants() -> None:
    assert len(BOOK.invariants) >= 10


def test_every_shipped_invariant_speaks_of_some_input() -> None:
    report = lint(BOOK)
    assert not [f for f in report.findings if f.kind == "invariant"]


@settings(max_examples=500, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=request_bodies(BOOK))
def test_every_invariant_holds_for_generated_requests(body: dict[str, Any]) -> None:
    request = AdviceRequest.model_validate_json(json.dumps(body))
    outcome = outcome_of_answer(BOOK, ADVISOR.advise(request))
    for iid, invariant in BOOK.invariants.items():
        if covers(BOOK, invariant, request.facts(), request.day()):
            assert violations(invariant.then, outcome) == [], (iid, body)


def test_violations_name_what_is_wrong() -> None:
    request = AdviceRequest(
        days_overdue=3, harassment=True, harassment_kinds=["insults"], hardship="none", credit_reported="no"
    )
    outcome = outcome_of_answer(BOOK, ADVISOR.advise(request))
    then = BOOK.invariants["threats_go_to_police"].then
    assert violations(then, outcome) == ["actions lack threats_call_police"]
    first = BOOK.invariants["payment_order_objection_first"].then.model_copy(update={"cites_include": ()})
    assert violations(first, outcome) == [
        "avoid items lack avoid_ignoring_court_papers",
        "the first action is contact_lender_official, not object_to_payment_order",
    ]


BROKEN = [
    ("      harassment: {is: true}\n    then:\n      actions_include: [keep_evidence,",
     "      harassment: {is: \"yes\"}\n    then:\n      actions_include: [keep_evidence,",
     "'is' takes boolean or null"),
    ("      actions_include: [threats_call_police, keep_evidence]",
     "      actions_include: [threats_call_police, keep_evidence, avoid_disappearing]",
     "'avoid_disappearing' is an 'avoid' item"),
    ("      first_action: object_to_payment_order", "      first_action: no_such_advice",
     "advice 'no_such_advice' is not defined"),
    ("      contacts_include: [police_110]\n\n  visits_safety_first",
     "      contacts_include: [police_999]\n\n  visits_safety_first",
     "contact 'police_999' is not defined"),
    ("      cites_include: [psapl_2012_42]", "      cites_include: [psapl_1999]",
     "law 'psapl_1999' is not defined"),
    ("    then:\n      actions_exclude: [credit_repair_policy_open]\n",
     "    then:\n      action_exclude: [credit_repair_policy_open]\n", "unknown key 'action_exclude'"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "reason"), BROKEN, ids=[b[2] for b in BROKEN])
def test_a_malformed_invariant_is_refused_at_its_line(old: str, new: str, reason: str) -> None:
    texts = variant(read_folder(shipped_rules()), "invariants.yaml", old, new)
    with pytest.raises(RulesError) as refused:
        load_texts(texts)
    problems = [p for p in refused.value.problems if reason in p.reason]
    assert problems, refused.value.problems
    line = texts["invariants.yaml"].splitlines()[problems[0].line - 1]
    assert problems[0].file == "invariants.yaml"
    assert any(word in line for word in new.split() if len(word) > 6), (line, new)


def test_first_contact_is_checked_on_answers_and_proved_by_lint() -> None:
    """safety_risk: 12356 is the first contact; contacts keep the order of the rules giving them."""
    request = AdviceRequest(
        days_overdue=3, harassment=True, harassment_kinds=["threats"], hardship="none", credit_reported="no",
        safety_risk=True,
    )  # fmt: skip
    outcome = outcome_of_answer(BOOK, ADVISOR.advise(request))
    then = BOOK.invariants["safety_first_contact_is_12356"].then
    assert violations(then, outcome) == []
    wrong = then.model_copy(update={"first_contact": "police_110"})
    assert violations(wrong, outcome) == ["the first contact is crisis_12356, not police_110"]
    texts = variant(
        read_folder(shipped_rules()),
        "tree.yaml",
        "contacts: [crisis_12356, police_110, ambulance_120]",
        "contacts: [police_110, crisis_12356, ambulance_120]",
    )
    findings = [f for f in lint(load_texts(texts)).findings if f.kind == "invariant"]
    assert [f.message.split("'")[1] for f in findings] == ["safety_first_contact_is_12356"]
    assert "the first contact is police_110, not crisis_12356" in findings[0].message
