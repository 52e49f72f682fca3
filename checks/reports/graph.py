"""``graph.svg``: the states around a trace, laid out in layers and drawn as SVG.

For a verdict the explorer may hand over the part of its state graph around the
counterexample (a networkx ``DiGraph``); for a walkthrough the drawing is the trace's
own chain of states.  Layers are breadth-first depths from the initial state, nodes in
a layer are ordered by their predecessors (one barycentre pass, which untangles most
crossings), and edges that go back up, such as a lasso's loop, curve round the side.
Each state is labelled with its checkpoint, its pending batches and the records
done; the start, the trace (blue), its loop (amber) and its end are marked.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

import networkx as nx

from checks.reports.content import Subject, batch_label, state_label
from checks.reports.svg import add, new_svg, to_string
from model.state import State

__all__ = ["graph_svg", "chain_graph", "layered_layout", "MAX_NODES"]

#: Nodes drawn at most; the rest of a large neighbourhood is summarised in a note.
MAX_NODES = 80
#: Chain states drawn at most for a long trace: its start and its end.
MAX_CHAIN = 40

_NODE_WIDTH = 220
_LINE = 14
_H_GAP = 40
_V_GAP = 46
_MARGIN = 24
_PER_ROW = 3


def _legend(drawing: _Drawing, explorer: bool) -> list[str]:
    """The lines above the drawing: only what this drawing needs explained."""
    loop = any(node.in_loop for node in drawing.nodes.values())
    lines = [
        "States (boxes) and steps (arrows): the trace in blue"
        + (", its loop in amber." if loop else "."),
        "ckpt = checkpoint; [4..5]·1 = a pending batch and the retries it used;",
        "ok = processed successfully, not done yet.",
    ]
    if explorer:
        lines += [
            "States whose lines match differ in what the handler will do with",
            "records it has not processed yet.",
        ]
    return lines


#: Characters of a node's line that fit in its box.
_CHARACTERS = 36


@dataclass
class _Node:
    key: Hashable
    name: str
    lines: list[str]
    on_trace: bool
    initial: bool = False
    start: bool = False
    in_loop: bool = False
    end: bool = False
    x: float = 0.0
    y: float = 0.0

    @property
    def roles(self) -> list[str]:
        """What the node is on the trace, in the words of its first line."""
        roles = []
        if self.start:
            roles.append("start")
        if self.initial and not self.start:
            roles.append("initial state")
        if self.in_loop:
            roles.append("loop ↻")
        if self.end:
            roles.append("end of the trace")
        return roles

    @property
    def header(self) -> str:
        return " — ".join([self.name] + [", ".join(self.roles)] * bool(self.roles))

    @property
    def css_class(self) -> str:
        classes = ["state"]
        classes += ["on-trace"] * self.on_trace
        classes += ["initial"] * (self.initial or self.start)
        classes += ["loop"] * self.in_loop
        classes += ["end"] * self.end
        return " ".join(classes)

    @property
    def height(self) -> float:
        return _LINE * (len(self.lines) + 1) + 10


@dataclass
class _Drawing:
    nodes: dict[Hashable, _Node] = field(default_factory=dict)
    edges: list[tuple[Hashable, Hashable, str, bool]] = field(default_factory=list)
    note: str = ""


def chain_graph(subject: Subject) -> nx.DiGraph:
    """The trace's own chain of states as a graph; a lasso's last edge goes back.

    Nodes are state indexes (0 is the initial state) with their ``state``, a
    ``name`` and ``on_trace`` set; edges carry the step's ``label``.

    >>> from model.simulator import simulate
    >>> from model.walkthroughs import walkthrough
    >>> from checks.reports.content import subject_from_trace
    >>> trace = simulate(walkthrough("article-custom-once"))
    >>> graph = chain_graph(subject_from_trace(trace))
    >>> list(graph.edges)
    [(0, 1), (1, 2)]
    """
    trace = subject.trace
    states = [trace.initial] + [step.after for step in trace.transitions]
    graph = nx.DiGraph()
    count = len(trace.transitions)
    lasso = subject.is_lasso and count > 0
    last_state = count - 1 if lasso else count
    kept = _kept_indexes(last_state + 1)
    for index in kept:
        graph.add_node(index, name=f"state {index}", state=states[index], on_trace=True)
    previous = None
    for index in kept:
        if previous is not None and index != previous + 1:
            graph.add_node("gap", name=f"… {index - previous - 1} states …", label=[])
            graph.add_edge(previous, "gap", label="")
            graph.add_edge("gap", index, label="")
        elif previous is not None:
            graph.add_edge(
                previous, index, label=_step_label(subject, previous), on_trace=True
            )
        previous = index
    if lasso:
        loop = min(subject.loop_start or 0, count - 1)
        graph.add_edge(
            last_state,
            loop,
            label=_step_label(subject, count - 1) + " (loops back)",
            on_trace=True,
        )
    return graph


def _kept_indexes(count: int) -> list[int]:
    if count <= MAX_CHAIN:
        return list(range(count))
    head = MAX_CHAIN // 2
    return list(range(head)) + list(range(count - (MAX_CHAIN - head), count))


def _step_label(subject: Subject, index: int) -> str:
    transition = subject.trace.transitions[index]
    shard = subject.scenario.shard
    invocation = transition.invocation
    if invocation is None:
        return "expire " + ", ".join(
            batch_label(shard.sequence_numbers(d.start, d.end))
            for d in transition.discards
        )
    batch = invocation.batch
    label = batch_label(shard.sequence_numbers(batch.start, batch.end))
    return f"#{invocation.number} [{label}] {invocation.outcome.value}"


def _drawing(subject: Subject) -> _Drawing:
    graph = subject.neighbourhood
    if graph is None:
        graph = chain_graph(subject)
    drawing = _Drawing()
    trace_states = {subject.trace.initial} | {
        step.after for step in subject.trace.transitions
    }
    nodes = list(graph.nodes)
    if len(nodes) > MAX_NODES:
        nodes = _nearest_nodes(graph, trace_states)
        drawing.note = (
            f"{graph.number_of_nodes() - len(nodes)} of "
            f"{graph.number_of_nodes()} states not drawn"
        )
    for key in nodes:
        data = graph.nodes[key]
        state = _state_of(key, data)
        drawing.nodes[key] = _Node(
            key,
            str(data.get("name") or _short(key)),
            _node_lines(subject, key, data, state),
            on_trace=bool(data.get("on_trace") or data.get("on_path"))
            or _is_trace_state(key, trace_states),
            initial=state == subject.trace.initial
            or key == 0
            or bool(data.get("initial")),
            start=data.get("label") == "start" and state is None,
        )
    edges = [
        (source, target, data)
        for source, target, data in graph.edges(data=True)
        if source in drawing.nodes and target in drawing.nodes
    ]
    if len(edges) > 12:
        # Steps between two states off the trace are noise around a
        # counterexample: keep those that leave or reach the trace.
        touching = [
            edge
            for edge in edges
            if drawing.nodes[edge[0]].on_trace or drawing.nodes[edge[1]].on_trace
        ]
        if len(touching) < len(edges):
            skipped = len(edges) - len(touching)
            notes = [drawing.note] if drawing.note else []
            notes.append(f"{skipped} steps between states off the trace not drawn")
            drawing.note = "; ".join(notes)
            edges = touching
    for source, target, data in edges:
        label = str(data.get("label") or data.get("action") or "")
        if "on_trace" in data or "on_path" in data:
            on_trace = bool(data.get("on_trace") or data.get("on_path"))
        else:
            on_trace = drawing.nodes[source].on_trace and drawing.nodes[target].on_trace
        drawing.edges.append((source, target, label, on_trace))
    _mark_trace(drawing)
    return drawing


def _mark_trace(drawing: _Drawing) -> None:
    """Mark the trace's start, its loop (a cycle of trace steps) and its end."""
    trace = nx.DiGraph()
    trace.add_nodes_from(key for key, node in drawing.nodes.items() if node.on_trace)
    trace.add_edges_from(
        (source, target)
        for source, target, _, on_trace in drawing.edges
        if on_trace and source in trace and target in trace
    )
    for component in nx.strongly_connected_components(trace):
        looping = len(component) > 1 or any(
            trace.has_edge(key, key) for key in component
        )
        for key in component if looping else ():
            drawing.nodes[key].in_loop = True
    marked = any(node.start or node.initial for node in drawing.nodes.values())
    for key in trace.nodes:
        node = drawing.nodes[key]
        others_in = [source for source in trace.predecessors(key) if source != key]
        others_out = [target for target in trace.successors(key) if target != key]
        # a graph that names no start: the trace begins where no trace step leads
        node.start = node.start or (not marked and not others_in and bool(others_out))
        node.end = not others_out and not node.in_loop and trace.in_degree(key) > 0


