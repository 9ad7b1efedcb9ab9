"""RFC 9457 problem details: the one shape of every error this API returns."""

from __future__ import annotations

from flask import Response
from pydantic import BaseModel, ConfigDict
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "application/problem+json"


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


def problem_response(
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = Problem(
        title=title,
        status=status,
        detail=detail,
        errors=[FieldError(**e) for e in errors] if errors is not None else None,
    )
    response = Response(body.model_dump_json(exclude_none=True), status=status, mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_http_exception(error: HTTPException) -> Response:
    code = error.code or 500
    headers = {k: v for k, v in error.get_headers() if k.lower() == "allow"}
    detail = {
        404: "There is nothing at this path. See /openapi.json for the endpoints.",
        405: "This path does not take this method.",
        413: "The request body is larger than 64 KiB.",
        415: "Send the body as JSON with Content-Type: application/json.",
    }.get(code, error.description or "")
    return problem_response(code, error.name, detail, headers=headers)


def internal_error() -> Response:
    return problem_response(500, "Internal Server Error", "The service failed on this request.")
