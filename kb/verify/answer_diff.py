"""What an edit changes in what whole answers show, beyond any one question.

Some of what an answer shows comes from several questions at once: the urgency shown on an item
(the most urgent any branch taken gives it), the order of the actions and of the things to avoid
(by that urgency, then priority, then the first rule that gives them), the summary's first steps
(those of the first branch taken that names them, else the first three actions for today) and its
headline (the most urgent a branch taken names). `diff` compares each question alone; this pass
compares these.

Each property is a function of a known set of questions: an item's shown urgency, of the questions
that give it; the order of two items, of the questions that give either; the first steps, of every
question that gives an action or names first steps; the headline, of every question that names
one. Its regions are the regions of those questions joined: one cell of every fact they read and
one period of all their dates. Every request in a joined region shows the same, so one example
stands for all, and the count of regions is exact.

The join never enumerates the cross product (for the first steps it would hold some 10^12
regions). Questions are added one at a time; a partial region is kept only as the cells of the
facts that questions still to come read (or that a valid request constrains together) and as what
the property needs of it so far, with the number of regions it stands for; partial regions alike
in both are merged. A state that is the same in both books, once no question still to come gives
anything different, is settled. The edit's questions come first, so most partial regions settle
early. Regions where no question differs cost nothing beyond one comparison per set of branches
taken: for unchanged rules no property is even joined.

A join that would keep more than MAX_REGIONS partial regions apart at once is not completed: the
property is compared on regions drawn uniformly at random instead, and the change says so.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kb.facts import COMPANIONS
from kb.model import URGENCIES, RuleBook
from kb.verify.regions import MAX_REGIONS, Cell, Domain, Period, Region

KINDS = ("effective_urgency", "effective_order", "first_steps", "headline")
SAMPLE = 2000  # regions drawn for a join too large to complete
PERIOD = "as_of"  # the dates, joined like a fact whose cells are the periods
LARGE = 7  # questions sharing a fact with this many cells or more are joined one after the other
SAME: Hashable = "the same in both books"

Taken = tuple[tuple[str, ...], tuple[str, ...]]  # the branches each book takes: base, new


@dataclass(frozen=True)
class Row:
    """One region of one question and the branches each version of the rules takes in it."""

    region: Region
    taken: Taken


@dataclass(frozen=True)
class Shown:
    """What a property shows differently: `what` groups the regions; `detail` and `mentions` (the
    ids it names) are those of the first region found."""

    what: str
    detail: str = ""
    mentions: frozenset[str] = frozenset()


@dataclass
class Found:
    """One whole-answer change: in `regions` of the `compared` joined regions of `joined`."""

    kind: str
    shown: Shown
    joined: tuple[str, ...]
    regions: int
    compared: int
    sampled: int  # when not 0, the regions were counted among this many drawn at random
    cells: tuple[Cell, ...]
    period: Period


@dataclass
class Outcome:
    found: list[Found] = field(default_factory=list)
    regions: int = 0  # joined regions compared, over every property
    notes: list[str] = field(default_factory=list)


class TooLarge(Exception):
    pass


# --- each book -----------------------------------------------------------------------------------


class Side:
    """One rule book, as the whole-answer properties read it."""

    def __init__(self, book: RuleBook) -> None:
        self.book = book
        self.qindex = {qid: i for i, qid in enumerate(book.questions)}
        self.rindex = {(qid, rid): i for qid, q in book.questions.items() for i, rid in enumerate(q.branches)}
        self.givers: dict[str, set[str]] = {}
        self.urgent_givers: dict[str, set[str]] = {}  # the questions that give an item for today
        self.keys: dict[str, set[tuple[int, int]]] = {}  # every (urgency, priority) an item can have
        self.cappers: set[str] = set()  # questions with a branch that caps what others give
        caps: set[int] = set()
        for qid, question in book.questions.items():
            for rule in question.branches.values():
                if rule.others_at_most is not None:
                    self.cappers.add(qid)
                    caps.add(URGENCIES.index(rule.others_at_most))
                for aid in rule.advice:
                    level = self.level(rule, aid)
                    self.givers.setdefault(aid, set()).add(qid)
                    if level == 0:
                        self.urgent_givers.setdefault(aid, set()).add(qid)
                    self.keys.setdefault(aid, set()).add((level, book.advice[aid].priority))
        for keys in self.keys.values():  # a cap can lower an item to its urgency
            keys |= {(cap, priority) for level, priority in list(keys) for cap in caps if cap > level}
        self._branches: dict[tuple[str, str], tuple[Any, ...]] = {}

    def level(self, rule: Any, aid: str) -> int:
        """An item's urgency on a branch, as an index into URGENCIES (0: now)."""
        return URGENCIES.index(rule.urgency.get(aid, self.book.advice[aid].urgency))

    def cap(self, qid: str, taken: Sequence[str], aid: str) -> int | None:
        """The lowest urgency the branches taken cap `aid` to (`others_at_most` of a branch that
        does not give it), as an index into URGENCIES; None when none caps it."""
        found = [
            URGENCIES.index(rule.others_at_most)
            for _, rule in self.rules(qid, taken)
            if rule.others_at_most is not None and aid not in rule.advice
        ]
        return max(found, default=None)

    def caps(self, qid: str, taken: Sequence[str]) -> tuple[tuple[int, frozenset[str]], ...]:
        """The caps of the branches taken, each with the items its branch gives (which it spares)."""
        return tuple(
            (URGENCIES.index(rule.others_at_most), frozenset(rule.advice))
            for _, rule in self.rules(qid, taken)
            if rule.others_at_most is not None
        )

    def rules(self, qid: str, taken: Sequence[str]) -> Iterator[tuple[tuple[int, int], Any]]:
        """The rules taken, each with its place in the tree."""
        question = self.book.questions.get(qid)
        if question is None:
            return
        for rid in taken:
            yield (self.qindex[qid], self.rindex[qid, rid]), question.branches[rid]

    def content(self, qid: str, taken: Sequence[str]) -> tuple[Any, ...]:
        """All of a question's part of an answer that the whole-answer properties read: per branch
        taken, its items (with urgency, priority, kind), its first steps and its headline."""
        return tuple(self.branch(qid, rid) for rid in taken)

    def branch(self, qid: str, rid: str) -> tuple[Any, ...]:
        found = self._branches.get((qid, rid))
        if found is None:
            book = self.book
            rule = book.questions[qid].branches[rid]
            items = tuple(
                (aid, self.level(rule, aid), book.advice[aid].priority, book.advice[aid].kind)
                for aid in rule.advice
            )
            head = (rule.headline, book.headlines[rule.headline].priority) if rule.headline else None
            found = self._branches[qid, rid] = (items, rule.first_steps, head, rule.others_at_most)
        return found


