"""GET /review...: the lawyers' review pages, rendered on the server from the served rules.

The pages are Jinja templates (autoescaped: every text from the rules is shown as text), with the
decision tree drawn inline, a small script of ours for zooming and one for the "try a case" form.
No script is inline and nothing comes from another host, so the Content-Security-Policy allows
scripts from this service only. The view models below are pure functions of the rule book.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, send_file, url_for
from flask.blueprints import BlueprintSetupState
from markupsafe import Markup
from pydantic_core import PydanticUndefined
from werkzeug.exceptions import NotFound

from kb.advisor import Advisor
from kb.conditions import ALWAYS
from kb.diagram.dot import Href
from kb.diagram.graph import Link, decision_tree
from kb.diagram.render import audit_set, render
from kb.facts import AdviceRequest
from kb.model import ALWAYS_IN_FORCE, LANGS, Lang, Law, RuleBook
from kb.wording import describe, describe_dates
from webapi.problems import problem_response

blueprint = Blueprint("review", __name__, url_prefix="/review")
EXTENSION = "overdue_advisor_review"
STATIC = Path(__file__).parent / "static"
# the only files served under /review/static/: name → media type
STATIC_FILES = {"review.css": "text/css", "review.js": "text/javascript", "case.js": "text/javascript"}
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

_UI: dict[Lang, dict[str, str]] = {
    "zh": {
        "other_lang": "English",
        "review": "规则审阅",
        "version": "规则版本",
        "tree": "决策树",
        "questions": "问题与规则",
        "laws": "法律目录",
        "case": "试一个案例",
        "diagrams": "审阅图（由规则生成）",
        "zoom_in": "放大",
        "zoom_out": "缩小",
        "fit": "适合宽度",
        "zoom_hint": "按住 Ctrl 滚动滚轮可缩放，拖动可移动；点击方框打开对应的规则。",
        "choose_one": "只适用一个分支：第一个成立的",
        "choose_any": "每个成立的分支都适用",
        "asked_if": "仅在以下情况提问",
        "question": "问题",
        "rule": "规则",
        "when": "适用条件",
        "in_force": "有效期",
        "always_in_force": "不限日期",
        "advice": "增加的建议",
        "action": "应做",
        "avoid": "不要做",
        "priority": "优先级",
        "citations": "依据",
        "practice": "实务建议，不引用法条。",
        "source": "官方来源",
        "not_binding": "自律规范或标准，非法律",
        "contacts": "增加的渠道",
        "defined_at": "定义位置",
        "cited_by": "引用它的规则",
        "cited_by_none": "没有规则引用",
        "via": "经由建议",
        "no_advice": "此分支不增加建议。",
        "submit": "获取建议",
        "answer": "建议",
        "path": "在决策树中的路径",
        "stage": "逾期阶段",
        "trace": "适用的规则",
        "refused": "请求被拒绝",
        "unknown": "不清楚",
        "yes": "是",
        "no": "否",
        "as_of": "建议针对的日期（留空为今天）",
        "steps": "步骤",
        "waiting": "正在查询……",
        "failed": "服务没有回答",
    },
    "en": {
        "other_lang": "中文",
        "review": "Rules review",
        "version": "rules version",
        "tree": "Decision tree",
        "questions": "Questions and rules",
        "laws": "Law catalog",
        "case": "Try a case",
        "diagrams": "Audit diagrams (drawn from the rules)",
        "zoom_in": "Zoom in",
        "zoom_out": "Zoom out",
        "fit": "Fit width",
        "zoom_hint": "Ctrl + mouse wheel zooms, dragging moves; click a box to open its rule.",
        "choose_one": "One branch applies: the first that holds",
        "choose_any": "Every branch that holds applies",
        "asked_if": "Asked only if",
        "question": "Question",
        "rule": "Rule",
        "when": "Applies when",
        "in_force": "In force",
        "always_in_force": "on every date",
        "advice": "Advice it adds",
        "action": "What to do",
        "avoid": "What not to do",
        "priority": "priority",
        "citations": "Legal basis",
        "practice": "Practical guidance: it rests on no article.",
        "source": "official source",
        "not_binding": "self-regulation or a standard, not law",
        "contacts": "Channels it adds",
        "defined_at": "Defined at",
        "cited_by": "Rules that cite it",
        "cited_by_none": "No rule cites it",
        "via": "through the advice",
        "no_advice": "This branch adds no advice.",
        "submit": "Get the advice",
        "answer": "The advice",
        "path": "Its path through the tree",
        "stage": "Stage",
        "trace": "Rules applied",
        "refused": "The request was refused",
        "unknown": "not known",
        "yes": "yes",
        "no": "no",
        "as_of": "Advice for the date (blank: today)",
        "steps": "Steps",
        "waiting": "Asking…",
        "failed": "The service did not answer",
    },
}


# ---- view models: pure functions of the rule book ----


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
    steps: tuple[str, ...]
    citations: tuple[CitationView, ...]
    practice: bool


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
    defined_at: str


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


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str  # integer, number, boolean, nullable_boolean, enum, set
    options: tuple[tuple[str, str], ...] = ()
    default: str = ""
    minimum: str = ""
    maximum: str = ""
    required: bool = False


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


def rule_view(book: RuleBook, rule_id: str, lang: Lang) -> RuleView | None:
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
        advice=tuple(_advice_view(book, advice_id, lang) for advice_id in rule.advice),
        contacts=tuple(
            ContactView(
                book.contacts[cid].name(lang),
                book.contacts[cid].channel(lang),
                book.contacts[cid].purpose(lang),
            )
            for cid in rule.contacts
        ),
        defined_at=str(rule.defined_at),
    )


def law_views(book: RuleBook, lang: Lang) -> tuple[LawView, ...]:
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
        )
        for law_id, law in book.laws.items()
    )


def form_fields(book: RuleBook, lang: Lang) -> tuple[FormField, ...]:
    """One field per input of the rules, shaped by its type; defaults are the API's."""
    ui = _UI[lang]
    fields = []
    for name, spec in book.inputs.items():
        declared = AdviceRequest.model_fields[name].default
        default = "" if declared in (PydanticUndefined, None) else declared
        values = tuple((value, text(lang)) for value, text in (spec.values or {}).items())
        label = spec.label(lang)
        if spec.type in ("integer", "number"):
            fields.append(
                FormField(
                    name,
                    label,
                    spec.type,
                    default=str(default),
                    minimum=_number(spec.min),
                    maximum=_number(spec.max),
                    required=not spec.nullable and declared is PydanticUndefined,
                )
            )
        elif spec.type == "boolean" and spec.nullable:
            options = (("", ui["unknown"]), ("true", ui["yes"]), ("false", ui["no"]))
            fields.append(FormField(name, label, "nullable_boolean", options))
        elif spec.type == "boolean":
            fields.append(FormField(name, label, "boolean", default="true" if default is True else ""))
        elif spec.type == "enum":
            fields.append(FormField(name, label, "enum", values, default=str(default or values[0][0])))
        else:
            fields.append(FormField(name, label, "set", values))
    return tuple(fields)


