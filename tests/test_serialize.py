"""The API's answer bytes, spliced from parts serialised once, are exactly the answer model's bytes."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from test_compiler import boundary_values, in_force_edges

from kb.advisor import Advisor, load_checked, shipped_rules
from kb.facts import AdviceRequest
from kb.serialize import DECISIONS
from kb.verify.scenarios import load_scenarios

SCENARIOS = Path(__file__).parent / "scenarios"


@pytest.fixture(scope="module")
def advisor() -> Advisor:
    return Advisor(load_checked(shipped_rules()))


def grid(advisor: Advisor, count: int) -> list[AdviceRequest]:
    """Valid requests drawn from every input's boundary values and every effective date."""
    book = advisor.book
    axes = {name: boundary_values(book, name) for name in book.inputs}
    days = [*in_force_edges(book), date(2026, 2, 15), date(2026, 11, 29)]
    pick = random.Random(11)
    found: list[AdviceRequest] = []
    while len(found) < count:
        point = {name: pick.choice(values) for name, values in axes.items()}
        body: dict[str, Any] = {
            k: sorted(v) if isinstance(v, frozenset) else v for k, v in point.items() if v is not None
        }
        body |= {"as_of": pick.choice(days).isoformat(), "lang": pick.choice(["zh", "en"])}
        body["detail"] = pick.choice(["full", "brief"])
        try:
            found.append(AdviceRequest.model_validate_json(json.dumps(body)))
        except ValueError:
            continue
    return found


def test_bytes_equal_the_model_over_the_grid(advisor: Advisor) -> None:
    differ = [r for r in grid(advisor, 3000) if advisor.advise_bytes(r) != advisor.advise(r).json_bytes()]
    assert differ == [], f"{len(differ)} differ, first: {differ[0].model_dump_json()}"


def test_bytes_equal_the_model_for_every_scenario(advisor: Advisor) -> None:
    checked = 0
    for scenario in load_scenarios(SCENARIOS, advisor.book):
        for lang in ("zh", "en"):
            for detail in ("full", "brief"):
                request = scenario.request.model_copy(update={"lang": lang, "detail": detail})
                assert advisor.advise_bytes(request) == advisor.advise(request).json_bytes(), scenario.where
                checked += 1
    assert checked >= 4 * 40


def test_decisions_are_kept_and_bounded(advisor: Advisor) -> None:
    writer = advisor.writer
    request = grid(advisor, 1)[0]
    first = advisor.advise_bytes(request)
    hits = writer.hits
    assert advisor.advise_bytes(request) == first
    assert writer.hits == hits + 1
    for other in grid(advisor, 300):
        advisor.advise_bytes(other)
    assert len(writer._decisions) <= DECISIONS
    assert writer.hits + writer.misses >= 302
