"""POST /letters/<kind>: validate the body, ask the advisor for the letter, send it as text or .docx.

Nothing here logs, stores or caches a letter or its details: the body is read once, and the
answer is marked `no-store` so that no shared cache keeps it either.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from pydantic import ValidationError
from werkzeug.exceptions import NotFound, UnsupportedMediaType

from kb.advisor import Advisor
from kb.facts import field_errors
from kb.letters.render import DoesNotFit
from kb.letters.request import DOCX_TYPE, letter_fields, letter_request
from webapi.advise import _is_json
from webapi.problems import problem_response, refused

blueprint = Blueprint("letters", __name__)
PRIVATE = {"Cache-Control": "no-store"}


@blueprint.post("/letters/<kind>")
def letter(kind: str) -> Response:
    advisor: Advisor = current_app.extensions["overdue_advisor"]
    if kind not in advisor.book.letters:
        raise NotFound()
    if not _is_json(request.mimetype):
        raise UnsupportedMediaType()
    body = request.get_data(cache=False)  # past MAX_CONTENT_LENGTH this raises 413
    try:
        # the kind's own model: an unknown detail is refused here, whether or not the letter fits
        asked = letter_request(advisor.book, kind).model_validate_json(body)
    except ValidationError as error:
        return refused(field_errors(error, letter_fields(advisor.book, kind)))
    try:
        rendered = advisor.letter(kind, asked.facts, dict(asked.details), asked.lang)
    except DoesNotFit as refusal:
        # what is not met, whole; the letter's full condition is in its operation's description in
        # /openapi.json (appended here, it could pass a problem's length and be cut mid-sentence)
        detail = f"The letter '{kind}' does not fit these facts. Not met: {'; '.join(refusal.unmet)}."
        errors = [{"field": "facts", "message": f"not met: {words}"} for words in refusal.unmet]
        return problem_response(422, "Unprocessable Content", detail, errors)
    if asked.format == "docx":
        from kb.letters.word import as_docx  # python-docx is loaded on the first Word letter only

        response = Response(as_docx(rendered), mimetype=DOCX_TYPE, headers=PRIVATE)
        response.headers["Content-Disposition"] = f'attachment; filename="{kind}.{asked.lang}.docx"'
        return response
    return Response(rendered.text(), content_type="text/plain; charset=utf-8", headers=PRIVATE)
