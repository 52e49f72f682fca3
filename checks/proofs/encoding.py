"""The model's transition rules as z3 terms, for every shard length and batch size.

A ``ShardState`` holds integer positions (checkpoint, batch_start, batch_end, ...) and
arrays over positions (fates, deliveries); a ``Behaviour`` is what happens at the
head batch, with the handler's results an unconstrained array, so one query covers
every failure pattern at once.  ``step`` builds the next state from a ``RuleTable``:
a few small functions, one per undocumented choice, that tests can replace and that
``tests/test_proofs_drift.py`` ties to ``model.semantics.Rules.step``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import IntEnum
from typing import Any

import z3

from model.config import Undocumented
from model.responses import Outcome
from model.state import Fate

__all__ = [
    "FATE_CODES",
    "OUTCOME_CODES",
    "Shape",
    "Expiry",
    "Configuration",
    "ShardState",
    "Behaviour",
    "Batch",
    "Step",
    "RuleTable",
    "NotEncoded",
    "rule_table",
    "step",
    "successor",
    "well_formed",
    "initial_state",
    "in_range",
]

#: Fates and outcomes as integers, in the order of their enumerations.
FATE_CODES = {fate: index for index, fate in enumerate(Fate)}
OUTCOME_CODES = {outcome: index for index, outcome in enumerate(Outcome)}


def _fate(fate: Fate) -> z3.ArithRef:
    return z3.IntVal(FATE_CODES[fate])


def _outcome(outcome: Outcome) -> z3.ArithRef:
    return z3.IntVal(OUTCOME_CODES[outcome])


class Shape(IntEnum):
    """What a normal return looks like, in the rows of the R2 table."""

    EMPTY = 0  #: null, "", [], {}, or an empty batchItemFailures
    REPORT = 1  #: well-formed identifiers, all of this batch
    MALFORMED_ENTRY = 2  #: an empty identifier or an entry without one
    UNKNOWN_IDENTIFIER = 3  #: an identifier that is no record of this batch
    UNRECOGNISED = 4  #: a wrong top-level key, e.g. BatchItemFailures


class Expiry(IntEnum):
    """Whether the step expires records at the head instead of invoking (R4)."""

    NONE = 0
    AGE = 1
    RETENTION = 2


class NotEncoded(ValueError):
    """An undocumented alternative the symbolic encoding does not cover."""


def in_range(position: z3.ArithRef, start: Any, end: Any) -> z3.BoolRef:
    """``start <= position < end`` as a z3 formula."""
    return z3.And(start <= position, position < end)


@dataclass(frozen=True)
class Configuration:
    """The mapping settings as z3 terms: N records, BatchSize B, retry limit R."""

    record_count: z3.ArithRef
    batch_size: z3.ArithRef
    max_retries: z3.ArithRef
    retries_finite: z3.BoolRef
    bisect: z3.BoolRef
    report_failures: z3.BoolRef
    has_destination: z3.BoolRef
    #: Timing: the seconds an invocation takes, and the back-off after a failure.
    invocation_seconds: z3.ArithRef
    retry_backoff_seconds: z3.ArithRef

    @classmethod
    def fresh(cls, name: str = "config") -> Configuration:
        return cls(
            record_count=z3.Int(f"{name}.record_count"),
            batch_size=z3.Int(f"{name}.batch_size"),
            max_retries=z3.Int(f"{name}.max_retries"),
            retries_finite=z3.Bool(f"{name}.retries_finite"),
            bisect=z3.Bool(f"{name}.bisect"),
            report_failures=z3.Bool(f"{name}.report_failures"),
            has_destination=z3.Bool(f"{name}.has_destination"),
            invocation_seconds=z3.Int(f"{name}.invocation_seconds"),
            retry_backoff_seconds=z3.Int(f"{name}.retry_backoff_seconds"),
        )

    def constraints(self) -> list[z3.BoolRef]:
        return [
            self.record_count >= 1,
            self.batch_size >= 1,
            self.max_retries >= 0,
            self.invocation_seconds >= 0,
            self.retry_backoff_seconds >= 0,
        ]

    def exhausted(self, attempts: z3.ArithRef) -> z3.BoolRef:
        """R3: the retry budget is used up after ``attempts`` counted invocations."""
        return z3.And(self.retries_finite, attempts > self.max_retries)


@dataclass(frozen=True)
class ShardState:
    """One state: the head batch explicitly, the batches behind it as a summary.

    Under the default rules the pending batches tile ``checkpoint..pending_end`` in
    order, so the batches behind the head are summarised by their count and the
    largest retry count among them.  ``head_pending`` is false when the head is a
    fresh read of up to BatchSize records from the checkpoint.
    """

    checkpoint: z3.ArithRef
    iterator: z3.ArithRef
    batch_start: z3.ArithRef
    batch_end: z3.ArithRef
    attempts: z3.ArithRef
    head_pending: z3.BoolRef
    pending_end: z3.ArithRef
    rest_count: z3.ArithRef
    rest_attempts: z3.ArithRef
    clock: z3.ArithRef
    fate: z3.ArrayRef
    succeeded: z3.ArrayRef
    deliveries: z3.ArrayRef
    processed: z3.ArrayRef

    @classmethod
    def fresh(cls, name: str) -> ShardState:
        def integer(field_name: str) -> z3.ArithRef:
            return z3.Int(f"{name}.{field_name}")

        return cls(
            checkpoint=integer("checkpoint"),
            iterator=integer("iterator"),
            batch_start=integer("batch_start"),
            batch_end=integer("batch_end"),
            attempts=integer("attempts"),
            head_pending=z3.Bool(f"{name}.head_pending"),
            pending_end=integer("pending_end"),
            rest_count=integer("rest_count"),
            rest_attempts=integer("rest_attempts"),
            clock=integer("clock"),
            fate=z3.Array(f"{name}.fate", z3.IntSort(), z3.IntSort()),
            succeeded=z3.Array(f"{name}.succeeded", z3.IntSort(), z3.BoolSort()),
            deliveries=z3.Array(f"{name}.deliveries", z3.IntSort(), z3.IntSort()),
            processed=z3.Array(f"{name}.processed", z3.IntSort(), z3.IntSort()),
        )

    @property
    def batch_size(self) -> z3.ArithRef:
        return self.batch_end - self.batch_start

    def is_done(self, position: z3.ArithRef) -> z3.BoolRef:
        return self.fate[position] != _fate(Fate.NOT_DONE)


@dataclass(frozen=True)
class Behaviour:
    """What happens at the head batch: an expiry, or one invocation of the handler.

    ``results`` is indexed by shard position and read for the ``reached`` records at
    the start of the batch; ``reported`` marks the positions a ``REPORT`` names,
    ``lowest`` and ``highest`` the least and greatest of them.
    """

    expiry: z3.ArithRef
    expire_end: z3.ArithRef
    threw: z3.BoolRef
    reached: z3.ArithRef
    results: z3.ArrayRef
    shape: z3.ArithRef
    reported: z3.ArrayRef
    lowest: z3.ArithRef
    highest: z3.ArithRef

    @classmethod
    def fresh(cls, name: str) -> Behaviour:
        return cls(
            expiry=z3.Int(f"{name}.expiry"),
            expire_end=z3.Int(f"{name}.expire_end"),
            threw=z3.Bool(f"{name}.threw"),
            reached=z3.Int(f"{name}.reached"),
            results=z3.Array(f"{name}.results", z3.IntSort(), z3.BoolSort()),
            shape=z3.Int(f"{name}.shape"),
            reported=z3.Array(f"{name}.reported", z3.IntSort(), z3.BoolSort()),
            lowest=z3.Int(f"{name}.lowest"),
            highest=z3.Int(f"{name}.highest"),
        )

    def reached_position(self, state: ShardState, position: Any) -> z3.BoolRef:
        return in_range(position, state.batch_start, state.batch_start + self.reached)

    def succeeded_at(self, state: ShardState, position: Any) -> z3.BoolRef:
        return z3.And(self.reached_position(state, position), self.results[position])

    def valid(self, state: ShardState, record_count: Any) -> list[z3.BoolRef]:
        """What can happen at the head: an expiry, or any row of the R2 table.

        The age limit discards records of the head batch only (R4); retention may
        trim past its end, up to the end of the shard.
        """
        start, end = state.batch_start, state.batch_end
        position = z3.Int("reported_position")
        expiry_end = z3.If(self.expiry == Expiry.RETENTION, record_count, end)
        return [
            z3.And(self.expiry >= Expiry.NONE, self.expiry <= Expiry.RETENTION),
            z3.Implies(
                self.expiry != Expiry.NONE,
                z3.And(start < self.expire_end, self.expire_end <= expiry_end),
            ),
            z3.And(self.reached >= 0, self.reached <= end - start),
            z3.And(self.shape >= Shape.EMPTY, self.shape <= Shape.UNRECOGNISED),
            z3.Implies(
                self.shape == Shape.REPORT,
                z3.And(
                    in_range(self.lowest, start, end),
                    in_range(self.highest, start, end),
                    self.reported[self.lowest],
                    self.reported[self.highest],
                    z3.ForAll(
                        [position],
                        z3.Implies(
                            self.reported[position],
                            z3.And(self.lowest <= position, position <= self.highest),
                        ),
                    ),
                ),
            ),
        ]


@dataclass(frozen=True)
class Batch:
    """A batch pushed in front of the queue by a step: present or not."""

    present: z3.BoolRef
    start: z3.ArithRef
    end: z3.ArithRef
    attempts: z3.ArithRef


# -- the rule table: one function per documented rule or undocumented choice ----------


@dataclass(frozen=True)
class RuleTable:
    """The small functions the symbolic transition is built from.

    Each corresponds to one branch of ``model.semantics.Rules``; replace one with
    ``dataclasses.replace`` to make a deliberately broken copy (a mutant).
    """

    #: R2: the outcome code of an invocation.
    outcome: Callable[[Configuration, Behaviour], z3.ArithRef]
    #: R5: the size of the first half of a bisected batch.
    split_point: Callable[[z3.ArithRef], z3.ArithRef]
    #: R5/R8: whether a failed invocation of ``size`` records is bisected.
    bisects: Callable[[Configuration, z3.ArithRef, z3.ArithRef], z3.BoolRef]
    #: R5: the retry count each half starts with.
    halves_attempts: Callable[[z3.ArithRef], z3.ArithRef]
    #: R3: the retry count after a failure that is not bisected.
    retry_attempts: Callable[[z3.ArithRef], z3.ArithRef]
    #: R6: where a partial failure puts the checkpoint.
    partial_cut: Callable[[Behaviour], z3.ArithRef]
    #: R7: the retry count of the remainder after a partial failure.
    partial_attempts: Callable[[z3.ArithRef, z3.BoolRef], z3.ArithRef]


def _encodable(undocumented: Undocumented) -> None:
    unsupported = {
        "half_order": "lower_first",
        "bisect_partial": "cut_at_lowest",
        "refill_after_partial": False,
    }
    for name, supported in unsupported.items():
        if getattr(undocumented, name) != supported:
            raise NotEncoded(
                f"the proofs encode {name}={supported!r} only; got "
                f"{getattr(undocumented, name)!r}: use the explorer for this choice"
            )


def rule_table(undocumented: Undocumented | None = None) -> RuleTable:
    """The rule functions for a choice of undocumented parameters (default: all).

    >>> rules = rule_table()
    >>> z3.simplify(rules.split_point(z3.IntVal(5)))
    3
    """
    undocumented = undocumented or Undocumented()
    _encodable(undocumented)
    unknown = (
        Outcome.MALFORMED
        if undocumented.unknown_identifier == "batch_failure"
        else Outcome.SUCCESS
    )
    unrecognised = (
        Outcome.SUCCESS
        if undocumented.unrecognised_payload == "success"
        else Outcome.MALFORMED
    )

    def outcome(config: Configuration, behaviour: Behaviour) -> z3.ArithRef:
        shape = behaviour.shape
        reported = z3.If(
            shape == Shape.EMPTY,
            _outcome(Outcome.SUCCESS),
            z3.If(
                shape == Shape.REPORT,
                _outcome(Outcome.PARTIAL_FAILURE),
                z3.If(
                    shape == Shape.MALFORMED_ENTRY,
                    _outcome(Outcome.MALFORMED),
                    z3.If(
                        shape == Shape.UNKNOWN_IDENTIFIER,
                        _outcome(unknown),
                        _outcome(unrecognised),
                    ),
                ),
            ),
        )
        return z3.If(
            behaviour.threw,
            _outcome(Outcome.FUNCTION_ERROR),
            z3.If(config.report_failures, reported, _outcome(Outcome.SUCCESS)),
        )

    def split_point(size: z3.ArithRef) -> z3.ArithRef:
        return (size + 1) / 2 if undocumented.bisect_split == "ceil" else size / 2

    def bisects(
        config: Configuration, outcome_code: z3.ArithRef, size: z3.ArithRef
    ) -> z3.BoolRef:
        failed_kind = (
            z3.BoolVal(True)
            if undocumented.bisect_on_malformed
            else outcome_code == _outcome(Outcome.FUNCTION_ERROR)
        )
        return z3.And(config.bisect, failed_kind, size >= 2)

    def partial_attempts(attempts: z3.ArithRef, moved: z3.BoolRef) -> z3.ArithRef:
        advanced = 0 if undocumented.budget_renewed_on_advance else attempts + 1
        stalled = (
            attempts + 1 if undocumented.stalled_partial_counts_as_attempt else attempts
        )
        return z3.If(moved, advanced, stalled)

    return RuleTable(
        outcome=outcome,
        split_point=split_point,
        bisects=bisects,
        halves_attempts=lambda attempts: z3.IntVal(0),
        retry_attempts=lambda attempts: attempts + 1,
        partial_cut=lambda behaviour: behaviour.lowest,
        partial_attempts=partial_attempts,
    )


# -- one step -------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """Everything a step changes; ``front`` are the batches it puts at the head."""

    outcome: z3.ArithRef
    checkpoint: z3.ArithRef
    iterator: z3.ArithRef
    clock: z3.ArithRef
    front: tuple[Batch, Batch]
    fate: z3.ArrayRef
    succeeded: z3.ArrayRef
    deliveries: z3.ArrayRef
    processed: z3.ArrayRef
    discarded: z3.BoolRef
    discard_start: z3.ArithRef
    discard_end: z3.ArithRef

    @property
    def front_count(self) -> z3.ArithRef:
        return z3.If(self.front[0].present, 1, 0) + z3.If(self.front[1].present, 1, 0)


_NO_BATCH = Batch(z3.BoolVal(False), z3.IntVal(0), z3.IntVal(0), z3.IntVal(0))
_NO_OUTCOME = z3.IntVal(-1)


def _choose(condition: z3.BoolRef, then: Any, otherwise: Any) -> Any:
    """``If`` over every field of two steps (or batches) of the same kind."""
    values = {
        item.name: (
            tuple(
                _choose(condition, a, b)
                for a, b in zip(
                    getattr(then, item.name), getattr(otherwise, item.name), strict=True
                )
            )
            if isinstance(getattr(then, item.name), tuple)
            else z3.If(
                condition, getattr(then, item.name), getattr(otherwise, item.name)
            )
        )
        for item in fields(then)
    }
    return type(then)(**values)


def _settle(fate: z3.ArrayRef, start: Any, end: Any, new_fate: Any) -> z3.ArrayRef:
    """Records ``start..end`` not yet done take ``new_fate`` (a term over position)."""
    position = z3.Int("settled_position")
    value = new_fate(position) if callable(new_fate) else new_fate
    return z3.Lambda(
        [position],
        z3.If(
            z3.And(
                in_range(position, start, end), fate[position] == _fate(Fate.NOT_DONE)
            ),
            value,
            fate[position],
        ),
    )


def _discard_fate(config: Configuration) -> z3.ArithRef:
    return z3.If(config.has_destination, _fate(Fate.DISCARDED), _fate(Fate.DROPPED))


def _invoke(
    rules: RuleTable, config: Configuration, state: ShardState, behaviour: Behaviour
) -> Step:
    start, end, attempts = state.batch_start, state.batch_end, state.attempts
    position = z3.Int("position")
    deliveries = z3.Lambda(
        [position],
        state.deliveries[position] + z3.If(in_range(position, start, end), 1, 0),
    )
    processed = z3.Lambda(
        [position],
        state.processed[position]
        + z3.If(behaviour.reached_position(state, position), 1, 0),
    )
    succeeded = z3.Lambda(
        [position],
        z3.Or(state.succeeded[position], behaviour.succeeded_at(state, position)),
    )
    outcome = rules.outcome(config, behaviour)
    carried = z3.And(
        z3.Not(config.report_failures),
        z3.Or(
            behaviour.shape == Shape.REPORT,
            behaviour.shape == Shape.MALFORMED_ENTRY,
            behaviour.shape == Shape.UNKNOWN_IDENTIFIER,
        ),
    )
    silent = z3.If(carried, _fate(Fate.REPORT_IGNORED), _fate(Fate.READ_AS_SUCCESS))
    # The invocation takes its time; a failed one also waits the back-off.
    clock = (
        state.clock
        + config.invocation_seconds
        + z3.If(outcome == _outcome(Outcome.SUCCESS), 0, config.retry_backoff_seconds)
    )

    def processed_or(lost: z3.ArithRef) -> Callable[[z3.ArithRef], z3.ArithRef]:
        return lambda p: z3.If(succeeded[p], _fate(Fate.PROCESSED), lost)

    def finish(
        checkpoint: Any, front: tuple[Batch, Batch], fate: Any, discard: tuple
    ) -> Step:
        iterator = z3.If(front[0].present, front[0].start, checkpoint)
        return Step(
            outcome,
            checkpoint,
            iterator,
            clock,
            front,
            fate,
            succeeded,
            deliveries,
            processed,
            *discard,
        )

    no_discard = (z3.BoolVal(False), z3.IntVal(0), z3.IntVal(0))

    # R2: success settles the batch; failed records count as processed, lost.
    success = finish(
        end,
        (_NO_BATCH, _NO_BATCH),
        _settle(state.fate, start, end, processed_or(silent)),
        no_discard,
    )

    # R6/R7: a partial failure cuts the batch and retries the remainder.
    cut = rules.partial_cut(behaviour)
    remainder_attempts = rules.partial_attempts(attempts, cut > start)
    settled = _settle(
        state.fate, start, cut, processed_or(_fate(Fate.UNREPORTED_FAILURE))
    )
    partial_exhausted = config.exhausted(remainder_attempts)
    partial = _choose(
        partial_exhausted,
        finish(
            end,
            (_NO_BATCH, _NO_BATCH),
            _settle(settled, cut, end, _discard_fate(config)),
            (z3.BoolVal(True), cut, end),
        ),
        finish(
            cut,
            (Batch(z3.BoolVal(True), cut, end, remainder_attempts), _NO_BATCH),
            settled,
            no_discard,
        ),
    )

    # R3/R5: a failed invocation is bisected, retried whole, or discarded.
    middle = start + rules.split_point(end - start)
    halves = rules.halves_attempts(attempts)
    retried = rules.retry_attempts(attempts)
    failure = _choose(
        rules.bisects(config, outcome, end - start),
        finish(
            state.checkpoint,
            (
                Batch(z3.BoolVal(True), start, middle, halves),
                Batch(z3.BoolVal(True), middle, end, halves),
            ),
            state.fate,
            no_discard,
        ),
        _choose(
            config.exhausted(retried),
            finish(
                end,
                (_NO_BATCH, _NO_BATCH),
                _settle(state.fate, start, end, _discard_fate(config)),
                (z3.BoolVal(True), start, end),
            ),
            finish(
                state.checkpoint,
                (Batch(z3.BoolVal(True), start, end, retried), _NO_BATCH),
                state.fate,
                no_discard,
            ),
        ),
    )

    return _choose(
        outcome == _outcome(Outcome.SUCCESS),
        success,
        _choose(outcome == _outcome(Outcome.PARTIAL_FAILURE), partial, failure),
    )


def _expire(config: Configuration, state: ShardState, behaviour: Behaviour) -> Step:
    """R4 and retention: records at the head expire without an invocation."""
    start, end, cut = state.batch_start, state.batch_end, behaviour.expire_end
    new_fate = z3.If(
        behaviour.expiry == Expiry.AGE, _discard_fate(config), _fate(Fate.TRIMMED)
    )
    # The rest of the batch runs next, even the rest of a fresh read after an age
    # discard; retention of a fresh read leaves the next read to start anew.
    keeps_rest = z3.And(
        z3.Or(state.head_pending, behaviour.expiry == Expiry.AGE), cut < end
    )
    front = (
        Batch(keeps_rest, cut, end, state.attempts),
        _NO_BATCH,
    )
    return Step(
        outcome=_NO_OUTCOME,
        checkpoint=cut,
        iterator=cut,
        clock=state.clock,
        front=front,
        fate=_settle(state.fate, start, cut, new_fate),
        succeeded=state.succeeded,
        deliveries=state.deliveries,
        processed=state.processed,
        discarded=z3.BoolVal(True),
        discard_start=start,
        discard_end=cut,
    )


def step(
    rules: RuleTable, config: Configuration, state: ShardState, behaviour: Behaviour
) -> Step:
    """The next state's changes: what ``Rules.step`` does, as z3 terms."""
    return _choose(
        behaviour.expiry != Expiry.NONE,
        _expire(config, state, behaviour),
        _invoke(rules, config, state, behaviour),
    )


