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
from conftest import ARTICLE_CASE, for_the_server, running_server
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
    page.goto(f"{server}/review/tree?lang=en")
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
    kinds = page.locator("fieldset[data-field='harassment_kinds'] input[value='threats']")
    expect(kinds).to_be_disabled()  # no answer to "harassment" yet
    page.select_option("select[data-field='harassment']", "true")
    expect(kinds).to_be_enabled()
    _fill_readme_case(page)

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

    # "no" to harassment clears and disables its kinds; the case is then one the API takes
    page.select_option("select[data-field='harassment']", "false")
    expect(kinds).to_be_disabled()
    assert page.locator("fieldset[data-field='harassment_kinds'] input:checked").count() == 0
    # a field left blank is named by its label, in the page's language, and nothing is sent
    page.fill("input[data-field='days_overdue']", "")
    page.click("#case-form button[type='submit']")
    expect(page.locator("#case-answer-body ul.problem")).to_have_text("days overdue: must be filled in")
    expect(page.locator("#case-path svg")).to_have_count(0)
    page.fill("input[data-field='days_overdue']", "99999")
    page.click("#case-form button[type='submit']")
    expect(page.locator("#case-answer-body ul.problem")).to_have_text(
        "days overdue: must be between 0 and 36500"
    )
    assert problems == []


def test_the_case_form_speaks_chinese_on_the_chinese_page(server: str, page: Page) -> None:
    problems = _problems(page)
    page.goto(f"{server}/review/case")
    page.click("#case-form button[type='submit']")
    errors = page.locator("#case-answer-body ul.problem li").all_inner_texts()
    assert errors and all(text.endswith("必须填写") for text in errors), errors
    assert not [text for text in errors if re.search(r"[A-Za-z]", text)], errors
    assert problems == []


DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
MIN_FONT_PX = 11

# every element of the overview with text of its own: its box and its computed font size
_TEXTS = """root => Array.from(root.querySelectorAll('*'))
  .filter(e => Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim()))
  .map(e => { const r = e.getBoundingClientRect(); return {
      text: e.textContent.trim().slice(0, 40), font: parseFloat(getComputedStyle(e).fontSize),
      left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width }; })"""


def _phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture()
def phone(browser: Browser) -> Iterator[Page]:
    yield from _phone(browser)


@pytest.fixture()
def desktop(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_overview_fits_one_desktop_screen_at_100_percent(server: str, desktop: Page, lang: str) -> None:
    problems = _problems(desktop)
    desktop.goto(f"{server}/review?lang={lang}")
    questions = desktop.locator("#overview .question-link")
    count = requests.get(f"{server}/review?lang={lang}", timeout=10).text.count('class="question-link"')
    assert count >= 10 and questions.count() == count
    size = desktop.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert size[0] <= DESKTOP["width"] and size[1] <= DESKTOP["height"], size  # nothing to scroll to
    texts = desktop.locator("main").evaluate(_TEXTS)
    assert len(texts) > 3 * count
    small = [t for t in texts if t["font"] < MIN_FONT_PX]
    assert small == []
    outside = [t for t in texts if t["bottom"] > DESKTOP["height"] or t["right"] > DESKTOP["width"]]
    assert outside == []
    ARTIFACTS.mkdir(exist_ok=True)
    desktop.screenshot(path=str(ARTIFACTS / f"review-overview-1440x900-{lang}.png"))
    desktop.locator("#overview .question-link").nth(3).click()
    expect(desktop.locator("#question-viewer svg")).to_be_visible()
    expect(desktop.locator(".hint-pointer")).to_be_visible()
    expect(desktop.locator(".hint-touch")).to_be_hidden()
    assert problems == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_overview_reads_on_a_phone(server: str, phone: Page, lang: str) -> None:
    problems = _problems(phone)
    phone.goto(f"{server}/review?lang={lang}")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # no sideways scrolling
    texts = phone.locator("main").evaluate(_TEXTS)
    assert [t for t in texts if t["font"] < MIN_FONT_PX] == []
    assert [t for t in texts if t["left"] < 0 or t["right"] > PHONE["width"]] == []
    questions = phone.locator("#overview .question-link")
    for index in range(questions.count()):
        expect(questions.nth(index)).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / f"review-overview-390x844-{lang}.png"), full_page=True)
    assert problems == []


