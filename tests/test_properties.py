"""Properties of /advise through the real Flask app and the shipped rules, on generated requests:
every valid request is answered fully and deterministically in one language; every invalid one
is refused with 400 naming the field, never 500."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import request_bodies

from kb.advisor import Advisor
from webapi import create_app

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
ADVISOR = Advisor.from_folder()
BOOK = ADVISOR.book
APP: Flask = create_app(advisor=ADVISOR)
VALID = request_bodies(BOOK)
SETTINGS = settings(
    max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# Keys whose values are ids, URLs or versions, not words in a language.
NOT_WORDS = {
    "id",
    "source",
    "kb_version",
    "api_version",
    "as_of",
    "lang",
    "diagram_url",
    "kind",  # a letter kind and its url (documents) are ids, not words
    "url",
    "rule",
    "question",
    "path",
    "urgency",
    "first_steps",
    "date",
    # a term of art as the texts write it, which can be Latin letters in Chinese texts too (LPR)
    "term",
}


def post(body: Any) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return APP.test_client().post("/advise", data=data, content_type="application/json")


def words(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [w for key, value in node.items() if key not in NOT_WORDS for w in words(value)]
    if isinstance(node, list):
        return [w for item in node for w in words(item)]
    return []


@SETTINGS
@given(body=VALID)
def test_every_valid_request_gets_a_full_answer(body: dict[str, Any]) -> None:
    response = post(body)
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["stage"]["id"] in BOOK.stages.ids() and answer["stage"]["label"]
    assert answer["actions"], "no action"
    day = date.fromisoformat(answer["as_of"])
    if BOOK.kb.in_force.covers(day):  # the dates the rules are written for (lint checks the same)
        for item in answer["actions"] + answer["avoid"]:
            assert item["practice"] or item["legal_basis"], f"{item['id']} cites nothing on {day}"


@SETTINGS
@given(body=VALID)
def test_the_same_request_gives_the_same_bytes(body: dict[str, Any]) -> None:
    assert post(body).get_data() == post(json.dumps(body)).get_data()


@SETTINGS
@given(body=VALID)
def test_the_answer_is_in_one_language(body: dict[str, Any]) -> None:
    answer = post(body).get_json()
    texts = words(answer)
    assert texts
    if answer["lang"] == "en":
        assert [t for t in texts if CJK.search(t)] == []
    else:
        assert [t for t in texts if not CJK.search(t)] == []


# For each field, values of a JSON type it does not take (null only where it is not allowed).
WRONG_TYPES: dict[str, list[Any]] = {
    "days_overdue": ["7", 7.5, True, None, [], {}],
    "harassment": ["true", 1, None, [], {}],
    "harassment_kinds": ["threats", 1, True, {}],
    "hardship": [1, True, ["none"], {}],
    "credit_reported": [True, 1, ["yes"]],
    "first_time_borrower": ["no", 0, [], {}],
    "lender_licensed": [True, 1, []],
    "annual_rate_percent": ["30", True, [], {}],
    "legal_action": [0, False, {}],
    "other_loans": ["2", 2.5, False, []],
    "lang": [1, ["en"]],
    "as_of": [20260101, True, []],
    "days_until_due": ["5", 5.5, True, []],
    "served_days_ago": ["3", 3.5, False, {}],
    "debt_sold": ["yes", 1, None, []],
    "plan_agreed": [True, 1, ["kept"]],
    "credit_card_debt": ["true", 0, None],
    "identity_misused": ["no", 1, None],
    "guarantee": [False, 2, {}],
    "amount_owed_yuan": ["8000", True, []],
    "student": ["yes", 1, None],
    "safety_risk": ["no", 0, None],
    "detail": [1, True, ["brief"]],
}


OUT_OF_RANGE: dict[str, list[Any]] = {
    "days_overdue": [-1, 36501, 10**12],
    "other_loans": [-1, 1001],
    "annual_rate_percent": [-0.01, 10000.01],
    "hardship": ["sometimes", ""],
    "credit_reported": ["maybe"],
    "lender_licensed": ["perhaps"],
    "legal_action": ["arrest"],
    "lang": ["fr"],
    "as_of": ["1999-12-31", "2101-01-01", "2026-02-30", "tomorrow"],
    "harassment_kinds": [["threats", "threats"], ["shouting"]],
    "served_days_ago": [-1, 3651],
    "plan_agreed": ["maybe"],
    "guarantee": ["bank"],
    "amount_owed_yuan": [-1, 100_000_001],
    "detail": ["short"],
}


@st.composite
def invalid_bodies(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A valid body with one thing wrong, and the field the refusal must name."""
    body = draw(VALID)
    how = draw(st.sampled_from(["type", "range", "unknown", "kinds", "missing"]))
    if how == "type":
        field = draw(st.sampled_from(sorted(body)))
        body[field] = draw(st.sampled_from(WRONG_TYPES[field]))
    elif how == "range":
        field = draw(st.sampled_from(sorted(OUT_OF_RANGE)))
        body[field] = draw(st.sampled_from(OUT_OF_RANGE[field]))
        if field == "harassment_kinds":
            body["harassment"] = True
    elif how == "unknown":
        field = draw(st.sampled_from(["income", "days", "Harassment", "debug"]))
        body[field] = 1
    elif how == "kinds":
        field = "harassment_kinds"
        body["harassment"] = False
        body[field] = draw(
            st.lists(st.sampled_from(["threats", "visits", "insults"]), min_size=1, unique=True)
        )
    else:
        field = draw(st.sampled_from(["days_overdue", "harassment", "hardship", "credit_reported"]))
        del body[field]
    return body, field


@SETTINGS
@given(case=invalid_bodies())
def test_every_invalid_request_is_refused_naming_the_field(case: tuple[dict[str, Any], str]) -> None:
    body, field = case
    response = post(body)
    assert response.status_code == 400, (body, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert field in {e["field"] for e in problem["errors"]}, problem
