"""Drive LocalStack's Kinesis and DynamoDB stream pollers in-process, with no server.

The real poller, event processor and Lambda sender of ``localstack-core`` run on a
fake stream client that serves the model's shard, a fake Lambda client whose
responses come from the model's handler, a fake clock and no back-off; on-failure
records are captured from a fake SQS.  ``run_localstack`` returns what happened as
lines of the oracle's trace format (docs/oracle.md).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import import_module, metadata
from typing import Any

from checks.conformance import AdapterBroken
from model.events import build_event, sequence_number_of
from model.records import Shard
from model.responses import HandlerRun
from model.simulator import Scenario

__all__ = [
    "LOCALSTACK_VERSION",
    "FUNCTION_ARN",
    "LocalStackRun",
    "Sabotage",
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


@dataclass(frozen=True)
class Sabotage:
    """Deliberate faults for the positive control: each must produce a divergence.

    ``hide_function_error`` answers a throwing handler with a normal return (no
    ``FunctionError``); ``flip_report_flag`` gives the sender the opposite
    ReportBatchItemFailures setting from the mapping's.
    """

    hide_function_error: bool = False
    flip_report_flag: bool = False


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


# -- the fakes ----------------------------------------------------------------------


class _Clock:
    """Seconds since the epoch, moved only by the fake Lambda (invocation time)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def current_time(self) -> datetime:
        return datetime.fromtimestamp(self.now, tz=UTC)


class _NoBackoff:
    """Stands in for ``ExponentialBackoff``: the poller never sleeps."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def next_backoff(self) -> float:
        return 0.0

    def reset(self) -> None:
        pass


class _StreamExceptions:
    class ExpiredIteratorException(Exception):
        pass


class _FakeStream:
    """``get_records`` over the model's shard; an iterator is a position."""

    exceptions = _StreamExceptions

    def __init__(self, shard: Shard) -> None:
        self.shard = shard
        self.read_to = 0

    def get_records(self, ShardIterator: str, Limit: int, **_: Any) -> dict[str, Any]:
        start = int(ShardIterator)
        end = min(start + Limit, len(self.shard))
        self.read_to = max(self.read_to, end)
        records = [self._record(position) for position in range(start, end)]
        return {"Records": records, "NextShardIterator": str(end)}

    def _record(self, position: int) -> dict[str, Any]:
        record = self.shard.records[position]
        if self.shard.source == "kinesis":
            return {
                "SequenceNumber": record.sequence_number,
                "ApproximateArrivalTimestamp": datetime.fromtimestamp(
                    record.arrival, tz=UTC
                ),
                "Data": record.data,
                "PartitionKey": record.partition_key,
            }
        # DynamoDB Streams' GetRecords gives the event's own shape, with the
        # creation time as a datetime (boto3 parses it).
        event = build_event(self.shard, position, position + 1)["Records"][0]
        dynamodb = dict(event["dynamodb"])
        dynamodb["ApproximateCreationDateTime"] = datetime.fromtimestamp(
            dynamodb["ApproximateCreationDateTime"], tz=UTC
        )
        return {
            "eventID": event["eventID"],
            "eventName": event["eventName"],
            "dynamodb": dynamodb,
        }


class _FakeLambda:
    """``invoke`` answered by the model's handler; every invocation is recorded."""

    def __init__(
        self,
        scenario: Scenario,
        clock: _Clock,
        events: list[dict[str, Any]],
        limit: int,
        sabotage: Sabotage,
    ) -> None:
        self.scenario = scenario
        self.clock = clock
        self.events = events
        self.limit = limit
        self.sabotage = sabotage
        self.processed: dict[str, int] = {}
        self.invocations = 0
        self.on_limit: Any = None

    def invoke(self, FunctionName: str, Payload: str, **_: Any) -> dict[str, Any]:
        event = json.loads(Payload)
        batch = [sequence_number_of(record) for record in event["Records"]]
        before = [self.processed.get(sequence, 0) for sequence in batch]
        run = self.scenario.handler.run(batch, before)
        for sequence, _ok in zip(batch, run.results, strict=False):
            self.processed[sequence] = self.processed.get(sequence, 0) + 1
        self.invocations += 1
        self.events.append(_invocation_event(batch, run, self.clock.now))
        # Time passes while the function runs; records age by it (R4).
        self.clock.now += self.scenario.settings.timing.invocation_seconds
        if self.invocations >= self.limit and self.on_limit is not None:
            self.on_limit()
        return self._response(run)

    def _response(self, run: HandlerRun) -> dict[str, Any]:
        response: dict[str, Any] = {
            "StatusCode": 200,
            "ExecutedVersion": "$LATEST",
            "ResponseMetadata": {"RequestId": f"invocation-{self.invocations}"},
        }
        if run.threw:
            body = json.dumps({"errorType": "Error", "errorMessage": "record failed"})
            if not self.sabotage.hide_function_error:
                response["FunctionError"] = "Unhandled"
            response["Payload"] = io.BytesIO(body.encode())
        elif isinstance(run.payload, bytes):
            response["Payload"] = io.BytesIO(run.payload)
        else:
            response["Payload"] = io.BytesIO(json.dumps(run.payload).encode())
        return response


