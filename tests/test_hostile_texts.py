"""A rule text with quotes, <script>, braces, a newline and backslashes is shown as text: in DOT and HTML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from conftest import MINI, read_texts, variant
from flask.testing import FlaskClient

from kb.advisor import Advisor
from kb.diagram.dot import source
from kb.diagram.graph import decision_tree, rules_view
from kb.diagram.render import render
from kb.facts import AdviceRequest
from kb.loader import load_texts
from kb.model import RuleBook
from webapi import create_app

FIRST = "He said \"stop\" & left <script>alert('x')</script> {a|b} \\N back\\slash"
SECOND = "second line"
# the same texts written as YAML double-quoted strings
YAML_TEXT = (
    '"He said \\"stop\\" & left <script>alert(\'x\')</script> {a|b} \\\\N back\\\\slash\\nsecond line"'
)
HTML_LIKE = "<b>not a label</b>"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def hostile() -> RuleBook:
    texts = read_texts(MINI)
    texts = variant(
        texts,
        "rules.yaml",
        "title: {zh: 保留证据, en: Keep evidence}",
        f"title: {{zh: {YAML_TEXT}, en: {YAML_TEXT}}}",
    )
    texts = variant(
        texts, "rules.yaml", 'label: {zh: 是, en: "yes"}', f"label: {{zh: {YAML_TEXT}, en: {YAML_TEXT}}}"
    )
    texts = variant(
        texts,
        "rules.yaml",
        'text: {zh: 骚扰？, en: "Harassment?"}',
        f'text: {{zh: "{HTML_LIKE}", en: "{HTML_LIKE}"}}',
    )
    texts = variant(
        texts,
        "rules.yaml",
        "summary: {zh: 违约金调整。, en: Penalty reduction.}",
        f"summary: {{zh: {YAML_TEXT}, en: {YAML_TEXT}}}",
    )
    book = load_texts(texts)
    assert book.advice["keep_evidence"].title.en == f"{FIRST}\n{SECOND}"
    return book


def svg_lines(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)  # well-formed: nothing broke out of a label
    assert not [e for e in root.iter() if e.tag.split("}")[-1] in ("script", "foreignObject")]
    return [text.text or "" for text in root.iter(f"{SVG}text")]


def joined(lines: list[str]) -> str:
    """Lines wrapped by the presenter joined again (it wraps at spaces in English)."""
    return " ".join(line.strip() for line in lines)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_dot_draws_hostile_texts_as_text(hostile: RuleBook, lang: str) -> None:
    request = AdviceRequest.model_validate_json(
        json.dumps(
            {"days_overdue": 9, "harassment": True, "hardship": "none", "credit_reported": "no", "lang": lang}
        )
    )
    path = Advisor(hostile).advise(request).path
    for graph in (
        decision_tree(hostile, lang),  # type: ignore[arg-type]
        decision_tree(hostile, lang, stage="due_today"),  # type: ignore[arg-type]
        decision_tree(hostile, lang, path=path),  # type: ignore[arg-type]
        rules_view(hostile, lang),  # type: ignore[arg-type]
    ):
        lines = svg_lines(render(graph, "svg"))
        text = joined(lines)
        assert FIRST in text, graph.name  # quotes, <script>, braces, \N and backslashes as typed
        assert HTML_LIKE in text  # a text between angle brackets is not an HTML-like label
        # the newline is a line break: the second line starts a line of its own
        assert any(line.strip().endswith(SECOND) for line in lines)
        assert not any("\n" in line or "\\n" in line for line in lines)
        dot = source(graph)
        assert "<script>" in dot and "\\\\N" in dot and "back\\\\slash" in dot  # escaped, in quoted strings
        assert f"<{HTML_LIKE}>" not in dot  # never written as an HTML-like label


@pytest.fixture(scope="module")
def client(hostile: RuleBook) -> FlaskClient:
    return create_app(advisor=Advisor(hostile)).test_client()


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None and data.strip():
            self.scripts[-1] = (self._open, self.scripts[-1][1] + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


@pytest.mark.parametrize(
    "url",
    [
        "/review?lang=en",
        "/review?lang=zh",
        "/review/rules/harassment_yes?lang=en",
        "/review/rules/rate_high?lang=en",  # the law summary it cites
        "/review/laws?lang=en",
    ],
)
def test_html_escapes_hostile_texts(client: FlaskClient, url: str) -> None:
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<script>alert" not in html and "<b>not a label" not in html
    assert "&lt;script&gt;alert(" in html
    parser = _Scripts()
    parser.feed(html)
    assert parser.scripts, "the page loads its scripts"
    assert all(
        attrs.get("src", "").startswith("/review/static/") and not body for attrs, body in parser.scripts
    )
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_hostile_texts_in_the_served_diagrams(client: FlaskClient) -> None:
    advice = client.post(
        "/advise",
        json={
            "days_overdue": 3,
            "harassment": True,
            "hardship": "none",
            "credit_reported": "no",
            "lang": "en",
        },
    ).get_json()
    for url in (advice["diagram_url"], "/diagrams/tree.en.svg", "/diagrams/rules.zh.svg"):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert FIRST in joined(svg_lines(response.data))
