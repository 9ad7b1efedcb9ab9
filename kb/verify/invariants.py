"""Invariants: properties lawyers write in rules/invariants.yaml, checked over every region.

Each check of an invariant's `then` is decided by joining question tables rather than by
enumerating every input: a required item is missing exactly where every question that could give
it does not (one join of those questions' narrowed tables with the `if`), and an unwanted item is
present where any one question gives it (one join per question). Every failure found is confirmed
on the whole answer for its example request. `violations` is also what the property tests apply
to real answers from raw inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from kb.model import Expectations, Invariant, RuleBook
from kb.reference import holds
from kb.verify.analysis import Analysis, Outcome, Part, TooLarge
from kb.verify.findings import Finding
from kb.verify.regions import Region, in_force_cuts

KIND = "invariant"


def applies(book: RuleBook) -> bool:
    return bool(book.invariants)


def covers(book: RuleBook, invariant: Invariant, facts: Mapping[str, Any], as_of: date) -> bool:
    """Whether the invariant speaks of this request."""
    return invariant.in_force.covers(as_of) and holds(book, invariant.given, book.derive(facts, as_of))


def violations(then: Expectations, outcome: Outcome) -> list[str]:
    """What an outcome lacks or holds against the invariant's `then`, in words (empty: it holds)."""
    found = []

    def need(label: str, wanted: tuple[str, ...], present: tuple[str, ...] | frozenset[str]) -> None:
        missing = [i for i in wanted if i not in present]
        if missing:
            found.append(f"{label} lack {', '.join(missing)}")

    def refuse(label: str, unwanted: tuple[str, ...], present: tuple[str, ...] | frozenset[str]) -> None:
        there = [i for i in unwanted if i in present]
        if there:
            found.append(f"{label} hold {', '.join(there)}")

    need("actions", then.actions_include, outcome.actions)
    refuse("actions", then.actions_exclude, outcome.actions)
    need("avoid items", then.avoid_include, outcome.avoid)
    refuse("avoid items", then.avoid_exclude, outcome.avoid)
    need("contacts", then.contacts_include, outcome.contacts)
    if then.contacts_include_any and not set(then.contacts_include_any) & set(outcome.contacts):
        found.append(f"contacts hold none of {', '.join(then.contacts_include_any)}")
    refuse("contacts", then.contacts_exclude, outcome.contacts)
    if then.first_action and outcome.actions[:1] != (then.first_action,):
        first = outcome.actions[0] if outcome.actions else "missing"
        found.append(f"the first action is {first}, not {then.first_action}")
    if then.first_contact and outcome.contacts[:1] != (then.first_contact,):
        first = outcome.contacts[0] if outcome.contacts else "missing"
        found.append(f"the first contact is {first}, not {then.first_contact}")
    need("citations", then.cites_include, outcome.cites)
    refuse("citations", then.cites_exclude, outcome.cites)
    refuse("tags", then.tags_exclude, outcome.tags)
    return found


Tables = list[Sequence[Part]]


def find(analysis: Analysis) -> Iterator[Finding]:
    book = analysis.book
    for iid, invariant in book.invariants.items():
        where = (str(invariant.defined_at),)
        try:
            premise = _premise(analysis, invariant)
            if not premise:
                yield Finding(
                    KIND,
                    "warning",
                    f"invariant '{iid}' speaks of no valid input: its 'if' never holds",
                    where,
                )
                continue
            failure = next(_failures(analysis, invariant, premise), None)
        except TooLarge as error:
            yield analysis.too_large(f"invariant '{iid}'", error, where)
            continue
        if failure is not None:
            region, found = failure
            path = [(qid, analysis.taken(qid, region.example, region.day)) for qid in book.questions]
            taken = [
                f"{rid} ({book.questions[qid].branches[rid].defined_at})"
                for qid, rids in path
                for rid in rids
            ]
            yield Finding(
                KIND,
                "error",
                f"invariant '{iid}' ({invariant.says.en}) fails, e.g. for {region.words()}: "
                + "; ".join(found),
                where,
                tuple(taken),
                region.example,
            )


def _premise(analysis: Analysis, invariant: Invariant) -> list[Part]:
    """The regions (over the `if`'s facts, cut at the dates that matter) that the invariant covers."""
    book = analysis.book
    cuts = in_force_cuts(invariant.in_force)
    for lid in (*invariant.then.cites_include, *invariant.then.cites_exclude):
        cuts |= in_force_cuts(book.laws[lid].in_force)
    return analysis.premise(invariant.given, analysis.domain.periods(cuts, invariant.in_force))


