"""`overdue-advisor lint [--rules DIR] [--json]`: the findings of `kb.verify.lint`, as text or JSON.

Exit status: 0 when there is no error (warnings only print), 1 otherwise, also when the rules do
not load at all (their problems are then the findings, of kind `load`).
"""

from __future__ import annotations

import argparse
import json
import sys

from kb.advisor import rules_dir
from kb.compiler import compile_rules
from kb.loader import RulesError, load_rules
from kb.verify import lint
from kb.verify.findings import Finding


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")


def run(args: argparse.Namespace) -> int:
    folder = rules_dir(args.rules)
    try:
        book = load_rules(folder)
        compile_rules(book)  # what the engine would refuse at start-up is refused here too
    except RulesError as error:
        refused = [Finding("load", "error", p.reason, (f"{p.file}:{p.line}",)) for p in error.problems]
        if args.json:
            print(
                json.dumps(
                    {"rules": str(folder), "errors": len(refused), "findings": [f.as_json() for f in refused]}
                )
            )
        else:
            print(f"lint: {folder}: the rules do not load ({len(refused)} problems)", file=sys.stderr)
            for finding in refused:
                print("\n".join(finding.lines()), file=sys.stderr)
        return 1
    report = lint(book)
    if args.json:
        print(json.dumps({"rules": str(folder), **report.as_json()}, ensure_ascii=False, indent=2))
    else:
        for finding in report.findings:
            print("\n".join(finding.lines()))
        print(
            f"lint: {folder} ({report.kb_version}): {report.regions} regions in {report.seconds:.2f} s: "
            f"{len(report.errors)} errors, {len(report.warnings)} warnings"
        )
    return 1 if report.errors else 0