def test_a_question_drawing_pinch_zooms_on_a_phone_with_the_touch_hint(server: str, phone: Page) -> None:
    problems = _problems(phone)
    phone.goto(f"{server}/review/questions/harassment?lang=en")
    expect(phone.locator(".hint-touch")).to_be_visible()
    expect(phone.locator(".hint-pointer")).to_be_hidden()
    assert "Ctrl" not in phone.locator("main").inner_text()
    viewer = phone.locator("#question-viewer")
    drawing = phone.locator("#question-viewer svg")
    expect(drawing).to_be_visible()
    viewer.scroll_into_view_if_needed()
    box = viewer.bounding_box()
    assert box is not None
    before = drawing.bounding_box()["width"]  # type: ignore[index]
    x, y = box["x"] + box["width"] / 2, box["y"] + min(box["height"], 200) / 2
    # two real touch points through the DevTools protocol, moved apart: a pinch-out
    cdp = phone.context.new_cdp_session(phone)

    def touch(kind: str, spread: float) -> None:
        points = (
            []
            if kind == "touchEnd"
            else [
                {"x": x - spread, "y": y, "id": 1},
                {"x": x + spread, "y": y, "id": 2},
            ]
        )
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", 20)
    for spread in (30, 45, 60):
        touch("touchMove", spread)
    touch("touchEnd", 0)
    after = drawing.bounding_box()["width"]  # type: ignore[index]
    assert after > before * 2.5, (before, after)
    expect(phone.locator(".zoom-level")).not_to_have_text(re.compile(r"^(38|39)%$"))
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "review-question-pinched-390x844.png"))
    assert problems == []


def test_the_law_catalogue_filters_as_you_type(server: str, desktop: Page) -> None:
    problems = _problems(desktop)
    desktop.goto(f"{server}/review/laws?lang=en")
    entries = desktop.locator("section.law-entry")
    total = entries.count()
    assert total > 20 and desktop.locator(".law-index li").count() > 3
    desktop.fill("#law-filter", "Art. 585")
    visible = desktop.locator("section.law-entry:visible")
    expect(visible).to_have_count(1)
    expect(visible.first).to_contain_text("Civil Code")
    expect(desktop.locator("section.instrument:visible")).to_have_count(1)
    desktop.fill("#law-filter", "no such words anywhere")
    expect(desktop.locator("#law-filter-none")).to_be_visible()
    desktop.fill("#law-filter", "")
    expect(desktop.locator("section.law-entry:visible")).to_have_count(total)
    assert problems == []


# one page of each kind, with the longest ids the shipped rules have (a long id is one unbroken word)
PHONE_PAGES = [
    "/review",
    "/review/tree",
    "/review/questions/legal_action",
    "/review/rules/arbitration_set_aside_2017_law_revision_adopted",
    "/review/advice/first_time_borrower_protect_record",
    "/review/laws",
    "/review/letters",
]


def _fill_readme_case(page: Page) -> None:
    """The README's example case, typed into the "try a case" form and sent."""
    page.fill("input[data-field='days_overdue']", CASE["days_overdue"])
    page.select_option("select[data-field='harassment']", "true")
    page.check("fieldset[data-field='harassment_kinds'] input[value='contacts_third_parties']")
    page.select_option("select[data-field='hardship']", CASE["hardship"])
    page.select_option("select[data-field='credit_reported']", CASE["credit_reported"])
    page.select_option("select[data-field='first_time_borrower']", "true")
    page.fill("input[data-field='as_of']", "2026-11-29")
    page.click("#case-form button[type='submit']")


def _scroll_width(page: Page) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_review_page_is_wider_than_a_phone(server: str, phone: Page, lang: str) -> None:
    problems = _problems(phone)
    for url in PHONE_PAGES:
        phone.goto(f"{server}{url}?lang={lang}")
        assert _scroll_width(phone) <= PHONE["width"], url
    phone.goto(f"{server}/review/case?lang={lang}")
    _fill_readme_case(phone)
    expect(phone.locator("#case-path svg")).to_be_visible(timeout=20_000)
    expect(phone.locator("#case-answer-body .counterfactuals")).to_be_visible(timeout=20_000)
    assert _scroll_width(phone) <= PHONE["width"], "/review/case with an answer"
    _fill_payment_order_case(phone, served_days_ago=10)
    expect(phone.locator("#case-answer-body .deadlines .when")).to_be_visible(timeout=20_000)
    expect(phone.locator("#case-path svg")).to_be_visible(timeout=20_000)
    assert _scroll_width(phone) <= PHONE["width"], "/review/case with a deadline"
    ARTIFACTS.mkdir(exist_ok=True)
    phone.locator("#case-answer").scroll_into_view_if_needed()
    phone.screenshot(path=str(ARTIFACTS / f"review-case-summary-390x844-{lang}.png"))
    assert problems == []


