"""The review pages in a real browser: Debian's Chromium, driven by Playwright, against gunicorn.

The server is the production one, started by `overdue-advisor serve` with the shipped rules.
Screenshots go to test-artifacts/ at the repository root.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import ARTICLE_CASE, running_server
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CASE = {
    "days_overdue": "7",
    "hardship": "long_term",
    "credit_reported": "unknown",
    "lender_licensed": "unknown",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("browser-server") / "gunicorn.log", workers=1) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


def _problems(page: Page) -> list[str]:
    """Console errors (a CSP violation is one) and uncaught script errors, collected as they come."""
    found: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            found.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


def test_the_tree_is_visible_zoomable_and_links_to_rules(server: str, page: Page) -> None:
    problems = _problems(page)
    page.goto(f"{server}/review?lang=en")
    tree = page.locator("#tree-viewer svg")
    expect(tree).to_be_visible()
    box = tree.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 300
    assert page.locator("#tree-viewer svg a[*|href^='/review/rules/']").count() > 30
    expect(page.locator(".zoom-tools[data-for='tree-viewer'] .zoom-level")).to_have_text(
        re.compile(r"^\d+%$")
    )
    before = tree.bounding_box()["width"]  # type: ignore[index]
    page.locator(".zoom-tools[data-for='tree-viewer'] button[data-zoom='in']").click()
    page.locator(".zoom-tools[data-for='tree-viewer'] button[data-zoom='in']").click()
    after = tree.bounding_box()["width"]  # type: ignore[index]
    assert after > before * 1.4
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-tree.png"))
    page.locator("#tree-viewer svg a[*|href^='/review/rules/harassment_yes']").first.click()
    expect(page.locator("h1")).to_contain_text("harassment_yes")
    expect(page.locator(".citation").first).to_be_visible()
    assert problems == []


def test_try_a_case_shows_the_advice_and_the_highlighted_path(server: str, page: Page) -> None:
    problems = _problems(page)
    page.goto(f"{server}/review/case?lang=en")
    page.fill("input[data-field='days_overdue']", CASE["days_overdue"])
    page.check("input[data-field='harassment']")
    page.check("fieldset[data-field='harassment_kinds'] input[value='contacts_third_parties']")
    page.select_option("select[data-field='hardship']", CASE["hardship"])
    page.select_option("select[data-field='credit_reported']", CASE["credit_reported"])
    page.select_option("select[data-field='first_time_borrower']", "true")
    page.fill("input[data-field='as_of']", "2026-11-29")
    page.click("#case-form button[type='submit']")

    taken = page.locator("#case-path svg g.rule.taken[id^='path-r_']")
    expect(taken.first).to_be_visible(timeout=20_000)
    expected = requests.post(
        f"{server}/advise",
        json={
            **ARTICLE_CASE,
            "lender_licensed": "unknown",
            "legal_action": "none",
            "other_loans": 0,
            "lang": "en",
        },
        timeout=10,
    ).json()
    titles = page.locator("#case-answer-body li > strong").all_inner_texts()
    assert titles == [item["title"] for item in expected["actions"] + expected["avoid"]]
    expect(page.locator("#case-answer-body .stage")).to_contain_text(expected["stage"]["label"])
    taken_ids = {box.removeprefix("path-r_") for box in taken.evaluate_all("boxes => boxes.map(b => b.id)")}
    assert taken_ids == {entry["rule"] for entry in expected["trace"]}
    assert "harassment_yes" in taken_ids and "hk_contacts_third_parties" in taken_ids
    dimmed = page.locator("#case-path svg #path-r_harassment_no")
    assert "dimmed" in (dimmed.get_attribute("class") or "")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".case-columns").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "review-case.png"))

    assert problems == []

    # a case the API refuses (kinds of harassment without harassment) shows the field it names
    page.uncheck("input[data-field='harassment']")
    page.click("#case-form button[type='submit']")
    expect(page.locator("#case-answer-body ul.problem")).to_contain_text("harassment_kinds")
    expect(page.locator("#case-path svg")).to_have_count(0)
    assert problems == ["Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"]
