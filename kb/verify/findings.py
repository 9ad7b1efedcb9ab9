"""What a check finds: a kind, a severity, words, where in the rules, and an example input."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from kb.model import RuleBook, Source

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: Severity
    message: str
    at: tuple[str, ...] = ()  # file:line of each thing named, the first being where to look
    rules: tuple[str, ...] = ()
    example: Mapping[str, Any] | None = field(default=None, compare=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "at": list(self.at),
            "rules": list(self.rules),
            "example": dict(self.example) if self.example is not None else None,
        }

    def lines(self) -> list[str]:
        where = self.at[0] if self.at else "rules"
        out = [f"{where}: {self.severity}[{self.kind}]: {self.message}"]
        if self.rules:
            out.append(f"    rules: {', '.join(self.rules)}")
        if len(self.at) > 1:
            out.append(f"    see: {', '.join(self.at[1:])}")
        if self.example is not None:
            out.append(f"    example: {json.dumps(dict(self.example), ensure_ascii=False)}")
        return out


def located(ids: Sequence[str], sources: Sequence[Source]) -> tuple[str, ...]:
    """`id (file:line)` for each id, for messages."""
    return tuple(f"{i} ({s})" for i, s in zip(ids, sources, strict=True))


class Check(Protocol):
    """One kind of finding (dmn-check style): does it apply to this book, and what did it find?"""

    KIND: str

    def applies(self, book: RuleBook) -> bool: ...

    def find(self, analysis: Any) -> Iterator[Finding]: ...
