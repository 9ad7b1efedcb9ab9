"""Static analysis of a rule book (`overdue-advisor lint`): one module per kind of finding.

Each check module has `KIND`, `applies(book)` and `find(analysis)`; they share one `Analysis`
(the domain cut into regions, and per-question tables) and only return findings. `lint` runs
them; the command line and the tests only present what it returns.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from kb.model import RuleBook
from kb.verify import (
    citations,
    conflicts,
    contract,
    dead_rules,
    gaps,
    invariants,
    letters,
    overlaps,
    preconditions,
    references,
    texts,
    unused_inputs,
)
from kb.verify.analysis import Analysis, TooLarge
from kb.verify.findings import Check, Finding

CHECKS: tuple[Check, ...] = (
    contract,
    references,
    texts,
    gaps,
    overlaps,
    dead_rules,
    conflicts,
    citations,
    invariants,
    preconditions,
    unused_inputs,
    letters,
)


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    regions: int
    seconds: float
    kb_version: str

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    def as_json(self) -> dict[str, Any]:
        return {
            "kb_version": self.kb_version,
            "regions": self.regions,
            "seconds": round(self.seconds, 3),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [f.as_json() for f in self.findings],
        }


def lint(book: RuleBook, checks: tuple[Check, ...] = CHECKS) -> Report:
    started = time.perf_counter()
    analysis = Analysis(book)
    findings: list[Finding] = []
    for check in checks:
        if not check.applies(book):
            continue
        try:
            findings.extend(check.find(analysis))
        except TooLarge as error:  # a check that could not finish says so, and the others still run
            findings.append(analysis.too_large(f"the {check.KIND} check", error, ()))
    return Report(tuple(findings), analysis.regions_analysed, time.perf_counter() - started, book.kb_version)
