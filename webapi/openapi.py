"""The OpenAPI 3.1 document, filled from the pydantic models that validate and answer."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from kb.answer import Answer
from kb.facts import AdviceRequest
from webapi.problems import Problem

REF = "#/components/schemas/{model}"


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}},
    }


def openapi_document(package_version: str) -> dict[str, Any]:
    _, schemas = models_json_schema(
        [(AdviceRequest, "validation"), (Answer, "serialization"), (Problem, "serialization")],
        ref_template=REF,
    )
    plain = {"application/json": {"schema": {"type": "object"}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "overdue-advisor",
            "version": package_version,
            "description": (
                "Advice for a borrower in mainland China whose online loan is overdue: what to do "
                "next, why, and on which law it rests. Every text in zh or en."
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
                        "413": _problem("The body is larger than 64 KiB"),
                        "415": _problem("The body is not sent as JSON"),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Liveness",
                    "responses": {"200": {"description": "alive", "content": plain}},
                }
            },
            "/version": {
                "get": {
                    "summary": "Versions of the rules, the package and the engine",
                    "responses": {"200": {"description": "versions", "content": plain}},
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
