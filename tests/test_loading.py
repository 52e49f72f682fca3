"""Tests of loading event source mapping settings from JSON files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from model.config import MappingConfig
from model.errors import InvalidConfiguration
from model.loading import (
    LoadedMapping,
    load_mapping,
    load_mappings,
    mapping_from_dict,
    mappings_from_dict,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
KINESIS_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/orders"
DDB_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2025-10-01"


def _write(tmp_path: Path, data: Any, name: str = "mapping.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _refusal(path: Path) -> str:
    with pytest.raises(InvalidConfiguration) as caught:
        load_mapping(path)
    line = caught.value.one_line()
    assert "\n" not in line
    assert line.startswith(f"{path}: ")
    return line


# --- the example files -----------------------------------------------------------


def test_get_event_source_mapping_output() -> None:
    config = load_mapping(EXAMPLES / "get-event-source-mapping.json")
    assert config == MappingConfig(
        batch_size=10,
        maximum_retry_attempts=2,
        maximum_record_age_in_seconds=-1,
        bisect_batch_on_function_error=True,
        function_response_types=("ReportBatchItemFailures",),
        on_failure_destination=(
            "arn:aws:sqs:us-east-1:123456789012:process-orders-failures"
        ),
        parallelization_factor=1,
        starting_position="TRIM_HORIZON",
        tumbling_window_in_seconds=0,
        maximum_batching_window_in_seconds=0,
        has_filter_criteria=False,
        source="kinesis",
    )


def test_get_event_source_mapping_details() -> None:
    (loaded,) = load_mappings(EXAMPLES / "get-event-source-mapping.json")
    assert loaded.source_known
    assert loaded.name == "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE"
    assert loaded.notes == ()


def test_cloudformation_resource() -> None:
    config = load_mapping(EXAMPLES / "cloudformation-properties.json")
    assert config == MappingConfig(
        batch_size=25,
        maximum_retry_attempts=5,
        maximum_record_age_in_seconds=3600,
        bisect_batch_on_function_error=True,
        function_response_types=("ReportBatchItemFailures",),
        on_failure_destination="arn:aws:sns:us-east-1:123456789012:orders-stream-failures",
        parallelization_factor=1,
        starting_position="LATEST",
        maximum_batching_window_in_seconds=5,
        source="dynamodb",
    )
    (loaded,) = load_mappings(EXAMPLES / "cloudformation-properties.json")
    assert loaded.source_known
    assert loaded.name == "cloudformation-properties"


def test_cloudformation_properties_alone(tmp_path: Path) -> None:
    resource = json.loads((EXAMPLES / "cloudformation-properties.json").read_text())
    path = _write(tmp_path, resource["Properties"])
    assert load_mapping(path) == load_mapping(
        EXAMPLES / "cloudformation-properties.json"
    )


def test_bad_example_files() -> None:
    path = EXAMPLES / "bad-batch-size.json"
    assert _refusal(path) == f"{path}: BatchSize: must be 1..10000, got 0"
    path = EXAMPLES / "bad-record-age.json"
    assert _refusal(path) == (
        f"{path}: MaximumRecordAgeInSeconds: must be -1 or 60..604800, got 30"
    )


# --- defaults and what is ignored ------------------------------------------------


def test_defaults() -> None:
    config = mapping_from_dict({"EventSourceArn": KINESIS_ARN}, "m.json")
    assert config == MappingConfig()
    assert config.batch_size == 100
    assert config.maximum_retry_attempts == -1
    assert config.maximum_record_age_in_seconds == -1
    assert not config.bisect_batch_on_function_error
    assert config.function_response_types == ()
    assert config.on_failure_destination is None


def test_irrelevant_keys_are_ignored() -> None:
    data = {
        "UUID": "u",
        "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "LastModified": 1700000000.0,
        "State": "Enabled",
        "StateTransitionReason": "User action",
        "LastProcessingResult": "No records processed",
        "ScalingConfig": {"MaximumConcurrency": 2},
        "BatchSize": 7,
    }
    assert mapping_from_dict(data, "m.json").batch_size == 7


def test_dynamodb_source_from_arn() -> None:
    (loaded,) = mappings_from_dict({"EventSourceArn": DDB_ARN}, "m.json")
    assert loaded.config.source == "dynamodb"
    assert loaded.source_known


def test_absent_source_defaults_to_kinesis_unknown() -> None:
    (loaded,) = mappings_from_dict({"BatchSize": 5}, "m.json")
    assert loaded == LoadedMapping(
        config=MappingConfig(batch_size=5),
        source_known=False,
        name="m",
        notes=("EventSourceArn is absent, so the source is not known",),
    )


def test_symbolic_source_defaults_to_kinesis_unknown() -> None:
    data = {"EventSourceArn": {"Fn::GetAtt": ["Stream", "Arn"]}, "BatchSize": 5}
    (loaded,) = mappings_from_dict(data, "m.json")
    assert loaded.config.source == "kinesis"
    assert not loaded.source_known
    assert "EventSourceArn" in loaded.notes[0]


def test_symbolic_setting_uses_default_with_note() -> None:
    data = {"EventSourceArn": KINESIS_ARN, "BatchSize": {"Ref": "Size"}}
    (loaded,) = mappings_from_dict(data, "m.json")
    assert loaded.config.batch_size == 100
    assert loaded.notes == (
        'BatchSize is {"Ref": "Size"}, which cannot be resolved; '
        "the API default is used",
    )


def test_symbolic_destination_is_a_destination() -> None:
    data = {
        "EventSourceArn": KINESIS_ARN,
        "DestinationConfig": {
            "OnFailure": {"Destination": {"Fn::GetAtt": ["Dlq", "Arn"]}}
        },
    }
    (loaded,) = mappings_from_dict(data, "m.json")
    assert loaded.config.has_destination
    assert "DestinationConfig.OnFailure.Destination" in loaded.notes[0]


def test_no_value_is_absent() -> None:
    data = {"EventSourceArn": KINESIS_ARN, "BatchSize": {"Ref": "AWS::NoValue"}}
    (loaded,) = mappings_from_dict(data, "m.json")
    assert loaded.config.batch_size == 100
    assert loaded.notes == ()


def test_template_resolves_source_from_resource() -> None:
    template = {
        "Resources": {
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "FunctionName": "f",
                    "EventSourceArn": {"Fn::GetAtt": ["Table", "StreamArn"]},
                    "StartingPosition": "LATEST",
                    "MaximumRetryAttempts": 3,
                },
            },
        }
    }
    (loaded,) = mappings_from_dict(template, "t.json")
    assert loaded.name == "Mapping"
    assert loaded.source_known
    assert loaded.config.source == "dynamodb"
    assert loaded.config.maximum_retry_attempts == 3


def test_template_refusal_names_resource(tmp_path: Path) -> None:
    template = {
        "Resources": {
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {"EventSourceArn": KINESIS_ARN, "BatchSize": 0},
            }
        }
    }
    path = _write(tmp_path, template)
    assert _refusal(path) == (
        f"{path}: Resources.Mapping.Properties.BatchSize: must be 1..10000, got 0"
    )


def test_list_output_and_several_mappings(tmp_path: Path) -> None:
    data = {
        "EventSourceMappings": [
            {"UUID": "one", "EventSourceArn": KINESIS_ARN, "BatchSize": 1},
            {"UUID": "two", "EventSourceArn": DDB_ARN, "BatchSize": 2},
        ]
    }
    path = _write(tmp_path, data)
    assert [(m.name, m.config.batch_size) for m in load_mappings(path)] == [
        ("one", 1),
        ("two", 2),
    ]
    assert _refusal(path) == (
        f"{path}: holds 2 event source mappings (one, two); "
        "give a file with exactly one"
    )


# --- refusals --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"BatchSize": 0}, "BatchSize: must be 1..10000, got 0"),
        ({"BatchSize": 10001}, "BatchSize: must be 1..10000, got 10001"),
        (
            {"MaximumRecordAgeInSeconds": 30},
            "MaximumRecordAgeInSeconds: must be -1 or 60..604800, got 30",
        ),
        (
            {"MaximumRetryAttempts": -2},
            "MaximumRetryAttempts: must be -1 or 0..10000, got -2",
        ),
        (
            {"BatchSize": "10"},
            'BatchSize: must be an integer 1..10000, got the string "10"; '
            "write 10 without quotes",
        ),
        (
            {"BatchSize": 10.5},
            "BatchSize: must be an integer 1..10000, got 10.5",
        ),
        (
            {"BatchSize": True},
            "BatchSize: must be an integer 1..10000, got true",
        ),
        (
            {"BisectBatchOnFunctionError": "true"},
            'BisectBatchOnFunctionError: must be true or false, got the string "true"; '
            "write true without quotes",
        ),
        (
            {"FunctionResponseTypes": ["ReportBatchItemFailure"]},
            'FunctionResponseTypes: must be [] or ["ReportBatchItemFailures"], '
            'got ["ReportBatchItemFailure"]',
        ),
        (
            {"FunctionResponseTypes": "ReportBatchItemFailures"},
            'FunctionResponseTypes: must be a list, [] or ["ReportBatchItemFailures"], '
            'got the string "ReportBatchItemFailures"; '
            'write ["ReportBatchItemFailures"]',
        ),
        (
            {"StartingPosition": "EARLIEST"},
            "StartingPosition: must be one of TRIM_HORIZON, LATEST, AT_TIMESTAMP, "
            "got 'EARLIEST'",
        ),
        (
            {"DestinationConfig": {"OnFailure": {"Destination": 42}}},
            "DestinationConfig.OnFailure.Destination: must be the ARN string of an "
            "SQS queue, SNS topic or S3 bucket (arn:aws:sqs:..., arn:aws:sns:..., "
            "arn:aws:s3:::...), got 42",
        ),
        (
            {"DestinationConfig": {"OnFailure": {"Destination": "my-queue"}}},
            "DestinationConfig.OnFailure.Destination: must be the ARN string of an "
            "SQS queue, SNS topic or S3 bucket (arn:aws:sqs:..., arn:aws:sns:..., "
            'arn:aws:s3:::...), got "my-queue"',
        ),
        (
            {"EventSourceArn": "arn:aws:sqs:us-east-1:123456789012:q"},
            "EventSourceArn: must be a Kinesis stream ARN "
            "(arn:aws:kinesis:...:stream/NAME) or a DynamoDB stream ARN "
            "(arn:aws:dynamodb:...:table/NAME/stream/LABEL), "
            'got "arn:aws:sqs:us-east-1:123456789012:q"',
        ),
    ],
)
def test_refused_values(tmp_path: Path, data: dict[str, Any], expected: str) -> None:
    path = _write(tmp_path, data)
    line = _refusal(path)
    assert line == f"{path}: {expected}"
    field = expected.split(":", 1)[0]
    assert f": {field}: " in line


def test_destination_other_arns_accepted() -> None:
    for arn in (
        "arn:aws:sqs:us-east-1:123456789012:q",
        "arn:aws:sns:us-east-1:123456789012:t",
        "arn:aws:s3:::bucket",
    ):
        data = {"DestinationConfig": {"OnFailure": {"Destination": arn}}}
        assert mapping_from_dict(data, "m.json").on_failure_destination == arn


def test_broken_json(tmp_path: Path) -> None:
    path = _write(tmp_path, '{\n  "BatchSize": 10,\n}\n')
    assert _refusal(path) == (
        f"{path}: not valid JSON (line 3 column 1): "
        "Expecting property name enclosed in double quotes"
    )


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    assert _refusal(path) == f"{path}: no such file"


def test_top_level_not_an_object(tmp_path: Path) -> None:
    path = _write(tmp_path, [{"BatchSize": 10}])
    assert _refusal(path) == (
        f"{path}: the top level must be a JSON object (get-event-source-mapping "
        "output or CloudFormation Properties), got an array"
    )


def test_object_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = _write(tmp_path, {"shard": [1, 2, 3]})
    assert _refusal(path) == (
        f"{path}: does not look like an event source mapping: expected fields such "
        "as EventSourceArn, BatchSize or MaximumRetryAttempts"
    )


def test_resource_of_another_type(tmp_path: Path) -> None:
    path = _write(tmp_path, {"Type": "AWS::SQS::Queue", "Properties": {}})
    assert _refusal(path) == (
        f"{path}: Type: must be AWS::Lambda::EventSourceMapping, got 'AWS::SQS::Queue'"
    )


def test_at_timestamp_refused_for_dynamodb(tmp_path: Path) -> None:
    path = _write(
        tmp_path, {"EventSourceArn": DDB_ARN, "StartingPosition": "AT_TIMESTAMP"}
    )
    assert _refusal(path) == (
        f"{path}: StartingPosition: AT_TIMESTAMP is accepted for Kinesis only; "
        "use TRIM_HORIZON or LATEST"
    )
