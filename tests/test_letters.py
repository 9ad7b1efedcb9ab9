"""Letters (POST /letters/<kind>, the answer's documents): which fit, what they say, in both
languages and both formats, and how bad input is refused."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import docx
import jsonschema
import pytest
from conftest import ARTICLE_CASE, line_of
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import Environment, meta
from markupsafe import escape
from openapi_spec_validator import validate

from kb.advisor import Advisor, load_checked, shipped_rules
from kb.compiler import compile_rules, letter_rule
from kb.facts import AdviceRequest
from kb.letters.render import BLANK, documents, render
from kb.letters.request import letter_request
from kb.letters.templates import CONTEXT
from kb.letters.word import DOCX_TYPE, EAST_ASIAN_FONT, as_docx
from kb.loader import RulesError, load_texts, read_folder
from kb.model import RuleBook
from kb.reference import fired_rules
from kb.verify import letters as letters_check
from kb.verify import lint
from kb.verify.regions import condition_facts
from kb.verify.scenarios import Expected, unmet
from kb.wording import describe
from webapi import create_app
from webapi.openapi import openapi_document

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
RULES = Path(__file__).resolve().parent.parent / "rules"
DETAIL_WORDS = "a text (at most 16,000 characters) or a number"
KINDS = (
    "hardship_statement",
    "stop_third_party_contact",
    "collection_complaint",
    "payment_order_objection",
    "credit_report_objection",
    "identity_theft_statement",
)
# A payment order that reached her three days before the advice: the objection's last day is
# 2026-12-11 (15 days from 2026-11-26).
PAYMENT_ORDER_CASE: dict[str, Any] = {
    "days_overdue": 120,
    "harassment": False,
    "hardship": "long_term",
    "credit_reported": "yes",
    "legal_action": "payment_order",
    "served_days_ago": 3,
    "as_of": "2026-11-29",
}
IDENTITY_CASE: dict[str, Any] = {
    "days_overdue": 30,
    "harassment": True,
    "harassment_kinds": ["threats"],
    "hardship": "none",
    "credit_reported": "unknown",
    "identity_misused": True,
    "as_of": "2026-11-29",
}
OBJECTION_DETAILS = {
    "court": "北京市海淀区人民法院",
    "case_number": "（2026）京0108民督1234号",
    "disputed": "逾期罚息及服务费",
    "undisputed": "借款本金",
}
IDENTITY_WORDS = "someone took out the loan in the borrower's name: no"
LAST_DAY = {"zh": "2026年12月11日", "en": "11 December 2026"}
OBJECTION_WORDS = {"zh": "提出书面异议", "en": "files this written objection"}
HOSTILE = (
    "<w:p><w:r><w:t>x</w:t></w:r></w:p> <script>alert(1)</script> &amp; {{ 7*7 }} {% if true %}IF{% endif %} "
    "{# c #} ${x} %s\x00\x07\x1b[31m\x7f\x85 end"
)
SHOWN = (
    "<w:p><w:r><w:t>x</w:t></w:r></w:p> <script>alert(1)</script> &amp; {{ 7*7 }} {% if true %}IF{% endif %} "
    "{# c #} ${x} %s\u2400\u2407\u241b[31m\u2421\ufffd end"
)


@pytest.fixture(scope="module")
def advisor() -> Advisor:
    return Advisor(load_checked(shipped_rules()))


@pytest.fixture(scope="module")
def book(advisor: Advisor) -> RuleBook:
    return advisor.book


@pytest.fixture(scope="module")
def app(advisor: Advisor) -> Flask:
    return create_app(advisor=advisor)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def request_of(case: dict[str, Any]) -> AdviceRequest:
    return AdviceRequest.model_validate_json(json.dumps(case))


def post(client: FlaskClient, kind: str, body: Any, **kwargs: Any) -> Any:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    kwargs.setdefault("content_type", "application/json")
    return client.post(f"/letters/{kind}", data=data, **kwargs)


def docx_text(data: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]


# ---- which letters fit: the engine decides, the reference agrees, the answer lists them ----


def test_the_catalogue_holds_every_kind_of_the_contract(book: RuleBook) -> None:
    assert set(book.letters) == set(KINDS)
    for letter in book.letters.values():
        assert letter.legal_basis and all(law in book.laws for law in letter.legal_basis)


def test_each_letter_is_an_engine_rule(book: RuleBook) -> None:
    compiled = compile_rules(book)
    assert {letter_rule(kind) for kind in KINDS} <= set(compiled.actions)
    assert {letter_rule(kind) for kind in KINDS} <= set(compiled.definition)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (ARTICLE_CASE, ["hardship_statement", "stop_third_party_contact", "collection_complaint"]),
        (PAYMENT_ORDER_CASE, ["payment_order_objection", "hardship_statement", "credit_report_objection"]),
        (IDENTITY_CASE, ["identity_theft_statement", "collection_complaint", "credit_report_objection"]),
        (
            {**PAYMENT_ORDER_CASE, "served_days_ago": 15},
            ["payment_order_objection", "hardship_statement", "credit_report_objection"],
        ),
        ({**PAYMENT_ORDER_CASE, "served_days_ago": 16}, ["hardship_statement", "credit_report_objection"]),
    ],
)
def test_documents_fit_the_facts(
    advisor: Advisor, client: FlaskClient, case: dict[str, Any], expected: list[str]
) -> None:
    request = request_of(case)
    facts, day = request.facts(), request.day()
    fired = advisor.engine.fired(advisor_message(advisor, facts, day))
    assert fired == fired_rules(advisor.book, facts, day)
    assert documents(advisor.book, fired) == expected
    answer = client.post("/advise", json=case).get_json()
    assert list(answer)[-1] == "documents"
    assert answer["documents"] == [
        {"kind": kind, "title": advisor.book.letters[kind].title("zh"), "url": f"/letters/{kind}"}
        for kind in expected
    ]
    brief = client.post("/advise", json={**case, "detail": "brief", "lang": "en"}).get_json()
    assert [d["kind"] for d in brief["documents"]] == expected
    assert brief["documents"][0]["title"] == advisor.book.letters[expected[0]].title("en")


def advisor_message(advisor: Advisor, facts: dict[str, Any], day: date) -> dict[str, Any]:
    from kb.compiler import message

    return message(advisor.book, facts, day)


def test_a_scenario_can_state_the_documents() -> None:
    advisor = Advisor(load_checked(shipped_rules()))
    answer = advisor.advise(request_of(ARTICLE_CASE))
    right = Expected(
        stage="just_overdue",
        first_action="contact_lender_official",
        documents=("hardship_statement", "stop_third_party_contact", "collection_complaint"),
    )
    assert list(unmet(right, answer)) == []
    wrong = right.model_copy(update={"documents": ("hardship_statement",)})
    assert [f for f in unmet(wrong, answer) if f.startswith("documents are")]


# ---- every kind, both languages, both formats ----


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("case", [ARTICLE_CASE, PAYMENT_ORDER_CASE], ids=["readme", "payment_order"])
def test_every_kind_renders_for_both_cases(
    book: RuleBook, kind: str, lang: str, case: dict[str, Any]
) -> None:
    request = request_of(case)
    letter = render(book, kind, request.facts(), request.day(), {}, lang)  # type: ignore[arg-type]
    text = letter.text()
    assert text.startswith(book.letters[kind].title(lang) + "\n")
    assert BLANK in text  # nothing given: names are blanks to fill by hand, never invented
    assert ("2026年11月29日" if lang == "zh" else "29 November 2026") in text
    for law_id in book.letters[kind].legal_basis:
        law = book.laws[law_id]
        if law.in_force.covers(request.day()):
            assert law.article(lang) in text, law_id
    paragraphs = docx_text(as_docx(letter))
    assert paragraphs[0] == letter.title
    assert [line for line in letter.lines if line] == paragraphs[1:]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("fmt", ["text", "docx"])
def test_fitting_letters_through_the_api(
    book: RuleBook, client: FlaskClient, lang: str, fmt: str
) -> None:
    served = 0
    for case in (ARTICLE_CASE, PAYMENT_ORDER_CASE, IDENTITY_CASE):
        for document in client.post("/advise", json=case).get_json()["documents"]:
            response = post(client, document["kind"], {"facts": case, "lang": lang, "format": fmt})
            assert response.status_code == 200, response.get_data(as_text=True)
            assert response.headers["Cache-Control"] == "no-store"
            if fmt == "text":
                assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
                assert response.get_data(as_text=True).startswith(book.letters[document["kind"]].title(lang))
            else:
                assert response.mimetype == DOCX_TYPE
                assert "attachment" in response.headers["Content-Disposition"]
                assert docx_text(response.data)[0] == book.letters[document["kind"]].title(lang)
            served += 1
    assert served == 9


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_objection_docx_holds_court_case_objection_and_deadline(client: FlaskClient, lang: str) -> None:
    body = {"facts": PAYMENT_ORDER_CASE, "details": OBJECTION_DETAILS, "lang": lang, "format": "docx"}
    response = post(client, "payment_order_objection", body)
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert document.paragraphs[0].text == ("支付令异议书" if lang == "zh" else "Objection to a payment order")
    assert OBJECTION_DETAILS["court"] in text
    assert OBJECTION_DETAILS["case_number"] in text
    assert OBJECTION_WORDS[lang] in text
    assert LAST_DAY[lang] in text  # the last day to file, counted from service
    assert OBJECTION_DETAILS["undisputed"] in text  # a partial objection, explained
    assert ("不影响其他各项请求的效力" if lang == "zh" else "leaves the others in force") in text
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get(f"{{{W}}}eastAsia") == EAST_ASIAN_FONT
    assert round(document.sections[0].page_width.mm) == 210


def test_a_full_objection_does_not_speak_of_a_partial_one(book: RuleBook) -> None:
    request = request_of(PAYMENT_ORDER_CASE)
    details = {k: v for k, v in OBJECTION_DETAILS.items() if k != "undisputed"}
    text = render(book, "payment_order_objection", request.facts(), request.day(), details, "zh").text()
    assert "不影响其他各项请求的效力" not in text
    assert LAST_DAY["zh"] in text


def test_without_the_day_of_service_the_deadline_is_a_blank(book: RuleBook) -> None:
    request = request_of({k: v for k, v in PAYMENT_ORDER_CASE.items() if k != "served_days_ago"})
    text = render(book, "payment_order_objection", request.facts(), request.day(), {}, "en").text()
    assert f"the last day to file this objection is {BLANK}" in text


def test_citations_follow_the_date(book: RuleBook) -> None:
    """A payment order in 2023 is objected to under the 2021 numbering (Arts. 221-224)."""
    request = request_of({**PAYMENT_ORDER_CASE, "as_of": "2023-06-01"})
    text = render(book, "payment_order_objection", request.facts(), request.day(), {}, "zh").text()
    assert "第二百二十一条" in text and "第二百二十五条" not in text


def test_details_fill_their_blanks(book: RuleBook) -> None:
    request = request_of(ARTICLE_CASE)
    details = {"lender": "某某消费金融有限公司", "plan": "每月还款八百元，共十期", "monthly_income": 3200}
    text = render(book, "hardship_statement", request.facts(), request.day(), details, "zh").text()
    assert "致：某某消费金融有限公司" in text
    assert "每月还款八百元，共十期" in text
    assert "每月收入：3200" in text
    assert "借款人：＿＿＿＿" in text


# ---- bad input ----


def test_unknown_kind_is_404(client: FlaskClient) -> None:
    response = post(client, "love_letter", {"facts": ARTICLE_CASE})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_a_letter_that_does_not_fit_is_422_naming_the_condition(client: FlaskClient) -> None:
    response = post(client, "payment_order_objection", {"facts": ARTICLE_CASE})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 422
    assert "Not met: received a payment order" in problem["detail"]
    late = post(client, "payment_order_objection", {"facts": {**PAYMENT_ORDER_CASE, "served_days_ago": 20}})
    assert late.status_code == 422
    assert "days since the court, arbitration or notary paper arrived above 15" in late.get_json()["detail"]
    theirs = post(client, "hardship_statement", {"facts": {**ARTICLE_CASE, "identity_misused": True}})
    assert theirs.status_code == 422
    assert theirs.get_json()["errors"] == [{"field": "facts", "message": f"not met: {IDENTITY_WORDS}"}]


def test_details_over_64_kib_are_413(client: FlaskClient) -> None:
    body = {"facts": ARTICLE_CASE, "details": {"what_happened": "失业" * 40_000}}
    assert post(client, "hardship_statement", body).status_code == 413


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"facts": ARTICLE_CASE, "details": {"nickname": "x"}}, "details.nickname"),
        ({"facts": ARTICLE_CASE, "details": {"lender": ["x"]}}, "details.lender"),
        ({"facts": ARTICLE_CASE, "details": {"lender": True}}, "details.lender"),
        ({"facts": {**ARTICLE_CASE, "hardship": "some"}}, "facts.hardship"),
        ({"facts": ARTICLE_CASE, "format": "pdf"}, "format"),
        ({"facts": ARTICLE_CASE, "colour": "red"}, "colour"),
        ({"details": {}}, "facts"),
        ([], "body"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(client: FlaskClient, body: Any, field: str) -> None:
    response = post(client, "hardship_statement", body)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert field in [e["field"] for e in response.get_json()["errors"]]


@pytest.mark.parametrize(
    "facts",
    [
        {**ARTICLE_CASE, "hardship": "some", "colour": "red"},
        {**ARTICLE_CASE, "harassment_kinds": ["threats", "shouting", "whispers"]},
        {**ARTICLE_CASE, "harassment": False, "as_of": "2101-01-01"},
        {"days_overdue": -1},
    ],
)
def test_facts_are_refused_in_the_words_of_advise(client: FlaskClient, facts: dict[str, Any]) -> None:
    advised = client.post("/advise", json=facts).get_json()["errors"]
    refused = post(client, "hardship_statement", {"facts": facts}).get_json()["errors"]
    assert refused == [{"field": f"facts.{e['field']}", "message": e["message"]} for e in advised]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ("[]", [("body", "the body must be a JSON object")]),
        ({"facts": []}, [("facts", "must be a JSON object")]),
        ({"facts": ARTICLE_CASE, "details": []}, [("details", "Input should be an object")]),
        (
            {"facts": ARTICLE_CASE, "details": {"lender": True, "plan": None}},
            [(f"details.{name}", DETAIL_WORDS) for name in ("lender", "plan")],
        ),
        (
            {"facts": ARTICLE_CASE, "colour": "red"},
            [("colour", "unknown field; the fields are: facts, details, lang, format")],
        ),
    ],
)
def test_a_refused_body_names_each_field_once(
    client: FlaskClient, body: Any, errors: list[tuple[str, str]]
) -> None:
    response = post(client, "hardship_statement", body)
    assert response.status_code == 400
    assert [(e["field"], e["message"]) for e in response.get_json()["errors"]] == errors


def test_a_detail_the_kind_does_not_take_is_400_whether_or_not_the_letter_fits(
    client: FlaskClient, book: RuleBook
) -> None:
    takes = "this letter takes: " + ", ".join(book.letters["payment_order_objection"].fields)
    for facts in (PAYMENT_ORDER_CASE, ARTICLE_CASE):  # the objection fits the first only
        body = {"facts": facts, "details": {"court": "Example Court", "lender": "Example Co."}}
        response = post(client, "payment_order_objection", body)
        assert response.status_code == 400
        assert response.get_json()["errors"] == [{"field": "details.lender", "message": takes}]
    taken = post(client, "hardship_statement", {"facts": ARTICLE_CASE, "details": {"lender": "Example Co."}})
    assert taken.status_code == 200  # a kind with that field takes it


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_takes_the_details_its_template_fills_in(book: RuleBook, kind: str) -> None:
    letter = book.letters[kind]
    model = letter_request(book, kind)
    details = model.model_json_schema()["$defs"][model.model_fields["details"].annotation.__name__]
    assert list(details["properties"]) == list(letter.fields)
    assert details["additionalProperties"] is False
    for lang in ("zh", "en"):
        used = meta.find_undeclared_variables(Environment().parse(letter.body(lang))) - CONTEXT
        assert used == set(letter.fields), lang
    assert letter_request(book, kind) is model  # built once per declaration of the fields


def test_not_json_is_415(client: FlaskClient) -> None:
    assert post(client, "hardship_statement", "x", content_type="text/plain").status_code == 415
    assert client.get("/letters/hardship_statement").status_code == 405


@pytest.mark.parametrize("fmt", ["text", "docx"])
def test_hostile_details_come_out_as_literal_text(client: FlaskClient, fmt: str) -> None:
    """Markup, template syntax and control characters in a detail are printed, never interpreted;
    control characters are shown as their visible symbols (a .docx cannot hold them)."""
    body = {"facts": ARTICLE_CASE, "details": {"lender": HOSTILE, "plan": "{{ citations }}"}, "format": fmt}
    response = post(client, "hardship_statement", body)
    assert response.status_code == 200
    lines = response.get_data(as_text=True).splitlines() if fmt == "text" else docx_text(response.data)
    assert f"致：{SHOWN}" in lines
    assert "{{ citations }}" in lines
    text = "\n".join(lines)
    assert "49" not in text and "IF end" not in text
    assert not any(ord(c) < 32 and c not in "\n\t" for c in text)


def test_a_template_never_sees_a_detail_as_source(book: RuleBook) -> None:
    request = request_of(ARTICLE_CASE)
    details = {"lender": "{{ ''.__class__.__mro__[1].__subclasses__() }}"}
    text = render(book, "hardship_statement", request.facts(), request.day(), details, "en").text()
    assert "To: {{ ''.__class__.__mro__[1].__subclasses__() }}" in text


# ---- the rules: references, templates and conditions checked at load and by lint ----


def letters_texts() -> dict[str, str]:
    return read_folder(RULES)


CREDIT = "letters/credit_report_objection.yaml"
OBJECTION = "letters/payment_order_objection.yaml"


@pytest.mark.parametrize(
    ("name", "old", "new", "reason"),
    [
        (CREDIT, "credit_reg_25, credit_reg_32]", "credit_reg_25, credit_reg_99]", "'credit_reg_99' is not"),
        (CREDIT, "记录：{{ record }}", "记录：{{ recorde }}", "the template uses ['recorde']"),
        (CREDIT, 'credit_reported: {in: ["yes"]}', 'credit_reported: {in: ["maybe"]}', "not among the"),
        (OBJECTION, "请求贵院依法审查", "{{ court ", "template line"),
    ],
)
def test_a_broken_letter_is_refused_at_its_line(name: str, old: str, new: str, reason: str) -> None:
    texts = letters_texts()
    assert texts[name].count(old) == 1, old
    broken = {**texts, name: texts[name].replace(old, new)}
    with pytest.raises(RulesError) as refused:
        load_texts(broken)
    problems = [p for p in refused.value.problems if p.file == name]
    assert len(problems) == 1 and reason in problems[0].reason, refused.value.problems
    if "credit_reg_99" in new:
        assert problems[0].line == line_of(broken[name], "credit_reg_99")


def test_lint_reports_a_letter_that_fits_no_one() -> None:
    texts = letters_texts()
    name = "letters/identity_theft_statement.yaml"
    old = "      identity_misused: {is: true}\n"
    dead = old + "      days_until_due: {min: 1}\n      days_overdue: {min: 1}\n"
    book = load_texts({**texts, name: texts[name].replace(old, dead, 1)})
    findings = [f for f in lint(book, (letters_check,)).findings if f.kind == "letter"]
    assert [f.message for f in findings] == [
        "letter 'identity_theft_statement' fits no valid borrower on any date"
    ]
    assert [f for f in lint(load_texts(texts), (letters_check,)).findings if f.kind == "letter"] == []


# ---- the OpenAPI document: each kind of the loaded rules, its details and an example that works ----


def openapi(client: FlaskClient) -> dict[str, Any]:
    return client.get("/openapi.json").get_json()


def operation(document: dict[str, Any], kind: str) -> dict[str, Any]:
    return document["paths"][f"/letters/{kind}"]["post"]


def request_schema(document: dict[str, Any], kind: str) -> dict[str, Any]:
    """The request body's schema of a kind's operation, resolvable on its own."""
    content = operation(document, kind)["requestBody"]["content"]["application/json"]
    return {**content["schema"], "components": document["components"]}


def details_schema(document: dict[str, Any], kind: str) -> dict[str, Any]:
    schemas = document["components"]["schemas"]
    letter = schemas[request_schema(document, kind)["$ref"].rsplit("/", 1)[1]]
    return schemas[letter["properties"]["details"]["$ref"].rsplit("/", 1)[1]]


def test_openapi_names_the_kinds_of_the_loaded_rules(client: FlaskClient, book: RuleBook) -> None:
    document = openapi(client)
    validate(document)
    schemas = document["components"]["schemas"]
    assert schemas["LetterKind"]["enum"] == list(book.letters)
    assert schemas["DocumentOut"]["properties"]["kind"] == {"$ref": "#/components/schemas/LetterKind"}
    letters = {path for path in document["paths"] if path.startswith("/letters/")}
    assert letters == {f"/letters/{kind}" for kind in book.letters}


def test_openapi_follows_an_edit_of_the_letters() -> None:
    texts = letters_texts()
    del texts["letters/identity_theft_statement.yaml"]
    name = "letters/hardship_statement.yaml"
    field = '      employer:\n        label: {zh: "工作单位", en: "your employer"}\n'
    texts[name] = texts[name].replace("    fields:\n", "    fields:\n" + field, 1)
    book = load_texts(texts)
    document = openapi_document("0", book)
    validate(document)
    kinds = document["components"]["schemas"]["LetterKind"]["enum"]
    assert kinds == list(book.letters) and len(kinds) == len(KINDS) - 1
    assert "identity_theft_statement" not in kinds
    assert "/letters/identity_theft_statement" not in document["paths"]
    details = details_schema(document, "hardship_statement")
    assert list(details["properties"])[:2] == ["employer", "lender"]
    assert details["properties"]["employer"]["description"] == "your employer (工作单位)"


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_shows_the_details_its_template_fills_in(
    client: FlaskClient, book: RuleBook, kind: str
) -> None:
    document = openapi(client)
    post_letter = operation(document, kind)
    assert post_letter["operationId"] == "postLetters" + "".join(w.capitalize() for w in kind.split("_"))
    letter = book.letters[kind]
    details = details_schema(document, kind)
    used = meta.find_undeclared_variables(Environment().parse(letter.body("en"))) - CONTEXT
    assert set(details["properties"]) == used
    assert list(details["properties"]) == list(letter.fields)
    assert details["additionalProperties"] is False and "required" not in details
    for name, field in letter.fields.items():
        shown = details["properties"][name]
        assert shown["description"] == f"{field.label.en} ({field.label.zh})"
        assert [option["type"] for option in shown["anyOf"]] == ["string", "number", "integer"]
        assert f"- `{name}`: {field.label.en} ({field.label.zh})" in post_letter["description"]
    assert describe(book, letter.when, "en") in post_letter["description"]
    assert letter.title.en in post_letter["summary"] and letter.title.zh in post_letter["summary"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_has_the_readme_case_as_an_example_that_gives_the_letter(
    client: FlaskClient, book: RuleBook, kind: str
) -> None:
    document = openapi(client)
    example = operation(document, kind)["requestBody"]["content"]["application/json"]["example"]
    validator = jsonschema.Draft202012Validator(request_schema(document, kind))
    assert not list(validator.iter_errors(example))
    # the README case, changed only in facts the letter's condition reads
    readme, facts = {**ARTICLE_CASE, "lang": "en"}, example["facts"]
    changed = {name for name in readme.keys() | facts.keys() if readme.get(name) != facts.get(name)}
    assert changed <= condition_facts(book, book.letters[kind].when)
    response = post(client, kind, example)
    assert response.status_code == 200, response.get_json()
    text = response.get_data(as_text=True)
    assert example["details"] and all(str(value) in text for value in example["details"].values())
    # a detail the kind does not take: refused by the document and by the service alike
    unknown = {**example, "details": {**example["details"], "nickname": "x"}}
    assert list(validator.iter_errors(unknown))
    refused = post(client, kind, unknown)
    assert refused.status_code == 400
    assert [e["field"] for e in refused.get_json()["errors"]] == ["details.nickname"]


# ---- the review pages ----


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_review_page_shows_each_kind_with_its_condition_and_an_example(
    book: RuleBook, client: FlaskClient, lang: str
) -> None:
    from kb.wording import describe

    response = client.get(f"/review/letters?lang={lang}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('<pre class="letter-example">') == len(KINDS)
    for kind, letter in book.letters.items():
        assert f'id="letter-{kind}"' in page
        assert escape(describe(book, letter.when, lang)) in page
        assert escape(letter.title(lang)) in page
    objection = page[page.index('id="letter-payment_order_objection"') :]
    court = book.letters["payment_order_objection"].fields["court"].example
    assert court is not None and escape(court(lang)) in objection


def test_the_review_page_escapes_letter_texts() -> None:
    texts = letters_texts()
    name = "letters/hardship_statement.yaml"
    old = 'example: {zh: "张某", en: "Zhang X"}'
    hostile = 'example: {zh: "<script>alert(1)</script>", en: "<b>Zhang</b>"}'
    book = load_texts({**texts, name: texts[name].replace(old, hostile)})
    client = create_app(advisor=Advisor(book)).test_client()
    page = client.get("/review/letters?lang=zh").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_readme_letter_is_what_the_service_returns(client: FlaskClient) -> None:
    text = (RULES.parent / "README.md").read_text(encoding="utf-8")
    asked = re.search(r"curl [^\n]*/letters/(\w+) [^\n]*\n\s*-d '(\{.*?\})'\n", text, re.S)
    shown = re.search(r"```text\n(.*?)\n```", text, re.S)
    assert asked and shown, "the README shows a curl example of /letters and the letter"
    response = post(client, asked.group(1), json.loads(asked.group(2)))
    assert response.status_code == 200
    assert response.get_data(as_text=True) == shown.group(1) + "\n"
    assert BLANK in shown.group(1)  # what she did not give stays a blank
