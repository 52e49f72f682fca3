"""Drive LocalStack's Kinesis and DynamoDB stream pollers in-process, with no server.

The real poller, event processor and Lambda sender of ``localstack-core`` run on a
fake stream client that serves the model's shard, a fake Lambda client whose
responses come from the model's handler, a fake clock and no back-off; on-failure
records are captured from a fake SQS.  ``run_localstack`` returns what happened as
lines of the oracle's trace format (docs/oracle.md).
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module, metadata
from typing import Any

from checks.conformance import AdapterBroken
from checks.conformance.localstack_fakes import (
    Clock,
    FakeDestination,
    FakeLambda,
    FakeStream,
    NoBackoff,
    Sabotage,
)
from model.simulator import Scenario

__all__ = [
    "LOCALSTACK_VERSION",
    "FUNCTION_ARN",
    "LocalStackRun",
    "Sabotage",
    "DEFAULT_INVOCATION_LIMIT",
    "check_localstack",
    "run_localstack",
    "source_parameters",
]

#: The one version whose private names this adapter is written against.
LOCALSTACK_VERSION = "2026.3.0"

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:shardcheck"
_ROLE_ARN = "arn:aws:iam::123456789012:role/lambda-role"
_PACKAGE = "localstack.services.lambda_.event_source_mapping"

#: Module -> the names the adapter uses or replaces in it.  They are private to
#: LocalStack, so each is checked before a run rather than trusted.
_REQUIRED_NAMES = {
    f"{_PACKAGE}.pollers.stream_poller": (
        "StreamPoller",
        "get_current_time",
        "get_internal_client",
        "get_queue_url",
        "ExponentialBackoff",
    ),
    f"{_PACKAGE}.pollers.dynamodb_poller": ("DynamoDBPoller", "get_current_time"),
    f"{_PACKAGE}.pollers.kinesis_poller": ("KinesisPoller",),
    f"{_PACKAGE}.esm_event_processor": ("EsmEventProcessor",),
    f"{_PACKAGE}.senders.lambda_sender": ("LambdaSender",),
    f"{_PACKAGE}.pipe_loggers.noops_pipe_logger": ("NoOpsPipeLogger",),
}

#: Invocations after which a run that has not finished is cut short (blocked).
DEFAULT_INVOCATION_LIMIT = 12


@dataclass
class LocalStackRun:
    """One scenario played by LocalStack: trace lines and what the adapter saw.

    ``lines`` are the trace's JSON objects (header first); ``blocked`` is set when
    the invocation limit cut the run short; ``crash`` names an exception that
    escaped the poller, if one did.
    """

    scenario: Scenario
    lines: list[dict[str, Any]]
    blocked: bool = False
    crash: str | None = None
    #: Each destination record sent, with the (condition, attempts) the poller
    #: decided for it (a record may not say).
    destination_records: list[tuple[dict[str, Any], tuple[str, int]]] = field(
        default_factory=list
    )


def check_localstack() -> str:
    """Import the pinned LocalStack and check every private name the adapter uses.

    Returns the installed version; raises ``AdapterBroken`` naming the fix otherwise.
    """
    try:
        version = metadata.version("localstack-core")
    except metadata.PackageNotFoundError:
        raise AdapterBroken(
            "localstack-core is not installed; run pip install -e '.[localstack]'"
        ) from None
    if version != LOCALSTACK_VERSION:
        raise AdapterBroken(
            f"localstack-core {version} is installed but the adapter is written "
            f"against {LOCALSTACK_VERSION}; install the pinned extra "
            "(pip install -e '.[localstack]') or port the adapter and its manifest"
        )
    for module_name, names in _REQUIRED_NAMES.items():
        try:
            module = import_module(module_name)
        except ImportError as error:
            raise AdapterBroken(
                f"cannot import {module_name} ({error}); the [localstack] extra "
                "also needs boto3, pydantic, rolo and jsonpatch"
            ) from None
        missing = [name for name in names if not hasattr(module, name)]
        if missing:
            raise AdapterBroken(
                f"{module_name} has no {', '.join(missing)} in localstack-core "
                f"{version}; the adapter must be ported"
            )
    return version


def source_parameters(scenario: Scenario) -> dict[str, Any]:
    """The poller's parameters for the scenario's mapping, as LocalStack builds them.

    ``esm_worker_factory.EsmWorkerFactory.get_esm_worker`` copies StartingPosition,
    BatchSize, MaximumBatchingWindowInSeconds, MaximumRetryAttempts,
    MaximumRecordAgeInSeconds and the on-failure destination (as
    ``DeadLetterConfig``) into EventBridge-Pipes-style stream parameters.
    BisectBatchOnFunctionError, ParallelizationFactor and TumblingWindowInSeconds
    are not copied; FunctionResponseTypes goes to the sender instead.

    >>> from model.walkthroughs import walkthrough
    >>> params = source_parameters(walkthrough("article-bisect-record"))
    >>> sorted(params["DynamoDBStreamParameters"])  # doctest: +NORMALIZE_WHITESPACE
    ['BatchSize', 'DeadLetterConfig', 'MaximumBatchingWindowInSeconds',
     'MaximumRecordAgeInSeconds', 'MaximumRetryAttempts', 'StartingPosition']
    """
    mapping = scenario.settings.mapping
    stream: dict[str, Any] = {
        "StartingPosition": mapping.starting_position,
        "BatchSize": mapping.batch_size,
        "MaximumBatchingWindowInSeconds": mapping.maximum_batching_window_in_seconds,
        "MaximumRetryAttempts": mapping.maximum_retry_attempts,
        "MaximumRecordAgeInSeconds": mapping.maximum_record_age_in_seconds,
    }
    if mapping.on_failure_destination:
        stream["DeadLetterConfig"] = {"Arn": mapping.on_failure_destination}
    key = (
        "KinesisStreamParameters"
        if mapping.source == "kinesis"
        else "DynamoDBStreamParameters"
    )
    return {"FilterCriteria": {"Filters": []}, key: stream}


# -- driving ------------------------------------------------------------------------


@contextlib.contextmanager
def _patched(clock: Clock, destination: FakeDestination) -> Iterator[None]:
    """Replace the poller's clock, back-off and destination clients for one run."""
    stream_poller = import_module(f"{_PACKAGE}.pollers.stream_poller")
    dynamodb_poller = import_module(f"{_PACKAGE}.pollers.dynamodb_poller")
    replacements = [
        (stream_poller, "get_current_time", clock.current_time),
        (dynamodb_poller, "get_current_time", clock.current_time),
        (stream_poller, "ExponentialBackoff", NoBackoff),
        (stream_poller, "get_internal_client", lambda *a, **k: destination),
        (stream_poller, "get_queue_url", lambda arn: f"queue:{arn}"),
    ]
    saved = [(module, name, getattr(module, name)) for module, name, _ in replacements]
    logger = logging.getLogger("localstack")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        for module, name, value in replacements:
            setattr(module, name, value)
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)
        logger.setLevel(level)


