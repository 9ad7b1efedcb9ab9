"""Shared fixtures: the mini rules on disk and as texts, a way to break a copy of them, and the
popular article's case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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
