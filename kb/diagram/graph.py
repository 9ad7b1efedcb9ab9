"""The presenter: the rule book turned into a graph of boxes, arrows and groups, ready to be drawn.

Nothing here knows Graphviz; `kb.diagram.dot` writes these graphs as DOT. Every function is pure
and every object frozen, so a graph can be cached and shared between threads. Texts are wrapped
here into lines (CJK characters count double), because how long a line may be is a decision about
how the page reads, not about the drawing tool.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from kb.conditions import ALWAYS, AnyOf, Condition, Not, Test
from kb.model import ALWAYS_IN_FORCE, Lang, Question, Rule, RuleBook
from kb.wording import describe, describe_dates

NodeKind = Literal["start", "end", "question", "rule", "join", "action", "avoid", "law"]
EdgeKind = Literal["enter", "branch", "join", "skip", "none", "gives", "cites"]
State = Literal["plain", "taken", "dimmed"]
LinkKind = Literal["question", "rule", "advice", "law"]
Direction = Literal["TB", "LR"]

TREE_WIDTH = 46  # columns per line in a tree box (a CJK character takes two)
STAGE_WIDTH = 32  # a stage's tree leaves conditions and citations out, to fit a screen
RULES_WIDTH = 40


@dataclass(frozen=True)
class Link:
    """What a box stands for in the rules, for a front-end to turn into an address."""

    kind: LinkKind
    id: str


@dataclass(frozen=True)
class Node:
    name: str
    kind: NodeKind
    heading: tuple[str, ...] = ()  # centred lines
    lines: tuple[str, ...] = ()  # left-aligned lines under the heading
    link: Link | None = None
    state: State = "plain"


@dataclass(frozen=True)
class Edge:
    tail: str
    head: str
    kind: EdgeKind
    label: tuple[str, ...] = ()
    state: State = "plain"


@dataclass(frozen=True)
class Cluster:
    """A group of boxes drawn in one frame: a question with its branches, or the legend."""

    name: str
    label: str
    nodes: tuple[Node, ...]
    kind: Literal["question", "legend"] = "question"


@dataclass(frozen=True)
class Graph:
    name: str
    lang: Lang
    title: tuple[str, ...]
    direction: Direction
    clusters: tuple[Cluster, ...]
    nodes: tuple[Node, ...]  # the boxes outside every cluster
    edges: tuple[Edge, ...]
    highlighted: bool = False

    def all_nodes(self) -> Iterator[Node]:
        for cluster in self.clusters:
            yield from cluster.nodes
        yield from self.nodes


_WORDS: dict[Lang, dict[str, str]] = {
    "zh": {
        "tree": "决策树",
        "stage_tree": "决策树：{stage}",
        "question_tree": "决策树中的一题：{question}",
        "path_tree": "决策树：一个案例的路径",
        "rules_view": "规则、它们给出的建议和引用的法律",
        "question_no": "第 {n} 题，共 {total} 题",
        "start": "开始：借款人的情况",
        "end": "得出建议",
        "one": "只适用一个分支：第一个成立的",
        "any": "每个成立的分支都适用",
        "asked_if": "仅在以下情况提问：{condition}",
        "if": "条件：{condition}",
        "in_force": "有效期：{dates}",
        "no_advice": "（不增加建议）",
        "not_asked": "不问此题",
        "none_applies": "均不适用",
        "practice": "实务建议，不引用法条",
        "also_practice": "另含实务建议（超出所引条文）",
        "action": "应做，优先级 {priority}",
        "avoid": "不要做，优先级 {priority}",
        "not_binding": "自律规范或标准，非法律",
        "list_sep": "、",
        "colon": "：",
        "notes": "（{}）",
        "notes_sep": "；",
        "legend": "图例",
        "key_question": "问题",
        "key_question_1": "按从上到下的顺序提问",
        "key_question_2": "虚线：条件不成立时跳过此题",
        "key_rule": "规则编号：分支",
        "key_rule_1": "条件：用文字写出的条件",
        "key_rule_2": "+ 增加的建议（应做）",
        "key_rule_3": "× 增加的建议（不要做）",
        "key_rule_4": "§ 所依据的法律与条文（有效期）",
        "key_rule_5": "条件和法条见完整决策树和规则图",
        "key_taken": "此案例走过的路径",
        "key_dimmed": "此案例未走的分支",
        "key_action": "建议：应做",
        "key_avoid": "建议：不要做",
        "key_law": "法律条文",
        "key_rules": "规则（按问题分组）",
    },
    "en": {
        "tree": "decision tree",
        "stage_tree": "decision tree for one stage: {stage}",
        "question_tree": "one question of the decision tree: {question}",
        "path_tree": "decision tree with the path of one case",
        "rules_view": "rules, the advice they give and the laws they cite",
        "question_no": "question {n} of {total}",
        "start": "start: the borrower's situation",
        "end": "the answer",
        "one": "one branch applies: the first that holds",
        "any": "every branch that holds applies",
        "asked_if": "asked only if: {condition}",
        "if": "if: {condition}",
        "in_force": "in force: {dates}",
        "no_advice": "(adds no advice)",
        "not_asked": "not asked",
        "none_applies": "none applies",
        "practice": "practical guidance, no article cited",
        "also_practice": "also practical guidance, beyond the articles cited",
        "action": "what to do, priority {priority}",
        "avoid": "what not to do, priority {priority}",
        "not_binding": "self-regulation or a standard, not law",
        "list_sep": ", ",
        "colon": ": ",
        "notes": " ({})",
        "notes_sep": "; ",
        "legend": "how to read this diagram",
        "key_question": "a question",
        "key_question_1": "asked in order, from top to bottom",
        "key_question_2": "dashed arrow: skipped when its condition fails",
        "key_rule": "rule id: branch",
        "key_rule_1": "if: the condition in words",
        "key_rule_2": "+ advice it adds: what to do",
        "key_rule_3": "× advice it adds: what not to do",
        "key_rule_4": "§ the law and articles it rests on (in force)",
        "key_rule_5": "conditions and citations: see the whole tree",
        "key_taken": "the path this case took",
        "key_dimmed": "branches this case did not take",
        "key_action": "advice: what to do",
        "key_avoid": "advice: what not to do",
        "key_law": "an article of law",
        "key_rules": "rules, grouped by question",
    },
}


# ---- the decision tree ----


def decision_tree(
    book: RuleBook,
    lang: Lang,
    *,
    stage: str | None = None,
    path: Sequence[str] | None = None,
) -> Graph:
    """Every question in order with its branches; restricted to one stage, or with a case's path.

    `path` is the answer's `path`: the ids of the questions asked and the branches taken. With a
    path, what it took is marked taken and everything else dimmed.
    """
    words = _WORDS[lang]
    taken = frozenset(path) if path is not None else None
    questions = [
        (qid, _branches_in_stage(book, question, stage))
        for qid, question in book.questions.items()
        if stage is None or _possible(book, question.ask_if, stage) is not False
    ]
    clusters: list[Cluster] = [_tree_legend(lang, compact=stage is not None, path=taken is not None)]
    edges: list[Edge] = [Edge("key_question", "key_rule", "branch")]
    previous = "start"
    for number, (qid, branches) in enumerate(questions, 1):
        label = words["question_no"].format(n=number, total=len(questions))
        cluster, inner = _question_cluster(book, lang, qid, branches, label, stage=stage, taken=taken)
        clusters.append(cluster)
        edges.append(Edge(previous, f"q_{qid}", "enter", state=_state(taken, True)))
        edges.extend(inner)
        previous = f"j_{qid}"
    edges.append(Edge(previous, "end", "enter", state=_state(taken, True)))
    outside = (
        Node("start", "start", heading=(words["start"],), state=_state(taken, True)),
        Node("end", "end", heading=(words["end"],), state=_state(taken, True)),
    )
    if path is not None:
        what, name = words["path_tree"], "path"
    elif stage is not None:
        what, name = words["stage_tree"].format(stage=book.stages.bands[stage].label(lang)), f"stage-{stage}"
    else:
        what, name = words["tree"], "tree"
    return Graph(
        name=name,
        lang=lang,
        title=_title(book, lang, what),
        direction="TB",
        clusters=tuple(clusters),
        nodes=outside,
        edges=tuple(edges),
        highlighted=taken is not None,
    )


def question_tree(book: RuleBook, lang: Lang, question_id: str) -> Graph:
    """One question drawn alone, with every branch's condition, dates, advice and citations.

    It draws nothing of any other question (not even its number in the tree), so that a rules
    edit changes the drawing of a question only when it changes what that question shows.
    """
    words = _WORDS[lang]
    question = book.questions[question_id]
    branches = list(question.branches.items())
    cluster, edges = _question_cluster(book, lang, question_id, branches, question_id, stage=None, taken=None)
    outside = (
        Node("from", "join"),
        Node("to", "join"),
    )
    return Graph(
        name=f"question-{question_id}",
        lang=lang,
        title=_title(book, lang, words["question_tree"].format(question=question.text(lang))),
        direction="TB",
        clusters=(_tree_legend(lang, compact=False, path=False), cluster),
        nodes=outside,
        edges=(
            Edge("key_question", "key_rule", "branch"),
            Edge("from", f"q_{question_id}", "enter"),
            *edges,
            Edge(f"j_{question_id}", "to", "enter"),
        ),
    )


def _state(taken: frozenset[str] | None, on_path: bool) -> State:
    if taken is None:
        return "plain"
    return "taken" if on_path else "dimmed"


def _question_cluster(
    book: RuleBook,
    lang: Lang,
    qid: str,
    branches: Sequence[tuple[str, Rule]],
    label: str,
    *,
    stage: str | None,
    taken: frozenset[str] | None,
) -> tuple[Cluster, list[Edge]]:
    """A question's frame (the question, its branches, the point where they join) and its edges."""
    words = _WORDS[lang]
    question = book.questions[qid]
    width = STAGE_WIDTH if stage else TREE_WIDTH
    asked = taken is None or qid in taken
    q_name, join = f"q_{qid}", f"j_{qid}"
    nodes = [
        Node(
            q_name,
            "question",
            heading=wrap(question.text(lang), width),
            lines=_question_lines(book, question, lang, width),
            link=Link("question", qid),
            state=_state(taken, asked),
        )
    ]
    edges: list[Edge] = []
    for rid, rule in branches:
        on_path = taken is not None and rid in taken
        r_name = f"r_{rid}"
        nodes.append(
            Node(
                r_name,
                "rule",
                heading=wrap(f"{rid}{words['colon']}{rule.label(lang)}", width),
                lines=_rule_lines(book, rule, lang, width, compact=stage is not None),
                link=Link("rule", rid),
                state=_state(taken, on_path),
            )
        )
        edges.append(Edge(q_name, r_name, "branch", state=_state(taken, on_path)))
        edges.append(Edge(r_name, join, "join", state=_state(taken, on_path)))
    nodes.append(Node(join, "join", state=_state(taken, True)))
    if question.ask_if != ALWAYS and (stage is None or _possible(book, question.ask_if, stage) is not True):
        edges.append(Edge(q_name, join, "skip", (words["not_asked"],), _state(taken, not asked)))
    if question.choose == "any" and not any(_certain(book, rule, stage) for _, rule in branches):
        none_taken = asked and not any(taken is not None and rid in taken for rid, _ in branches)
        edges.append(Edge(q_name, join, "none", (words["none_applies"],), _state(taken, none_taken)))
    return Cluster(f"cluster_{qid}", label, tuple(nodes)), edges


