"""`overdue-advisor explain`: the nearest changes of a case that change its advice, each checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import ARTICLE_CASE

from kb.advisor import Advisor
from kb.facts import AdviceRequest
from kb.verify.explain import explain

ROOT = Path(__file__).resolve().parent.parent


def test_counterfactuals_of_the_article_case_are_real_and_nearest() -> None:
    advisor = Advisor.from_folder()
    request = AdviceRequest.model_validate_json(json.dumps(ARTICLE_CASE))
    found = explain(advisor.book, request, advisor.advise)
    by_change = {(c.field, json.dumps(c.after)): c for c in found}
    day_8 = by_change[("days_overdue", "8")]  # the next day threshold, not any later day
    assert day_8.stage == ("just_overdue", "overdue_8_30")
    assert ("days_overdue", "9") not in by_change
    threats = by_change[("harassment_kinds", json.dumps(["contacts_third_parties", "threats"]))]
    assert "threats_call_police" in threats.added
    assert ("first_time_borrower", "false") in by_change
    given = {i.id for i in advisor.advise(request).actions + advisor.advise(request).avoid}
    for change in found:  # every counterfactual is what the engine answers for the changed case
        body = {**json.loads(request.model_dump_json()), change.field: change.after}
        other = advisor.advise(AdviceRequest.model_validate_json(json.dumps(body)))
        ids = {i.id for i in other.actions + other.avoid}
        assert (tuple(sorted(ids - given)), tuple(sorted(given - ids))) == (change.added, change.removed)


def test_explain_on_the_command_line() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kb",
            "explain",
            "--days-overdue",
            "7",
            "--harassment",
            "--hardship",
            "none",
            "--credit-reported",
            "no",
            "--as-of",
            "2026-11-29",
            "--lang",
            "en",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    changes = json.loads(done.stdout)
    assert {
        k: changes[0][k] for k in ("field", "from", "to")
    } == {"field": "days_overdue", "from": 7, "to": 8}