# --- the properties ------------------------------------------------------------------------------


class Property:
    """A whole-answer property of the questions `joined`, folded one question at a time.

    `part` is what one question's branches taken contribute in each book, with everything the
    property reads of the rules (urgency, priority, place in the tree), so that equal parts have
    equal effects. `step` adds a part to a partial state, and may forget what can no longer matter
    once only `remaining` questions are to come; `result` compares the two books' final states.
    """

    kind = ""
    joined: tuple[str, ...] = ()

    def __init__(self, sides: tuple[Side, Side]) -> None:
        self.sides = sides

    def part(self, qid: str, taken: Taken) -> Hashable:
        return tuple(
            self.part_of(side, qid, branches) for side, branches in zip(self.sides, taken, strict=True)
        )

    def part_of(self, side: Side, qid: str, taken: Sequence[str]) -> Hashable:
        raise NotImplementedError

    def start(self) -> Hashable:
        return (self.start_of(), self.start_of())

    def start_of(self) -> Hashable:
        return None

    def step(self, state: Any, part: Any, remaining: frozenset[str]) -> Hashable:
        if state is SAME:
            return SAME
        return tuple(
            self.step_of(side, s, p, remaining) for side, s, p in zip(self.sides, state, part, strict=True)
        )

    def step_of(self, side: Side, state: Any, part: Any, remaining: frozenset[str]) -> Hashable:
        raise NotImplementedError

    def result(self, state: Any) -> Shown | None:
        """What the two books show differently, or None when they show the same."""
        return None if state is SAME else self.compare(*state)

    def compare(self, before: Any, after: Any) -> Shown | None:
        raise NotImplementedError


def _least(state: Any, part: Any) -> Any:
    return part if state is None else state if part is None else min(state, part)


def _most(state: Any, part: Any) -> Any:
    return part if state is None else state if part is None else max(state, part)


def _capped(level: int, cap: int | None) -> int:
    """An urgency (index) lowered to a cap (index), if any."""
    return level if cap is None else max(level, cap)


def _cap_of(caps: Iterable[tuple[int, frozenset[str]]], aid: str) -> int | None:
    return max((cap for cap, spared in caps if aid not in spared), default=None)


def _mark(old: Any, new: Any) -> Any:
    """An item given twice, as (urgency, priority, kind, place): the more urgent, the first place."""
    if old is None or new is None:
        return new if old is None else old
    return (min(old[0], new[0]), old[1], old[2], min(old[3], new[3]))


