"""The shipped knowledge content: citations exist in the statutes, texts are in the right
language, and nothing from the facts sheet's "never say" list appears."""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import get_args

import pytest
import yaml

from kb.advisor import Advisor, load_checked, shipped_rules
from kb.facts import HARASSMENT_KINDS, AdviceRequest
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
        "civil-code-marriage-family.md",
        "civil-code-succession.md",
    ],
    "中华人民共和国个人信息保护法": ["personal-information-protection-law-2021.md"],
    "征信业管理条例": ["credit-reporting-industry-regulation-2013.md"],
    "中华人民共和国治安管理处罚法（2012年修正）": ["public-security-administration-punishment-law-2012.md"],
    "中华人民共和国民事诉讼法（2023年修正）": ["civil-procedure-law-2023.md"],
    "最高人民法院关于适用《中华人民共和国民事诉讼法》的解释": ["spc-civil-procedure-interpretation-2022.md"],
    "最高人民法院关于审理民间借贷案件适用法律若干问题的规定": ["spc-private-lending-provisions-2020.md"],
    "最高人民法院关于新民间借贷司法解释适用范围问题的批复": ["spc-private-lending-scope-reply-2020.md"],
    "中华人民共和国刑法": ["criminal-law.md"],
    "中华人民共和国仲裁法（2017年修正）": ["arbitration-law-2017.md"],
    "中华人民共和国公证法（2017年修正）": ["notarization-law-2017.md"],
    "最高人民法院关于人民法院办理仲裁裁决执行案件若干问题的规定": ["spc-arbitral-award-enforcement-2018.md"],
    "最高人民法院关于适用《中华人民共和国民事诉讼法》执行程序若干问题的解释": [
        "spc-enforcement-procedure-interpretation-2020.md"
    ],
    "最高人民法院关于适用《中华人民共和国民法典》有关担保制度的解释": [
        "spc-guarantee-interpretation-2020.md"
    ],
}
# The 2013 list provisions and the 2010 spending provisions in ../shared/laws were revised in 2017
# and 2015; the catalog cites only the revised texts (titles marked with the revision), which are
# not in ../shared/laws, so they are not checked here but must say they rest on published sources.


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_checked(shipped_rules())


# CI runs in a fresh clone with a copy of shared/ beside it, as /work/shared is beside /work/main:
# ../shared/laws from the clone's root is the default. OVERDUE_ADVISOR_LAWS points elsewhere (a
# worktree deeper in the tree). In CI (CI set, e.g. CI=true) missing statutes fail the run;
# elsewhere the check is skipped with the reason.
DEFAULT_LAWS = REPO.parent / "shared" / "laws"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def laws_folder() -> tuple[Path | None, str]:
    """The statute folder, or None and why it is missing."""
    named = os.environ.get("OVERDUE_ADVISOR_LAWS")
    folder = Path(named) if named else DEFAULT_LAWS
    source = "OVERDUE_ADVISOR_LAWS" if named else "the default ../shared/laws beside the repository"
    if not folder.is_dir():
        return None, f"statute texts not found at {folder} ({source})"
    if not any(folder.glob("*.md")):
        return None, f"no statute texts (*.md) in {folder} ({source})"
    return folder, ""


def statutes_or_stop() -> Path:
    folder, why = laws_folder()
    if folder is None:
        if in_ci():
            pytest.fail(f"{why}: CI must check every cited article against the statutes")
        pytest.skip(f"{why}; set OVERDUE_ADVISOR_LAWS to check the cited articles")
    return folder


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
    if book.stages.ahead is not None:
        yield "stage ahead label", book.stages.ahead.label
        yield "stage ahead about", book.stages.ahead.about
    # the summary's sentences, read before any list
    for hid, headline in book.headlines.items():
        yield f"headline {hid}", headline.text
    for rid, sentence in book.reassurance.items():
        yield f"reassurance {rid}", sentence.text
    for did, deadline in book.deadlines.items():
        yield f"deadline {did} what", deadline.what
        yield f"deadline {did} after", deadline.after
    for tid, term in book.terms.items():
        yield f"term {tid}", term.term
        yield f"term {tid} explanation", term.explanation
    for qid, question in book.questions.items():
        yield f"question {qid}", question.text
        for rid, rule in question.branches.items():
            yield f"rule {rid} label", rule.label
    for kind, letter in book.letters.items():
        yield f"letter {kind} title", letter.title
        yield f"letter {kind} body", Text(zh=letter.body.zh, en=letter.body.en)
        for name, field in letter.fields.items():
            yield f"letter {kind} field {name}", field.label


def test_every_cited_article_exists_in_the_statute(book: RuleBook) -> None:
    folder = statutes_or_stop()
    checked = 0
    missing = []
    for lid, law in book.laws.items():
        files = STATUTES.get(law.law.zh)
        if not files:
            continue
        assert all((folder / name).is_file() for name in files), files
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
    # and a term of art as the Chinese texts write it can be Latin letters (LPR, M1–M3)
    latin_terms = {f"term {tid}" for tid, term in book.terms.items() if not CJK.search(term.term.zh)}
    assert [w for w in chinese_without_cjk if not w.startswith("rule ") and w not in latin_terms] == []
    assert latin_terms <= {"term lpr", "term overdue_months"}


