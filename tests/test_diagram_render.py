"""Drawing with the real `dot`: SVG, PNG and PDF, byte for byte the same on every run."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kb.diagram.graph import decision_tree, question_tree, rules_view
from kb.diagram.render import audit_set, committed, manifest, on_request, render, without_pdf_dates
from kb.loader import load_rules
from kb.model import RuleBook

MINI = Path(__file__).parent / "fixtures" / "mini"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rules(MINI)


def xref_is_right(pdf: bytes) -> bool:
    """Every object's offset in the cross-reference table points at that object."""
    start = int(re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", pdf).group(1))  # type: ignore[union-attr]
    assert pdf.startswith(b"xref", start)
    header = re.match(rb"xref\s+(\d+) (\d+)\s+", pdf[start:])
    assert header is not None
    first = int(header.group(1))
    entries = re.findall(rb"(\d{10}) \d{5} ([nf])", pdf[start + header.end() :])
    return all(
        pdf.startswith(b"%d 0 obj" % (first + number), int(offset))
        for number, (offset, kind) in enumerate(entries)
        if kind == b"n"
    )


def test_svg_is_the_tree_and_the_same_every_time(book: RuleBook) -> None:
    graph = decision_tree(book, "en")
    svg = render(graph, "svg")
    assert svg == render(graph, "svg")
    root = ET.fromstring(svg)
    boxes = {g.get("id") for g in root.iter(f"{SVG}g") if "node" in (g.get("class") or "")}
    assert {f"tree-r_{p.rule_id}" for p in book.rules} <= boxes
    assert {f"tree-q_{q}" for q in book.questions} <= boxes


def test_png_is_the_same_every_time(book: RuleBook) -> None:
    graph = decision_tree(book, "zh", stage="just_overdue")
    png = render(graph, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png == render(graph, "png")


def test_pdf_has_no_timestamp_and_a_correct_xref(book: RuleBook) -> None:
    pdf = render(decision_tree(book, "zh"), "pdf")
    assert pdf.startswith(b"%PDF-")
    assert b"/CreationDate" not in pdf and b"/ModDate" not in pdf
    assert xref_is_right(pdf)
    # Chinese glyphs come from the CJK font, embedded (a missing font would show boxes)
    assert b"NotoSansCJK" in pdf


def test_dates_are_cut_out_of_a_pdf_with_its_offsets_moved() -> None:
    objects = [
        b"1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        b"2 0 obj\n<< /Producer (x)\n   /CreationDate (D:20261129164440Z)\n>>\nendobj\n",
        b"3 0 obj\n<< >>\nendobj\n",
    ]
    body = bytearray(b"%PDF-1.5\n")
    offsets = []
    for item in objects:
        offsets.append(len(body))
        body += item
    xref = len(body)
    body += b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    body += b"trailer\n<< /Size 4 /Root 1 0 R /Info 2 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    pdf = bytes(body)
    assert xref_is_right(pdf)
    cleaned = without_pdf_dates(pdf)
    assert b"CreationDate" not in cleaned and b"/Producer (x)" in cleaned
    assert xref_is_right(cleaned)
    assert without_pdf_dates(cleaned) == cleaned


def test_the_audit_set_names_every_file_once(book: RuleBook) -> None:
    diagrams = audit_set(book)
    names = [diagram.name for diagram in diagrams]
    per_lang = 3 + 2 * len(book.questions) + 2 + 2 * len(book.stages.bands)
    assert len(names) == len(set(names)) == 2 * per_lang
    assert {"tree.zh.svg", "tree.en.png", "tree.zh.pdf", "stage-due_today.en.svg", "rules.zh.png"} <= set(
        names
    )
    kept = {diagram.name for diagram in committed(diagrams)}
    assert kept == {
        *(f"tree.{lang}.{fmt}" for lang in ("zh", "en") for fmt in ("svg", "pdf")),
        *(f"question-{qid}.{lang}.svg" for qid in book.questions for lang in ("zh", "en")),
        "rules.zh.svg",
        "rules.en.svg",
    }
    assert {diagram.format for diagram in on_request(diagrams, "png")} == {"png"}


def test_no_drawing_carries_the_rules_version(book: RuleBook) -> None:
    for graph in (decision_tree(book, "zh"), rules_view(book, "en"), question_tree(book, "en", "kinds")):
        svg = render(graph, "svg")
        assert book.kb_version.encode() not in svg and book.digest[:12].encode() not in svg
        assert "version" not in " ".join(graph.title) and "版本" not in " ".join(graph.title)


def test_a_question_is_drawn_alone_with_conditions_advice_and_citations(book: RuleBook) -> None:
    svg = render(question_tree(book, "en", "harassment"), "svg").decode("utf-8")
    assert "harassed by collectors: yes" in svg and "Keep evidence" in svg and "Art. 42" in svg
    for other in ("rate_high", "stage_due_today", "kind_threats"):
        assert f"r_{other}" not in svg, other
    manifest_text = manifest(book, {"b.svg": b"2", "a.svg": b"1"}).decode("utf-8")
    assert manifest_text.index('"a.svg"') < manifest_text.index('"b.svg"') and book.digest in manifest_text


def test_rules_view_renders(book: RuleBook) -> None:
    svg = render(rules_view(book, "zh"), "svg").decode("utf-8")
    assert "不要以贷养贷" in svg and "第六百七十三条" in svg
