"""Shared fixtures: the mini rules on disk and as texts, a way to break a copy of them, and the
popular article's case."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

MINI = Path(__file__).parent / "fixtures" / "mini"


def read_texts(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.yaml"))}


def variant(texts: dict[str, str], file: str, old: str, new: str) -> dict[str, str]:
    """A copy of `texts` with `old` replaced by `new` in `file`; `old` must occur exactly once."""
    count = texts[file].count(old)
    assert count == 1, f"{old!r} occurs {count} times in {file}"
    return {**texts, file: texts[file].replace(old, new)}


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the only occurrence of `needle` in `text`."""
    assert text.count(needle) == 1, f"{needle!r} is not unique"
    return text[: text.index(needle)].count("\n") + 1


@pytest.fixture(scope="session")
def mini_dir() -> Path:
    return MINI


@pytest.fixture()
def mini_texts() -> dict[str, str]:
    return read_texts(MINI)


# The facts added in contract 1.1, at the values a 1.0 request means.
FACTS_1_1: dict[str, Any] = {
    "days_until_due": None,
    "served_days_ago": None,
    "debt_sold": False,
    "plan_agreed": "none",
    "credit_card_debt": False,
    "identity_misused": False,
    "guarantee": "none",
    "amount_owed_yuan": None,
    "student": False,
    "safety_risk": False,
}


def mini_facts(**changes: Any) -> dict[str, Any]:
    """Validated facts for the mini rules: every input at its plainest value, `changes` applied."""
    facts = {
        "days_overdue": 0,
        "harassment": False,
        "harassment_kinds": frozenset(),
        "hardship": "none",
        "credit_reported": "no",
        "first_time_borrower": None,
        "lender_licensed": "unknown",
        "annual_rate_percent": None,
        "legal_action": "none",
        "other_loans": 0,
        **FACTS_1_1,
    }
    return {**facts, **changes}


# The popular article's case: 22 years old, first loan, 8,000 yuan in 12 instalments, laid off in
# month 3; on day 7 of the overdue, collectors call her colleagues.
ARTICLE_CASE: dict[str, Any] = {
    "days_overdue": 7,
    "harassment": True,
    "harassment_kinds": ["contacts_third_parties"],
    "hardship": "long_term",
    "credit_reported": "unknown",
    "first_time_borrower": True,
    "as_of": "2026-11-29",
}


# A case for the mini rules that takes a branch of every question.
MINI_CASE: dict[str, Any] = {
    "days_overdue": 40,
    "harassment": True,
    "harassment_kinds": ["threats"],
    "hardship": "none",
    "credit_reported": "unknown",
    "first_time_borrower": True,
    "annual_rate_percent": 30,
    "as_of": "2026-01-05",
}
CLI = Path(sys.executable).parent / "overdue-advisor"


def for_the_server(folder: Path) -> Path:
    """`folder`, made the server's to write: started by root, the server runs as the service
    account, so the folder is handed to it."""
    if os.geteuid() == 0:
        from webapi.account import service_account

        account = service_account()
        os.chown(folder, account.pw_uid, account.pw_gid)
    return folder


@pytest.fixture()
def service_tmp() -> Iterator[Path]:
    """A folder the server may read and write: started by root, it runs as the service account,
    which cannot enter pytest's own tmp_path (below /tmp/pytest-of-root, 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="overdue-advisor-test-"))
    try:
        yield for_the_server(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def running_server(log: Path, workers: int = 2, rules: Path | None = None) -> Iterator[str]:
    """The production server, as `overdue-advisor serve` starts it on a free port (with the shipped
    rules, or those in `rules`); its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(CLI), "serve", "--port", str(port), "--workers", str(workers)]
            + (["--rules", str(rules)] if rules else []),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or workers still loading
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"server did not start:\n{log.read_text()}")
            time.sleep(0.2)
        try:
            yield base
        finally:
            process.terminate()
            process.wait(timeout=20)
