"""The event Lambda delivers to a handler and the record it sends to a destination.

Both are built exactly in AWS's shapes (Kinesis and DynamoDB Streams), so that a real
handler can be run on the model's batches and a model run can be compared with what
an SQS or SNS on-failure destination received.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

from model.errors import InvalidScenario
from model.records import Record, Shard

__all__ = [
    "CONDITIONS",
    "build_event",
    "destination_record",
    "sequence_number_of",
]

#: The ``requestContext.condition`` values of a stream's destination record.
CONDITIONS = ("RetryAttemptsExhausted", "RecordAgeExceeded")

_DEFAULT_ACCOUNT = "123456789012"


def build_event(
    shard: Shard, start: int, end: int, *, region: str = "us-east-1"
) -> dict[str, Any]:
    """The event of one invocation on ``shard.records[start:end]``.

    Parameters
    ----------
    shard:
        The shard the batch is read from; its ``source`` picks the record shape.
    start, end:
        The batch's positions, ``0 <= start < end <= len(shard)``.
    region:
        The ``awsRegion`` of every record.

    Returns
    -------
    dict
        ``{"Records": [...]}`` as Lambda passes it to the handler.

    Examples
    --------
    >>> event = build_event(Shard.numbered(3), 1, 3)
    >>> [record["kinesis"]["sequenceNumber"] for record in event["Records"]]
    ['2', '3']
    """
    _check_range(shard, start, end)
    records = shard.records[start:end]
    if shard.source == "kinesis":
        return {"Records": [_kinesis_record(shard, r, region) for r in records]}
    return {"Records": [_dynamodb_record(shard, r, region) for r in records]}


def sequence_number_of(event_record: dict[str, Any]) -> str:
    """The sequence number of one record of an event, as a handler reads it.

    Examples
    --------
    >>> sequence_number_of({"dynamodb": {"SequenceNumber": "100"}})
    '100'
    >>> sequence_number_of({"kinesis": {"sequenceNumber": "7"}})
    '7'
    """
    if isinstance(event_record, dict):
        kinesis = event_record.get("kinesis")
        if isinstance(kinesis, dict) and isinstance(kinesis.get("sequenceNumber"), str):
            return str(kinesis["sequenceNumber"])
        dynamodb = event_record.get("dynamodb")
        if isinstance(dynamodb, dict) and isinstance(
            dynamodb.get("SequenceNumber"), str
        ):
            return str(dynamodb["SequenceNumber"])
    raise InvalidScenario(
        "an event record has kinesis.sequenceNumber or dynamodb.SequenceNumber "
        "(a string); this one has neither",
        field="Records",
    )


def destination_record(
    shard: Shard,
    start: int,
    end: int,
    *,
    condition: str,
    invoke_count: int,
    function_error: str | None,
    request_id: str,
    function_arn: str,
    timestamp: float,
) -> dict[str, Any]:
    """The on-failure destination record for discarding ``shard.records[start:end]``.

    Parameters
    ----------
    shard, start, end:
        The discarded records, ``0 <= start < end <= len(shard)``.
    condition:
        ``"RetryAttemptsExhausted"`` or ``"RecordAgeExceeded"``; the latter has no
        ``responseContext`` (the records were not invoked).
    invoke_count:
        ``requestContext.approximateInvokeCount``.
    function_error:
        ``"Unhandled"`` after a function error, None after a malformed or partial
        response.
    request_id, function_arn:
        The last invocation's request ID and the function's ARN.
    timestamp:
        When the record was sent, seconds since the epoch.

    Examples
    --------
    >>> record = destination_record(
    ...     Shard.numbered(3), 0, 2, condition="RecordAgeExceeded", invoke_count=0,
    ...     function_error=None, request_id="r", function_arn="f", timestamp=0.0)
    >>> sorted(record), record["KinesisBatchInfo"]["endSequenceNumber"]
    (['KinesisBatchInfo', 'requestContext', 'timestamp', 'version'], '2')
    """
    _check_range(shard, start, end)
    if condition not in CONDITIONS:
        raise InvalidScenario(
            f"must be {' or '.join(CONDITIONS)}, got {condition!r}", field="condition"
        )
    if (
        isinstance(invoke_count, bool)
        or not isinstance(invoke_count, int)
        or invoke_count < 0
    ):
        raise InvalidScenario(
            f"must be a whole number >= 0, got {invoke_count!r}", field="invoke_count"
        )
    first, last = shard.records[start], shard.records[end - 1]
    arrival = _kinesis_time if shard.source == "kinesis" else _dynamodb_time
    record: dict[str, Any] = {
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
    }
    if condition != "RecordAgeExceeded":
        record["responseContext"] = {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": function_error,
        }
    record["version"] = "1.0"
    record["timestamp"] = _iso_millis(timestamp)
    info_key = "KinesisBatchInfo" if shard.source == "kinesis" else "DDBStreamBatchInfo"
    record[info_key] = {
        "shardId": shard.shard_id,
        "startSequenceNumber": first.sequence_number,
        "endSequenceNumber": last.sequence_number,
        "approximateArrivalOfFirstRecord": arrival(first.arrival),
        "approximateArrivalOfLastRecord": arrival(last.arrival),
        "batchSize": end - start,
        "streamArn": shard.stream_arn,
    }
    return record


# --- record shapes ---------------------------------------------------------------


def _kinesis_record(shard: Shard, record: Record, region: str) -> dict[str, Any]:
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record.partition_key,
            "sequenceNumber": record.sequence_number,
            "data": base64.b64encode(record.data).decode("ascii"),
            "approximateArrivalTimestamp": float(record.arrival),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard.shard_id}:{record.sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": (
            f"arn:aws:iam::{_account_of(shard.stream_arn)}:role/lambda-role"
        ),
        "awsRegion": region,
        "eventSourceARN": shard.stream_arn,
    }


def _dynamodb_record(shard: Shard, record: Record, region: str) -> dict[str, Any]:
    keys = {"pk": {"S": record.partition_key}}
    new_image = {
        "pk": {"S": record.partition_key},
        "data": {"B": base64.b64encode(record.data).decode("ascii")},
    }
    return {
        "eventID": _dynamodb_event_id(record.sequence_number),
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": {
            "ApproximateCreationDateTime": float(int(record.arrival)),
            "Keys": keys,
            "NewImage": new_image,
            "SequenceNumber": record.sequence_number,
            "SizeBytes": _size_bytes(record),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": shard.stream_arn,
    }


def _dynamodb_event_id(sequence_number: str) -> str:
    """32 hex characters, the same for the same sequence number."""
    return hashlib.sha256(sequence_number.encode("ascii")).hexdigest()[:32]


def _size_bytes(record: Record) -> int:
    """Attribute names plus values of the keys and the new image, as DynamoDB
    counts item size (an approximation; at least 1)."""
    key = len("pk") + len(record.partition_key.encode("utf-8"))
    return max(1, key + key + len("data") + len(record.data))


# --- helpers ---------------------------------------------------------------------


def _check_range(shard: Shard, start: int, end: int) -> None:
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidScenario(f"must be a position, got {value!r}", field=name)
    if not 0 <= start < end <= len(shard):
        raise InvalidScenario(
            f"a batch is positions start..end with 0 <= start < end <= {len(shard)}, "
            f"got {start}..{end}",
            field="batch",
        )


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    if len(parts) > 4 and parts[4].isdigit():
        return parts[4]
    return _DEFAULT_ACCOUNT


def _iso_millis(seconds: float) -> str:
    """``2026-01-01T00:00:00.000Z``: ISO-8601 in UTC with milliseconds."""
    millis = round(seconds * 1000)
    moment = datetime.fromtimestamp(millis // 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"


def _kinesis_time(seconds: float) -> str:
    return _iso_millis(seconds)


def _dynamodb_time(seconds: float) -> str:
    """DynamoDB creation times are whole seconds, written without a fraction."""
    moment = datetime.fromtimestamp(int(seconds), tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
