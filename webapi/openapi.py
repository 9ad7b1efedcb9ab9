"""The OpenAPI 3.1 document, filled from the pydantic models that validate and answer, and from the
loaded rules: each letter kind is an operation of its own, with the details it takes."""

from __future__ import annotations

import json
from itertools import chain
from typing import Any

from pydantic import ValidationError
from pydantic.json_schema import models_json_schema

from kb.answer import API_VERSION, Answer, letter_url
from kb.compiler import letter_rule
from kb.facts import DIAGRAM_PATH, AdviceRequest
from kb.letters.render import documents
from kb.letters.request import DETAIL_WORDS, DOCX_TYPE, letter_request
from kb.model import RuleBook
from kb.reference import holds
from kb.verify.analysis import Analysis, TooLarge
from kb.verify.regions import condition_facts
from kb.wording import describe
from webapi.problems import Problem

REF = "#/components/schemas/{model}"


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}},
    }


def _query_parameters(request_schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's fields as query parameters, as the diagram of one answer's path takes them."""
    required = set(request_schema.get("required", ()))
    parameters = []
    for name, schema in request_schema["properties"].items():
        described = {k: v for k, v in schema.items() if k not in ("description", "default")}
        parameter = {
            "name": name,
            "in": "query",
            "required": name in required,
            "description": schema.get("description", ""),
            "schema": described,
        }
        if described.get("type") == "array":
            # kinds comma-separated in one parameter: OpenAPI's form style without explode
            parameter |= {"style": "form", "explode": False}
        parameters.append(parameter)
    return parameters


def _query_object(request_schema: dict[str, Any]) -> dict[str, Any]:
    """The request's fields as one exploded query object: each field its own parameter, and the
    rules across fields (if/then) kept, which separate parameters could not state."""
    properties = {}
    for name, schema in request_schema["properties"].items():
        properties[name] = {k: v for k, v in schema.items() if k != "default"}
    return {
        "name": "facts",
        "in": "query",
        "required": True,
        "style": "form",
        "explode": True,
        "description": "The /advise request's fields, one query parameter each; kinds comma-separated",
        "schema": {
            "type": "object",
            "properties": properties,
            "required": request_schema.get("required", []),
            "additionalProperties": False,
        }
        | KINDS_ONLY_WITH_HARASSMENT,
    }


# The rules the request model checks across fields, in JSON Schema, so that a client generated from
# this document sends nothing the validator refuses.
_GIVEN = {"not": {"type": "null"}}  # a nullable field given a value
KINDS_ONLY_WITH_HARASSMENT: dict[str, Any] = {
    "allOf": [
        {
            "if": {"properties": {"harassment": {"const": False}}, "required": ["harassment"]},
            "then": {"properties": {"harassment_kinds": {"maxItems": 0}}},
        },
        # days until due only when not overdue (added in 1.1)
        {
            "if": {"properties": {"days_until_due": _GIVEN}, "required": ["days_until_due"]},
            "then": {"properties": {"days_overdue": {"const": 0}}, "required": ["days_overdue"]},
        },
        # the day a paper arrived only with a paper (added in 1.1)
        {
            "if": {"properties": {"served_days_ago": _GIVEN}, "required": ["served_days_ago"]},
            "then": {
                "properties": {"legal_action": {"not": {"const": "none"}}},
                "required": ["legal_action"],
            },
        },
    ]
}


def _page(summary: str, media: str = "text/html") -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "responses": {
                "200": {"description": summary, "content": {media: {}}},
                "404": _problem("Unknown"),
            },
        }
    }


# as_of: the validator's date range, as a pattern JSON Schema generators and validators understand
DATE_IN_RANGE = r"^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"


def _as_strict_as_the_validator(request: dict[str, Any]) -> None:
    request |= KINDS_ONLY_WITH_HARASSMENT
    for option in request["properties"]["as_of"].get("anyOf", ()):
        if option.get("format") == "date":
            option["pattern"] = DATE_IN_RANGE


# The README's case (the popular article's): the example of every operation that takes a case, so
# that the interactive docs start from a real borrower instead of the schema's extreme values.
README_CASE: dict[str, Any] = {
    "days_overdue": 7,
    "harassment": True,
    "harassment_kinds": ["contacts_third_parties"],
    "hardship": "long_term",
    "credit_reported": "unknown",
    "first_time_borrower": True,
    "lang": "en",
    "as_of": "2026-11-29",
}


def _operation_id(path: str, method: str) -> str:
    """`post /letters/{kind}` → `postLettersKind`: stable, unique, from the path alone."""
    plain = path.replace("{", "").replace("}", "").replace(".", "_").replace("-", "_")
    parts = [part for word in plain.split("/") for part in word.split("_") if part]
    return method + "".join(p[:1].upper() + p[1:] for p in parts)


def _with_examples(document: dict[str, Any], book: RuleBook) -> dict[str, Any]:
    paths = document["paths"]
    paths["/advise"]["post"]["requestBody"]["content"]["application/json"]["example"] = README_CASE
    for kind, letter in book.letters.items():
        details = {name: field.example.en for name, field in letter.fields.items() if field.example}
        example = {"facts": _letter_case(book, kind), "details": details, "lang": "en", "format": "text"}
        paths[letter_url(kind)]["post"]["requestBody"]["content"]["application/json"]["example"] = example
    for parameter in paths[DIAGRAM_PATH]["get"]["parameters"]:
        parameter["example"] = README_CASE
    for path, operations in paths.items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "responses" in operation:
                operation["operationId"] = _operation_id(path, method)
    return document


def _letter_case(book: RuleBook, kind: str) -> dict[str, Any]:
    """The README case, changed where the letter needs it to fit: the facts its condition reads
    taken from the first region lint finds it fits (else that region's whole example), so that
    trying an operation's example gives the letter instead of a 422."""
    letter = book.letters[kind]
    reads = condition_facts(book, letter.when)
    analysis = Analysis(book)
    try:
        regions = analysis.regions(reads, analysis.domain.periods(()))
    except TooLarge:  # lint reports it; the example stays the README case
        regions = []
    fitting = [r.example for r in regions if analysis.domain.holds(letter.when, r.example)]
    changed = (README_CASE | {name: value for name, value in e.items() if name in reads} for e in fitting)
    for case in chain([README_CASE], changed, ({**e, "lang": "en"} for e in fitting)):
        try:
            request = AdviceRequest.model_validate_json(json.dumps(case))
        except ValidationError:
            continue
        if holds(book, letter.when, book.derive(request.facts(), request.day())):
            return dict(case)
    return dict(README_CASE)


def openapi_document(
    package_version: str, book: RuleBook, readme_answer: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The document for the loaded rules: its letter kinds, each with the details it takes; with
    `readme_answer` (the answer to README_CASE), that answer is the example of /advise's 200."""
    document = _with_examples(_document(package_version, book), book)
    if readme_answer is not None:
        answered = document["paths"]["/advise"]["post"]["responses"]["200"]["content"]["application/json"]
        answered["example"] = readme_answer
    return document


def _letter_operations(book: RuleBook, refs: dict[str, str]) -> dict[str, Any]:
    """One operation per letter kind, each with its own request model: a client sees every kind,
    when it is offered and the details it fills in, and a generated client gets one typed call each."""
    paths = {}
    for kind in documents(book, {letter_rule(k) for k in book.letters}):  # most urgent first
        letter = book.letters[kind]
        lines = [
            f"Offered when: {describe(book, letter.when, 'en')}. Facts that do not meet this are "
            "answered 422, naming what is not met.",
            "",
        ]
        if letter.limit is not None:
            lines += [
                f"Time limit: {letter.limit.days} days from the day the paper was served "
                "(`facts.served_days_ago`).",
                "",
            ]
        lines.append(
            f"The details it fills in, under `details`, each {DETAIL_WORDS} and each optional (one "
            "left out is a visible blank to fill by hand); any other name is refused with 400:"
        )
        lines += [f"- `{name}`: {field.label.en} ({field.label.zh})" for name, field in letter.fields.items()]
        paths[letter_url(kind)] = {
            "post": {
                "summary": f"Letter: {letter.title.en} ({letter.title.zh})",
                "description": "\n".join(lines),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": refs[kind]}}},
                },
                "responses": {
                    "200": {
                        "description": "The letter, ready to sign, as text or a .docx (`format`); "
                        "never stored or logged; a detail not given is a visible blank",
                        "content": {"text/plain; charset=utf-8": {}, DOCX_TYPE: {}},
                    },
                    "400": _problem(
                        "A field is missing, unknown, mistyped or out of range; `errors` names each "
                        "(`facts.<name>`, `details.<name>`)"
                    ),
                    "413": _problem("The body is larger than 64 KiB"),
                    "415": _problem("The body is not sent as JSON"),
                    "422": _problem(
                        "The letter does not fit these facts; `detail` says which condition fails"
                    ),
                },
            }
        }
    return paths


def _letter_kinds(book: RuleBook) -> dict[str, Any]:
    kinds = ", ".join(f"`{kind}` ({letter.title.en})" for kind, letter in book.letters.items())
    return {
        "type": "string",
        "enum": list(book.letters),
        "description": f"A letter kind of the loaded rules; `POST /letters/<kind>` writes it: {kinds}.",
    }


def _document(package_version: str, book: RuleBook) -> dict[str, Any]:
    letters = {kind: letter_request(book, kind) for kind in book.letters}
    found, schemas = models_json_schema(
        [
            (AdviceRequest, "validation"),
            *((model, "validation") for model in letters.values()),
            (Answer, "serialization"),
            (Problem, "serialization"),
        ],
        ref_template=REF,
    )
    _as_strict_as_the_validator(schemas["$defs"]["AdviceRequest"])
    if letters:
        schemas["$defs"]["LetterKind"] = _letter_kinds(book)
        schemas["$defs"]["DocumentOut"]["properties"]["kind"] = {"$ref": REF.format(model="LetterKind")}
    refs = {kind: found[(model, "validation")]["$ref"] for kind, model in letters.items()}
    plain = {"application/json": {"schema": {"type": "object"}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "overdue-advisor",
            # the contract's version, as `api_version` in every answer; the package's is below
            "version": API_VERSION,
            "description": (
                "Advice for a borrower in mainland China whose online loan is overdue: what to do "
                "next, why, and on which law it rests. Every text in zh or en. Each letter kind of "
                "the loaded rules (`LetterKind`) is an operation of its own, `POST /letters/<kind>`, "
                "listing the details it fills in. Show `summary` first: `first_steps` are ids of "
                f"`actions`; `deadlines` count the days left. Server package {package_version}."
            ),
        },
        "paths": {
            "/advise": {
                "post": {
                    "summary": "Advice for one borrower's situation",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": REF.format(model="AdviceRequest")}}
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The advice, ordered and cited",
                            "content": {"application/json": {"schema": {"$ref": REF.format(model="Answer")}}},
                        },
                        "400": _problem(
                            "A field is missing, unknown, mistyped or out of range; `errors` names each"
                        ),
                        "405": _problem("Only POST is taken here"),
                        "408": _problem("The request did not arrive within the read deadlines"),
                        "413": _problem("The body is larger than 64 KiB"),
                        "415": _problem("The body is not sent as JSON"),
                    },
                }
            },
            **_letter_operations(book, refs),
            "/healthz": {
                "get": {
                    "summary": "Liveness",
                    "responses": {"200": {"description": "alive", "content": plain}},
                }
            },
            "/version": {
                "get": {
                    "summary": "Versions of the contract, the rules, the package and the engine",
                    "responses": {"200": {"description": "versions", "content": plain}},
                }
            },
            "/glossary": {
                "get": {
                    "summary": "Every term of art the advice uses, with its plain explanation",
                    "parameters": [
                        {
                            "name": "lang",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": ["zh", "en"], "default": "zh"},
                            "example": "en",
                        }
                    ],
                    "responses": {
                        "200": {"description": "the terms", "content": plain},
                        "400": _problem("An unknown language or parameter"),
                    },
                }
            },
            DIAGRAM_PATH: {
                "get": {
                    "summary": "The decision tree with one case's path highlighted (an answer's diagram_url)",
                    "parameters": [_query_object(schemas["$defs"]["AdviceRequest"])],
                    "responses": {
                        "200": {"description": "SVG", "content": {"image/svg+xml": {}}},
                        "400": _problem("A parameter is missing, unknown, mistyped or out of range"),
                        "503": _problem("Too many drawings are being rendered; see Retry-After"),
                    },
                }
            },
            "/diagrams/{name}": {
                "get": {
                    "summary": "An audit diagram: tree.<lang>.svg|png|pdf, stage-<stage>.<lang>.svg|png, "
                    "rules.<lang>.svg|png",
                    "parameters": [
                        {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "the diagram",
                            "content": {"image/svg+xml": {}, "image/png": {}, "application/pdf": {}},
                        },
                        "404": _problem("No diagram of that name"),
                    },
                }
            },
            "/review": _page("The lawyers' review pages: the tree, every rule, the law catalog"),
            "/review/rules/{rule_id}": _page("One rule: its conditions in words, advice and citations")
            | {
                "parameters": [
                    {"name": "rule_id", "in": "path", "required": True, "schema": {"type": "string"}}
                ]
            },
            "/review/laws": _page("The law catalog, each law with the rules that cite it"),
            "/review/case": _page("Try a case: the answer next to its highlighted path"),
            "/readyz": {
                "get": {
                    "summary": "Readiness: the rules are loaded and the engine answered its warm-up",
                    "responses": {
                        "200": {"description": "ready", "content": plain},
                        "503": _problem("Not ready yet"),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics of every worker",
                    "responses": {"200": {"description": "metrics", "content": {"text/plain": {}}}},
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.1", "content": plain}},
                }
            },
        },
        "components": {"schemas": schemas["$defs"]},
    }