# -- whole states: the structure every reachable state has -----------------------------


def initial_state(config: Configuration) -> ShardState:
    """Nothing delivered: the head is a fresh read of the first BatchSize records."""
    end = z3.If(
        config.batch_size < config.record_count, config.batch_size, config.record_count
    )
    zero = z3.IntVal(0)
    return ShardState(
        checkpoint=zero,
        iterator=zero,
        batch_start=zero,
        batch_end=end,
        attempts=zero,
        head_pending=z3.BoolVal(False),
        pending_end=end,
        rest_count=zero,
        rest_attempts=zero,
        clock=zero,
        fate=z3.K(z3.IntSort(), _fate(Fate.NOT_DONE)),
        succeeded=z3.K(z3.IntSort(), z3.BoolVal(False)),
        deliveries=z3.K(z3.IntSort(), z3.IntVal(0)),
        processed=z3.K(z3.IntSort(), z3.IntVal(0)),
    )


def _fresh_read_end(config: Configuration, checkpoint: Any) -> z3.ArithRef:
    wanted = checkpoint + config.batch_size
    return z3.If(wanted < config.record_count, wanted, config.record_count)


def well_formed(config: Configuration, state: ShardState) -> list[z3.BoolRef]:
    """The structure of every reachable state under the default rules.

    Records behind the checkpoint, and only those, are done; the head batch starts
    at the checkpoint; the pending batches tile ``checkpoint..pending_end`` within
    one BatchSize; retry counts stay within the budget.
    """
    records = config.record_count
    finished = state.checkpoint >= records
    position = z3.Int("position")
    return [
        z3.And(state.checkpoint >= 0, state.checkpoint <= records),
        state.iterator == state.checkpoint,
        state.batch_start == state.checkpoint,
        z3.Implies(
            z3.Not(finished),
            z3.And(
                state.batch_start < state.batch_end,
                state.batch_end <= state.pending_end,
                state.pending_end <= records,
                state.pending_end - state.checkpoint <= config.batch_size,
            ),
        ),
        z3.Implies(finished, z3.Not(state.head_pending)),
        z3.Implies(
            z3.Not(state.head_pending),
            z3.And(
                state.batch_end == _fresh_read_end(config, state.checkpoint),
                state.attempts == 0,
                state.rest_count == 0,
                state.pending_end == state.batch_end,
            ),
        ),
        state.rest_count >= 0,
        (state.rest_count == 0) == (state.pending_end == state.batch_end),
        state.pending_end - state.batch_end >= state.rest_count,
        state.attempts >= 0,
        state.rest_attempts >= 0,
        z3.Implies(
            config.retries_finite,
            z3.And(
                state.attempts <= config.max_retries,
                state.rest_attempts <= config.max_retries,
            ),
        ),
        z3.ForAll(
            [position],
            z3.Implies(
                in_range(position, 0, records),
                state.is_done(position) == (position < state.checkpoint),
            ),
        ),
    ]