def _state_of(key: Hashable, data: dict[str, Any]) -> State | None:
    state = data.get("state")
    if isinstance(state, State):
        return state
    return key if isinstance(key, State) else None


def _short(key: Hashable) -> str:
    """A node's name when the graph gives none: short keys as they are."""
    text = str(key)
    return text if len(text) <= 12 else ""


def _is_trace_state(key: Hashable, trace_states: set[State]) -> bool:
    try:
        return key in trace_states
    except TypeError:
        return False


def _nearest_nodes(graph: nx.DiGraph, trace_states: set[State]) -> list[Hashable]:
    """The trace's states first, then their neighbours, up to ``MAX_NODES``."""
    start = [node for node in graph.nodes if _is_trace_state(node, trace_states)]
    start = start or [next(iter(graph.nodes))]
    distances = nx.multi_source_dijkstra_path_length(graph.to_undirected(), start)
    ordered = sorted(distances, key=lambda node: distances[node])
    return ordered[:MAX_NODES]


def _node_lines(
    subject: Subject, key: Hashable, data: dict[str, Any], state: State | None
) -> list[str]:
    """The lines under a node's name: the state's label, else the graph's label."""
    if state is not None:
        lines = state_label(subject.trace, state)
    elif data.get("label") == "start":
        lines = ["the failure pattern is chosen"]
    elif isinstance(data.get("label"), list | tuple):
        lines = [str(line) for line in data["label"]]
    elif data.get("label"):
        lines = str(data["label"]).splitlines()
    else:
        text = "" if _short(key) else str(key)
        lines = [text[i : i + _CHARACTERS] for i in range(0, min(len(text), 144), 36)]
    return [line[:_CHARACTERS] for line in lines][:5]


