"""The symbolic transition must not drift from ``model.semantics.Rules.step``.

z3 is asked for many diverse models of one step (configuration, state, handler
behaviour); each is built as a concrete ``State`` and ``HandlerRun``, run through the
model's one transition function, and the next checkpoint, iterator, pending batches,
retry counts, fates, counts and discards are compared with what the encoding says.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import z3

from checks.proofs.encoding import (
    FATE_CODES,
    OUTCOME_CODES,
    Behaviour,
    Configuration,
    Expiry,
    RuleTable,
    Shape,
    ShardState,
    rule_table,
    step,
    well_formed,
)
from model.config import (
    REPORT_BATCH_ITEM_FAILURES,
    MappingConfig,
    Settings,
    Timing,
    Undocumented,
)
from model.records import Record, Shard
from model.responses import HandlerRun
from model.semantics import Invoke, Rules
from model.state import Fate, PendingBatch, State

FATES = list(Fate)
OUTCOMES = {code: outcome for outcome, code in OUTCOME_CODES.items()}
MOST_RECORDS = 8


class _Sample:
    """One z3 model of one step, and the concrete objects it stands for."""

    def __init__(self, model: z3.ModelRef, config, state, behaviour, change) -> None:
        self.model = model
        self.config, self.state, self.behaviour, self.change = (
            config,
            state,
            behaviour,
            change,
        )

    def int(self, term: Any) -> int:
        return self.model.eval(term, model_completion=True).as_long()

    def bool(self, term: Any) -> bool:
        return z3.is_true(self.model.eval(term, model_completion=True))


def _symbolic_step(rules: RuleTable):
    config = Configuration.fresh("drift")
    state = ShardState.fresh("drift.before")
    behaviour = Behaviour.fresh("drift.behaviour")
    change = step(rules, config, state, behaviour)
    hard = [
        *config.constraints(),
        *well_formed(config, state),
        *behaviour.valid(state, config.record_count),
        state.checkpoint < config.record_count,
        config.record_count <= MOST_RECORDS,
        config.batch_size <= MOST_RECORDS,
        config.max_retries <= 3,
        config.invocation_seconds <= 3,
        config.retry_backoff_seconds <= 3,
        state.rest_attempts == 0,
        # An expiry sample's arrival times are set so that, at this clock, exactly
        # the expiring records are older than the limits.
        z3.Implies(behaviour.expiry != Expiry.NONE, state.clock == 1030),
        z3.And(state.clock >= 0, state.clock <= 2000),
    ]
    for position in range(MOST_RECORDS):
        hard += [
            state.fate[position] >= 0,
            state.fate[position] < len(FATES),
            state.deliveries[position] >= 0,
            state.deliveries[position] <= 4,
            state.processed[position] >= 0,
            state.processed[position] <= 4,
        ]
    return config, state, behaviour, change, hard


def _wishes(rng: random.Random, config, state, behaviour) -> list[z3.BoolRef]:
    """Random targets; those that contradict the rest are dropped."""
    records = rng.randint(1, MOST_RECORDS)
    expiry = rng.choice([Expiry.NONE] * 5 + [Expiry.AGE, Expiry.RETENTION])
    wishes = [
        config.record_count == records,
        config.batch_size == rng.randint(1, MOST_RECORDS),
        config.max_retries == rng.randint(0, 3),
        config.retries_finite == (rng.random() < 0.7),
        config.bisect == (rng.random() < 0.5),
        config.report_failures == (rng.random() < 0.6),
        config.has_destination == (rng.random() < 0.5),
        config.invocation_seconds == rng.randint(0, 3),
        config.retry_backoff_seconds == rng.randint(0, 3),
        state.clock == rng.randint(0, 50),
        state.checkpoint == rng.randint(0, records - 1),
        state.head_pending == (rng.random() < 0.6),
        state.attempts == rng.randint(0, 3),
        state.rest_count == rng.randint(0, 2),
        behaviour.expiry == expiry,
        behaviour.expire_end == rng.randint(1, records),
        behaviour.threw == (rng.random() < 0.3),
        behaviour.shape == rng.choice(list(Shape) + [Shape.REPORT] * 3),
        behaviour.reached == rng.randint(0, MOST_RECORDS),
    ]
    for position in range(MOST_RECORDS):
        wishes += [
            behaviour.results[position] == (rng.random() < 0.6),
            behaviour.reported[position] == (rng.random() < 0.4),
            state.succeeded[position] == (rng.random() < 0.3),
            state.fate[position] == rng.randrange(len(FATES)),
            state.deliveries[position] == rng.randint(0, 3),
        ]
    rng.shuffle(wishes)
    return wishes


def _kinds(state: ShardState, behaviour: Behaviour, change: Any) -> list[z3.BoolRef]:
    """Kinds of step every run of samples includes, whatever z3's choices."""
    first, second = change.front
    kinds = [change.outcome == code for code in OUTCOME_CODES.values()]
    return [
        *kinds,
        behaviour.expiry == Expiry.AGE,
        z3.And(
            behaviour.expiry == Expiry.RETENTION,
            behaviour.expire_end > state.batch_end,
            state.head_pending,
            state.rest_count > 0,
        ),
        second.present,
        z3.And(first.present, z3.Not(second.present), behaviour.expiry == Expiry.NONE),
        change.discarded,
    ]


