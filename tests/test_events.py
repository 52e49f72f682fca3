"""Tests of the handler events and destination records, against AWS's shapes."""

from __future__ import annotations

import base64
import json

import pytest

from model.errors import InvalidScenario
from model.events import build_event, destination_record, sequence_number_of
from model.records import Record, Shard, Source

# Values of the AWS Lambda Developer Guide's Kinesis example event.
KINESIS_SEQ_1 = "49590338271490256608559692538361571095921575989136588898"
KINESIS_SEQ_2 = "49590338271490256608559692540925702759324208523137515618"
KINESIS_ARN = "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream"
DDB_ARN = (
    "arn:aws:dynamodb:us-east-2:123456789012:table/mytable/stream/"
    "2019-11-14T00:04:06.388"
)


@pytest.fixture
def kinesis_shard() -> Shard:
    return Shard(
        source="kinesis",
        records=(
            Record(KINESIS_SEQ_1, 1545084650.987, "1", b"Hello, this is a test."),
            Record(KINESIS_SEQ_2, 1545084711.166, "1", b"This is only a test."),
        ),
        shard_id="shardId-000000000006",
        stream_arn=KINESIS_ARN,
    )


@pytest.fixture
def dynamodb_shard() -> Shard:
    return Shard(
        source="dynamodb",
        records=(
            Record("800000000003126276362", 1573690399.0, "order-1", b"order 1"),
            Record("800000000003126276363", 1573690401.5, "order-2", b""),
        ),
        shard_id="shardId-00000001573689847184-864758bb",
        stream_arn=DDB_ARN,
    )


def test_kinesis_event_shape(kinesis_shard: Shard) -> None:
    event = build_event(kinesis_shard, 0, 1, region="us-east-2")
    assert event == {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "1",
                    "sequenceNumber": KINESIS_SEQ_1,
                    "data": "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==",
                    "approximateArrivalTimestamp": 1545084650.987,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000006:{KINESIS_SEQ_1}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::123456789012:role/lambda-role",
                "awsRegion": "us-east-2",
                "eventSourceARN": KINESIS_ARN,
            }
        ]
    }


def test_dynamodb_event_shape(dynamodb_shard: Shard) -> None:
    event = build_event(dynamodb_shard, 0, 2, region="us-east-2")
    assert event == {
        "Records": [
            {
                "eventID": "a496187c7994189bc4ccd9533dcaa945",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-2",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1573690399.0,
                    "Keys": {"pk": {"S": "order-1"}},
                    "NewImage": {
                        "pk": {"S": "order-1"},
                        "data": {"B": "b3JkZXIgMQ=="},
                    },
                    "SequenceNumber": "800000000003126276362",
                    "SizeBytes": 29,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": DDB_ARN,
            },
            {
                "eventID": "085b57bb934cb3319627c56e8261df4b",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-2",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1573690401.0,
                    "Keys": {"pk": {"S": "order-2"}},
                    "NewImage": {"pk": {"S": "order-2"}, "data": {"B": ""}},
                    "SequenceNumber": "800000000003126276363",
                    "SizeBytes": 22,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": DDB_ARN,
            },
        ]
    }


def test_event_is_json_and_batch_is_the_slice() -> None:
    shard = Shard.numbered(10)
    event = build_event(shard, 3, 7)
    assert json.loads(json.dumps(event)) == event
    assert [sequence_number_of(r) for r in event["Records"]] == ["4", "5", "6", "7"]


def test_base64_round_trip() -> None:
    payloads = (b"", b"\x00\xff binary \x80", "żółw".encode(), b"x" * 1000)
    records = tuple(
        Record(str(i + 1), 1767225600.0, data=data) for i, data in enumerate(payloads)
    )
    for source in ("kinesis", "dynamodb"):
        shard = Shard(source=source, records=records)
        event = build_event(shard, 0, len(payloads))
        if source == "kinesis":
            encoded = [r["kinesis"]["data"] for r in event["Records"]]
        else:
            encoded = [r["dynamodb"]["NewImage"]["data"]["B"] for r in event["Records"]]
        assert tuple(base64.b64decode(text) for text in encoded) == payloads


def test_sequence_numbers_stay_strings(
    kinesis_shard: Shard, dynamodb_shard: Shard
) -> None:
    for shard in (kinesis_shard, dynamodb_shard):
        event = json.loads(json.dumps(build_event(shard, 0, 2)))
        numbers = [sequence_number_of(record) for record in event["Records"]]
        assert numbers == [record.sequence_number for record in shard.records]
        assert all(isinstance(number, str) for number in numbers)
    info = destination_record(
        kinesis_shard,
        0,
        2,
        condition="RetryAttemptsExhausted",
        invoke_count=1,
        function_error="Unhandled",
        request_id="r",
        function_arn="f",
        timestamp=0.0,
    )["KinesisBatchInfo"]
    assert info["startSequenceNumber"] == KINESIS_SEQ_1
    assert info["endSequenceNumber"] == KINESIS_SEQ_2


