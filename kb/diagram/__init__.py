"""The audit diagrams: the rules drawn for lawyers.

`graph` turns the model into a frozen presentation graph (pure functions), `dot` writes that graph
as Graphviz DOT (the only module that speaks Graphviz), `render` runs the real `dot` binary
deterministically, and `cli` is the `overdue-advisor diagrams` command.
"""
