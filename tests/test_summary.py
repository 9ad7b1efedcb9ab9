"""The summary of an answer: urgency per item and per branch, first steps, headline, reassurance,
deadlines counted from the facts, the next stage; and the brief detail."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from conftest import MINI, mini_facts, read_texts

from kb.answer import Presenter
from kb.compiler import compile_rules, message
from kb.engine import Engine
from kb.facts import EARLIEST
from kb.loader import RulesError, load_texts
from kb.model import Deadline, RuleBook, Text
from kb.summary import add_months, count_deadline, first_steps, next_stage

DAY = date(2026, 11, 29)

# A court question with a deadline, a headline and a reassurance, and a branch that raises urgency.
SUMMARY_RULES = """
questions:
  court:
    text: {zh: 法院？, en: "Court?"}
    choose: one
    branches:
      court_none:
        label: {zh: 没有, en: none}
        when: {legal_action: {in: [none, lawsuit, judgment, arbitration, notarized_enforcement, enforcement]}}
        advice: []
      court_payment_order:
        label: {zh: 支付令, en: payment order}
        when: {legal_action: {in: [payment_order]}}
        advice: [{object_now: now}, {contact_lender: now}]
        deadlines: [objection_15_days]
        headline: payment_order_first
        reassurance: [objection_is_simple]
headlines:
  payment_order_first:
    priority: 5
    text: {zh: 先在15天内提出异议。, en: Object within 15 days first.}
  calm_stage:
    priority: 60
    text: {zh: 慢慢来。, en: Take it step by step.}
reassurance:
  objection_is_simple:
    priority: 10
    text: {zh: 异议写清楚即可。, en: An objection only has to be in writing.}
deadlines:
  objection_15_days:
    what: {zh: 书面异议, en: Object in writing}
    counted_from: served
    days: 15
    legal_basis: [civil_code_585]
    after: {zh: 已过期：找法律援助。, en: "Passed: ask legal aid."}
advice:
  object_now:
    kind: action
    priority: 50
    urgency: this_week
    needs: {legal_action: {in: [payment_order]}}
    title: {zh: 提出异议, en: File an objection}
    steps:
      - {zh: 写异议书。, en: Write the objection.}
    legal_basis: [civil_code_585]
terms:
  objection:
    term: {zh: 异议, en: objection}
    explanation: {zh: 不同意的书面意见。, en: A written statement that you disagree.}