def run_localstack(
    scenario: Scenario,
    header: dict[str, Any],
    *,
    invocation_limit: int = DEFAULT_INVOCATION_LIMIT,
    sabotage: Sabotage | None = None,
) -> LocalStackRun:
    """Play ``scenario`` on LocalStack's poller and record it as trace lines.

    ``header`` is the trace header for the scenario (``checks.oracle`` writes it
    from the model's settings); the invocation limit cuts a blocked run short.

    Examples
    --------
    >>> from checks.conformance.matrix import header_for
    >>> from model.walkthroughs import walkthrough
    >>> scenario = walkthrough("article-custom-checkpoint")
    >>> run = run_localstack(scenario, header_for(scenario))  # doctest: +SKIP
    >>> [line["batch"][0] for line in run.lines if line["type"] == "invocation"]
    ... # doctest: +SKIP
    ['1', '4', '7', '10']
    """
    check_localstack()
    sabotage = sabotage or Sabotage()
    processor_module = import_module(f"{_PACKAGE}.esm_event_processor")
    sender_module = import_module(f"{_PACKAGE}.senders.lambda_sender")
    logger_module = import_module(f"{_PACKAGE}.pipe_loggers.noops_pipe_logger")

    shard = scenario.shard
    records = shard.records
    events: list[dict[str, Any]] = []
    # The model's clock starts once every record has arrived, counted in whole
    # seconds from the first arrival (``Rules.initial_state``).
    first = records[0].arrival if records else 0.0
    clock = Clock(first + math.ceil(records[-1].arrival - first) if records else 0.0)
    stream = FakeStream(shard)
    function = FakeLambda(scenario, clock, events, invocation_limit, sabotage)
    destination = FakeDestination(events)
    report = scenario.settings.mapping.report_batch_item_failures
    sender = sender_module.LambdaSender(
        target_arn=FUNCTION_ARN,
        target_parameters={
            "LambdaFunctionParameters": {"InvocationType": "REQUEST_RESPONSE"}
        },
        target_client=function,
        payload_dict=True,
        report_batch_item_failures=report != sabotage.flip_report_flag,
    )
    processor = _recording_processor(processor_module, destination)(
        sender=sender, logger=logger_module.NoOpsPipeLogger()
    )
    poller = _poller(scenario, stream, processor)
    function.on_limit = poller.close

    crash = None
    with _patched(clock, destination):
        polls = 0
        while stream.read_to < len(shard) and function.invocations < invocation_limit:
            polls += 1
            if polls > len(shard) + invocation_limit:
                raise AdapterBroken(
                    f"{scenario.name}: the poller read nothing after {polls} polls; "
                    "the fake stream no longer matches the poller"
                )
            try:
                poller.poll_events()
            except Exception as error:  # noqa: BLE001 - an implementation crash is a finding
                crash = f"{type(error).__name__}: {error}"
                break
    # Only the fake Lambda closes the poller, when the invocation limit is hit.
    blocked = poller._is_shutdown.is_set()
    complete = not blocked and crash is None
    lines = [header, *events, {"type": "end", "complete": complete}]
    return LocalStackRun(scenario, lines, blocked, crash, destination.captured)


