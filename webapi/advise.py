"""POST /advise: validate the body, ask the advisor, answer JSON."""

from __future__ import annotations

import json
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


def duplicate_key(body: bytes) -> str | None:
    """The first key given twice in one JSON object of the body, if any.

    JSON parsers disagree on duplicates (pydantic keeps the last): a body whose meaning depends on
    the parser is refused. A body that is not JSON at all is left to the model to refuse.
    """
    try:
        json.loads(body, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as duplicate:
        return duplicate.key
    except (ValueError, RecursionError):
        return None
    return None


@blueprint.post("/advise")
def advise() -> Response:
    if not _is_json(request.mimetype):
        raise UnsupportedMediaType()
    body = request.get_data(cache=False)  # past MAX_CONTENT_LENGTH this raises 413
    key = duplicate_key(body)
    if key is not None:
        return refused([{"field": key, "message": "given more than once"}])
    try:
        facts = AdviceRequest.model_validate_json(body)
    except ValidationError as error:
        return refused(field_errors(error))
    advisor: Advisor = current_app.extensions["overdue_advisor"]
    answer = advisor.advise(facts)
    current_app.extensions["overdue_advisor_metrics"].evaluations.inc()
    return Response(answer.json_bytes(), mimetype="application/json")
