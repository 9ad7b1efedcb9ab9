"""RFC 9457 problem details: the one shape of every error this API returns.

A problem document is bounded whatever the request: at most MAX_ERRORS entries (the rest counted
in `errors_omitted`), each text cut to MAX_TEXT characters, so a refused body of any size is
answered in a few KB.
"""

from __future__ import annotations

from flask import Response
from pydantic import BaseModel, ConfigDict
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "application/problem+json"
MAX_ERRORS = 10
MAX_TEXT = 200


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
    errors_omitted: int | None = None


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def problem(
    status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None
) -> Problem:
    kept = errors[:MAX_ERRORS] if errors is not None else None
    omitted = len(errors) - MAX_ERRORS if errors is not None and len(errors) > MAX_ERRORS else None
    return Problem(
        title=title,
        status=status,
        detail=_cut(detail),
        errors=[FieldError(field=_cut(e["field"]), message=_cut(e["message"])) for e in kept]
        if kept is not None
        else None,
        errors_omitted=omitted,
    )


def problem_bytes(status: int, title: str, detail: str) -> bytes:
    return problem(status, title, detail).model_dump_json(exclude_none=True).encode("utf-8")


def refused(errors: list[dict[str, str]]) -> Response:
    """400 for a refused request, naming the refused fields (the first MAX_ERRORS of them)."""
    names = list(dict.fromkeys(e["field"] for e in errors[:MAX_ERRORS]))
    more = " and more" if len(errors) > MAX_ERRORS else ""
    return problem_response(400, "Bad Request", f"The request was refused: {', '.join(names)}{more}.", errors)


def problem_response(
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = problem(status, title, detail, errors)
    response = Response(body.model_dump_json(exclude_none=True), status=status, mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_http_exception(error: HTTPException) -> Response:
    code = error.code or 500
    headers = {k: v for k, v in error.get_headers() if k.lower() in ("allow", "retry-after")}
    detail = {
        404: "There is nothing at this path. See /openapi.json for the endpoints.",
        405: "This path does not take this method.",
        413: "The request body is larger than 64 KiB.",
        415: "Send the body as JSON with Content-Type: application/json.",
    }.get(code, error.description or "")
    return problem_response(code, error.name, detail, headers=headers)


def internal_error() -> Response:
    return problem_response(500, "Internal Server Error", "The service failed on this request.")
