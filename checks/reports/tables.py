"""The tables every report shows besides the steps: settings, records, destinations.

Each returns plain rows, so ``report.md`` and ``report.html`` print the same values;
the values come from the scenario, the final state and the trace's JSON document.
"""

from __future__ import annotations

from typing import Any

from checks.reports.content import Subject, batch_label
from model.config import Settings
from model.records import Shard

__all__ = ["configuration_rows", "settings_rows", "destination_rows", "record_rows"]


def configuration_rows(subject: Subject) -> list[tuple[str, str]]:
    """The settings of the run, by their API names, as (setting, value) rows.

    >>> from model.simulator import simulate
    >>> from model.walkthroughs import walkthrough
    >>> from checks.reports.content import subject_from_trace
    >>> trace = simulate(walkthrough("article-bisect-record"))
    >>> rows = configuration_rows(subject_from_trace(trace))
    >>> dict(rows)["BisectBatchOnFunctionError"]
    'true'
    """
    scenario = subject.scenario
    return settings_rows(scenario.settings, scenario.shard, scenario.handler.describe())


def settings_rows(
    settings: Settings, shard: Shard, handler: str
) -> list[tuple[str, str]]:
    """The settings by their API names, for a shard and a handler described in words.

    >>> from model.config import MappingConfig, Settings
    >>> from model.records import Shard
    >>> rows = dict(settings_rows(Settings(MappingConfig()), Shard.numbered(3), "h"))
    >>> rows["Source"], rows["Handler"]
    ('Kinesis shard, 3 records (1..3)', 'h')
    """
    mapping, timing = settings.mapping, settings.timing
    source = "Kinesis" if shard.source == "kinesis" else "DynamoDB Streams"
    numbers = batch_label(shard.sequence_numbers(0, len(shard)))
    rows = [
        ("Source", f"{source} shard, {len(shard)} records ({numbers})"),
        ("BatchSize", str(mapping.batch_size)),
        (
            "MaximumRetryAttempts",
            str(mapping.maximum_retry_attempts)
            + ("" if mapping.retries_are_finite else " (unlimited)"),
        ),
        (
            "MaximumRecordAgeInSeconds",
            str(mapping.maximum_record_age_in_seconds)
            + ("" if mapping.age_is_finite else " (unlimited)"),
        ),
        (
            "BisectBatchOnFunctionError",
            "true" if mapping.bisect_batch_on_function_error else "false",
        ),
        (
            "FunctionResponseTypes",
            "[" + ", ".join(mapping.function_response_types) + "]",
        ),
        ("On-failure destination", mapping.on_failure_destination or "none"),
        ("Handler", handler),
        (
            "Timing",
            f"invocation {timing.invocation_seconds} s, retry back-off "
            f"{timing.retry_backoff_seconds} s, retention "
            + (
                f"{timing.retention_seconds} s"
                if timing.retention_seconds is not None
                else "unbounded"
            ),
        ),
    ]
    differences = settings.undocumented.differences()
    rows.append(
        (
            "Undocumented points",
            ", ".join(f"{name}={value}" for name, value in differences.items())
            or "all at their defaults (the documented or recorded behaviour)",
        )
    )
    return rows


def record_rows(subject: Subject) -> list[tuple[str, int, int, str]]:
    """Per record: sequence number, deliveries, times processed, how it ended."""
    trace = subject.trace
    final = trace.final
    return [
        (
            trace.sequence_number(position),
            final.deliveries[position],
            final.processed[position],
            final.fates[position].cause()
            + (" (LOST)" if final.fates[position].is_lost else ""),
        )
        for position in range(final.record_count)
    ]


def destination_rows(document: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The destination records of a trace document: condition, range, size, count."""
    rows = []
    for record in document.get("destination_records", []):
        info = record.get("KinesisBatchInfo") or record.get("DDBStreamBatchInfo") or {}
        context = record.get("requestContext", {})
        rows.append(
            (
                str(context.get("condition")),
                f"{info.get('startSequenceNumber')}..{info.get('endSequenceNumber')}",
                str(info.get("batchSize")),
                str(context.get("approximateInvokeCount")),
            )
        )
    return rows
