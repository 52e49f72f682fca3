"""The golden scenarios: the seed article's five walkthroughs and the recorded R7 case.

Each is built from the prose of ``docs/model.md`` ("The seed's walkthroughs"); the
tests check them invocation by invocation against batches worked out by hand, and
``python -m checks.verify`` prints them first.
"""

from __future__ import annotations

from collections.abc import Callable

from model.config import REPORT_BATCH_ITEM_FAILURES, MappingConfig, Settings
from model.handler import POISON, FailsFirst, FailurePattern, Handler, ResponseStyle
from model.records import Shard
from model.simulator import Scenario

__all__ = ["WALKTHROUGH_NAMES", "walkthrough", "walkthroughs", "with_mapping"]

_QUEUE = "arn:aws:sqs:us-east-1:123456789012:shardcheck-failures"


def _article_mapping(**changes: object) -> MappingConfig:
    """The article's mapping: ten records in one batch, two retries, a destination."""
    base = MappingConfig(
        batch_size=10,
        maximum_retry_attempts=2,
        on_failure_destination=_QUEUE,
        source="dynamodb",
    )
    return base.with_changes(**changes)


def _article(
    name: str, description: str, mapping: MappingConfig, handler: Handler
) -> Scenario:
    return Scenario(
        name=name,
        settings=Settings(mapping=mapping),
        shard=Shard.numbered(10, "dynamodb"),
        handler=handler,
        description=description,
    )


def _whole_batch() -> Scenario:
    return _article(
        "article-whole-batch",
        "Whole-batch retry; the 6th record of every batch fails; the handler throws.",
        _article_mapping(),
        Handler(FailurePattern(by_position={6: POISON}), ResponseStyle.THROW),
    )


def _bisect_position() -> Scenario:
    return _article(
        "article-bisect-position",
        "Bisect; the 6th record of every batch fails (a position, not a record).",
        _article_mapping(bisect_batch_on_function_error=True),
        Handler(FailurePattern(by_position={6: POISON}), ResponseStyle.THROW),
    )


def _bisect_record() -> Scenario:
    return _article(
        "article-bisect-record",
        "Bisect; record 5 always fails and the handler throws.",
        _article_mapping(bisect_batch_on_function_error=True),
        Handler(FailurePattern(by_sequence={"5": POISON}), ResponseStyle.THROW),
    )


def _custom_checkpoint() -> Scenario:
    return _article(
        "article-custom-checkpoint",
        "Custom checkpoint; the 4th record of every batch fails and the handler "
        "stops there and reports it.",
        _article_mapping(function_response_types=(REPORT_BATCH_ITEM_FAILURES,)),
        Handler(FailurePattern(by_position={4: POISON}), ResponseStyle.REPORT_FIRST),
    )


def _custom_once() -> Scenario:
    return _article(
        "article-custom-once",
        "Custom checkpoint; record 6 fails the first time it is processed and the "
        "handler stops there and reports it.",
        _article_mapping(function_response_types=(REPORT_BATCH_ITEM_FAILURES,)),
        Handler(
            FailurePattern(by_sequence={"6": FailsFirst(1)}), ResponseStyle.REPORT_FIRST
        ),
    )


def _recorded_partial_retry() -> Scenario:
    mapping = MappingConfig(
        batch_size=3,
        maximum_retry_attempts=3,
        function_response_types=(REPORT_BATCH_ITEM_FAILURES,),
        on_failure_destination=_QUEUE,
        source="kinesis",
    )
    return Scenario(
        name="recorded-partial-retry",
        settings=Settings(mapping=mapping),
        shard=Shard.numbered(6, "kinesis"),
        handler=Handler(
            FailurePattern(by_sequence={"6": POISON}), ResponseStyle.REPORT_FIRST
        ),
        description="Recorded on AWS (R7): BatchSize 3, record 6 always reported, "
        "MaximumRetryAttempts 3.",
    )


_BUILDERS: dict[str, Callable[[], Scenario]] = {
    "article-whole-batch": _whole_batch,
    "article-bisect-position": _bisect_position,
    "article-bisect-record": _bisect_record,
    "article-custom-checkpoint": _custom_checkpoint,
    "article-custom-once": _custom_once,
    "recorded-partial-retry": _recorded_partial_retry,
}

WALKTHROUGH_NAMES = tuple(_BUILDERS)


def walkthrough(name: str) -> Scenario:
    """One golden scenario by name.

    >>> walkthrough("article-bisect-record").settings.mapping.batch_size
    10
    """
    try:
        return _BUILDERS[name]()
    except KeyError:
        known = ", ".join(WALKTHROUGH_NAMES)
        raise KeyError(f"no walkthrough {name!r}; known: {known}") from None


def walkthroughs() -> list[Scenario]:
    return [build() for build in _BUILDERS.values()]


def with_mapping(
    scenario: Scenario,
    mapping: MappingConfig,
    name: str | None = None,
    description: str | None = None,
) -> Scenario:
    """The same failure pattern and handler under another mapping configuration.

    The shard keeps its length but takes the mapping's source, so a user's own
    configuration replays the walkthrough's failures on records of its kind.
    ``description`` replaces the walkthrough's own, which names its original
    settings.
    """
    shard = Shard.numbered(len(scenario.shard), mapping.source)
    settings = Settings(
        mapping=mapping,
        timing=scenario.settings.timing,
        undocumented=scenario.settings.undocumented,
    )
    return Scenario(
        name=name or scenario.name,
        settings=settings,
        shard=shard,
        handler=scenario.handler,
        description=scenario.description if description is None else description,
    )
