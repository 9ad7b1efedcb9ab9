"""The Flask application: `create_app()` builds it around one loaded knowledge base."""

from __future__ import annotations

import logging
import os
import time

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from kb import __version__
from kb.advisor import Advisor
from webapi.settings import MAX_BODY

log = logging.getLogger("overdue_advisor")
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
REFUSAL_REASONS = {400: "invalid", 405: "method", 413: "too_large", 415: "media_type"}

__all__ = ["MAX_BODY", "create_app"]


def create_app(rules_dir: str | os.PathLike[str] | None = None, advisor: Advisor | None = None) -> Flask:
    """Build the app. Rules: `advisor`, else `rules_dir`, else $OVERDUE_ADVISOR_RULES, else the shipped ones.

    Rules that fail to load raise RulesError here: a broken rules folder is never served. Under
    gunicorn the app is built once in the master (preload), so every worker serves that one
    loaded and checked snapshot of the rules and never reads the folder again.
    """
    from webapi import advise, diagrams, letters, meta, review
    from webapi.metrics import Metrics
    from webapi.problems import from_http_exception, internal_error
    from webapi.requestlog import log_request, request_id
    from webapi.settings import Settings

    # no default /static route: each page area serves its own named files (docs, review)
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    settings = Settings.from_env()
    # OPTIONS is not answered by an empty HTML page: it is 405 problem JSON like any other method,
    # unless browser origins are allowed, when it answers their CORS preflight
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = bool(settings.cors_origins)
    app.config["OVERDUE_ADVISOR_MAX_RENDERS"] = settings.max_renders
    app.config["OVERDUE_ADVISOR_PATH_RATE"] = settings.path_rate
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    loaded = advisor or Advisor.from_folder(rules_dir)
    metrics = Metrics()
    metrics.rules.labels(kb_version=loaded.book.kb_version, package_version=__version__).set(1)
    app.extensions["overdue_advisor"] = loaded
    app.extensions["overdue_advisor_metrics"] = metrics
    cache = metrics.answer_cache
    loaded.writer.observers.append(lambda kept: cache.labels(result="hit" if kept else "miss").inc())
    app.register_blueprint(advise.blueprint)
    app.register_blueprint(letters.blueprint)
    app.register_blueprint(meta.blueprint)
    app.register_blueprint(diagrams.blueprint)
    app.register_blueprint(review.blueprint)
    if settings.cors_origins:
        from flask_cors import CORS

        api = r"^/(advise|letters/.*|glossary|version|openapi\.json)$"
        CORS(app, resources={api: {"origins": list(settings.cors_origins)}}, expose_headers=["X-Request-ID"])
    # gzip when the client accepts it (an answer of 50 KB is about 12 KB compressed)
    from flask_compress import Compress

    app.config["COMPRESS_MIMETYPES"] = ["application/json", "application/problem+json", "image/svg+xml"]
    app.config["COMPRESS_ALGORITHM"] = ["gzip"]
    app.config["COMPRESS_MIN_SIZE"] = 1024
    Compress(app)

    @app.before_request
    def start() -> None:
        g.started = time.monotonic()
        g.request_id = request_id(request.headers.get("X-Request-ID"))

    @app.after_request
    def finish(response: Response) -> Response:
        headers = response.headers
        headers["X-Request-ID"] = g.get("request_id") or request_id(None)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        if "Cache-Control" not in headers:
            # answers repeat the borrower's facts (diagram_url): never kept by any cache
            headers["Cache-Control"] = "no-store"
        if response.mimetype == "text/html" and "Content-Security-Policy" not in headers:
            headers["Content-Security-Policy"] = DEFAULT_CSP
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        seconds = time.monotonic() - g.get("started", time.monotonic())
        status = response.status_code
        metrics.requests.labels(route=route, method=_method(request.method), status=status).inc()
        metrics.latency.labels(route=route).observe(seconds)
        if response.status_code in REFUSAL_REASONS:
            metrics.refused.labels(reason=REFUSAL_REASONS[response.status_code]).inc()
        log_request(request.method, route, response.status_code, seconds, headers["X-Request-ID"])
        return response

    @app.errorhandler(HTTPException)
    def http_problem(error: HTTPException) -> Response:
        return from_http_exception(error)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        # The type only: the request body may hold a borrower's situation.
        log.error("request failed: %s", type(error).__name__)
        return internal_error()

    return app


def _method(method: str) -> str:
    known = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
    return method if method in known else "other"
