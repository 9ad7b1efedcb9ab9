"""GET /review...: the lawyers' pages, rendered on the server from the served rules."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from conftest import MINI, read_texts, variant
from flask.testing import FlaskClient

from kb.loader import load_rules, load_texts
from kb.model import RuleBook
from kb.wording import describe
from webapi import create_app
from webapi.review import SOURCE_URL_ENV, advice_view, check_source_url

PAGES = [
    "/review",
    "/review?lang=en",
    "/review/tree?lang=en",
    "/review/questions/kinds",
    "/review/rules/harassment_yes",
    "/review/advice/keep_evidence?lang=en",
    "/review/laws?lang=en",
    "/review/case",
]


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


def test_the_overview_lists_every_question_and_branch_label_as_links(
    client: FlaskClient, book: RuleBook
) -> None:
    html = client.get("/review?lang=en").get_data(as_text=True)
    assert "<svg" not in html  # HTML, not a drawing to zoom
    for number, (qid, question) in enumerate(book.questions.items(), 1):
        number_span = f'<span class="number">{number}</span>'
        assert f'href="/review/questions/{qid}?lang=en">{number_span} {question.text("en")}</a>' in html, qid
        for rid, rule in question.branches.items():
            assert f'<a href="/review/rules/{rid}?lang=en" title="{rid}: ' in html, rid
            assert f">{rule.label('en')}</a>" in html, rid
    assert "Asked only if: harassed by collectors: yes" in html
    chinese = client.get("/review").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in chinese and "骚扰？" in chinese


def test_the_whole_tree_page_shows_the_tree_with_links_and_every_question(
    client: FlaskClient, book: RuleBook
) -> None:
    html = client.get("/review/tree?lang=en").get_data(as_text=True)
    assert '<div id="tree-viewer" class="diagram-viewer"><svg' in html
    for placed in book.rules:
        assert f'xlink:href="/review/rules/{placed.rule_id}?lang=en"' in html, placed.rule_id
    for number, (qid, question) in enumerate(book.questions.items(), 1):
        assert f'id="q-{qid}"' in html and f"{number}. {question.text('en')}" in html
        assert f'xlink:href="/review/questions/{qid}?lang=en"' in html
    assert describe(book, book.questions["kinds"].branches["kind_threats"].when, "en") in html
    for name in ("tree.zh.svg", "tree.en.pdf", "tree.en.png", "question-kinds.zh.svg", "rules.zh.svg"):
        assert f'href="/diagrams/{name}"' in html
    assert 'class="hint-pointer"' in html and 'class="hint-touch"' in html


def test_a_question_page_draws_that_question_alone(client: FlaskClient, book: RuleBook) -> None:
    html = client.get("/review/questions/kinds?lang=en").get_data(as_text=True)
    assert '<div id="question-viewer" class="diagram-viewer"><svg' in html
    drawing = html[html.index("<svg") : html.index("</svg>")]
    assert 'xlink:href="/review/rules/kind_threats?lang=en"' in drawing
    assert "harassment_yes" not in drawing and "rate_high" not in drawing
    assert "Asked only if" in html and "harassed by collectors: yes" in html
    assert '<a href="/review/advice/call_police?lang=en">Call the police</a>' in html
    assert "Public Security Administration Punishments Law (2025)" in html
    assert client.get("/review/questions/nope").status_code == 404


def test_an_advice_page_has_its_text_urgency_citations_and_every_rule_that_gives_it(
    client: FlaskClient, book: RuleBook
) -> None:
    html = client.get("/review/advice/keep_evidence?lang=en").get_data(as_text=True)
    for expected in (
        "Keep evidence",
        "Record and screenshot.",
        "priority 15",
        "Art. 42",
        "Threats, insults.",
        '<a href="/review/rules/harassment_yes?lang=en"><code>harassment_yes</code>',
        "harassed by collectors: yes",
        '<a class="muted" href="/review/questions/harassment?lang=en">',
    ):
        assert expected in html, expected
    givers = [p.rule_id for p in book.rules if "keep_evidence" in p.rule.advice]
    assert html.count('<tr>\n    <td><a href="/review/rules/') == len(givers)
    assert re.search(r"<code>rules\.yaml:\d+</code>", html)  # no source URL configured: plain text
    assert client.get("/review/advice/nope").status_code == 404


def test_file_lines_link_to_the_source_when_a_url_template_is_set(
    monkeypatch: pytest.MonkeyPatch, book: RuleBook
) -> None:
    monkeypatch.setenv(SOURCE_URL_ENV, "https://git.example/kb/blob/{rev}/{path}#L{line}")
    monkeypatch.setenv("OVERDUE_ADVISOR_SOURCE_REV", "v1.1")
    linked = create_app(rules_dir=MINI).test_client()
    line = book.questions["harassment"].branches["harassment_yes"].defined_at.line
    for url in (
        "/review/rules/harassment_yes",
        "/review/advice/keep_evidence",
        "/review/questions/harassment",
    ):
        html = linked.get(url).get_data(as_text=True)
        assert f'href="https://git.example/kb/blob/v1.1/rules/rules.yaml#L{line}"' in html, url
    laws = linked.get("/review/laws").get_data(as_text=True)
    assert 'href="https://git.example/kb/blob/v1.1/rules/rules.yaml#L' in laws
    for wrong in ("ftp://x/{path}", "https://x/{path}/{branch}", 'https://x/"{path}'):
        with pytest.raises(ValueError):
            check_source_url(wrong)


def test_practice_labels_agree_with_the_citations(mini_texts: dict[str, str]) -> None:
    cited = variant(
        mini_texts,
        "rules.yaml",
        "legal_basis: [civil_code_585]",
        "legal_basis: [civil_code_585]\n    practice: true",
    )
    book = load_texts(cited)
    both = [a for a, item in book.advice.items() if item.practice and item.legal_basis]
    alone = [a for a, item in book.advice.items() if item.practice and not item.legal_basis]
    assert both and alone
    for lang in ("zh", "en"):
        for advice_id in both:
            label = advice_view(book, advice_id, lang).practice
            assert label and "no article" not in label and "不引用" not in label
        for advice_id in alone:
            assert advice_view(book, advice_id, lang).practice in (
                "Practical guidance: it rests on no article.",
                "实务建议，不引用法条。",
            )


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


def test_the_law_catalog_is_grouped_by_instrument_with_an_index_and_a_filter(
    client: FlaskClient, book: RuleBook
) -> None:
    html = client.get("/review/laws?lang=en").get_data(as_text=True)
    names = list(dict.fromkeys(law.law("en") for law in book.laws.values()))
    assert len(names) < len(book.laws)  # several articles share a law
    for number, name in enumerate(names, 1):
        assert f'<li><a href="#instrument-{number}">{name}</a>' in html, name
        group = html[html.index(f'<section class="instrument" id="instrument-{number}">') :]
        group = group[: group.index('<section class="instrument"', 10) if number < len(names) else None]
        ids = [law_id for law_id, law in book.laws.items() if law.law("en") == name]
        assert all(f'id="law-{law_id}"' in group for law_id in ids), name
    assert '<input type="search" id="law-filter"' in html
    assert '<script src="/review/static/laws.js" defer></script>' in html


def test_the_case_form_has_a_field_for_every_input_and_no_answer_chosen(
    client: FlaskClient, book: RuleBook
) -> None:
    html = client.get("/review/case?lang=en").get_data(as_text=True)
    for name in [*book.inputs, "as_of", "lang"]:
        assert f'data-field="{name}"' in html, name
    assert 'data-endpoint="/advise"' in html
    assert '<script src="/review/static/case.js" defer></script>' in html
    form = html[html.index("<form") : html.index("</form>")]
    assert " selected" not in form and " checked" not in form
    assert not re.search(r'<input type="number"[^>]*value=', form)
    kinds = form[form.index('data-field="harassment_kinds"') :]
    kinds = kinds[: kinds.index(">")]
    assert 'data-enabled-by="harassment"' in kinds and kinds.endswith("disabled")
    assert '<select name="harassment" data-field="harassment" data-kind="boolean"' in form
    chinese = client.get("/review/case").get_data(as_text=True)
    assert 'data-err-required="必须填写"' in chinese and "— 请选择 —" in chinese
    assert 'data-err-required="must be filled in"' in html


def test_refusals_are_problem_details(client: FlaskClient) -> None:
    wrong_lang = client.get("/review?lang=fr")
    assert wrong_lang.status_code == 400 and wrong_lang.mimetype == "application/problem+json"
    assert wrong_lang.get_json()["errors"] == [{"field": "lang", "message": "must be one of: zh, en"}]
    for url in (
        "/review/rules/nope",
        "/review/advice/nope",
        "/review/questions/nope",
        "/review/static/docs-init.js",
        "/review/static/..%2F__init__.py",
    ):
        missing = client.get(url)
        assert missing.status_code == 404 and missing.mimetype == "application/problem+json", url


@pytest.mark.parametrize(
    "url",
    [
        "/review/tree?lang=en",
        "/review/questions/harassment?lang=en",
        "/review/questions/harassment?lang=zh",
        "/review/advice/keep_evidence?lang=en",
    ],
)
def test_the_new_pages_escape_hostile_texts(hostile_client: FlaskClient, url: str) -> None:
    html = hostile_client.get(url).get_data(as_text=True)
    assert "<script>alert" not in html and "<b>not a label" not in html
    assert "&lt;script&gt;alert(" in html or "&lt;b&gt;not a label" in html


@pytest.fixture(scope="module")
def hostile_client() -> FlaskClient:
    from test_hostile_texts import HTML_LIKE, YAML_TEXT

    from kb.advisor import Advisor

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
    return create_app(advisor=Advisor(load_texts(texts))).test_client()


def test_the_case_page_explains_what_would_change_the_advice() -> None:
    from conftest import ARTICLE_CASE

    from webapi import create_app

    client = create_app().test_client()
    page = client.get("/review/case?lang=en").get_data(as_text=True)
    assert 'data-explain="/review/explain"' in page
    found = client.post("/review/explain", json={**ARTICLE_CASE, "lang": "en"})
    assert found.status_code == 200
    changes = found.get_json()["changes"]
    day = next(c for c in changes if c["field"] == "days_overdue")
    assert (day["from"], day["to"]) == ("7", "8") and day["stage"] == [
        "just overdue (1–7 days)",
        "8–30 days overdue",
    ]
    threats = next(c for c in changes if c["field"] == "harassment_kinds" and "threats" in c["to"])
    assert any("police" in title for title in threats["adds"])
    zh = client.post("/review/explain", json={**ARTICLE_CASE, "lang": "zh"}).get_json()["changes"]
    assert any("威胁恐吓" in c["to"] for c in zh)
    refused = client.post("/review/explain", json={**ARTICLE_CASE, "days_overdue": -1})
    assert refused.status_code == 400 and refused.get_json()["errors"][0]["field"] == "days_overdue"


def test_a_rule_page_shows_what_the_branch_adds_to_the_summary() -> None:
    """The shipped crisis branch: its headline, its own first step and its reassurance, in words;
    a payment-order branch: its deadline and the urgency it raises."""
    from kb.advisor import Advisor

    advisor = Advisor.from_folder()
    book = advisor.book
    shipped = create_app(advisor=advisor).test_client()
    rule = book.questions["safety"].branches["safety_risk"]
    html = shipped.get("/review/rules/safety_risk?lang=en").get_data(as_text=True)
    section = html[html.index("What it adds to the summary") :]
    assert rule.headline and book.headlines[rule.headline].text("en") in section
    assert [book.advice[a].title("en") for a in rule.first_steps] == [book.advice["safety_first"].title("en")]
    first = section.split("</ol>")[0]
    assert f'<li><a href="#advice-safety_first">{book.advice["safety_first"].title("en")}</a></li>' in first
    for rid in rule.reassurance:
        assert book.reassurance[rid].text("en") in section
    assert rule.others_at_most == "this_week"
    assert "<dt>Items other branches give are at most</dt><dd>this week</dd>" in section
    placed = next(p for p in book.rules if p.rule.deadlines and p.rule.urgency)
    court = shipped.get(f"/review/rules/{placed.rule_id}?lang=zh").get_data(as_text=True)
    assert "它在摘要中加入的内容" in court
    for did in placed.rule.deadlines:
        assert book.deadlines[did].what("zh") in court
    quiet = shipped.get("/review/rules/everyone?lang=en").get_data(as_text=True)
    assert "What it adds to the summary" not in quiet


def test_a_rule_page_puts_the_summary_before_the_advice_and_the_branch_urgency_on_its_cards() -> None:
    """On a phone the summary is read first; an item's card says the urgency this branch gives it."""
    from kb.advisor import Advisor

    advisor = Advisor.from_folder()
    book = advisor.book
    shipped = create_app(advisor=advisor).test_client()
    for lang, summary, advice in (
        ("zh", "它在摘要中加入的内容", "增加的建议"),
        ("en", "What it adds to the summary", "Advice it adds"),
    ):
        html = shipped.get(f"/review/rules/judgment_appeal_passed?lang={lang}").get_data(as_text=True)
        assert (
            html.index(f"<h2>{summary}</h2>")
            < html.index(f"<h2>{advice}</h2>")
            < html.index('class="advice ')
        )
    raised = book.questions["harassment_kinds"].branches["hk_contacts_third_parties"].urgency
    assert (
        raised == {"third_party_contact": "now"} and book.advice["third_party_contact"].urgency == "this_week"
    )
    html = shipped.get("/review/rules/hk_contacts_third_parties").get_data(as_text=True)
    card = html[html.index('id="advice-third_party_contact"') :]
    card = card[: card.index("</section>")]
    assert '紧迫程度: <span class="urgency branch-urgency">今天就做（此分支提高）</span>' in card
    assert "本周内" not in card
    # an item the branch leaves alone shows its own urgency, unmarked
    other = next(
        aid
        for aid in book.questions["harassment_kinds"].branches["hk_contacts_third_parties"].advice
        if aid != "third_party_contact"
    )
    card = html[html.index(f'id="advice-{other}"') :]
    own = {"now": "今天就做", "this_week": "本周内", "later": "之后"}[book.advice[other].urgency]
    assert f'紧迫程度: <span class="urgency">{own}</span>' in card[: card.index("</section>")]
    english = shipped.get("/review/rules/hk_contacts_third_parties?lang=en").get_data(as_text=True)
    assert "now (today), raised on this branch" in english
    # the summary's raised item links to its card below
    assert '<a href="#advice-third_party_contact">' in english
    # the advice page itself keeps the item's own urgency: a branch may raise it
    page = shipped.get("/review/advice/third_party_contact?lang=en").get_data(as_text=True)
    assert "this week (a branch may raise it)" in page