def _advice_view(book: RuleBook, advice_id: str, lang: Lang) -> AdviceView:
    advice = book.advice[advice_id]
    return AdviceView(
        id=advice_id,
        kind=advice.kind,
        title=advice.title(lang),
        priority=advice.priority,
        steps=tuple(step(lang) for step in advice.steps),
        citations=tuple(_citation(law_id, book.laws[law_id], lang) for law_id in advice.legal_basis),
        practice=advice.practice,
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


# ---- links from the diagrams to these pages ----


def links(lang: Lang) -> Href:
    """Addresses of the review pages for the boxes of a diagram (call within a request)."""

    def href(link: Link) -> str | None:
        if link.kind == "rule":
            return url_for("review.rule", rule_id=link.id, lang=lang)
        if link.kind == "question":
            return url_for("review.index", lang=lang, _anchor=f"q-{link.id}")
        if link.kind == "law":
            return url_for("review.laws", lang=lang, _anchor=f"law-{link.id}")
        return None

    return href


# ---- the pages ----


class _Trees:
    """The whole tree drawn with links, once per language."""

    def __init__(self, book: RuleBook) -> None:
        self.book = book
        self.svg = lru_cache(maxsize=len(LANGS))(self._svg)

    def _svg(self, lang: Lang) -> Markup:
        drawn = render(decision_tree(self.book, lang), "svg", links(lang)).decode("utf-8")
        # dot writes every text escaped for XML; only the prolog before <svg> is dropped to inline it
        return Markup(drawn[drawn.index("<svg") :])


class _Refused(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.errors = [{"field": field, "message": message}]


@blueprint.record_once
def _set_up(state: BlueprintSetupState) -> None:
    advisor: Advisor = state.app.extensions["overdue_advisor"]
    state.app.extensions[EXTENSION] = _Trees(advisor.book)


@blueprint.errorhandler(_Refused)
def _refused(error: _Refused) -> Response:
    return problem_response(400, "Bad Request", "The request was refused: lang.", error.errors)


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
    trees: _Trees = current_app.extensions[EXTENSION]
    return _page(
        "review/index.html",
        lang,
        tree_svg=trees.svg(lang),
        questions=question_views(book, lang),
        diagram_names=[diagram.name for diagram in audit_set(book)],
    )


@blueprint.get("/rules/<rule_id>")
def rule(rule_id: str) -> Response:
    lang = _lang()
    view = rule_view(_book(), rule_id, lang)
    if view is None:
        raise NotFound()
    return _page("review/rule.html", lang, rule=view)


@blueprint.get("/laws")
def laws() -> Response:
    lang = _lang()
    return _page("review/laws.html", lang, laws=law_views(_book(), lang))


@blueprint.get("/case")
def case() -> Response:
    lang = _lang()
    return _page("review/case.html", lang, fields=form_fields(_book(), lang))


@blueprint.get("/static/<name>")
def static_file(name: str) -> Response:
    if name not in STATIC_FILES:
        raise NotFound()
    # the file name is the whitelist's own key, never the request's text
    known = next(key for key in STATIC_FILES if key == name)
    response = send_file(STATIC / known, mimetype=STATIC_FILES[known], max_age=300)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
