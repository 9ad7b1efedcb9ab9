"""The shipped knowledge content: citations exist in the statutes, texts are in the right
language, and nothing from the facts sheet's "never say" list appears."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.advisor import load_checked, shipped_rules
from kb.model import RuleBook, Text

REPO = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
ARTICLE = re.compile(r"第[一二三四五六七八九十百千零]+条(?:之一)?")

# law name (as the catalog writes it in Chinese) → statute files in ../shared/laws that hold it
STATUTES = {
    "中华人民共和国民法典": [
        "civil-code-general.md",
        "civil-code-contracts.md",
        "civil-code-personality-rights.md",
    ],
    "中华人民共和国个人信息保护法": ["personal-information-protection-law-2021.md"],
    "征信业管理条例": ["credit-reporting-industry-regulation-2013.md"],
    "中华人民共和国治安管理处罚法（2012年修正）": ["public-security-administration-punishment-law-2012.md"],
    "中华人民共和国民事诉讼法（2023年修正）": ["civil-procedure-law-2023.md"],
    "最高人民法院关于适用《中华人民共和国民事诉讼法》的解释": ["spc-civil-procedure-interpretation-2022.md"],
    "最高人民法院关于审理民间借贷案件适用法律若干问题的规定": ["spc-private-lending-provisions-2020.md"],
    "中华人民共和国刑法": ["criminal-law.md"],
    "最高人民法院关于公布失信被执行人名单信息的若干规定": ["spc-dishonest-judgment-debtors-list-2013.md"],
    "最高人民法院关于限制被执行人高消费及有关消费的若干规定": ["spc-high-consumption-restrictions-2010.md"],
}


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_checked(shipped_rules())


def laws_folder() -> Path | None:
    for candidate in (os.environ.get("OVERDUE_ADVISOR_LAWS"), REPO.parent / "shared" / "laws"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def all_texts(book: RuleBook) -> Iterator[tuple[str, Text]]:
    for aid, advice in book.advice.items():
        yield f"advice {aid} title", advice.title
        for i, step in enumerate(advice.steps):
            yield f"advice {aid} step {i + 1}", step
    for lid, law in book.laws.items():
        for field in ("law", "article", "summary"):
            yield f"law {lid} {field}", getattr(law, field)
    for cid, contact in book.contacts.items():
        for field in ("name", "channel", "purpose"):
            yield f"contact {cid} {field}", getattr(contact, field)
    for bid, band in book.stages.bands.items():
        yield f"stage {bid} label", band.label
        yield f"stage {bid} about", band.about
    for qid, question in book.questions.items():
        yield f"question {qid}", question.text
        for rid, rule in question.branches.items():
            yield f"rule {rid} label", rule.label


def test_every_cited_article_exists_in_the_statute(book: RuleBook) -> None:
    folder = laws_folder()
    if folder is None:
        pytest.skip("statute texts not found beside the repository (../shared/laws)")
    checked = 0
    missing = []
    for lid, law in book.laws.items():
        files = STATUTES.get(law.law.zh)
        if not files:
            continue
        headings = {
            match.group(0)
            for name in files
            for line in (folder / name).read_text(encoding="utf-8").splitlines()
            if (match := ARTICLE.match(line))
        }
        for article in ARTICLE.findall(law.article.zh):
            checked += 1
            if article not in headings:
                missing.append(f"{law.defined_at}: {lid} cites {article}, not in {files}")
    assert missing == []
    assert checked >= 40


def test_english_texts_have_no_chinese_and_chinese_texts_are_chinese(book: RuleBook) -> None:
    english_with_cjk = [where for where, text in all_texts(book) if CJK.search(text.en)]
    chinese_without_cjk = [where for where, text in all_texts(book) if not CJK.search(text.zh)]
    assert english_with_cjk == []
    # short labels such as "yes" may be identical; everything longer must be written in Chinese
    assert [w for w in chinese_without_cjk if not w.startswith("rule ")] == []


NEVER_SAY = [
    # no named product and no grace period number
    (r"微粒贷|借呗|京东金条|Weilidai|Jiebei|Jintiao", "a named loan product"),
    (
        r"宽限期?[^。；]{0,12}\d+\s*天|\d+\s*(?:-|–|~|至|到)?\s*\d*\s*天[^。；]{0,6}宽限",
        "a grace period in days",
    ),
    (r"grace period of \d|\d+[- ]day grace|\d+ days? of grace", "a grace period in days"),
    # no rate line that the facts do not support
    (r"36\s*%|百分之三十六", "a 36% line"),
    (r"(?<![\d.])(?!24\b)\d+(?:\.\d+)?\s*%", "a percentage other than 24%"),
    # the debt never disappears with time or harassment; bankruptcy is not nationwide
    (r"(?:消失|一笔勾销|disappear|vanish|written off)", "the debt disappears"),
    (r"(?:全国|nationwide|everywhere in China)", "nationwide personal bankruptcy"),
    (r"(?:删除|移除|消除|清除|removed?|delete[sd]?|erase[sd]?)", "a correct record removed"),
    (r"(?:逮捕|坐牢|拘留|arrest(?:ed)?|jail|prison)", "overdue leads to arrest"),
]
# Words that, shortly before a claim, make it a denial ("does not disappear", "不会消失").
NEGATION = re.compile(
    r"(?:不|没有|并非|无法|不是|不能|不会|未|别"
    r"|never|not|n't|no |cannot|without|nor|only the lender)[^。.;；]{0,40}$",
    re.IGNORECASE,
)
# The claims that are allowed where the facts sheet says so, by where they stand.
ALLOWED = {
    "a correct record removed": (
        "credit_five_year_rule",
        "credit_reg_16",
        "pboc_credit_repair_2025",
        "repair_policy",
        "credit_objection",
        "credit_personal_statement",
        "credit_reg_25",
        "check_credit_report",
        "avoid_paid_credit_repair",
    ),
    "overdue leads to arrest": (
        "criminal_law",
        "psapl_",
        "threats_call_police",
        "visits_safety",
        "verify_court_papers",
        "overdue_is_not_a_crime",
    ),
}


def affirmed(pattern: str, text: str) -> bool:
    """The pattern occurs at least once without a denial shortly before it."""
    return any(
        not NEGATION.search(text[: match.start()]) for match in re.finditer(pattern, text, re.IGNORECASE)
    )


@pytest.mark.parametrize(("pattern", "claim"), NEVER_SAY, ids=[claim for _, claim in NEVER_SAY])
def test_never_say(book: RuleBook, pattern: str, claim: str) -> None:
    allowed = ALLOWED.get(claim, ())
    found = [
        f"{where} ({lang}): {text}"
        for where, text in all_texts(book)
        if not any(name in where for name in allowed)
        for lang, text in (("zh", text.zh), ("en", text.en))
        if affirmed(pattern, text)
    ]
    assert found == [], claim


def test_money_amounts_only_from_the_facts(book: RuleBook) -> None:
    amounts = {
        re.sub(r"[,，\s]", "", m)
        for _, text in all_texts(book)
        for m in re.findall(r"(?:¥|￥|RMB|CNY)\s*([\d,]+)|([\d,]+)\s*(?:元|yuan)", text.zh + " " + text.en)
        for m in m
        if m
    }
    assert amounts <= {"10000"}


def test_every_advice_cited_or_practice_and_every_law_used(book: RuleBook) -> None:
    cited = {law for advice in book.advice.values() for law in advice.legal_basis}
    assert [a for a, advice in book.advice.items() if not advice.legal_basis and not advice.practice] == []
    assert sorted(set(book.laws) - cited) == []


def test_every_advice_and_contact_is_reachable(book: RuleBook) -> None:
    given = {a for _, _, _, rule in book.rules for a in rule.advice}
    contacts = {c for _, _, _, rule in book.rules for c in rule.contacts}
    assert sorted(set(book.advice) - given) == []
    assert sorted(set(book.contacts) - contacts) == []


def test_non_binding_instruments_are_marked(book: RuleBook) -> None:
    soft = {lid for lid, law in book.laws.items() if not law.binding}
    assert {lid for lid in book.laws if lid.startswith(("nifa_", "collection_standard", "cba_"))} <= soft


CLAIMS = {
    "a grace period in days": ["首次逾期有5天宽限期", "you get a 5-day grace period"],
    "the debt disappears": ["三年后债务自动消失", "after three years the debt disappears"],
    "a correct record removed": ["提交个人声明后逾期记录会被删除", "an objection will remove the overdue"],
    "overdue leads to arrest": ["逾期会被拘留", "you may be arrested for not paying"],
    "a 36% line": ["超过36%的部分无效"],
    "nationwide personal bankruptcy": ["个人破产已在全国推行"],
    "a named loan product": ["借呗不会上征信"],
}


@pytest.mark.parametrize("claim", sorted(CLAIMS))
def test_the_checker_catches_each_claim(claim: str) -> None:
    patterns = [pattern for pattern, named in NEVER_SAY if named == claim]
    for sentence in CLAIMS[claim]:
        assert any(affirmed(pattern, sentence) for pattern in patterns), sentence
