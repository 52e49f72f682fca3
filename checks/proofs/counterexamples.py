"""Known-false statements: z3 finds a run from the initial state that breaks them.

The failure pattern is symbolic (which records are poison, which fail their first k
processings), so z3's model is a concrete shard, configuration and handler: a
``Scenario`` that ``model.simulator.simulate`` replays.  A counterexample counts only
if the simulator's trace shows the same violation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import z3

from checks.counterexample import Counterexample
from checks.proofs.encoding import (
    FATE_CODES,
    Behaviour,
    Configuration,
    Expiry,
    RuleTable,
    ShardState,
    in_range,
    initial_state,
    step,
    successor,
)
from checks.proofs.handlers import pattern_results, style_constraints
from checks.proofs.runner import Obligation, Statement
from checks.proofs.statements import rank
from model.config import REPORT_BATCH_ITEM_FAILURES, MappingConfig, Settings, Timing
from model.handler import (
    POISON,
    FailsFirst,
    FailureKind,
    FailurePattern,
    Handler,
    ResponseStyle,
)
from model.records import Shard
from model.simulator import Scenario, Trace, simulate
from model.state import Fate

__all__ = ["false_statements", "Unrolling"]

_DESTINATION = "arn:aws:sqs:us-east-1:123456789012:shardcheck-failures"
#: Small limits keep z3's shards short enough to read as a trace.
_MOST_RECORDS, _MOST_RETRIES, _MOST_FAILURES = 6, 2, 3


@dataclass(frozen=True)
class _Setup:
    """The configuration and handler a known-false statement is checked under."""

    bisect: bool
    report_failures: bool
    retries_finite: bool
    style: ResponseStyle
    steps: int
    poison_only: bool = False


class Unrolling:
    """``steps`` steps from the initial state with a symbolic failure pattern."""

    def __init__(self, rules: RuleTable, setup: _Setup, name: str) -> None:
        config = self.config = Configuration.fresh(name)
        # One variable per record (at most _MOST_RECORDS), stored into arrays, so
        # that the failure pattern needs no quantifier.
        self.poison_flags = [
            z3.Bool(f"{name}.poison{index}") for index in range(_MOST_RECORDS)
        ]
        self.failure_counts = [
            z3.Int(f"{name}.fails_first{index}") for index in range(_MOST_RECORDS)
        ]
        self.poison = z3.K(z3.IntSort(), z3.BoolVal(False))
        self.fails_first = z3.K(z3.IntSort(), z3.IntVal(0))
        for index in range(_MOST_RECORDS):
            self.poison = z3.Store(self.poison, index, self.poison_flags[index])
            self.fails_first = z3.Store(
                self.fails_first, index, self.failure_counts[index]
            )
        most_failures = 0 if setup.poison_only else _MOST_FAILURES
        self.premises: list[z3.BoolRef] = [
            *config.constraints(),
            config.record_count <= _MOST_RECORDS,
            config.batch_size <= _MOST_RECORDS,
            config.max_retries <= _MOST_RETRIES,
            config.bisect == setup.bisect,
            config.report_failures == setup.report_failures,
            config.retries_finite == setup.retries_finite,
            config.has_destination,
            *[
                z3.And(count >= 0, count <= most_failures)
                for count in self.failure_counts
            ],
        ]
        #: What a small counterexample keeps small: records, batch, retries, failures.
        self.measure = (
            config.record_count
            + config.batch_size
            + config.max_retries
            + z3.Sum([z3.If(flag, 1, 0) for flag in self.poison_flags])
            + z3.Sum(self.failure_counts)
        )
        state = initial_state(config)
        self.states: list[ShardState] = [state]
        self.behaviours: list[Behaviour] = []
        for index in range(setup.steps):
            behaviour = Behaviour.fresh(f"{name}.behaviour{index}")
            self.premises += [
                state.checkpoint < config.record_count,
                *behaviour.valid(state, config.record_count),
                behaviour.expiry == Expiry.NONE,
                *style_constraints(setup.style, state, behaviour),
                pattern_results(state, behaviour, self.poison, self.fails_first),
            ]
            change = step(rules, config, state, behaviour)
            state, known = successor(config, state, change, f"{name}.state{index + 1}")
            self.premises += known
            self.states.append(state)
            self.behaviours.append(behaviour)

    def scenario(
        self, model: z3.ModelRef, setup: _Setup, name: str, text: str
    ) -> Scenario:
        """The concrete shard, configuration and handler of z3's model."""

        def value(term: z3.ExprRef) -> int:
            return model.eval(term, model_completion=True).as_long()

        records = value(self.config.record_count)
        failures: dict[str, FailureKind] = {}
        for position in range(records):
            poisoned = model.eval(self.poison_flags[position], model_completion=True)
            if z3.is_true(poisoned):
                failures[str(position + 1)] = POISON
            elif (times := value(self.failure_counts[position])) > 0:
                failures[str(position + 1)] = FailsFirst(times)
        mapping = MappingConfig(
            batch_size=value(self.config.batch_size),
            maximum_retry_attempts=(
                value(self.config.max_retries) if setup.retries_finite else -1
            ),
            bisect_batch_on_function_error=setup.bisect,
            function_response_types=(
                (REPORT_BATCH_ITEM_FAILURES,) if setup.report_failures else ()
            ),
            on_failure_destination=_DESTINATION,
        )
        return Scenario(
            name=name,
            settings=Settings(mapping=mapping, timing=Timing(retention_seconds=None)),
            shard=Shard.numbered(records),
            handler=Handler(FailurePattern(by_sequence=failures), setup.style),
            description=f"z3's counterexample to: {text}",
        )


