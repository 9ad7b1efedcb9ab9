"""Unused inputs: a request field that nothing in the answer depends on. A borrower who tells us
something the rules never read is answered as if she had not said it: a missing branch, or a field
the contract should not have."""

from __future__ import annotations

from collections.abc import Iterator

from kb.model import RuleBook
from kb.verify.analysis import Analysis
from kb.verify.findings import Finding
from kb.verify.regions import condition_facts

KIND = "unused_input"


def applies(book: RuleBook) -> bool:
    return True


def used_inputs(book: RuleBook) -> set[str]:
    """The inputs some condition of the tree or of a letter reads, or that the answer counts with."""
    used = {book.stages.of}
    if book.stages.ahead is not None:
        used.add(book.stages.ahead.of)  # the stage, the next stage and deadlines to the due date
    for question in book.questions.values():
        used |= condition_facts(book, question.ask_if)
        for rule in question.branches.values():
            used |= condition_facts(book, rule.when)
    for letter in book.letters.values():  # they choose the answer's documents
        used |= condition_facts(book, letter.when)
        if letter.limit is not None:
            used.add("served_days_ago")
    for name in list(used):
        if name in book.derived:
            used.add(book.derived[name].as_of_minus)
    if any(deadline.counted_from == "served" for deadline in book.deadlines.values()):
        used.add("served_days_ago")
    return used


def find(analysis: Analysis) -> Iterator[Finding]:
    book = analysis.book
    used = used_inputs(book)
    for name, spec in book.inputs.items():
        if name not in used:
            yield Finding(
                KIND,
                "error",
                f"input '{name}' changes nothing in any answer: no question, branch or letter reads it",
                (str(spec.defined_at),),
            )
