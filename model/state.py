"""The state of one shard's event source mapping, immutable and hashable.

A ``State`` is everything the rules need to decide the next step: the checkpoint, the
iterator, the batches waiting to run (bisect halves and remainders after a partial
failure, each with its retry count), the clock, and per record how often it was
delivered and processed and how it ended.  Hashable states let the explorer store them
in a graph.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

__all__ = ["Fate", "PendingBatch", "DestinationEntry", "State", "LOST_FATES"]


class Fate(StrEnum):
    """How a record stopped being the mapping's concern ("done")."""

    NOT_DONE = ""
    #: An invocation counted it as processed and the handler did process it.
    PROCESSED = "processed"
    #: Discarded and described in an on-failure destination record.
    DISCARDED = "discarded"
    #: Discarded with no destination configured: lost without a trace.
    DROPPED = "dropped"
    #: Trimmed by the stream's retention before it was done: lost without a trace.
    TRIMMED = "trimmed"
    #: Failed, but a response that reads as success counted it as processed.
    READ_AS_SUCCESS = "read_as_success"
    #: Failed, and the failures were returned while ReportBatchItemFailures is off.
    REPORT_IGNORED = "report_ignored"
    #: Failed or never reached, below the lowest record a partial response named.
    UNREPORTED_FAILURE = "unreported_failure"

    def __str__(self) -> str:
        return self.value

    @property
    def is_done(self) -> bool:
        return self is not Fate.NOT_DONE

    @property
    def is_lost(self) -> bool:
        return self in LOST_FATES

    def cause(self) -> str:
        return _CAUSES[self]


LOST_FATES = frozenset(
    {
        Fate.DROPPED,
        Fate.TRIMMED,
        Fate.READ_AS_SUCCESS,
        Fate.REPORT_IGNORED,
        Fate.UNREPORTED_FAILURE,
    }
)

_CAUSES = {
    Fate.NOT_DONE: "not done yet",
    Fate.PROCESSED: "processed successfully",
    Fate.DISCARDED: "discarded and described in a destination record",
    Fate.DROPPED: "discarded with no on-failure destination configured",
    Fate.TRIMMED: "expired by the stream's retention before it was done",
    Fate.READ_AS_SUCCESS: "it failed, but the response reads as success",
    Fate.REPORT_IGNORED: (
        "it failed, and failures were returned while ReportBatchItemFailures is off"
    ),
    Fate.UNREPORTED_FAILURE: (
        "it failed or was never reached, but the response reported only later records"
    ),
}


@dataclass(frozen=True, order=True)
class PendingBatch:
    """A batch waiting to run: positions ``start`` (inclusive) to ``end`` (exclusive).

    ``attempts`` counts the invocations that used up its retry budget so far.
    """

    start: int
    end: int
    attempts: int = 0

    @property
    def size(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class DestinationEntry:
    """One on-failure destination record, by positions; ``model.events`` renders it.

    ``function_error`` is "Unhandled" after a function error and None otherwise;
    ``condition`` is RetryAttemptsExhausted or RecordAgeExceeded.
    """

    start: int
    end: int
    condition: str
    invoke_count: int
    function_error: str | None
    clock: int


@dataclass(frozen=True)
class State:
    """One state of the mapping on one shard.

    Positions are 0-based indexes into the shard.  ``checkpoint`` is the first
    record not yet done; ``iterator`` is where the next read starts.  ``pending`` is
    the queue of batches that must run before a fresh batch is read, first in line
    first.  ``deliveries``, ``processed`` and ``succeeded`` count, per record, the
    batches it was in, the times the handler reached it, and the times it was
    processed successfully; ``fates`` says how each record ended.
    """

    checkpoint: int
    iterator: int
    pending: tuple[PendingBatch, ...]
    clock: int
    invocations: int
    deliveries: tuple[int, ...]
    processed: tuple[int, ...]
    succeeded: tuple[int, ...]
    fates: tuple[Fate, ...]
    destination: tuple[DestinationEntry, ...] = ()

    @classmethod
    def initial(cls, record_count: int, clock: int = 0) -> State:
        """The state before the first read: nothing delivered, nothing done."""
        zeros = (0,) * record_count
        return cls(
            checkpoint=0,
            iterator=0,
            pending=(),
            clock=clock,
            invocations=0,
            deliveries=zeros,
            processed=zeros,
            succeeded=zeros,
            fates=(Fate.NOT_DONE,) * record_count,
        )

    @property
    def record_count(self) -> int:
        return len(self.fates)

    @property
    def finished(self) -> bool:
        return self.checkpoint >= self.record_count

    def is_done(self, position: int) -> bool:
        return self.fates[position].is_done

    def lost_positions(self) -> list[int]:
        return [index for index, fate in enumerate(self.fates) if fate.is_lost]

    def with_changes(self, **changes: object) -> State:
        return replace(self, **changes)  # type: ignore[arg-type]
