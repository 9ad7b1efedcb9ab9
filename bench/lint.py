"""Benchmark of `overdue-advisor lint`: the whole knowledge base analysed, how long and how many regions.

Run: .venv/bin/python bench/lint.py [--rules DIR] [--repeat 5]
Aim (issue 4): the whole KB in under 5 s on a 2-core machine (lint runs on one core).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import Counter

from kb.advisor import rules_dir
from kb.loader import load_rules
from kb.verify import CHECKS, lint
from kb.verify.analysis import Analysis

AIM_SECONDS = 5.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", help="rules folder (default: the shipped rules)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = rules_dir(args.rules)
    started = time.perf_counter()
    book = load_rules(folder)
    loaded = time.perf_counter() - started
    runs = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        report = lint(book)
        runs.append(time.perf_counter() - started)
    print(
        f"rules: {folder} ({len(book.questions)} questions, {len(book.rules)} rules, "
        f"{len(book.invariants)} invariants)"
    )
    print(f"cores available: {len(os.sched_getaffinity(0))} (lint uses one)")
    print(f"load: {loaded:.2f} s")
    print(
        f"lint: median {statistics.median(runs):.2f} s, worst {max(runs):.2f} s over {args.repeat} runs "
        f"(aim < {AIM_SECONDS:.0f} s): {'ok' if max(runs) < AIM_SECONDS else 'TOO SLOW'}"
    )
    print(
        f"regions analysed: {report.regions}; "
        f"findings: {len(report.errors)} errors, {len(report.warnings)} warnings"
    )
    # regions per check, each measured on a fresh analysis (shared tables are counted where first built)
    for check in CHECKS:
        analysis = Analysis(book)
        started = time.perf_counter()
        found = Counter(f.severity for f in check.find(analysis)) if check.applies(book) else Counter()
        took = time.perf_counter() - started
        print(f"  {check.KIND:<10} {analysis.regions_analysed:>6} regions {took:6.2f} s  {dict(found) or ''}")


if __name__ == "__main__":
    main()
