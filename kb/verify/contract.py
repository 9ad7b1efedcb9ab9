"""Contract: the rules' inputs are exactly the fields the API accepts (else no region is a request)."""

from __future__ import annotations

from collections.abc import Iterator

from kb.model import RuleBook
from kb.verify.analysis import Analysis
from kb.verify.findings import Finding

KIND = "contract"


def applies(book: RuleBook) -> bool:
    return True


def find(analysis: Analysis) -> Iterator[Finding]:
    for problem in analysis.domain.contract_problems:
        yield Finding(KIND, "error", problem.reason, (f"{problem.file}:{problem.line}",))
