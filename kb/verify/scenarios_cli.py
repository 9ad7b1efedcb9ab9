"""`overdue-advisor test [PATH] [--rules DIR]`: run scenario files through the real engine.

Prints each failing scenario with what it missed, a summary, and the rules and advice that no
scenario exercises. Exit status 1 when a scenario fails or cannot be read (or, with `--strict`,
when something is not exercised).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kb.advisor import Advisor
from kb.loader import RulesError
from kb.verify.scenarios import coverage, load_scenarios, run_scenario

DEFAULT_PATH = Path("tests") / "scenarios"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        nargs="?",
        default=str(DEFAULT_PATH),
        help=f"scenario file or folder (default: {DEFAULT_PATH})",
    )
    parser.add_argument(
        "--strict", action="store_true", help="also fail when a rule or advice is exercised by no scenario"
    )


def run(args: argparse.Namespace) -> int:
    advisor = Advisor.from_folder(args.rules)
    try:
        scenarios = load_scenarios(Path(args.path), advisor.book)
    except RulesError as error:
        print(f"test: the scenarios cannot be read ({len(error.problems)} problems):", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    results = [run_scenario(advisor.book, advisor.advise, scenario) for scenario in scenarios]
    failed = [r for r in results if not r.passed]
    for result in failed:
        print(f"FAIL {result.scenario.where}: {result.scenario.name}")
        for failure in result.failures:
            print(f"     - {failure}")
    print(f"test: {len(results) - len(failed)} of {len(results)} scenarios pass ({args.path})")
    missing = coverage(advisor.book, results)
    if missing.rules:
        print(f"rules no scenario exercises ({len(missing.rules)}): {', '.join(missing.rules)}")
    if missing.advice:
        print(f"advice no scenario exercises ({len(missing.advice)}): {', '.join(missing.advice)}")
    if not missing.rules and not missing.advice:
        print(
            f"every rule ({len(advisor.book.rules)}) and advice item "
            f"({len(advisor.book.advice)}) is exercised"
        )
    uncovered = bool(missing.rules or missing.advice)
    return 1 if failed or (args.strict and uncovered) else 0
