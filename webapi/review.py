"""GET /review...: the lawyers' review pages, rendered on the server from the served rules.

The pages are Jinja templates (autoescaped: every text from the rules is shown as text), with the
decision tree drawn inline, a small script of ours for zooming and one for the "try a case" form.
No script is inline and nothing comes from another host, so the Content-Security-Policy allows
scripts from this service only. The view models below are pure functions of the rule book.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, render_template, request, send_file, url_for
from flask.blueprints import BlueprintSetupState
from markupsafe import Markup
from pydantic_core import PydanticUndefined
from werkzeug.exceptions import NotFound

from kb.advisor import Advisor
from kb.compiler import letter_rule
from kb.conditions import ALWAYS, All, AnyOf, Condition, Not, Test
from kb.diagram.dot import Href
from kb.diagram.graph import Link, decision_tree, question_tree
from kb.diagram.render import audit_set, render
from kb.facts import AdviceRequest, today_in_china
from kb.letters.render import documents
from kb.letters.render import render as render_letter
from kb.model import ALWAYS_IN_FORCE, URGENCIES, Lang, Law, Rule, RuleBook
from kb.reference import holds
from kb.verify.analysis import Analysis
from kb.verify.regions import condition_facts
from kb.wording import describe, describe_dates, value_label
from webapi.problems import problem_response

blueprint = Blueprint("review", __name__, url_prefix="/review")
EXTENSION = "overdue_advisor_review"
STATIC = Path(__file__).parent / "static"
# the only files served under /review/static/: name → media type
STATIC_FILES = {
    "review.css": "text/css",
    "review.js": "text/javascript",
    "case.js": "text/javascript",
    "laws.js": "text/javascript",
}
# where the rules' files can be read, e.g. https://host/repo/blob/{rev}/{path}#L{line}
SOURCE_URL_ENV = "OVERDUE_ADVISOR_SOURCE_URL"
SOURCE_REV_ENV = "OVERDUE_ADVISOR_SOURCE_REV"  # {rev} in the template; default "main"
RULES_IN_REPOSITORY = "rules"  # the rules folder's path in the repository, for {path}
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

_UI: dict[Lang, dict[str, str]] = {
    "zh": {
        "other_lang": "English",
        "review": "规则审阅",
        "version": "规则版本",
        "overview": "决策树总览",
        "overview_about": (
            "按提问顺序列出每个问题及其分支；点击问题打开它的图（条件、建议、法条），点击分支打开规则。"
        ),
        "whole_tree": "完整决策树",
        "tree": "完整决策树",
        "questions": "问题与规则",
        "laws": "法律目录",
        "case": "试一个案例",
        "letters": "文书",
        "letters_about": (
            "每类文书：何时提供（条件，与决策树同一种写法，由规则引擎判断）、依据、可填写的内容，以及用虚构内容生成的示例。"
            "没有填写的内容在文书里留作下划线空白，由本人手写补全。"
        ),
        "letter_when": "何时提供",
        "letter_fields": "可填写的内容",
        "letter_example": "示例（虚构的案情和内容）",
        "letter_example_case": "示例案情",
        "letter_basis": "依据",
        "diagrams": "审阅图（由规则生成）",
        "diagram": "此问题的图",
        "zoom_in": "放大",
        "zoom_out": "缩小",
        "fit": "适合宽度",
        "zoom_hint": "按住 Ctrl 滚动滚轮可缩放，拖动可移动；点击方框打开对应的规则。",
        "touch_hint": "双指张合可缩放，单指拖动可移动；点按方框打开对应的规则。",
        "choose_one": "只适用一个分支：第一个成立的",
        "choose_any": "每个成立的分支都适用",
        "asked_if": "仅在以下情况提问",
        "question": "问题",
        "question_no": "第 {n} 题，共 {total} 题",
        "branches": "分支",
        "rule": "规则",
        "when": "适用条件",
        "in_force": "有效期",
        "always_in_force": "不限日期",
        "advice": "增加的建议",
        "advice_item": "建议",
        "action": "应做",
        "avoid": "不要做",
        "priority": "优先级",
        "urgency": "紧迫程度",
        "urgency_about": "{urgency}（分支可以提高它）；同一紧迫程度内优先级 {priority}（数字越小越靠前）",
        "urgency_now": "今天就做",
        "urgency_this_week": "本周内",
        "urgency_later": "之后",
        "urgency_raised": "{urgency}（此分支提高）",
        "urgency_lowered": "{urgency}（此分支降低）",
        "steps": "步骤",
        "citations": "依据",
        "practice": "实务建议，不引用法条。",
        "also_practice": "另含实务建议：步骤超出所引条文的内容。",
        "source": "官方来源",
        "not_binding": "自律规范或标准，非法律",
        "contacts": "增加的渠道",
        "defined_at": "定义位置",
        "given_by": "给出此建议的规则与情形",
        "given_by_none": "没有规则给出此建议",
        "region": "情形",
        "cited_by": "引用它的规则",
        "cited_by_none": "没有规则引用",
        "via": "经由建议",
        "no_advice": "此分支不增加建议。",
        "branch_summary": "它在摘要中加入的内容",
        "summary_about": "凡走到这个分支的回答，摘要里都会有这些（开头的一句话取所有分支中最紧迫的一个）。",
        "headline": "开头的一句话",
        "first_steps": "首先要做的（代替最紧迫的行动）",
        "reassurance": "请先放心",
        "deadlines": "期限",
        "raised": "在此分支提高紧迫程度",
        "others_at_most": "其他分支给出的条目最多为",
        "law_index": "法律与规范",
        "entries": "{n} 条",
        "filter": "筛选（法律名称、条文、摘要或编号）",
        "filter_none": "没有符合筛选的条目。",
        "submit": "获取建议",
        "answer": "建议",
        "summary": "摘要（借款人最先看到的）",
        "case_first_steps": "首先要做的",
        "days_left": "还剩 {n} 天（截至 {date}）",
        "days_left_one": "还剩 {n} 天（截至 {date}）",
        "last_day_today": "今天是最后一天（{date}）",
        "days_passed": "已过 {n} 天（最后一天是 {date}）",
        "days_passed_one": "已过 {n} 天（最后一天是 {date}）",
        "days_unknown": "从收到文书的次日起计算（没有填写收到文书已有几天）",
        "next_stage": "下一阶段",
        "next_stage_in": "{n} 天后：{label}",
        "next_stage_in_one": "{n} 天后：{label}",
        "path": "在决策树中的路径",
        "stage": "逾期阶段",
        "trace": "适用的规则",
        "explain": "哪一项事实变化会改变建议",
        "explain_none": "单独改变任何一项事实，建议都不会变。",
        "refused": "请求被拒绝，请检查以下各项",
        "unknown": "不清楚",
        "choose": "— 请选择 —",
        "no_answer": "— 不回答 —",
        "yes": "是",
        "no": "否",
        "as_of": "建议针对的日期（留空为今天）",
        "waiting": "正在查询……",
        "failed": "服务没有回答",
        "err_required": "必须填写",
        "err_range": "必须在 {min} 到 {max} 之间",
        "err_number": "必须是数字",
        "err_integer": "必须是整数",
        "err_enabled_by": "只有“{label}”选择“是”时才能填写",
        "err_invalid": "这个值不被接受",
        "enabled_by": "先在“{label}”选择“是”，才能选择这些。",
    },
    "en": {
        "other_lang": "中文",
        "review": "Rules review",
        "version": "rules version",
        "overview": "The decision tree at a glance",
        "overview_about": (
            "Every question in the order it is asked, with its branches. A question opens its drawing "
            "(conditions, advice, citations); a branch opens its rule."
        ),
        "whole_tree": "Whole tree",
        "tree": "The whole decision tree",
        "questions": "Questions and rules",
        "laws": "Law catalog",
        "case": "Try a case",
        "letters": "Letters",
        "letters_about": (
            "Each letter kind: when it is offered (a condition written like the tree's, decided by the "
            "rules engine), its legal basis, the details it takes, and an example rendered from invented "
            "details. A detail not given stays a blank line in the letter, to fill in by hand."
        ),
        "letter_when": "Offered when",
        "letter_fields": "Details it takes",
        "letter_example": "Example (invented case and details)",
        "letter_example_case": "Example case",
        "letter_basis": "Legal basis",
        "diagrams": "Audit diagrams (drawn from the rules)",
        "diagram": "This question drawn",
        "zoom_in": "Zoom in",
        "zoom_out": "Zoom out",
        "fit": "Fit width",
        "zoom_hint": "Ctrl + mouse wheel zooms, dragging moves; click a box to open its rule.",
        "touch_hint": "Pinch with two fingers to zoom, drag with one to move; tap a box to open its rule.",
        "choose_one": "One branch applies: the first that holds",
        "choose_any": "Every branch that holds applies",
        "asked_if": "Asked only if",
        "question": "Question",
        "question_no": "question {n} of {total}",
        "branches": "Branches",
        "rule": "Rule",
        "when": "Applies when",
        "in_force": "In force",
        "always_in_force": "on every date",
        "advice": "Advice it adds",
        "advice_item": "Advice",
        "action": "What to do",
        "avoid": "What not to do",
        "priority": "priority",
        "urgency": "Urgency",
        "urgency_about": (
            "{urgency} (a branch may raise it); within an urgency, priority {priority} "
            "(the lower, the earlier)"
        ),
        "urgency_now": "now (today)",
        "urgency_this_week": "this week",
        "urgency_later": "later",
        "urgency_raised": "{urgency}, raised on this branch",
        "urgency_lowered": "{urgency}, lowered on this branch",
        "steps": "Steps",
        "citations": "Legal basis",
        "practice": "Practical guidance: it rests on no article.",
        "also_practice": "Also practical guidance: its steps go beyond what the cited articles say.",
        "source": "official source",
        "not_binding": "self-regulation or a standard, not law",
        "contacts": "Channels it adds",
        "defined_at": "Defined at",
        "given_by": "The rules and situations that give it",
        "given_by_none": "No rule gives it",
        "region": "Situation",
        "cited_by": "Rules that cite it",
        "cited_by_none": "No rule cites it",
        "via": "through the advice",
        "no_advice": "This branch adds no advice.",
        "branch_summary": "What it adds to the summary",
        "summary_about": (
            "Every answer that takes this branch has these in its summary (the headline shown is the "
            "most urgent of all branches taken)."
        ),
        "headline": "Headline",
        "first_steps": "First steps (in place of the most urgent actions)",
        "reassurance": "Reassurance",
        "deadlines": "Deadlines",
        "raised": "Urgency raised on this branch",
        "others_at_most": "Items other branches give are at most",
        "law_index": "Laws and standards",
        "entries": "{n} entries",
        "filter": "Filter (law, article, summary or id)",
        "filter_none": "No entry matches the filter.",
        "submit": "Get the advice",
        "answer": "The advice",
        "summary": "Summary (what the borrower sees first)",
        "case_first_steps": "First steps",
        "days_left": "{n} days left (until {date})",
        "days_left_one": "{n} day left (until {date})",
        "last_day_today": "today is the last day ({date})",
        "days_passed": "passed {n} days ago (the last day was {date})",
        "days_passed_one": "passed {n} day ago (the last day was {date})",
        "days_unknown": "counted from the day after the paper arrived (days since it arrived not given)",
        "next_stage": "Next stage",
        "next_stage_in": "in {n} days: {label}",
        "next_stage_in_one": "in {n} day: {label}",
        "path": "Its path through the tree",
        "stage": "Stage",
        "trace": "Rules applied",
        "explain": "What one change of the facts would change the advice",
        "explain_none": "No change of one fact alone changes this advice.",
        "refused": "The request was refused; please check",
        "unknown": "not known",
        "choose": "— choose —",
        "no_answer": "— no answer —",
        "yes": "yes",
        "no": "no",
        "as_of": "Advice for the date (blank: today)",
        "waiting": "Asking…",
        "failed": "The service did not answer",
        "err_required": "must be filled in",
        "err_range": "must be between {min} and {max}",
        "err_number": "must be a number",
        "err_integer": "must be a whole number",
        "err_enabled_by": "can only be filled in when \u201c{label}\u201d is yes",
        "err_invalid": "this value is not accepted",
        "enabled_by": "Answer \u201c{label}\u201d with yes first to choose these.",
    },
}


# ---- view models: pure functions of the rule book ----


@dataclass(frozen=True)
class SourceLink:
    """A `file:line` of the rules, with its address when a source URL template is configured."""

    text: str
    url: str | None


@dataclass(frozen=True)
class CitationView:
    id: str
    law: str
    article: str
    summary: str
    source: str
    in_force: str
    binding: bool


@dataclass(frozen=True)
class AdviceView:
    id: str
    kind: str
    title: str
    priority: int
    urgency: str  # the item's own urgency in words; on a rule's page, the urgency its branch gives it
    steps: tuple[str, ...]
    citations: tuple[CitationView, ...]
    practice: str | None  # the practice label, worded to agree with the citations; None: not practice
    branch_urgency: bool = False  # the urgency shown is the branch's, not the item's own


@dataclass(frozen=True)
class ContactView:
    name: str
    channel: str
    purpose: str


@dataclass(frozen=True)
class BranchView:
    id: str
    label: str
    condition: str


@dataclass(frozen=True)
class QuestionView:
    id: str
    number: int
    text: str
    choose: str
    asked_if: str | None
    branches: tuple[BranchView, ...]


@dataclass(frozen=True)
class RuleView:
    id: str
    label: str
    question: QuestionView
    condition: str
    in_force: str
    advice: tuple[AdviceView, ...]
    contacts: tuple[ContactView, ...]
    defined_at: SourceLink
    summary: BranchSummaryView


@dataclass(frozen=True)
class BranchSummaryView:
    """What a branch puts into the summary of every answer that takes it, and the urgency it raises."""

    headline: str | None
    first_steps: tuple[tuple[str, str], ...]  # (advice id, title)
    reassurance: tuple[str, ...]
    deadlines: tuple[str, ...]
    raised: tuple[tuple[str, str, str], ...]  # (advice id, title, urgency label)
    others_at_most: str | None  # the urgency label every other item is lowered to

    def __bool__(self) -> bool:
        shown = (self.headline, self.first_steps, self.reassurance, self.deadlines, self.raised)
        return any(shown) or self.others_at_most is not None


@dataclass(frozen=True)
class Giver:
    """A rule that gives an advice item, and the situation (region of inputs and dates) it covers."""

    rule_id: str
    label: str
    question_id: str
    question: str
    condition: str
    asked_if: str | None
    in_force: str
    defined_at: SourceLink


@dataclass(frozen=True)
class AdvicePage:
    advice: AdviceView
    defined_at: SourceLink
    given_by: tuple[Giver, ...]


@dataclass(frozen=True)
class CitingRule:
    id: str
    label: str
    question: str
    advice: tuple[str, ...]  # titles of the advice through which the rule cites the law


@dataclass(frozen=True)
class LawView:
    citation: CitationView
    cited_by: tuple[CitingRule, ...]
    defined_at: SourceLink


@dataclass(frozen=True)
class Instrument:
    """One law or standard of the catalogue with the entries (articles) it has, in catalogue order."""

    anchor: str
    name: str
    laws: tuple[LawView, ...]


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str  # integer, number, boolean, nullable_boolean, enum, set
    options: tuple[tuple[str, str], ...] = ()
    placeholder: str = ""
    minimum: str = ""
    maximum: str = ""
    required: bool = False
    enabled_by: str = ""  # the boolean input that must be yes for this one to be answered
    enabled_note: str = ""
    enabled_error: str = ""


def source_link(template: str | None, rev: str, source: Any) -> SourceLink:
    """`file:line` and, with a template, its address ({rev}, {path} and {line} filled in, quoted)."""
    text = str(source)
    if not template:
        return SourceLink(text, None)
    path = quote(f"{RULES_IN_REPOSITORY}/{source.file}", safe="/")
    return SourceLink(text, template.format(rev=quote(rev, safe=""), path=path, line=int(source.line)))


def question_views(book: RuleBook, lang: Lang) -> tuple[QuestionView, ...]:
    ui = _UI[lang]
    return tuple(
        QuestionView(
            id=qid,
            number=number,
            text=question.text(lang),
            choose=ui[f"choose_{question.choose}"],
            asked_if=describe(book, question.ask_if, lang) if question.ask_if != ALWAYS else None,
            branches=tuple(
                BranchView(rid, rule.label(lang), describe(book, rule.when, lang))
                for rid, rule in question.branches.items()
            ),
        )
        for number, (qid, question) in enumerate(book.questions.items(), 1)
    )


def rule_views(
    book: RuleBook, question_id: str, lang: Lang, template: str | None = None, rev: str = "main"
) -> tuple[RuleView, ...]:
    return tuple(
        view
        for placed in book.rules
        if placed.question_id == question_id
        for view in [rule_view(book, placed.rule_id, lang, template, rev)]
        if view is not None
    )


def rule_view(
    book: RuleBook, rule_id: str, lang: Lang, template: str | None = None, rev: str = "main"
) -> RuleView | None:
    placed = next((placed for placed in book.rules if placed.rule_id == rule_id), None)
    if placed is None:
        return None
    rule = placed.rule
    question = next(q for q in question_views(book, lang) if q.id == placed.question_id)
    return RuleView(
        id=rule_id,
        label=rule.label(lang),
        question=question,
        condition=describe(book, rule.when, lang),
        in_force=_dates(rule.in_force, lang),
        advice=tuple(
            on_branch(book, rule, advice_view(book, advice_id, lang), lang) for advice_id in rule.advice
        ),
        contacts=tuple(
            ContactView(
                book.contacts[cid].name(lang),
                book.contacts[cid].channel(lang),
                book.contacts[cid].purpose(lang),
            )
            for cid in rule.contacts
        ),
        defined_at=source_link(template, rev, rule.defined_at),
        summary=branch_summary(book, rule, lang),
    )


def on_branch(book: RuleBook, rule: Rule, view: AdviceView, lang: Lang) -> AdviceView:
    """An advice card as a branch gives it: with the urgency the branch sets, where it differs."""
    level = rule.urgency.get(view.id)
    own = book.advice[view.id].urgency
    if level is None or level == own:
        return view
    ui = _UI[lang]
    key = "urgency_raised" if URGENCIES.index(level) < URGENCIES.index(own) else "urgency_lowered"
    return replace(view, urgency=ui[key].format(urgency=ui[f"urgency_{level}"]), branch_urgency=True)


def branch_summary(book: RuleBook, rule: Rule, lang: Lang) -> BranchSummaryView:
    ui = _UI[lang]
    return BranchSummaryView(
        headline=book.headlines[rule.headline].text(lang) if rule.headline else None,
        first_steps=tuple((aid, book.advice[aid].title(lang)) for aid in rule.first_steps),
        reassurance=tuple(book.reassurance[rid].text(lang) for rid in rule.reassurance),
        deadlines=tuple(book.deadlines[did].what(lang) for did in rule.deadlines),
        raised=tuple(
            (aid, book.advice[aid].title(lang), ui[f"urgency_{level}"]) for aid, level in rule.urgency.items()
        ),
        others_at_most=ui[f"urgency_{rule.others_at_most}"] if rule.others_at_most else None,
    )


def advice_page(
    book: RuleBook, advice_id: str, lang: Lang, template: str | None = None, rev: str = "main"
) -> AdvicePage | None:
    """An advice item with every rule that gives it and the situation each covers."""
    if advice_id not in book.advice:
        return None
    givers = tuple(
        Giver(
            rule_id=placed.rule_id,
            label=placed.rule.label(lang),
            question_id=placed.question_id,
            question=placed.question.text(lang),
            condition=describe(book, placed.rule.when, lang),
            asked_if=describe(book, placed.question.ask_if, lang)
            if placed.question.ask_if != ALWAYS
            else None,
            in_force=_dates(placed.rule.in_force, lang),
            defined_at=source_link(template, rev, placed.rule.defined_at),
        )
        for placed in book.rules
        if advice_id in placed.rule.advice
    )
    return AdvicePage(
        advice=advice_view(book, advice_id, lang),
        defined_at=source_link(template, rev, book.advice[advice_id].defined_at),
        given_by=givers,
    )


def law_views(
    book: RuleBook, lang: Lang, template: str | None = None, rev: str = "main"
) -> tuple[LawView, ...]:
    citing: dict[str, dict[str, list[str]]] = {law_id: {} for law_id in book.laws}
    for placed in book.rules:
        for advice_id in placed.rule.advice:
            advice = book.advice[advice_id]
            for law_id in advice.legal_basis:
                titles = citing[law_id].setdefault(placed.rule_id, [])
                if advice.title(lang) not in titles:
                    titles.append(advice.title(lang))
    rules = {placed.rule_id: placed for placed in book.rules}
    return tuple(
        LawView(
            citation=_citation(law_id, law, lang),
            cited_by=tuple(
                CitingRule(
                    rid,
                    rules[rid].rule.label(lang),
                    rules[rid].question.text(lang),
                    tuple(titles),
                )
                for rid, titles in citing[law_id].items()
            ),
            defined_at=source_link(template, rev, law.defined_at),
        )
        for law_id, law in book.laws.items()
    )


def instruments(laws: tuple[LawView, ...]) -> tuple[Instrument, ...]:
    """The catalogue grouped by law or standard, each in the order it first appears in laws.yaml."""
    groups: dict[str, list[LawView]] = {}
    for law in laws:
        groups.setdefault(law.citation.law, []).append(law)
    return tuple(
        Instrument(f"instrument-{number}", name, tuple(entries))
        for number, (name, entries) in enumerate(groups.items(), 1)
    )


def form_fields(book: RuleBook, lang: Lang) -> tuple[FormField, ...]:
    """One field per input of the rules, shaped by its type, none with an answer chosen for the user.

    A field left blank is not sent, so the API's default applies (its placeholder says which); a
    field the API requires is marked required. A set input asked only when a boolean input is true
    (as the tree's `ask_if` says) is disabled until that input is answered yes.
    """
    ui = _UI[lang]
    gates = _enabled_by(book)
    fields = []
    for name, spec in book.inputs.items():
        declared = AdviceRequest.model_fields[name].default
        required = declared is PydanticUndefined and not spec.nullable
        values = tuple((value, text(lang)) for value, text in (spec.values or {}).items())
        label = spec.label(lang)
        blank = ui["choose"] if required else ui["no_answer"]
        if spec.type in ("integer", "number"):
            fields.append(
                FormField(
                    name,
                    label,
                    spec.type,
                    placeholder="" if declared in (PydanticUndefined, None) else str(declared),
                    minimum=_number(spec.min),
                    maximum=_number(spec.max),
                    required=required,
                )
            )
        elif spec.type == "boolean":
            options = (("", blank), ("true", ui["yes"]), ("false", ui["no"]))
            kind = "nullable_boolean" if spec.nullable else "boolean"
            fields.append(FormField(name, label, kind, options, required=required))
        elif spec.type == "enum":
            fields.append(FormField(name, label, "enum", (("", blank), *values), required=required))
        else:
            gate = gates.get(name, "")
            gate_label = book.inputs[gate].label(lang) if gate else ""
            fields.append(
                FormField(
                    name,
                    label,
                    "set",
                    values,
                    enabled_by=gate,
                    enabled_note=ui["enabled_by"].format(label=gate_label) if gate else "",
                    enabled_error=ui["err_enabled_by"].format(label=gate_label) if gate else "",
                )
            )
    return tuple(fields)


def _enabled_by(book: RuleBook) -> dict[str, str]:
    """Set inputs that the tree asks about only when one boolean input is true: input → that input."""
    gates: dict[str, str] = {}
    for question in book.questions.values():
        gate = question.ask_if
        if not (isinstance(gate, Test) and gate.op == "is" and gate.value is True):
            continue
        for rule in question.branches.values():
            for fact in _facts(rule.when):
                if fact in book.inputs and book.inputs[fact].type == "set":
                    gates[fact] = gate.fact
    return gates


def _facts(condition: Condition) -> set[str]:
    if isinstance(condition, Test):
        return {condition.fact}
    if isinstance(condition, Not):
        return _facts(condition.part)
    if isinstance(condition, All | AnyOf):
        return {fact for part in condition.parts for fact in _facts(part)}
    return set()


def form_messages(book: RuleBook, lang: Lang) -> dict[str, str]:
    """The case form's error texts, in the page's language, for its script (data-* attributes)."""
    ui = _UI[lang]
    return {key: ui[key] for key in ("err_required", "err_range", "err_number", "err_integer", "err_invalid")}


def advice_view(book: RuleBook, advice_id: str, lang: Lang) -> AdviceView:
    advice = book.advice[advice_id]
    ui = _UI[lang]
    practice = None
    if advice.practice:
        practice = ui["also_practice"] if advice.legal_basis else ui["practice"]
    return AdviceView(
        id=advice_id,
        kind=advice.kind,
        title=advice.title(lang),
        priority=advice.priority,
        urgency=ui[f"urgency_{advice.urgency}"],
        steps=tuple(step(lang) for step in advice.steps),
        citations=tuple(_citation(law_id, book.laws[law_id], lang) for law_id in advice.legal_basis),
        practice=practice,
    )


def _citation(law_id: str, law: Law, lang: Lang) -> CitationView:
    return CitationView(
        id=law_id,
        law=law.law(lang),
        article=law.article(lang),
        summary=law.summary(lang),
        source=law.source,
        in_force=_dates(law.in_force, lang),
        binding=law.binding,
    )


def _dates(in_force: Any, lang: Lang) -> str:
    return _UI[lang]["always_in_force"] if in_force == ALWAYS_IN_FORCE else describe_dates(in_force, lang)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


@dataclass(frozen=True)
class LetterFieldView:
    name: str
    label: str
    example: str


@dataclass(frozen=True)
class LetterView:
    kind: str
    title: str
    priority: int
    when: str
    citations: tuple[CitationView, ...]
    fields: tuple[LetterFieldView, ...]
    example_case: str
    example: str
    defined_at: SourceLink


def letter_views(
    book: RuleBook, lang: Lang, source_url: str | None, rev: str, today: date
) -> tuple[LetterView, ...]:
    """Every letter kind with its condition in words and an example rendered for a case it fits
    (found among the regions lint analyses), dated `today` when it still fits then."""
    analysis = Analysis(book)
    periods = analysis.domain.periods(())
    views = []
    for kind in documents(book, {letter_rule(k) for k in book.letters}):
        letter = book.letters[kind]
        region = next(
            (
                r
                for r in analysis.regions(condition_facts(book, letter.when), periods)
                if analysis.domain.holds(letter.when, r.example)
            ),
            None,
        )
        example_case, example = "", ""
        if region is not None:
            case = dict(region.example) | {"as_of": today.isoformat(), "lang": lang}
            request = AdviceRequest.model_validate_json(json.dumps(case))
            day = today if holds(book, letter.when, book.derive(request.facts(), today)) else region.day
            request = request.model_copy(update={"as_of": day})
            details = {name: field.example(lang) for name, field in letter.fields.items() if field.example}
            example = render_letter(book, kind, request.facts(), day, details, lang).text()
            example_case = request.model_dump_json(exclude_defaults=True)
        views.append(
            LetterView(
                kind=kind,
                title=letter.title(lang),
                priority=letter.priority,
                when=describe(book, letter.when, lang),
                citations=tuple(_citation(law_id, book.laws[law_id], lang) for law_id in letter.legal_basis),
                fields=tuple(
                    LetterFieldView(name, field.label(lang), field.example(lang) if field.example else "")
                    for name, field in letter.fields.items()
                ),
                example_case=example_case,
                example=example,
                defined_at=source_link(source_url, rev, letter.defined_at),
            )
        )
    return tuple(views)


# ---- links from the diagrams to these pages ----


def links(lang: Lang) -> Href:
    """Addresses of the review pages for the boxes of a diagram (call within a request)."""

    def href(link: Link) -> str | None:
        if link.kind == "rule":
            return url_for("review.rule", rule_id=link.id, lang=lang)
        if link.kind == "question":
            return url_for("review.question", question_id=link.id, lang=lang)
        if link.kind == "advice":
            return url_for("review.advice", advice_id=link.id, lang=lang)
        if link.kind == "law":
            return url_for("review.laws", lang=lang, _anchor=f"law-{link.id}")
        return None

    return href


# ---- the pages ----


class _Review:
    """What the pages share: the served rules, their drawings with links (drawn once each), and
    where their source files can be read."""

    def __init__(self, book: RuleBook, source_url: str | None, source_rev: str) -> None:
        self.book = book
        self.source_url = source_url or None
        self.source_rev = source_rev
        self.svg = lru_cache(maxsize=2 * (len(book.questions) + 1))(self._svg)
        self.letters = lru_cache(maxsize=2)(self._letters)

    def _letters(self, lang: Lang) -> tuple[LetterView, ...]:
        # the examples are dated the day the page is first drawn: invented details, no one's case
        return letter_views(self.book, lang, self.source_url, self.source_rev, today_in_china())

    def _svg(self, lang: Lang, question_id: str | None) -> Markup:
        graph = (
            decision_tree(self.book, lang)
            if question_id is None
            else question_tree(self.book, lang, question_id)
        )
        drawn = render(graph, "svg", links(lang)).decode("utf-8")
        # dot writes every text escaped for XML; only the prolog before <svg> is dropped to inline it
        return Markup(drawn[drawn.index("<svg") :])


class _Refused(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.errors = [{"field": field, "message": message}]


@blueprint.record_once
def _set_up(state: BlueprintSetupState) -> None:
    advisor: Advisor = state.app.extensions["overdue_advisor"]
    config = state.app.config
    template = config.get(SOURCE_URL_ENV) or os.environ.get(SOURCE_URL_ENV) or None
    rev = config.get(SOURCE_REV_ENV) or os.environ.get(SOURCE_REV_ENV) or "main"
    if template:
        check_source_url(template)
    state.app.extensions[EXTENSION] = _Review(advisor.book, template, rev)


def check_source_url(template: str) -> None:
    """Refuse at start-up a template that is not an http(s) address or names an unknown field."""
    if not template.startswith(("https://", "http://")) or any(c in template for c in "\"'<> "):
        raise ValueError(f"{SOURCE_URL_ENV} must be an http(s) address, got {template!r}")
    try:
        template.format(rev="r", path="p", line=1)
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(f"{SOURCE_URL_ENV} may use only {{rev}}, {{path}} and {{line}}: {error}") from None


@blueprint.errorhandler(_Refused)
def _refused(error: _Refused) -> Response:
    return problem_response(400, "Bad Request", "The request was refused: lang.", error.errors)


def _review() -> _Review:
    return current_app.extensions[EXTENSION]


def _book() -> RuleBook:
    advisor: Advisor = current_app.extensions["overdue_advisor"]
    return advisor.book


def _lang() -> Lang:
    lang = request.args.get("lang", "zh")
    if lang == "zh" or lang == "en":
        return lang
    raise _Refused("lang", "must be one of: zh, en")


def _page(template: str, lang: Lang, **context: Any) -> Response:
    book = _book()
    html = render_template(
        template,
        lang=lang,
        other_lang="en" if lang == "zh" else "zh",
        ui=_UI[lang],
        kb_name=book.kb.name(lang),
        kb_version=book.kb_version,
        **context,
    )
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@blueprint.get("")
def index() -> Response:
    lang = _lang()
    book = _book()
    questions = question_views(book, lang)
    return _page(
        "review/index.html",
        lang,
        questions=questions,
        branch_count=sum(len(question.branches) for question in questions),
    )


@blueprint.get("/tree")
def tree() -> Response:
    lang = _lang()
    book = _book()
    return _page(
        "review/tree.html",
        lang,
        tree_svg=_review().svg(lang, None),
        questions=question_views(book, lang),
        diagram_names=[diagram.name for diagram in audit_set(book)],
    )


@blueprint.get("/questions/<question_id>")
def question(question_id: str) -> Response:
    lang = _lang()
    book = _book()
    review = _review()
    view = next((q for q in question_views(book, lang) if q.id == question_id), None)
    if view is None:
        raise NotFound()
    return _page(
        "review/question.html",
        lang,
        question=view,
        total=len(book.questions),
        defined_at=source_link(review.source_url, review.source_rev, book.questions[question_id].defined_at),
        rules=rule_views(book, question_id, lang, review.source_url, review.source_rev),
        question_svg=review.svg(lang, view.id),
    )


@blueprint.get("/rules/<rule_id>")
def rule(rule_id: str) -> Response:
    lang = _lang()
    review = _review()
    view = rule_view(_book(), rule_id, lang, review.source_url, review.source_rev)
    if view is None:
        raise NotFound()
    return _page("review/rule.html", lang, rule=view)


@blueprint.get("/advice/<advice_id>")
def advice(advice_id: str) -> Response:
    lang = _lang()
    review = _review()
    view = advice_page(_book(), advice_id, lang, review.source_url, review.source_rev)
    if view is None:
        raise NotFound()
    return _page("review/advice.html", lang, page=view)


@blueprint.get("/laws")
def laws() -> Response:
    lang = _lang()
    review = _review()
    grouped = instruments(law_views(_book(), lang, review.source_url, review.source_rev))
    return _page("review/laws.html", lang, instruments=grouped, total=sum(len(i.laws) for i in grouped))


@blueprint.get("/letters")
def letters() -> Response:
    lang = _lang()
    review = _review()
    views = review.letters(lang)
    return _page("review/letters.html", lang, letters=views)


@blueprint.get("/case")
def case() -> Response:
    lang = _lang()
    book = _book()
    return _page("review/case.html", lang, fields=form_fields(book, lang), messages=form_messages(book, lang))


@blueprint.post("/explain")
def explain_case() -> Response:
    """The nearest changes of a case's facts that change its advice, in the case's language."""
    from pydantic import ValidationError

    from kb.facts import field_errors
    from kb.verify.explain import explain
    from webapi.problems import refused

    try:
        case = AdviceRequest.model_validate_json(request.get_data(cache=False))
    except ValidationError as error:
        return refused(field_errors(error))
    advisor: Advisor = current_app.extensions["overdue_advisor"]
    book, lang = advisor.book, case.lang
    titles = {aid: advice.title(lang) for aid, advice in book.advice.items()}

    def words(name: str, value: Any) -> str:
        if value is None:
            return _UI[lang]["unknown"]
        if isinstance(value, list):
            separator = "、" if lang == "zh" else ", "
            return separator.join(value_label(book, name, v, lang) for v in value) or "—"
        if isinstance(value, bool):
            return {"zh": "是" if value else "否", "en": "yes" if value else "no"}[lang]
        return value_label(book, name, value, lang)

    changes = [
        {
            "field": change.field,
            "label": book.inputs[change.field].label(lang),
            "from": words(change.field, change.before),
            "to": words(change.field, change.after),
            "stage": [book.stages.words(s).label(lang) for s in change.stage] if change.stage else None,
            "adds": [titles[aid] for aid in change.added],
            "removes": [titles[aid] for aid in change.removed],
        }
        for change in explain(book, case, advisor.advise)
    ]
    return Response(json.dumps({"changes": changes}, ensure_ascii=False), mimetype="application/json")


@blueprint.get("/static/<name>")
def static_file(name: str) -> Response:
    if name not in STATIC_FILES:
        raise NotFound()
    # the file name is the whitelist's own key, never the request's text
    known = next(key for key in STATIC_FILES if key == name)
    response = send_file(STATIC / known, mimetype=STATIC_FILES[known], max_age=300)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
