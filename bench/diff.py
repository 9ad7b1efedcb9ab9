"""Benchmark: `overdue-advisor diff` over the shipped rules, against themselves, a one-rule edit and
an item's priority raised into the first steps (whole-answer changes: order pairs and first steps,
the first steps joined over every question).

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
from kb.verify.diff import WHOLE_ANSWER, diff


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
        one_rule = load_rules(edited)
        shutil.rmtree(edited)
        shutil.copytree(folder, edited)
        # the reassurance that overdue is not a crime, for today where collectors threaten, raised
        # from priority 25 to 4: it comes before other actions and enters the first steps
        courts = edited / "advice" / "courts.yaml"
        text = courts.read_text(encoding="utf-8")
        at = text.index("  overdue_is_not_a_crime:")
        text = text[:at] + text[at:].replace("priority: 25\n", "priority: 4\n", 1)
        courts.write_text(text, encoding="utf-8")
        raised = load_rules(edited)
    for name, other in (("itself", base), ("a one-rule edit", one_rule), ("a priority raised", raised)):
        start = time.perf_counter()
        report = diff(base, other)
        first = time.perf_counter() - start
        median = timed(lambda other=other: diff(base, other), 3)
        whole = sum(change.question == WHOLE_ANSWER for change in report.changes)
        print(
            f"diff against {name}: {len(report.changes)} change groups ({whole} of whole answers), "
            f"{report.regions} regions and {report.answer_regions:,} joined regions, "
            f"first run {first:.2f} s, median of 3 {median:.2f} s (aim < 5 s)"
        )


if __name__ == "__main__":
    main()
