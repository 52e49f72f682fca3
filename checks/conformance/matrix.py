"""The scenario matrix the conformance runs play: every mode the mapping accepts.

Each scenario is a small shard (five records, BatchSize 4, so a discard is followed
by a fresh read) under one combination of bisect, ReportBatchItemFailures, finite
and infinite retries and record age, with and without a destination, for each
handler style and failure pattern, plus the malformed responses of R2's table.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from model.config import (
    INFINITE,
    REPORT_BATCH_ITEM_FAILURES,
    MappingConfig,
    Settings,
    Timing,
)
from model.handler import POISON, FailsFirst, FailurePattern, Handler, ResponseStyle
from model.records import Shard
from model.simulator import Scenario, simulate

__all__ = [
    "scenario_name",
    "MATRIX_TIMING",
    "QUEUE_ARN",
    "RAW_RESPONSES",
    "header_for",
    "matrix",
    "scenario_size",
]

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:shardcheck-failures"

#: Every invocation takes 30 s and a retry does not wait, so that a record of age
#: limit 60 s expires before the fourth invocation.  The back-off is zero because
#: LocalStack checks age before its back-off wait and the model after it; with no
#: wait the two clocks agree.  Retention belongs to the stream, which the fake
#: stream does not trim, so it is unbounded here.
MATRIX_TIMING = Timing(
    invocation_seconds=30, retry_backoff_seconds=0, retention_seconds=None
)

_RECORDS = 5
_BATCH_SIZE = 4
#: Arrivals 20 s apart, so that under an age limit of 60 s the records of one
#: batch expire at different invocations (the first before any invocation).
_SPREAD_SECONDS = 20

#: Responses of R2's table that are not a handler style's own, by a short name.
RAW_RESPONSES: dict[str, Any] = {
    "empty-identifier": {"batchItemFailures": [{"itemIdentifier": ""}]},
    "null-identifier": {"batchItemFailures": [{"itemIdentifier": None}]},
    "other-key-entry": {"batchItemFailures": [{"foo": 1}]},
    "unknown-identifier": {"batchItemFailures": [{"itemIdentifier": "123"}]},
    "number-identifier": {"batchItemFailures": [{"itemIdentifier": 3}]},
    "wrong-top-level-key": {"BatchItemFailures": [{"itemIdentifier": "3"}]},
    "failures-not-a-list": {"batchItemFailures": {}},
    "bare-string": "3",
    "list-payload": [{"itemIdentifier": "3"}],
    "non-json": b"not json",
    "null-failures": {"batchItemFailures": None},
}

_PATTERNS = {
    "poison3": FailurePattern(by_sequence={"3": POISON}),
    "once3": FailurePattern(by_sequence={"3": FailsFirst(1)}),
    "allfail": FailurePattern(
        by_sequence={str(number): POISON for number in range(1, _RECORDS + 1)}
    ),
}

_STYLES = (
    ResponseStyle.THROW,
    ResponseStyle.REPORT_FIRST,
    ResponseStyle.REPORT_ALL,
    ResponseStyle.REPORT_ALL_RAISE_IF_ALL,
    ResponseStyle.REPORT_HIGHEST,
)


def _mapping(
    source: str, bisect: bool, report: bool, retries: int, age: int, dest: bool
) -> MappingConfig:
    return MappingConfig(
        batch_size=_BATCH_SIZE,
        maximum_retry_attempts=retries,
        maximum_record_age_in_seconds=age,
        bisect_batch_on_function_error=bisect,
        function_response_types=(REPORT_BATCH_ITEM_FAILURES,) if report else (),
        on_failure_destination=QUEUE_ARN if dest else None,
        source=source,  # type: ignore[arg-type]
    )


def scenario_name(scenario: Scenario) -> str:
    """A name that spells out the scenario, so a shrunk one is named anew.

    >>> from model.walkthroughs import walkthrough
    >>> scenario_name(walkthrough("article-bisect-record"))
    'dynamodb-10rec-batch10-bisect-norbif-retries2-ageinf-dest-throw-fail5'
    """
    mapping = scenario.settings.mapping
    retries = mapping.maximum_retry_attempts if mapping.retries_are_finite else "inf"
    age = mapping.maximum_record_age_in_seconds if mapping.age_is_finite else "inf"
    records = scenario.shard.records
    handler = scenario.handler
    parts = [
        mapping.source,
        f"{len(records)}rec",
        f"batch{mapping.batch_size}",
        "bisect" if mapping.bisect_batch_on_function_error else "whole",
        "rbif" if mapping.report_batch_item_failures else "norbif",
        f"retries{retries}",
        f"age{age}",
        "dest" if mapping.has_destination else "nodest",
        _handler_label(handler),
        _pattern_label(handler.pattern),
    ]
    if records and records[-1].arrival != records[0].arrival:
        parts.append("spread")
    return "-".join(str(part) for part in parts)


def _handler_label(handler: Handler) -> str:
    if handler.style is not ResponseStyle.RAW:
        return handler.style.value
    for label, payload in RAW_RESPONSES.items():
        if payload == handler.raw_payload and type(payload) is type(
            handler.raw_payload
        ):
            return f"raw:{label}"
    return "raw"


def _pattern_label(pattern: FailurePattern) -> str:
    """``fail3`` (poison), ``once3`` (fails once), ``fail1,2,3``, ``none``."""
    groups: dict[str, list[str]] = {}
    for name, kind in pattern.by_sequence.items():
        word = f"first{kind.times}-" if isinstance(kind, FailsFirst) else "fail"
        word = "once" if word == "first1-" else word
        groups.setdefault(word, []).append(name)
    for position, kind in pattern.by_position.items():
        groups.setdefault(
            "position-fail" if kind is POISON else "position-once", []
        ).append(str(position))
    return (
        "-".join(f"{word}{','.join(names)}" for word, names in groups.items()) or "none"
    )


def _scenario(
    mapping: MappingConfig, handler: Handler, spread: bool = False
) -> Scenario:
    shard = Shard.numbered(
        _RECORDS, mapping.source, seconds_apart=_SPREAD_SECONDS if spread else 0.0
    )
    return _named(
        mapping, shard, handler, Settings(mapping=mapping, timing=MATRIX_TIMING)
    )


def _named(
    mapping: MappingConfig, shard: Shard, handler: Handler, settings: Settings
) -> Scenario:
    scenario = Scenario("", settings, shard, handler)
    return replace(
        scenario,
        name=scenario_name(scenario),
        description=f"{len(shard)} record{'s' if len(shard) != 1 else ''}, "
        f"{mapping.describe()}; {handler.describe()}",
    )


def matrix(sources: tuple[str, ...] = ("kinesis", "dynamodb")) -> Iterator[Scenario]:
    """Every scenario of the conformance matrix, in a fixed order.

    Handler styles run with each failure pattern; the raw responses run with
    ReportBatchItemFailures on (off, every normal return is a success anyway).
    Under a finite age the styles also run on records that arrived 20 s apart.

    >>> scenarios = list(matrix(("kinesis",)))
    >>> len(scenarios), scenarios[0].name
    (896, 'kinesis-5rec-batch4-whole-norbif-retries1-ageinf-nodest-throw-fail3')
    """
    for source, bisect, report, retries, age, dest in itertools.product(
        sources,
        (False, True),
        (False, True),
        (1, INFINITE),
        (INFINITE, 60),
        (False, True),
    ):
        mapping = _mapping(source, bisect, report, retries, age, dest)
        for style, pattern in itertools.product(_STYLES, _PATTERNS.values()):
            handler = Handler(pattern, style)
            yield _scenario(mapping, handler)
            if mapping.age_is_finite:
                yield _scenario(mapping, handler, spread=True)
        if not report:
            continue
        for payload in RAW_RESPONSES.values():
            handler = Handler(_PATTERNS["poison3"], ResponseStyle.RAW, payload)
            yield _scenario(mapping, handler)


def scenario_size(scenario: Scenario) -> tuple[int, ...]:
    """An order for picking the smallest scenario that shows a divergence.

    Fewer records first, then fewer settings away from the API defaults, then
    the simpler handler (a style before a raw payload, one failing record before
    all failing).
    """
    mapping = scenario.settings.mapping
    default = MappingConfig(source=mapping.source)
    changed = sum(
        getattr(mapping, name) != getattr(default, name)
        for name in (
            "maximum_retry_attempts",
            "maximum_record_age_in_seconds",
            "bisect_batch_on_function_error",
            "function_response_types",
            "on_failure_destination",
        )
    )
    handler = scenario.handler
    raw = handler.style is ResponseStyle.RAW
    failing = len(handler.pattern.by_sequence) + len(handler.pattern.by_position)
    records = scenario.shard.records
    spread = int(bool(records) and records[-1].arrival != records[0].arrival)
    style = list(ResponseStyle).index(handler.style)
    return (len(records), changed, spread, int(raw), failing, style)


def header_for(scenario: Scenario, producer: str = "") -> dict[str, Any]:
    """The trace header for ``scenario`` as the oracle writes it (docs/oracle.md).

    >>> from model.walkthroughs import walkthrough
    >>> header_for(walkthrough("article-custom-once"))["mapping"]["BatchSize"]
    10
    """
    from checks.oracle import trace_lines

    trace = simulate(scenario, step_limit=1)
    header: dict[str, Any] = json.loads(next(iter(trace_lines(trace))))
    if producer:
        header["producer"] = producer
    return header


def _variants(scenario: Scenario) -> Iterator[Scenario]:
    """Simpler neighbours of ``scenario``: fewer records, smaller batches, fewer
    failing records, settings back to their defaults, arrivals together."""
    mapping = scenario.settings.mapping
    shard = scenario.shard
    handler = scenario.handler
    spread = (
        bool(shard.records) and shard.records[-1].arrival != shard.records[0].arrival
    )
    seconds_apart = _SPREAD_SECONDS if spread else 0.0

    def build(
        records: int = len(shard),
        mapping: MappingConfig = mapping,
        pattern: FailurePattern = handler.pattern,
        seconds: float = seconds_apart,
    ) -> Scenario:
        return _named(
            mapping,
            Shard.numbered(records, mapping.source, seconds_apart=seconds),
            replace(handler, pattern=pattern),
            replace(scenario.settings, mapping=mapping),
        )

    for records in range(1, len(shard)):
        kept = {
            name: kind
            for name, kind in handler.pattern.by_sequence.items()
            if int(name) <= records
        }
        if kept or handler.style is ResponseStyle.RAW:
            yield build(
                records,
                mapping.with_changes(batch_size=min(mapping.batch_size, records)),
                FailurePattern(
                    by_sequence=kept, by_position=handler.pattern.by_position
                ),
            )
    for batch_size in range(1, mapping.batch_size):
        yield build(mapping=mapping.with_changes(batch_size=batch_size))
    if len(handler.pattern.by_sequence) > 1:
        for name, kind in handler.pattern.by_sequence.items():
            yield build(pattern=FailurePattern(by_sequence={name: kind}))
    defaults: dict[str, Any] = {
        "on_failure_destination": None,
        "maximum_record_age_in_seconds": INFINITE,
        "bisect_batch_on_function_error": False,
        "function_response_types": (),
    }
    for name, value in defaults.items():
        if getattr(mapping, name) != value:
            yield build(mapping=mapping.with_changes(**{name: value}))
    if spread:
        yield build(seconds=0.0)


def shrink(scenario: Scenario, keeps: Callable[[Scenario], bool]) -> Scenario:
    """The simplest neighbour of ``scenario`` (repeatedly) for which ``keeps`` holds.

    ``keeps`` says whether a scenario still shows the divergence being shrunk.
    Each accepted step makes the scenario strictly smaller, so this ends.

    >>> from model.walkthroughs import walkthrough
    >>> small = shrink(walkthrough("article-custom-once"),
    ...                lambda s: len(s.shard) >= 6)
    >>> len(small.shard), small.settings.mapping.batch_size
    (6, 1)
    """
    current = scenario
    changed = True
    while changed:
        changed = False
        for candidate in _variants(current):
            if _weight(candidate) < _weight(current) and keeps(candidate):
                current, changed = candidate, True
                break
    return current


def _weight(scenario: Scenario) -> tuple[int, ...]:
    mapping = scenario.settings.mapping
    return (*scenario_size(scenario), mapping.batch_size)


__all__ += ["shrink"]
