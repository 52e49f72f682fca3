"""The rules: one pure function from a state and an invocation result to the next state.

``Rules`` binds the settings and the shard; ``Rules.next_action`` says what the mapping
does next (expire records, invoke a batch, or nothing: the shard is done) and
``Rules.step`` applies it.  Every branch names the rule of ``docs/model.md`` it
implements, and every transition carries one sentence saying why it happened.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from model.config import Settings
from model.records import Shard
from model.responses import HandlerRun, Outcome, Reading, classify
from model.state import DestinationEntry, Fate, PendingBatch, State

__all__ = [
    "Rules",
    "Transition",
    "InvocationRecord",
    "DiscardRecord",
    "Invoke",
    "Expire",
    "Finished",
    "Action",
    "split_point",
]

RETRY_ATTEMPTS_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"
RETENTION_EXPIRED = "RetentionExpired"


@dataclass(frozen=True)
class Invoke:
    """The next action is to invoke the function with this batch."""

    batch: PendingBatch


@dataclass(frozen=True)
class Expire:
    """Records at the head are too old: trimmed by retention or past the age limit."""

    start: int
    end: int
    condition: str


@dataclass(frozen=True)
class Finished:
    """Every record of the shard is done."""


Action = Invoke | Expire | Finished


@dataclass(frozen=True)
class InvocationRecord:
    """One invocation: its number, batch, what the handler did, how it was read."""

    number: int
    batch: PendingBatch
    run: HandlerRun
    reading: Reading

    @property
    def outcome(self) -> Outcome:
        return self.reading.outcome


@dataclass(frozen=True)
class DiscardRecord:
    """Records discarded or trimmed, and the destination record written, if any."""

    start: int
    end: int
    condition: str
    destination: DestinationEntry | None
    rule: str


@dataclass(frozen=True)
class Transition:
    """One step of the mapping: the states around it, what happened, and why."""

    before: State
    after: State
    invocation: InvocationRecord | None
    discards: tuple[DiscardRecord, ...]
    rules: tuple[str, ...]
    why: str


def split_point(size: int, how: str = "ceil") -> int:
    """The size of the first half when a batch of ``size`` records is bisected (R5).

    >>> split_point(10), split_point(5), split_point(5, "floor")
    (5, 3, 2)
    """
    return math.ceil(size / 2) if how == "ceil" else size // 2


@dataclass(frozen=True)
class Rules:
    """The rules of docs/model.md for one configuration and one shard.

    Examples
    --------
    >>> from model.records import Shard
    >>> from model.responses import HandlerRun
    >>> rules = Rules(Settings(), Shard.numbered(3))
    >>> state = rules.initial_state()
    >>> rules.next_action(state)
    Invoke(batch=PendingBatch(start=0, end=3, attempts=0))
    >>> after = rules.step(state, HandlerRun((True,) * 3, threw=False)).after
    >>> after.checkpoint, after.finished
    (3, True)
    """

    settings: Settings
    shard: Shard
    _first_arrival: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        first = self.shard.records[0].arrival if self.shard.records else 0.0
        object.__setattr__(self, "_first_arrival", first)

    # -- the state before anything happens -------------------------------------

    def initial_state(self) -> State:
        """Nothing delivered; the clock at the arrival of the last record.

        Starting once every record has arrived keeps the model from reading a
        record before it exists; record ages are measured from that clock.
        """
        records = self.shard.records
        clock = math.ceil(records[-1].arrival - records[0].arrival) if records else 0
        return State.initial(len(records), clock=clock)

    # -- what happens next ------------------------------------------------------

    def head_batch(self, state: State) -> PendingBatch | None:
        """The batch that runs next: a waiting one, else a fresh read (R1)."""
        if state.pending:
            return state.pending[0]
        if state.finished:
            return None
        end = min(state.checkpoint + self.settings.mapping.batch_size, len(self.shard))
        return PendingBatch(state.checkpoint, end, 0)

    def next_action(self, state: State) -> Action:
        """What the mapping does in ``state``: expire records, invoke, or nothing."""
        batch = self.head_batch(state)
        if batch is None:
            return Finished()

        trimmed_end = self._expired_prefix_end(state, batch.start, self._retention())
        if trimmed_end > batch.start:
            return Expire(batch.start, trimmed_end, RETENTION_EXPIRED)

        aged_end = self._expired_prefix_end(state, batch.start, self._age_limit())
        aged_end = min(aged_end, batch.end)
        if aged_end > batch.start:
            return Expire(batch.start, aged_end, RECORD_AGE_EXCEEDED)

        return Invoke(batch)

    def step(self, state: State, run: HandlerRun | None = None) -> Transition:
        """Apply the next action; ``run`` is what the handler did if it is invoked."""
        action = self.next_action(state)
        if isinstance(action, Finished):
            raise ValueError("the shard is finished: there is no next step")
        if isinstance(action, Expire):
            return self._expire(state, action)
        if run is None:
            raise ValueError("the next action invokes the function: pass its run")
        return self._invoke(state, action.batch, run)

    # -- R4 and retention: records that are too old -----------------------------

    def _retention(self) -> int | None:
        return self.settings.timing.retention_seconds

    def _age_limit(self) -> int | None:
        mapping = self.settings.mapping
        return mapping.maximum_record_age_in_seconds if mapping.age_is_finite else None

    def age(self, state: State, position: int) -> float:
        """Seconds since the record arrived, on the model's clock."""
        arrival = self.shard.records[position].arrival - self._first_arrival
        return state.clock - arrival

    def _expired_prefix_end(self, state: State, start: int, limit: int | None) -> int:
        if limit is None:
            return start
        inclusive = self.settings.undocumented.age_boundary == "greater_or_equal"
        end = start
        while end < len(self.shard) and not state.is_done(end):
            age = self.age(state, end)
            if not (age > limit or (inclusive and age >= limit)):
                break
            end += 1
        return end

    def _expire(self, state: State, action: Expire) -> Transition:
        if action.condition == RETENTION_EXPIRED:
            fates = _set_fates(state.fates, action.start, action.end, Fate.TRIMMED)
            after = self._settle(state, fates=fates, pending=state.pending)
            discard = DiscardRecord(
                action.start, action.end, action.condition, None, "retention"
            )
            why = (
                f"{self._span(action.start, action.end)} older than the stream's "
                f"retention, so {self._they(action.start, action.end)} trimmed: lost "
                "without a trace"
            )
            return Transition(state, after, None, (discard,), ("retention",), why)

        # The batch was read before its head was found too old, so the rest of
        # that read is what gets invoked next (R4), even on a fresh read: keep it
        # as a waiting batch instead of reading BatchSize records again.
        batch = self.head_batch(state)
        assert batch is not None
        pending = state.pending or (batch,)
        after, discard = self._discard(
            state,
            action.start,
            action.end,
            RECORD_AGE_EXCEEDED,
            batch.attempts,
            None,
            pending,
            rule="R4",
        )
        why = (
            f"{self._span(action.start, action.end)} older than "
            f"MaximumRecordAgeInSeconds, so {self._they(action.start, action.end)} "
            "discarded without invoking "
            f"the function{self._destination_clause(action.start, action.end)}"
        )
        return Transition(state, after, None, (discard,), ("R4",), why)

    # -- R2, R3, R5, R6, R7, R8: one invocation ---------------------------------

    def _invoke(self, state: State, batch: PendingBatch, run: HandlerRun) -> Transition:
        size = batch.size
        if len(run.results) > size:
            raise ValueError(
                f"the handler reports {len(run.results)} results for a batch of {size}"
            )

        sequence_numbers = self.shard.sequence_numbers(batch.start, batch.end)
        mapping = self.settings.mapping
        reading = classify(
            run,
            sequence_numbers,
            report_batch_item_failures=mapping.report_batch_item_failures,
            undocumented=self.settings.undocumented,
        )

        counted = _count_delivery(state, batch, run)
        counted = counted.with_changes(
            invocations=state.invocations + 1,
            clock=state.clock + self.settings.timing.invocation_seconds,
        )
        record = InvocationRecord(state.invocations + 1, batch, run, reading)
        rest = state.pending[1:]

        if reading.outcome is Outcome.SUCCESS:
            after, rules, why = self._after_success(counted, batch, reading, rest)
            return Transition(state, after, record, (), rules, why)

        counted = counted.with_changes(
            clock=counted.clock + self.settings.timing.retry_backoff_seconds
        )
        if reading.outcome is Outcome.PARTIAL_FAILURE:
            return self._after_partial(state, counted, record, rest)
        return self._after_batch_failure(state, counted, record, rest)

    def _after_success(
        self, state: State, batch: PendingBatch, reading: Reading, rest: tuple
    ) -> tuple[State, tuple[str, ...], str]:
        silent = self._silent_fate(reading, Fate.READ_AS_SUCCESS)
        fates = _settle_processed(state, batch.start, batch.end, silent)
        after = self._settle(state, fates=fates, pending=rest)
        lost = [p for p in range(batch.start, batch.end) if fates[p].is_lost]
        why = f"{reading.why}, so {self._span(batch.start, batch.end)} done"
        if lost:
            why += (
                f"; {self._records(lost[0], lost[-1] + 1)} failed but count as "
                "processed: lost without a trace"
            )
        return after, ("R2",), why

    def _silent_fate(self, reading: Reading, default: Fate) -> Fate:
        if reading.carried_failures and not (
            self.settings.mapping.report_batch_item_failures
        ):
            return Fate.REPORT_IGNORED
        return default

    def _after_partial(
        self, before: State, state: State, record: InvocationRecord, rest: tuple
    ) -> Transition:
        batch = record.batch
        undocumented = self.settings.undocumented
        lowest = record.reading.lowest_reported
        assert lowest is not None
        cut = batch.start + lowest
        fates = _settle_processed(state, batch.start, cut, Fate.UNREPORTED_FAILURE)
        moved = cut > batch.start

        end = batch.end
        if undocumented.refill_after_partial and not rest:
            end = max(end, min(cut + self.settings.mapping.batch_size, len(self.shard)))

        if moved:
            attempts = (
                0 if undocumented.budget_renewed_on_advance else batch.attempts + 1
            )
        else:
            stalled_counts = undocumented.stalled_partial_counts_as_attempt
            attempts = batch.attempts + 1 if stalled_counts else batch.attempts

        where = self._seq(cut)
        why = (
            f"{self._failure_text(record)}; the lowest reported record is {where}, "
            "so the checkpoint "
            f"{'moves to' if moved else 'stays at'} {where} (R6)"
        )
        rules: tuple[str, ...] = ("R6", "R7")
        remainder = PendingBatch(cut, end, attempts)

        bisecting = self.settings.mapping.bisect_batch_on_function_error
        if (
            bisecting
            and undocumented.bisect_partial == "cut_then_halve"
            and (remainder.size >= 2)
        ):
            halves = self._halves(remainder)
            pending = self._queue(halves, rest)
            after = self._settle(state, fates=fates, pending=pending)
            why += f" and the remainder is split in two ({self._halves_text(halves)})"
            return Transition(before, after, record, (), (*rules, "R8"), why)

        if self._exhausted(attempts):
            interim = self._settle(state, fates=fates, pending=rest)
            after, discard = self._discard(
                interim,
                cut,
                end,
                RETRY_ATTEMPTS_EXHAUSTED,
                attempts,
                None,
                rest,
                rule="R3",
            )
            why += (
                f"; its retries are used up ({_invocations(attempts)} counted), so "
                f"{self._span(cut, end)} discarded"
                f"{self._destination_clause(cut, end)}"
            )
            return Transition(before, after, record, (discard,), (*rules, "R3"), why)

        pending = (remainder, *rest)
        after = self._settle(state, fates=fates, pending=pending)
        if moved and undocumented.budget_renewed_on_advance:
            why += f"; {self._span(cut, end)} retried with a fresh retry budget (R7)"
        else:
            why += f"; {self._span(cut, end)} retried ({self._budget_text(attempts)})"
        return Transition(before, after, record, (), rules, why)

    def _after_batch_failure(
        self, before: State, state: State, record: InvocationRecord, rest: tuple
    ) -> Transition:
        batch = record.batch
        mapping = self.settings.mapping
        function_error = record.outcome is Outcome.FUNCTION_ERROR
        what = self._failure_text(record)

        bisects = function_error or self.settings.undocumented.bisect_on_malformed
        if mapping.bisect_batch_on_function_error and bisects and batch.size >= 2:
            halves = self._halves(batch)
            pending = self._queue(halves, rest)
            after = self._settle(state, fates=state.fates, pending=pending)
            why = (
                f"{what}, so the batch is split in two "
                f"({self._halves_text(halves)}) without using a retry (R5)"
            )
            return Transition(before, after, record, (), ("R5",), why)

        attempts = batch.attempts + 1
        rule = "R5" if mapping.bisect_batch_on_function_error else "R3"
        if self._exhausted(attempts):
            after, discard = self._discard(
                state,
                batch.start,
                batch.end,
                RETRY_ATTEMPTS_EXHAUSTED,
                attempts,
                "Unhandled" if function_error else None,
                rest,
                rule="R3",
            )
            why = (
                f"{what}; that was invocation {attempts} of "
                f"MaximumRetryAttempts + 1 = {mapping.maximum_retry_attempts + 1}, so "
                f"{self._span(batch.start, batch.end)} discarded"
                f"{self._destination_clause(batch.start, batch.end)}"
            )
            rules = (rule, "R3") if rule != "R3" else ("R3",)
            return Transition(before, after, record, (discard,), rules, why)

        pending = (PendingBatch(batch.start, batch.end, attempts), *rest)
        after = self._settle(state, fates=state.fates, pending=pending)
        why = f"{what}, so the same batch is retried ({self._budget_text(attempts)})"
        return Transition(before, after, record, (), (rule,), why)

    # -- helpers shared by the transitions --------------------------------------

    def _failure_text(self, record: InvocationRecord) -> str:
        """Which records failed, and how the response reads, as one clause."""
        batch, run = record.batch, record.run
        failed = [
            self._seq(batch.start + offset)
            for offset, ok in enumerate(run.results)
            if not ok
        ]
        if not failed:
            return record.reading.why
        names = ", ".join(failed[:3]) + (", ..." if len(failed) > 3 else "")
        noun = "record" if len(failed) == 1 else "records"
        return f"{noun} {names} failed and {record.reading.why}"

    def _exhausted(self, attempts: int) -> bool:
        mapping = self.settings.mapping
        return mapping.retries_are_finite and attempts > mapping.maximum_retry_attempts

    def _halves(self, batch: PendingBatch) -> tuple[PendingBatch, PendingBatch]:
        first = split_point(batch.size, self.settings.undocumented.bisect_split)
        middle = batch.start + first
        return PendingBatch(batch.start, middle, 0), PendingBatch(middle, batch.end, 0)

    def _queue(
        self, halves: tuple[PendingBatch, PendingBatch], rest: tuple
    ) -> tuple[PendingBatch, ...]:
        if self.settings.undocumented.half_order == "narrative":
            return (*rest, *halves)
        return (*halves, *rest)

    def _discard(
        self,
        state: State,
        start: int,
        end: int,
        condition: str,
        invoke_count: int,
        function_error: str | None,
        pending: tuple,
        *,
        rule: str,
    ) -> tuple[State, DiscardRecord]:
        """Discard ``start..end``: a destination record if one is configured (R9)."""
        has_destination = self.settings.mapping.has_destination
        fate = Fate.DISCARDED if has_destination else Fate.DROPPED
        fates = _set_fates(state.fates, start, end, fate)
        entry = None
        destination = state.destination
        if has_destination:
            entry = DestinationEntry(
                start, end, condition, invoke_count, function_error, state.clock
            )
            destination = _append_destination(
                destination, entry, self.settings.undocumented.destination_under_bisect
            )
        # A waiting batch that begins with the discarded records keeps its rest:
        # ``_settle`` trims done records off its start (R4: "the rest of the batch
        # is still invoked"), so it still runs before the batches queued after it.
        after = self._settle(state, fates=fates, pending=pending)
        after = after.with_changes(destination=destination)
        return after, DiscardRecord(start, end, condition, entry, rule)

    def _settle(
        self, state: State, *, fates: tuple[Fate, ...], pending: tuple
    ) -> State:
        """Move the checkpoint to the first record not done and aim the iterator."""
        checkpoint = state.checkpoint
        while checkpoint < len(fates) and fates[checkpoint].is_done:
            checkpoint += 1
        trimmed = []
        for batch in pending:
            start = batch.start
            while start < batch.end and fates[start].is_done:
                start += 1
            if start < batch.end:
                trimmed.append(PendingBatch(start, batch.end, batch.attempts))
        iterator = trimmed[0].start if trimmed else checkpoint
        return state.with_changes(
            checkpoint=checkpoint,
            iterator=iterator,
            pending=tuple(trimmed),
            fates=fates,
        )

    def _seq(self, position: int) -> str:
        return self.shard.sequence_number(position)

    def _span(self, start: int, end: int) -> str:
        """ "record 4 is" or "records 4..10 are", for the sentences of a trace."""
        if end - start == 1:
            return f"record {self._seq(start)} is"
        return f"records {self._seq(start)}..{self._seq(end - 1)} are"

    @staticmethod
    def _they(start: int, end: int) -> str:
        return "it is" if end - start == 1 else "they are"

    def _records(self, start: int, end: int) -> str:
        return self._span(start, end).rsplit(" ", 1)[0]

    def _halves_text(self, halves: tuple[PendingBatch, PendingBatch]) -> str:
        return " and ".join(self._records(half.start, half.end) for half in halves)

    def _budget_text(self, attempts: int) -> str:
        mapping = self.settings.mapping
        if not mapping.retries_are_finite:
            return f"retry {attempts}; MaximumRetryAttempts -1 sets no limit"
        return f"{attempts} of {mapping.maximum_retry_attempts} retries used"

    def _destination_clause(self, start: int, end: int) -> str:
        if self.settings.mapping.has_destination:
            return " and described in a destination record (R9)"
        return (
            f"; no destination is configured, so {self._they(start, end)} lost "
            "without a trace"
        )


