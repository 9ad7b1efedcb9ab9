"""End to end through the real production server: gunicorn started by `overdue-advisor serve`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import running_server

from kb.advisor import Advisor
from kb.facts import HARASSMENT_KINDS, AdviceRequest

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    log = tmp_path_factory.mktemp("server") / "gunicorn.log"
    with running_server(log, workers=2) as base:
        yield base, log


def readme_example() -> tuple[dict[str, Any], dict[str, Any]]:
    """The curl body in the README and the answer excerpt shown under it."""
    text = README.read_text(encoding="utf-8")
    body = re.search(r"curl [^\n]*/advise[^\n]*\n(?:[^\n]*\n)*?\s*-d '(\{.*?\})'", text, re.S)
    shown = re.search(r"```json\n(\{.*?\})\n```", text, re.S)
    assert body and shown, "the README shows a curl example of /advise and its answer"
    return json.loads(body.group(1)), json.loads(shown.group(1))


def test_readme_example(server: tuple[str, Path]) -> None:
    base, _ = server
    body, shown = readme_example()
    response = requests.post(f"{base}/advise", json=body, timeout=10)
    assert response.status_code == 200
    answer = response.json()
    for key, value in shown.items():
        if key in ("actions", "avoid", "contacts"):
            # the README shows the first items, trimmed to id and title
            assert len(answer[key]) >= len(value), key
            for expected, actual in zip(value, answer[key], strict=False):
                assert {k: actual[k] for k in expected} == expected
        else:
            assert answer[key] == value, key


def test_readme_brief_example(server: tuple[str, Path]) -> None:
    """The README's brief answer with a deadline: the request shown, and the excerpt under it."""
    base, _ = server
    text = README.read_text(encoding="utf-8")
    body = re.search(r"curl [^\n]*/advise[^\n]*\n\s*-d '(\{[^']*\"detail\": \"brief\"\})'", text)
    blocks = re.findall(r"```json\n(\{.*?\})\n```", text, re.S)
    assert body and len(blocks) >= 2, "the README shows a brief answer"
    shown = json.loads(blocks[1])
    answer = requests.post(f"{base}/advise", json=json.loads(body.group(1)), timeout=10).json()
    assert answer["summary"] == shown["summary"]
    assert answer["summary"]["deadlines"][0]["days_left"] == 5
    assert answer["actions"][: len(shown["actions"])] == shown["actions"]
    assert answer["documents"] == shown["documents"]


def test_errors_through_the_server(server: tuple[str, Path]) -> None:
    base, _ = server
    refused = requests.post(
        f"{base}/advise", data="[]", headers={"Content-Type": "application/json"}, timeout=10
    )
    assert refused.status_code == 400
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert requests.post(f"{base}/advise", data="x", timeout=10).status_code == 415
    assert requests.put(f"{base}/advise", json={}, timeout=10).status_code == 405
    assert requests.get(f"{base}/missing", timeout=10).status_code == 404
    big = requests.post(
        f"{base}/advise",
        data="{" + " " * 70_000 + "}",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert big.status_code == 413


def _varied(i: int) -> dict[str, Any]:
    kinds = HARASSMENT_KINDS
    harassed = i % 3 == 0
    return {
        "days_overdue": [0, 1, 7, 8, 30, 31, 90, 91, 400][i % 9],
        "harassment": harassed,
        "harassment_kinds": [kinds[i % 7], kinds[(i + 3) % 7]] if harassed else [],
        "hardship": ["none", "temporary", "long_term"][i % 3],
        "credit_reported": ["yes", "no", "unknown"][(i // 3) % 3],
        "first_time_borrower": [True, False, None][(i // 9) % 3],
        "lender_licensed": ["yes", "no", "unknown"][(i // 2) % 3],
        "annual_rate_percent": [None, 12.5, 24, 36][i % 4],
        "legal_action": ["none", "payment_order", "lawsuit", "judgment"][(i // 4) % 4],
        "other_loans": i % 5,
        "lang": ["zh", "en"][i % 2],
        "as_of": ["2025-06-01", "2026-01-15", "2026-11-29"][i % 3],
    }


def test_sixteen_threads_every_answer_correct(server: tuple[str, Path]) -> None:
    base, log = server
    advisor = Advisor.from_folder()
    bodies = [_varied(i) for i in range(1600)]
    expected = [
        advisor.advise(AdviceRequest.model_validate_json(json.dumps(b))).model_dump_json() for b in bodies
    ]

    def call(i: int) -> tuple[int, int, str]:
        with requests.Session() as session:
            response = session.post(f"{base}/advise", json=bodies[i], timeout=30)
            return i, response.status_code, response.text

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(call, range(len(bodies))))
    assert [status for _, status, _ in results] == [200] * len(bodies)
    wrong = [i for i, _, text in results if text != expected[i]]
    assert wrong == []
    # no borrower's facts in the server's log: paths only, no query, no client address
    access = [line for line in log.read_text().splitlines() if "POST /advise" in line]
    assert len(access) >= len(bodies)
    assert not [line for line in access if "127.0.0.1" in line or "days_overdue" in line]