# Outcomes no one can promise a borrower: what a complaint or a call leads to is up to others.
PROMISES = re.compile(
    r"不会让事情变得更糟|不会有任何(?:影响|后果)|保证能|一定能|肯定能"
    r"|(?:will not|won't) make (?:things|it) worse|no consequences|guaranteed to|will definitely",
    re.IGNORECASE,
)


def test_no_text_promises_an_outcome(book: RuleBook) -> None:
    found = [(where, t) for where, text in all_texts(book) for t in (text.zh, text.en) if PROMISES.search(t)]
    assert found == []
    assert PROMISES.search("投诉是你的权利，不会让事情变得更糟")  # the wording the trial found
    assert PROMISES.search("Complaining will not make things worse")


# ---- the facts sheet's "never say" list (legal-facts.md section 9, items 1-12) ----

# Words that, shortly before a claim, make it a denial ("does not disappear", "不会消失").
NEGATION = re.compile(
    r"(?:不|没有|并非|无法|不是|不能|不会|未|别"
    r"|never|not|n't|no |cannot|without|nor|only the lender)[^。.;；]{0,40}$",
    re.IGNORECASE,
)
# A denial anywhere in one sentence.
DENIED = r"不|没有|并非|无|非|未|\bnot\b|n't|\bnever\b|\bno\b|\bneither\b|\bnor\b|cannot|without"
SENTENCE_END = re.compile(r"(?<=[。；;！？!?])|(?<=\.)\s+")


def affirmed(pattern: str, text: str) -> bool:
    """The pattern occurs at least once without a denial shortly before it."""
    return any(
        not NEGATION.search(text[: match.start()]) for match in re.finditer(pattern, text, re.IGNORECASE)
    )


def sentences(text: str) -> list[str]:
    return [part for part in SENTENCE_END.split(text) if part.strip()]


Finder = Callable[[str], bool]


def claims(pattern: str) -> Finder:
    """The claim is affirmed somewhere in the text."""
    return lambda text: affirmed(pattern, text)


def in_one_sentence(*patterns: str, unless: str = DENIED, without: str = "") -> Finder:
    """Some sentence holds every pattern, and neither `unless` nor (if given) `without`."""

    def find(text: str) -> bool:
        return any(
            all(re.search(pattern, sentence, re.I) for pattern in patterns)
            and not re.search(unless, sentence, re.I)
            and not (without and re.search(without, sentence, re.I))
            for sentence in sentences(text)
        )

    return find


def any_of(*finders: Finder) -> Finder:
    return lambda text: any(find(text) for find in finders)


STANDARDS = r"标准|指引|GB/T|\bstandards?\b|guideline"
COURT_PAPER = r"传票|法院|文书|支付令|summons|court|payment order"
BY_MESSAGE = r"短信|微信|App|电子|SMS|text message|\btexts?\b|WeChat|\bapp\b|electronic"
LOOKS_FAKE = r"假|伪造|警惕|骗|fake|forged|wary|suspicious|scam|suspect"
ARREST_DENIED = (
    r"(?:不会|不能|不可能|无法|不用担心|绝不会)[^。；]{0,8}(?:被抓|抓你|拘留|逮捕|坐牢)"
    r"|(?:cannot|can't|will not|won't|never|not) be (?:arrested|detained|jailed|locked up)"
)
MERELY = r"仅仅|单纯|只是因为|本身|merely|only because|just because|simply because|in itself"

