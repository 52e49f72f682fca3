"""The scenarios every mutant is played on when it acts as an implementation.

The six golden walkthroughs, plus five scenarios that reach what they do not: two
reported failures in one batch, a malformed response, records past their age limit,
unlimited retries bounded by retention, and a reported poison record at the head.
"""

from __future__ import annotations

from model.config import (
    REPORT_BATCH_ITEM_FAILURES,
    MappingConfig,
    Settings,
    Timing,
)
from model.handler import POISON, FailurePattern, Handler, ResponseStyle
from model.records import Shard
from model.simulator import Scenario
from model.walkthroughs import walkthroughs

__all__ = ["suite", "SUITE_STEP_LIMIT"]

#: Steps before a suite scenario counts as blocked; enough for every scenario here
#: to end under the model and under every mutant of the catalogue.
SUITE_STEP_LIMIT = 200

_QUEUE = "arn:aws:sqs:us-east-1:123456789012:shardcheck-failures"
_RBIF = (REPORT_BATCH_ITEM_FAILURES,)


def _scenario(
    name: str,
    description: str,
    mapping: MappingConfig,
    handler: Handler,
    *,
    records: int = 10,
    seconds_apart: float = 0.0,
    retention_seconds: int | None = 86400,
) -> Scenario:
    return Scenario(
        name=name,
        settings=Settings(
            mapping=mapping, timing=Timing(retention_seconds=retention_seconds)
        ),
        shard=Shard.numbered(records, mapping.source, seconds_apart=seconds_apart),
        handler=handler,
        description=description,
    )


def _extra() -> list[Scenario]:
    base = MappingConfig(
        batch_size=10, maximum_retry_attempts=2, on_failure_destination=_QUEUE
    )
    return [
        _scenario(
            "two-reported-failures",
            "Records 3 and 6 always fail; the handler reports every failure.",
            base.with_changes(function_response_types=_RBIF),
            Handler(
                FailurePattern(by_sequence={"3": POISON, "6": POISON}),
                ResponseStyle.REPORT_ALL,
            ),
        ),
        _scenario(
            "malformed-response",
            "The handler always returns an empty itemIdentifier.",
            base.with_changes(maximum_retry_attempts=1, function_response_types=_RBIF),
            Handler(
                style=ResponseStyle.RAW,
                raw_payload={"batchItemFailures": [{"itemIdentifier": ""}]},
            ),
        ),
        _scenario(
            "aged-records",
            "Records arrive 10 s apart; MaximumRecordAgeInSeconds 60 expires the "
            "first three before the first read.",
            base.with_changes(maximum_record_age_in_seconds=60),
            Handler(),
            seconds_apart=10.0,
        ),
        _scenario(
            "unlimited-retries",
            "Record 3 always fails, retries and age are unlimited, retention is 30 s.",
            base.with_changes(batch_size=5, maximum_retry_attempts=-1),
            Handler(FailurePattern(by_sequence={"3": POISON}), ResponseStyle.THROW),
            records=5,
            retention_seconds=30,
        ),
        _scenario(
            "reported-poison-head",
            "Record 1 always fails and the handler reports it: the checkpoint "
            "never moves.",
            base.with_changes(batch_size=5, function_response_types=_RBIF),
            Handler(
                FailurePattern(by_sequence={"1": POISON}), ResponseStyle.REPORT_FIRST
            ),
            records=5,
            retention_seconds=60,
        ),
    ]


def suite() -> list[Scenario]:
    """The walkthroughs and the extra scenarios, in a fixed order.

    >>> [scenario.name for scenario in suite()][-2:]
    ['unlimited-retries', 'reported-poison-head']
    """
    return [*walkthroughs(), *_extra()]
