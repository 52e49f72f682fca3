"""Wrong semantics that real implementations could have, each a variant of the model.

Every mutant is a subclass of ``model.semantics.Rules`` that overrides one small
method, with a name, the rule of ``docs/model.md`` it breaks and one sentence saying
what it gets wrong.  ``checks.mutants.score`` runs each through the explorer (as the
model) and through the oracle (as an implementation) and requires that each is caught.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from model.config import Settings
from model.responses import Outcome, Reading
from model.semantics import (
    RECORD_AGE_EXCEEDED,
    Action,
    DiscardRecord,
    Expire,
    InvocationRecord,
    Rules,
    Transition,
    split_point,
)
from model.state import PendingBatch, State

__all__ = ["MutantRules", "MUTANTS", "mutant", "mutant_names"]


class MutantRules(Rules):
    """A variant of the rules that breaks one rule; subclasses name it.

    Examples
    --------
    >>> from model.records import Shard
    >>> rules = mutant("retries-count-invocations")(Settings(), Shard.numbered(2))
    >>> isinstance(rules, Rules), rules.rule
    (True, 'R3')
    """

    #: A short kebab-case name, as the mutation score prints it.
    name: ClassVar[str] = ""
    #: The rule of docs/model.md the variant breaks (R2..R9, or "retention").
    rule: ClassVar[str] = ""
    #: What the variant gets wrong, in one sentence.
    description: ClassVar[str] = ""

    def _variant(self, **undocumented: Any) -> Rules:
        """The correct rules under other undocumented values (or mapping settings).

        Keys that name ``MappingConfig`` fields change the mapping instead.
        """
        mapping_fields = {
            key: undocumented.pop(key)
            for key in list(undocumented)
            if hasattr(self.settings.mapping, key)
        }
        settings = Settings(
            mapping=self.settings.mapping.with_changes(**mapping_fields),
            timing=self.settings.timing,
            undocumented=replace(self.settings.undocumented, **undocumented),
        )
        return Rules(settings, self.shard)


# -- R6: where the custom checkpoint goes --------------------------------------------


class CheckpointAtHighest(MutantRules):
    name = "checkpoint-at-highest"
    rule = "R6"
    description = (
        "a partial failure moves the checkpoint to the highest reported record "
        "instead of the lowest"
    )

    def _after_partial(
        self, before: State, state: State, record: InvocationRecord, rest: tuple
    ) -> Transition:
        reading = record.reading
        highest = replace(reading, reported=(max(reading.reported),))
        return super()._after_partial(
            before, state, replace(record, reading=highest), rest
        )


class CheckpointPastReported(MutantRules):
    name = "checkpoint-past-reported"
    rule = "R6"
    description = (
        "the checkpoint moves past the lowest reported record, as if the "
        "failed record itself were done"
    )

    def _after_partial(
        self, before: State, state: State, record: InvocationRecord, rest: tuple
    ) -> Transition:
        reading = record.reading
        lowest = reading.lowest_reported
        assert lowest is not None
        past = replace(reading, reported=(lowest + 1,))
        return super()._after_partial(
            before, state, replace(record, reading=past), rest
        )


class PartialRetriesWholeBatch(MutantRules):
    name = "partial-retries-whole-batch"
    rule = "R6"
    description = (
        "a partial failure fails the whole batch: the checkpoint stays at its "
        "start and records before the reported one are delivered again"
    )

    def _after_partial(
        self, before: State, state: State, record: InvocationRecord, rest: tuple
    ) -> Transition:
        return self._after_batch_failure(before, state, record, rest)


class ReportsIgnored(MutantRules):
    name = "reports-ignored"
    rule = "R6"
    description = (
        "the records a partial response reports are ignored and the batch "
        "counts as processed (an emulator that never reads the response)"
    )

    def _after_partial(
        self, before: State, state: State, record: InvocationRecord, rest: tuple
    ) -> Transition:
        state = _without_backoff(self, state)
        after, rules, why = self._after_success(
            state, record.batch, record.reading, rest
        )
        return Transition(before, after, record, (), rules, why)


def _without_backoff(rules: Rules, state: State) -> State:
    """The state with the retry back-off taken back off its clock."""
    backoff = rules.settings.timing.retry_backoff_seconds
    return state.with_changes(clock=state.clock - backoff)


# -- R7: the retry budget under partial failures ------------------------------------


class StalledPartialFree(MutantRules):
    name = "stalled-partial-free"
    rule = "R7"
    description = (
        "a partial failure that leaves the checkpoint where it was does not count "
        "as an attempt, so a reported poison record is retried until it expires"
    )

    def _after_partial(
        self, before: State, state: State, record: InvocationRecord, rest: tuple
    ) -> Transition:
        rules = self._variant(stalled_partial_counts_as_attempt=False)
        return rules._after_partial(before, state, record, rest)


class BudgetNotRenewed(MutantRules):
    name = "budget-not-renewed"
    rule = "R7"
    description = (
        "the retry budget is not renewed when a partial failure moves the "
        "checkpoint forward, so later records inherit the earlier attempts"
    )

    def _after_partial(
        self, before: State, state: State, record: InvocationRecord, rest: tuple
    ) -> Transition:
        rules = self._variant(budget_renewed_on_advance=False)
        return rules._after_partial(before, state, record, rest)


# -- R3: whole-batch retries ------------------------------------------------------


class RetriesCountInvocations(MutantRules):
    name = "retries-count-invocations"
    rule = "R3"
    description = (
        "MaximumRetryAttempts counts invocations instead of retries, so a batch "
        "is discarded one invocation early"
    )

    def _exhausted(self, attempts: int) -> bool:
        mapping = self.settings.mapping
        return mapping.retries_are_finite and attempts >= mapping.maximum_retry_attempts


class UnlimitedAsZero(MutantRules):
    name = "unlimited-as-zero"
    rule = "R3"
    description = (
        "MaximumRetryAttempts -1 is compared as a number, so 'unlimited' "
        "discards a failed batch after its first invocation"
    )

    def _exhausted(self, attempts: int) -> bool:
        return attempts > self.settings.mapping.maximum_retry_attempts


class RetryAfterIterator(MutantRules):
    name = "retry-after-iterator"
    rule = "R3"
    description = (
        "after a failed invocation the next read resumes where the iterator "
        "stopped, after the batch, instead of at the checkpoint: the failed "
        "batch is skipped"
    )

    def _after_batch_failure(
        self, before: State, state: State, record: InvocationRecord, rest: tuple
    ) -> Transition:
        batch = record.batch
        mapping = self.settings.mapping
        if mapping.bisect_batch_on_function_error and batch.size >= 2:
            return super()._after_batch_failure(before, state, record, rest)
        if self._exhausted(batch.attempts + 1):
            return super()._after_batch_failure(before, state, record, rest)
        after, rules, why = self._after_success(state, batch, record.reading, rest)
        return Transition(before, after, record, (), rules, why)


# -- R2: reading the response -----------------------------------------------------


class MalformedAsSuccess(MutantRules):
    name = "malformed-as-success"
    rule = "R2"
    description = (
        "a malformed response (an empty or unknown itemIdentifier) reads as "
        "success instead of failing the whole batch"
    )

    def _after_batch_failure(
        self, before: State, state: State, record: InvocationRecord, rest: tuple
    ) -> Transition:
        if record.outcome is not Outcome.MALFORMED:
            return super()._after_batch_failure(before, state, record, rest)
        reading = Reading(
            Outcome.SUCCESS,
            (),
            "the malformed response reads as success",
            carried_failures=True,
        )
        record = replace(record, reading=reading)
        # A success waits no back-off: take back the one the failure added.
        state = _without_backoff(self, state)
        after, rules, why = self._after_success(state, record.batch, reading, rest)
        return Transition(before, after, record, (), rules, why)


# -- R5: bisect -------------------------------------------------------------------


class FloorSplit(MutantRules):
    name = "floor-split"
    rule = "R5"
    description = (
        "a bisected batch of n records splits with floor(n/2) in the first half"
    )

    def _halves(self, batch: PendingBatch) -> tuple[PendingBatch, PendingBatch]:
        middle = batch.start + split_point(batch.size, "floor")
        return PendingBatch(batch.start, middle, 0), PendingBatch(middle, batch.end, 0)


class SplitUsesRetry(MutantRules):
    name = "split-uses-retry"
    rule = "R5"
    description = (
        "splitting a batch uses up a retry: the halves inherit the parent's "
        "attempts plus one, so a poison record runs fewer times alone"
    )

    def _halves(self, batch: PendingBatch) -> tuple[PendingBatch, PendingBatch]:
        lower, upper = super()._halves(batch)
        spent = batch.attempts + 1
        return replace(lower, attempts=spent), replace(upper, attempts=spent)


class UpperHalfFirst(MutantRules):
    name = "upper-half-first"
    rule = "R5"
    description = "the upper half of a bisected batch runs before the lower half"

    def _queue(
        self, halves: tuple[PendingBatch, PendingBatch], rest: tuple
    ) -> tuple[PendingBatch, ...]:
        lower, upper = halves
        return (upper, lower, *rest)


class BisectIgnored(MutantRules):
    name = "bisect-ignored"
    rule = "R5"
    description = (
        "BisectBatchOnFunctionError is ignored: a failed batch is retried whole "
        "(an emulator without bisect)"
    )

    def _after_batch_failure(
        self, before: State, state: State, record: InvocationRecord, rest: tuple
    ) -> Transition:
        rules = self._variant(bisect_batch_on_function_error=False)
        return rules._after_batch_failure(before, state, record, rest)


# -- R4: record age ---------------------------------------------------------------


class AgeIgnored(MutantRules):
    name = "age-ignored"
    rule = "R4"
    description = (
        "MaximumRecordAgeInSeconds is ignored: expired records are still invoked"
    )

    def _age_limit(self) -> int | None:
        return None


class ExpiredWithWholeBatch(MutantRules):
    name = "expired-with-whole-batch"
    rule = "R4"
    description = (
        "records past MaximumRecordAgeInSeconds are discarded together with the "
        "rest of their batch instead of on their own"
    )

    def next_action(self, state: State) -> Action:
        action = super().next_action(state)
        if isinstance(action, Expire) and action.condition == RECORD_AGE_EXCEEDED:
            batch = self.head_batch(state)
            assert batch is not None
            return Expire(action.start, max(action.end, batch.end), action.condition)
        return action


# -- R9: the destination record ---------------------------------------------------


class DiscardWithoutDestination(MutantRules):
    name = "discard-without-destination"
    rule = "R9"
    description = (
        "a discard moves the checkpoint past the records but writes no "
        "destination record although one is configured"
    )

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
        after, discard = super()._discard(
            state,
            start,
            end,
            condition,
            invoke_count,
            function_error,
            pending,
            rule=rule,
        )
        after = after.with_changes(destination=state.destination)
        return after, replace(discard, destination=None)


class InvokeCountIsRetries(MutantRules):
    name = "invoke-count-is-retries"
    rule = "R9"
    description = (
        "approximateInvokeCount in the destination record counts retries, one "
        "less than the invocations"
    )

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
        if condition != RECORD_AGE_EXCEEDED:
            invoke_count = max(invoke_count - 1, 0)
        return super()._discard(
            state,
            start,
            end,
            condition,
            invoke_count,
            function_error,
            pending,
            rule=rule,
        )


class FunctionErrorDropped(MutantRules):
    name = "function-error-dropped"
    rule = "R9"
    description = (
        "the destination record after a function error says functionError null "
        "instead of Unhandled"
    )

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
        return super()._discard(
            state, start, end, condition, invoke_count, None, pending, rule=rule
        )


#: Every mutant, in the order the mutation score prints them.
MUTANTS: tuple[type[MutantRules], ...] = (
    CheckpointAtHighest,
    CheckpointPastReported,
    PartialRetriesWholeBatch,
    ReportsIgnored,
    StalledPartialFree,
    BudgetNotRenewed,
    RetriesCountInvocations,
    UnlimitedAsZero,
    RetryAfterIterator,
    MalformedAsSuccess,
    FloorSplit,
    SplitUsesRetry,
    UpperHalfFirst,
    BisectIgnored,
    AgeIgnored,
    ExpiredWithWholeBatch,
    DiscardWithoutDestination,
    InvokeCountIsRetries,
    FunctionErrorDropped,
)


def mutant_names() -> list[str]:
    """The names of every mutant, in catalogue order.

    >>> len(mutant_names()) >= 15, mutant_names()[0]
    (True, 'checkpoint-at-highest')
    """
    return [cls.name for cls in MUTANTS]


def mutant(name: str) -> type[MutantRules]:
    """The mutant class called ``name``; it is a factory ``(settings, shard) -> Rules``.

    >>> mutant("floor-split").rule
    'R5'
    """
    for cls in MUTANTS:
        if cls.name == name:
            return cls
    raise KeyError(f"no mutant {name!r}; the mutants are {', '.join(mutant_names())}")


def _check_catalogue() -> None:
    names = mutant_names()
    if len(set(names)) != len(names):
        raise RuntimeError("two mutants share a name")


_check_catalogue()