def _title(book: RuleBook, lang: Lang, what: str) -> tuple[str, ...]:
    # No rules version here: it changes with every edit, and a drawing must change only when what
    # it draws does (diagrams/MANIFEST.json and the pages carry the version).
    return (f"{book.kb.name(lang)} — {what}",)


def _question_lines(book: RuleBook, question: Question, lang: Lang, width: int) -> tuple[str, ...]:
    words = _WORDS[lang]
    lines = list(wrap(words[question.choose], width))
    if question.ask_if != ALWAYS:
        condition = describe(book, question.ask_if, lang)
        lines.extend(wrap(words["asked_if"].format(condition=condition), width, "   "))
    return tuple(lines)


def _rule_lines(book: RuleBook, rule: Rule, lang: Lang, width: int, *, compact: bool) -> tuple[str, ...]:
    """The condition (left out when compact), dates, advice titles and citations (left out when compact)."""
    words = _WORDS[lang]
    lines = (
        []
        if compact
        else list(wrap(words["if"].format(condition=describe(book, rule.when, lang)), width, "   "))
    )
    if rule.in_force != ALWAYS_IN_FORCE:
        lines.extend(wrap(words["in_force"].format(dates=describe_dates(rule.in_force, lang)), width, "   "))
    for advice_id in rule.advice:
        advice = book.advice[advice_id]
        mark = "+" if advice.kind == "action" else "×"
        lines.extend(wrap(f"{mark} {advice.title(lang)}", width, "   "))
    if not rule.advice:
        lines.append(words["no_advice"])
    if not compact:
        for citation in _citations(book, rule.advice, lang):
            lines.extend(wrap(f"§ {citation}", width, "   "))
    return tuple(lines)


