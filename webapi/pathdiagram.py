"""A case's path on the decision tree without running `dot` per request.

The tree with a path is the same drawing whatever the path: same boxes, same arrows, same places;
only each element's highlight (taken or dimmed) changes. So the tree is drawn once per language
(`base`), with an empty path, and a request's path is laid over it: the class of each box and
arrow is set to its state, and a style sheet inside the SVG paints `taken` and `dimmed` as the
drawn ones are painted (CSS outranks the presentation attributes dot writes).

The states follow `kb.diagram.graph.decision_tree`: a question is taken when asked, a branch when
it fired, a question's skip arrow when it was not asked, its "none applies" arrow when it was asked
and no branch fired; joins, the start, the end and the arrows between questions always are.
tests/test_hardening_app.py checks this against drawings made with the path by dot.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from functools import cached_property

from kb.diagram.dot import DIMMED_LINE, DIMMED_TEXT, TAKEN
from kb.diagram.graph import Edge, Graph, Node

STATES = ("taken", "dimmed")
_GROUP = re.compile(r'<g id="([^"]+)" class="([^"]*)"')
STYLE = f"""<style>
g.taken polygon, g.taken path, g.taken ellipse, g.taken polyline {{ stroke: {TAKEN}; stroke-width: 3px; }}
g.node.taken polygon {{ fill: #fff0e6; }}
g.edge.taken polygon {{ fill: {TAKEN}; }}
g.node.taken text {{ fill: #000000; font-weight: bold; }}
g.edge.taken text {{ fill: {TAKEN}; }}
g.dimmed polygon, g.dimmed path, g.dimmed ellipse, g.dimmed polyline {{
  stroke: {DIMMED_LINE}; stroke-width: 1px; }}
g.node.dimmed polygon {{ fill: #f8f8f8; }}
g.edge.dimmed polygon {{ fill: {DIMMED_LINE}; }}
g.dimmed text {{ fill: {DIMMED_TEXT}; font-weight: normal; }}
</style>
"""


def node_id(graph: Graph, node: Node) -> str:
    return f"{graph.name}-{node.name}"  # as kb/diagram/dot.py names them in the SVG


def edge_id(graph: Graph, edge: Edge) -> str:
    return f"{graph.name}-{edge.kind}-{edge.tail}-{edge.head}"


def _nodes(graph: Graph) -> Iterable[Node]:
    for cluster in graph.clusters:
        yield from cluster.nodes
    yield from graph.nodes


class PathTree:
    """The tree of one language drawn once, and any path laid over it."""

    def __init__(self, graph: Graph, svg: str) -> None:
        self.graph = graph
        self.svg = svg
        # the questions' branches, to tell "none applies" from a fired branch
        self.branches: dict[str, set[str]] = {}
        for edge in graph.edges:
            if edge.kind == "branch" and edge.tail.startswith("q_") and edge.head.startswith("r_"):
                self.branches.setdefault(edge.tail[2:], set()).add(edge.head[2:])
        # ids of the elements whose highlight depends on the path; legend and plain ones keep theirs
        self._base_state: dict[str, str] = {}
        self.highlighted = {
            node_id(graph, node): node for node in _nodes(graph) if node.state != "plain"
        } | {edge_id(graph, edge): edge for edge in graph.edges if edge.state != "plain"}

    def states(self, path: Iterable[str]) -> dict[str, str]:
        taken = frozenset(path)
        found: dict[str, str] = {}
        for element_id, element in self.highlighted.items():
            start = element.name if isinstance(element, Node) else element.tail
            if start.startswith("key_"):
                continue  # the legend shows each highlight once, whatever the path
            found[element_id] = "taken" if self._taken(element, taken) else "dimmed"
        return found

    def _taken(self, element: Node | Edge, taken: frozenset[str]) -> bool:
        if isinstance(element, Node):
            if element.name.startswith("q_"):
                return element.name[2:] in taken
            if element.name.startswith("r_"):
                return element.name[2:] in taken
            return True  # joins, start, end
        if element.kind == "branch":
            return element.head[2:] in taken
        if element.kind == "join":
            return element.tail[2:] in taken
        if element.kind == "skip":
            return element.tail[2:] not in taken
        if element.kind == "none":
            question = element.tail[2:]
            return question in taken and not (self.branches.get(question, set()) & taken)
        return True  # from one question to the next

    def draw(self, path: Iterable[str]) -> bytes:
        states = self.states(path)
        parts = []
        for text, element_id, classes in self._pieces:
            parts.append(text)
            if element_id is not None:
                state = states.get(element_id)
                parts.append(f"{classes} {state}" if state else f"{classes} {self._base_state[element_id]}")
        return "".join(parts).encode("utf-8")

    @cached_property
    def _pieces(self) -> list[tuple[str, str | None, str]]:
        """The styled base cut at every class attribute a path changes: (text before, id, other classes)."""
        svg = self.svg
        start = svg.index("<svg")
        end = svg.index(">", start) + 1
        svg = svg[:end] + "\n" + STYLE + svg[end:]
        pieces: list[tuple[str, str | None, str]] = []
        done = 0
        for match in _GROUP.finditer(svg):
            element_id = html.unescape(match.group(1))  # dot writes "-" as &#45;
            if element_id not in self.highlighted:
                continue
            words = match.group(2).split()
            self._base_state[element_id] = next((w for w in words if w in STATES), "")
            value_start = match.start(2)
            pieces.append((svg[done:value_start], element_id, " ".join(w for w in words if w not in STATES)))
            done = match.end(2)
        pieces.append((svg[done:], None, ""))
        return pieces
