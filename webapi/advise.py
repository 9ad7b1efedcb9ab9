"""POST /advise: validate the body, ask the advisor, answer JSON."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, current_app, request
from pydantic import ValidationError
from werkzeug.exceptions import UnsupportedMediaType

from kb.advisor import Advisor
from kb.facts import AdviceRequest, field_errors
from webapi.problems import refused

blueprint = Blueprint("advise", __name__)


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def early_refusal(body: bytes) -> list[dict[str, str]] | None:
    """A key given twice in one JSON object, or a list longer than its field allows, if any.

    JSON parsers disagree on duplicates (pydantic keeps the last): a body whose meaning depends on
    the parser is refused. An over-long list is refused before any of its items is validated. A
    body that is not JSON at all is left to the model to refuse, in its words.
    """
    try:
        parsed = json.loads(body, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as duplicate:
        return [{"field": duplicate.key, "message": "given more than once"}]
    except (ValueError, RecursionError):
        return None
    if isinstance(parsed, dict):
        for name, most in _max_items().items():
            value = parsed.get(name)
            if isinstance(value, list) and len(value) > most:
                return [{"field": name, "message": f"at most {most} items, not {len(value)}"}]
    return None


@lru_cache(maxsize=1)
def _max_items() -> dict[str, int]:
    properties = AdviceRequest.model_json_schema()["properties"]
    return {name: schema["maxItems"] for name, schema in properties.items() if "maxItems" in schema}


@blueprint.post("/advise")
def advise() -> Response:
    if not _is_json(request.mimetype):
        raise UnsupportedMediaType()
    body = request.get_data(cache=False)  # past MAX_CONTENT_LENGTH this raises 413
    early = early_refusal(body)
    if early is not None:
        return refused(early)
    try:
        facts = AdviceRequest.model_validate_json(body)
    except ValidationError as error:
        return refused(field_errors(error))
    advisor: Advisor = current_app.extensions["overdue_advisor"]
    body = advisor.advise_bytes(facts)
    current_app.extensions["overdue_advisor_metrics"].evaluations.inc()
    return Response(body, mimetype="application/json")