def _citations(book: RuleBook, advice_ids: Sequence[str], lang: Lang) -> list[str]:
    """The laws behind these advice items, one line per law and dates, articles in citing order."""
    words = _WORDS[lang]
    groups: dict[tuple[str, str, bool], list[str]] = {}
    for advice_id in advice_ids:
        for law_id in book.advice[advice_id].legal_basis:
            law = book.laws[law_id]
            key = (law.law(lang), describe_dates(law.in_force, lang), law.binding)
            articles = groups.setdefault(key, [])
            if law.article(lang) not in articles:
                articles.append(law.article(lang))
    lines = []
    for (law_name, dates, binding), articles in groups.items():
        notes = [note for note in (dates, "" if binding else words["not_binding"]) if note]
        suffix = words["notes"].format(words["notes_sep"].join(notes)) if notes else ""
        lines.append(f"{law_name}{words['colon']}{words['list_sep'].join(articles)}{suffix}")
    return lines


def _tree_legend(lang: Lang, *, compact: bool, path: bool) -> Cluster:
    words = _WORDS[lang]
    rule_lines = [words[f"key_rule_{i}"] for i in ((2, 3, 5) if compact else (1, 2, 3, 4))]
    nodes = [
        Node(
            "key_question",
            "question",
            heading=(words["key_question"],),
            lines=(words["key_question_1"], words["key_question_2"]),
        ),
        Node("key_rule", "rule", heading=(words["key_rule"],), lines=tuple(rule_lines)),
    ]
    if path:
        nodes.append(Node("key_taken", "rule", heading=(words["key_taken"],), state="taken"))
        nodes.append(Node("key_dimmed", "rule", heading=(words["key_dimmed"],), state="dimmed"))
    return Cluster("cluster_legend", words["legend"], tuple(nodes), kind="legend")


