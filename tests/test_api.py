"""The /advise contract (../shared/API.md): answers, every error status, the other endpoints."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import MINI_CASE
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from pydantic import ValidationError

from kb.facts import AdviceRequest, field_errors
from webapi import create_app

MINI = Path(__file__).parent / "fixtures" / "mini"
VALID = MINI_CASE
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def app() -> Flask:
    return create_app(rules_dir=MINI)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def post(client: FlaskClient, body: Any, **kwargs: Any) -> Any:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    kwargs.setdefault("content_type", "application/json")
    return client.post("/advise", data=data, **kwargs)


def texts(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [t for key, value in node.items() if key not in ("id", "source") for t in texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in texts(item)]
    return []


def test_answer_has_every_contract_field(client: FlaskClient) -> None:
    response = post(client, VALID)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    answer = response.get_json()
    for field in (
        "kb_version",
        "as_of",
        "stage",
        "actions",
        "avoid",
        "contacts",
        "legal_basis",
        "trace",
        "path",
    ):
        assert field in answer
    assert answer["as_of"] == "2026-01-05"
    assert answer["stage"]["id"] == "overdue_31_90"
    assert [a["id"] for a in answer["actions"]][:2] == ["call_police", "expect_court"]
    assert [a["id"] for a in answer["avoid"]] == ["avoid_new_loans"]
    assert [c["id"] for c in answer["contacts"]] == ["police"]
    assert answer["diagram_url"].startswith("/diagrams/path.svg?")
    assert "days_overdue=40" in answer["diagram_url"]
    assert [t["rule"] for t in answer["trace"]] == [
        "everyone",
        "stage_late",
        "harassment_yes",
        "kind_threats",
        "rate_high",
        "policy_open",
    ]
    assert answer["path"] == [
        "start",
        "everyone",
        "stage",
        "stage_late",
        "harassment",
        "harassment_yes",
        "kinds",
        "kind_threats",
        "rate",
        "rate_high",
        "window",
        "policy_open",
    ]
    cited = {c["id"] for item in answer["actions"] + answer["avoid"] for c in item["legal_basis"]}
    assert {c["id"] for c in answer["legal_basis"]} == cited


def test_law_cited_in_the_version_in_force(client: FlaskClient) -> None:
    before = post(client, {**VALID, "as_of": "2025-12-31"}).get_json()
    after = post(client, {**VALID, "as_of": "2026-01-01"}).get_json()
    assert {c["id"] for c in before["legal_basis"]} >= {"public_order_2012_42"}
    assert "public_order_2025_50" not in {c["id"] for c in before["legal_basis"]}
    assert {c["id"] for c in after["legal_basis"]} >= {"public_order_2025_50"}
    assert "public_order_2012_42" not in {c["id"] for c in after["legal_basis"]}


def test_time_limited_rule_only_while_open(client: FlaskClient) -> None:
    def rules(day: str) -> list[str]:
        return [t["rule"] for t in post(client, {**VALID, "as_of": day}).get_json()["trace"]]

    assert "policy_open" not in rules("2025-12-21")
    assert "policy_open" in rules("2025-12-22")
    assert "policy_open" in rules("2026-03-31")
    assert "policy_open" not in rules("2026-04-01")


def test_every_text_in_the_asked_language(client: FlaskClient) -> None:
    english = post(client, {**VALID, "lang": "en"}).get_json()
    chinese = post(client, {**VALID, "lang": "zh"}).get_json()
    assert not [t for t in texts(english) if CJK.search(t)]
    assert CJK.search(chinese["actions"][0]["title"])
    assert english["actions"][0]["title"] == "Call the police"


def test_same_request_same_bytes(client: FlaskClient) -> None:
    assert post(client, VALID).data == post(client, VALID).data


def test_default_language_and_date(client: FlaskClient) -> None:
    body = {k: v for k, v in VALID.items() if k != "as_of"}
    answer = post(client, body).get_json()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", answer["as_of"])
    assert CJK.search(answer["stage"]["label"])


BAD_BODIES = [
    ({k: v for k, v in VALID.items() if k != "days_overdue"}, "days_overdue"),
    ({**VALID, "surprise": 1}, "surprise"),
    ({**VALID, "days_overdue": True}, "days_overdue"),
    ({**VALID, "days_overdue": 1.0}, "days_overdue"),
    ({**VALID, "days_overdue": "3"}, "days_overdue"),
    ({**VALID, "days_overdue": -1}, "days_overdue"),
    ({**VALID, "days_overdue": 36501}, "days_overdue"),
    ({**VALID, "harassment": "yes"}, "harassment"),
    ({**VALID, "hardship": "some"}, "hardship"),
    ({**VALID, "credit_reported": True}, "credit_reported"),
    ({**VALID, "harassment_kinds": ["threats", "threats"]}, "harassment_kinds"),
    ({**VALID, "harassment_kinds": ["ghosts"]}, "harassment_kinds"),
    ({**VALID, "harassment": False}, "harassment_kinds"),
    ({**VALID, "annual_rate_percent": "30"}, "annual_rate_percent"),
    ({**VALID, "annual_rate_percent": 10000.5}, "annual_rate_percent"),
    ({**VALID, "lender_licensed": "maybe"}, "lender_licensed"),
    ({**VALID, "legal_action": "arrest"}, "legal_action"),
    ({**VALID, "other_loans": 1001}, "other_loans"),
    ({**VALID, "lang": "fr"}, "lang"),
    ({**VALID, "as_of": "1999-12-31"}, "as_of"),
    ({**VALID, "as_of": "2101-01-01"}, "as_of"),
    ({**VALID, "as_of": "2026-1-5"}, "as_of"),
    ({**VALID, "as_of": "2026-02-30"}, "as_of"),
    ({**VALID, "first_time_borrower": "yes"}, "first_time_borrower"),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES, ids=[f for _, f in BAD_BODIES])
def test_refused_field_is_named(client: FlaskClient, body: dict[str, Any], field: str) -> None:
    response = post(client, body)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 400
    assert {"type", "title", "detail", "errors"} <= set(problem)
    assert field in [e["field"] for e in problem["errors"]]
    assert all(e["message"] for e in problem["errors"])


REQUEST_FIELD_NAMES = (
    "days_overdue, harassment, harassment_kinds, hardship, credit_reported, first_time_borrower, "
    "lender_licensed, annual_rate_percent, legal_action, other_loans, days_until_due, served_days_ago, "
    "debt_sold, plan_agreed, credit_card_debt, identity_misused, guarantee, amount_owed_yuan, student, "
    "safety_risk, lang, detail, as_of"
)
REQUIRED = ("days_overdue", "harassment", "hardship", "credit_reported")
KIND_WORDS = (
    "Input should be 'contacts_third_parties', 'threats', 'insults', 'call_bombing', 'visits', "
    "'fake_legal_documents', 'odd_hours', 'public_shaming' or 'claims_criminal_case'"
)


@pytest.mark.parametrize(
    ("raw", "errors"),
    [
        ("[]", [("body", "the body must be a JSON object")]),
        ("{", [("body", "not valid JSON: EOF while parsing an object at line 1 column 1")]),
        ("{}", [(name, "required") for name in REQUIRED]),
        (
            json.dumps({**VALID, "colour": "red"}),
            [("colour", f"unknown field; the fields are: {REQUEST_FIELD_NAMES}")],
        ),
        (
            json.dumps({**VALID, "harassment_kinds": ["threats", "shouting", "whispers"]}),
            [("harassment_kinds", f"item 1: {KIND_WORDS}"), ("harassment_kinds", f"item 2: {KIND_WORDS}")],
        ),
        (
            json.dumps({**VALID, "harassment": False}),
            [("harassment_kinds", "must be empty when harassment is false")],
        ),
        (
            json.dumps({**VALID, "days_overdue": 36501}),
            [("days_overdue", "Input should be less than or equal to 36500")],
        ),
    ],
)
def test_refusals_keep_their_words(client: FlaskClient, raw: str, errors: list[tuple[str, str]]) -> None:
    """The words of a refusal are part of the 1.0 contract: the same body, the same bytes (the
    CLI and the scenario files print them in full; a problem document cuts each at 200 characters)."""
    with pytest.raises(ValidationError) as refused:
        AdviceRequest.model_validate_json(raw)
    assert [(e["field"], e["message"]) for e in field_errors(refused.value)] == errors
    problem = post(client, raw).get_json()
    shown = [(field, text if len(text) <= 200 else text[:199] + "…") for field, text in errors]
    assert [(e["field"], e["message"]) for e in problem["errors"]] == shown
    names = ", ".join(dict.fromkeys(field for field, _ in errors))
    assert problem["detail"] == f"The request was refused: {names}."


@pytest.mark.parametrize(
    "raw",
    [
        '{"days_overdue": 1, "harassment": false, "hardship": "none", "credit_reported": "no", '
        '"annual_rate_percent": NaN}',
        '{"days_overdue": 1, "harassment": false, "hardship": "none", "credit_reported": "no", '
        '"annual_rate_percent": Infinity}',
    ],
)
def test_non_finite_numbers_refused(client: FlaskClient, raw: str) -> None:
    response = post(client, raw)
    assert response.status_code == 400
    assert [e["field"] for e in response.get_json()["errors"]] == ["annual_rate_percent"]


@pytest.mark.parametrize("raw", ["[]", '"text"', "42", "null", '{"days_overdue": ', "", "{}}"])
def test_body_not_a_json_object(client: FlaskClient, raw: str) -> None:
    response = post(client, raw)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"]


def test_body_too_large(client: FlaskClient) -> None:
    response = post(client, json.dumps({**VALID, "pad": "x" * 70_000}))
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 413


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_not_json(client: FlaskClient, content_type: str) -> None:
    response = post(client, VALID, content_type=content_type)
    assert response.status_code == 415
    assert response.get_json()["status"] == 415


def test_wrong_method(client: FlaskClient) -> None:
    response = client.get("/advise")
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert "POST" in response.headers["Allow"]


def test_unknown_path(client: FlaskClient) -> None:
    response = client.get("/nothing/here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404


def test_healthz_and_version(client: FlaskClient, app: Flask) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    version = client.get("/version").get_json()
    assert version["kb_version"] == app.extensions["overdue_advisor"].book.kb_version
    assert version["engine"]["name"] == "durable-rules"
    assert version["engine"]["version"] == "2.0.28"
    assert re.fullmatch(r"\d+\.\d+\.\d+", version["package_version"])


def test_openapi_from_the_validating_models(client: FlaskClient) -> None:
    document = client.get("/openapi.json").get_json()
    validate(document)  # a valid OpenAPI 3.1 document, or this raises
    assert document["openapi"].startswith("3.1")
    schemas = document["components"]["schemas"]
    request = schemas["AdviceRequest"]
    assert request["additionalProperties"] is False
    assert set(request["required"]) == {"days_overdue", "harassment", "hardship", "credit_reported"}
    assert request["properties"]["days_overdue"]["maximum"] == 36500
    assert {"Answer", "Problem"} <= set(schemas)
    # in the models' order, not sorted: a reader meets the required fields first
    assert list(request["properties"])[:4] == ["days_overdue", "harassment", "harassment_kinds", "hardship"]
    assert next(iter(document["paths"])) == "/advise"
    responses = document["paths"]["/advise"]["post"]["responses"]
    assert {"200", "400", "413", "415"} <= set(responses)


def test_docs_served_locally(client: FlaskClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html
    assert "<script>" not in html  # no inline script: the CSP forbids them
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    for asset in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert client.get(asset).status_code == 200, asset


def test_broken_rules_are_never_served(tmp_path: Path) -> None:
    from kb.loader import RulesError

    for source in MINI.iterdir():
        (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("advice: [pay_today]", "advice: [nope]"))
    with pytest.raises(RulesError) as refused:
        create_app(rules_dir=tmp_path)
    assert "rules.yaml:" in str(refused.value) and "'nope'" in str(refused.value)