def test_dynamodb_event_ids_are_deterministic(dynamodb_shard: Shard) -> None:
    first = build_event(dynamodb_shard, 0, 2)
    again = build_event(dynamodb_shard, 0, 2)
    ids = [record["eventID"] for record in first["Records"]]
    assert ids == [record["eventID"] for record in again["Records"]]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert len(set(ids)) == 2


def test_sequence_number_of_refuses_other_shapes() -> None:
    with pytest.raises(InvalidScenario) as caught:
        sequence_number_of({"body": "sqs message"})
    assert (
        "kinesis.sequenceNumber or dynamodb.SequenceNumber" in caught.value.one_line()
    )


def test_kinesis_destination_record(kinesis_shard: Shard) -> None:
    record = destination_record(
        kinesis_shard,
        0,
        2,
        condition="RetryAttemptsExhausted",
        invoke_count=4,
        function_error="Unhandled",
        request_id="cf6fa2a6-48e2-49a6-bc23-7ed2b154b176",
        function_arn="arn:aws:lambda:us-east-2:123456789012:function:myfunction",
        timestamp=1545084720.5,
    )
    assert record == {
        "requestContext": {
            "requestId": "cf6fa2a6-48e2-49a6-bc23-7ed2b154b176",
            "functionArn": "arn:aws:lambda:us-east-2:123456789012:function:myfunction",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 4,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "version": "1.0",
        "timestamp": "2018-12-17T22:12:00.500Z",
        "KinesisBatchInfo": {
            "shardId": "shardId-000000000006",
            "startSequenceNumber": KINESIS_SEQ_1,
            "endSequenceNumber": KINESIS_SEQ_2,
            "approximateArrivalOfFirstRecord": "2018-12-17T22:10:50.987Z",
            "approximateArrivalOfLastRecord": "2018-12-17T22:11:51.166Z",
            "batchSize": 2,
            "streamArn": KINESIS_ARN,
        },
    }


def test_dynamodb_destination_record(dynamodb_shard: Shard) -> None:
    # The AWS Lambda Developer Guide's DynamoDB invocation record, rebuilt.
    record = destination_record(
        dynamodb_shard,
        0,
        1,
        condition="RetryAttemptsExhausted",
        invoke_count=1,
        function_error="Unhandled",
        request_id="316aa6d0-8154-xmpl-9af7-85d5f4a6bc81",
        function_arn="arn:aws:lambda:us-east-2:123456789012:function:myfunction",
        timestamp=1573690429.717,
    )
    assert record == {
        "requestContext": {
            "requestId": "316aa6d0-8154-xmpl-9af7-85d5f4a6bc81",
            "functionArn": "arn:aws:lambda:us-east-2:123456789012:function:myfunction",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 1,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "version": "1.0",
        "timestamp": "2019-11-14T00:13:49.717Z",
        "DDBStreamBatchInfo": {
            "shardId": "shardId-00000001573689847184-864758bb",
            "startSequenceNumber": "800000000003126276362",
            "endSequenceNumber": "800000000003126276362",
            "approximateArrivalOfFirstRecord": "2019-11-14T00:13:19Z",
            "approximateArrivalOfLastRecord": "2019-11-14T00:13:19Z",
            "batchSize": 1,
            "streamArn": DDB_ARN,
        },
    }


def test_partial_failure_has_null_function_error(dynamodb_shard: Shard) -> None:
    record = destination_record(
        dynamodb_shard,
        1,
        2,
        condition="RetryAttemptsExhausted",
        invoke_count=3,
        function_error=None,
        request_id="r",
        function_arn="f",
        timestamp=1573690500.0,
    )
    assert record["responseContext"]["functionError"] is None
    assert '"functionError": null' in json.dumps(record)
    assert record["DDBStreamBatchInfo"]["approximateArrivalOfFirstRecord"] == (
        "2019-11-14T00:13:21Z"
    )


@pytest.mark.parametrize("source", ["kinesis", "dynamodb"])
def test_record_age_exceeded_has_no_response_context(source: Source) -> None:
    shard = Shard.numbered(5, source)
    record = destination_record(
        shard,
        0,
        3,
        condition="RecordAgeExceeded",
        invoke_count=0,
        function_error=None,
        request_id="r",
        function_arn="f",
        timestamp=1767229200.0,
    )
    assert "responseContext" not in record
    assert list(record) == [
        "requestContext",
        "version",
        "timestamp",
        "KinesisBatchInfo" if source == "kinesis" else "DDBStreamBatchInfo",
    ]
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["timestamp"] == "2026-01-01T01:00:00.000Z"


@pytest.mark.parametrize(("start", "end"), [(0, 0), (2, 1), (-1, 2), (0, 4)], ids=str)
def test_batches_outside_the_shard_are_refused(start: int, end: int) -> None:
    with pytest.raises(InvalidScenario):
        build_event(Shard.numbered(3), start, end)


def test_unknown_condition_is_refused() -> None:
    with pytest.raises(InvalidScenario) as caught:
        destination_record(
            Shard.numbered(3),
            0,
            1,
            condition="Poison",
            invoke_count=1,
            function_error=None,
            request_id="r",
            function_arn="f",
            timestamp=0.0,
        )
    assert caught.value.one_line() == (
        "condition: must be RetryAttemptsExhausted or RecordAgeExceeded, got 'Poison'"
    )
