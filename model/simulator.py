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

    ``blocked`` is set when the trace ends before every record is done (the step
    limit was reached).  ``cut`` tells why: set, the run was only cut short (a
    counterexample's prefix, or a step limit while the mapping's finite retry or
    age limit will end it); not set, the shard is blocked: unlimited retries and
    age let a failing record hold it.
    """

    scenario: Scenario
    initial: State
    transitions: tuple[Transition, ...]
    blocked: bool
    step_limit: int = DEFAULT_STEP_LIMIT
    notes: tuple[str, ...] = field(default=())
    cut: bool = False

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
    prefix: bool = False,
) -> Trace:
    """Play ``scenario`` to its end, or to ``step_limit`` steps.

    ``prefix`` says the caller wants only the first ``step_limit`` steps (a
    counterexample ends where the property breaks): such a trace is marked
    ``cut`` and carries no note that the shard is blocked.  ``rules`` replaces
    ``scenario.rules`` (a variant of the model, such as a mutant
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
    # With a finite retry or age limit every run ends (the progress proofs), so
    # stopping at the step limit only cuts it short; it is never blocked.
    cut = not finished and (
        prefix or _limits_end_it(scenario) or not _stalled(transitions)
    )
    notes: tuple[str, ...] = ()
    if not finished and not prefix:
        notes = (_blocked_note(scenario, transitions, step_limit),)
    return Trace(
        scenario,
        initial,
        tuple(transitions),
        blocked=not finished,
        step_limit=step_limit,
        notes=notes,
        cut=cut,
    )


def _limits_end_it(scenario: Scenario) -> bool:
    """Whether the mapping's limits end every run (the two progress proofs).

    Finite retries do unless a stalled partial failure is free (an undocumented
    alternative); a finite age limit does while invocations take time.
    """
    settings = scenario.settings
    mapping = settings.mapping
    stall_is_free = (
        mapping.report_batch_item_failures
        and not settings.undocumented.stalled_partial_counts_as_attempt
    )
    by_retries = mapping.retries_are_finite and not stall_is_free
    by_age = mapping.age_is_finite and settings.timing.invocation_seconds >= 1
    return by_retries or by_age


def _stalled(transitions: list[Transition]) -> bool:
    """Whether the last step left the checkpoint where it was (a failing batch)."""
    if not transitions:
        return False
    last = transitions[-1]
    return last.before.checkpoint == last.after.checkpoint


def _run_handler(scenario: Scenario, state: State, action: Invoke) -> Any:
    batch = action.batch
    sequence_numbers = scenario.shard.sequence_numbers(batch.start, batch.end)
    processed_before = state.processed[batch.start : batch.end]
    return scenario.handler.run(sequence_numbers, processed_before)


def _blocked_note(
    scenario: Scenario, transitions: list[Transition], step_limit: int
) -> str:
    """Why a run stopped at the step limit: cut short, or a blocked shard."""
    state = transitions[-1].after if transitions else scenario.rules.initial_state()
    checkpoint = scenario.shard.sequence_number(state.checkpoint)
    if _limits_end_it(scenario) or not _stalled(transitions):
        why = (
            "the mapping's retry or age limit ends the run later"
            if _limits_end_it(scenario)
            else "the checkpoint was still moving"
        )
        return (
            f"stopped after {step_limit} steps (the step limit) before the shard "
            f"finished; the checkpoint is at {checkpoint} and {why} (raise the "
            "step limit to see the rest)"
        )
    mapping = scenario.settings.mapping
    retention = scenario.settings.timing.retention_seconds
    limits = []
    if not mapping.retries_are_finite:
        limits.append("MaximumRetryAttempts is -1 (unlimited)")
    elif mapping.report_batch_item_failures:
        limits.append("a stalled partial failure uses no retry")
    if not mapping.age_is_finite:
        limits.append("MaximumRecordAgeInSeconds is -1 (unlimited)")
    else:
        limits.append("invocations take no time, so no record ages")
    reason = " and ".join(limits)
    until = (
        f"until retention ({retention} s) trims record {checkpoint}"
        if retention is not None
        else "forever (retention is unbounded)"
    )
    return (
        f"blocked: after {step_limit} steps the checkpoint is still at "
        f"{checkpoint}; {reason}, so the shard waits {until}"
    )
