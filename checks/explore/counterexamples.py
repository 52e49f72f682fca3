"""Turn a path of the explorer's graph into a replayable simulator trace.

The kinds decided lazily along the path become a concrete ``FailurePattern``
(``FailsFirst(k)`` or ``POISON`` per record, good records left out); the simulator
plays that scenario, and every state it passes through must project to the path's
nodes, or ``ReplayMismatch`` is raised.  The result is a
``checks.counterexample.Counterexample`` for the reports.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from checks.counterexample import Counterexample
from checks.explore.graph import ROOT, Exploration, _key, _Node
from checks.explore.space import first_state, kind_state
from checks.explore.verdicts import Path, Verdict
from checks.text import span
from model.handler import POISON, FailsFirst, FailureKind, FailurePattern, Handler
from model.simulator import Scenario, Trace, simulate
from model.state import State

__all__ = [
    "ReplayMismatch",
    "scenario_for",
    "replay",
    "counterexample",
    "neighbourhood",
]


class ReplayMismatch(AssertionError):
    """The simulator did not follow the explorer's path: a bug in the explorer."""


def _pattern(path: Path) -> tuple[dict[int, FailureKind], int | None]:
    kinds: dict[int, FailureKind] = {}
    poison_position = None
    for step in path.steps:
        if step.kind == "choose":
            poison_position = step.poison_position
        for position, kind in step.decisions:
            kinds[position] = kind
    return kinds, poison_position


def scenario_for(exploration: Exploration, path: Path, name: str) -> Scenario:
    """The concrete scenario whose simulation follows ``path``.

    Records never processed on the path are good (any kind would do: the handler
    never saw them).
    """
    rules = exploration.rules
    shard = rules.shard
    kinds, poison_position = _pattern(path)
    by_sequence = {
        shard.sequence_number(position): kind
        for position, kind in sorted(kinds.items())
        if kind != FailsFirst(0)
    }
    by_position = {poison_position: POISON} if poison_position is not None else {}
    pattern = FailurePattern(by_sequence=by_sequence, by_position=by_position)
    space = exploration.space
    handler = Handler(pattern, space.style, space.raw_payload)
    description = f"found by the explorer: {pattern.describe()}; {path.reason}"
    return Scenario(name, rules.settings, shard, handler, description)


def _replay_key(
    exploration: Exploration,
    state: State,
    kinds: dict[int, FailureKind],
    poison_position: int | None,
) -> Any:
    lazy = exploration.reductions.lazy
    count = state.record_count
    states = []
    decided: list[FailureKind | None] = []
    for position in range(count):
        kind = kinds.get(position, FailsFirst(0))
        processed = state.processed[position]
        if processed == 0 and not lazy:
            states.append(first_state(kind))
        else:
            states.append(kind_state(kind, processed))
        decided.append(kind if (processed or not lazy) else None)
    node = _Node(state, tuple(states), tuple(decided), poison_position)
    mapping = exploration.rules.settings.mapping
    keep_clock = bool(
        mapping.age_is_finite or exploration.rules.settings.timing.retention_seconds
    )
    return _key(node, exploration.reductions, keep_clock, mapping.retries_are_finite)


def replay(exploration: Exploration, path: Path, scenario: Scenario) -> Trace:
    """Simulate ``scenario`` along ``path`` and check it visits the path's nodes."""
    steps = len(path.steps) - 1  # the first step only chooses the pattern
    # A path that breaks a safety property ends where it breaks: the trace is a
    # prefix of the run, cut there; only a lasso shows a shard that never ends.
    trace = simulate(
        scenario,
        step_limit=steps,
        rules=exploration.rules,
        prefix=path.loop_start is None,
    )
    kinds, poison_position = _pattern(path)
    states = [trace.initial, *(t.after for t in trace.transitions)]
    if len(states) != len(path.nodes) - 1:
        raise ReplayMismatch(
            f"{scenario.name}: the simulator took {len(states) - 1} steps, the path "
            f"{len(path.nodes) - 2}"
        )
    for index, (state, node) in enumerate(zip(states, path.nodes[1:], strict=True)):
        if _replay_key(exploration, state, kinds, poison_position) != node:
            raise ReplayMismatch(
                f"{scenario.name}: step {index} of the replay leaves the path"
            )
    return trace


def neighbourhood(exploration: Exploration, path: Path, limit: int = 80) -> nx.DiGraph:
    """The path's nodes and their direct successors, with readable labels."""
    graph = exploration.graph
    shard = exploration.rules.shard
    keep = list(dict.fromkeys(path.nodes))
    for node in path.nodes:
        for successor in graph.successors(node):
            if len(keep) >= limit:
                break
            if successor not in keep:
                keep.append(successor)
    names = {node: f"s{index}" for index, node in enumerate(keep)}
    on_path = set(path.nodes)
    small = nx.DiGraph()
    for node, name in names.items():
        if node == ROOT:
            small.add_node(name, label="start", on_path=True, finished=False)
            continue
        state = graph.nodes[node]["node"].state
        small.add_node(
            name,
            label=f"checkpoint {shard.sequence_number(state.checkpoint)}",
            # the first model state merged into this node: the reports label it
            state=state,
            on_path=node in on_path,
            finished=bool(graph.nodes[node].get("finished")),
        )
    path_edges = set(zip(path.nodes, path.nodes[1:], strict=False))
    for source in keep:
        for target in graph.successors(source):
            if target in names:
                step = exploration.steps(source, target)[0]
                small.add_edge(
                    names[source],
                    names[target],
                    label=_step_label(step, shard),
                    on_path=(source, target) in path_edges,
                )
    return small


def _step_label(step: Any, shard: Any) -> str:
    if step.kind == "choose":
        return "choose pattern"
    batch = span(shard.sequence_numbers(*step.batch)) if step.batch else ""
    return f"{batch} {step.outcome}".strip()


def counterexample(
    exploration: Exploration,
    verdict: Verdict,
    path: Path,
    configuration: str,
    name: str,
) -> Counterexample:
    """A replayed counterexample (or witness) for ``verdict`` along ``path``.

    Examples
    --------
    >>> from checks.explore.matrix import default_matrix, explore_cell
    >>> from checks.explore.verdicts import check_all
    >>> cell = next(c for c in default_matrix() if c.label == "whole/inf/throw")
    >>> exploration = explore_cell(cell)
    >>> progress = next(v for v in check_all(exploration) if v.verdict == "fails")
    >>> example = counterexample(exploration, progress, progress.paths[0], "c", "x")
    >>> example.is_lasso, example.trace.blocked
    (True, True)
    """
    scenario = scenario_for(exploration, path, name)
    trace = replay(exploration, path, scenario)
    prop = verdict.prop
    loop_start = None if path.loop_start is None else path.loop_start - 1
    last = path.steps[-1].why if len(path.steps) > 1 else ""
    explanation = verdict.detail
    if path.reason and path.reason not in explanation:
        explanation += f"; {path.reason}"
    if last and last not in explanation:
        explanation += f" (last step: {last})"
    return Counterexample(
        configuration=configuration,
        property_name=prop.name,
        statement=prop.statement,
        verdict=verdict.verdict,
        scenario=scenario,
        trace=trace,
        explanation=explanation,
        fairness=prop.fairness,
        loop_start=loop_start,
        notes=tuple(exploration.notes),
        neighbourhood=neighbourhood(exploration, path),
    )
