"""Benchmark: rendering letters, as text and as .docx.

Run: .venv/bin/python bench/letters.py [--rules DIR] [--repeat N]
Prints, for every letter kind in each language, the median time of N renderings as text (the
sandboxed template, compiled once) and as .docx (python-docx), with the size of each.
Aims: text under 5 ms, .docx under 50 ms per letter.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from kb.advisor import load_checked, rules_dir
from kb.facts import AdviceRequest
from kb.letters.render import render
from kb.letters.word import as_docx
from kb.model import LANGS
from kb.reference import holds

# Cases in which, between them, every letter kind fits.
CASES: list[dict[str, Any]] = [
    {"days_overdue": 7, "harassment": True, "harassment_kinds": ["contacts_third_parties"],
     "hardship": "long_term", "credit_reported": "unknown", "as_of": "2026-11-29"},
    {"days_overdue": 120, "harassment": False, "hardship": "long_term", "credit_reported": "yes",
     "legal_action": "payment_order", "served_days_ago": 3, "as_of": "2026-11-29"},
    {"days_overdue": 30, "harassment": True, "harassment_kinds": ["threats"], "hardship": "none",
     "credit_reported": "unknown", "identity_misused": True, "as_of": "2026-11-29"},
]  # fmt: skip


def median_ms(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", metavar="DIR")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    book = load_checked(rules_dir(args.rules))
    print(f"rules {book.kb_version}: {len(book.letters)} letter kinds, median of {args.repeat} runs")
    worst_text = worst_docx = 0.0
    for kind, letter in book.letters.items():
        request = next(
            r
            for r in (AdviceRequest.model_validate_json(json.dumps(case)) for case in CASES)
            if holds(book, letter.when, book.derive(r.facts(), r.day()))
        )
        facts, day = request.facts(), request.day()
        for lang in LANGS:
            details = {name: field.example(lang) for name, field in letter.fields.items() if field.example}
            rendered = render(book, kind, facts, day, details, lang)

            case = (kind, facts, day, details, lang)

            def text(case: Any = case) -> str:
                return render(book, *case).text()

            def word(case: Any = case) -> bytes:
                return as_docx(render(book, *case))

            text_ms, docx_ms = median_ms(text, args.repeat), median_ms(word, args.repeat)
            worst_text, worst_docx = max(worst_text, text_ms), max(worst_docx, docx_ms)
            print(
                f"{kind:26} {lang}: text {text_ms:6.3f} ms ({len(rendered.text().encode()):5} B)"
                f"   docx {docx_ms:6.2f} ms ({len(as_docx(rendered)):6} B)"
            )
    print(f"slowest: text {worst_text:.3f} ms (aim < 5 ms), docx {worst_docx:.2f} ms (aim < 50 ms)")


if __name__ == "__main__":
    main()