class ShownUrgency(Property):
    """The urgency shown on one item: the most urgent any branch taken gives it, lowered to the
    cap of any branch taken that caps what others give."""

    kind = "effective_urgency"

    def __init__(self, sides: tuple[Side, Side], item: str) -> None:
        super().__init__(sides)
        self.item = item
        questions = set().union(*(s.givers.get(item, set()) | s.cappers for s in sides))
        self.joined = _in_tree_order(sides, questions)

    def part_of(self, side: Side, qid: str, taken: Sequence[str]) -> Hashable:
        levels = [
            side.level(rule, self.item) for _, rule in side.rules(qid, taken) if self.item in rule.advice
        ]
        return min(levels, default=None), side.cap(qid, taken, self.item)

    def start_of(self) -> Hashable:
        return (None, None)

    def step_of(self, side: Side, state: Any, part: Any, remaining: frozenset[str]) -> Hashable:
        return _least(state[0], part[0]), _most(state[1], part[1])

    def compare(self, before: Any, after: Any) -> Shown | None:
        if before[0] is None or after[0] is None:
            return None  # given in one book only: the question's advice change says so
        old, new = (URGENCIES[_capped(level, cap)] for level, cap in (before, after))
        return urgency_change(self.item, old, new)


class PairOrder(Property):
    """Which of two items of one list (actions, or things to avoid) an answer shows first: by the
    urgency shown, then priority, then the first place in the tree that gives it."""

    kind = "effective_order"

    def __init__(self, sides: tuple[Side, Side], first: str, second: str) -> None:
        super().__init__(sides)
        self.pair = (first, second)
        givers = set().union(*(s.givers.get(aid, set()) for s in sides for aid in self.pair))
        self.joined = _in_tree_order(sides, givers | set().union(*(s.cappers for s in sides)))

    def part_of(self, side: Side, qid: str, taken: Sequence[str]) -> Hashable:
        marks: list[Any] = [None, None]
        for (q, r), rule in side.rules(qid, taken):
            for i, aid in enumerate(self.pair):
                if aid in rule.advice:
                    advice = side.book.advice[aid]
                    place = (q, r, rule.advice.index(aid))
                    marks[i] = _mark(marks[i], (side.level(rule, aid), advice.priority, advice.kind, place))
        return (*marks, *(side.cap(qid, taken, aid) for aid in self.pair))

    def start_of(self) -> Hashable:
        return (None, None, None, None)

    def step_of(self, side: Side, state: Any, part: Any, remaining: frozenset[str]) -> Hashable:
        marks = tuple(_mark(s, p) for s, p in zip(state[:2], part[:2], strict=True))
        return (*marks, *(_most(s, p) for s, p in zip(state[2:], part[2:], strict=True)))

    def compare(self, before: Any, after: Any) -> Shown | None:
        if None in before[:2] or None in after[:2]:
            return None
        before, after = (
            tuple((_capped(m[0], cap), *m[1:]) for m, cap in zip(state[:2], state[2:], strict=True))
            for state in (before, after)
        )
        kinds = {mark[2] for mark in (*before, *after)}
        if len(kinds) != 1:
            return None  # the two are in different lists, or an item changed lists (an advice change)
        old, new = (
            self.pair if (a[0], a[1], a[3]) < (b[0], b[1], b[3]) else self.pair[::-1]
            for a, b in (before, after)
        )
        return order_change(kinds.pop(), old, new)


