"""Mutation check: make every mutant of the shipped rules (kb.verify.mutants) and report what
catches each one: the loader, lint (with the invariants) or the scenario files.

    .venv/bin/python bench/mutation.py [--every-killer] [--survivors]

Prints the kill rate overall and per kind of mutant. With --every-killer every mutant is also
linted after a scenario caught it, to show what each safety net catches on its own (slower).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from kb.advisor import shipped_rules
from kb.loader import load_texts, read_folder
from kb.verify.mutants import Baseline, Verdict, judge, mutants
from kb.verify.scenarios import load_scenarios

SCENARIOS = Path(__file__).resolve().parent.parent / "tests" / "scenarios"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every-killer", action="store_true", help="lint every mutant, not only survivors")
    parser.add_argument("--survivors", action="store_true", help="list every surviving mutant")
    args = parser.parse_args()
    texts = read_folder(shipped_rules())
    original = load_texts(texts)
    scenarios = load_scenarios(SCENARIOS, original)
    started = time.perf_counter()
    baseline = Baseline.of(original, scenarios)
    verdicts = [judge(m, baseline, args.every_killer) for m in mutants(texts)]
    seconds = time.perf_counter() - started
    equivalent = [v for v in verdicts if v.equivalent]
    counted = [v for v in verdicts if not v.equivalent]
    killed = [v for v in counted if v.killed]
    print(
        f"{len(verdicts)} mutants in {seconds:.1f} s; "
        f"{len(equivalent)} equivalent (no probe request sees a change)"
    )
    print(
        f"kill rate: {len(killed)}/{len(counted)} = {len(killed) / len(counted):.1%} "
        "of the mutants that change answers"
    )
    print(f"           {len(killed)}/{len(verdicts)} = {len(killed) / len(verdicts):.1%} of all mutants")
    by_killer = Counter(k for v in killed for k in v.killed_by)
    print("caught by: " + ", ".join(f"{k} {n}" for k, n in sorted(by_killer.items())))
    per_operator: dict[str, list[Verdict]] = {}
    for verdict in verdicts:
        per_operator.setdefault(verdict.mutant.operator, []).append(verdict)
    for operator, group in per_operator.items():
        live = [v for v in group if not v.equivalent]
        caught = sum(v.killed for v in live)
        print(f"  {operator:<17} {caught:>4}/{len(live):<4} killed, {len(group) - len(live):>3} equivalent")
    if args.survivors:
        for verdict in verdicts:
            if not verdict.killed:
                label = "equivalent" if verdict.equivalent else "SURVIVED  "
                print(f"  {label} {verdict.mutant.operator}: {verdict.mutant.name}")
                if verdict.differs_on is not None:
                    print(f"             differs on {json.dumps(dict(verdict.differs_on))}")


if __name__ == "__main__":
    main()
