"""Issue 10, in the app: bounded problems, duplicate keys, diagram URLs that round-trip, an OpenAPI
document as strict as the validator, path diagrams laid over one drawing."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import jsonschema
import pytest
from conftest import ARTICLE_CASE
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from strategies import request_bodies

from kb.advisor import Advisor
from kb.diagram.graph import decision_tree
from kb.diagram.render import render
from kb.facts import HARASSMENT_KINDS, AdviceRequest
from webapi import create_app
from webapi.pathdiagram import PathTree

ADVISOR = Advisor.from_folder()


@pytest.fixture(scope="module")
def app() -> Flask:
    with pytest.MonkeyPatch.context() as environment:
        # these tests fetch many drawings in a second: the rate bound has a test of its own
        environment.setenv("OVERDUE_ADVISOR_PATH_RATE", "100000")
        return create_app(advisor=ADVISOR)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def post(client: FlaskClient, data: bytes | str) -> Any:
    return client.post("/advise", data=data, content_type="application/json")


# ---- finding 2: bounded errors ----


def test_every_array_of_the_request_has_max_items() -> None:
    properties = AdviceRequest.model_json_schema()["properties"]
    arrays = {name: schema for name, schema in properties.items() if schema.get("type") == "array"}
    assert arrays
    assert all("maxItems" in schema for schema in arrays.values()), arrays


def test_thirty_thousand_bad_kinds_give_one_small_error(client: FlaskClient) -> None:
    body = {**ARTICLE_CASE, "harassment_kinds": [f"bad{i}" for i in range(30_000)]}
    response = post(client, json.dumps(body)[: 64 * 1024 - 1])  # cut: the model's error, not 413
    assert response.status_code == 400
    assert len(response.data) < 4096
    fixed = json.dumps({**ARTICLE_CASE, "harassment_kinds": [f"bad{i}" for i in range(3000)]})
    refused = post(client, fixed)
    assert refused.status_code == 400
    assert refused.get_json()["errors"] == [
        {"field": "harassment_kinds", "message": f"at most {len(HARASSMENT_KINDS)} items, not 3000"}
    ]


def test_a_problem_document_is_bounded_whatever_the_query(client: FlaskClient) -> None:
    query = "&".join(f"unknown_{i}_{'x' * 300}=1" for i in range(200))
    response = client.get(f"/diagrams/path.svg?{query}")
    assert response.status_code == 400
    problem = response.get_json()
    assert len(response.data) < 4096
    assert len(problem["errors"]) == 10
    assert problem["errors_omitted"] > 0
    assert all(len(error["field"]) <= 200 for error in problem["errors"])


# ---- finding 4: duplicate keys ----


@pytest.mark.parametrize("key", ["days_overdue", "hardship", "harassment_kinds"])
def test_a_duplicate_key_is_refused_naming_it(client: FlaskClient, key: str) -> None:
    text = json.dumps(ARTICLE_CASE)
    value = json.dumps(ARTICLE_CASE[key])
    response = post(client, text[:-1] + f', "{key}": {value}}}')
    assert response.status_code == 400
    assert response.get_json()["errors"] == [{"field": key, "message": "given more than once"}]


def test_options_is_405_problem_json(client: FlaskClient) -> None:
    response = client.options("/advise")
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"


# ---- finding 5: every diagram_url is accepted ----


@pytest.mark.parametrize("rate", [0.30000000000000004, 0.00001, 1e-07, 9999.999999999998, 24.0])
def test_the_diagram_url_of_an_odd_rate_is_accepted(client: FlaskClient, rate: float) -> None:
    answer = post(client, json.dumps({**ARTICLE_CASE, "annual_rate_percent": rate}))
    assert answer.status_code == 200
    url = answer.get_json()["diagram_url"]
    assert client.get(url).status_code == 200, url


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=request_bodies(ADVISOR.book))
def test_every_answer_diagram_url_is_accepted(client: FlaskClient, body: dict[str, Any]) -> None:
    answer = post(client, json.dumps(body))
    assert answer.status_code == 200
    drawn = client.get(answer.get_json()["diagram_url"])
    assert drawn.status_code == 200, answer.get_json()["diagram_url"]
    assert drawn.mimetype == "image/svg+xml"


# ---- finding 5: the OpenAPI document is as strict as the validator ----


def test_openapi_says_kinds_only_with_harassment(app: Flask) -> None:
    document = app.test_client().get("/openapi.json").get_json()
    schema = {**document["components"]["schemas"]["AdviceRequest"], "components": document["components"]}
    validator = jsonschema.Draft202012Validator(schema)
    good = {**ARTICLE_CASE}
    bad = {**ARTICLE_CASE, "harassment": False}
    assert not list(validator.iter_errors(good))
    assert list(validator.iter_errors(bad))
    assert AdviceRequest.model_validate_json(json.dumps(good))
    with pytest.raises(ValueError):
        AdviceRequest.model_validate_json(json.dumps(bad))


def test_openapi_takes_the_diagram_query_as_the_request_with_its_rules(app: Flask) -> None:
    document = app.test_client().get("/openapi.json").get_json()
    (facts,) = document["paths"]["/diagrams/path.svg"]["get"]["parameters"]
    assert (facts["in"], facts["style"], facts["explode"]) == ("query", "form", True)
    schema = facts["schema"]
    kinds = schema["properties"]["harassment_kinds"]
    assert kinds["type"] == "array" and kinds["items"]["enum"] and kinds["maxItems"]
    harassment = {"properties": {"harassment": {"const": False}}, "required": ["harassment"]}
    assert schema["allOf"][0]["if"] == harassment
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors({**ARTICLE_CASE, "harassment": False}))


def test_repeated_kinds_in_a_query_are_one_list(client: FlaskClient) -> None:
    query = urlencode({**_query(ARTICLE_CASE), "harassment_kinds": "threats"}) + "&harassment_kinds=insults"
    assert client.get(f"/diagrams/path.svg?{query}").status_code == 200


# ---- finding 2 and (h): a path laid over one drawing is the drawing dot makes of that path ----

_GROUP = re.compile(r'<g id="([^"]+)" class="([^"]*)"')


def test_a_path_laid_over_the_tree_matches_dot() -> None:
    book = ADVISOR.book
    graph = decision_tree(book, "en", path=())
    tree = PathTree(graph, render(graph, "svg").decode("utf-8"))
    cases = [
        ARTICLE_CASE,
        {**ARTICLE_CASE, "harassment": False, "harassment_kinds": [], "days_overdue": 0},
        {**ARTICLE_CASE, "days_overdue": 400, "legal_action": "judgment", "annual_rate_percent": 36.5},
        {**ARTICLE_CASE, "hardship": "none", "credit_reported": "yes", "other_loans": 5},
    ]
    for case in cases:
        path = tuple(ADVISOR.advise(AdviceRequest.model_validate_json(json.dumps(case))).path)
        laid = dict(_GROUP.findall(tree.draw(path).decode("utf-8")))
        drawn = dict(_GROUP.findall(render(decision_tree(book, "en", path=path), "svg").decode("utf-8")))
        assert laid == drawn, case


def test_distinct_paths_reuse_one_drawing_per_language(app: Flask, client: FlaskClient) -> None:
    from webapi.diagrams import EXTENSION

    drawings = app.extensions[EXTENSION]
    for days in (0, 1, 8, 31, 91, 400):
        for lang in ("zh", "en"):
            query = _query({**ARTICLE_CASE, "days_overdue": days, "legal_action": "lawsuit", "lang": lang})
            assert client.get(f"/diagrams/path.svg?{urlencode(query)}").status_code == 200
    assert drawings.path_svg.cache_info().misses > 2  # several distinct paths
    assert drawings.path_base.cache_info().misses == 2  # one drawing by dot per language


def _query(case: dict[str, Any]) -> dict[str, str]:
    return {
        name: ",".join(value) if isinstance(value, list) else str(value).lower() if isinstance(value, bool)
        else str(value)
        for name, value in case.items()
    }


def test_the_case_page_paints_the_path_as_the_drawing_does() -> None:
    from pathlib import Path

    from webapi.pathdiagram import STYLE

    css = (Path(__file__).resolve().parent.parent / "webapi" / "static" / "review.css").read_text("utf-8")
    rules = STYLE.removeprefix("<style>\n").removesuffix("</style>\n")
    scoped = re.sub(r"(^|,\s*)g\.", lambda m: m.group(1) + "#case-path svg g.", rules, flags=re.M)
    assert scoped in css


def test_path_diagrams_past_the_rate_are_503_with_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERDUE_ADVISOR_PATH_RATE", "3")
    client = create_app(advisor=ADVISOR).test_client()
    query = urlencode(_query(ARTICLE_CASE))
    assert client.get(f"/diagrams/path.svg?{query}").status_code == 200  # the tree, drawn by dot
    statuses = [client.get(f"/diagrams/path.svg?{query}") for _ in range(10)]
    assert statuses[0].status_code == 200
    refused = [answer for answer in statuses if answer.status_code == 503]
    assert refused, "ten drawings at once with a rate of three a second"
    assert all(answer.headers["Retry-After"].isdigit() for answer in refused)
    assert all(answer.mimetype == "application/problem+json" for answer in refused)