def _branches_in_stage(book: RuleBook, question: Question, stage: str | None) -> list[tuple[str, Rule]]:
    """The branches that can apply in `stage` (all of them when no stage is given)."""
    if stage is None:
        return list(question.branches.items())
    kept = []
    for rule_id, rule in question.branches.items():
        holds = _possible(book, rule.when, stage)
        if holds is False:
            continue
        kept.append((rule_id, rule))
        if holds is True and question.choose == "one":
            break  # the first branch that holds is the only one that applies
    return kept


def _certain(book: RuleBook, rule: Rule, stage: str | None) -> bool:
    """The branch applies to everyone (in this stage), whatever the date."""
    if rule.in_force != ALWAYS_IN_FORCE:
        return False
    if stage is None:
        return rule.when == ALWAYS
    return _possible(book, rule.when, stage) is True


def _possible(book: RuleBook, condition: Condition, stage: str) -> bool | None:
    """Whether `condition` holds for every borrower in `stage` (True), for none (False), or depends."""
    if isinstance(condition, Test):
        return _test_in_stage(book, condition, stage)
    if isinstance(condition, Not):
        inner = _possible(book, condition.part, stage)
        return None if inner is None else not inner
    results = [_possible(book, part, stage) for part in condition.parts]
    if isinstance(condition, AnyOf):
        if any(result is True for result in results):
            return True
        return False if all(result is False for result in results) else None
    if any(result is False for result in results):
        return False
    return True if all(result is True for result in results) else None


def _test_in_stage(book: RuleBook, test: Test, stage: str) -> bool | None:
    if test.fact == "stage":
        return stage in test.value
    if test.fact != book.stages.of:
        return None
    band = book.stages.bands[stage]
    low, high, bound = band.min, band.max, test.value
    if test.op == "min":
        return True if low >= bound else False if high < bound else None
    if test.op == "max":
        return True if high <= bound else False if low > bound else None
    if test.op == "above":
        return True if low > bound else False if high <= bound else None
    if test.op == "below":
        return True if high < bound else False if low >= bound else None
    return None


# ---- the rules view ----


