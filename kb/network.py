"""A model of the alpha network durable-rules builds from a ruleset, to check its limits before it runs.

durable-rules 2.0.28 (`rete.c`, `events.c`) turns every rule's condition into a chain of alpha
nodes, one per test, and shares a node between rules whose chains start with the same tests under
the same parent. `$and` chains its parts; `$or` gives each alternative its own chain from the
current node and joins them in a fresh node of its own, from which the rest of the chain goes on.

When a message is asserted the engine walks this network depth first with a stack of 64 entries:
it pops a node and pushes every child the message satisfies (a join node once for each
alternative that reached it). Past 64 pending entries the evaluation fails with error 303. The
stack is deepest when every child that could match does; `peak` bounds that from above, counting
tests of one property for equality with different values as one (a message has one value).

Registration has limits of its own: at most 512 children with a test per node (fewer in practice:
their hash slots start in 32 buckets), 128 join children and 256 rules ending on one node.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

STACK = 64  # MAX_STACK_SIZE in events.c
MAX_TESTS_PER_NODE = 480  # NEXT_BUCKET_LENGTH 512, kept inside
MAX_JOINS_PER_NODE = 120  # NEXT_LIST_LENGTH 128
MAX_RULES_PER_NODE = 250  # BETA_LIST_LENGTH 256

OPS = {"$lt", "$lte", "$gt", "$gte", "$neq", "$ex", "$nex"}


@dataclass
class Node:
    """One alpha node: its test (None for the root and for `$or` joins) and its children."""

    test: tuple[str, str, str] | None = None  # (property, operator, value as JSON text)
    tests: dict[tuple[str, str, str], Node] = field(default_factory=dict)
    joins: list[Node] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    _peak: int | None = None

    def matched_at_once(self) -> int:
        """How many children one message can satisfy at once, at most."""
        equal: set[str] = set()
        count = len(self.joins)
        for prop, op, _ in self.tests:
            if op == "$eq":
                equal.add(prop)  # one value per property: at most one equality test holds
            else:
                count += 1
        return count + len(equal)

    def children(self) -> Iterable[Node]:
        yield from self.tests.values()
        yield from self.joins

    def peak(self) -> int:
        """The most stack entries pending while this node's subtree is walked (after it is popped)."""
        if self._peak is None:
            width = self.matched_at_once()
            deepest = max((child.peak() for child in self.children()), default=0)
            self._peak = 0 if width == 0 else max(width, width - 1 + deepest)
        return self._peak


@dataclass(frozen=True)
class Overflow:
    """A limit a ruleset crosses, and the rule whose chain crosses it."""

    rule: str
    reason: str


def build(definition: Mapping[str, Any]) -> Node:
    """The alpha network of a ruleset given as data, as the engine would build it."""
    root = Node()
    for name, rule in definition.items():
        for alias in rule["all"]:
            for expression in alias.values():
                _chain(root, expression).rules.append(name)
    return root


def _chain(parent: Node, expression: Mapping[str, Any]) -> Node:
    if "$and" in expression:
        node = parent
        for part in expression["$and"]:
            node = _chain(node, part)
        return node
    if "$or" in expression:
        join = Node()
        for part in expression["$or"]:
            _chain(parent, part).joins.append(join)
        return join
    [(key, value)] = expression.items()
    if key in OPS:
        [(prop, operand)] = value.items()
        test = (prop, key, _text(operand))
    else:
        test = (key, "$eq", _text(value))
    child = parent.tests.get(test)
    if child is None:
        child = parent.tests[test] = Node(test)
    return child


def _text(value: Any) -> str:
    return repr(value) if not isinstance(value, str) else f"'{value}'"


def overflows(definition: Mapping[str, Any]) -> list[Overflow]:
    """Every limit the ruleset would cross, each named by the first rule whose chain reaches it."""
    root = build(definition)
    found: list[Overflow] = []
    if root.peak() > STACK - 4:
        found.append(Overflow(_widest_rule(root), _stack_reason(root.peak())))
    for node in _walk(root):
        if len(node.tests) > MAX_TESTS_PER_NODE:
            found.append(Overflow(_first_rule(node), f"{len(node.tests)} tests under one node"))
        if len(node.joins) > MAX_JOINS_PER_NODE:
            found.append(Overflow(_first_rule(node), f"{len(node.joins)} alternatives joined under one node"))
        if len(node.rules) > MAX_RULES_PER_NODE:
            reason = f"over {MAX_RULES_PER_NODE} rules share this condition"
            found.append(Overflow(node.rules[MAX_RULES_PER_NODE], reason))
    return found


def _stack_reason(peak: int) -> str:
    return (
        f"one message could satisfy {peak} pending conditions at once; "
        f"the engine fails past {STACK} (error 303)"
    )


def _walk(root: Node) -> Iterable[Node]:
    seen: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        pending.extend(node.children())


def _first_rule(node: Node) -> str:
    """The first rule (in definition order of discovery) whose chain passes through `node`."""
    for inner in _walk(node):
        if inner.rules:
            return inner.rules[0]
    return ""


def _widest_rule(root: Node) -> str:
    """A rule under the path where the stack is deepest, to name in the error."""
    node = root
    while True:
        children = list(node.children())
        if not children:
            return node.rules[0] if node.rules else ""
        node = max(children, key=lambda child: child.peak())
        if node.rules and not list(node.children()):
            return node.rules[0]
