"""Hypothesis strategies for shards, failure patterns, handler behaviours and mappings.

Other test suites use them to generate the inputs the model and the oracle judge:
``scenarios()`` draws whole runnable ``model.simulator.Scenario`` values, and the
smaller strategies draw their parts.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from model.config import REPORT_BATCH_ITEM_FAILURES, MappingConfig, Settings
from model.handler import (
    POISON,
    FailsFirst,
    FailureKind,
    FailurePattern,
    Handler,
    ResponseStyle,
)
from model.records import Shard, Source
from model.simulator import Scenario

__all__ = [
    "sources",
    "shards",
    "failing_positions",
    "failure_kinds",
    "failure_patterns",
    "response_styles",
    "handlers",
    "mappings",
    "scenarios",
]

#: The styles a handler may have; RAW needs a payload and is drawn separately.
_STYLES = [style for style in ResponseStyle if style is not ResponseStyle.RAW]

#: Raw payloads users' handlers return (field reports): each reads differently (R2).
RAW_PAYLOADS: tuple[Any, ...] = (
    None,
    "",
    {},
    {"batchItemFailures": []},
    {"batchItemFailures": None},
    {"BatchItemFailures": [{"itemIdentifier": "1"}]},
    {"batchItemFailures": [{"itemIdentifier": ""}]},
    {"batchItemFailures": [{"foo": 1}]},
    {"batchItemFailures": [{"itemIdentifier": 123}]},
    '{"batchItemFailures": [{"itemIdentifier": "1"}]}',
)


def sources() -> st.SearchStrategy[Source]:
    """``"kinesis"`` or ``"dynamodb"``."""
    return st.sampled_from(["kinesis", "dynamodb"])


def shards(
    min_records: int = 1, max_records: int = 12, source: Source | None = None
) -> st.SearchStrategy[Shard]:
    """Shards numbered ``"1"..."n"``, records a second apart.

    >>> shards(max_records=3).example().records[0].sequence_number
    '1'
    """
    kinds = st.just(source) if source else sources()
    return st.builds(
        lambda count, kind: Shard.numbered(count, kind, seconds_apart=1.0),
        st.integers(min_value=min_records, max_value=max_records),
        kinds,
    )


def failing_positions(size: int) -> st.SearchStrategy[frozenset[int]]:
    """Which of ``size`` records fail: a set of positions 0..size-1."""
    if size <= 0:
        return st.just(frozenset())
    return st.frozensets(st.integers(min_value=0, max_value=size - 1), max_size=size)


def failure_kinds() -> st.SearchStrategy[FailureKind]:
    """Poison, or fails its first 1..3 times."""
    return st.one_of(
        st.just(POISON), st.builds(FailsFirst, st.integers(min_value=1, max_value=3))
    )


def failure_patterns(record_count: int) -> st.SearchStrategy[FailurePattern]:
    """Failures by sequence number of a shard numbered 1..record_count, and
    sometimes by position in the batch."""
    by_sequence = st.dictionaries(
        st.integers(min_value=1, max_value=max(record_count, 1)).map(str),
        failure_kinds(),
        max_size=3,
    )
    by_position = st.dictionaries(
        st.integers(min_value=1, max_value=4), failure_kinds(), max_size=1
    )
    return st.builds(
        FailurePattern,
        by_sequence=by_sequence,
        by_position=st.one_of(st.just({}), by_position),
    )


def response_styles() -> st.SearchStrategy[ResponseStyle]:
    return st.sampled_from(_STYLES)


def handlers(record_count: int) -> st.SearchStrategy[Handler]:
    """A failure pattern with a response style, or a fixed raw payload."""
    styled = st.builds(Handler, failure_patterns(record_count), response_styles())
    raw = st.builds(
        lambda pattern, payload: Handler(pattern, ResponseStyle.RAW, payload),
        failure_patterns(record_count),
        st.sampled_from(RAW_PAYLOADS),
    )
    return st.one_of(styled, raw)


def mappings(source: Source | None = None) -> st.SearchStrategy[MappingConfig]:
    """Mapping configurations over the settings that decide a failing batch's fate.

    Retries and age are kept small or finite often enough that runs end quickly.
    """
    return st.builds(
        MappingConfig,
        batch_size=st.integers(min_value=1, max_value=6),
        maximum_retry_attempts=st.sampled_from([-1, 0, 1, 2, 3]),
        maximum_record_age_in_seconds=st.sampled_from([-1, 60, 3600]),
        bisect_batch_on_function_error=st.booleans(),
        function_response_types=st.sampled_from([(), (REPORT_BATCH_ITEM_FAILURES,)]),
        on_failure_destination=st.sampled_from(
            [None, "arn:aws:sqs:us-east-1:123456789012:failures"]
        ),
        source=st.just(source) if source else sources(),
    )


@st.composite
def scenarios(draw: st.DrawFn, max_records: int = 10) -> Scenario:
    """Whole scenarios: shard, mapping of the same source, handler."""
    shard = draw(shards(max_records=max_records))
    mapping = draw(mappings(shard.source))
    handler = draw(handlers(len(shard)))
    return Scenario("generated", Settings(mapping=mapping), shard, handler)