class FirstSteps(Property):
    """The summary's first steps: those of the first branch taken that names them, else the first
    three actions for today, else the first action.

    A state is the first branch naming steps so far, or else the actions so far, each as (urgency,
    priority, first place). While questions remain it keeps only the actions that can still be
    among the first steps: of those no remaining question gives, the first three for today and,
    while none is for today, the first of all; of the others, those that may yet be for today and
    are not outranked by three settled ones, and, while none is for today, every one. Nothing given
    later can lift an action dropped into the first steps, and one dropped is dropped again when
    given again.
    """

    kind = "first_steps"

    def __init__(self, sides: tuple[Side, Side]) -> None:
        super().__init__(sides)
        joined = set()
        for side in sides:
            for qid, question in side.book.questions.items():
                for rule in question.branches.values():
                    if rule.first_steps or any(side.book.advice[a].kind == "action" for a in rule.advice):
                        joined.add(qid)
        self.joined = _in_tree_order(sides, joined)

    def part_of(self, side: Side, qid: str, taken: Sequence[str]) -> Hashable:
        named = None
        items: dict[str, Any] = {}
        for (q, r), rule in side.rules(qid, taken):
            if rule.first_steps and named is None:
                named = ((q, r), tuple(rule.first_steps))
            for k, aid in enumerate(rule.advice):
                advice = side.book.advice[aid]
                if advice.kind == "action":
                    items[aid] = _mark(
                        items.get(aid), (side.level(rule, aid), advice.priority, "", (q, r, k))
                    )
        marks = tuple(sorted((aid, (m[0], m[1], m[3])) for aid, m in items.items()))
        return named, marks, side.caps(qid, taken)

    def start_of(self) -> Hashable:
        return (None, (), ())

    def step_of(self, side: Side, state: Any, part: Any, remaining: frozenset[str]) -> Hashable:
        named = min((n for n in (state[0], part[0]) if n is not None), default=None)
        if named is not None:
            return named, (), ()  # a branch naming its own first steps decides, whatever else is given
        caps = tuple(sorted(set(state[2]) | set(part[2]), key=lambda c: (c[0], sorted(c[1]))))
        items = dict(state[1])
        for aid, key in part[1]:
            old = items.get(aid)
            items[aid] = key if old is None else (min(old[0], key[0]), key[1], min(old[2], key[2]))
        if side.cappers & remaining:  # a cap still to come can lower any item: keep them all
            return None, tuple(sorted(items.items())), caps
        shown = {aid: (_capped(key[0], _cap_of(caps, aid)), *key[1:]) for aid, key in items.items()}
        settled = sorted(
            (aid for aid in shown if not side.givers.get(aid, set()) & remaining), key=shown.__getitem__
        )
        kept = [aid for aid in settled if shown[aid][0] == 0][:3]
        bar = shown[kept[2]][1] if len(kept) == 3 else None
        any_today = any(key[0] == 0 for key in shown.values())
        if not any_today:
            kept += settled[:1]
        for aid, key in shown.items():
            if aid in settled:
                continue
            may_be_today = key[0] == 0 or (
                bool(side.urgent_givers.get(aid, set()) & remaining) and not _cap_of(caps, aid)
            )
            if (may_be_today and (bar is None or key[1] <= bar)) or (not may_be_today and not any_today):
                kept.append(aid)
        return None, tuple(sorted((aid, items[aid]) for aid in kept)), caps

    @staticmethod
    def steps(state: Any) -> tuple[str, ...]:
        named, items, caps = state
        if named is not None:
            return tuple(named[1])
        shown = [(aid, (_capped(key[0], _cap_of(caps, aid)), *key[1:])) for aid, key in items]
        ranked = sorted(shown, key=lambda item: item[1])
        today = tuple(aid for aid, key in ranked if key[0] == 0)[:3]
        return today or tuple(aid for aid, _ in ranked[:1])

    def compare(self, before: Any, after: Any) -> Shown | None:
        return first_steps_change(self.steps(before), self.steps(after))


class Headline(Property):
    """The summary's headline: the most urgent one a branch taken names (else the stage's words)."""

    kind = "headline"

    def __init__(self, sides: tuple[Side, Side]) -> None:
        super().__init__(sides)
        joined = {
            qid
            for side in sides
            for qid, question in side.book.questions.items()
            if any(rule.headline for rule in question.branches.values())
        }
        self.joined = _in_tree_order(sides, joined)

    def part_of(self, side: Side, qid: str, taken: Sequence[str]) -> Hashable:
        named = [
            (side.book.headlines[rule.headline].priority, at, rule.headline)
            for at, rule in side.rules(qid, taken)
            if rule.headline
        ]
        return min(named, default=None)

    def step_of(self, side: Side, state: Any, part: Any, remaining: frozenset[str]) -> Hashable:
        return _least(state, part)

    def compare(self, before: Any, after: Any) -> Shown | None:
        return headline_change(*(s[2] if s else None for s in (before, after)))


# --- what each change is called: the regions of one name are counted together -------------------


def urgency_change(item: str, before: str, after: str) -> Shown | None:
    if before == after:
        return None
    return Shown(f"'{item}' is shown as {before} → {after}", mentions=frozenset({item}))


def order_change(kind: str, before: Sequence[str], after: Sequence[str]) -> Shown | None:
    """Two items of one list, in the order each book shows them."""
    if tuple(before) == tuple(after):
        return None
    (a, b), (c, d) = before, after
    words = "actions" if kind == "action" else "things to avoid"
    return Shown(f"{words}: '{a}' before '{b}' → '{c}' before '{d}'", mentions=frozenset((a, b)))


def first_steps_change(before: Sequence[str], after: Sequence[str]) -> Shown | None:
    """Named by the actions that enter and leave the first steps (by the new order when the same
    actions are listed in another order); the lists themselves are shown for one example."""
    before, after = tuple(before), tuple(after)
    if before == after:
        return None
    gained = [aid for aid in after if aid not in before]
    lost = [aid for aid in before if aid not in after]
    words = [*([f"gain {_names(gained)}"] if gained else []), *([f"lose {_names(lost)}"] if lost else [])]
    what = ", ".join(words) if words else f"in another order {_names(after)}"
    return Shown(f"first steps {what}", f"{_names(before)} → {_names(after)}", frozenset(before + after))


