"""The fakes around LocalStack's stream poller: stream, Lambda, destination, clock.

Each replaces one thing the poller talks to outside the process, so the poller's own
code runs unchanged: ``FakeStream`` serves the model's shard, ``FakeLambda`` answers
with the model's handler, ``FakeDestination`` captures on-failure records, and
``Clock`` and ``NoBackoff`` make time deterministic.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from model.events import build_event, sequence_number_of
from model.records import Shard
from model.responses import HandlerRun
from model.simulator import Scenario

__all__ = [
    "Clock",
    "FakeDestination",
    "FakeLambda",
    "FakeStream",
    "NoBackoff",
    "Sabotage",
    "destination_event",
]


@dataclass(frozen=True)
class Sabotage:
    """Deliberate faults for the positive control: each must produce a divergence.

    ``hide_function_error`` answers a throwing handler with a normal return (no
    ``FunctionError``); ``flip_report_flag`` gives the sender the opposite
    ReportBatchItemFailures setting from the mapping's.
    """

    hide_function_error: bool = False
    flip_report_flag: bool = False


class Clock:
    """Seconds since the epoch, moved only by the fake Lambda (invocation time)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def current_time(self) -> datetime:
        return datetime.fromtimestamp(self.now, tz=UTC)


class NoBackoff:
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


class FakeStream:
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


class FakeLambda:
    """``invoke`` answered by the model's handler; every invocation is recorded."""

    def __init__(
        self,
        scenario: Scenario,
        clock: Clock,
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


class FakeDestination:
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
