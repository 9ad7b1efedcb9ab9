"""Whole answers from the shipped rules for cases a lawyer would check by hand."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from conftest import ARTICLE_CASE

from kb.advisor import Advisor
from kb.answer import Answer
from kb.facts import AdviceRequest

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def advisor() -> Advisor:
    return Advisor.from_folder()


def ask(advisor: Advisor, **fields: Any) -> Answer:
    return advisor.advise(AdviceRequest.model_validate_json(json.dumps(fields)))


def ids(items: list[Any]) -> list[str]:
    return [item.id for item in items]


def test_the_popular_articles_case(advisor: Advisor) -> None:
    answer = ask(advisor, **ARTICLE_CASE, lang="en")
    assert answer.stage.id == "just_overdue"
    actions = ids(answer.actions)
    assert actions[0] == "contact_lender_official"
    for expected in ("keep_evidence", "third_party_contact", "list_what_you_owe", "check_credit_report"):
        assert expected in actions
    assert any("hardship" in a for a in actions)
    assert {
        "avoid_borrowing_to_repay",
        "avoid_paid_credit_repair",
        "avoid_disappearing",
        "avoid_unofficial_payment",
    } <= set(ids(answer.avoid))
    assert "lender_official" in ids(answer.contacts)
    cited = {c.id for c in answer.legal_basis}
    assert {"pipl_13_14", "civil_code_678"} <= cited
    # the rules fired for this case, in tree order
    assert [t.rule for t in answer.trace][:4] == [
        "everyone",
        "stage_just_overdue",
        "harassment_yes",
        "hk_contacts_third_parties",
    ]
    assert "first_time_yes" in [t.rule for t in answer.trace]
    # a first-time borrower is told to ask, never promised a number of days
    first_time = next(a for a in answer.actions if a.id.startswith("first_time"))
    assert not re.search(r"\d", " ".join([first_time.title, *first_time.steps]))


def test_the_article_case_in_chinese_is_chinese(advisor: Advisor) -> None:
    answer = ask(advisor, **ARTICLE_CASE, lang="zh")
    assert all(CJK.search(a.title) for a in answer.actions + answer.avoid)
    english = ask(advisor, **ARTICLE_CASE, lang="en")
    assert not CJK.search(english.model_dump_json())


def test_payment_order_objection_comes_first(advisor: Advisor) -> None:
    for days in (0, 45, 400):
        answer = ask(advisor, **{**ARTICLE_CASE, "days_overdue": days}, legal_action="payment_order")
        assert answer.actions[0].id == "object_to_payment_order"
        assert "civil_procedure_225_228" in {c.id for c in answer.actions[0].legal_basis}


def test_public_order_law_cited_in_the_version_in_force(advisor: Advisor) -> None:
    case = {**ARTICLE_CASE, "harassment_kinds": ["threats"]}
    old = {c.id for c in ask(advisor, **{**case, "as_of": "2025-12-31"}).legal_basis}
    new = {c.id for c in ask(advisor, **{**case, "as_of": "2026-01-01"}).legal_basis}
    assert "psapl_2012_42" in old and "psapl_2025_50" not in old
    assert "psapl_2025_50" in new and "psapl_2012_42" not in new


@pytest.mark.parametrize(
    ("day", "days", "rule"),
    [
        ("2025-12-21", 120, None),
        ("2025-12-22", 120, "repair_policy_open"),
        ("2026-03-31", 120, "repair_policy_open"),
        ("2026-04-01", 120, "repair_policy_closed"),
        ("2026-02-01", 7, None),  # the overdue began in 2026: the policy never concerned it
        ("2026-11-29", 7, None),
    ],
)
def test_one_time_repair_policy_only_while_open(
    advisor: Advisor, day: str, days: int, rule: str | None
) -> None:
    fired = [t.rule for t in ask(advisor, **{**ARTICLE_CASE, "days_overdue": days, "as_of": day}).trace]
    policy = [r for r in fired if r.startswith("repair_policy")]
    assert policy == ([rule] if rule else [])


def test_repair_policy_not_offered_when_nothing_is_reported(advisor: Advisor) -> None:
    fired = [
        t.rule for t in ask(advisor, **{**ARTICLE_CASE, "credit_reported": "no", "as_of": "2026-02-01"}).trace
    ]
    assert not [r for r in fired if r.startswith("repair_policy")]


def test_every_answer_warns_against_borrowing_to_repay_and_paid_repair(advisor: Advisor) -> None:
    for days in (0, 1, 8, 31, 91, 36500):
        for hardship in ("none", "temporary", "long_term"):
            answer = ask(
                advisor, days_overdue=days, harassment=False, hardship=hardship, credit_reported="yes"
            )
            assert {"avoid_borrowing_to_repay", "avoid_paid_credit_repair"} <= set(ids(answer.avoid))


def test_stages_follow_the_bands(advisor: Advisor) -> None:
    expected = {
        0: "due_today",
        1: "just_overdue",
        7: "just_overdue",
        8: "overdue_8_30",
        30: "overdue_8_30",
        31: "overdue_31_90",
        90: "overdue_31_90",
        91: "overdue_over_90",
        36500: "overdue_over_90",
    }
    for days, stage in expected.items():
        answer = ask(advisor, days_overdue=days, harassment=False, hardship="none", credit_reported="no")
        assert answer.stage.id == stage
        rule = "stage_" + stage.removeprefix("overdue_")
        assert answer.path[answer.path.index("stage") + 1] == rule