# (item of legal-facts.md section 9, claim, finder). Each claim is tested on its own examples below.
NEVER_SAY: list[tuple[int, str, Finder]] = [
    (1, "a correct record removed", claims(r"(?:删除|移除|消除|清除|removed?|delete[sd]?|erase[sd]?)")),
    (2, "a named loan product", claims(r"微粒贷|借呗|京东金条|Weilidai|Jiebei|Jintiao")),
    (
        2,
        "a grace period in days",
        any_of(
            claims(r"宽限期?[^。；]{0,12}\d+\s*天|\d+\s*(?:-|–|~|至|到)?\s*\d*\s*天[^。；]{0,6}宽限"),
            claims(r"grace period of \d|\d+[- ]day grace|\d+ days? of grace"),
        ),
    ),
    (3, "a 36% line", claims(r"36\s*%|百分之三十六")),
    (3, "a percentage other than 24%", claims(r"(?<![\d.])(?!24\b)\d+(?:\.\d+)?\s*%")),
    (
        3,
        "a rate cap on licensed lenders",
        in_one_sentence(
            r"24\s*%|四倍|four times",
            r"上限|封顶|\bcap|ceiling|\blimit",
            r"持牌|licensed|银行|\bbanks?\b|消费金融|consumer-finance|小额贷款|microlender",
        ),
    ),
    (
        3,
        "the excess need not be paid",
        claims(
            r"(?:超出|超过)[^。；]{0,15}(?:不用还|不必还|可以不还|停还|拒还)"
            r"|(?:need not|don't have to|do not have to|may stop|can stop|can refuse to) pay(?:ing)?"
            r"[^.;]{0,12}(?:excess|above)"
        ),
    ),
    (
        4,
        "self-regulation or a standard as law",
        in_one_sentence(
            r"公约|国家标准|推荐性标准|指引|convention|standard|guideline",
            r"是法律|属于法律|法律效力|罚则|会被罚|罚款"
            r"|is (?:a )?law\b|are laws?\b|legally binding|penalt|\bfines?\b",
        ),
    ),
    (
        4,
        "a recommended standard as a must",
        in_one_sentence(
            STANDARDS,
            r"应当遵守|必须遵守|必须|务必|应当执行|\bmust\b|(?:is|are) expected to|required to|obliged",
            unless=r"$^",
        ),
    ),
    (5, "the debt disappears", claims(r"(?:消失|一笔勾销|disappear|vanish|written off)")),
    (6, "overdue leads to arrest", claims(r"(?:逮捕|坐牢|拘留|arrest(?:ed)?|jail|prison)")),
    (
        6,
        "blacklisting without a court",
        in_one_sentence(
            r"失信|黑名单|dishonest[- ]debtors?|blacklist",
            unless=r"法院|执行|判决|生效法律文书|court|enforce|judgment|decision",
        ),
    ),
    (
        7,
        "paying cleans a credit report",
        claims(
            r"(?:花钱|付费|交钱|收费)[^。；]{0,12}(?:就能|可以|能够|即可|帮你)[^。；]{0,8}(?:修复|洗白|删除|消除|清除)"
            r"|\bpay(?:ing)?\b[^.;]{0,30}\b(?:can|will)\b[^.;]{0,10}\b(?:clean|repair|remove|delete|erase|wipe)"
        ),
    ),
    (8, "nationwide personal bankruptcy", claims(r"(?:全国|nationwide|everywhere in China)")),
    (
        8,
        "card relief as a right or for online loans",
        in_one_sentence(
            r"分期|instalment",
            r"信用卡|credit card",
            r"权利|有权|\bright\b|网贷|网络贷款|online loans?",
        ),
    ),
    (
        9,
        "the repair policy beyond its terms",
        in_one_sentence(
            r"一次性信用修复|信用修复政策|one-time (?:credit )?repair|repair policy",
            r"超过1万|1万元以上|over ¥10,000|more than ¥10,000|未还清|没有还清|unpaid|not (?:fully )?repaid"
            r"|2026年[^。]{0,10}(?:产生|发生)|arising in 2026|after 2026-03-31|2026年3月31日(?:以|之)后",
            unless=r"不适用|不在此列|不包括|不能|\bnot\b|does not|never|no longer|excluded",
        ),
    ),
    (
        10,
        "harassment cancels the debt",
        claims(
            r"(?:催收|collection|collector)[^。.;；]{0,30}(?:违法|非法|unlawful|illegal)[^。.;；]{0,20}"
            r"(?:不用还|不必还|不再欠|免除|一笔勾销|cancel|wipe|no longer owe|need not (?:re)?pay)"
        ),
    ),
    (
        10,
        "any contact with an emergency contact is illegal",
        claims(
            r"(?:任何|所有|一切|any)[^。.;；]{0,15}(?:联系|contact)[^。.;；]{0,20}"
            r"(?:紧急联系人|emergency contacts?)[^。.;；]{0,20}(?:违法|非法|illegal|unlawful)"
            r"|(?:联系|contacting)[^。.;；]{0,6}(?:紧急联系人|emergency contacts?)[^。.;；]{0,10}"
            r"(?:都|一律|is always|always)[^。.;；]{0,6}(?:违法|illegal)"
        ),
    ),
    (11, "detention ruled out in enforcement", in_one_sentence(ARREST_DENIED, unless=MERELY)),
    (
        12,
        "a court paper by message is fake",
        in_one_sentence(
            BY_MESSAGE,
            COURT_PAPER,
            LOOKS_FAKE,
            unless=r"12368|核实|verify|check|不能|不要|do not|don't|never|\bnot\b",
        ),
    ),
]
# The claims that are allowed where the facts sheet says so, by where they stand.
ALLOWED = {
    # the 2019 illegal-lending opinion's threshold, in its law summary only (legal-facts §10 [S])
    "a 36% line": ("law illegal_lending_opinion_2019 summary",),
    "a percentage other than 24%": ("law illegal_lending_opinion_2019 summary",),
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
        "dishonest_debtors_list",  # the court deletes a list entry once the debt is paid
        "court_judgment_comply",
        # deleting personal information (contacts) an app collected or a lender scraped
        # (个人信息保护法 Art. 47), not a credit record
        "pipl_15_47_50",
        "contacts_withdraw_consent",
        "pipl_15_47",
        "stop_third_party_contact",
    ),
    # detention by a court for obstructing enforcement, or by the police for harassment, is not
    # detention for being overdue
    "overdue leads to arrest": (
        "criminal_law",
        "psapl_",
        "threats_call_police",
        "visits_safety",
        "verify_court_papers",
        "overdue_is_not_a_crime",
        "court_judgment_comply",
        "civil_procedure_114_118_252",
        "high_consumption",
        # court fines and detention in enforcement, for refusing or lying about assets, breaking a
        # spending restriction or moving frozen assets (never-say item 11 requires saying so)
        "enforcement_report_assets",
        "spending_restriction_what_it_covers",
        "avoid_hiding_assets",
        "reassurance enforcement_sanctions_for_conduct",
    ),
    # the national interbank funding centre that publishes the LPR, not a bankruptcy regime
    "nationwide personal bankruptcy": ("term lpr explanation",),
}


