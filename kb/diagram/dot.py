"""A presentation graph written as Graphviz DOT: the only module that speaks Graphviz.

Every text that comes from the rules goes through `_label`: `graphviz.escape` doubles backslashes,
so a `\\N` or `\\l` typed by a lawyer is printed, not read as a Graphviz escape; `graphviz.nohtml`
keeps a text that starts with '<' from being taken for an HTML-like label; quotes are escaped by
the package's quoting; and each line of a text (real newlines included) becomes a DOT line break.
Styles live here too, by kind of box and by highlight, so that the graph stays free of drawing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import graphviz

from kb.diagram.graph import Edge, EdgeKind, Graph, Link, Node, NodeKind, State

FONT = "Noto Sans CJK SC"  # Debian's fonts-noto-cjk: Chinese and Latin in one face
TAKEN = "#d9480f"
DIMMED_LINE = "#cfcfcf"
DIMMED_TEXT = "#9a9a9a"

# A front-end's way to turn what a box stands for into an address (None: no link).
Href = Callable[[Link], str | None]

_NODE_STYLE: Mapping[NodeKind, Mapping[str, str]] = {
    "start": {"shape": "box", "style": "rounded,filled", "fillcolor": "#ececec", "color": "#555555"},
    "end": {"shape": "box", "style": "rounded,filled", "fillcolor": "#ececec", "color": "#555555"},
    "question": {
        "shape": "box",
        "style": "rounded,filled",
        "fillcolor": "#dbe8f6",
        "color": "#2c5d8f",
        "penwidth": "1.4",
        "fontsize": "12",
    },
    "rule": {"shape": "box", "style": "filled", "fillcolor": "#ffffff", "color": "#7a7a7a"},
    "join": {"shape": "point", "width": "0.09", "color": "#555555"},
    "action": {"shape": "box", "style": "rounded,filled", "fillcolor": "#e6f4e6", "color": "#3d7a3d"},
    "avoid": {"shape": "box", "style": "rounded,filled", "fillcolor": "#fbe7e4", "color": "#a33a2c"},
    "law": {"shape": "note", "style": "filled", "fillcolor": "#fff6dc", "color": "#9a7b1c"},
}
_NODE_STATE: Mapping[State, Mapping[str, str]] = {
    "plain": {},
    "taken": {"color": TAKEN, "penwidth": "3", "fillcolor": "#fff0e6", "fontcolor": "#000000"},
    "dimmed": {"color": DIMMED_LINE, "fontcolor": DIMMED_TEXT, "fillcolor": "#f8f8f8"},
}
_EDGE_STYLE: Mapping[EdgeKind, Mapping[str, str]] = {
    "enter": {},
    "branch": {},
    "join": {"arrowhead": "none"},
    "skip": {"style": "dashed"},
    "none": {"style": "dotted"},
    "gives": {"color": "#3d7a3d"},
    "cites": {"color": "#9a7b1c"},
}
_EDGE_STATE: Mapping[State, Mapping[str, str]] = {
    "plain": {},
    "taken": {"color": TAKEN, "penwidth": "3.2", "fontcolor": TAKEN},
    "dimmed": {"color": DIMMED_LINE, "fontcolor": DIMMED_TEXT},
}
_CLUSTER_STYLE = {
    "question": {"style": "rounded,filled", "fillcolor": "#f5f7fa", "color": "#c5d3e2"},
    "legend": {"style": "rounded,filled", "fillcolor": "#fffdf3", "color": "#d8cfa8"},
}


def to_dot(graph: Graph, href: Href | None = None) -> graphviz.Digraph:
    """The DOT of `graph`; with `href`, boxes link to what they stand for."""
    dot = graphviz.Digraph(
        name=graph.name,
        graph_attr={
            "rankdir": graph.direction,
            "label": _label(graph.title),
            "labelloc": "t",
            "fontname": FONT,
            "fontsize": "16",
            "nodesep": "0.25",
            "ranksep": "0.35",
            "pad": "0.3",
            "bgcolor": "white",
            "outputorder": "edgesfirst",
        },
        node_attr={"fontname": FONT, "fontsize": "10.5", "margin": "0.12,0.06", "fontcolor": "#1a1a1a"},
        edge_attr={"fontname": FONT, "fontsize": "9.5", "color": "#555555", "arrowsize": "0.7"},
    )
    for cluster in graph.clusters:
        with dot.subgraph(name=cluster.name) as frame:
            frame.attr(
                label=_label((cluster.label,)),
                labeljust="l",
                fontsize="10",
                fontcolor="#44546a",
                **_CLUSTER_STYLE[cluster.kind],
            )
            for node in cluster.nodes:
                _add_node(frame, graph, node, href)
    for node in graph.nodes:
        _add_node(dot, graph, node, href)
    for edge in graph.edges:
        _add_edge(dot, graph, edge)
    return dot


def source(graph: Graph, href: Href | None = None) -> str:
    return to_dot(graph, href).source


def _add_node(dot: graphviz.Digraph, graph: Graph, node: Node, href: Href | None) -> None:
    attrs = {**_NODE_STYLE[node.kind], **_NODE_STATE[node.state]}
    if node.state == "taken" and "style" in attrs:
        attrs["style"] += ",bold"
    attrs["id"] = f"{graph.name}-{node.name}"
    attrs["class"] = _classes(node.kind, node.state)
    address = href(node.link) if href and node.link else None
    if address:
        attrs["URL"] = _label((address,), end="")
        attrs["target"] = "_top"
        attrs["tooltip"] = _label(node.heading, end="\\n") if node.heading else attrs["URL"]
    dot.node(node.name, label=_label(node.heading, node.lines) if node.kind != "join" else "", **attrs)


def _add_edge(dot: graphviz.Digraph, graph: Graph, edge: Edge) -> None:
    attrs = {**_EDGE_STYLE[edge.kind], **_EDGE_STATE[edge.state]}
    attrs["id"] = f"{graph.name}-{edge.kind}-{edge.tail}-{edge.head}"
    attrs["class"] = _classes(edge.kind, edge.state)
    if edge.label:
        attrs["label"] = _label(edge.label)
    dot.edge(edge.tail, edge.head, **attrs)


def _classes(kind: str, state: State) -> str:
    return kind if state == "plain" else f"{kind} {state}"


def _label(heading: Iterable[str], lines: Iterable[str] = (), end: str = "\\n") -> str:
    """Centred heading lines, then left-aligned lines, each escaped; never an HTML-like label."""
    parts = [graphviz.escape(part) + end for line in heading for part in line.splitlines() or [""]]
    parts += [graphviz.escape(part) + "\\l" for line in lines for part in line.splitlines() or [""]]
    return graphviz.nohtml("".join(parts))