def headline_change(before: str | None, after: str | None) -> Shown | None:
    """Headline ids; None stands for the stage's words (no branch taken names a headline)."""
    if before == after:
        return None

    def words(hid: str | None) -> str:
        return f"'{hid}'" if hid else "the stage's words"

    return Shown(
        f"headline {words(before)} → {words(after)}", mentions=frozenset(h for h in (before, after) if h)
    )


def _names(ids: Sequence[str]) -> str:
    return "[" + ", ".join(f"'{i}'" for i in ids) + "]"


def _in_tree_order(sides: tuple[Side, Side], qids: set[str]) -> tuple[str, ...]:
    order = dict.fromkeys([*sides[1].book.questions, *sides[0].book.questions])
    return tuple(qid for qid in order if qid in qids)


# --- which properties an edit can change ---------------------------------------------------------


def properties(base: RuleBook, new: RuleBook, rows: Mapping[str, Sequence[Row]]) -> list[Property]:
    """The whole-answer properties that may differ, from what each question gives in each region:
    the shown urgency of every item some question gives at another urgency; the order of every
    item whose urgency, priority, list or place differs somewhere with each item that can be shown
    on either side of it; the first steps when the actions or the first steps a question gives
    differ; the headline when the headlines named (or their priority) differ."""
    sides = (Side(base), Side(new))
    urgency: set[str] = set()
    moved: set[str] = set()
    steps = heads = False
    for qid in _moved_questions(base, new):  # where two items tie, the earlier question's comes first
        moved |= {aid for row in rows.get(qid, ()) for aid in _ids(sides, qid, row.taken)}
        steps = heads = True
    for qid, taken in dict.fromkeys(
        (qid, row.taken) for qid, question_rows in rows.items() for row in question_rows
    ):
        before, after = (side.content(qid, branches) for side, branches in zip(sides, taken, strict=True))
        if before == after:
            continue
        items_b, items_n = (
            tuple(item for items, *_ in content for item in items) for content in (before, after)
        )
        steps |= [s for _, s, *_ in before if s] != [s for _, s, *_ in after if s]
        steps |= _actions(items_b) != _actions(items_n)
        heads |= [h for _, _, h, _ in before if h] != [h for _, _, h, _ in after if h]
        caps_b, caps_n = ([c for *_, c in content] for content in (before, after))
        if caps_b != caps_n:  # a cap changed: every item it can lower may be shown otherwise
            capped = {aid for side in sides for aid, keys in side.keys.items() if min(keys)[0] == 0}
            urgency |= capped
            moved |= capped
            steps = True
        if items_b == items_n:
            continue
        levels_b, levels_n = _levels(items_b), _levels(items_n)
        urgency |= {
            aid for aid in levels_b.keys() | levels_n.keys() if levels_b.get(aid) != levels_n.get(aid)
        }
        keys_b, keys_n = _keys(items_b), _keys(items_n)
        moved |= {aid for aid in keys_b.keys() | keys_n.keys() if keys_b.get(aid) != keys_n.get(aid)}
        order_b = [aid for aid in keys_b if aid in keys_n]
        order_n = [aid for aid in keys_n if aid in keys_b]
        if order_b != order_n:
            moved |= set(order_b)
    found: list[Property] = [ShownUrgency(sides, aid) for aid in sorted(urgency)]
    found += [PairOrder(sides, a, b) for a, b in _pairs(sides, moved)]
    if steps:
        found.append(FirstSteps(sides))
    if heads:
        found.append(Headline(sides))
    return found


def _ids(sides: tuple[Side, Side], qid: str, taken: Taken) -> set[str]:
    return {
        aid
        for side, branches in zip(sides, taken, strict=True)
        for _, rule in side.rules(qid, branches)
        for aid in rule.advice
    }


def _actions(items: Sequence[tuple[str, int, int, str]]) -> list[tuple[str, int, int, str]]:
    return [item for item in items if item[3] == "action"]


