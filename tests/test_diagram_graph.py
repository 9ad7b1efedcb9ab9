"""The presenter (kb/diagram/graph.py): the model drawn as boxes and arrows, without Graphviz."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from kb.advisor import Advisor
from kb.diagram.graph import Graph, Node, decision_tree, rules_view, wrap
from kb.facts import AdviceRequest
from kb.loader import load_rules
from kb.model import RuleBook
from kb.wording import describe

MINI = Path(__file__).parent / "fixtures" / "mini"


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rules(MINI)


def nodes(graph: Graph) -> dict[str, Node]:
    return {node.name: node for node in graph.all_nodes()}


def text(node: Node) -> str:
    """The box's text with wrapped lines joined again."""
    return " ".join(line.strip() for line in (*node.heading, *node.lines))


def test_every_question_in_order_with_every_branch(book: RuleBook) -> None:
    graph = decision_tree(book, "en")
    assert [c.name for c in graph.clusters] == ["cluster_legend"] + [f"cluster_{q}" for q in book.questions]
    for cluster, (qid, question) in zip(graph.clusters[1:], book.questions.items(), strict=True):
        names = [node.name for node in cluster.nodes]
        assert names == [f"q_{qid}", *(f"r_{rid}" for rid in question.branches), f"j_{qid}"]
    assert [c.label for c in graph.clusters[1:3]] == ["question 1 of 6", "question 2 of 6"]
    enters = [(e.tail, e.head) for e in graph.edges if e.kind == "enter"]
    joins = ["start", *(f"j_{q}" for q in book.questions)]
    assert enters == list(zip(joins, [*(f"q_{q}" for q in book.questions), "end"], strict=True))


def test_branches_show_condition_advice_and_citations_in_words(book: RuleBook) -> None:
    boxes = nodes(decision_tree(book, "en"))
    for placed in book.rules:
        box = text(boxes[f"r_{placed.rule_id}"])
        assert box.startswith(f"{placed.rule_id}: {placed.rule.label('en')}")
        assert f"if: {describe(book, placed.rule.when, 'en')}" in box
    assert "if: harassed by collectors: yes" in text(boxes["r_harassment_yes"])
    everyone = text(boxes["r_everyone"])
    assert "+ Contact the lender" in everyone and "× Do not borrow to repay" in everyone
    assert "§ Civil Code: Art. 678, Art. 673 (from 2021-01-01)" in everyone  # one line per law and dates
    evidence = text(boxes["r_harassment_yes"])
    assert (
        "§ Public Security Administration Punishments Law (2012): Art. 42 (from 2013-01-01, until 2025-12-31)"
        in evidence
    )
    assert "in force: from 2025-12-22, until 2026-03-31" in text(boxes["r_policy_open"])
    assert "(adds no advice)" in text(boxes["r_harassment_no"])
    zh = nodes(decision_tree(book, "zh"))
    assert text(zh["r_harassment_yes"]).startswith("harassment_yes：是")
    assert "§ 治安管理处罚法（2012）：第四十二条（自 2013-01-01 起，至 2025-12-31 止）" in text(
        zh["r_harassment_yes"]
    )


def test_skipped_questions_and_branches_that_may_all_fail(book: RuleBook) -> None:
    graph = decision_tree(book, "en")
    extra = {(e.kind, e.tail, e.label) for e in graph.edges if e.kind in ("skip", "none")}
    assert extra == {
        ("skip", "q_kinds", ("not asked",)),
        ("none", "q_kinds", ("none applies",)),  # 'any': no kind may match
        ("none", "q_window", ("none applies",)),  # its only branch is limited in time
    }
    assert "asked only if: harassed by collectors: yes" in text(nodes(graph)["q_kinds"])


def test_a_stage_keeps_only_what_can_apply_in_it(book: RuleBook) -> None:
    today = nodes(decision_tree(book, "en", stage="due_today"))
    assert [n for n in today if n.startswith("r_stage")] == ["r_stage_due_today"]
    late = nodes(decision_tree(book, "en", stage="overdue_31_90"))
    assert [n for n in late if n.startswith("r_stage")] == ["r_stage_late"]  # a 'not' condition
    assert {"r_harassment_yes", "r_kind_threats", "r_rate_high", "r_policy_open"} <= set(late)
    assert not any("§" in line for node in late.values() for line in node.lines)  # compact: no citations
    assert not any(line.startswith("if:") for node in late.values() for line in node.lines)
    assert decision_tree(book, "en", stage="due_today").name == "stage-due_today"


def test_a_case_path_is_taken_and_the_rest_dimmed(book: RuleBook) -> None:
    body = {"days_overdue": 3, "harassment": False, "hardship": "none", "credit_reported": "no"}
    request = AdviceRequest.model_validate_json(json.dumps({**body, "as_of": "2026-06-01", "lang": "en"}))
    path = Advisor(book).advise(request).path
    graph = decision_tree(book, "en", path=path)
    assert graph.highlighted
    states = {node.name: node.state for node in graph.all_nodes() if not node.name.startswith("key_")}
    taken = {name for name, state in states.items() if state == "taken"}
    assert {"r_everyone", "r_stage_early", "r_harassment_no", "r_rate_unknown"} <= taken
    assert states["r_stage_due_today"] == states["r_harassment_yes"] == "dimmed"
    assert states["q_kinds"] == "dimmed"  # not asked without harassment
    edge = {(e.kind, e.tail): e.state for e in graph.edges}
    assert edge[("skip", "q_kinds")] == "taken"
    assert edge[("none", "q_window")] == "taken"  # the policy had closed on that date
    assert edge[("branch", "q_stage")] != "plain"
    assert {e.state for e in decision_tree(book, "en").edges} == {"plain"}


def test_rules_view_links_rules_to_advice_to_laws(book: RuleBook) -> None:
    graph = rules_view(book, "en")
    assert graph.direction == "LR"
    gives = {(e.tail, e.head) for e in graph.edges if e.kind == "gives" and not e.tail.startswith("key_")}
    assert gives == {(f"r_{p.rule_id}", f"a_{advice}") for p in book.rules for advice in p.rule.advice}
    cites = {(e.tail, e.head) for e in graph.edges if e.kind == "cites" and not e.tail.startswith("key_")}
    assert cites == {
        (f"a_{a}", f"l_{law}") for a, advice in book.advice.items() for law in advice.legal_basis
    }
    boxes = nodes(graph)
    assert {f"l_{law}" for law in book.laws} <= set(boxes)
    assert boxes["a_avoid_new_loans"].kind == "avoid" and boxes["a_pay_today"].kind == "action"
    assert "practical guidance, no article cited" in text(boxes["a_pay_today"])


def test_graphs_are_frozen_and_pure(book: RuleBook) -> None:
    graph = decision_tree(book, "zh")
    assert graph == decision_tree(book, "zh")
    with pytest.raises(dataclasses.FrozenInstanceError):
        graph.name = "other"  # type: ignore[misc]


def test_wrap_counts_cjk_double_and_keeps_punctuation_off_line_starts() -> None:
    assert wrap("一二三四五六", 6) == ("一二三", "四五六")
    assert wrap("一二，三", 4) == ("一二，", "三")
    assert wrap("一二（三）", 6) == ("一二", "（三）")
    assert wrap("aaa bbb ccc", 7) == ("aaa bbb", "ccc")
    assert wrap("aaa bbb ccc", 7, "  ") == ("aaa bbb", "  ccc")
    assert wrap("first\nsecond", 40) == ("first", "second")
    assert wrap("averyveryverylongword x", 5) == ("averyveryverylongword", "x")
    assert wrap("", 5) == ("",)
