"""Run the real `dot` on a presentation graph, and the fixed set of audit diagrams.

Output is deterministic: the same rules give byte-identical files. `dot` itself is (for one
Graphviz, cairo and font version); the one timestamp it writes, cairo's PDF CreationDate, is taken
out here, the PDF's cross-reference table shifted to match. (cairo 1.16, Debian 12's, does not
read SOURCE_DATE_EPOCH, and the graphviz package gives no way to pass an environment to `dot`.)
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from os import cpu_count
from typing import Literal

from kb.diagram.dot import Href, to_dot
from kb.diagram.graph import Graph, decision_tree, question_tree, rules_view
from kb.model import LANGS, RuleBook

Format = Literal["svg", "png", "pdf"]
MEDIA_TYPES: dict[Format, str] = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}


@dataclass(frozen=True)
class AuditDiagram:
    """One file of the audit set: its name, how to draw it, and whether diagrams/ keeps it.

    Committed files are text (SVG) or the whole tree as PDF, for printing; the rest (every PNG,
    the per-stage trees) are drawn on request by the server or by `diagrams --png DIR`, so that
    git never stores a megabyte of pixels per rules edit.
    """

    name: str
    format: Format
    draw: Callable[[], Graph]
    committed: bool = True


def audit_set(book: RuleBook) -> tuple[AuditDiagram, ...]:
    """Every audit diagram of `book`, in a fixed order, each in zh and en: the whole tree (SVG and
    PDF committed, PNG on request), one drawing per question (SVG committed, PNG on request), the
    rules view (SVG committed, PNG on request) and one tree per stage (SVG and PNG on request)."""
    diagrams: list[AuditDiagram] = []
    for lang in LANGS:
        tree = partial(decision_tree, book, lang)
        diagrams += [
            AuditDiagram(f"tree.{lang}.svg", "svg", tree),
            AuditDiagram(f"tree.{lang}.pdf", "pdf", tree),
            AuditDiagram(f"tree.{lang}.png", "png", tree, committed=False),
        ]
        for qid in book.questions:
            one = partial(question_tree, book, lang, qid)
            diagrams += [
                AuditDiagram(f"question-{qid}.{lang}.svg", "svg", one),
                AuditDiagram(f"question-{qid}.{lang}.png", "png", one, committed=False),
            ]
        rules = partial(rules_view, book, lang)
        diagrams += [
            AuditDiagram(f"rules.{lang}.svg", "svg", rules),
            AuditDiagram(f"rules.{lang}.png", "png", rules, committed=False),
        ]
        for stage in book.stages.bands:
            per_stage = partial(decision_tree, book, lang, stage=stage)
            diagrams += [
                AuditDiagram(f"stage-{stage}.{lang}.{fmt}", fmt, per_stage, committed=False)
                for fmt in ("svg", "png")
            ]
    return tuple(diagrams)


def committed(diagrams: tuple[AuditDiagram, ...]) -> tuple[AuditDiagram, ...]:
    return tuple(diagram for diagram in diagrams if diagram.committed)


def on_request(diagrams: tuple[AuditDiagram, ...], fmt: Format) -> tuple[AuditDiagram, ...]:
    return tuple(diagram for diagram in diagrams if not diagram.committed and diagram.format == fmt)


MANIFEST = "MANIFEST.json"


def manifest(book: RuleBook, files: Mapping[str, bytes]) -> bytes:
    """diagrams/MANIFEST.json: the rules version the files were drawn from and each file's sha256.

    The version lives here, not in the drawings, so that a rules edit rewrites this small text and
    only the drawings whose content changed. Keys sorted, LF line ends: byte-identical each run.
    """
    document = {
        "rules": {"kb_version": book.kb_version, "digest": book.digest},
        "files": {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())},
    }
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def render(graph: Graph, fmt: Format, href: Href | None = None) -> bytes:
    """`graph` drawn by `dot` as SVG, PNG or PDF; raises graphviz.CalledProcessError if dot fails."""
    drawn = to_dot(graph, href).pipe(format=fmt, engine="dot")
    return without_pdf_dates(drawn) if fmt == "pdf" else drawn


def render_all(diagrams: tuple[AuditDiagram, ...]) -> dict[str, bytes]:
    """Every diagram by name; `dot` runs in parallel, one process per file."""
    with ThreadPoolExecutor(max_workers=cpu_count() or 2) as pool:
        drawn = pool.map(lambda diagram: render(diagram.draw(), diagram.format), diagrams)
        return {diagram.name: output for diagram, output in zip(diagrams, drawn, strict=True)}


_PDF_DATE = re.compile(rb"/(?:CreationDate|ModDate) \(D:[0-9]{4,14}[^)]*\)")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])")


def without_pdf_dates(pdf: bytes) -> bytes:
    """`pdf` with its creation and modification dates removed and its xref table kept right.

    Both are optional entries of the document information dictionary. Offsets of objects after a
    removed entry move back by its length.
    """
    cuts = [(found.start(), found.end()) for found in _PDF_DATE.finditer(pdf)]
    if not cuts:
        return pdf
    start = _STARTXREF.search(pdf)
    if start is None or not pdf.startswith(b"xref", int(start.group(1))):
        raise ValueError("this PDF has no classic cross-reference table to correct")

    def moved(offset: int) -> int:
        return offset - sum(end - begin for begin, end in cuts if end <= offset)

    xref_at = int(start.group(1))
    table_end = start.start()

    def entry(found: re.Match[bytes]) -> bytes:
        if found.group(3) == b"f":
            return found.group(0)
        return b"%010d %s n" % (moved(int(found.group(1))), found.group(2))

    table = _XREF_ENTRY.sub(entry, pdf[xref_at:table_end])
    body = bytearray()
    position = 0
    for begin, end in cuts:
        body += pdf[position:begin]
        position = end
    body += pdf[position:xref_at]
    return bytes(body) + table + b"startxref\n%d\n%%%%EOF\n" % moved(xref_at)