def test_the_case_page_carries_the_summary_and_urgency_words_in_its_language(client: FlaskClient) -> None:
    """case.js draws the answer's summary and each item's urgency with the page's words, which the
    page hands it as data-* attributes (its policy allows no inline script)."""
    english = client.get("/review/case?lang=en").get_data(as_text=True)
    answer = english[english.index('<section id="case-answer"') :]
    answer = answer[: answer.index(">")]
    for attribute in (
        'data-summary="Summary (what the borrower sees first)"',
        'data-first-steps="First steps"',
        'data-reassurance="Reassurance"',
        'data-deadlines="Deadlines"',
        'data-days-left="{n} days left (until {date})"',
        'data-days-left-one="{n} day left (until {date})"',
        'data-days-passed="passed {n} days ago (the last day was {date})"',
        'data-next-stage="Next stage"',
        'data-urgency-now="now (today)"',
        'data-urgency-this-week="this week"',
        'data-urgency-later="later"',
    ):
        assert attribute in answer, attribute
    chinese = client.get("/review/case").get_data(as_text=True)
    for attribute in (
        'data-summary="摘要（借款人最先看到的）"',
        'data-days-left="还剩 {n} 天（截至 {date}）"',
        'data-days-passed="已过 {n} 天（最后一天是 {date}）"',
        'data-urgency-now="今天就做"',
        'data-urgency-this-week="本周内"',
        'data-urgency-later="之后"',
    ):
        assert attribute in chinese, attribute


def test_the_case_script_sets_texts_as_text_never_as_html(client: FlaskClient) -> None:
    script = client.get("/review/static/case.js").get_data(as_text=True)
    assert "textContent" in script and "createTextNode" in script
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function("):
        assert sink not in script, sink
