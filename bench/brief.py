"""What a brief answer weighs (issue 9), and the least contract 1.1 lets it weigh.

Two sets of borrowers: the core grid (every stage band's first and last day, with and without
harassment, each harassment kind alone and all of them together, every hardship and every
credit-report answer, the other facts left at their defaults) and the 1,000 varied requests of
bench.py (many optional facts at once). For each, in zh and en:

- the brief answer as sent, and gzip-compressed (what a client sending Accept-Encoding: gzip
  receives);
- the contract floor: only what API.md requires of a brief answer whatever else is cut (the
  versions, date, language, stage id and label, the summary, and each item's id, title, urgency
  and citation ids), serialised as compactly as the answer is. An answer whose floor is over
  6 KB cannot be a 6 KB brief answer without fewer items or a different contract.

Run: .venv/bin/python bench/brief.py [--rules DIR]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import statistics
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from common import varied_requests

from kb.advisor import Advisor, load_checked, rules_dir
from kb.facts import HARASSMENT_KINDS, AdviceRequest
from kb.model import RuleBook

LIMIT = 6 * 1024


def core_grid(book: RuleBook) -> Iterator[AdviceRequest]:
    days = sorted({d for band in book.stages.bands.values() for d in (band.min, min(band.max or 1096, 1096))})
    kinds: list[list[str]] = [[kind] for kind in HARASSMENT_KINDS] + [list(HARASSMENT_KINDS)]
    harassment = [(False, [])] + [(True, k) for k in kinds]
    for day, (harassed, chosen), hardship, reported in itertools.product(
        days, harassment, ["none", "temporary", "long_term"], ["yes", "no", "unknown"]
    ):
        yield AdviceRequest.model_validate(
            {
                "days_overdue": day,
                "harassment": harassed,
                "harassment_kinds": chosen,
                "hardship": hardship,
                "credit_reported": reported,
            }
        )


def compact(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def floor(brief: dict[str, Any]) -> int:
    """The bytes contract 1.1 requires of this brief answer, whatever else is left out."""

    def item(i: dict[str, Any]) -> dict[str, Any]:
        return {k: i[k] for k in ("id", "title", "urgency", "legal_basis")}

    kept = {k: brief[k] for k in ("kb_version", "api_version", "as_of", "lang", "summary")}
    kept["stage"] = {k: brief["stage"][k] for k in ("id", "label")}
    kept["actions"] = [item(i) for i in brief["actions"]]
    kept["avoid"] = [item(i) for i in brief["avoid"]]
    return compact(kept)


def report(name: str, advisor: Advisor, requests: list[AdviceRequest]) -> None:
    for lang in ("zh", "en"):
        sent, packed, least, items = [], [], [], []
        for request in requests:
            body = advisor.advise_bytes(request.model_copy(update={"lang": lang, "detail": "brief"}))
            answer = json.loads(body)
            sent.append(len(body))
            packed.append(len(gzip.compress(body, 6)))
            least.append(floor(answer))
            items.append(len(answer["actions"]) + len(answer["avoid"]))

        def line(label: str, sizes: list[int]) -> str:
            over = sum(size > LIMIT for size in sizes)
            return (
                f"{label} median {statistics.median(sizes) / 1024:.1f} KB, max {max(sizes) / 1024:.1f} KB, "
                f"{over} of {len(sizes)} over 6 KB"
            )

        middle = statistics.median(items)
        print(f"{name}, {lang}: {len(requests)} answers, items median {middle}, max {max(items)}")
        print("  " + line("brief as sent:", sent))
        print("  " + line("brief gzip:   ", packed))
        print("  " + line("contract floor:", least))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules")
    args = parser.parse_args()
    book = load_checked(rules_dir(args.rules))
    advisor = Advisor(book)
    print(f"rules: {rules_dir(args.rules)} ({book.kb_version}); 6 KB = {LIMIT} bytes")
    report("core grid", advisor, list(core_grid(book)))
    report("varied requests", advisor, varied_requests(1000))


if __name__ == "__main__":
    main()