# the urgency of an item, as the case page words it
URGENCY_WORDS = {
    "en": {"now": "now (today)", "this_week": "this week", "later": "later"},
    "zh": {"now": "今天就做", "this_week": "本周内", "later": "之后"},
}
PAYMENT_ORDER_CASE = {
    "days_overdue": 120,
    "harassment": False,
    "hardship": "temporary",
    "credit_reported": "yes",
    "legal_action": "payment_order",
    "as_of": "2026-11-29",
}


def _fill_payment_order_case(page: Page, served_days_ago: int) -> None:
    """The README's payment-order case (the paper came `served_days_ago` days ago), sent."""
    page.fill("input[data-field='days_overdue']", str(PAYMENT_ORDER_CASE["days_overdue"]))
    page.select_option("select[data-field='harassment']", "false")
    page.select_option("select[data-field='hardship']", str(PAYMENT_ORDER_CASE["hardship"]))
    page.select_option("select[data-field='credit_reported']", str(PAYMENT_ORDER_CASE["credit_reported"]))
    page.select_option("select[data-field='legal_action']", str(PAYMENT_ORDER_CASE["legal_action"]))
    page.fill("input[data-field='served_days_ago']", str(served_days_ago))
    page.fill("input[data-field='as_of']", str(PAYMENT_ORDER_CASE["as_of"]))
    page.click("#case-form button[type='submit']")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_case_page_shows_the_summary_first_and_each_items_urgency(
    server: str, page: Page, lang: str
) -> None:
    problems = _problems(page)
    expected = requests.post(f"{server}/advise", json={**ARTICLE_CASE, "lang": lang}, timeout=10).json()
    page.goto(f"{server}/review/case?lang={lang}")
    _fill_readme_case(page)
    summary = page.locator("#case-answer-body > .summary")
    expect(summary.locator(".headline")).to_have_text(expected["summary"]["headline"], timeout=20_000)
    # the summary comes first, before the stage and the items
    assert page.locator("#case-answer-body > :first-child").get_attribute("class") == "summary"
    titles = {item["id"]: item["title"] for item in expected["actions"]}
    first = summary.locator(".first-steps a")
    assert len(expected["summary"]["first_steps"]) >= 2
    expect(first).to_have_text([titles[aid] for aid in expected["summary"]["first_steps"]])
    assert [link.get_attribute("href") for link in first.all()] == [
        f"#case-item-{aid}" for aid in expected["summary"]["first_steps"]
    ]
    expect(summary.locator(".reassurance li")).to_have_text(expected["summary"]["reassurance"])
    assert expected["summary"]["reassurance"]
    next_stage = expected["summary"]["next_stage"]
    expect(summary.locator(".next-stage")).to_contain_text(next_stage["label"])
    # every item, actions and what to avoid, with its urgency in the page's language
    items = page.locator("#case-answer-body li[id^='case-item-']")
    answer_items = expected["actions"] + expected["avoid"]
    expect(items).to_have_count(len(answer_items))
    shown = items.evaluate_all(
        "items => items.map(i => [i.id, i.querySelector(':scope > .urgency').textContent])"
    )
    assert shown == [[f"case-item-{i['id']}", URGENCY_WORDS[lang][i["urgency"]]] for i in answer_items]
    assert {item["urgency"] for item in answer_items} == {"now", "this_week", "later"}
    # a first step's link leads to its action below
    first.first.click()
    assert page.evaluate("location.hash") == f"#case-item-{expected['summary']['first_steps'][0]}"
    expect(page.locator(f"#case-item-{expected['summary']['first_steps'][0]}")).to_be_in_viewport()
    ARTIFACTS.mkdir(exist_ok=True)
    summary.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"review-case-summary-{lang}.png"))
    assert problems == []


