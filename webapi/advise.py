"""POST /advise: validate the body, ask the advisor, answer JSON."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from pydantic import ValidationError
from werkzeug.exceptions import UnsupportedMediaType

from kb.advisor import Advisor
from kb.facts import AdviceRequest, field_errors
from webapi.problems import problem_response

blueprint = Blueprint("advise", __name__)


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


@blueprint.post("/advise")
def advise() -> Response:
    if not _is_json(request.mimetype):
        raise UnsupportedMediaType()
    body = request.get_data(cache=False)  # past MAX_CONTENT_LENGTH this raises 413
    try:
        facts = AdviceRequest.model_validate_json(body)
    except ValidationError as error:
        errors = field_errors(error)
        names = ", ".join(dict.fromkeys(e["field"] for e in errors))
        return problem_response(400, "Bad Request", f"The request was refused: {names}.", errors)
    advisor: Advisor = current_app.extensions["overdue_advisor"]
    return Response(advisor.advise_bytes(facts), mimetype="application/json")
