"""Verdicts of the properties on an explored graph: holds, fails or vacuous.

Safety properties fail on the shortest path to a step that breaks them; ``progress``
fails on a lasso (a path and the loop it repeats, found with networkx's strongly
connected components) or on a path that ends in a record trimmed by retention;
``bounded_deliveries`` is the longest delivery count of any record, computed on the
acyclic graph, and compared with the formula of ``checks.explore.formulas``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from checks.explore.formulas import delivery_bound
from checks.explore.graph import ROOT, Exploration, Step
from checks.explore.properties import (
    PROPERTIES,
    UNDESCRIBED_CAUSE,
    UNDESCRIBED_DISCARD,
    Property,
)
from model.state import Fate

__all__ = ["Verdict", "Path", "check", "check_all"]


@dataclass(frozen=True)
class Path:
    """A path from the root: its nodes, the step taken on each edge, and a loop.

    ``nodes[0]`` is the root; ``steps[i]`` leads from ``nodes[i]`` to
    ``nodes[i + 1]``.  For a lasso, ``loop_start`` is the index of the node where
    the repeated loop begins (the path's last node is that node again).
    """

    nodes: tuple[Any, ...]
    steps: tuple[Step, ...]
    loop_start: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class Verdict:
    """One property on one explored configuration."""

    prop: Property
    verdict: str
    states: int
    detail: str
    paths: tuple[Path, ...] = field(default=())
    value: int | None = None

    @property
    def property_name(self) -> str:
        return self.prop.name


def check_all(exploration: Exploration) -> list[Verdict]:
    """Every property's verdict on ``exploration``.

    Examples
    --------
    >>> from checks.explore.matrix import default_matrix, explore_cell
    >>> cell = next(c for c in default_matrix() if c.label == "whole/inf/throw")
    >>> {v.property_name: v.verdict for v in check_all(explore_cell(cell))}["progress"]
    'fails'
    """
    return [check(exploration, prop) for prop in PROPERTIES]


def check(exploration: Exploration, prop: Property) -> Verdict:
    """The verdict of one property."""
    if prop.name == "progress":
        return _progress(exploration, prop)
    if prop.name == "bounded_deliveries":
        return _bounded(exploration, prop)
    if prop.name == "no_silent_loss":
        return _silent_loss(exploration, prop)
    return _safety(exploration, prop)


# -- paths -------------------------------------------------------------------------


def _edge_path(
    exploration: Exploration, source: Any, target: Any, step: Step, reason: str
) -> Path:
    """The shortest path from the root through the edge ``source -> target``."""
    graph = exploration.graph
    nodes = nx.shortest_path(graph, ROOT, source)
    steps = [exploration.steps(a, b)[0] for a, b in zip(nodes, nodes[1:], strict=False)]
    return Path((*nodes, target), (*steps, step), None, reason)


def _index(exploration: Exploration) -> dict[tuple[str, str], tuple[Any, Any, Step]]:
    """For each (attribute, name): the step nearest the root that names it.

    One pass over the edges serves every property.
    """
    cached = exploration.cache.get("index")
    if cached is not None:
        return cached
    graph = exploration.graph
    index: dict[tuple[str, str], tuple[int, Any, Any, Step]] = {}
    for source, target, data in graph.edges(data=True):
        depth = graph.nodes[source]["depth"]
        for step in data["steps"]:
            for attribute in ("violated", "triggered"):
                for name in getattr(step, attribute):
                    key = (attribute, name)
                    if key not in index or depth < index[key][0]:
                        index[key] = (depth, source, target, step)
    result = {key: value[1:] for key, value in index.items()}
    exploration.cache["index"] = result
    return result


def _first_edge(
    exploration: Exploration, name: str, attribute: str
) -> tuple[Any, Any, Step] | None:
    """The step nearest the root whose ``attribute`` set names ``name``."""
    return _index(exploration).get((attribute, name))


def _twin(exploration: Exploration, prop: Property, detail: str) -> Verdict:
    """Holds when the twin is reachable (with the witness path), else vacuous."""
    found = _first_edge(exploration, prop.name, "triggered")
    if found is None:
        return Verdict(
            prop,
            "vacuous",
            exploration.states,
            f"{detail}, but vacuously: no run reaches {prop.twin}",
        )
    witness = _edge_path(exploration, *found, f"reachability twin: {prop.twin}")
    return Verdict(prop, "holds", exploration.states, detail, (witness,))


# -- the properties ------------------------------------------------------------------


def _safety(exploration: Exploration, prop: Property) -> Verdict:
    found = _first_edge(exploration, prop.name, "violated")
    if found is None:
        return _twin(exploration, prop, "no reachable step breaks it")
    source, target, step = found
    path = _edge_path(exploration, source, target, step, step.why)
    detail = f"{prop.broken} (step {len(path.steps) - 1}: {step.why})"
    return Verdict(prop, "fails", exploration.states, detail, (path,))


def _silent_loss(exploration: Exploration, prop: Property) -> Verdict:
    """One counterexample per way of losing a record, nearest the root first."""
    graph = exploration.graph
    first: list[tuple[int, str, tuple[Any, Any, Step]]] = []
    for fate in Fate:
        found = _first_edge(exploration, f"lost:{fate.value}", "violated")
        if found is not None:
            first.append((graph.nodes[found[0]]["depth"], fate.value, found))
    causes_of = {fate.value: fate.cause() for fate in Fate}
    causes_of[UNDESCRIBED_DISCARD.removeprefix("lost:")] = UNDESCRIBED_CAUSE
    found = _first_edge(exploration, UNDESCRIBED_DISCARD, "violated")
    if found is not None:
        depth = graph.nodes[found[0]]["depth"]
        first.append((depth, UNDESCRIBED_DISCARD.removeprefix("lost:"), found))
    if not first:
        return _twin(exploration, prop, "no record is lost")
    first.sort(key=lambda item: (item[0], item[1]))
    paths = tuple(
        _edge_path(exploration, source, target, step, f"lost: {causes_of[fate]}")
        for _depth, fate, (source, target, step) in first
    )
    causes = "; ".join(causes_of[fate] for _depth, fate, _found in first)
    return Verdict(prop, "fails", exploration.states, f"records lost: {causes}", paths)


def _cycle_nodes(graph: nx.DiGraph) -> set[Any]:
    """Nodes on some cycle: in a strongly connected component that loops."""
    looping: set[Any] = set()
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            looping |= component
        else:
            (node,) = component
            if graph.has_edge(node, node):
                looping.add(node)
    return looping


def _lasso(exploration: Exploration, looping: set[Any], reason: str) -> Path:
    """The shortest path to a looping node, and a loop back to it."""
    graph = exploration.graph
    entry = min(looping, key=lambda node: (graph.nodes[node]["depth"], repr(node)))
    stem = nx.shortest_path(graph, ROOT, entry)
    component = graph.subgraph(looping)
    following = sorted(component.successors(entry), key=repr)
    loop = [entry]
    for successor in following:
        try:
            back = nx.shortest_path(component, successor, entry)
        except nx.NetworkXNoPath:
            continue
        loop = [entry, *back]
        break
    nodes = [*stem, *loop[1:]]
    steps = [exploration.steps(a, b)[0] for a, b in zip(nodes, nodes[1:], strict=False)]
    return Path(tuple(nodes), tuple(steps), len(stem) - 1, reason)


def _progress(exploration: Exploration, prop: Property) -> Verdict:
    looping = _cycle_nodes(exploration.graph)
    if looping:
        path = _lasso(
            exploration,
            looping,
            "the same batch fails again and again: the shard is blocked forever",
        )
        return Verdict(
            prop,
            "fails",
            exploration.states,
            "a run repeats forever: retries and record age are unlimited and "
            "retention is unbounded, so a poison record blocks the shard",
            (path,),
        )
    found = _first_edge(exploration, prop.name, "violated")
    if found is not None:
        source, target, step = found
        path = _edge_path(exploration, source, target, step, step.why)
        return Verdict(
            prop,
            "fails",
            exploration.states,
            "a run ends only because retention trimmed records: they are lost",
            (path,),
        )
    return _twin(exploration, prop, "every run reaches the end of the shard")


def _bounded(exploration: Exploration, prop: Property) -> Verdict:
    graph = exploration.graph
    rules = exploration.rules
    looping = _cycle_nodes(graph)
    if looping:
        path = _lasso(exploration, looping, "each turn of the loop delivers again")
        return Verdict(
            prop,
            "fails",
            exploration.states,
            "unbounded: a run delivers the same records again forever",
            (path,),
        )
    count = len(rules.shard)
    best: dict[Any, tuple[int, ...]] = {ROOT: (0,) * count}
    for node in nx.topological_sort(graph):
        if node == ROOT:
            continue
        vectors = []
        for source in graph.predecessors(node):
            vector = list(best[source])
            batch = exploration.steps(source, node)[0]
            if batch.kind == "invoke" and batch.batch is not None:
                for position in range(*batch.batch):
                    vector[position] += 1
            vectors.append(vector)
        best[node] = tuple(max(column) for column in zip(*vectors, strict=True))
    maximum = max(max(vector) for vector in best.values()) if count else 0
    record = max(range(count), key=lambda p: max(v[p] for v in best.values()))
    path = _longest_for(exploration, best, record, maximum)
    expected = delivery_bound(exploration)
    sequence = rules.shard.sequence_number(record)
    detail = f"at most {maximum} deliveries of one record (record {sequence})"
    if expected is None:
        return Verdict(
            prop,
            "holds",
            exploration.states,
            detail + "; no closed formula for this configuration",
            (path,),
            maximum,
        )
    if expected != maximum:
        return Verdict(
            prop,
            "fails",
            exploration.states,
            detail + f", but the formula of docs/explorer.md gives {expected}",
            (path,),
            maximum,
        )
    return Verdict(
        prop,
        "holds",
        exploration.states,
        detail + ", as the formula of docs/explorer.md gives",
        (path,),
        maximum,
    )


def _longest_for(
    exploration: Exploration, best: dict[Any, tuple[int, ...]], record: int, value: int
) -> Path:
    """A path on which ``record`` is delivered ``value`` times (walked backwards)."""
    graph = exploration.graph
    node = max(best, key=lambda n: (best[n][record], -graph.nodes[n]["depth"]))
    nodes = [node]
    while node != ROOT:
        for source in graph.predecessors(node):
            step = exploration.steps(source, node)[0]
            delivered = (
                step.kind == "invoke"
                and step.batch is not None
                and step.batch[0] <= record < step.batch[1]
            )
            if best[source][record] + int(delivered) == best[node][record]:
                node = source
                break
        nodes.append(node)
    nodes.reverse()
    steps = tuple(
        exploration.steps(a, b)[0] for a, b in zip(nodes, nodes[1:], strict=False)
    )
    return Path(tuple(nodes), steps, None, f"a record delivered {value} times")