def rules_view(book: RuleBook, lang: Lang) -> Graph:
    """Each rule (grouped by question) → the advice it gives → the laws that advice cites."""
    words = _WORDS[lang]
    clusters: list[Cluster] = [_rules_legend(lang)]
    edges = [
        Edge("key_rule", "key_action", "gives"),
        Edge("key_rule", "key_avoid", "gives"),
        Edge("key_action", "key_law", "cites"),
    ]
    advice_order: dict[str, None] = {}
    for number, (qid, question) in enumerate(book.questions.items(), 1):
        nodes = []
        for rid, rule in question.branches.items():
            lines = [*wrap(rule.label(lang), RULES_WIDTH)]
            lines.extend(
                wrap(words["if"].format(condition=describe(book, rule.when, lang)), RULES_WIDTH, "   ")
            )
            if rule.in_force != ALWAYS_IN_FORCE:
                dates = describe_dates(rule.in_force, lang)
                lines.extend(wrap(words["in_force"].format(dates=dates), RULES_WIDTH, "   "))
            nodes.append(Node(f"r_{rid}", "rule", heading=(rid,), lines=tuple(lines), link=Link("rule", rid)))
            for advice_id in dict.fromkeys(rule.advice):
                advice_order.setdefault(advice_id)
                edges.append(Edge(f"r_{rid}", f"a_{advice_id}", "gives"))
        label = words["question_no"].format(n=number, total=len(book.questions))
        label = f"{label}{words['colon']}{question.text(lang)}"
        clusters.append(Cluster(f"cluster_{qid}", label, tuple(nodes)))
    for advice_id in book.advice:
        advice_order.setdefault(advice_id)
    outside: list[Node] = []
    law_order: dict[str, None] = {}
    for advice_id in advice_order:
        advice = book.advice[advice_id]
        lines = list(wrap(words[advice.kind].format(priority=advice.priority), RULES_WIDTH))
        if advice.practice:
            lines.extend(wrap(words["also_practice" if advice.legal_basis else "practice"], RULES_WIDTH))
        outside.append(
            Node(
                f"a_{advice_id}",
                advice.kind,
                heading=wrap(advice.title(lang), RULES_WIDTH),
                lines=tuple(lines),
                link=Link("advice", advice_id),
            )
        )
        for law_id in dict.fromkeys(advice.legal_basis):
            law_order.setdefault(law_id)
            edges.append(Edge(f"a_{advice_id}", f"l_{law_id}", "cites"))
    for law_id in book.laws:
        law_order.setdefault(law_id)
    for law_id in law_order:
        law = book.laws[law_id]
        lines = list(wrap(law.article(lang), RULES_WIDTH))
        dates = describe_dates(law.in_force, lang)
        if dates:
            lines.extend(wrap(dates, RULES_WIDTH))
        if not law.binding:
            lines.extend(wrap(words["not_binding"], RULES_WIDTH))
        outside.append(
            Node(
                f"l_{law_id}",
                "law",
                heading=wrap(law.law(lang), RULES_WIDTH),
                lines=tuple(lines),
                link=Link("law", law_id),
            )
        )
    return Graph(
        name="rules",
        lang=lang,
        title=_title(book, lang, words["rules_view"]),
        direction="LR",
        clusters=tuple(clusters),
        nodes=tuple(outside),
        edges=tuple(edges),
    )


def _rules_legend(lang: Lang) -> Cluster:
    words = _WORDS[lang]
    return Cluster(
        "cluster_legend",
        words["legend"],
        (
            Node("key_rule", "rule", heading=(words["key_rules"],)),
            Node("key_action", "action", heading=(words["key_action"],)),
            Node("key_avoid", "avoid", heading=(words["key_avoid"],)),
            Node("key_law", "law", heading=(words["key_law"],)),
        ),
        kind="legend",
    )


# ---- text ----


# punctuation and closing marks that must not begin a line, opening marks that must not end one
_NO_LINE_START = frozenset("，。、；：！？）」』》〉】”’,.;:!?)")
_NO_LINE_END = frozenset("（「『《〈【“‘(")


def wrap(text: str, width: int, indent: str = "") -> tuple[str, ...]:
    """`text` in lines of at most `width` columns (CJK characters count two); real newlines kept.

    Continuation lines start with `indent`. A word longer than the width gets a line of its own.
    """
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines.extend(_wrap_paragraph(paragraph, width, indent))
    return tuple(lines)


def _wrap_paragraph(paragraph: str, width: int, indent: str) -> list[str]:
    lines: list[str] = []
    line, used = "", 0
    for token in _tokens(paragraph):
        if token.isspace():
            if line.strip() and not line.endswith(" "):
                line, used = line + " ", used + 1
            continue
        size = columns(token)
        if line.strip() and used + size > width and token[0] not in _NO_LINE_START:
            carried = ""
            while line.strip() and line[-1] in _NO_LINE_END:
                line, carried = line[:-1], line[-1] + carried
            if line.strip():
                lines.append(line.rstrip())
                line, used = indent + carried, len(indent) + columns(carried)
            else:
                line = line + carried
        line, used = line + token, used + size
    lines.append(line.rstrip())
    return lines


def _tokens(paragraph: str) -> Iterator[str]:
    """Words of narrow characters, single wide characters, and single spaces."""
    word = ""
    for char in paragraph:
        if char.isspace() or columns(char) == 2:
            if word:
                yield word
                word = ""
            yield char
        else:
            word += char
    if word:
        yield word


def columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)