@pytest.mark.parametrize(
    ("item", "claim", "finds"), NEVER_SAY, ids=[f"{item}: {claim}" for item, claim, _ in NEVER_SAY]
)
def test_never_say(book: RuleBook, item: int, claim: str, finds: Finder) -> None:
    allowed = ALLOWED.get(claim, ())
    found = [
        f"{where} ({lang}): {text}"
        for where, text in all_texts(book)
        if not any(name in where for name in allowed)
        for lang, text in (("zh", text.zh), ("en", text.en))
        if finds(text)
    ]
    assert found == [], f"never-say item {item}: {claim}"


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
    cited |= {law for letter in book.letters.values() for law in letter.legal_basis}
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


# What each check must catch, and phrasings near it that it must let through.
CLAIMS = {
    "a correct record removed": ["提交个人声明后逾期记录会被删除", "an objection will remove the overdue"],
    "a named loan product": ["借呗不会上征信"],
    "a grace period in days": ["首次逾期有5天宽限期", "you get a 5-day grace period"],
    "a 36% line": ["超过36%的部分无效"],
    "a percentage other than 24%": ["年利率15%以内都合法"],
    "a rate cap on licensed lenders": ["持牌机构的利率上限是24%", "Banks are capped at four times the LPR."],
    "the excess need not be paid": ["超过24%的部分可以不还", "you need not pay the excess above 24%"],
    "self-regulation or a standard as law": [
        "催收国家标准是法律，违反会被罚款",
        "The NIFA convention is a law.",
    ],
    "a recommended standard as a must": [
        "放贷方应当遵守催收国家标准",
        "the lender is expected to follow the national standard",
        "Collectors must respect the guideline's hours.",
    ],
    "the debt disappears": ["三年后债务自动消失", "after three years the debt disappears"],
    "overdue leads to arrest": ["逾期会被拘留", "you may be arrested for not paying"],
    "blacklisting without a court": [
        "逾期90天就会被列入黑名单",
        "After 90 days you go on the dishonest-debtor list.",
    ],
    "paying cleans a credit report": ["花钱就能洗白征信", "paying an agent can clean your credit report"],
    "nationwide personal bankruptcy": ["个人破产已在全国推行"],
    "card relief as a right or for online loans": [
        "信用卡个性化分期是你的法定权利",
        "Online loans also get the credit card instalment plan of up to 5 years.",
    ],
    "the repair policy beyond its terms": [
        "一次性信用修复政策也适用于超过1万元的逾期",
        "The one-time repair policy also covers unpaid debts.",
    ],
    "harassment cancels the debt": [
        "催收违法的话，你就不用还了",
        "if the collection was illegal you no longer owe it",
    ],
    "any contact with an emergency contact is illegal": [
        "联系紧急联系人一律违法",
        "any contact with your emergency contact is illegal",
    ],
    "detention ruled out in enforcement": [
        "进入执行后你也不会被拘留",
        "Even in enforcement you cannot be detained.",
        "The lender can sue, but you cannot be arrested for that.",
    ],
    "a court paper by message is fake": [
        "只通过短信发来的传票多半是假的",
        "Be very wary of a summons sent only as a text message.",
    ],
}
LET_THROUGH = {
    "a rate cap on licensed lenders": ["四倍LPR的上限不直接适用于持牌机构"],
    "a recommended standard as a must": [
        "放贷方理应参照国家标准",
        "a lender should follow the national standard",
    ],
    "detention ruled out in enforcement": ["你不会仅仅因为还不上钱而被拘留"],
    "a court paper by message is fake": ["不要因为传票是短信发来的就认定是假的，打12368核实"],
    "blacklisting without a court": ["法院可以在执行中把有能力而拒不履行的人列入失信名单"],
}


def test_every_never_say_item_is_checked() -> None:
    assert {item for item, _, _ in NEVER_SAY} == set(range(1, 13))
    assert {claim for _, claim, _ in NEVER_SAY} == set(CLAIMS)


@pytest.mark.parametrize("claim", sorted(CLAIMS))
def test_the_checker_catches_each_claim(claim: str) -> None:
    finders = [finds for _, named, finds in NEVER_SAY if named == claim]
    for sentence in CLAIMS[claim]:
        assert any(finds(sentence) for finds in finders), sentence
    for sentence in LET_THROUGH.get(claim, []):
        assert not any(finds(sentence) for finds in finders), sentence



# ---- review findings of issue 8, one test each ----


@pytest.fixture(scope="module")
def advisor() -> Advisor:
    return Advisor.from_folder()


def ask(advisor: Advisor, **fields: object) -> dict:
    request = AdviceRequest.model_validate_json(json.dumps(fields))
    return json.loads(advisor.advise(request).model_dump_json())


CASE = {"days_overdue": 200, "harassment": False, "hardship": "long_term", "credit_reported": "yes"}


