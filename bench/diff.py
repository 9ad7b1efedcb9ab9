"""Benchmark: `overdue-advisor diff` over the shipped rules, against themselves and a one-rule edit.

Run: .venv/bin/python bench/diff.py [--rules DIR]   (aim: under 5 s each)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import timed

from kb.advisor import rules_dir
from kb.loader import load_rules
from kb.verify.diff import diff


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules")
    args = parser.parse_args()
    folder = rules_dir(args.rules)
    base = load_rules(folder)
    with tempfile.TemporaryDirectory() as scratch:
        edited = Path(scratch) / "rules"
        shutil.copytree(folder, edited)
        tree = edited / "tree.yaml"
        text = tree.read_text(encoding="utf-8")
        # one rule gives one more item
        text = text.replace("advice: [stage_just_overdue]", "advice: [stage_just_overdue, list_all_loans]", 1)
        tree.write_text(text, encoding="utf-8")
        new = load_rules(edited)
    for name, other in (("itself", base), ("a one-rule edit", new)):
        start = time.perf_counter()
        report = diff(base, other)
        first = time.perf_counter() - start
        median = timed(lambda other=other: diff(base, other), 3)
        print(
            f"diff against {name}: {len(report.changes)} change groups, {report.regions} regions, "
            f"first run {first:.2f} s, median of 3 {median:.2f} s (aim < 5 s)"
        )


if __name__ == "__main__":
    main()
