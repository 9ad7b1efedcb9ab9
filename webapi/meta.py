"""Endpoints about the service itself: liveness, versions, the API description and its docs."""

from __future__ import annotations

from pathlib import Path

import swagger_ui
from flask import Blueprint, Response, current_app, jsonify, render_template, send_from_directory

from kb import __version__
from kb.advisor import Advisor
from kb.engine import ENGINE_NAME, engine_version

blueprint = Blueprint("meta", __name__)
SWAGGER_STATIC = Path(swagger_ui.__file__).parent / "static"
DOCS_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
)


@blueprint.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@blueprint.get("/version")
def version() -> Response:
    advisor: Advisor = current_app.extensions["overdue_advisor"]
    return jsonify(
        kb_version=advisor.book.kb_version,
        package_version=__version__,
        engine={"name": ENGINE_NAME, "version": engine_version()},
    )


@blueprint.get("/openapi.json")
def openapi() -> Response:
    return jsonify(current_app.extensions["overdue_advisor_openapi"])


@blueprint.get("/docs")
def docs() -> Response:
    response = Response(render_template("docs.html"), mimetype="text/html")
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


@blueprint.get("/docs/static/<path:name>")
def docs_static(name: str) -> Response:
    if name == "docs-init.js":
        return send_from_directory(Path(__file__).parent / "static", name)
    return send_from_directory(SWAGGER_STATIC, name)