def successor(
    config: Configuration, state: ShardState, change: Step, name: str
) -> tuple[ShardState, list[z3.BoolRef]]:
    """The state after ``change``, and what is known of a head taken from the queue.

    When the step leaves no batch in front, the next head is the next pending batch
    (known only through the summary: it starts at the new checkpoint, which is where
    the old head ended unless retention trimmed further) or, with nothing pending,
    a fresh read from the new checkpoint.
    """
    fresh = ShardState.fresh(name)
    rest_count = z3.If(state.head_pending, state.rest_count, 0)
    pending_end = z3.If(state.head_pending, state.pending_end, state.batch_end)
    has_rest = z3.And(
        state.head_pending, state.rest_count > 0, change.checkpoint < pending_end
    )
    first, second = change.front
    popped = z3.Not(first.present)
    read_end = _fresh_read_end(config, change.checkpoint)
    next_end, next_attempts = fresh.batch_end, fresh.attempts
    rest_after_pop = fresh.rest_count

    head = z3.If(first.present, first.start, change.checkpoint)
    known = [
        z3.Implies(
            first.present,
            z3.And(next_end == first.end, next_attempts == first.attempts),
        ),
        z3.Implies(
            z3.And(popped, has_rest),
            z3.And(
                change.checkpoint < next_end,
                next_end <= pending_end,
                next_attempts >= 0,
                next_attempts <= state.rest_attempts,
                rest_after_pop >= 0,
                rest_after_pop <= rest_count - 1,
                # only retention trimming past the old head drops more batches
                z3.Implies(
                    change.checkpoint == state.batch_end,
                    rest_after_pop == rest_count - 1,
                ),
                (next_end == pending_end) == (rest_after_pop == 0),
                pending_end - next_end >= rest_after_pop,
            ),
        ),
        z3.Implies(
            z3.And(popped, z3.Not(has_rest)),
            z3.And(next_end == read_end, next_attempts == 0),
        ),
    ]
    after = ShardState(
        checkpoint=change.checkpoint,
        iterator=change.iterator,
        batch_start=head,
        batch_end=next_end,
        attempts=next_attempts,
        head_pending=z3.Or(first.present, has_rest),
        pending_end=z3.If(z3.Or(first.present, has_rest), pending_end, read_end),
        rest_count=z3.If(
            first.present,
            rest_count + z3.If(second.present, 1, 0),
            z3.If(has_rest, rest_after_pop, 0),
        ),
        rest_attempts=z3.If(
            z3.And(second.present, second.attempts > state.rest_attempts),
            second.attempts,
            z3.If(z3.Or(first.present, has_rest), state.rest_attempts, 0),
        ),
        clock=change.clock,
        fate=change.fate,
        succeeded=change.succeeded,
        deliveries=change.deliveries,
        processed=change.processed,
    )
    return after, known
