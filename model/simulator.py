"""Run one scenario through the rules and record what happened.

A ``Scenario`` is a configuration, a shard and a handler; ``simulate`` plays it until
every record is done, or until a step limit when the shard is blocked, and returns a
``Trace`` of transitions that the reports, the oracle and the JSON output read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from model.config import Settings
from model.handler import Handler
from model.records import Shard
from model.semantics import Expire, Finished, Invoke, Rules, Transition
from model.state import State

__all__ = ["Scenario", "Trace", "simulate", "DEFAULT_STEP_LIMIT"]

#: Steps (invocations and expiries) after which a run that has not finished is
#: reported as blocked.
DEFAULT_STEP_LIMIT = 1000


@dataclass(frozen=True)
class Scenario:
    """What to run: a name, the settings, the shard and the handler."""

    name: str
    settings: Settings
    shard: Shard
    handler: Handler
    description: str = ""

    @property
    def rules(self) -> Rules:
        return Rules(self.settings, self.shard)


@dataclass(frozen=True)
class Trace:
    """Every transition of one run, and how the run ended.

    ``blocked`` is set when the step limit was reached before every record was
    done: with unlimited retries and age, a failing record holds the shard.
    """

    scenario: Scenario
    initial: State
    transitions: tuple[Transition, ...]
    blocked: bool
    step_limit: int = DEFAULT_STEP_LIMIT
    notes: tuple[str, ...] = field(default=())

    @property
    def final(self) -> State:
        return self.transitions[-1].after if self.transitions else self.initial

    @property
    def invocations(self) -> list[Transition]:
        return [step for step in self.transitions if step.invocation is not None]

    def sequence_number(self, position: int) -> str:
        return self.scenario.shard.sequence_number(position)

    def to_json(self) -> dict[str, Any]:
        """The trace in the shape of ``python -m checks.verify --json``."""
        from model.tracejson import trace_to_json

        return trace_to_json(self)


def simulate(
    scenario: Scenario,
    *,
    step_limit: int = DEFAULT_STEP_LIMIT,
    rules: Rules | None = None,
) -> Trace:
    """Play ``scenario`` to its end, or to ``step_limit`` steps.

    ``rules`` replaces ``scenario.rules`` (a variant of the model, such as a mutant
    of ``checks.mutants``, playing an implementation); the trace still names the
    scenario's settings, so an oracle judges it against the model.

    Examples
    --------
    >>> from model.walkthroughs import walkthrough
    >>> trace = simulate(walkthrough("article-custom-checkpoint"))
    >>> [t.invocation.batch.start + 1 for t in trace.invocations]
    [1, 4, 7, 10]
    """
    rules = scenario.rules if rules is None else rules
    state = rules.initial_state()
    initial = state
    transitions: list[Transition] = []

    while len(transitions) < step_limit:
        action = rules.next_action(state)
        if isinstance(action, Finished):
            return Trace(
                scenario,
                initial,
                tuple(transitions),
                blocked=False,
                step_limit=step_limit,
            )
        if isinstance(action, Expire):
            transition = rules.step(state)
        else:
            transition = rules.step(state, _run_handler(scenario, state, action))
        transitions.append(transition)
        state = transition.after

    finished = isinstance(rules.next_action(state), Finished)
    notes = () if finished else (_blocked_note(scenario, state, step_limit),)
    return Trace(
        scenario,
        initial,
        tuple(transitions),
        blocked=not finished,
        step_limit=step_limit,
        notes=notes,
    )


def _run_handler(scenario: Scenario, state: State, action: Invoke) -> Any:
    batch = action.batch
    sequence_numbers = scenario.shard.sequence_numbers(batch.start, batch.end)
    processed_before = state.processed[batch.start : batch.end]
    return scenario.handler.run(sequence_numbers, processed_before)


def _blocked_note(scenario: Scenario, state: State, step_limit: int) -> str:
    checkpoint = scenario.shard.sequence_number(state.checkpoint)
    mapping = scenario.settings.mapping
    retention = scenario.settings.timing.retention_seconds
    limits = []
    if not mapping.retries_are_finite:
        limits.append("MaximumRetryAttempts is -1 (unlimited)")
    if not mapping.age_is_finite:
        limits.append("MaximumRecordAgeInSeconds is -1 (unlimited)")
    reason = " and ".join(limits) or "the limits are not reached yet"
    until = (
        f"until retention ({retention} s) trims record {checkpoint}"
        if retention is not None
        else "forever (retention is unbounded)"
    )
    return (
        f"blocked: after {step_limit} steps the checkpoint is still at "
        f"{checkpoint}; {reason}, so the shard waits {until}"
    )