def _recording_processor(module: Any, destination: FakeDestination) -> Any:
    """LocalStack's processor, noting the condition of each failure context it builds.

    The poller decides the condition, then asks the processor for the record's
    context; the context comes out empty when the last invocation left no error
    details, so the decision is captured here.
    """

    class RecordingProcessor(module.EsmEventProcessor):
        def generate_event_failure_context(
            self, abort_condition: str, **kwargs: Any
        ) -> dict[str, Any]:
            destination.decisions.append(
                (abort_condition, int(kwargs.get("attempts_count") or 0))
            )
            context: dict[str, Any] = super().generate_event_failure_context(
                abort_condition, **kwargs
            )
            return context

    return RecordingProcessor


def _poller(scenario: Scenario, stream: FakeStream, processor: Any) -> Any:
    shard = scenario.shard
    parameters = source_parameters(scenario)
    shards = {shard.shard_id: "0"}
    if shard.source == "kinesis":
        kinesis = import_module(f"{_PACKAGE}.pollers.kinesis_poller")
        return kinesis.KinesisPoller(
            source_arn=shard.stream_arn,
            source_parameters=parameters,
            source_client=stream,
            processor=processor,
            invoke_identity_arn=_ROLE_ARN,
            kinesis_namespace=True,
            esm_uuid="shardcheck-esm",
            shards=shards,
        )
    dynamodb = import_module(f"{_PACKAGE}.pollers.dynamodb_poller")
    return dynamodb.DynamoDBPoller(
        source_arn=shard.stream_arn,
        source_parameters=parameters,
        source_client=stream,
        processor=processor,
        esm_uuid="shardcheck-esm",
        shards=shards,
    )
