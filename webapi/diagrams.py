"""GET /diagrams/...: the audit diagrams of the served rules, and the tree with one case's path.

Nothing a request sends is ever used as a file path: an audit diagram is looked up by name in
the fixed set the rules give and drawn in memory; a case's path comes from the engine's answer to
the validated query. Both are drawn once and kept (the path trees in a bounded LRU cache).
"""

from __future__ import annotations

import json
import re
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
from kb.model import Lang, RuleBook
from webapi.problems import problem_response
from webapi.review import links

blueprint = Blueprint("diagrams", __name__)
EXTENSION = "overdue_advisor_diagrams"
PATH_CACHE_SIZE = 256  # trees with a path kept drawn; one SVG is about 150 kB
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"

_INTEGER = re.compile(r"-?[0-9]{1,12}")
_NUMBER = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,12})?")


class Drawings:
    """The served rules' diagrams, each drawn by `dot` the first time it is asked for."""

    def __init__(self, book: RuleBook, path_cache_size: int = PATH_CACHE_SIZE) -> None:
        self.book = book
        self.audit: dict[str, AuditDiagram] = {diagram.name: diagram for diagram in audit_set(book)}
        self.audit_file = lru_cache(maxsize=len(self.audit))(self._audit_file)
        self.path_svg = lru_cache(maxsize=path_cache_size)(self._path_svg)

    def _audit_file(self, name: str) -> bytes:
        diagram = self.audit[name]
        return render(diagram.draw(), diagram.format)

    def _path_svg(self, lang: Lang, path: tuple[str, ...]) -> bytes:
        # called within a request: the boxes link to the review pages of this app
        return render(decision_tree(self.book, lang, path=path), "svg", links(lang))


@blueprint.record_once
def _set_up(state: BlueprintSetupState) -> None:
    advisor: Advisor = state.app.extensions["overdue_advisor"]
    state.app.extensions[EXTENSION] = Drawings(advisor.book)


def _drawings() -> Drawings:
    return current_app.extensions[EXTENSION]


@blueprint.get(DIAGRAM_PATH)
def path_diagram() -> Response:
    facts, errors = request_from_query(request.args)
    if facts is None:
        names = ", ".join(dict.fromkeys(e["field"] for e in errors))
        return problem_response(400, "Bad Request", f"The request was refused: {names}.", errors)
    advisor: Advisor = current_app.extensions["overdue_advisor"]
    answer = advisor.advise(facts)
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
    properties = AdviceRequest.model_json_schema()["properties"]
    repeated = [name for name in query if len(query.getlist(name)) > 1]
    body = {name: _json_value(_types(properties.get(name, {})), value) for name, value in query.items()}
    errors = [{"field": name, "message": "given more than once"} for name in repeated]
    try:
        facts = AdviceRequest.model_validate_json(json.dumps(body))
    except ValidationError as error:
        return None, errors + field_errors(error)
    return (None, errors) if errors else (facts, [])


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