def layered_layout(
    graph: nx.DiGraph, roots: list[Hashable] | None = None
) -> dict[Hashable, tuple[int, int]]:
    """Layer and order of every node: breadth-first depth, then a barycentre pass.

    >>> layered_layout(nx.DiGraph([("a", "b"), ("a", "c"), ("b", "d")]))
    {'a': (0, 0), 'b': (1, 0), 'c': (1, 1), 'd': (2, 0)}
    """
    roots = roots or [node for node in graph.nodes if graph.in_degree(node) == 0]
    depth: dict[Hashable, int] = {}
    for node in list(roots) + list(graph.nodes):
        if node in depth:
            continue
        depth[node] = 0 if node in roots else max(depth.values(), default=-1) + 1
        for target, distance in nx.single_source_shortest_path_length(
            graph, node
        ).items():
            depth.setdefault(target, depth[node] + distance)
    layers: dict[int, list[Hashable]] = {}
    for node in graph.nodes:
        layers.setdefault(depth[node], []).append(node)
    order: dict[Hashable, int] = {}
    for level in sorted(layers):
        members = layers[level]
        first_seen = {node: index for index, node in enumerate(members)}

        def barycentre(node: Hashable, first_seen: dict = first_seen) -> float:
            parents = [order[p] for p in graph.predecessors(node) if p in order]
            return sum(parents) / len(parents) if parents else first_seen[node]

        members.sort(key=barycentre)
        for index, node in enumerate(members):
            order[node] = index
    return {node: (depth[node], order[node]) for node in graph.nodes}


