"""GET /diagrams/...: the audit diagrams of the served rules, and the tree with one case's path.

Nothing a request sends is ever used as a file path: an audit diagram is looked up by name in
the fixed set the rules give and drawn in memory; a case's path comes from the engine's answer to
the validated query. Both are drawn once and kept (the path trees in a bounded LRU cache).
"""

from __future__ import annotations

import json
import re
import threading
import time
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from pydantic import ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from kb.advisor import Advisor
from kb.diagram.graph import decision_tree
from kb.diagram.render import MEDIA_TYPES, AuditDiagram, audit_set, render
from kb.facts import DIAGRAM_PATH, AdviceRequest, field_errors
from kb.model import LANGS, Lang, RuleBook
from webapi.pathdiagram import PathTree
from webapi.problems import problem_response, refused
from webapi.review import links

blueprint = Blueprint("diagrams", __name__)
EXTENSION = "overdue_advisor_diagrams"
PATH_CACHE_SIZE = 256  # trees with a path kept drawn; one SVG is about 150 kB
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"

_INTEGER = re.compile(r"-?[0-9]{1,12}")
# a JSON number as Python writes a float (repr round-trips, e.g. 0.30000000000000004 or 1e-05)
_NUMBER = re.compile(r"-?(0|[1-9][0-9]{0,11})(\.[0-9]{1,17})?([eE][+-]?[0-9]{1,3})?")


RETRY_AFTER = "2"  # seconds a client refused for too many renders is asked to wait


class RenderBusy(Exception):
    """As many drawings are being rendered as the bound allows, or drawn this second."""


class PathRate:
    """A token bucket: at most `rate` path diagrams a second per worker, in bursts of as many.

    Each drawing costs an engine evaluation and 150 kB of SVG; past the rate a request is refused
    (503, Retry-After) before any of that work, so many clients asking for distinct paths cannot
    take the worker from /advise. With gevent a worker runs one request's computation at a time,
    so a bound on concurrency alone would never be reached: the rate is what bounds the work.
    """

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


class Drawings:
    """The served rules' diagrams, each drawn by `dot` the first time it is asked for.

    At most `max_renders` drawings are rendered at once (per worker); a request past that is
    refused with 503 rather than queued, so renders cannot take every worker from /advise.
    """

    def __init__(
        self,
        book: RuleBook,
        path_cache_size: int = PATH_CACHE_SIZE,
        max_renders: int = 2,
        path_rate: float = 20.0,
    ) -> None:
        self.book = book
        self.path_rate = PathRate(path_rate)
        self.renders = threading.BoundedSemaphore(max_renders)
        self.in_flight = 0
        self.audit: dict[str, AuditDiagram] = {diagram.name: diagram for diagram in audit_set(book)}
        self.audit_file = lru_cache(maxsize=len(self.audit))(self._audit_file)
        self.path_base = lru_cache(maxsize=len(LANGS))(self._path_base)
        self.path_svg = lru_cache(maxsize=path_cache_size)(self._path_svg)

    def _bounded(self) -> _Render:
        return _Render(self)

    def _audit_file(self, name: str) -> bytes:
        diagram = self.audit[name]
        with self._bounded():
            return render(diagram.draw(), diagram.format)

    def _path_base(self, lang: Lang) -> PathTree:
        # called within a request: the boxes link to the review pages of this app
        graph = decision_tree(self.book, lang, path=())
        with self._bounded():
            svg = render(graph, "svg", links(lang)).decode("utf-8")
        return PathTree(graph, svg)

    def _path_svg(self, lang: Lang, path: tuple[str, ...]) -> bytes:
        # the tree is drawn once per language; a path only restyles it (no dot per request)
        return self.path_base(lang).draw(path)


class _Render:
    """One render holding a place in the bound; RenderBusy (never cached) when there is none."""

    def __init__(self, drawings: Drawings) -> None:
        self.drawings = drawings

    def __enter__(self) -> None:
        if not self.drawings.renders.acquire(blocking=False):
            raise RenderBusy()
        self.drawings.in_flight += 1
        hooks = current_app.extensions.get("overdue_advisor_metrics")
        if hooks is not None:
            hooks.renders_in_flight.inc()

    def __exit__(self, *exc: object) -> None:
        self.drawings.in_flight -= 1
        self.drawings.renders.release()
        hooks = current_app.extensions.get("overdue_advisor_metrics")
        if hooks is not None:
            hooks.renders_in_flight.dec()


