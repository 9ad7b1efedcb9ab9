"""GET /review...: the lawyers' pages, rendered on the server from the served rules."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from conftest import MINI
from flask.testing import FlaskClient

from kb.loader import load_rules
from kb.model import RuleBook
from kb.wording import describe
from webapi import create_app

PAGES = ["/review", "/review?lang=en", "/review/rules/harassment_yes", "/review/laws?lang=en", "/review/case"]


@pytest.fixture(scope="module")
def client() -> FlaskClient:
    return create_app(rules_dir=MINI).test_client()


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rules(MINI)


class _Assets(HTMLParser):
    """Scripts, style sheets and inline styles of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str | None] = []
        self.styles: list[str | None] = []
        self.inline_styles = 0
        self.handlers = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self.scripts.append(found.get("src"))
        if tag == "link" and found.get("rel") == "stylesheet":
            self.styles.append(found.get("href"))
        self.inline_styles += "style" in found
        self.handlers += sum(name.startswith("on") for name in found)


@pytest.mark.parametrize("url", PAGES)
def test_pages_are_self_contained_under_a_strict_csp(client: FlaskClient, url: str) -> None:
    page = client.get(url)
    assert page.status_code == 200 and page.mimetype == "text/html"
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    html = page.get_data(as_text=True)
    assets = _Assets()
    assets.feed(html)
    assert assets.scripts and None not in assets.scripts  # every script from a file, none inline
    assert assets.inline_styles == 0 and assets.handlers == 0
    for asset in [*assets.scripts, *assets.styles]:
        assert asset and asset.startswith("/review/static/"), asset
        assert client.get(asset).status_code == 200, asset


def test_index_shows_the_tree_with_links_and_every_question(client: FlaskClient, book: RuleBook) -> None:
    html = client.get("/review?lang=en").get_data(as_text=True)
    assert '<div id="tree-viewer" class="diagram-viewer"><svg' in html
    for placed in book.rules:
        assert f'xlink:href="/review/rules/{placed.rule_id}?lang=en"' in html, placed.rule_id
    for number, (qid, question) in enumerate(book.questions.items(), 1):
        assert f'id="q-{qid}"' in html and f"{number}. {question.text('en')}" in html
    assert "asked only if" in html.lower() or "Asked only if" in html
    assert describe(book, book.questions["kinds"].branches["kind_threats"].when, "en") in html
    for name in ("tree.zh.svg", "tree.en.pdf", "stage-due_today.en.png", "rules.zh.svg"):
        assert f'href="/diagrams/{name}"' in html
    chinese = client.get("/review").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in chinese and "骚扰？" in chinese


def test_a_rule_page_has_conditions_advice_and_citations_in_full(client: FlaskClient) -> None:
    html = client.get("/review/rules/harassment_yes?lang=en").get_data(as_text=True)
    assert "harassed by collectors: yes" in html
    assert "Keep evidence" in html and "Record and screenshot." in html
    for expected in (
        "Public Security Administration Punishments Law (2012)",
        "Art. 42",
        "Threats, insults.",
        'href="https://flk.npc.gov.cn/"',
        "from 2013-01-01, until 2025-12-31",
        "from 2026-01-01",
        "Police",
        "call 110",
    ):
        assert expected in html, expected
    assert re.search(r"<code>rules\.yaml:\d+</code>", html)
    dated = client.get("/review/rules/policy_open?lang=en").get_data(as_text=True)
    assert "from 2025-12-22, until 2026-03-31" in dated
    practice = client.get("/review/rules/stage_due_today?lang=en").get_data(as_text=True)
    assert "Practical guidance: it rests on no article." in practice


def test_the_law_catalog_lists_every_rule_citing_each_law(client: FlaskClient, book: RuleBook) -> None:
    html = client.get("/review/laws?lang=en").get_data(as_text=True)
    for law_id in book.laws:
        assert f'id="law-{law_id}"' in html
    section = html[html.index('id="law-public_order_2025_50"') :]
    section = section[: section.index("</section>")]
    assert (
        "/review/rules/harassment_yes?lang=en" in section and "/review/rules/kind_threats?lang=en" in section
    )
    assert "Keep evidence" in section and "Call the police" in section


def test_the_case_form_has_a_field_for_every_input(client: FlaskClient, book: RuleBook) -> None:
    html = client.get("/review/case?lang=en").get_data(as_text=True)
    for name in [*book.inputs, "as_of", "lang"]:
        assert f'data-field="{name}"' in html, name
    assert 'data-endpoint="/advise"' in html
    assert '<script src="/review/static/case.js" defer></script>' in html


def test_refusals_are_problem_details(client: FlaskClient) -> None:
    wrong_lang = client.get("/review?lang=fr")
    assert wrong_lang.status_code == 400 and wrong_lang.mimetype == "application/problem+json"
    assert wrong_lang.get_json()["errors"] == [{"field": "lang", "message": "must be one of: zh, en"}]
    for url in ("/review/rules/nope", "/review/static/docs-init.js", "/review/static/..%2F__init__.py"):
        missing = client.get(url)
        assert missing.status_code == 404 and missing.mimetype == "application/problem+json", url