def graph_svg(subject: Subject) -> str:
    """The drawing of the states around the subject's trace, as an SVG document.

    >>> from model.simulator import simulate
    >>> from model.walkthroughs import walkthrough
    >>> from checks.reports.content import subject_from_trace
    >>> trace = simulate(walkthrough("article-custom-once"))
    >>> svg = graph_svg(subject_from_trace(trace))
    >>> svg.count('class="state on-trace')
    3
    """
    drawing = _drawing(subject)
    graph = nx.DiGraph()
    graph.add_nodes_from(drawing.nodes)
    graph.add_edges_from((source, target) for source, target, _, _ in drawing.edges)
    # The explorer's start (its choice of failure pattern) comes before the
    # initial state; a drawing without one starts at the initial state.
    roots = [key for key, node in drawing.nodes.items() if node.start] or [
        key for key, node in drawing.nodes.items() if node.initial
    ]
    positions = layered_layout(graph, roots)

    # Wide layers wrap onto several rows of at most _PER_ROW states each.
    row_heights: dict[tuple[int, int], float] = {}
    widest = 1
    for key, (layer, order) in positions.items():
        row = (layer, order // _PER_ROW)
        row_heights[row] = max(row_heights.get(row, 0), drawing.nodes[key].height)
        widest = max(widest, min(order, _PER_ROW - 1) + 1)
    tops: dict[tuple[int, int], float] = {}
    legend = _legend(drawing, subject.neighbourhood is not None)
    y = _MARGIN + 15.0 * len(legend) + 8
    for row in sorted(row_heights):
        tops[row] = y
        y += row_heights[row] + _V_GAP
    for key, (layer, order) in positions.items():
        node = drawing.nodes[key]
        node.x = _MARGIN + (order % _PER_ROW) * (_NODE_WIDTH + _H_GAP)
        node.y = tops[(layer, order // _PER_ROW)]

    # Room on the right only for what is drawn there: the labels of steps that
    # go back up (a loop), and the legend's width.
    back = [
        label
        for source, target, label, on_trace in drawing.edges
        if drawing.nodes[target].y < drawing.nodes[source].y and on_trace
    ]
    label_room = 60 + 6.5 * max(map(len, back)) if back else 0
    width = max(
        _MARGIN * 2 + widest * (_NODE_WIDTH + _H_GAP) + label_room,
        _MARGIN * 2 + 6.5 * max(map(len, legend)),
    )
    height = y + (20 if drawing.note else 0)
    root = new_svg(
        width,
        height,
        title=f"States around {subject.name}",
        class_="state-graph",
        data_states=len(drawing.nodes),
    )
    defs = add(root, "defs")
    for name, colour in (("arrow", "#7b8794"), ("arrow-trace", "#1f5fbf")):
        marker = add(
            defs,
            "marker",
            id=name,
            viewBox="0 0 10 10",
            refX=9,
            refY=5,
            markerWidth=7,
            markerHeight=7,
            orient="auto-start-reverse",
        )
        add(marker, "path", d="M0,0 L10,5 L0,10 Z", fill=colour)
    for line_number, text in enumerate(legend):
        add(
            root,
            "text",
            text=text,
            x=_MARGIN,
            y=_MARGIN + line_number * 15,
            font_size=12,
            fill="#52606d",
        )
    # Off-trace steps keep their labels as tooltips once the drawing gets busy.
    busy = len(drawing.edges) > 6
    for source, target, label, on_trace in drawing.edges:
        _edge(
            root,
            drawing.nodes[source],
            drawing.nodes[target],
            label,
            on_trace,
            show_label=on_trace or not busy,
        )
    for node in drawing.nodes.values():
        _node(root, node)
    if drawing.note:
        add(root, "text", text=drawing.note, x=_MARGIN, y=height - 8, font_size=11)
    return to_string(root)


def _node(root: Element, node: _Node) -> None:
    group = add(root, "g", class_=node.css_class)
    if node.in_loop:
        fill, stroke = "#fff4d6", "#8d5b00"
    elif node.on_trace:
        fill, stroke = "#e8f0fc", "#1f5fbf"
    else:
        fill, stroke = "#f5f7fa", "#9aa5b1"
    add(
        group,
        "rect",
        x=node.x,
        y=node.y,
        width=_NODE_WIDTH,
        height=node.height,
        rx=6,
        fill=fill,
        stroke=stroke,
        stroke_width=2.5 if node.initial or node.start or node.end else 1,
    )
    for index, line in enumerate([node.header, *node.lines]):
        add(
            group,
            "text",
            text=line,
            x=node.x + 8,
            y=node.y + 16 + index * _LINE,
            font_size=11,
            font_weight="bold" if index == 0 else None,
        )


def _edge(
    root: Element,
    source: _Node,
    target: _Node,
    label: str,
    on_trace: bool,
    *,
    show_label: bool = True,
) -> None:
    colour = "#1f5fbf" if on_trace else "#7b8794"
    marker = "url(#arrow-trace)" if on_trace else "url(#arrow)"
    if source is target:
        # A step back to the same state: a small loop on the right.
        x, y = source.x + _NODE_WIDTH, source.y + source.height / 2
        path = (
            f"M{x:.1f},{y - 6:.1f} C{x + 40:.1f},{y - 26:.1f} "
            f"{x + 40:.1f},{y + 26:.1f} {x + 2:.1f},{y + 6:.1f}"
        )
        label_x, label_y = x - 96, source.y + source.height + 13
    elif target.y > source.y:
        x1, y1 = source.x + _NODE_WIDTH / 2, source.y + source.height
        x2, y2 = target.x + _NODE_WIDTH / 2, target.y
        path = f"M{x1:.1f},{y1:.1f} L{x2:.1f},{y2:.1f}"
        label_x, label_y = (x1 + x2) / 2 + 8, (y1 + y2) / 2 + 4
    elif target.y == source.y:
        # Within one row: an arc under the row.
        x1, y1 = source.x + _NODE_WIDTH / 2, source.y + source.height
        x2, y2 = target.x + _NODE_WIDTH / 2, target.y + target.height
        low = max(y1, y2) + 26
        path = (
            f"M{x1:.1f},{y1:.1f} C{x1:.1f},{low:.1f} "
            f"{x2:.1f},{low:.1f} {x2:.1f},{y2:.1f}"
        )
        label_x, label_y = (x1 + x2) / 2 - 30, low - 2
    else:
        # Back edges (a loop) go round the right-hand side.
        x1, y1 = source.x + _NODE_WIDTH, source.y + source.height / 2
        x2, y2 = target.x + _NODE_WIDTH, target.y + target.height / 2
        bulge = max(x1, x2) + 60
        path = (
            f"M{x1:.1f},{y1:.1f} C{bulge:.1f},{y1:.1f} "
            f"{bulge:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        )
        label_x, label_y = bulge - 10, (y1 + y2) / 2
    step = add(
        root,
        "path",
        d=path,
        fill="none",
        stroke=colour,
        stroke_width=2 if on_trace else 1.2,
        marker_end=marker,
        class_="step on-trace" if on_trace else "step",
    )
    if label:
        add(step, "title", text=label)
    if label and show_label:
        add(
            root,
            "text",
            text=label,
            x=label_x,
            y=label_y,
            font_size=11,
            fill=colour,
            paint_order="stroke",
            stroke="#ffffff",
            stroke_width=3,
        )