class _FakeDestination:
    """SQS, SNS and S3 in one: captures every on-failure record sent.

    ``decisions`` holds the (condition, attempts) the poller passed when it built
    each record's context, read by the recording processor; a record whose context
    came out empty still gets its condition from there.
    """

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.decisions: list[tuple[str, int]] = []
        #: Each record sent, with the (condition, attempts) decided for it.
        self.captured: list[tuple[dict[str, Any], tuple[str, int]]] = []

    def send_message(self, QueueUrl: str, MessageBody: str, **_: Any) -> None:
        self._capture(MessageBody)

    def publish(self, TopicArn: str, Message: str, **_: Any) -> None:
        self._capture(Message)

    def put_object(self, Bucket: str, Key: str, Body: str, **_: Any) -> None:
        self._capture(Body)

    def _capture(self, text: str) -> None:
        body = json.loads(text)
        decision = self.decisions[-1] if self.decisions else ("", 0)
        self.captured.append((body, decision))
        self.events.append(destination_event(body, *decision))


def _invocation_event(batch: list[str], run: HandlerRun, at: float) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "invocation",
        "batch": batch,
        "processed": list(run.results),
        "at": at,
    }
    if run.threw:
        event["error"] = {"errorType": "Error", "errorMessage": "record failed"}
    elif isinstance(run.payload, bytes):
        event["response_text"] = run.payload.decode("utf-8", "replace")
    else:
        event["response"] = run.payload
    return event


def destination_event(
    body: dict[str, Any], condition: str, attempts: int
) -> dict[str, Any]:
    """A captured destination record as a trace event.

    A record without ``requestContext`` (LocalStack leaves it out whenever the
    last invocation left no error details) does not name its condition; its
    essentials go in flat fields, with the condition the poller decided on
    (``condition``, captured from its call to build the context), and the record
    itself under ``x_record``.  Its invoke count is unknown and left out.

    >>> destination_event({"KinesisBatchInfo": {"startSequenceNumber": "1",
    ...     "endSequenceNumber": "2", "batchSize": 2}}, "RecordAgeExceeded", 0)
    ... # doctest: +ELLIPSIS
    {'type': 'destination', 'condition': 'RecordAgeExceeded', ...}
    """
    if isinstance(body.get("requestContext"), dict):
        return {"type": "destination", "record": body}
    info = body.get("KinesisBatchInfo") or body.get("DDBStreamBatchInfo") or {}
    return {
        "type": "destination",
        "condition": condition,
        "startSequenceNumber": info.get("startSequenceNumber"),
        "endSequenceNumber": info.get("endSequenceNumber"),
        "batchSize": info.get("batchSize"),
        "x_record": body,
        "x_attempts": attempts,
        "x_note": "the record has no requestContext; condition as the poller decided",
    }


__all__ += ["destination_event"]


# -- driving ------------------------------------------------------------------------


@contextlib.contextmanager
def _patched(clock: _Clock, destination: _FakeDestination) -> Iterator[None]:
    """Replace the poller's clock, back-off and destination clients for one run."""
    stream_poller = import_module(f"{_PACKAGE}.pollers.stream_poller")
    dynamodb_poller = import_module(f"{_PACKAGE}.pollers.dynamodb_poller")
    replacements = [
        (stream_poller, "get_current_time", clock.current_time),
        (dynamodb_poller, "get_current_time", clock.current_time),
        (stream_poller, "ExponentialBackoff", _NoBackoff),
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
    sabotage: Sabotage = Sabotage(),
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
    processor_module = import_module(f"{_PACKAGE}.esm_event_processor")
    sender_module = import_module(f"{_PACKAGE}.senders.lambda_sender")
    logger_module = import_module(f"{_PACKAGE}.pipe_loggers.noops_pipe_logger")

    shard = scenario.shard
    records = shard.records
    events: list[dict[str, Any]] = []
    # The model's clock starts once every record has arrived, counted in whole
    # seconds from the first arrival (``Rules.initial_state``).
    first = records[0].arrival if records else 0.0
    clock = _Clock(first + math.ceil(records[-1].arrival - first) if records else 0.0)
    stream = _FakeStream(shard)
    function = _FakeLambda(scenario, clock, events, invocation_limit, sabotage)
    destination = _FakeDestination(events)
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


def _recording_processor(module: Any, destination: _FakeDestination) -> Any:
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


def _poller(scenario: Scenario, stream: _FakeStream, processor: Any) -> Any:
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
