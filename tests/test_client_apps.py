"""What a client app needs (issue 9): gzip, CORS for the origins allowed, api_version, the glossary,
an OpenAPI document with operation ids and the README case as example, and 1.1 fields refused by name."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from conftest import ARTICLE_CASE
from flask import Flask

from kb.advisor import Advisor
from kb.facts import AdviceRequest
from webapi import create_app

ADVISOR = Advisor.from_folder()
ORIGIN = "https://app.example.org"


@pytest.fixture(scope="module")
def app() -> Flask:
    return create_app(advisor=ADVISOR)


def test_gzip_when_the_client_accepts_it(app: Flask) -> None:
    client = app.test_client()
    plain = client.post("/advise", json=ARTICLE_CASE)
    packed = client.post("/advise", json=ARTICLE_CASE, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert len(packed.get_data()) < len(plain.get_data()) / 3


def test_no_cross_origin_access_by_default(app: Flask) -> None:
    client = app.test_client()
    answered = client.post("/advise", json=ARTICLE_CASE, headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in answered.headers
    preflight = client.options("/advise", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 405
    assert preflight.headers["Content-Type"] == "application/problem+json"


def test_cross_origin_access_for_the_origins_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERDUE_ADVISOR_CORS_ORIGINS", f"{ORIGIN}, https://other.example.org")
    client = create_app(advisor=ADVISOR).test_client()
    asked = {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    preflight = client.options("/advise", headers=asked)
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    answered = client.post("/advise", json=ARTICLE_CASE, headers={"Origin": ORIGIN})
    assert answered.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "X-Request-ID" in answered.headers["Access-Control-Expose-Headers"]
    stranger = client.post("/advise", json=ARTICLE_CASE, headers={"Origin": "https://evil.example.net"})
    assert "Access-Control-Allow-Origin" not in stranger.headers
    review = client.get("/review", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in review.headers  # only the API, not the lawyers' pages


def test_a_bad_origin_setting_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERDUE_ADVISOR_CORS_ORIGINS", "*")
    with pytest.raises(SystemExit, match="CORS_ORIGINS"):
        create_app(advisor=ADVISOR)


def test_api_version_in_the_answer_and_in_version(app: Flask) -> None:
    client = app.test_client()
    assert client.post("/advise", json=ARTICLE_CASE).get_json()["api_version"] == "1.1"
    version = client.get("/version").get_json()
    assert version["api_version"] == "1.1" and version["kb_version"] == ADVISOR.book.kb_version


def test_the_glossary_in_both_languages(app: Flask) -> None:
    client = app.test_client()
    zh, en = client.get("/glossary").get_json(), client.get("/glossary?lang=en").get_json()
    assert zh["lang"] == "zh" and en["lang"] == "en"
    assert [t["id"] for t in zh["terms"]] == [t["id"] for t in en["terms"]] == list(ADVISOR.book.terms)
    extension = {t["id"]: t for t in zh["terms"]}["extension"]
    assert extension["term"] == "展期" and "同意" in extension["explanation"]
    # every term an answer lists is in the glossary
    answer = client.post("/advise", json={**ARTICLE_CASE, "lang": "en"}).get_json()
    assert {t["term"] for t in answer["terms"]} <= {t["term"] for t in en["terms"]}
    refused = client.get("/glossary?lang=fr")
    assert refused.status_code == 400 and refused.get_json()["errors"][0]["field"] == "lang"


def test_openapi_has_operation_ids_and_the_readme_case(app: Flask) -> None:
    document = app.test_client().get("/openapi.json").get_json()
    operations = [
        operation
        for path in document["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "responses" in operation
    ]
    ids = [operation["operationId"] for operation in operations]
    assert len(ids) == len(set(ids)) == len(operations) >= 10
    example = document["paths"]["/advise"]["post"]["requestBody"]["content"]["application/json"]["example"]
    assert AdviceRequest.model_validate_json(json.dumps(example)).days_overdue == 7  # not 36500
    assert "/glossary" in document["paths"]
    # every operation that takes a body shows the README case (a letter's, changed where it must be)
    taking = [operation for operation in operations if "requestBody" in operation]
    assert len(taking) == 1 + len(ADVISOR.book.letters)
    for operation in taking:
        shown = operation["requestBody"]["content"]["application/json"]["example"]
        facts = shown.get("facts", shown)
        assert (facts["days_overdue"], facts["as_of"], facts["hardship"]) == (7, "2026-11-29", "long_term")


def test_openapi_shows_the_readme_answer_and_the_contract_version(app: Flask) -> None:
    """A developer reading /docs sees what the README case really answers, and which contract."""
    client = app.test_client()
    document = client.get("/openapi.json").get_json()
    content = document["paths"]["/advise"]["post"]
    asked = content["requestBody"]["content"]["application/json"]["example"]
    shown = content["responses"]["200"]["content"]["application/json"]["example"]
    assert shown == client.post("/advise", json=asked).get_json()
    assert shown["summary"]["first_steps"] and set(shown["summary"]["first_steps"]) <= {
        item["id"] for item in shown["actions"]
    }
    assert document["info"]["version"] == client.get("/version").get_json()["api_version"] == "1.1"


def test_a_letter_that_does_not_fit_says_why_in_whole_sentences(app: Flask) -> None:
    facts = {"days_overdue": 100, "harassment": False, "hardship": "none", "credit_reported": "yes"}
    refused = app.test_client().post("/letters/payment_order_objection", json={"facts": facts})
    problem = refused.get_json()
    assert refused.status_code == 422
    assert problem["detail"].endswith(".") and "…" not in problem["detail"]
    assert "Not met: received a payment order" in problem["detail"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"days_overdue": 3, "days_until_due": 5}, "days_until_due"),
        ({"served_days_ago": 4}, "served_days_ago"),
        ({"detail": "short"}, "detail"),
        ({"legal_action": "bankruptcy"}, "legal_action"),
        ({"harassment_kinds": ["public_shaming"], "harassment": False}, "harassment_kinds"),
    ],
)
def test_1_1_fields_refused_by_name(app: Flask, changes: dict[str, Any], field: str) -> None:
    response = app.test_client().post("/advise", json={**ARTICLE_CASE, **changes})
    assert response.status_code == 400
    assert field in [error["field"] for error in response.get_json()["errors"]]


def test_a_1_0_request_keeps_its_diagram_link(app: Flask) -> None:
    answer = app.test_client().post("/advise", json=ARTICLE_CASE).get_json()
    query = answer["diagram_url"].split("?", 1)[1]
    assert "detail=" not in query and "debt_sold=" not in query and "safety_risk=" not in query
    brief = app.test_client().post("/advise", json={**ARTICLE_CASE, "detail": "brief"}).get_json()
    assert brief["diagram_url"] == answer["diagram_url"]


def test_the_answer_cache_is_counted_in_metrics() -> None:
    advisor = Advisor.from_folder()  # a fresh writer: its first decision is built, the second kept
    client = create_app(advisor=advisor).test_client()
    body = {**ARTICLE_CASE, "days_overdue": 40}
    client.post("/advise", json=body)
    client.post("/advise", json=body)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'overdue_advisor_answer_cache_total{result="miss"} 1.0' in text
    assert 'overdue_advisor_answer_cache_total{result="hit"} 1.0' in text
    assert (advisor.writer.hits, advisor.writer.misses) == (1, 1)