"""


@pytest.fixture(scope="module")
def book(mini_dir: Any) -> RuleBook:
    from conftest import read_texts

    return load_texts({**read_texts(mini_dir), "summary.yaml": SUMMARY_RULES})


def facts(**changes: Any) -> dict[str, Any]:
    return mini_facts(**{"days_overdue": 20, **changes})


def answer(book: RuleBook, detail: str = "full", lang: str = "en", **changes: Any) -> Any:
    engine = Engine(compile_rules(book), warm_up=message(book, {}, EARLIEST))
    given = facts(**changes)
    fired = engine.fired(message(book, given, DAY))
    return Presenter(book).answer(given, DAY, lang, fired, "/diagrams/path.svg", detail)  # type: ignore[arg-type]


def test_a_branch_raises_urgency_and_the_order_follows(book: RuleBook) -> None:
    plain = answer(book)
    assert plain.actions and all(i.urgency == "this_week" for i in plain.actions)
    assert "object_now" not in [i.id for i in plain.actions]
    ordered = answer(book, legal_action="payment_order", served_days_ago=10)
    ids = [i.id for i in ordered.actions]
    # object_now (priority 50) and contact_lender are raised to now on this branch: they come first
    assert ids[:2] == ["contact_lender", "object_now"]
    assert [i.urgency for i in ordered.actions[:2]] == ["now", "now"]
    assert ordered.summary.first_steps == ["contact_lender", "object_now"]
    assert all(i.urgency == "this_week" for i in ordered.actions[2:])


def test_deadline_days_left_headline_and_reassurance(book: RuleBook) -> None:
    summary = answer(book, legal_action="payment_order", served_days_ago=10).summary
    [deadline] = summary.deadlines
    assert (deadline.id, deadline.days_left, deadline.date) == ("objection_15_days", 5, date(2026, 12, 4))
    assert deadline.after is None
    assert [c.id for c in deadline.legal_basis] == ["civil_code_585"]
    assert summary.headline == "Object within 15 days first."
    assert summary.reassurance == ["An objection only has to be in writing."]
    passed = answer(book, legal_action="payment_order", served_days_ago=20).summary.deadlines[0]
    assert (passed.days_left, passed.after) == (-5, "Passed: ask legal aid.")
    unknown = answer(book, legal_action="payment_order").summary.deadlines[0]
    assert (unknown.days_left, unknown.date, unknown.after) == (None, None, None)


def test_without_a_headline_the_stage_speaks(book: RuleBook) -> None:
    summary = answer(book).summary
    assert summary.headline == book.stages.bands["overdue_8_30"].about("en")
    assert summary.deadlines == [] and summary.reassurance == []


def test_next_stage(book: RuleBook) -> None:
    upcoming = next_stage(book, facts(days_overdue=7))
    assert upcoming is not None and (upcoming.id, upcoming.on_day, upcoming.in_days) == ("overdue_8_30", 8, 1)
    assert next_stage(book, facts(days_overdue=36500)) is None
    band = max(book.stages.bands.values(), key=lambda b: b.min)
    assert next_stage(book, facts(days_overdue=band.min)) is None


def test_first_steps_are_at_most_three_for_today(book: RuleBook) -> None:
    urgency = {"a": "now", "b": "now", "c": "this_week", "d": "now", "e": "now"}
    assert first_steps(book, [], ["a", "b", "d", "e", "c"], urgency) == ("a", "b", "d")  # type: ignore[arg-type]
    assert first_steps(book, [], ["c"], {"c": "this_week"}) == ("c",)
    assert first_steps(book, [], [], {}) == ()


def test_a_branch_can_name_its_own_first_steps(book: RuleBook) -> None:
    """A branch that names its first steps replaces the most urgent actions in the summary (the
    crisis branch does this), and the items keep their urgency and order in the lists."""
    named = SUMMARY_RULES.replace(
        "        headline: payment_order_first\n",
        "        headline: payment_order_first\n        first_steps: [object_now]\n",
    )
    assert named != SUMMARY_RULES
    focused = load_texts({**read_texts(MINI), "summary.yaml": named})
    given = answer(focused, legal_action="payment_order", served_days_ago=10)
    assert given.summary.first_steps == ["object_now"]
    assert [i.id for i in given.actions[:2]] == ["contact_lender", "object_now"]
    # where the branch is not taken, the most urgent actions are the first steps as before
    assert answer(focused).summary.first_steps == answer(book).summary.first_steps


def test_a_branch_can_cap_the_urgency_of_what_other_branches_give(book: RuleBook) -> None:
    """`others_at_most: later` on the payment-order branch: its own items keep their urgency (now),
    every item another branch gives drops to later, and the order follows."""
    capped = SUMMARY_RULES.replace(
        "        headline: payment_order_first\n",
        "        headline: payment_order_first\n        others_at_most: later\n",
    )
    assert capped != SUMMARY_RULES
    before = answer(book, legal_action="payment_order", served_days_ago=10)
    capped_book = load_texts({**read_texts(MINI), "summary.yaml": capped})
    after = answer(capped_book, legal_action="payment_order", served_days_ago=10)
    own = {"object_now", "contact_lender"}
    others = [i for i in before.actions + before.avoid if i.id not in own]
    assert others and all(i.urgency == "this_week" for i in others)
    assert {i.id: i.urgency for i in after.actions if i.id in own} == dict.fromkeys(own, "now")
    lowered = [i for i in after.actions + after.avoid if i.id not in own]
    assert [i.id for i in lowered] == [i.id for i in others] and all(i.urgency == "later" for i in lowered)


@pytest.mark.parametrize(
    ("first", "reason"),
    [
        ("[use_policy]", "first steps name advice this branch does not give"),
        ("[avoid_new_loans]", "is not an action"),
    ],
)
def test_first_steps_must_be_the_branch_s_own_actions(first: str, reason: str) -> None:
    texts = read_texts(MINI)
    broken = SUMMARY_RULES.replace(
        "        headline: payment_order_first\n",
        f"        headline: payment_order_first\n        first_steps: {first}\n",
    )
    if "avoid" in first:
        broken = broken.replace("advice: [{object_now: now}", "advice: [avoid_new_loans, {object_now: now}")
    with pytest.raises(RulesError) as error:
        load_texts({**texts, "summary.yaml": broken})
    assert "summary.yaml:" in str(error.value) and reason in str(error.value)


def test_deadlines_in_months_keep_to_the_calendar() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 8, 15), 6) == date(2026, 2, 15)
    six = Deadline.model_validate(
        {
            "defined_at": {"file": "t", "line": 1},
            "what": Text(zh="撤销", en="set aside"),
            "counted_from": "served",
            "months": 6,
            "practice": True,
            "after": Text(zh="过", en="passed"),
        }
    )
    counted = count_deadline("set_aside", six, {"served_days_ago": 31}, date(2026, 3, 31))
    # served on 2026-02-28: six months later is 2026-08-28, 150 days after 2026-03-31
    assert (counted.last_day, counted.days_left) == (date(2026, 8, 28), 150)
    due = six.model_copy(update={"counted_from": "due", "months": None})
    assert count_deadline("due", due, {"days_until_due": 4}, DAY).days_left == 4


def test_brief_answers_give_ids_not_texts(book: RuleBook) -> None:
    brief = answer(book, detail="brief", legal_action="payment_order", served_days_ago=10)
    full = answer(book, legal_action="payment_order", served_days_ago=10)
    assert [i.id for i in brief.actions] == [i.id for i in full.actions]
    item = brief.actions[0].model_dump()
    assert set(item) == {"id", "title", "urgency", "legal_basis"}
    assert all(isinstance(c, str) for i in brief.actions for c in i.legal_basis)
    assert brief.summary.deadlines[0].legal_basis == ["civil_code_585"]
    text = brief.json_bytes().decode()
    assert '"steps"' not in text and "Write the objection." not in text  # no steps
    assert full.legal_basis[0].summary not in text  # no citation texts
    assert brief.legal_basis
    assert all(set(c.model_dump()) == {"id", "law", "article"} for c in brief.legal_basis)


def test_terms_the_answer_uses(book: RuleBook) -> None:
    used = answer(book, legal_action="payment_order", served_days_ago=10)
    assert [t.term for t in used.terms] == ["objection"]
    assert answer(book).terms == []
    assert [t.term for t in answer(book, lang="zh", legal_action="payment_order").terms] == ["异议"]


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("    days: 15\n", "    days: 15\n    months: 1\n", "'days' or 'months'"),
        ("        headline: payment_order_first\n", "        headline: nowhere\n", "headline 'nowhere'"),
        ("[objection_15_days]", "[no_such_deadline]", "deadlines entry 'no_such_deadline'"),
        ("{object_now: now}", "{object_now: soon}", "urgency"),
    ],
)
def test_summary_references_are_checked(mini_dir: Any, old: str, new: str, reason: str) -> None:
    from conftest import read_texts

    with pytest.raises(RulesError) as caught:
        load_texts({**read_texts(mini_dir), "summary.yaml": SUMMARY_RULES.replace(old, new, 1)})
    assert any(reason in p.reason and p.file == "summary.yaml" for p in caught.value.problems), caught.value


def test_the_readme_case_in_chinese_opens_with_its_first_steps_and_reassurance() -> None:
    from conftest import ARTICLE_CASE

    from webapi import create_app

    client = create_app().test_client()
    response = client.post("/advise", json={**ARTICLE_CASE, "lang": "zh"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    answer = response.get_json()
    summary = answer["summary"]
    # before any list: the headline, three first steps and the reassurance come first in the JSON
    assert text.index('"summary"') < text.index('"actions"') < text.index('"avoid"')
    assert len(summary["first_steps"]) == 3
    assert summary["first_steps"] == [item["id"] for item in answer["actions"][:3]]
    assert all(item["urgency"] == "now" for item in answer["actions"][:3])
    assert any("亲友" in sentence and "不欠" in sentence for sentence in summary["reassurance"])
    assert any("投诉" in sentence for sentence in summary["reassurance"])
    assert summary["next_stage"] == {"id": "overdue_8_30", "label": "逾期8–30天", "on_day": 8, "in_days": 1}
