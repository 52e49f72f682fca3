"""Traces in the Informal Trace Format (ITF) of Apalache and Quint, for trace viewers.

ITF (Apalache ADR-015) is a JSON object with ``#meta``, ``vars``, ``states`` (each a
value for every variable plus its own ``#meta``) and, for a lasso, ``loop``: the
index of the state where the repeated part begins; the last state steps back to it.
Integers are written ``{"#bigint": "..."}`` as Apalache and Quint write them, and
per-record values are ITF maps keyed by sequence number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from checks.reports.content import Subject, batch_label

if TYPE_CHECKING:
    from model.semantics import Transition
    from model.simulator import Trace
    from model.state import State

__all__ = ["ITF_VARIABLES", "bigint", "trace_to_itf"]

#: The variables of every state, in order.
ITF_VARIABLES = [
    "checkpoint",
    "iterator",
    "pending",
    "clock",
    "invocations",
    "deliveries",
    "processed",
    "fates",
    "destination",
    "action",
]

_FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"


def bigint(value: int) -> dict[str, str]:
    """An integer in ITF's big-integer form.

    >>> bigint(-3)
    {'#bigint': '-3'}
    """
    return {"#bigint": str(int(value))}


def trace_to_itf(subject: Subject) -> dict[str, Any]:
    """The subject's trace as an ITF document.

    For a lasso the states are those before each transition, and ``loop`` is the
    index of the state where the loop begins: the last transition leads back to it.

    Examples
    --------
    >>> from model.simulator import simulate
    >>> from model.walkthroughs import walkthrough
    >>> from checks.reports.content import subject_from_trace
    >>> trace = simulate(walkthrough("article-custom-once"))
    >>> itf = trace_to_itf(subject_from_trace(trace))
    >>> [state["checkpoint"] for state in itf["states"]]
    ['1', '6', '11']
    >>> "loop" in itf
    False
    """
    trace = subject.trace
    transitions = trace.transitions
    states: list[tuple[State, str, Transition | None]] = [(trace.initial, "init", None)]
    states += [
        (transition.after, _action(trace, transition), transition)
        for transition in transitions
    ]
    document: dict[str, Any] = {
        "#meta": {
            "format": "ITF",
            "format-description": _FORMAT_DESCRIPTION,
            "source": "shardcheck (python -m checks.verify --out)",
            "description": subject.title,
            "scenario": subject.scenario.name,
            "configuration": subject.configuration,
            "property": subject.property_name,
            "statement": subject.statement,
            "verdict": subject.verdict,
            "explanation": subject.explanation,
        },
        "vars": list(ITF_VARIABLES),
    }
    if subject.is_lasso and transitions:
        loop = min(subject.loop_start or 0, len(transitions) - 1)
        # The state after the last transition is the loop's first state again.
        states = states[:-1]
        document["loop"] = loop
        document["#meta"]["loop"] = (
            f"states {loop}..{len(states) - 1} repeat forever: the last state steps "
            f"back to state {loop} (counters such as clock and invocations keep "
            "growing on each repetition)"
        )
    document["states"] = [
        _state(trace, index, state, action, transition)
        for index, (state, action, transition) in enumerate(states)
    ]
    return document


def _action(trace: Trace, transition: Transition) -> str:
    invocation = transition.invocation
    shard = trace.scenario.shard
    if invocation is None:
        ranges = ", ".join(
            f"{batch_label(shard.sequence_numbers(d.start, d.end))} {d.condition}"
            for d in transition.discards
        )
        return f"expire {ranges}"
    batch = invocation.batch
    label = batch_label(shard.sequence_numbers(batch.start, batch.end))
    return f"invoke #{invocation.number} [{label}]: {invocation.outcome.value}"


def _state(
    trace: Trace,
    index: int,
    state: State,
    action: str,
    transition: Transition | None,
) -> dict[str, Any]:
    shard = trace.scenario.shard
    numbers = [record.sequence_number for record in shard.records]
    meta: dict[str, Any] = {"index": index}
    if transition is not None:
        meta["why"] = transition.why
        meta["rules"] = list(transition.rules)
    return {
        "#meta": meta,
        "checkpoint": shard.sequence_number(state.checkpoint),
        "iterator": shard.sequence_number(state.iterator),
        "pending": [
            {
                "first": shard.sequence_number(batch.start),
                "last": shard.sequence_number(batch.end - 1),
                "attempts": bigint(batch.attempts),
            }
            for batch in state.pending
        ],
        "clock": bigint(state.clock),
        "invocations": bigint(state.invocations),
        "deliveries": _map(numbers, [bigint(count) for count in state.deliveries]),
        "processed": _map(numbers, [bigint(count) for count in state.processed]),
        "fates": _map(numbers, [fate.value or "not_done" for fate in state.fates]),
        "destination": [
            {
                "first": shard.sequence_number(entry.start),
                "last": shard.sequence_number(entry.end - 1),
                "condition": entry.condition,
                "approximateInvokeCount": bigint(entry.invoke_count),
            }
            for entry in state.destination
        ],
        "action": action,
    }


def _map(keys: list[str], values: list[Any]) -> dict[str, Any]:
    return {"#map": [[key, value] for key, value in zip(keys, values, strict=True)]}
