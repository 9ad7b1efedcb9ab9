"""Benchmark: how long the whole decision tree takes to draw, and the whole audit set.

Run: .venv/bin/python bench/diagrams.py [--rules DIR] [--repeat N]
Prints the median of N runs for building the presentation graph and for `dot` drawing the whole
tree as SVG, PNG and PDF in each language, then the time of the committed set that
`overdue-advisor diagrams` writes and of every PNG drawn on request (one `dot` per file, in
parallel on the machine's cores), with their sizes.
"""

from __future__ import annotations

import argparse

from common import timed

from kb.advisor import load_checked, rules_dir
from kb.diagram.graph import decision_tree
from kb.diagram.render import audit_set, committed, on_request, render, render_all
from kb.model import LANGS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", metavar="DIR")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    book = load_checked(rules_dir(args.rules))
    print(f"rules {book.kb_version}: {len(book.questions)} questions, {len(book.rules)} rules")
    for lang in LANGS:
        graph_time = timed(lambda lang=lang: decision_tree(book, lang), args.repeat)
        print(f"whole tree, {lang}: graph {graph_time * 1000:7.1f} ms", end="")
        graph = decision_tree(book, lang)
        for fmt in ("svg", "png", "pdf"):
            seconds = timed(lambda fmt=fmt, graph=graph: render(graph, fmt), args.repeat)
            print(f"  {fmt} {seconds:5.2f} s", end="")
        print()
    diagrams = audit_set(book)
    sets = (("committed set", committed(diagrams)), ("PNGs on request", on_request(diagrams, "png")))
    for what, chosen in sets:
        seconds = timed(lambda chosen=chosen: render_all(chosen), 1)
        size = sum(len(content) for content in render_all(chosen).values())
        print(f"{what}: {len(chosen)} files, {size / 1e6:.2f} MB, in {seconds:.1f} s")


if __name__ == "__main__":
    main()
