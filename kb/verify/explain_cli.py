"""`overdue-advisor explain [case flags] [--json]`: the nearest changes of a case's facts that would
change its advice (the next day threshold, each boolean flipped, each enum value)."""

from __future__ import annotations

import argparse
import json

from kb.advisor import Advisor
from kb.case_flags import add_case_arguments, case_from_arguments
from kb.verify.explain import explain, render_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_case_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the counterfactuals as JSON")


def run(args: argparse.Namespace) -> int:
    request = case_from_arguments(args)
    if request is None:
        return 2
    advisor = Advisor.from_folder(args.rules)
    found = explain(advisor.book, request, advisor.advise)
    if args.json:
        print(json.dumps([item.as_json() for item in found], ensure_ascii=False, indent=2))
    else:
        titles = {aid: advice.title(request.lang) for aid, advice in advisor.book.advice.items()}
        print(render_text(found, titles))
    return 0