@dataclass(frozen=True)
class _FalseClaim:
    key: str
    property_name: str
    text: str
    setup: _Setup
    violation: Callable[[Unrolling], z3.BoolRef]
    #: Whether the simulator's trace shows the violation; the lasso's loop start.
    shows: Callable[[Trace], tuple[bool, int | None]]
    explanation: str
    step_limit: int = 200
    #: What else a configuration needs for the violation to be possible at all
    #: (beyond the setup): the claim applies to it only then.
    needs: Callable[[MappingConfig], bool] = lambda mapping: True
    #: The same, in English, for ``assumes``.
    needs_text: str = ""


def _redelivered(unrolling: Unrolling) -> z3.BoolRef:
    record = z3.Int("redelivered")
    second = unrolling.states[1]
    return z3.And(
        in_range(record, second.batch_start, second.batch_end),
        second.succeeded[record],
    )


def _stuck(unrolling: Unrolling) -> z3.BoolRef:
    config, first, second = unrolling.config, unrolling.states[1], unrolling.states[2]
    return z3.And(
        first.head_pending,
        *[
            after == before
            for after, before in zip(
                rank(config, second)[:2], rank(config, first)[:2], strict=True
            )
        ],
        second.batch_start == first.batch_start,
        second.batch_end == first.batch_end,
    )


def _lost_as(fate: Fate) -> Callable[[Unrolling], z3.BoolRef]:
    def violation(unrolling: Unrolling) -> z3.BoolRef:
        record = z3.Int("lost")
        return unrolling.states[1].fate[record] == FATE_CODES[fate]

    return violation


def _shows_redelivery(trace: Trace) -> tuple[bool, int | None]:
    for transition in trace.invocations:
        batch = transition.invocation.batch  # type: ignore[union-attr]
        if any(transition.before.succeeded[p] for p in range(batch.start, batch.end)):
            return True, None
    return False, None


def _shows_loop(trace: Trace) -> tuple[bool, int | None]:
    steps = trace.transitions
    if not trace.blocked or len(steps) < 2:
        return False, None
    first = steps[0].invocation
    same = all(
        step.invocation is not None
        and first is not None
        and (step.invocation.batch.start, step.invocation.batch.end)
        == (first.batch.start, first.batch.end)
        and step.invocation.outcome == first.outcome
        and step.after.checkpoint == step.before.checkpoint
        for step in steps
    )
    return same, 1 if same else None


def _shows_fate(fate: Fate) -> Callable[[Trace], tuple[bool, int | None]]:
    return lambda trace: (fate in trace.final.fates, None)


