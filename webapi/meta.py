"""Endpoints about the service itself: liveness, versions, the API description and its docs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import swagger_ui
from flask import Blueprint, Response, current_app, jsonify, render_template, request, send_from_directory

from kb import __version__
from kb.advisor import Advisor
from kb.answer import API_VERSION
from kb.engine import ENGINE_NAME, engine_version
from kb.facts import EARLIEST, AdviceRequest
from kb.model import LANGS
from webapi.metrics import exposition
from webapi.problems import problem_response

blueprint = Blueprint("meta", __name__)
SWAGGER_STATIC = Path(swagger_ui.__file__).parent / "static"
DOCS_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
)


@blueprint.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


# a request every rules version must answer: the warm-up of each worker's engine
WARM_UP = AdviceRequest(
    days_overdue=0, harassment=False, hardship="none", credit_reported="unknown", as_of=EARLIEST
)
_READY_PIDS: set[int] = set()


def warm_up(advisor: Advisor) -> bool:
    """True once this process's engine has answered the warm-up request with a stage."""
    pid = os.getpid()
    if pid not in _READY_PIDS:
        try:
            answered = bool(advisor.advise(WARM_UP).stage)
        except Exception:
            return False
        if answered:
            _READY_PIDS.add(pid)
    return pid in _READY_PIDS


@blueprint.get("/readyz")
def readyz() -> Response:
    advisor: Advisor | None = current_app.extensions.get("overdue_advisor")
    if advisor is None or not warm_up(advisor):
        return problem_response(503, "Service Unavailable", "The rules engine is not ready yet.")
    return jsonify(status="ready", kb_version=advisor.book.kb_version)


@blueprint.get("/metrics")
def metrics() -> Response:
    return exposition(current_app.extensions["overdue_advisor_metrics"])


@blueprint.get("/version")
def version() -> Response:
    advisor: Advisor = current_app.extensions["overdue_advisor"]
    return jsonify(
        api_version=API_VERSION,
        kb_version=advisor.book.kb_version,
        package_version=__version__,
        engine={"name": ENGINE_NAME, "version": engine_version()},
    )


@blueprint.get("/glossary")
def glossary() -> Response:
    """Every term of art the advice uses, with its plain explanation, in one language."""
    lang = request.args.get("lang", "zh")
    if lang not in LANGS or set(request.args) - {"lang"}:
        errors = [{"field": "lang", "message": "must be zh or en"}] if lang not in LANGS else []
        errors += [
            {"field": name, "message": "unknown parameter; the only one is lang"}
            for name in request.args
            if name != "lang"
        ]
        return problem_response(400, "Bad Request", "The request was refused.", errors)
    book = current_app.extensions["overdue_advisor"].book
    terms = [
        {"id": term_id, "term": term.term(lang), "explanation": term.explanation(lang)}
        for term_id, term in book.terms.items()
    ]
    return jsonify(api_version=API_VERSION, kb_version=book.kb_version, lang=lang, terms=terms)


@blueprint.get("/openapi.json")
def openapi() -> Response:
    extensions = current_app.extensions
    if "overdue_advisor_openapi" not in extensions:  # built on first use: serving needs none of it
        from webapi.openapi import README_CASE, openapi_document

        advisor = extensions["overdue_advisor"]
        readme = json.loads(advisor.advise_bytes(AdviceRequest.model_validate_json(json.dumps(README_CASE))))
        extensions["overdue_advisor_openapi"] = openapi_document(__version__, advisor.book, readme)
    # in the document's own order, not sorted: fields as the models declare them (the required
    # first, a letter's details as the letter uses them), paths as listed
    document = current_app.json.dumps(extensions["overdue_advisor_openapi"], sort_keys=False)
    return Response(document, mimetype="application/json")


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