def _invocations(count: int) -> str:
    return "1 invocation" if count == 1 else f"{count} invocations"


def _count_delivery(state: State, batch: PendingBatch, run: HandlerRun) -> State:
    deliveries = list(state.deliveries)
    processed = list(state.processed)
    succeeded = list(state.succeeded)
    for position in range(batch.start, batch.end):
        deliveries[position] += 1
    for offset, ok in enumerate(run.results):
        processed[batch.start + offset] += 1
        if ok:
            succeeded[batch.start + offset] += 1
    return state.with_changes(
        deliveries=tuple(deliveries),
        processed=tuple(processed),
        succeeded=tuple(succeeded),
    )


def _settle_processed(
    state: State, start: int, end: int, silent: Fate
) -> tuple[Fate, ...]:
    """Fates of records an invocation counted as processed.

    A record the handler processed successfully at some point is PROCESSED; one it
    never did is lost, with the cause ``silent``.
    """
    fates = list(state.fates)
    for position in range(start, end):
        if not fates[position].is_done:
            fates[position] = Fate.PROCESSED if state.succeeded[position] else silent
    return tuple(fates)


def _set_fates(
    fates: tuple[Fate, ...], start: int, end: int, fate: Fate
) -> tuple[Fate, ...]:
    changed = list(fates)
    for position in range(start, end):
        if not changed[position].is_done:
            changed[position] = fate
    return tuple(changed)


def _append_destination(
    destination: tuple[DestinationEntry, ...], entry: DestinationEntry, how: str
) -> tuple[DestinationEntry, ...]:
    if how == "merged" and destination:
        last = destination[-1]
        if last.end == entry.start and last.condition == entry.condition:
            merged = DestinationEntry(
                last.start,
                entry.end,
                entry.condition,
                max(last.invoke_count, entry.invoke_count),
                entry.function_error,
                entry.clock,
            )
            return (*destination[:-1], merged)
    return (*destination, entry)