_CLAIMS = (
    _FalseClaim(
        key="whole-batch-no-redelivery",
        property_name="no_redelivery_of_successes",
        text="Under whole-batch retry, no record processed successfully is "
        "delivered again.",
        setup=_Setup(False, False, True, ResponseStyle.THROW, steps=2),
        violation=_redelivered,
        shows=_shows_redelivery,
        explanation="the retry delivers the whole batch again, including records "
        "the handler had already processed successfully",
        # a retry needs R >= 1, and a success beside a failure a batch of two
        needs=lambda mapping: (
            mapping.maximum_retry_attempts >= 1 and mapping.batch_size >= 2
        ),
        needs_text="MaximumRetryAttempts >= 1, BatchSize >= 2",
    ),
    _FalseClaim(
        key="infinite-retries-progress",
        property_name="progress",
        text="With MaximumRetryAttempts -1 (infinite), every shard is finished even "
        "with a poison record.",
        setup=_Setup(
            False, False, False, ResponseStyle.THROW, steps=2, poison_only=True
        ),
        violation=_stuck,
        shows=_shows_loop,
        explanation="the poison record fails every invocation of the same batch "
        "and nothing limits the retries: the shard is blocked forever",
        step_limit=3,
    ),
    _FalseClaim(
        key="report-ignored-no-loss",
        property_name="no_silent_loss",
        text="With ReportBatchItemFailures off, a handler that returns its "
        "failures loses no record.",
        setup=_Setup(False, False, True, ResponseStyle.REPORT_FIRST, steps=1),
        violation=_lost_as(Fate.REPORT_IGNORED),
        shows=_shows_fate(Fate.REPORT_IGNORED),
        explanation="the returned failures are ignored, the normal return is a "
        "success, and the failed record counts as processed",
    ),
    _FalseClaim(
        key="report-highest-no-loss",
        property_name="no_silent_loss",
        text="A handler that reports only its highest failure "
        "(ResponseStyle.REPORT_HIGHEST) loses no record.",
        setup=_Setup(False, True, True, ResponseStyle.REPORT_HIGHEST, steps=1),
        violation=_lost_as(Fate.UNREPORTED_FAILURE),
        shows=_shows_fate(Fate.UNREPORTED_FAILURE),
        explanation="the checkpoint moves to the reported record, so a lower "
        "failure left out of the report counts as processed",
        # a lower failure beside the reported one needs a batch of two
        needs=lambda mapping: mapping.batch_size >= 2,
        needs_text="BatchSize >= 2",
    ),
)


def _obligations(claim: _FalseClaim) -> Callable[[RuleTable], list[Obligation]]:
    def obligations(rules: RuleTable) -> list[Obligation]:
        unrolling = Unrolling(rules, claim.setup, claim.key)
        return [
            Obligation(
                f"{claim.setup.steps} steps from the initial state",
                unrolling.premises,
                z3.Not(claim.violation(unrolling)),
                context=unrolling,
                measure=unrolling.measure,
            )
        ]

    return obligations


def _replay(
    claim: _FalseClaim,
) -> Callable[[z3.ModelRef, Unrolling], Counterexample | None]:
    def replay(model: z3.ModelRef, unrolling: Unrolling) -> Counterexample | None:
        scenario = unrolling.scenario(
            model, claim.setup, f"proof-{claim.key}", claim.text
        )
        trace = simulate(scenario, step_limit=claim.step_limit)
        shown, loop_start = claim.shows(trace)
        if not shown:
            return None
        return Counterexample(
            configuration=scenario.settings.mapping.describe(),
            property_name=claim.property_name,
            statement=claim.text,
            verdict="fails",
            scenario=scenario,
            trace=trace,
            explanation=claim.explanation,
            loop_start=loop_start,
            notes=("found by z3 for all sizes; replayed in the simulator",),
        )

    return replay


def _applies(claim: _FalseClaim) -> Callable[[MappingConfig, ResponseStyle], bool]:
    setup = claim.setup

    def applies(mapping: MappingConfig, style: ResponseStyle) -> bool:
        return (
            mapping.bisect_batch_on_function_error == setup.bisect
            and mapping.report_batch_item_failures == setup.report_failures
            and mapping.retries_are_finite == setup.retries_finite
            # a finite age limit also ends the retries of a poison record
            and (setup.retries_finite or not mapping.age_is_finite)
            and style is setup.style
            and claim.needs(mapping)
        )

    return applies


def false_statements() -> list[Statement]:
    """The known-false statements; each must yield a replayed counterexample."""
    return [
        Statement(
            key=claim.key,
            property_name=claim.property_name,
            text=claim.text,
            expected="fails",
            assumes=f"handler {claim.setup.style}; "
            + (f"{claim.needs_text}; " if claim.needs_text else "")
            + "found within "
            f"{claim.setup.steps} invocation(s) on at most {_MOST_RECORDS} records",
            proof="bounded search from the initial state, replayed in the simulator",
            obligations=_obligations(claim),
            applies=_applies(claim),
            replay=_replay(claim),
        )
        for claim in _CLAIMS
    ]
