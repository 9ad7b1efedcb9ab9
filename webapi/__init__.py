"""The Flask application: `create_app()` builds it around one loaded knowledge base."""

from __future__ import annotations

import logging
import os

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from kb import __version__
from kb.advisor import Advisor

MAX_BODY = 64 * 1024
log = logging.getLogger("overdue_advisor")


def create_app(rules_dir: str | os.PathLike[str] | None = None, advisor: Advisor | None = None) -> Flask:
    """Build the app. Rules: `advisor`, else `rules_dir`, else $OVERDUE_ADVISOR_RULES, else the shipped ones.

    Rules that fail to load raise RulesError here: a broken rules folder is never served.
    """
    from webapi import advise, diagrams, letters, meta, review
    from webapi.openapi import openapi_document
    from webapi.problems import from_http_exception, internal_error

    # no default /static route: each page area serves its own named files (docs, review)
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["overdue_advisor"] = advisor or Advisor.from_folder(rules_dir)
    app.extensions["overdue_advisor_openapi"] = openapi_document(__version__)
    app.register_blueprint(advise.blueprint)
    app.register_blueprint(letters.blueprint)
    app.register_blueprint(meta.blueprint)
    app.register_blueprint(diagrams.blueprint)
    app.register_blueprint(review.blueprint)

    @app.errorhandler(HTTPException)
    def http_problem(error: HTTPException) -> Response:
        return from_http_exception(error)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        # The type only: the request body may hold a borrower's situation.
        log.error("request failed: %s", type(error).__name__)
        return internal_error()

    return app