@blueprint.record_once
def _set_up(state: BlueprintSetupState) -> None:
    advisor: Advisor = state.app.extensions["overdue_advisor"]
    state.app.extensions[EXTENSION] = Drawings(
        advisor.book,
        max_renders=state.app.config.get("OVERDUE_ADVISOR_MAX_RENDERS", 2),
        path_rate=state.app.config.get("OVERDUE_ADVISOR_PATH_RATE", 20.0),
    )


@blueprint.app_errorhandler(RenderBusy)
def _busy(_: RenderBusy) -> Response:
    hooks = current_app.extensions.get("overdue_advisor_metrics")
    if hooks is not None:
        hooks.refused.labels(reason="render_bound").inc()
    return problem_response(
        503,
        "Service Unavailable",
        "Too many diagrams are being drawn at once; try again shortly.",
        headers={"Retry-After": RETRY_AFTER},
    )


def _drawings() -> Drawings:
    return current_app.extensions[EXTENSION]


@blueprint.get(DIAGRAM_PATH)
def path_diagram() -> Response:
    if not _drawings().path_rate.take():
        raise RenderBusy()
    facts, errors = request_from_query(request.args)
    if facts is None:
        return refused(errors)
    advisor: Advisor = current_app.extensions["overdue_advisor"]
    answer = advisor.advise(facts)
    current_app.extensions["overdue_advisor_metrics"].evaluations.inc()
    svg = _drawings().path_svg(facts.lang, tuple(answer.path))
    # the query holds a borrower's facts: keep the answer out of shared caches
    return _send(svg, "svg", cache="private, no-store")


@blueprint.get("/diagrams/<name>")
def audit_diagram(name: str) -> Response:
    drawings = _drawings()
    if name not in drawings.audit:
        raise NotFound()
    diagram = drawings.audit[name]
    return _send(drawings.audit_file(name), diagram.format, cache="public, max-age=300")


def _send(content: bytes, fmt: str, cache: str) -> Response:
    response = Response(content, mimetype=MEDIA_TYPES[fmt])  # type: ignore[index]
    response.headers["Cache-Control"] = cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    if fmt == "svg":
        response.headers["Content-Security-Policy"] = SVG_CSP
    return response


def request_from_query(query: MultiDict[str, str]) -> tuple[AdviceRequest | None, list[dict[str, str]]]:
    """The query of a diagram URL read into the /advise request model, or the refused fields.

    Query values are text; each is turned into the JSON type its field takes (booleans "true" and
    "false", numbers, kinds comma-separated, "null" where a field may be null) and then validated
    by the same strict model as a /advise body, so the same values are refused with the same words.
    A value that does not convert is passed on as text, for the model to refuse.
    """
    properties = _request_properties()
    # a list is given comma-separated, or as the same parameter repeated (OpenAPI's exploded form)
    lists = {name for name, schema in properties.items() if "array" in _types(schema)}
    repeated = [name for name in query if len(query.getlist(name)) > 1 and name not in lists]
    texts = {name: ",".join(query.getlist(name)) if name in lists else value for name, value in query.items()}
    body = {name: _json_value(_types(properties.get(name, {})), value) for name, value in texts.items()}
    errors = [{"field": name, "message": "given more than once"} for name in repeated]
    try:
        facts = AdviceRequest.model_validate_json(json.dumps(body))
    except ValidationError as error:
        return None, errors + field_errors(error)
    return (None, errors) if errors else (facts, [])


@lru_cache(maxsize=1)
def _request_properties() -> dict[str, Any]:
    return dict(AdviceRequest.model_json_schema()["properties"])


def _types(schema: dict[str, Any]) -> set[str]:
    found = {schema["type"]} if isinstance(schema.get("type"), str) else set()
    for option in schema.get("anyOf", ()):
        found |= _types(option)
    return found


def _json_value(types: set[str], text: str) -> Any:
    if "null" in types and text == "null":
        return None
    if "boolean" in types and text in ("true", "false"):
        return text == "true"
    if "integer" in types and _INTEGER.fullmatch(text):
        return int(text)
    if "number" in types and _NUMBER.fullmatch(text):
        return float(text)
    if "array" in types:
        return text.split(",") if text else []
    return text
