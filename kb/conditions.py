"""Conditions as data: the parsed form of a rule's `when` and a question's `ask_if`.

A condition is a tree of `Test` leaves combined by `All`, `AnyOf` and `Not`. The parser only
checks the shape; whether a fact exists and fits its constraint is checked by the loader, which
knows the declared inputs. Every node keeps `path`, its position inside the YAML mapping it came
from, so that a problem can be reported at its line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

# A constraint name and the type its value must have; `is` takes true, false or null.
CONSTRAINTS: dict[str, str] = {
    "in": "list",
    "is": "boolean or null",
    "min": "number or date",
    "max": "number or date",
    "above": "number or date",
    "below": "number or date",
    "contains": "text",
    "empty": "boolean",
    "known": "boolean",
}
COMBINATORS = ("all", "any", "not")

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Test:
    fact: str
    op: str
    value: Any
    path: Path = ()


@dataclass(frozen=True)
class All:
    parts: tuple[Condition, ...]
    path: Path = ()


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]
    path: Path = ()


@dataclass(frozen=True)
class Not:
    part: Condition
    path: Path = ()


Condition = Test | All | AnyOf | Not
ALWAYS = All(())


class ConditionError(ValueError):
    """A malformed condition; `path` says where inside the mapping."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


def parse(raw: Any, path: Path = ()) -> Condition:
    """Turn the YAML mapping of a condition into a tree, or raise ConditionError."""
    if isinstance(raw, (Test, All, AnyOf, Not)):
        return raw
    if raw is None:
        return ALWAYS
    if not isinstance(raw, dict):
        raise ConditionError(path, f"a condition is a mapping, not {_kind(raw)}")
    parts: list[Condition] = []
    for key, value in raw.items():
        where = (*path, key)
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise ConditionError(where, f"'{key}' takes a non-empty list of conditions")
            items = tuple(parse(item, (*where, i)) for i, item in enumerate(value))
            parts.append(All(items, where) if key == "all" else AnyOf(items, where))
        elif key == "not":
            parts.append(Not(parse(value, where), where))
        elif isinstance(key, str):
            parts.extend(_parse_tests(key, value, where))
        else:
            raise ConditionError(where, f"a fact name is text, not {_kind(key)}")
    if len(parts) == 1:
        return parts[0]
    return All(tuple(parts), path)


def _parse_tests(fact: str, raw: Any, path: Path) -> Iterator[Test]:
    if not isinstance(raw, dict) or not raw:
        raise ConditionError(path, f"'{fact}' takes a mapping of constraints ({', '.join(CONSTRAINTS)})")
    for op, value in raw.items():
        where = (*path, op)
        if op not in CONSTRAINTS:
            raise ConditionError(where, f"unknown constraint '{op}' (allowed: {', '.join(CONSTRAINTS)})")
        if not _fits(op, value):
            raise ConditionError(where, f"'{op}' takes {CONSTRAINTS[op]}, not {_kind(value)}")
        yield Test(fact, op, tuple(value) if op == "in" else value, where)


def _fits(op: str, value: Any) -> bool:
    expected = CONSTRAINTS[op]
    if expected == "list":
        return isinstance(value, list) and bool(value)
    if expected == "boolean or null":
        return value is None or isinstance(value, bool)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "number or date":
        return isinstance(value, (int, float, date)) and not isinstance(value, (bool, datetime))
    return isinstance(value, str)


def _kind(value: Any) -> str:
    return type(value).__name__ if value is not None else "null"


def tests(condition: Condition) -> Iterator[Test]:
    """Every leaf of a condition, in order."""
    if isinstance(condition, Test):
        yield condition
    elif isinstance(condition, Not):
        yield from tests(condition.part)
    else:
        for part in condition.parts:
            yield from tests(part)