def test_the_case_page_counts_a_payment_orders_deadline_in_days(server: str, page: Page) -> None:
    problems = _problems(page)
    page.goto(f"{server}/review/case?lang=en")
    _fill_payment_order_case(page, served_days_ago=10)
    expected = requests.post(
        f"{server}/advise", json={**PAYMENT_ORDER_CASE, "served_days_ago": 10, "lang": "en"}, timeout=10
    ).json()
    (deadline,) = expected["summary"]["deadlines"]
    assert (deadline["days_left"], deadline["date"]) == (5, "2026-12-04")
    shown = page.locator(f"#case-deadline-{deadline['id']}")
    expect(shown.locator(".when")).to_have_text("5 days left (until 2026-12-04)", timeout=20_000)
    expect(shown.locator(".what")).to_have_text(deadline["what"])
    expect(shown.locator(".after")).to_have_count(0)
    expect(shown.locator(".cites a")).to_have_text(
        [f"{c['law']} {c['article']}" for c in deadline["legal_basis"]]
    )
    # twenty days after the paper came, the limit has passed: what can still be done, in Chinese
    page.goto(f"{server}/review/case?lang=zh")
    _fill_payment_order_case(page, served_days_ago=20)
    late = requests.post(
        f"{server}/advise", json={**PAYMENT_ORDER_CASE, "served_days_ago": 20, "lang": "zh"}, timeout=10
    ).json()["summary"]["deadlines"][0]
    shown = page.locator(f"#case-deadline-{late['id']}")
    expect(shown.locator(".when")).to_have_text("已过 5 天（最后一天是 2026-11-24）", timeout=20_000)
    assert late["after"]
    expect(shown.locator(".after")).to_have_text(late["after"])
    assert problems == []


HOSTILE = "<b id='kb-html'>bold?</b><img src=x id='kb-img'>"


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The shipped rules with HTML in a headline, a deadline, what to do after it and an advice title."""
    import shutil
    import tempfile

    # a folder the server may read: started by root it runs as the service account, which cannot
    # enter pytest's tmp_path (below /tmp/pytest-of-root, 0700)
    home = for_the_server(Path(tempfile.mkdtemp(prefix="overdue-advisor-test-")))
    rules = home / "rules"
    shutil.copytree(Path(__file__).resolve().parent.parent / "rules", rules)
    edits = {
        "summary_courts.yaml": [
            "A payment order: paying or objecting",
            "Pay or file a written objection",
            "Once this has passed, a late objection",
        ],
    }
    for name, starts in edits.items():
        text = (rules / name).read_text(encoding="utf-8")
        for start in starts:
            assert text.count(f'en: "{start}') == 1, start
            text = text.replace(f'en: "{start}', f'en: "{HOSTILE} {start}')
        (rules / name).write_text(text, encoding="utf-8")
    advice = next(
        p for p in rules.glob("advice/*.yaml") if "object_to_payment_order:" in p.read_text("utf-8")
    )
    text = advice.read_text(encoding="utf-8")
    block = text.index("object_to_payment_order:")
    title = text.index('en: "', block)
    advice.write_text(text[:title] + f'en: "{HOSTILE} ' + text[title + len('en: "') :], encoding="utf-8")
    try:
        with running_server(tmp_path_factory.mktemp("hostile-server") / "gunicorn.log", 1, rules) as base:
            yield base
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.parametrize("served_days_ago", [10, 20])
def test_the_case_page_shows_rule_texts_as_text(
    hostile_server: str, page: Page, served_days_ago: int
) -> None:
    problems = _problems(page)
    page.goto(f"{hostile_server}/review/case?lang=en")
    _fill_payment_order_case(page, served_days_ago=served_days_ago)
    body = page.locator("#case-answer-body")
    expect(body.locator(".deadlines .what")).to_contain_text(HOSTILE, timeout=20_000)
    if served_days_ago <= 15:  # in time: the edited headline and first step
        expect(body.locator(".summary .headline")).to_contain_text(HOSTILE)
        expect(body.locator(".first-steps a").first).to_contain_text(HOSTILE)
        expect(body.locator("li[id^='case-item-'] > strong").first).to_contain_text(HOSTILE)
    else:  # passed: what can still be done
        expect(body.locator(".deadlines .after")).to_contain_text(HOSTILE)
    assert body.locator("#kb-html, #kb-img, b, img").count() == 0
    assert problems == []
