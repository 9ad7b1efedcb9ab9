"""Hypothesis strategies for /advise request bodies that favour the values where the rules change.

Every threshold the rules use (each region's first value, the value just below it and just above
it) and every effective date (and the days either side) are drawn often; any other value of the
API's domain can still be drawn. Bodies are JSON-ready dicts, optional fields sometimes left out.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, get_args

from hypothesis import strategies as st

from kb.facts import EARLIEST, HARASSMENT_KINDS, LATEST, AdviceRequest
from kb.model import RuleBook
from kb.verify.regions import Domain


def edges(domain: Domain, name: str, low: float, high: float, step: float) -> list[Any]:
    """Each cell's example value of a number, one step either side, within the input's range."""
    values: set[Any] = set()
    for value in domain.thresholds(name):
        if value is None:
            continue
        values |= {value, value - step, value + step}
    return sorted(v for v in values if low <= v <= high)


LEGAL_ACTIONS: list[str] = list(get_args(AdviceRequest.model_fields["legal_action"].annotation))


def effective_days(domain: Domain) -> list[date]:
    days = {EARLIEST, LATEST}
    for cut in domain.every_cut:
        days |= {cut - timedelta(days=1), cut, cut + timedelta(days=1)}
    return sorted(d for d in days if EARLIEST <= d <= LATEST)


def integers(favoured: list[int], low: int, high: int) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from(favoured), st.integers(low, high))


def request_bodies(book: RuleBook) -> st.SearchStrategy[dict[str, Any]]:
    """Valid /advise bodies for this book's thresholds and dates."""
    domain = Domain(book)
    days = edges(domain, "days_overdue", 0, 36500, 1)
    loans = edges(domain, "other_loans", 0, 1000, 1)
    rates = edges(domain, "annual_rate_percent", 0, 10000, 1) + edges(
        domain, "annual_rate_percent", 0, 10000, 0.01
    )
    dates = effective_days(domain)
    until_due = edges(domain, "days_until_due", 1, 365, 1)
    served = edges(domain, "served_days_ago", 0, 3650, 1)
    amounts = edges(domain, "amount_owed_yuan", 0, 100_000_000, 1)

    @st.composite
    def bodies(draw: st.DrawFn) -> dict[str, Any]:
        harassment = draw(st.booleans())
        body: dict[str, Any] = {
            "days_overdue": draw(integers(days, 0, 36500)),
            "harassment": harassment,
            "hardship": draw(st.sampled_from(["none", "temporary", "long_term"])),
            "credit_reported": draw(st.sampled_from(["yes", "no", "unknown"])),
        }
        optional: dict[str, st.SearchStrategy[Any]] = {
            "harassment_kinds": st.lists(st.sampled_from(HARASSMENT_KINDS), unique=True)
            if harassment
            else st.just([]),
            "first_time_borrower": st.sampled_from([True, False, None]),
            "lender_licensed": st.sampled_from(["yes", "no", "unknown"]),
            "annual_rate_percent": st.one_of(
                st.none(),
                st.sampled_from(rates),
                st.floats(0, 10000, allow_nan=False, allow_infinity=False),
            ),
            "legal_action": st.sampled_from(LEGAL_ACTIONS),
            "other_loans": integers(loans, 0, 1000),
            "debt_sold": st.booleans(),
            "plan_agreed": st.sampled_from(["none", "kept", "broken"]),
            "credit_card_debt": st.booleans(),
            "identity_misused": st.booleans(),
            "guarantee": st.sampled_from(["none", "company_paid", "personal_guarantor"]),
            "amount_owed_yuan": st.one_of(st.none(), st.sampled_from(amounts), st.floats(0, 100_000_000)),
            "student": st.booleans(),
            "safety_risk": st.booleans(),
            "lang": st.sampled_from(["zh", "en"]),
            "as_of": st.one_of(st.sampled_from(dates), st.dates(EARLIEST, LATEST)).map(date.isoformat),
        }
        for name, strategy in optional.items():
            if name == "as_of" or draw(st.booleans()):  # as_of always: the default is today's date
                body[name] = draw(strategy)
        # the 1.1 fields that go only with another's value
        if body["days_overdue"] == 0 and draw(st.booleans()):
            body["days_until_due"] = draw(integers(until_due, 1, 365))
        if body.get("legal_action", "none") != "none" and draw(st.booleans()):
            body["served_days_ago"] = draw(integers(served, 0, 3650))
        return body

    return bodies()
