"""Generated rule books of a given size, to show that the compiler scales (tests and bench/).

The shipped rules plus generated questions shaped like the ones lawyers write: each question is
asked only in some situations (`ask_if` on one or two facts, as court questions are asked only
after a court paper), and its branches split one fact into cases, each branch adding advice that
already exists. Deterministic for a given size and seed.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from kb.advisor import shipped_rules

# (fact, the tests an `ask_if` may use on it)
ASK: tuple[tuple[str, list[str]], ...] = (
    ("legal_action", ["{in: [payment_order]}", "{in: [lawsuit]}", "{in: [judgment]}", "{in: [none]}"]),
    ("hardship", ["{in: [temporary]}", "{in: [long_term]}", "{in: [none]}"]),
    ("lender_licensed", ['{in: ["no"]}', '{in: ["yes"]}', "{in: [unknown]}"]),
    ("credit_reported", ['{in: ["yes"]}', '{in: ["no"]}', "{in: [unknown]}"]),
    ("harassment_kinds", ["{contains: threats}", "{contains: visits}", "{contains: insults}"]),
    ("first_time_borrower", ["{is: true}", "{is: false}", "{is: null}"]),
)


def _split(fact: str, count: int, rng: random.Random) -> list[str]:
    """`count` branch conditions that together cover every value of a numeric fact."""
    top = {"days_overdue": 36500, "other_loans": 1000, "annual_rate_percent": 10000}[fact]
    cuts = sorted(rng.sample(range(1, min(top, 400)), count - 1))
    bounds = [0, *cuts]
    tests = []
    for i, low in enumerate(bounds):
        high = bounds[i + 1] - 1 if i + 1 < len(bounds) else None
        if fact == "annual_rate_percent":
            high_part = f", below: {bounds[i + 1]}" if high is not None else ""
            tests.append(f"{{{fact}: {{min: {low}{high_part}}}}}")
        else:
            high_part = f", max: {high}" if high is not None else ""
            tests.append(f"{{{fact}: {{min: {low}{high_part}}}}}")
    return tests


def questions_yaml(rules: int, seed: int = 7, branches: int = 10) -> str:
    """About `rules` generated rules in `rules // branches` questions, as one YAML file."""
    rng = random.Random(seed)
    advice = ["keep_records", "keep_evidence", "get_legal_help", "list_all_loans", "check_credit_report"]
    lines = ["questions:"]
    for q in range(max(1, rules // branches)):
        fact = rng.choice(["days_overdue", "other_loans", "annual_rate_percent"])
        asks = rng.sample(ASK, rng.choice([1, 2]))
        lines += [
            f"  generated_{q}:",
            f"    text: {{zh: 生成问题{q}, en: generated question {q}}}",
            "    choose: one",
            "    ask_if:",
            *(f"      {name}: {rng.choice(tests)}" for name, tests in asks),
            "    branches:",
        ]
        for b, test in enumerate(_split(fact, branches, rng)):
            when = test if fact != "annual_rate_percent" else f"{{all: [{test}]}}"
            lines += [
                f"      generated_{q}_{b}:",
                f"        label: {{zh: 情形{b}, en: case {b}}}",
                f"        when: {when}",
                f"        advice: [{rng.choice(advice)}]",
            ]
        if fact == "annual_rate_percent":  # an unknown rate is a case too
            lines += [
                f"      generated_{q}_unknown:",
                "        label: {zh: 不清楚, en: not known}",
                "        when: {annual_rate_percent: {known: false}}",
                f"        advice: [{rng.choice(advice)}]",
            ]
    return "\n".join(lines) + "\n"


def write_rules(folder: Path, rules: int, seed: int = 7) -> Path:
    """A copy of the shipped rules with about `rules` generated ones added, in `folder`."""
    source = shipped_rules()
    for path in source.rglob("*.yaml"):
        target = folder / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "zz_generated.yaml").write_text(questions_yaml(rules, seed), encoding="utf-8")
    return folder


def varied_facts(index: int, rng: random.Random) -> dict[str, Any]:
    """A valid request body, drawn to favour the generated thresholds' neighbourhoods."""
    harassment = rng.random() < 0.5
    kinds = ["contacts_third_parties", "threats", "insults", "call_bombing", "visits"]
    return {
        "days_overdue": rng.choice([0, 1, 7, 8, 30, 31, 90, 91, rng.randrange(400), rng.randrange(36501)]),
        "harassment": harassment,
        "harassment_kinds": rng.sample(kinds, rng.randrange(3)) if harassment else [],
        "hardship": rng.choice(["none", "temporary", "long_term"]),
        "credit_reported": rng.choice(["yes", "no", "unknown"]),
        "first_time_borrower": rng.choice([True, False, None]),
        "lender_licensed": rng.choice(["yes", "no", "unknown"]),
        "annual_rate_percent": rng.choice([None, 0, 24, 36, rng.randrange(400), rng.uniform(0, 10000)]),
        "legal_action": rng.choice(["none", "payment_order", "lawsuit", "judgment"]),
        "other_loans": rng.choice([0, 1, 2, 3, rng.randrange(400), 1000]),
        "as_of": rng.choice(["2025-12-21", "2026-01-15", "2026-04-01", "2026-11-29"]),
    }