def samples(count: int, seed: int, rules: RuleTable) -> list[_Sample]:
    """``count`` diverse z3 models of one step of the encoding under ``rules``.

    The first samples are each of one kind of step (``_kinds``); the rest are
    steered only by random targets.
    """
    rng = random.Random(seed)
    config, state, behaviour, change, hard = _symbolic_step(rules)
    forced = _kinds(state, behaviour, change)
    samples = []
    for index in range(count):
        solver = z3.Solver()
        solver.set("timeout", 5000)
        solver.add(*hard)
        # A kind that a broken rule table can no longer produce is skipped.
        if index < len(forced) and solver.check(forced[index]) == z3.sat:
            solver.add(forced[index])
        wishes = _wishes(rng, config, state, behaviour)
        flags = [z3.Bool(f"wish{index}") for index in range(len(wishes))]
        solver.add(
            *[z3.Implies(flag, wish) for flag, wish in zip(flags, wishes, strict=True)]
        )
        # Drop wishes from the unsatisfiable core until the rest can hold together.
        active = list(flags)
        while solver.check(*active) == z3.unsat:
            core = {str(flag) for flag in solver.unsat_core()}
            dropped = rng.choice(sorted(core))
            active = [flag for flag in active if str(flag) != dropped]
        samples.append(_Sample(solver.model(), config, state, behaviour, change))
    return samples


def _payload(sample: _Sample, shard: Shard) -> Any:
    behaviour = sample.behaviour
    shape = Shape(sample.int(behaviour.shape))
    if shape is Shape.EMPTY:
        return None
    if shape is Shape.MALFORMED_ENTRY:
        return {"batchItemFailures": [{"itemIdentifier": ""}]}
    if shape is Shape.UNKNOWN_IDENTIFIER:
        return {"batchItemFailures": [{"itemIdentifier": "0"}]}
    if shape is Shape.UNRECOGNISED:
        start = sample.int(sample.state.batch_start)
        return {"BatchItemFailures": [{"itemIdentifier": shard.sequence_number(start)}]}
    lowest, highest = sample.int(behaviour.lowest), sample.int(behaviour.highest)
    named = [
        position
        for position in range(lowest, highest + 1)
        if sample.bool(behaviour.reported[position])
    ]
    return {
        "batchItemFailures": [
            {"itemIdentifier": shard.sequence_number(position)} for position in named
        ]
    }


def _concrete(sample: _Sample, undocumented: Undocumented, factory: Any = Rules):
    """The settings, shard, state and handler run the z3 model stands for."""
    config, state, behaviour = sample.config, sample.state, sample.behaviour
    records = sample.int(config.record_count)
    expiry = Expiry(sample.int(behaviour.expiry))
    expire_end = sample.int(behaviour.expire_end)
    # Records before expire_end are old, the rest young: exactly they expire.
    old = expiry is not Expiry.NONE
    arrivals = [0.0 if old and p < expire_end else 1000.0 for p in range(records)]
    shard = Shard(
        "kinesis",
        tuple(Record(str(p + 1), arrival) for p, arrival in enumerate(arrivals)),
    )
    mapping = MappingConfig(
        batch_size=sample.int(config.batch_size),
        maximum_retry_attempts=(
            sample.int(config.max_retries) if sample.bool(config.retries_finite) else -1
        ),
        maximum_record_age_in_seconds=60 if expiry is Expiry.AGE else -1,
        bisect_batch_on_function_error=sample.bool(config.bisect),
        function_response_types=(
            (REPORT_BATCH_ITEM_FAILURES,) if sample.bool(config.report_failures) else ()
        ),
        on_failure_destination="arn:aws:sqs:us-east-1:1:q"
        if sample.bool(config.has_destination)
        else None,
    )
    timing = Timing(
        invocation_seconds=sample.int(config.invocation_seconds),
        retry_backoff_seconds=sample.int(config.retry_backoff_seconds),
        retention_seconds=60 if expiry is Expiry.RETENTION else None,
    )
    rules = factory(Settings(mapping, timing, undocumented), shard)

    start, end = sample.int(state.batch_start), sample.int(state.batch_end)
    pending: list[PendingBatch] = []
    rest: list[PendingBatch] = []
    if sample.bool(state.head_pending):
        pending.append(PendingBatch(start, end, sample.int(state.attempts)))
        rest_count, pending_end = (
            sample.int(state.rest_count),
            sample.int(state.pending_end),
        )
        edges = [end + index for index in range(rest_count)] + [pending_end]
        rest = [PendingBatch(a, b, 0) for a, b in zip(edges, edges[1:], strict=False)]
    concrete_state = State(
        checkpoint=sample.int(state.checkpoint),
        iterator=sample.int(state.iterator),
        pending=tuple(pending + rest),
        clock=sample.int(state.clock),
        invocations=0,
        deliveries=tuple(sample.int(state.deliveries[p]) for p in range(records)),
        processed=tuple(sample.int(state.processed[p]) for p in range(records)),
        succeeded=tuple(int(sample.bool(state.succeeded[p])) for p in range(records)),
        fates=tuple(FATES[sample.int(state.fate[p])] for p in range(records)),
    )
    reached = sample.int(behaviour.reached)
    run = HandlerRun(
        tuple(sample.bool(behaviour.results[start + i]) for i in range(reached)),
        threw=sample.bool(behaviour.threw),
        payload=_payload(sample, shard),
    )
    return rules, concrete_state, None if old else run, rest, records