def _failures(
    analysis: Analysis, invariant: Invariant, premise: list[Part]
) -> Iterator[tuple[Region, list[str]]]:
    """Regions where the invariant fails, each confirmed on the whole answer of its example."""
    for tables in _searches(analysis, invariant.then, premise):
        for region in analysis.join(tables):
            found = violations(invariant.then, analysis.full_outcome(region))
            if found:
                yield region, found
                break


def _searches(analysis: Analysis, then: Expectations, premise: list[Part]) -> Iterator[Tables]:
    """The joins whose regions are exactly where each check of `then` can fail.

    Something is missing only where every question that could give it does not (one join of all
    of them); something unwanted is present where any one question gives it (one join each).
    """
    book = analysis.book

    def advice(qid: str, taken: tuple[str, ...]) -> set[str]:
        return {aid for rid in taken for aid in book.questions[qid].branches[rid].advice}

    def contacts(qid: str, taken: tuple[str, ...]) -> set[str]:
        return {cid for rid in taken for cid in book.questions[qid].branches[rid].contacts}

    def missing(items: set[str], of: Callable[[str, tuple[str, ...]], set[str]], base: list[Part]) -> Tables:
        tables: Tables = [base]
        for qid in _givers(book, items, of):
            tables.append(analysis.parts(qid, lambda taken, q=qid: not of(q, taken) & items))
        return tables

    def present(
        items: set[str], of: Callable[[str, tuple[str, ...]], set[str]], base: list[Part]
    ) -> Iterator[Tables]:
        for qid in _givers(book, items, of):
            yield [base, analysis.parts(qid, lambda taken, q=qid: bool(of(q, taken) & items))]

    for aid in (*then.actions_include, *then.avoid_include):
        yield missing({aid}, advice, premise)
    for aid in (*then.actions_exclude, *then.avoid_exclude):
        yield from present({aid}, advice, premise)
    for cid in then.contacts_include:
        yield missing({cid}, contacts, premise)
    if then.contacts_include_any:
        yield missing(set(then.contacts_include_any), contacts, premise)
    yield from present(set(then.contacts_exclude), contacts, premise)
    for lid in then.cites_include:
        law = book.laws[lid]
        yield [[part for part in premise if not law.in_force.covers(part.period.start)]]
        in_force = [part for part in premise if law.in_force.covers(part.period.start)]
        yield missing(_citing(book, {lid}), advice, in_force)
    for lid in then.cites_exclude:
        law = book.laws[lid]
        in_force = [part for part in premise if law.in_force.covers(part.period.start)]
        yield from present(_citing(book, {lid}), advice, in_force)
    tagged = {aid for aid, a in book.advice.items() if set(then.tags_exclude) & set(a.tags)}
    yield from present(tagged, advice, premise)
    if then.first_contact:
        # contacts come in the order of the rules giving them: which is first is decided by the
        # questions up to the last one that can give it, on their joint regions
        first = then.first_contact
        givers = _givers(book, {first}, contacts)
        if not givers:
            yield [premise]
        else:
            qids = list(book.questions)
            upto = qids[: qids.index(givers[-1]) + 1]
            yield [premise, *(analysis.parts(qid, lambda taken: True) for qid in upto)]
    if then.first_action:
        first = then.first_action
        bar = book.advice[first].priority
        yield missing({first}, advice, premise)
        urgent = {aid for aid, a in book.advice.items() if a.kind == "action" and a.priority < bar}
        yield from present(urgent, advice, premise)
        tied = {aid for aid, a in book.advice.items() if a.kind == "action" and a.priority == bar} - {first}
        if tied:
            # which of two equally urgent actions comes first depends on the order of the rules
            # giving them: decided on the joint regions of every question giving either
            every = _givers(book, tied | {first}, advice)
            yield [premise, *(analysis.parts(qid, lambda taken: True) for qid in every)]


def _givers(book: RuleBook, items: set[str], of: Callable[[str, tuple[str, ...]], set[str]]) -> list[str]:
    """The questions with a branch giving (or naming) any of `items`."""
    return [
        qid
        for qid, question in book.questions.items()
        if any(of(qid, (rid,)) & items for rid in question.branches)
    ]


def _citing(book: RuleBook, laws: set[str]) -> set[str]:
    return {aid for aid, a in book.advice.items() if laws & set(a.legal_basis)}
