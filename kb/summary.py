"""What a frightened borrower needs before any list: the summary of an answer, from the branches taken.

Everything here is chosen by the rules (headlines, reassurance and deadlines are listed by the
branches that fired; urgency is written per item and per branch); this module only picks, orders
and counts days. Pure functions of the rule book and the facts.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from kb.model import URGENCIES, Deadline, RuleBook, Urgency

FIRST_STEPS = 3


@dataclass(frozen=True)
class DeadlineDays:
    """A deadline counted for one case: `days_left` and `last_day` are None when the day the paper
    arrived (or the due date) is not known."""

    id: str
    days_left: int | None
    last_day: date | None


@dataclass(frozen=True)
class NextStage:
    id: str
    on_day: int
    in_days: int


def rules_taken(book: RuleBook, path: Iterable[tuple[str, Sequence[str]]]) -> list[Any]:
    return [book.questions[qid].branches[rid] for qid, taken in path for rid in taken]


def urgency_of(book: RuleBook, path: Iterable[tuple[str, Sequence[str]]]) -> dict[str, Urgency]:
    """Each item's urgency in this answer: the most urgent any branch taken gives it, then lowered
    to the cap of every branch taken that caps the items it does not give (`others_at_most`)."""
    rules = rules_taken(book, path)
    found: dict[str, Urgency] = {}
    for rule in rules:
        for advice_id in rule.advice:
            level = rule.urgency.get(advice_id, book.advice[advice_id].urgency)
            if advice_id not in found or URGENCIES.index(level) < URGENCIES.index(found[advice_id]):
                found[advice_id] = level
    for rule in rules:
        cap = rule.others_at_most
        if cap is None:
            continue
        for advice_id, level in found.items():
            if advice_id not in rule.advice and URGENCIES.index(level) < URGENCIES.index(cap):
                found[advice_id] = cap
    return found


def first_steps(
    book: RuleBook,
    path: Iterable[tuple[str, Sequence[str]]],
    actions: Sequence[str],
    urgency: Mapping[str, Urgency],
) -> tuple[str, ...]:
    """The first actions to take today, at most three: those the first branch taken that names its
    own first steps gives; else the most urgent for today; the first action when none is for today."""
    for rule in rules_taken(book, path):
        if rule.first_steps:
            return tuple(rule.first_steps)
    now = tuple(aid for aid in actions if urgency[aid] == "now")[:FIRST_STEPS]
    return now or tuple(actions[:1])


def headline(book: RuleBook, path: Iterable[tuple[str, Sequence[str]]]) -> str | None:
    """The id of the most urgent headline a branch taken names."""
    named = [rule.headline for rule in rules_taken(book, path) if rule.headline]
    return min(named, key=lambda hid: (book.headlines[hid].priority, named.index(hid)), default=None)


def _listed(book: RuleBook, path: Iterable[tuple[str, Sequence[str]]], attribute: str) -> list[str]:
    found: list[str] = []
    for rule in rules_taken(book, path):
        found.extend(ref for ref in getattr(rule, attribute) if ref not in found)
    return found


def reassurance(book: RuleBook, path: Iterable[tuple[str, Sequence[str]]]) -> tuple[str, ...]:
    listed = _listed(book, path, "reassurance")
    return tuple(sorted(listed, key=lambda rid: (book.reassurance[rid].priority, listed.index(rid))))


def deadline_ids(book: RuleBook, path: Iterable[tuple[str, Sequence[str]]]) -> tuple[str, ...]:
    return tuple(_listed(book, path, "deadlines"))


def count_deadline(
    deadline_id: str, deadline: Deadline, facts: Mapping[str, Any], as_of: date
) -> DeadlineDays:
    """Days left (negative once passed) and the last day, counted from the facts."""
    if deadline.counted_from == "due":
        days = facts.get("days_until_due")
        if days is None:
            return DeadlineDays(deadline_id, None, None)
        return DeadlineDays(deadline_id, days, as_of + timedelta(days=days))
    served = facts.get("served_days_ago")
    if served is None:
        return DeadlineDays(deadline_id, None, None)
    arrived = as_of - timedelta(days=served)
    if deadline.days is not None:
        last = arrived + timedelta(days=deadline.days)
    else:
        last = add_months(arrived, deadline.months or 0)
    return DeadlineDays(deadline_id, (last - as_of).days, last)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_stage(book: RuleBook, facts: Mapping[str, Any]) -> NextStage | None:
    """When the borrower's stage changes next, if it ever does."""
    stages = book.stages
    ahead = stages.ahead
    bands = sorted(stages.bands.items(), key=lambda item: item[1].min)
    if ahead is not None and facts.get(ahead.of) is not None:
        first_id, first = bands[0]
        return NextStage(first_id, first.min, int(facts[ahead.of]))
    days = facts[stages.of]
    later = [(band_id, band) for band_id, band in bands if band.min > days]
    if not later:
        return None
    band_id, band = later[0]
    return NextStage(band_id, band.min, band.min - days)
