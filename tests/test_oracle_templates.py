"""Tests of loading CloudFormation and SAM templates and of the per-mapping findings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checks import verify
from checks.configs import findings, labelled_mappings
from model.cfn_yaml import load_yaml
from model.config import REPORT_BATCH_ITEM_FAILURES, MappingConfig
from model.errors import InvalidConfiguration
from model.loading import load_mappings

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
RBIF = (REPORT_BATCH_ITEM_FAILURES,)


# -- YAML short forms ---------------------------------------------------------------


def test_short_forms_become_long_forms() -> None:
    text = (
        "A: !Ref Stream\n"
        "B: !GetAtt Table.StreamArn\n"
        "C: !Sub 'arn:${AWS::Partition}:sqs:x'\n"
        "D: !If [HasQueue, !GetAtt Queue.Arn, !Ref AWS::NoValue]\n"
        "E: !Join ['', [a, b]]\n"
    )
    assert load_yaml(text) == {
        "A": {"Ref": "Stream"},
        "B": {"Fn::GetAtt": ["Table", "StreamArn"]},
        "C": {"Fn::Sub": "arn:${AWS::Partition}:sqs:x"},
        "D": {
            "Fn::If": [
                "HasQueue",
                {"Fn::GetAtt": ["Queue", "Arn"]},
                {"Ref": "AWS::NoValue"},
            ]
        },
        "E": {"Fn::Join": ["", ["a", "b"]]},
    }


# -- the SAM template -----------------------------------------------------------------


def test_sam_template_mappings() -> None:
    loaded = {m.name: m for m in load_mappings(EXAMPLES / "sam-template.yaml")}
    assert list(loaded) == [
        "OrdersFunction.OrdersStreamEvent",
        "AuditFunction.TableChanges",
        "LegacyMapping",
    ]
    orders = loaded["OrdersFunction.OrdersStreamEvent"]
    assert orders.source_known and orders.config.source == "kinesis"
    assert orders.config.batch_size == 10  # written "10" in the template
    assert orders.config.maximum_retry_attempts == 2
    assert orders.config.bisect_batch_on_function_error
    assert orders.config.function_response_types == RBIF
    assert orders.config.has_destination
    audit = loaded["AuditFunction.TableChanges"]
    assert audit.source_known and audit.config.source == "dynamodb"
    assert audit.config.batch_size == 100
    assert audit.config.maximum_retry_attempts == -1
    assert not audit.config.has_destination
    legacy = loaded["LegacyMapping"]
    # !Ref to a template parameter: the kind cannot be known.
    assert not legacy.source_known
    assert legacy.config.maximum_retry_attempts == 3


def test_unknown_source_is_checked_as_both_kinds() -> None:
    labels = [
        label for label, _, _ in labelled_mappings(str(EXAMPLES / "sam-template.yaml"))
    ]
    assert labels == [
        "OrdersFunction.OrdersStreamEvent",
        "AuditFunction.TableChanges",
        "LegacyMapping[kinesis]",
        "LegacyMapping[dynamodb]",
    ]


def test_at_timestamp_means_kinesis(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n  M:\n    Type: AWS::Lambda::EventSourceMapping\n"
        "    Properties:\n      EventSourceArn: !Ref Arn\n"
        "      StartingPosition: AT_TIMESTAMP\n"
    )
    labels = [label for label, _, _ in labelled_mappings(str(path))]
    assert labels == ["M"]


# -- the CloudFormation JSON template -----------------------------------------------


def test_cloudformation_json_template() -> None:
    loaded = {
        m.name: m for m in load_mappings(EXAMPLES / "cloudformation-template.json")
    }
    click = loaded["ClickMapping"]
    assert click.source_known and click.config.source == "kinesis"
    assert click.config.batch_size == 100  # "100"
    session = loaded["SessionMapping"]
    assert session.source_known and session.config.source == "dynamodb"
    assert session.config.bisect_batch_on_function_error is True  # "true"
    assert session.config.has_destination  # a !Ref: configured, ARN unknown
    assert any("FailureTopicArn" in note for note in session.notes)
    imported = loaded["ImportedMapping"]
    assert not imported.source_known
    assert imported.config.maximum_retry_attempts == 0


def test_quoted_numbers_stay_refused_outside_templates(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"BatchSize": "10"}))
    with pytest.raises(InvalidConfiguration, match="without quotes"):
        load_mappings(path)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad.yaml", "Resources: [\n", "not valid YAML (line"),
        (
            "none.yaml",
            "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n",
            "no AWS::Serverless::Function with an event of Type Kinesis or DynamoDB",
        ),
        (
            "wrong.yaml",
            "Resources:\n  F:\n    Type: AWS::Serverless::Function\n"
            "    Properties:\n      Events:\n        E:\n          Type: Kinesis\n"
            "          Properties:\n"
            "            Stream: arn:aws:dynamodb:us-east-1:1:table/T/stream/2025\n",
            "Resources.F.Properties.Events.E.Properties.Stream: names a dynamodb",
        ),
        (
            "range.yaml",
            "Resources:\n  M:\n    Type: AWS::Lambda::EventSourceMapping\n"
            "    Properties:\n      BatchSize: '0'\n",
            "Resources.M.Properties.BatchSize: must be 1..10000, got 0",
        ),
    ],
)
def test_bad_templates_exit_2_with_one_line(
    name: str, text: str, expected: str, tmp_path: Path, capsys: Any
) -> None:
    path = tmp_path / name
    path.write_text(text)
    status = verify.main(["--config", str(path), "--only", "findings"])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err.count("\n") == 1
    assert str(path) in captured.err
    assert expected in captured.err


# -- findings -------------------------------------------------------------------------


def test_findings_of_the_api_defaults() -> None:
    lines = findings(MappingConfig())
    assert lines[0].startswith(
        "retries and age both infinite, so one poison record blocks the shard until "
        "retention trims it"
    )
    assert lines[1].startswith("no destination, so discarded records leave no trace")
    assert "the mapping does not ask for them" in lines[2]


def test_findings_whole_batch_poison_by_hand() -> None:
    # Record 5 of 10 poisoned, the handler throws, two retries: [1..10] three
    # times, then all ten discarded: nine good records go with it, each delivered
    # three times.
    lines = findings(MappingConfig(batch_size=10, maximum_retry_attempts=2))
    assert lines[0] == (
        "a poison record (record 5 of a batch of 10, the handler throws) takes 3 "
        "invocations, and 9 good records of its batch are lost without a trace "
        "with it; good records are delivered up to 3 times (R3)"
    )


def test_findings_custom_checkpoint_poison_by_hand() -> None:
    # Reported at 5: [1..10] moves the checkpoint to 5 (fresh budget, R7), then
    # [5..10] three times (attempts 1, 2, 3 > 2): discarded with 6..10.
    config = MappingConfig(
        batch_size=10, maximum_retry_attempts=2, function_response_types=RBIF
    )
    assert findings(config)[0].startswith(
        "a poison record (record 5 of a batch of 10, the handler reports it) takes 4 "
        "invocations, and 5 good records of its batch are lost without a trace"
    )


def test_findings_bisect_poison_matches_the_seed() -> None:
    # The seed's walkthrough 3: nine invocations, record 4 delivered four times.
    config = MappingConfig(
        batch_size=10,
        maximum_retry_attempts=2,
        bisect_batch_on_function_error=True,
        on_failure_destination="arn:aws:sqs:us-east-1:123456789012:q",
    )
    lines = findings(config)
    assert lines[0].startswith(
        "a poison record (record 5 of a batch of 10, the handler throws) takes 9 "
        "invocations, and only it is discarded; good records are delivered up to 4 "
        "times"
    )
    assert "arn:aws:sqs:us-east-1:123456789012:q" in lines[1]


def test_findings_section_in_verify(capsys: Any) -> None:
    path = str(EXAMPLES / "sam-template.yaml")
    status = verify.main(["--config", path, "--only", "findings"])
    out = capsys.readouterr().out
    assert status == 0
    assert "findings for OrdersFunction.OrdersStreamEvent" in out
    assert "findings for LegacyMapping[dynamodb]" in out
    status = verify.main(["--config", path, "--only", "findings", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert [item["mapping"] for item in document["findings"]][:2] == [
        "OrdersFunction.OrdersStreamEvent",
        "AuditFunction.TableChanges",
    ]
