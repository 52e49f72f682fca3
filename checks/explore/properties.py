"""The properties the explorer checks, each a named object with an English statement.

A property looks at every transition while the graph is built (``on_edge`` says
whether the step breaks it and whether it reaches the property's situation, its
*reachability twin*); ``progress`` and ``bounded_deliveries`` also read the graph's
shape.  The names are shared with the proofs and the reports: do not rename them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from checks.explore.space import UNDECIDED
from model.records import Shard
from model.responses import Outcome, reported_identifiers
from model.semantics import Transition
from model.state import Fate

__all__ = [
    "Property",
    "PROPERTIES",
    "PROPERTY_NAMES",
    "EDGE_PROPERTIES",
    "property_named",
    "observe",
]

#: Each record's kind state after a step and the poison position, when known.
Kinds = tuple[tuple[int, ...], int | None] | None

_SAFETY_FAIRNESS = "none: a safety property, checked on every reachable step"


@dataclass(frozen=True)
class Property:
    """A property: its name, statement, assumed fairness and reachability twin.

    ``twin`` says, in English, the situation whose reachability shows the property
    is not vacuous; a property that holds while its twin is unreachable is
    reported as ``vacuous``.
    """

    name: str
    statement: str
    twin: str
    fairness: str = _SAFETY_FAIRNESS
    #: What a step that breaks it does, in English.
    broken: str = ""

    def on_edge(
        self, transition: Transition, shard: Shard, kinds: Kinds = None
    ) -> tuple[bool, bool]:
        """(violated, twin reached) for one step; graph-level properties: False.

        It reads only what the explorer's key keeps (checkpoint, fates, waiting
        batches, whether a record succeeded, the kind states) and the step
        itself, so every state merged into one node gives the same answer.
        ``kinds`` is each record's kind state after the step
        (``checks.explore.space``) and the poison position, when known.
        """
        return False, False


class _NoSilentLoss(Property):
    def on_edge(
        self, transition: Transition, shard: Shard, kinds: Kinds = None
    ) -> tuple[bool, bool]:
        before, after = transition.before, transition.after
        lost = any(
            fate.is_lost and not old.is_done
            for old, fate in zip(before.fates, after.fates, strict=True)
        )
        return lost or _undescribed_discard(transition), _has_failure(transition)


#: The marker of a step that discards a record without a destination record.
UNDESCRIBED_DISCARD = "lost:undescribed"
UNDESCRIBED_CAUSE = "it was discarded, but no destination record describes it (R9)"


def _undescribed_discard(transition: Transition) -> bool:
    """A record this step calls discarded that no new destination record covers.

    "Discarded" is only a safe ending because a destination record describes the
    record (R9); a model that settles the fate without writing the record loses
    it silently, so the check reads the destination records, not the fate alone.
    """
    before, after = transition.before, transition.after
    written = set(after.destination) - set(before.destination)
    covered = {
        position for entry in written for position in range(entry.start, entry.end)
    }
    return any(
        fate is Fate.DISCARDED and not old.is_done and position not in covered
        for position, (old, fate) in enumerate(
            zip(before.fates, after.fates, strict=True)
        )
    )


class _CheckpointSafety(Property):
    def on_edge(
        self, transition: Transition, shard: Shard, kinds: Kinds = None
    ) -> tuple[bool, bool]:
        before, after = transition.before, transition.after
        back = after.checkpoint < before.checkpoint
        passed = any(not after.fates[p].is_done for p in range(after.checkpoint))
        return back or passed, after.checkpoint > before.checkpoint


class _MinimumCheckpoint(Property):
    def on_edge(
        self, transition: Transition, shard: Shard, kinds: Kinds = None
    ) -> tuple[bool, bool]:
        invocation = transition.invocation
        if invocation is None or invocation.outcome is not Outcome.PARTIAL_FAILURE:
            return False, False
        # the records the handler named, read from its payload: a wrong model
        # may move the checkpoint elsewhere, but it cannot change what was said
        batch = invocation.batch
        sequence_numbers = shard.sequence_numbers(batch.start, batch.end)
        named = reported_identifiers(invocation.run.payload) or []
        reported = {
            sequence_numbers.index(name)
            for name in named
            if isinstance(name, str) and name in sequence_numbers
        }
        if len(reported) < 2:
            return False, False
        after = transition.after
        cut = batch.start + min(reported)
        below_done = all(
            after.fates[p].is_done for p in range(invocation.batch.start, cut)
        )
        at_lowest = bool(transition.discards) or (
            not after.fates[cut].is_done and after.checkpoint <= cut
        )
        return not (below_done and at_lowest), True


class _NoRedelivery(Property):
    def on_edge(
        self, transition: Transition, shard: Shard, kinds: Kinds = None
    ) -> tuple[bool, bool]:
        invocation = transition.invocation
        if invocation is None:
            return False, False
        before = transition.before
        batch = invocation.batch
        redelivered = any(
            before.succeeded[p] and not before.fates[p].is_done
            for p in range(batch.start, batch.end)
        )
        return redelivered, bool(before.pending)


class _Order(Property):
    def on_edge(
        self, transition: Transition, shard: Shard, kinds: Kinds = None
    ) -> tuple[bool, bool]:
        invocation = transition.invocation
        if invocation is None:
            return False, False
        fates = transition.before.fates
        start = invocation.batch.start
        results = invocation.run.results
        keys = [record.partition_key for record in shard.records]
        # keys with an earlier record that is neither done nor processed
        # successfully earlier in this invocation
        waiting = {keys[p] for p in range(start) if not fates[p].is_done}
        violated = False
        for offset, ok in enumerate(results):
            position = start + offset
            if ok and keys[position] in waiting:
                violated = True
            if not ok and not fates[position].is_done:
                waiting.add(keys[position])
        mixed = (True in results) and (False in results)
        return violated, mixed


class _BisectIsolates(Property):
    def on_edge(
        self, transition: Transition, shard: Shard, kinds: Kinds = None
    ) -> tuple[bool, bool]:
        exhausted = [
            discard
            for discard in transition.discards
            if discard.condition == "RetryAttemptsExhausted"
        ]
        if not exhausted:
            return False, False
        invocation = transition.invocation
        start = invocation.batch.start if invocation is not None else 0
        results = invocation.run.results if invocation is not None else ()
        for discard in exhausted:
            for position in range(discard.start, discard.end):
                offset = position - start
                if _would_succeed(position, offset, results, kinds):
                    return True, True
        return False, True


def _would_succeed(
    position: int, offset: int, results: tuple[bool, ...], kinds: Kinds
) -> bool:
    """Whether a discarded record is a good one: it would succeed if delivered.

    A poison record, or one with failures left, is failing, not good.  The kind
    state says which (``checks.explore.space``): 0 failures left is good, and a
    record never processed (undecided) may be good, since some pattern makes it
    so.  Without kind states, only the step's own result is known.
    """
    if kinds is None:
        return 0 <= offset < len(results) and results[offset]
    states, poison_position = kinds
    if poison_position is not None and poison_position == offset + 1:
        return False  # the by-position poison record of this batch
    state = states[position]
    return state == 0 or state == UNDECIDED


def _lost_markers(transition: Transition) -> list[str]:
    """``lost:<fate>`` for each way a record was lost on this step."""
    before, after = transition.before, transition.after
    return [
        f"lost:{fate.value}"
        for fate in {
            new
            for old, new in zip(before.fates, after.fates, strict=True)
            if new.is_lost and not old.is_done
        }
    ]


def _has_failure(transition: Transition) -> bool:
    invocation = transition.invocation
    return invocation is not None and not all(invocation.run.results)


PROPERTIES: tuple[Property, ...] = (
    _NoSilentLoss(
        "no_silent_loss",
        "Every record behind the checkpoint was processed successfully or described "
        "in an on-failure destination record; any other way a record is lost is "
        "reported with its cause (expired by retention, failures returned while "
        "ReportBatchItemFailures is off, a response that reads as success, a "
        "discard with no destination, a failure below the lowest reported record).",
        "a record fails",
    ),
    _CheckpointSafety(
        "checkpoint_safety",
        "The checkpoint never moves back, and never passes a record that is not done.",
        "the checkpoint moves forward",
        broken="the checkpoint moved back or passed a record that is not done",
    ),
    _MinimumCheckpoint(
        "minimum_checkpoint",
        "After a partial failure naming several records, the checkpoint is the "
        "lowest of them: every record before it is done and it is delivered again "
        "(R6).",
        "a partial failure names two or more records",
        broken="after a partial failure naming several records the checkpoint is "
        "not at the lowest of them",
    ),
    Property(
        "progress",
        "Every run reaches the end of the shard through the mapping's own limits: "
        "no run repeats forever (a blocked shard) and none ends only because "
        "retention trimmed a record.",
        "a record fails",
        "the mapping keeps polling while a batch waits (weak fairness); failures "
        "come only from the failure pattern, so a 'fails first k' record succeeds "
        "after k failures",
    ),
    Property(
        "bounded_deliveries",
        "Every record is delivered a bounded number of times; the exact maximum is "
        "reported and equals the formula of docs/explorer.md where one is given.",
        "a record is delivered as often as the maximum (always reachable)",
    ),
    _NoRedelivery(
        "no_redelivery_of_successes",
        "No record that the handler already processed successfully is delivered "
        "again before it is done (the article's claim for custom checkpoints with "
        "a handler that stops at its first failure).",
        "a batch is delivered again (a retry, a bisect half or a remainder)",
        broken="records the handler already processed successfully are delivered again",
    ),
    _Order(
        "order",
        "No record is processed successfully before every earlier record with the "
        "same partition key is done (or processed successfully earlier in the same "
        "invocation).",
        "an invocation in which some records fail and others succeed",
        broken="a record is processed successfully while an earlier record of its "
        "partition key failed and is not done",
    ),
    _BisectIsolates(
        "bisect_isolates_poison",
        "When retries run out, no good record is discarded with the failing "
        "records: every discarded record is poison or still has failures left "
        "(the claim for bisect with a handler that throws; R8 breaks it when "
        "partial responses are on too).",
        "a batch is discarded because its retries ran out",
        broken="a record that would have succeeded (good, or with no failures "
        "left) is discarded together with the failing record",
    ),
)

PROPERTY_NAMES = tuple(prop.name for prop in PROPERTIES)

#: The properties checked on every step while the graph is built.
EDGE_PROPERTIES = tuple(
    prop for prop in PROPERTIES if prop.name not in ("progress", "bounded_deliveries")
)


def property_named(name: str) -> Property:
    """The property called ``name``.

    >>> property_named("order").twin
    'an invocation in which some records fail and others succeed'
    """
    for prop in PROPERTIES:
        if prop.name == name:
            return prop
    raise KeyError(f"no property {name!r}; known: {', '.join(PROPERTY_NAMES)}")


def observe(
    shard: Shard,
) -> Callable[..., tuple[frozenset[str], frozenset[str]]]:
    """An observer for the explorer: the properties one step breaks and reaches.

    The sets are interned, since most steps share one of a few.
    """
    interned: dict[frozenset[str], frozenset[str]] = {}

    def intern(names: frozenset[str]) -> frozenset[str]:
        return interned.setdefault(names, names)

    def observer(
        transition: Transition, kinds: Kinds = None
    ) -> tuple[frozenset[str], frozenset[str]]:
        violated = []
        triggered = ["progress"] if _has_failure(transition) else []
        for prop in EDGE_PROPERTIES:
            breaks, reaches = prop.on_edge(transition, shard, kinds)
            if breaks:
                violated.append(prop.name)
            if reaches:
                triggered.append(prop.name)
        if "no_silent_loss" in violated:
            violated.extend(_lost_markers(transition))
            if _undescribed_discard(transition):
                violated.append(UNDESCRIBED_DISCARD)
        if transition.discards and any(
            discard.condition == "RetentionExpired" for discard in transition.discards
        ):
            violated.append("progress")
        return intern(frozenset(violated)), intern(frozenset(triggered))

    return observer