def _levels(items: Iterable[tuple[str, int, int, str]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for aid, level, *_ in items:
        found[aid] = min(found.get(aid, level), level)
    return found


def _keys(items: Iterable[tuple[str, int, int, str]]) -> dict[str, tuple[int, int, str]]:
    """Each item a question gives, in the order first given: (urgency, priority, kind)."""
    found: dict[str, tuple[int, int, str]] = {}
    for aid, level, priority, kind in items:
        old = found.get(aid)
        found[aid] = (min(old[0], level) if old else level, priority, kind)
    return found


def _moved_questions(base: RuleBook, new: RuleBook) -> set[str]:
    """Questions of both books with other questions of both before them in one than in the other."""
    order_n = [qid for qid in new.questions if qid in base.questions]
    order_b = [qid for qid in base.questions if qid in new.questions]
    return {
        qid for qid in order_n if set(order_n[: order_n.index(qid)]) != set(order_b[: order_b.index(qid)])
    }


def _pairs(sides: tuple[Side, Side], moved: set[str]) -> list[tuple[str, str]]:
    """Each pair of a moved item and another of the same list that can be shown on either side of
    it: their ranges of (urgency, priority), over every branch of both books, meet. Two items whose
    ranges do not meet are shown in the same order everywhere."""
    ranges: dict[str, tuple[tuple[int, int], tuple[int, int], frozenset[str]]] = {}
    for side in sides:
        for aid, keys in side.keys.items():
            low, high, kinds = ranges.get(aid, (min(keys), max(keys), frozenset()))
            ranges[aid] = (min(low, *keys), max(high, *keys), kinds | {side.book.advice[aid].kind})
    pairs = set()
    for aid in moved & ranges.keys():
        low, high, kinds = ranges[aid]
        for other, (other_low, other_high, other_kinds) in ranges.items():
            if other != aid and kinds & other_kinds and other_low <= high and low <= other_high:
                pairs.add((min(aid, other), max(aid, other)))
    return sorted(pairs)


# --- the join ------------------------------------------------------------------------------------


@dataclass
class _Tally:
    shown: Shown
    regions: int
    cells: tuple[Any, ...]


class Joiner:
    """The regions of one property's questions joined, counted exactly (see the module doc).

    The dates are joined like a fact: a question whose rules (or citations) change on some date
    reads the period, whose cells are the periods of all the joined questions' dates together; a
    question that reads no date holds in every one. Facts that a valid request constrains together
    (the API's companion fields; a derived date, its input and the period) are checked as a group
    once all of them are joined.
    """

    def __init__(
        self,
        domain: Domain,
        rows: Mapping[str, Sequence[Row]],
        questions: Iterable[str],
        valid: dict[tuple[Any, ...], bool],
        limit: int = MAX_REGIONS,
    ) -> None:
        self.domain = domain
        self.limit = limit
        self.valid = valid  # shared: whether some request falls in these cells of one group
        self.everything = Period(domain.first_day, domain.last_day)
        self.questions = [qid for qid in questions if rows.get(qid)]
        self.periods = domain.periods(
            {row.region.period.start for qid in self.questions for row in rows[qid]}
        )
        self.sizes = {name: len(cells) for name, cells in domain.cells.items()} | {PERIOD: len(self.periods)}
        self.rank = {name: i for i, name in enumerate([*domain.book.inputs, *domain.book.derived, PERIOD])}
        # each question's rows as (cells, taken), a row of some dates split into the periods in them
        self.facts: dict[str, tuple[str, ...]] = {}
        self.rows: dict[str, list[tuple[tuple[Any, ...], Taken]]] = {}
        for qid in self.questions:
            question_rows = rows[qid]
            names = tuple(c.fact for c in question_rows[0].region.cells)
            dated = any(row.region.period != self.everything for row in question_rows)
            self.facts[qid] = (*names, PERIOD) if dated else names
            self.rows[qid] = [
                ((*row.region.cells, period) if dated else row.region.cells, row.taken)
                for row in question_rows
                for period in (self.periods if dated else (None,))
                if period is None or row.region.period.start <= period.start <= row.region.period.end
            ]
        links = [(name, other) for name, (other, _) in COMPANIONS.items()]
        links += [(name, spec.as_of_minus) for name, spec in domain.book.derived.items()]
        links += [(name, PERIOD) for name in domain.book.derived]
        joined = set().union(*self.facts.values()) if self.facts else set()
        self.groups = [group & joined for group in _groups(links) if len(group & joined) > 1]

    def run(self, prop: Property) -> tuple[list[_Tally], int]:
        """What the property shows differently, each with its exact count and first region; and
        the number of joined regions compared."""
        tallies: dict[str, _Tally] = {}
        compared = 0
        for state, (count, cells) in self._join(prop).items():
            compared += count
            shown = prop.result(state)
            if shown is None:
                continue
            if shown.what in tallies:
                tallies[shown.what].regions += count
            else:
                tallies[shown.what] = _Tally(shown, count, cells)
        return list(tallies.values()), compared

    def _join(self, prop: Property) -> dict[Hashable, list[Any]]:
        """The final states of the property, each with the number of joined regions it holds and
        the cells of one of them.

        States and parts are numbered; the partial regions are kept by their cells still needed,
        then by state, so that each row of the next question is matched and checked once per cells.
        """
        numbers: dict[Hashable, int] = {}
        values: list[Hashable] = []

        def number(value: Hashable) -> int:
            found = numbers.get(value)
            if found is None:
                found = numbers[value] = len(values)
                values.append(value)
            return found

        Cells = tuple[Any, ...]
        states: dict[Cells, dict[int, list[Any]]] = {(): {number(prop.start()): [1, ()]}}
        live: tuple[str, ...] = ()
        bound: set[str] = set()
        parts_of = {
            qid: {taken: prop.part(qid, taken) for _, taken in self.rows[qid]} for qid in self.questions
        }
        unstable = {qid for qid, parts in parts_of.items() if any(b != n for b, n in parts.values())}
        remaining = set(self.questions)
        # a cap can lower anything folded before it: questions with caps first, so that the folds
        # can forget what no longer matters as early as without caps
        cappers = set().union(*(side.cappers for side in prop.sides))
        sequence = self._sequence(unstable)
        for qid in [q for q in sequence if q in cappers] + [q for q in sequence if q not in cappers]:
            remaining.discard(qid)
            unstable.discard(qid)
            facts = self.facts[qid]
            newly = set(facts) - bound
            bound |= newly
            later = set().union(*(self.facts[q] for q in remaining))
            completing = [g for g in self.groups if g & newly and g <= bound]
            after = tuple(
                f
                for f in sorted(bound, key=self.rank.__getitem__)
                if f in later or any(f in g and not g <= bound for g in self.groups)
            )
            shared = tuple(f for f in facts if f in live)
            checked = set().union(*completing)
            own = tuple(f for f in facts if f in after or f in checked)
            # the question's rows by the cells they share with what came before, then by their cells
            # still needed and their part, each with the number of rows it stands for
            index: dict[Cells, dict[tuple[Cells, int], list[Any]]] = {}
            parts = {taken: number(part) for taken, part in parts_of[qid].items()}
            at = {f: i for i, f in enumerate(facts)}
            for cells, taken in self.rows[qid]:
                key = (tuple(cells[at[f]] for f in own), parts[taken])
                entry = index.setdefault(tuple(cells[at[f]] for f in shared), {}).setdefault(key, [0, cells])
                entry[0] += 1
            # where each cell of the new key, and of each group checked now, comes from
            source = {f: (0, i) for i, f in enumerate(live)} | {f: (1, i) for i, f in enumerate(own)}
            recipe = tuple(source[f] for f in after)
            checks = [tuple(source[f] for f in sorted(g, key=self.rank.__getitem__)) for g in completing]
            picks = tuple(live.index(f) for f in shared)
            frozen = frozenset(remaining)
            steps: dict[tuple[int, int], int] = {}
            following: dict[Cells, dict[int, list[Any]]] = {}
            size = 0
            for cells_now, by_state in states.items():
                for (own_cells, part), (times, row_cells) in index.get(
                    tuple(cells_now[i] for i in picks), {}
                ).items():
                    both = (cells_now, own_cells)
                    if not all(self._valid(tuple(both[s][i] for s, i in check)) for check in checks):
                        continue
                    target = following.setdefault(tuple(both[s][i] for s, i in recipe), {})
                    for state, (count, first) in by_state.items():
                        stepped = steps.get((state, part))
                        if stepped is None:
                            value = prop.step(values[state], values[part], frozen)
                            if not unstable and value is not SAME and value[0] == value[1]:
                                value = SAME  # the same in both books so far, and in all to come
                            stepped = steps[state, part] = number(value)
                        entry = target.get(stepped)
                        if entry is None:
                            target[stepped] = [count * times, first + row_cells]
                            size += 1
                            if size > self.limit:
                                raise TooLarge(size)
                        else:
                            entry[0] += count * times
            states, live = following, after
        assert not live  # once every question is joined, every fact is settled
        return {values[state]: entry for by_state in states.values() for state, entry in by_state.items()}

    def _sequence(self, unstable: set[str]) -> list[str]:
        """The order to join the questions in: those that share a fact with many cells
        (harassment_kinds) one after the other, as a cluster; first the clusters with a question
        whose part differs between the books (after them, a state the same in both books is
        settled); of those, next the one after which the fewest combinations of cells are kept
        apart, then the one keeping the fewest at its worst, then tree order."""

        def kept(bound: set[str], rest: set[str]) -> int:
            later = set().union(*(self.facts[q] for q in rest))
            size = 1
            for f in bound:
                if f in later or any(f in g and not g <= bound for g in self.groups):
                    size *= self.sizes[f]
            return size

        clusters = _groups(
            (q, other)
            for q in self.questions
            for other in self.questions
            if any(self.sizes[f] >= LARGE for f in set(self.facts[q]) & set(self.facts[other]))
        )
        clusters += [{q} for q in self.questions if not any(q in c for c in clusters)]
        rank = {q: i for i, q in enumerate(self.questions)}
        order: list[str] = []
        bound: set[str] = set()
        rest = set(self.questions)
        while rest:
            best: tuple[tuple[int, int, int], list[str], set[str]] | None = None
            candidates = [c for c in clusters if c <= rest]
            for cluster in [c for c in candidates if c & unstable] or candidates:
                inside, facts, left, peak, sequence = set(cluster), set(bound), set(rest), 0, []
                while inside:
                    qid = min(
                        sorted(inside, key=rank.__getitem__),
                        key=lambda q: kept(facts | set(self.facts[q]), left - {q}),
                    )
                    inside.discard(qid)
                    left.discard(qid)
                    facts |= set(self.facts[qid])
                    sequence.append(qid)
                    peak = max(peak, kept(facts, left))
                weight = (kept(facts, left), peak, min(rank[q] for q in cluster))
                if best is None or weight < best[0]:
                    best = (weight, sequence, facts)
            assert best is not None
            _, sequence, bound = best
            order += sequence
            rest -= set(sequence)
        return order

    def _valid(self, cells: tuple[Any, ...]) -> bool:
        """Whether some valid request falls in these cells (a period among them, if any)."""
        if cells not in self.valid:
            found = [c for c in cells if isinstance(c, Cell)]
            period = next((c for c in cells if isinstance(c, Period)), self.everything)
            self.valid[cells] = self.domain.example(found, period) is not None
        return self.valid[cells]

    def sample(self, prop: Property, size: int, seed: int = 0) -> tuple[list[_Tally], int]:
        """The property on `size` joined regions drawn uniformly at random, for a join too large to
        complete (each folded in full, nothing forgotten); and the number drawn."""
        facts = sorted(set().union(*(self.facts[q] for q in self.questions)), key=self.rank.__getitem__)
        lookup = {qid: dict(self.rows[qid]) for qid in self.questions}
        chooser = random.Random(seed)
        tallies: dict[str, _Tally] = {}
        drawn = attempts = 0
        while drawn < size and attempts < size * 50:
            attempts += 1
            chosen = {f: chooser.choice(self.periods if f == PERIOD else self.domain.cells[f]) for f in facts}
            cells = tuple(chosen[f] for f in facts)
            takens = [lookup[qid].get(tuple(chosen[f] for f in self.facts[qid])) for qid in self.questions]
            if any(taken is None for taken in takens) or not self._valid(cells):
                continue
            drawn += 1
            state = prop.start()
            left = set(self.questions)
            for qid, taken in zip(self.questions, takens, strict=True):
                assert taken is not None
                left.discard(qid)
                state = prop.step(state, prop.part(qid, taken), frozenset(left))
            shown = prop.result(state)
            if shown is None:
                continue
            if shown.what in tallies:
                tallies[shown.what].regions += 1
            else:
                tallies[shown.what] = _Tally(shown, 1, cells)
        return list(tallies.values()), drawn


def _groups(links: Iterable[tuple[str, str]]) -> list[set[str]]:
    """The connected groups of linked names."""
    groups: list[set[str]] = []
    for a, b in links:
        joined = {a, b}
        for group in [g for g in groups if g & joined]:
            joined |= group
            groups.remove(group)
        groups.append(joined)
    return groups


# --- the pass ------------------------------------------------------------------------------------


def compare(
    base: RuleBook, new: RuleBook, domain: Domain, rows: Mapping[str, Sequence[Row]], limit: int = MAX_REGIONS
) -> Outcome:
    """Every whole-answer change between the two books, over the questions' regions in `rows`."""
    outcome = Outcome()
    found = properties(base, new, rows)
    valid: dict[tuple[Any, ...], bool] = {}
    for prop in found:
        joiner = Joiner(domain, rows, prop.joined, valid, limit)
        sampled = 0
        try:
            tallies, compared = joiner.run(prop)
        except TooLarge:
            tallies, compared = joiner.sample(prop, SAMPLE)
            sampled = compared
            outcome.notes.append(
                f"{prop.kind} {_subject(prop)}over {len(joiner.questions)} questions: more than {limit} "
                f"partial regions at once, too many to join; compared on {sampled} regions drawn at random"
            )
        outcome.regions += compared
        for tally in tallies:
            cells = {c.fact: c for c in tally.cells if isinstance(c, Cell)}
            period = next((c for c in tally.cells if isinstance(c, Period)), joiner.everything)
            outcome.found.append(
                Found(
                    prop.kind,
                    tally.shown,
                    tuple(joiner.questions),
                    tally.regions,
                    compared,
                    sampled,
                    tuple(cells.values()),
                    period,
                )
            )
    return outcome


def _subject(prop: Property) -> str:
    if isinstance(prop, ShownUrgency):
        return f"of '{prop.item}' "
    if isinstance(prop, PairOrder):
        return f"of '{prop.pair[0]}' and '{prop.pair[1]}' "
    return ""