def compare(
    sample: _Sample,
    undocumented: Undocumented,
    factory: Any = Rules,
    *,
    check_clock: bool = True,
) -> tuple:
    """Step the model (``factory``) from the sample's state and compare the results.

    Returns the kind of step: (outcome, discarded, batches put in front, expiry).
    """
    rules, before, run, rest, records = _concrete(sample, undocumented, factory)
    change = sample.change
    action = rules.next_action(before)
    if run is not None:
        assert action == Invoke(before.pending[0] if before.pending else action.batch)
        assert (action.batch.start, action.batch.end) == (
            sample.int(sample.state.batch_start),
            sample.int(sample.state.batch_end),
        )
    transition = rules.step(before, run)
    after = transition.after

    front = [
        PendingBatch(sample.int(b.start), sample.int(b.end), sample.int(b.attempts))
        for b in change.front
        if sample.bool(b.present)
    ]
    checkpoint = sample.int(change.checkpoint)
    # Batches behind the head are untouched, except by retention trimming past it;
    # what the successor assumes of them must hold.
    rest_after = [
        PendingBatch(max(batch.start, checkpoint), batch.end, batch.attempts)
        for batch in rest
        if batch.end > checkpoint
    ]
    if rest_after and not front:
        assert rest_after[0].start == checkpoint
        assert len(rest_after) <= len(rest)
    if checkpoint <= sample.int(sample.state.batch_end):
        assert len(rest_after) == len(rest)
    assert after.checkpoint == checkpoint
    assert after.iterator == sample.int(change.iterator)
    if check_clock:
        assert after.clock == sample.int(change.clock)
    assert after.pending == tuple(front + rest_after)
    assert [FATE_CODES[fate] for fate in after.fates] == [
        sample.int(change.fate[p]) for p in range(records)
    ]
    assert list(after.deliveries) == [
        sample.int(change.deliveries[p]) for p in range(records)
    ]
    assert list(after.processed) == [
        sample.int(change.processed[p]) for p in range(records)
    ]
    assert [count > 0 for count in after.succeeded] == [
        sample.bool(change.succeeded[p]) for p in range(records)
    ]
    discards = [(d.start, d.end) for d in transition.discards]
    expected = (
        [(sample.int(change.discard_start), sample.int(change.discard_end))]
        if sample.bool(change.discarded)
        else []
    )
    assert discards == expected
    outcome = None
    if transition.invocation is not None:
        outcome = transition.invocation.outcome
        assert OUTCOMES[sample.int(change.outcome)] is outcome
    return (outcome, bool(discards), len(front), run is None)


@pytest.mark.parametrize(
    "undocumented",
    [
        Undocumented(),
        Undocumented(bisect_split="floor"),
        Undocumented(budget_renewed_on_advance=False),
        Undocumented(stalled_partial_counts_as_attempt=False),
        Undocumented(
            unknown_identifier="ignored", unrecognised_payload="batch_failure"
        ),
        Undocumented(bisect_on_malformed=False),
    ],
    ids=lambda u: ",".join(f"{k}={v}" for k, v in u.differences().items()) or "default",
)
def test_random_models_step_like_the_simulator(undocumented: Undocumented) -> None:
    count = 100 if not undocumented.differences() else 30
    seen = set()
    rules = rule_table(undocumented)
    trimmed_past_the_batch = False
    for sample in samples(count, seed=len(str(undocumented)), rules=rules):
        seen.add(compare(sample, undocumented))
        behaviour, state = sample.behaviour, sample.state
        trimmed_past_the_batch |= sample.int(
            behaviour.expiry
        ) == Expiry.RETENTION and sample.int(behaviour.expire_end) > sample.int(
            state.batch_end
        )
    if not undocumented.differences():
        # The samples reach every kind of step: each outcome, discards, splits,
        # retries, and expiries.
        outcomes = {kind[0] for kind in seen}
        assert outcomes >= {None, *OUTCOMES.values()}
        assert any(kind[1] for kind in seen)
        assert any(kind[2] == 2 for kind in seen)
        assert any(kind[2] == 1 and kind[0] is not None for kind in seen)
        assert trimmed_past_the_batch
