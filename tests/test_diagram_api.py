"""GET /diagrams/...: the audit set drawn from the served rules, and the tree with a case's path."""

from __future__ import annotations

import builtins
import io
import json
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

import pytest
from conftest import MINI, MINI_CASE
from flask import Flask
from flask.testing import FlaskClient

from webapi import create_app
from webapi.diagrams import EXTENSION, PATH_CACHE_SIZE, Drawings

CASE = MINI_CASE
QUERY = {
    "days_overdue": "40",
    "harassment": "true",
    "hardship": "none",
    "credit_reported": "unknown",
    "as_of": "2026-01-05",
}
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture()
def app() -> Flask:
    return create_app(rules_dir=MINI)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def states(svg: bytes) -> dict[str, set[str]]:
    """Box and arrow ids by highlight: taken, dimmed."""
    found: dict[str, set[str]] = {"taken": set(), "dimmed": set()}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        classes = (group.get("class") or "").split()
        for state in found:
            if state in classes:
                found[state].add(group.get("id") or "")
    return found


def advise(client: FlaskClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/advise", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    return response.get_json()


def test_the_answer_diagram_url_draws_its_path(client: FlaskClient) -> None:
    answer = advise(client, {**CASE, "lang": "en"})
    response = client.get(answer["diagram_url"])
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    drawn = states(response.data)
    taken_rules = {box.removeprefix("path-r_") for box in drawn["taken"] if box.startswith("path-r_")}
    assert taken_rules == {entry["rule"] for entry in answer["trace"]}
    assert {"path-r_harassment_no", "path-r_stage_due_today"} <= drawn["dimmed"]
    assert "path-branch-q_harassment-r_harassment_yes" in drawn["taken"]
    svg = response.get_data(as_text=True)
    assert "Harassment?" in svg and "/review/rules/harassment_yes?lang=en" in svg
    chinese = client.get(advise(client, {**CASE, "lang": "zh"})["diagram_url"]).get_data(as_text=True)
    assert "骚扰？" in chinese and "Harassment?" not in chinese


def test_the_query_is_validated_like_advise(client: FlaskClient) -> None:
    cases = [
        ({"days_overdue": "-1"}, {"days_overdue": -1}),
        ({"days_overdue": "7.5"}, {"days_overdue": 7.5}),
        ({"harassment": "yes"}, {"harassment": "yes"}),
        ({"hardship": "sometimes"}, {"hardship": "sometimes"}),
        (
            {"harassment": "false", "harassment_kinds": "threats"},
            {"harassment": False, "harassment_kinds": ["threats"]},
        ),
        ({"harassment_kinds": "threats,threats"}, {"harassment_kinds": ["threats", "threats"]}),
        ({"harassment_kinds": "threats,shouting"}, {"harassment_kinds": ["threats", "shouting"]}),
        ({"annual_rate_percent": "nan"}, {"annual_rate_percent": "nan"}),
        ({"as_of": "2026-02-30"}, {"as_of": "2026-02-30"}),
        ({"as_of": "1999-12-31"}, {"as_of": "1999-12-31"}),
        ({"lang": "fr"}, {"lang": "fr"}),
        ({"evil": "../../etc/passwd"}, {"evil": "../../etc/passwd"}),
    ]
    body = {**CASE}
    for query_change, body_change in cases:
        from_query = client.get(f"/diagrams/path.svg?{urlencode({**QUERY, **query_change})}")
        from_body = client.post(
            "/advise", data=json.dumps({**body, **body_change}), content_type="application/json"
        )
        assert from_query.status_code == 400, query_change
        assert from_query.mimetype == "application/problem+json"
        assert from_query.get_json() == from_body.get_json(), query_change
    missing = client.get("/diagrams/path.svg?days_overdue=3").get_json()
    assert {e["field"] for e in missing["errors"]} == {"harassment", "hardship", "credit_reported"}
    twice = client.get(f"/diagrams/path.svg?{urlencode(QUERY)}&lang=en&lang=zh").get_json()
    assert twice["errors"] == [{"field": "lang", "message": "given more than once"}]


def test_query_values_of_every_type_are_read(client: FlaskClient) -> None:
    query = {
        **QUERY,
        "harassment_kinds": "threats,insults",
        "first_time_borrower": "false",
        "annual_rate_percent": "24.5",
        "other_loans": "2",
        "lender_licensed": "no",
        "legal_action": "lawsuit",
        "lang": "en",
    }
    response = client.get(f"/diagrams/path.svg?{urlencode(query)}")
    assert response.status_code == 200
    assert "path-r_rate_high" in states(response.data)["taken"]
    empty_kinds = client.get(f"/diagrams/path.svg?{urlencode({**QUERY, 'harassment_kinds': ''})}")
    assert "path-r_kind_unsaid" in states(empty_kinds.data)["taken"]


def test_paths_are_cached_by_path_in_a_bounded_cache(app: Flask, client: FlaskClient) -> None:
    drawings: Drawings = app.extensions[EXTENSION]
    assert drawings.path_svg.cache_info().maxsize == PATH_CACHE_SIZE
    first = client.get(f"/diagrams/path.svg?{urlencode({**QUERY, 'days_overdue': '40'})}")
    # another borrower with the same path through the tree: drawn once
    second = client.get(f"/diagrams/path.svg?{urlencode({**QUERY, 'days_overdue': '60'})}")
    assert first.data == second.data
    info = drawings.path_svg.cache_info()
    assert (info.hits, info.misses) == (1, 1)
    client.get(f"/diagrams/path.svg?{urlencode({**QUERY, 'days_overdue': '0'})}")
    assert drawings.path_svg.cache_info().misses == 2


def test_the_audit_set_is_served_by_name(client: FlaskClient) -> None:
    for name, media_type, start in [
        ("tree.zh.svg", "image/svg+xml", b"<?xml"),
        ("tree.en.png", "image/png", b"\x89PNG"),
        ("tree.zh.pdf", "application/pdf", b"%PDF-"),
        ("stage-overdue_31_90.en.svg", "image/svg+xml", b"<?xml"),
        ("rules.en.png", "image/png", b"\x89PNG"),
    ]:
        response = client.get(f"/diagrams/{name}")
        assert response.status_code == 200, name
        assert response.mimetype == media_type and response.data.startswith(start)
    served = client.get("/diagrams/tree.en.svg").get_data(as_text=True)
    assert "/review/" not in served  # the audit files link nowhere, like the committed ones


def test_pngs_are_drawn_on_request_once_and_match_the_cli(
    app: Flask, client: FlaskClient, tmp_path: Any
) -> None:
    from kb.cli import main

    drawings: Drawings = app.extensions[EXTENSION]
    first = client.get("/diagrams/question-kinds.en.png")
    assert first.status_code == 200 and first.mimetype == "image/png"
    again = client.get("/diagrams/question-kinds.en.png")
    assert again.data == first.data
    info = drawings.audit_file.cache_info()
    assert info.hits >= 1 and info.maxsize == len(drawings.audit)  # bounded: one entry per name
    assert main(["diagrams", "--rules", str(MINI), "--png", str(tmp_path / "png")]) == 0
    assert (tmp_path / "png" / "question-kinds.en.png").read_bytes() == first.data
    # a committed drawing is served byte for byte as diagrams/ holds it
    assert main(["diagrams", "--rules", str(MINI), "--out", str(tmp_path / "out")]) == 0
    served = client.get("/diagrams/question-kinds.zh.svg").data
    assert served == (tmp_path / "out" / "question-kinds.zh.svg").read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "tree.fr.svg",
        "tree.zh.gif",
        "..%2F..%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        "tree.zh.svg%00.png",
        "..",
        "stage-due_today.zh.pdf",  # only the whole tree is made as PDF
        "question-nope.zh.svg",
        "question-kinds.zh.pdf",
    ],
)
def test_anything_else_is_not_found_and_no_file_is_opened(
    client: FlaskClient, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    real_open = builtins.open

    def watched(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", watched)
    monkeypatch.setattr(io, "open", watched)
    response = client.get(f"/diagrams/{name}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert opened == []
    path = client.get(f"/diagrams/path.svg?{urlencode({**QUERY, 'lang': '../../etc/passwd'})}")
    assert path.status_code == 400 and opened == []