def answer_text(answer: dict) -> str:
    return " ".join(
        [item["title"] for item in answer["actions"] + answer["avoid"]]
        + [step for item in answer["actions"] + answer["avoid"] for step in item["steps"]]
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_enforcement_answer_keeps_detention_for_obstruction(advisor: Advisor, lang: str) -> None:
    """Finding 2, never-say 11: in enforcement, refusing to report assets or breaking a spending
    ban can bring fines and detention; the answer says so and never rules detention out."""
    answer = ask(advisor, **CASE, legal_action="judgment", lang=lang, as_of="2026-11-29")
    text = answer_text(answer)
    finds = next(finds for _, claim, finds in NEVER_SAY if claim == "detention ruled out in enforcement")
    assert not finds(text)
    assert re.search(r"拘留|detention", text) and re.search(r"15", text)
    assert re.search(r"申报财产|declare your assets", text)
    cited = {c["id"] for c in answer["legal_basis"]}
    assert {"civil_procedure_114_118_252", "high_consumption_2015", "dishonest_debtors_list_2017"} <= cited


# instrument (in the catalog's Chinese title), the mark its revised version carries, and the day the
# revision took effect: an entry for the older text must end before it, the revised one start on it
REVISIONS = [
    ("失信被执行人名单信息", "2017年修正", date(2017, 5, 1)),
    ("限制被执行人高消费", "2015年修正", date(2015, 7, 22)),
    ("治安管理处罚法", "2025年修订", date(2026, 1, 1)),
    ("仲裁法", "2025年修订", date(2026, 3, 1)),
    ("民事诉讼法（", "2023年修正", date(2024, 1, 1)),
]


def test_revised_instruments_are_cited_only_while_in_force(book: RuleBook) -> None:
    """Finding 3 (and 9): an older text carries the day it ceased to apply, the revised text the day
    it took effect, so that no answer cites a superseded version."""
    wrong = []
    matched = 0
    for lid, law in book.laws.items():
        for name, mark, revised_on in REVISIONS:
            if name not in law.law.zh:
                continue
            matched += 1
            start, until = law.in_force.start, law.in_force.until
            if mark in law.law.zh:
                if start is None or start < revised_on or until is not None:
                    wrong.append(f"{lid}: the revised text applies from {revised_on}, open-ended")
            elif until is None or until >= revised_on:
                wrong.append(f"{lid}: an older text of {name}, superseded on {revised_on}, needs 'until'")
    assert wrong == []
    assert matched >= 8


SECONDARY = re.compile(r"公开资料|公开文本|published")


def test_entries_without_a_statute_text_say_they_rest_on_published_sources(book: RuleBook) -> None:
    """Finding 3: what is not checked against ../shared/laws is marked as secondary, in both languages."""
    unmarked = [
        lid
        for lid, law in book.laws.items()
        if law.law.zh not in STATUTES
        and not (SECONDARY.search(law.summary.zh) and SECONDARY.search(law.summary.en))
    ]
    assert unmarked == []


def test_dishonest_list_grounds_include_ability_and_refusal(book: RuleBook) -> None:
    """Finding 3: "able to pay and refuses" is a listing ground on its own, not a precondition."""
    entries = [law for law in book.laws.values() if "失信被执行人名单" in law.law.zh]
    assert entries
    for law in entries:
        assert "有履行能力而拒不履行" in law.summary.zh
        assert "able to comply but refusing" in law.summary.en
        assert not re.search(r"只有[^。]*有履行能力而不履行，并且", law.summary.zh)
    steps = " ".join(step.zh for step in book.advice["court_judgment_comply"].steps)
    assert "有能力履行而拒不履行，本身就是其中一种" in steps


NOT_REPORTING = r"有的不报送|有的放贷方不报送|\bto none\b|不是每家放贷方都报送|not every lender reports"


def test_no_text_says_some_lenders_report_to_none(book: RuleBook) -> None:
    """Finding 4: Credit Reporting Regulation Art. 29 is a duty to report; whether a lender reports
    is a fact to ask the lender."""
    found = [
        f"{where}: {text}"
        for where, both in all_texts(book)
        for text in (both.zh, both.en)
        if re.search(NOT_REPORTING, text, re.I)
    ]
    assert found == []
    art29 = book.laws["credit_reg_29"].summary
    assert "书面同意" in art29.zh and "written consent" in art29.en


def test_court_papers_by_message_are_verified_not_discarded(book: RuleBook) -> None:
    """Finding 5, never-say 12: electronic service is lawful (Civil Procedure Law Art. 90)."""
    advice = book.advice["verify_court_papers"]
    assert "civil_procedure_90" in advice.legal_basis
    for lang in ("zh", "en"):
        text = " ".join(getattr(step, lang) for step in advice.steps)
        assert re.search(r"电子方式|electronically", text)
        assert re.search(r"12368", text)


EXPENSIVE_FIRST = r"成本最高|费用最高|最贵|most expensive|highest[- ]cost"
LICENSED = r"持牌|放贷资质|licen[cs]"


def test_most_expensive_first_only_among_licensed_lenders(book: RuleBook) -> None:
    """Finding 6: court matters first, then licensed lenders by cost; an unlicensed lender's
    contract may be void (Private Lending Provisions Art. 13(3))."""
    unqualified = [
        f"{where}: {text}"
        for where, both in all_texts(book)
        for text in (both.zh, both.en)
        if re.search(EXPENSIVE_FIRST, text, re.I) and not re.search(LICENSED, text, re.I)
    ]
    assert unqualified == []
    assert "private_lending_13" in book.advice["prioritise_loans"].legal_basis


def test_bounds_are_not_written_with_yishang() -> None:
    """Finding 8: "以上" includes the number, so "N天以上" is never used for an exclusive bound."""
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in sorted((REPO / "rules").rglob("*.yaml"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\d+\s*天以上", line)
    ]
    assert found == []


def test_stage_labels_match_their_bounds(book: RuleBook) -> None:
    """Finding 8: a label "超过N天" / "more than N days" starts on day N+1."""
    checked = 0
    for bid, band in book.stages.bands.items():
        for text in (band.label.zh, band.label.en):
            if match := re.search(r"超过(\d+)天|more than (\d+) days", text):
                checked += 1
                assert band.min == int(match.group(1) or match.group(2)) + 1, bid
    assert checked >= 2


def test_payment_order_advice_is_cited_on_every_date_it_can_be(advisor: Advisor) -> None:
    """Finding 9: from 2013-01-01 (the numbering this catalog can cite) the payment-order advice
    cites the Civil Procedure Law text in force on the day; before that it honestly cites none."""
    expected = {
        "2013-01-01": "civil_procedure_2012_214_217",
        "2017-07-01": "civil_procedure_2012_214_217",
        "2021-12-31": "civil_procedure_2012_214_217",
        "2022-01-01": "civil_procedure_2021_221_224",
        "2023-12-31": "civil_procedure_2021_221_224",
        "2024-01-01": "civil_procedure_225_228",
        "2026-11-29": "civil_procedure_225_228",
    }
    for as_of, law in expected.items():
        answer = ask(advisor, **CASE, legal_action="payment_order", as_of=as_of)
        first = answer["actions"][0]
        assert first["id"] == "object_to_payment_order"
        cited = [c["id"] for c in first["legal_basis"] if re.match(r"civil_procedure_[0-9]", c["id"])]
        assert cited == [law], as_of
    early = ask(advisor, **CASE, legal_action="payment_order", as_of="2012-12-31")["actions"][0]
    assert not [c for c in early["legal_basis"] if c["id"].startswith("civil_procedure")]


def test_laws_folder_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The citation check runs in CI: missing statutes fail there and only skip outside CI."""
    monkeypatch.setenv("OVERDUE_ADVISOR_LAWS", str(tmp_path / "missing"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        statutes_or_stop()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        statutes_or_stop()
    (tmp_path / "laws").mkdir()
    (tmp_path / "laws" / "a.md").write_text("第一条", encoding="utf-8")
    monkeypatch.setenv("OVERDUE_ADVISOR_LAWS", str(tmp_path / "laws"))
    assert statutes_or_stop() == tmp_path / "laws"
    monkeypatch.delenv("OVERDUE_ADVISOR_LAWS")
    assert laws_folder()[0] == (DEFAULT_LAWS if DEFAULT_LAWS.is_dir() else None)
    assert REPO.parent / "shared" / "laws" == DEFAULT_LAWS


def test_rule_files_load_with_safe_load() -> None:
    for path in (REPO / "rules").rglob("*.yaml"):
        assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict), path


# legal action -> the time limit its answer lists while the paper arrived at most 15 days ago (or
# on a day not given), counted from served_days_ago
COURT_LIMITS = {
    "payment_order": "payment_order_objection_15_days",
    "lawsuit": "defence_15_days",
    "judgment": "appeal_15_days",
    "enforcement": "award_non_enforcement_15_days",
}


@pytest.mark.parametrize("legal_action", sorted(COURT_LIMITS))
def test_court_time_limits_are_listed_while_open(advisor: Advisor, legal_action: str) -> None:
    """Issue 8: a paper served at most 15 days ago lists its 15-day limit with the days left (an
    unknown day: listed, days left unknown); a payment order's objection is then the first action."""
    limit = COURT_LIMITS[legal_action]
    for served in [None, *range(16)]:
        extra = {} if served is None else {"served_days_ago": served}
        answer = ask(advisor, **CASE, legal_action=legal_action, as_of="2026-11-29", **extra)
        left = {d["id"]: d["days_left"] for d in answer["summary"]["deadlines"]}
        assert limit in left, (legal_action, served)
        assert left[limit] == (None if served is None else 15 - served), (legal_action, served)
        if legal_action == "payment_order":
            assert answer["actions"][0]["id"] == "object_to_payment_order", served


def test_a_borrower_at_risk_has_only_the_crisis_item_for_today(advisor: Advisor) -> None:
    """The crisis item says nothing about the debt has to be decided tonight: with a safety risk,
    no other item is marked for today and the crisis item is the only first step, whatever else
    is going on (court papers of every kind, every kind of harassment, any stage)."""
    book = advisor.book
    crisis = set(book.questions["safety"].branches["safety_risk"].advice)
    kinds = list(book.inputs["harassment_kinds"].values or {})
    checked = 0
    for days, legal_action, harassment in itertools.product(
        [0, 5, 20, 60, 200], ["none", "payment_order", "lawsuit", "enforcement"], [[], kinds[:3], kinds]
    ):
        request = AdviceRequest.model_validate(
            {
                "days_overdue": days,
                "harassment": bool(harassment),
                "harassment_kinds": harassment,
                "hardship": "long_term",
                "credit_reported": "yes",
                "legal_action": legal_action,
                **({"served_days_ago": 3} if legal_action != "none" else {}),
                "safety_risk": True,
                "lang": "zh",
            }
        )
        answer = advisor.advise(request)
        today = {item.id for item in answer.actions + answer.avoid if item.urgency == "now"}
        assert today <= crisis, (request.model_dump(exclude_none=True), sorted(today - crisis))
        assert answer.summary.first_steps == ["safety_first"]
        checked += 1
    assert checked == 60


# ---- user trial and legal spot review of 2026-12 (content4), one test each ----


def texts_given(answer: dict) -> Iterator[tuple[str, str]]:
    """Every text an answer shows, with where it stands: the headline, reassurance, deadlines, and
    each action's and avoid item's title and steps."""
    summary = answer["summary"]
    if summary["headline"]:
        yield "headline", summary["headline"]
    for text in summary["reassurance"]:
        yield "reassurance", text
    for deadline in summary["deadlines"]:
        for key, value in deadline.items():
            if key != "id" and isinstance(value, str):
                yield f"deadline {deadline['id']}", value
    for item in answer["actions"] + answer["avoid"]:
        yield item["id"], item["title"]
        for step in item["steps"]:
            yield item["id"], step


# A sentence that takes the loan to be the borrower's own debt, or says it must still be dealt with.
OWN_DEBT = re.compile(
    r"欠款是你(?:自己)?的|你的欠款|你欠款|你(?:仍然|仍|还|也)?欠(?!(?:银行)?信用卡)|欠款(?:本身)?仍然?(?:在|存在|需要|要)"
    r"|需要另外处理|替你(?:把钱)?还|你(?:仍然|仍|还)(?:要|需要|得)还|你登记的|减少欠款|欠款减少"
    r"|\bthe debt is yours\b|(?<!not )\byour debt\b|\bwhat you owe\b|\byou still owe\b"
    r"|\bthe debt (?:itself )?(?:still )?(?:remains|has to|must)"
    r"|still (?:has|have) to be (?:dealt with|repaid|paid)"
    r"|\bpay (?:it )?for you\b|\bpaid for you\b|\byou listed\b|\breduce (?:the debt|what you owe)\b",
    re.IGNORECASE,
)
# ...unless the sentence says it holds only if the loan really is the borrower's
IF_THE_LOAN_IS_YOURS = re.compile(r"借款确实是你借的|\bloan really is yours\b", re.IGNORECASE)


def presupposes_own_debt(text: str) -> bool:
    return any(OWN_DEBT.search(s) and not IF_THE_LOAN_IS_YOURS.search(s) for s in sentences(text))


def test_the_own_debt_check_catches_and_lets_through() -> None:
    for said in [
        "这笔欠款是你自己的。",
        "欠款本身仍然需要另外处理。",
        "你联系不上时，催收方联系你登记的紧急联系人。",
        "The debt itself remains and still has to be dealt with.",
        "Tell colleagues about your debt.",
        "These records do not reduce what you owe.",
    ]:
        assert presupposes_own_debt(said), said
    for said in [
        "如果这笔借款确实是你借的，欠款本身仍在，需要另外处理。",
        "If the loan really is yours, the debt itself remains and still has to be dealt with.",
        "你没有同意的借款，不是你的债务。",
        "亲友不欠这笔钱，不需要替任何人还。",
    ]:
        assert not presupposes_own_debt(said), said


def identity_theft_requests() -> Iterator[dict]:
    """Borrowers whose identity was misused, with every kind of harassment (none, each, all), every
    court paper and the other situations, on two dates, in both languages."""
    kinds = [[], *([kind] for kind in HARASSMENT_KINDS), list(HARASSMENT_KINDS)]
    situations = [
        {},
        {"debt_sold": True},
        {"guarantee": "company_paid"},
        {"guarantee": "personal_guarantor"},
        {"plan_agreed": "kept"},
        {"plan_agreed": "broken"},
        {"credit_card_debt": True, "hardship": "long_term"},
        {"other_loans": 4},
        {"safety_risk": True},
        {"student": True, "lender_licensed": "no", "annual_rate_percent": 150},
    ]
    legal_actions = list(get_args(AdviceRequest.model_fields["legal_action"].annotation))
    cases = itertools.product(kinds, legal_actions, situations)
    for i, (harassment_kinds, legal_action, situation) in enumerate(cases):
        body = {
            "days_overdue": (0, 5, 40, 200)[i % 4],
            "harassment": bool(harassment_kinds),
            "harassment_kinds": harassment_kinds,
            "hardship": "none",
            "credit_reported": ("yes", "no", "unknown")[i % 3],
            "identity_misused": True,
            "legal_action": legal_action,
            "as_of": ("2026-11-29", "2025-06-01")[i % 2],
            **situation,
        }
        if legal_action != "none" and i % 5:
            body["served_days_ago"] = (3, 40)[i % 2]
        for lang in ("zh", "en"):
            yield {**body, "lang": lang}


def test_identity_theft_answers_never_say_the_debt_is_theirs(advisor: Advisor) -> None:
    """Finding 1: a borrower whose identity was misused never reads that the debt is theirs or must
    still be dealt with (the texts actually given, zh and en); a sentence may say what holds if the
    loan really is theirs."""
    found: dict[str, str] = {}
    asked = 0
    for body in identity_theft_requests():
        asked += 1
        for where, text in texts_given(ask(advisor, **body)):
            if presupposes_own_debt(text):
                found.setdefault(f"{where}: {text}", json.dumps(body, ensure_ascii=False))
    assert asked > 1000
    assert found == {}, "\n".join(f"{text}\n    e.g. {body}" for text, body in found.items())


def test_identity_theft_keeps_the_harassment_advice(advisor: Advisor) -> None:
    """Finding 1: the victim of the trial (relatives called, home visits) still gets the advice on
    visits and on calls to relatives, and hears that relatives owe nothing."""
    answer = ask(
        advisor,
        days_overdue=40,
        harassment=True,
        harassment_kinds=["visits", "contacts_third_parties"],
        hardship="none",
        credit_reported="unknown",
        identity_misused=True,
        as_of="2026-11-29",
    )
    actions = [item["id"] for item in answer["actions"]]
    assert {"visits_safety", "visits_refuse_to_leave", "third_party_contact", "keep_evidence"} <= set(actions)
    assert "family_not_liable" not in actions
    assert any("不欠这笔钱" in text for text in answer["summary"]["reassurance"])


UNLICENSED_TRIAL = {
    "days_overdue": 40,
    "harassment": True,
    "harassment_kinds": ["insults"],
    "hardship": "none",
    "credit_reported": "unknown",
    "lender_licensed": "no",
    "annual_rate_percent": 150,
    "student": True,
    "as_of": "2026-11-29",
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_unlicensed_lender_has_its_own_headline_and_first_steps(
    advisor: Advisor, book: RuleBook, lang: str
) -> None:
    """Finding 2: an unlicensed lender at a very high rate is no generic stage case: its own calm
    headline (above the stage headlines), and evidence and the police today, before the lender."""
    answer = ask(advisor, **UNLICENSED_TRIAL, lang=lang)
    own = book.headlines["unlicensed_lender_evidence_first"]
    stage = book.headlines["stage_31_90"]
    assert own.priority < stage.priority
    assert answer["summary"]["headline"] == own.text(lang)
    assert answer["summary"]["first_steps"] == [
        "illegal_lending_signs",
        "report_illegal_lending_to_police",
        "unlicensed_lender",
    ]
    urgency = {item["id"]: item["urgency"] for item in answer["actions"]}
    assert urgency["report_illegal_lending_to_police"] == "now"
    assert "pay_promptly_official" not in urgency


# a bank transfer named as a way to pay must be one into the lender's own account (receipts aside)
TRANSFER = re.compile(r"银行转账(?!回单)|bank transfer(?! receipts)", re.IGNORECASE)
LENDERS_ACCOUNT = re.compile(r"以放贷方名义|in the lender's name", re.IGNORECASE)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_one_payment_instruction_for_an_unlicensed_lender(
    advisor: Advisor, book: RuleBook, lang: str
) -> None:
    """Finding 2: the police advice and the warning about unofficial payment give one instruction
    on how to pay: the unlicensed-lender advice points to the warning, and no text names a bank
    transfer except into the account in the lender's name."""
    for stage_days, legal_action, kinds in itertools.product(
        (0, 5, 40, 200), ("none", "lawsuit"), ([], ["fake_legal_documents"], ["insults", "threats"])
    ):
        body = {**UNLICENSED_TRIAL, "days_overdue": stage_days, "legal_action": legal_action}
        body.update(harassment=bool(kinds), harassment_kinds=kinds, lang=lang)
        answer = ask(advisor, **body)
        assert "avoid_unofficial_payment" in {item["id"] for item in answer["avoid"]}
        for where, text in texts_given(answer):
            for sentence in sentences(text):
                assert not TRANSFER.search(sentence) or LENDERS_ACCOUNT.search(sentence), (where, sentence)
    warning = book.advice["avoid_unofficial_payment"].title(lang)
    assert warning in " ".join(step(lang) for step in book.advice["unlicensed_lender"].steps)


# ---- finding 3: a sued borrower's first steps say each thing once ----

CHECK_THE_CASE = re.compile(r"12368")
ATTEND = re.compile(r"出庭|\battend", re.IGNORECASE)


@pytest.mark.parametrize("served", [None, 3, 30])
def test_lawsuit_first_steps_do_not_repeat_one_another(
    advisor: Advisor, book: RuleBook, served: int | None
) -> None:
    """Finding 3: the defence (or the hearing) item and the lawsuit item used to both say "check
    via 12368" and "attend", filling two of the three first steps; each is now said by one first
    step, and legal help (12348) is among them (for a loan taken in the borrower's name, the police
    report and the written denial come first, and legal help follows them)."""
    extra = {} if served is None else {"served_days_ago": served}
    for identity in (False, True):
        answer = ask(
            advisor, **CASE, legal_action="lawsuit", identity_misused=identity, as_of="2026-11-29", **extra
        )
        steps = answer["summary"]["first_steps"]
        assert identity or "get_legal_help" in steps, (served, steps)
        for pattern in (CHECK_THE_CASE, ATTEND):
            saying = [aid for aid in steps if any(pattern.search(s.zh) for s in book.advice[aid].steps)]
            assert len(saying) <= 1, (pattern.pattern, served, identity, saying)
