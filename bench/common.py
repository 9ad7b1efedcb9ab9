"""Inputs shared by the benchmark and the soak: a varied, deterministic set of borrowers."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from kb.facts import HARASSMENT_KINDS, AdviceRequest

KINDS = list(HARASSMENT_KINDS)


def varied_body(i: int) -> dict[str, Any]:
    harassed = i % 3 == 0
    actions = ["none", "payment_order", "lawsuit", "judgment", "arbitration", "enforcement"]
    legal_action = actions[(i // 11) % 6]
    return {
        "days_overdue": [0, 1, 5, 7, 8, 20, 30, 31, 60, 90, 91, 200, 1000][i % 13],
        "harassment": harassed,
        "harassment_kinds": sorted({KINDS[i % len(KINDS)], KINDS[(i * 5) % len(KINDS)]}) if harassed else [],
        "hardship": ["none", "temporary", "long_term"][(i // 2) % 3],
        "credit_reported": ["yes", "no", "unknown"][(i // 3) % 3],
        "first_time_borrower": [True, False, None][(i // 5) % 3],
        "lender_licensed": ["yes", "no", "unknown"][(i // 7) % 3],
        "annual_rate_percent": [None, 8.5, 24, 24.01, 36, 400][i % 6],
        "legal_action": legal_action,
        "other_loans": [0, 1, 2, 3, 10][i % 5],
        **({"served_days_ago": [0, 10, 15, 16, 40, 200][i % 6]} if legal_action != "none" else {}),
        "debt_sold": i % 17 == 0,
        "plan_agreed": ["none", "none", "kept", "broken"][(i // 13) % 4],
        "credit_card_debt": i % 4 == 1,
        "identity_misused": i % 29 == 0,
        "guarantee": ["none", "none", "company_paid", "personal_guarantor"][(i // 19) % 4],
        "amount_owed_yuan": [None, 800, 8000, 10000, 50000][(i // 23) % 5],
        "student": i % 31 == 0,
        "safety_risk": i % 37 == 0,
        "lang": ["zh", "en"][i % 2],
        "as_of": ["2025-06-01", "2025-12-31", "2026-01-01", "2026-03-31", "2026-04-01", "2026-11-29"][i % 6],
    }


def varied_requests(count: int) -> list[AdviceRequest]:
    return [AdviceRequest.model_validate_json(json.dumps(varied_body(i))) for i in range(count)]


def rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def timed(action: Callable[[], object], repeat: int) -> float:
    """Median seconds of `repeat` runs."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)
