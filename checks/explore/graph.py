"""Build the graph of reachable model states for a configuration and a failure space.

Every transition comes from ``model.semantics.Rules.step``; the explorer only
chooses the handler's run (``checks.explore.space.handler_runs``) and afterwards
projects each ``State`` to a smaller key.  Nodes are keys, edges carry the batch, the
response, the outcome and the kinds decided on the way (see docs/explorer.md).
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from checks.explore.space import (
    DONE,
    UNDECIDED,
    Choice,
    FailureSpace,
    first_state,
    handler_runs,
)
from model.handler import FailureKind
from model.responses import HandlerRun
from model.semantics import Expire, Finished, Rules, Transition
from model.state import PendingBatch, State

__all__ = [
    "ROOT",
    "Reductions",
    "Step",
    "Exploration",
    "ExplorationTooLarge",
    "explore",
]

#: The node before any choice: its edges pick the poison position (and, without
#: lazy decisions, every record's kind).
ROOT = "start"

#: Called with a step, and each record's kind state after it with the poison
#: position: the properties the step breaks and those whose situation it reaches.
Observer = Callable[
    [Transition, tuple[tuple[int, ...], int | None]],
    tuple[frozenset[str], frozenset[str]],
]
Progress = Callable[[int, int, int, float], None]


class ExplorationTooLarge(ValueError):
    """The graph grew past ``max_states``: use fewer records or more reductions."""


@dataclass(frozen=True)
class Reductions:
    """Which reductions the explorer applies (all on by default).

    ``lazy``: a record's kind is chosen when it is first processed, not up front.
    ``canonical``: a record's kind is kept as what the handler can still tell
    (failures left, poison), and forgotten once the record is done.
    ``project``: the key drops what no rule and no property reads (delivery and
    processing counts, invocation numbers, destination entries, the clock when no
    time limit applies, retry counts when retries are unlimited).
    """

    lazy: bool = True
    canonical: bool = True
    project: bool = True

    def describe(self) -> str:
        off = [
            name for name in ("lazy", "canonical", "project") if not getattr(self, name)
        ]
        return "all reductions" if not off else "without " + ", ".join(off)


@dataclass(frozen=True)
class Step:
    """What one edge did: an invocation, an expiry, or the choice at the start.

    ``violated`` and ``triggered`` name the properties this step breaks and the
    properties whose situation it reaches (their reachability twins).
    """

    kind: str
    batch: tuple[int, int] | None = None
    run: HandlerRun | None = None
    outcome: str = ""
    decisions: tuple[tuple[int, FailureKind], ...] = ()
    poison_position: int | None = None
    why: str = ""
    violated: frozenset[str] = frozenset()
    triggered: frozenset[str] = frozenset()
    trimmed: bool = False


@dataclass
class Exploration:
    """The explored graph and what is needed to read it."""

    graph: nx.DiGraph
    rules: Rules
    space: FailureSpace
    reductions: Reductions
    seconds: float
    depth: int
    notes: list[str] = field(default_factory=list)
    #: Indexes the verdicts compute once per exploration.
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def states(self) -> int:
        """Reachable model states (the root choice node not counted)."""
        return self.graph.number_of_nodes() - 1

    @property
    def edges(self) -> int:
        return self.graph.number_of_edges()

    def steps(self, source: Any, target: Any) -> list[Step]:
        return self.graph.edges[source, target]["steps"]


@dataclass
class _Node:
    state: State
    kinds: tuple[int, ...]
    decided: tuple[FailureKind | None, ...]
    poison_position: int | None


def explore(
    rules: Rules,
    space: FailureSpace,
    reductions: Reductions | None = None,
    *,
    observer: Observer | None = None,
    max_states: int = 2_000_000,
    progress: Progress | None = None,
) -> Exploration:
    """Explore every run of ``rules`` under every failure pattern of ``space``.

    Examples
    --------
    >>> from model.config import MappingConfig, Settings
    >>> from model.records import Shard
    >>> rules = Rules(Settings(MappingConfig(batch_size=2, maximum_retry_attempts=0)),
    ...               Shard.numbered(2))
    >>> exploration = explore(rules, FailureSpace(("good", "poison")))
    >>> exploration.states > 1
    True
    """
    reductions = reductions or Reductions()
    started = time.monotonic()
    mapping = rules.settings.mapping
    keep_clock = mapping.age_is_finite or rules.settings.timing.retention_seconds
    keep_attempts = mapping.retries_are_finite

    def key_of(node: _Node) -> Any:
        return _key(node, reductions, bool(keep_clock), keep_attempts)

    graph = nx.DiGraph()
    graph.add_node(ROOT, depth=0)
    data: dict[Any, _Node] = {}
    queue: deque[Any] = deque()

    def add(source: Any, node: _Node, step: Step, depth: int) -> None:
        key = key_of(node)
        if key not in data:
            if len(data) >= max_states:
                raise ExplorationTooLarge(
                    f"more than {max_states} states: use fewer records, a smaller "
                    "batch, finite limits, or keep the reductions on"
                )
            data[key] = node
            graph.add_node(key, depth=depth)
            queue.append(key)
        if graph.has_edge(source, key):
            graph.edges[source, key]["steps"].append(step)
        else:
            graph.add_edge(source, key, steps=[step])

    for node, step in _starts(rules, space, reductions):
        add(ROOT, node, step, 1)

    expanded = 0
    depth = 1
    while queue:
        key = queue.popleft()
        node = data[key]
        depth = graph.nodes[key]["depth"]
        expanded += 1
        if progress is not None and expanded % 2000 == 0:
            elapsed = time.monotonic() - started
            progress(expanded, len(data), depth, expanded / max(elapsed, 1e-9))
        for child, step in _successors(
            rules, space, node, observer, reductions.canonical
        ):
            add(key, child, step, depth + 1)
        graph.nodes[key]["finished"] = isinstance(
            rules.next_action(node.state), Finished
        )

    for key, node in data.items():
        graph.nodes[key]["node"] = node
    return Exploration(
        graph, rules, space, reductions, time.monotonic() - started, depth
    )


def _starts(
    rules: Rules, space: FailureSpace, reductions: Reductions
) -> list[tuple[_Node, Step]]:
    """The first states: one per poison position (and per full pattern if eager)."""
    state = rules.initial_state()
    count = state.record_count
    starts = []
    for position in (None, *space.poison_positions):
        if reductions.lazy:
            assignments: list[tuple[FailureKind, ...] | None] = [None]
        else:
            assignments = list(itertools.product(space.record_kinds, repeat=count))
        for assignment in assignments:
            kinds = (UNDECIDED,) * count
            decided: tuple[FailureKind | None, ...] = (None,) * count
            decisions: tuple[tuple[int, FailureKind], ...] = ()
            if assignment is not None:
                kinds = tuple(first_state(kind) for kind in assignment)
                decided = tuple(assignment)
                decisions = tuple(enumerate(assignment))
            why = "the failure pattern is chosen"
            if position is not None:
                why += f": position {position} of every batch is poison"
            step = Step(
                "choose", decisions=decisions, poison_position=position, why=why
            )
            starts.append((_Node(state, kinds, decided, position), step))
    return starts


def _successors(
    rules: Rules,
    space: FailureSpace,
    node: _Node,
    observer: Observer | None,
    forgets_done: bool = True,
) -> list[tuple[_Node, Step]]:
    state = node.state
    action = rules.next_action(state)
    if isinstance(action, Finished):
        return []
    if isinstance(action, Expire):
        transition = rules.step(state)
        violated, triggered = (
            observer(transition, (node.kinds, node.poison_position))
            if observer
            else _nothing()
        )
        step = Step(
            "expire",
            batch=(action.start, action.end),
            outcome=action.condition,
            why=transition.why,
            violated=violated,
            triggered=triggered,
            trimmed=action.condition == "RetentionExpired",
        )
        child = _Node(transition.after, node.kinds, node.decided, node.poison_position)
        return [(child, step)]

    batch = action.batch
    if forgets_done and any(
        state.fates[p].is_done for p in range(batch.start, batch.end)
    ):
        # the canonical reduction forgets done records; the model never delivers
        # one again (tests/test_invariants.py), and a variant that does is refused
        raise ValueError(
            f"the rules deliver a record that is already done (batch "
            f"{batch.start + 1}..{batch.end}); explore them with "
            "Reductions(canonical=False)"
        )
    sequence_numbers = rules.shard.sequence_numbers(batch.start, batch.end)
    children = []
    seen = set()
    for choice in handler_runs(
        space, sequence_numbers, batch.start, node.kinds, node.poison_position
    ):
        signature = (choice.run.results, choice.run.threw, repr(choice.run.payload))
        if (signature, choice.kinds) in seen:
            continue  # another kind the handler cannot tell apart here
        seen.add((signature, choice.kinds))
        transition = rules.step(state, choice.run)
        children.append(_invocation(transition, node, choice, observer))
    return children


def _invocation(
    transition: Transition, node: _Node, choice: Choice, observer: Observer | None
) -> tuple[_Node, Step]:
    invocation = transition.invocation
    assert invocation is not None
    violated, triggered = (
        observer(transition, (choice.kinds, node.poison_position))
        if observer
        else _nothing()
    )
    decided = list(node.decided)
    for position, kind in choice.decisions:
        decided[position] = kind
    batch = invocation.batch
    step = Step(
        "invoke",
        batch=(batch.start, batch.end),
        run=choice.run,
        outcome=str(invocation.outcome),
        decisions=choice.decisions,
        why=transition.why,
        violated=violated,
        triggered=triggered,
    )
    child = _Node(transition.after, choice.kinds, tuple(decided), node.poison_position)
    return child, step


def _nothing() -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(), frozenset()


def _key(
    node: _Node, reductions: Reductions, keep_clock: bool, keep_attempts: bool
) -> Any:
    """The node's key: the state with what no rule and no property reads removed."""
    state = node.state
    fates = state.fates
    if reductions.canonical:
        kinds: tuple[Any, ...] = tuple(
            DONE if fate.is_done else kind
            for fate, kind in zip(fates, node.kinds, strict=True)
        )
    else:
        # the kind as chosen, and how often the record was processed
        kinds = tuple(zip(node.decided, state.processed, strict=True))
    if not reductions.project:
        return (state, kinds, node.poison_position)
    succeeded = tuple(
        bool(count) and not (reductions.canonical and fate.is_done)
        for count, fate in zip(state.succeeded, fates, strict=True)
    )
    if reductions.canonical:
        # how a done record ended is never read again: rules ask only is_done,
        # and the properties saw the change on the step that made it
        fates = tuple(fate.is_done for fate in fates)  # type: ignore[misc]
    pending = state.pending
    if not keep_attempts:
        pending = tuple(PendingBatch(batch.start, batch.end) for batch in pending)
    clock = state.clock if keep_clock else 0
    return (
        state.checkpoint,
        pending,
        clock,
        fates,
        succeeded,
        kinds,
        node.poison_position,
    )
