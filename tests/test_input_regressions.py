"""Regression tests for the input problems a first user reported.

Each test feeds the exact input of the report and asserts a one-line refusal with
exit status 2 (or, for the handler oracle, the problem found), never a traceback
and never a setting silently ignored.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from checks.oracle.cli import main as oracle_main
from checks.oracle.handlers import check_handler, load_handler
from checks.verify import main as verify_main
from model.config import REPORT_BATCH_ITEM_FAILURES, MappingConfig
from model.errors import InvalidInput
from model.loading import load_mappings, mapping_from_dict, parse_json

ROOT = Path(__file__).resolve().parent.parent
HEADER = {
    "type": "header",
    "format": "shardcheck-trace/1",
    "source": "kinesis",
    "records": 2,
    "mapping": {},
    "checkpoint_style": "first_not_done",
}
SCENARIO = {"name": "x", "source": "kinesis", "records": 3, "handler": "throw"}


def _refusal(capsys: pytest.CaptureFixture[str], main: Any, *argv: str) -> str:
    """Run a command line that must be refused; its one line of standard error."""
    assert main(list(argv)) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert captured.err.count("\n") == 1, captured.err
    return captured.err.strip()


def _usage_error(capsys: pytest.CaptureFixture[str], main: Any, *argv: str) -> str:
    """A usage error: argparse exits 2 with one line."""
    with pytest.raises(SystemExit) as stop:
        main(list(argv))
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err.strip()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- 1. misspelt mapping fields ---------------------------------------------------


def test_misspelt_field_in_json_is_refused(tmp_path: Path, capsys: Any) -> None:
    path = _write(tmp_path / "m.json", '{"BatchSize": 10, "MaximumRetryAttempt": 2}')
    line = _refusal(capsys, verify_main, "--config", str(path))
    assert line == (
        f"error: {path}: MaximumRetryAttempt: unknown field; did you mean "
        "MaximumRetryAttempts?"
    )


def test_misspelt_property_in_yaml_template(tmp_path: Path, capsys: Any) -> None:
    template = """\
        Resources:
          M:
            Type: AWS::Lambda::EventSourceMapping
            Properties:
              EventSourceArn: arn:aws:kinesis:us-east-1:123456789012:stream/s
              FunctionName: f
              MaximumRetryAttemps: 3
    """
    path = _write(tmp_path / "file.yaml", textwrap.dedent(template))
    line = _refusal(capsys, verify_main, "--config", str(path))
    assert line == (
        f"error: {path}: Resources.M.Properties.MaximumRetryAttemps: unknown field; "
        "did you mean MaximumRetryAttempts?"
    )


def test_unknown_field_without_a_close_name() -> None:
    with pytest.raises(InvalidInput) as refused:
        mapping_from_dict({"BatchSize": 10, "Colour": "red"}, "m.json")
    assert refused.value.field == "Colour"
    assert "unknown field" in refused.value.message


def test_nested_destination_key_is_checked() -> None:
    data = {
        "BatchSize": 10,
        "DestinationConfig": {"OnFailure": {"Destinaton": "arn:aws:sqs:x:1:q"}},
    }
    with pytest.raises(InvalidInput) as refused:
        mapping_from_dict(data, "m.json")
    assert refused.value.field == "DestinationConfig.OnFailure.Destinaton"
    assert refused.value.message.endswith("did you mean Destination?")
    with pytest.raises(InvalidInput) as outer:
        mapping_from_dict({"BatchSize": 1, "DestinationConfig": {"OnFail": {}}})
    assert outer.value.field == "DestinationConfig.OnFail"


def test_sam_event_uses_sams_names(tmp_path: Path) -> None:
    template = """\
        Resources:
          F:
            Type: AWS::Serverless::Function
            Properties:
              Events:
                E:
                  Type: DynamoDB
                  Properties:
                    Stream: arn:aws:dynamodb:us-east-1:1:table/T/stream/2025
                    StartingPosition: LATEST
                    Enabled: true
                    MaximumRetryAttempts: 2
                    DestinationConfig:
                      OnFailure:
                        Type: SQS
                        Destination: arn:aws:sqs:us-east-1:1:q
    """
    path = _write(tmp_path / "sam.yaml", textwrap.dedent(template))
    (loaded,) = load_mappings(path)
    assert loaded.config.maximum_retry_attempts == 2
    assert loaded.config.source == "dynamodb"
    # EventSourceArn is the CloudFormation name; SAM calls it Stream.
    wrong = path.read_text().replace("Stream:", "EventSourceArn:")
    with pytest.raises(InvalidInput, match=r"Properties\.EventSourceArn: unknown"):
        load_mappings(_write(tmp_path / "wrong.yaml", wrong))


def test_every_cloudformation_property_is_accepted() -> None:
    properties = {
        "EventSourceArn": "arn:aws:kinesis:us-east-1:1:stream/s",
        "FunctionName": "f",
        "Enabled": True,
        "StartingPosition": "AT_TIMESTAMP",
        "StartingPositionTimestamp": 1700000000,
        "KmsKeyArn": "arn:aws:kms:us-east-1:1:key/k",
        "Tags": [],
        "MetricsConfig": {"Metrics": ["EventCount"]},
    }
    resource = {"Type": "AWS::Lambda::EventSourceMapping", "Properties": properties}
    assert mapping_from_dict(resource).batch_size == 100  # Kinesis' default
    # list-event-source-mappings prints the API's names: FunctionArn, not Name.
    listing = {"EventSourceMappings": [{"BatchSize": 10, "FunctionName": "f"}]}
    with pytest.raises(InvalidInput, match="did you mean FunctionArn"):
        mapping_from_dict(listing)


def test_misspelt_field_in_a_scenario_mapping(tmp_path: Path, capsys: Any) -> None:
    data = {**SCENARIO, "mapping": {"MaximumRetryAttemps": 3}}
    path = _write(tmp_path / "s.json", json.dumps(data))
    line = _refusal(capsys, verify_main, "--scenario", str(path))
    assert line.endswith(
        "mapping.MaximumRetryAttemps: unknown field; did you mean MaximumRetryAttempts?"
    )


# -- 2. tracebacks that became one-line refusals ----------------------------------


def test_seconds_apart_past_float_range(tmp_path: Path, capsys: Any) -> None:
    path = _write(tmp_path / "s.json", json.dumps({**SCENARIO, "seconds_apart": 1e308}))
    line = _refusal(capsys, verify_main, "--scenario", str(path))
    assert "seconds_apart: must be a number of seconds 0..604,800" in line
    line = _refusal(capsys, oracle_main, "emit", "--scenario", str(path))
    assert "seconds_apart" in line


def test_arrival_1e400_in_a_trace_header(tmp_path: Path, capsys: Any) -> None:
    header = json.dumps({**HEADER, "records": [{"sequenceNumber": "1"}]})
    text = header.replace('"1"}', '"1", "arrival": 1e400}')
    path = _write(tmp_path / "t.jsonl", text + "\n")
    line = _refusal(capsys, oracle_main, "trace", str(path))
    assert "line 1: the number 1e400 is too large" in line


def test_lone_surrogate_in_response_text(tmp_path: Path, capsys: Any) -> None:
    event = '{"type": "invocation", "batch": ["1", "2"], "response_text": '
    event += '"\\u0000\\ud800"}'
    path = _write(tmp_path / "t.jsonl", json.dumps(HEADER) + "\n" + event + "\n")
    line = _refusal(capsys, oracle_main, "trace", str(path))
    assert "line 2: response_text holds a lone surrogate" in line


def test_deeply_nested_raw_payload(tmp_path: Path, capsys: Any) -> None:
    text = json.dumps({**SCENARIO, "handler": {"raw": None}})
    text = text.replace("null", "[" * 100_000 + "]" * 100_000)
    path = _write(tmp_path / "s.json", text)
    line = _refusal(capsys, verify_main, "--scenario", str(path))
    assert "nested too deeply" in line


def test_duplicate_keys_are_refused(tmp_path: Path, capsys: Any) -> None:
    config = _write(tmp_path / "m.json", '{"BatchSize": 10, "BatchSize": 20}')
    line = _refusal(capsys, verify_main, "--config", str(config))
    assert 'the key "BatchSize" appears twice' in line
    yaml_config = _write(tmp_path / "m.yaml", "BatchSize: 10\nBatchSize: 20\n")
    line = _refusal(capsys, verify_main, "--config", str(yaml_config))
    assert '(line 2 column 1): the key "BatchSize" appears twice' in line
    scenario = _write(tmp_path / "s.json", '{"name": "a", "name": "b"}')
    assert '"name" appears twice' in _refusal(
        capsys, verify_main, "--scenario", str(scenario)
    )
    trace = _write(tmp_path / "t.jsonl", json.dumps(HEADER)[:-1] + ', "records": 3}\n')
    assert '"records" appears twice' in _refusal(
        capsys, oracle_main, "trace", str(trace)
    )


def test_parse_json_refuses_non_finite_numbers() -> None:
    for text in ("NaN", "[Infinity]", "-1e999"):
        with pytest.raises(InvalidInput):
            parse_json(text)
    assert parse_json("[1e308]") == [1e308]


# -- 3, 4, 5. the handler oracle: hangs, exits, unserialisable responses ----------


def _handler(tmp_path: Path, body: str) -> Any:
    path = _write(tmp_path / "handler_under_test.py", textwrap.dedent(body))
    return load_handler(f"{path}:handler")


def _kinds(report: Any) -> dict[str, Any]:
    return {problem.kind: problem for problem in report.problems}


def test_a_handler_that_never_returns_times_out(tmp_path: Path) -> None:
    function, module = _handler(
        tmp_path,
        """\
        import threading
        release = threading.Event()
        def handler(event, context):
            release.wait()
        """,
    )
    started = time.monotonic()
    try:
        report = check_handler(
            function, source="kinesis", module=module, max_examples=5, timeout=0.2
        )
    finally:
        module.release.set()  # let the abandoned thread end
    # One invocation waits 0.2 s; the others are skipped once it timed out.
    assert time.monotonic() - started < 5
    assert report.invocations == 1
    problem = _kinds(report)["timed-out"]
    assert "Task timed out after 0.20 seconds" in problem.message
    # A function error: the default mapping retries it without limit (R3).
    assert "without limit" in problem.consequence


def test_a_busy_loop_handler_from_the_command_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "loop.py",
        "def handler(event, context):\n    while True:\n        pass\n",
    )
    done = subprocess.run(
        [sys.executable, "-m", "checks.oracle", "handler", f"{path}:handler"]
        + ["--source", "kinesis", "--timeout", "0.3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "PROBLEM timed-out" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("value", ["0", "-1", "nan", "901"])
def test_timeout_option_is_checked(value: str, capsys: Any) -> None:
    argv = ["handler", "json:dumps", "--source", "kinesis", "--timeout", value]
    line = _refusal(capsys, oracle_main, *argv)
    assert line.startswith("error: --timeout: must be a number of seconds")


def test_sys_exit_is_a_function_error(tmp_path: Path) -> None:
    function, module = _handler(
        tmp_path, "import sys\ndef handler(event, context):\n    sys.exit(3)\n"
    )
    report = check_handler(function, source="kinesis", module=module, max_examples=3)
    problem = _kinds(report)["handler-exited"]
    assert "Runtime.ExitError" in problem.message
    assert "sys.exit(3)" in problem.message


@pytest.mark.parametrize("extra", ["{1, 2}", "object()", "datetime.date(2021, 1, 1)"])
def test_unserialisable_response_is_a_function_error(
    tmp_path: Path, extra: str
) -> None:
    function, module = _handler(
        tmp_path,
        f"""\
        import datetime
        def handler(event, context):
            failed = [
                {{"itemIdentifier": r["kinesis"]["sequenceNumber"]}}
                for r in event["Records"]
                if r["kinesis"]["sequenceNumber"] in context.shardcheck_failing
            ]
            return {{"batchItemFailures": failed, "extra": {extra}}}
        """,
    )
    config = MappingConfig(
        batch_size=10,
        maximum_retry_attempts=2,
        function_response_types=(REPORT_BATCH_ITEM_FAILURES,),
    )
    report = check_handler(
        function, source="kinesis", module=module, config=config, max_examples=3
    )
    problem = _kinds(report)["response-not-serialisable"]
    assert "Runtime.MarshalError" in problem.message
    # Two retries of the whole batch, then every record discarded (R3).
    assert "retries it whole 2 more times" in problem.consequence


def test_decimal_is_serialised_as_the_runtime_does(tmp_path: Path) -> None:
    function, module = _handler(
        tmp_path,
        """\
        import decimal
        def handler(event, context):
            return {"batchItemFailures": [], "price": decimal.Decimal("1.5")}
        """,
    )
    report = check_handler(function, source="kinesis", module=module, max_examples=3)
    assert "response-not-serialisable" not in _kinds(report)


# -- 3, 6. options checked, not ignored -------------------------------------------


@pytest.mark.parametrize("records", ["100000000", "20000"])
def test_compare_records_is_bounded(records: str, capsys: Any) -> None:
    line = _refusal(capsys, verify_main, "compare", "--records", records)
    assert line.startswith("error: --records: must be 1..10,000")


def test_compare_svg_into_a_missing_folder(tmp_path: Path, capsys: Any) -> None:
    target = tmp_path / "missing" / "x.svg"
    line = _refusal(capsys, verify_main, "compare", "--svg", str(target))
    assert "does not exist" in line
    assert not target.parent.exists()


def test_compare_out_refuses_a_folder_of_other_files(
    tmp_path: Path, capsys: Any
) -> None:
    (tmp_path / "mine.txt").write_text("keep")
    line = _refusal(capsys, verify_main, "compare", "--out", str(tmp_path))
    assert "shardcheck did not write" in line
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_verify_options_that_were_ignored(tmp_path: Path, capsys: Any) -> None:
    scenario = _write(tmp_path / "s.json", json.dumps(SCENARIO))
    config = _write(tmp_path / "m.json", '{"BatchSize": 10}')
    cases = {
        ("--scenario", str(scenario), "--scenario", str(scenario)): "given 2 times",
        ("--config", str(config), "--scenario", str(scenario)): "give one of them",
        ("--out", ""): "--out: give a folder name",
        ("--strict",): "--strict applies to",
    }
    for argv, expected in cases.items():
        assert expected in _usage_error(capsys, verify_main, *argv)


# -- 7. messages in the file's own terms ------------------------------------------


def test_messages_show_json_not_python(tmp_path: Path, capsys: Any) -> None:
    scenario = _write(tmp_path / "s.json", json.dumps({**SCENARIO, "records": True}))
    assert _refusal(capsys, verify_main, "--scenario", str(scenario)).endswith(
        "records: must be a whole number >= 1, got true"
    )
    failures = {**SCENARIO, "failures": {"1": {"fails_first": 2, "x": 1}}}
    scenario.write_text(json.dumps(failures))
    assert '{"fails_first": 2, "x": 1}' in _refusal(
        capsys, verify_main, "--scenario", str(scenario)
    )
    dated = _write(tmp_path / "m.yaml", "StartingPosition: 2021-01-01\n")
    assert _refusal(capsys, verify_main, "--config", str(dated)).endswith(
        "got the date 2021-01-01"
    )
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    assert _refusal(capsys, verify_main, "--config", str(folder)).endswith(
        "is a directory; give a file"
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("6", 'each line must be a JSON object with a "type" field'),
        ('{"type": "invocation"}', "needs the field batch or event; add one"),
        ('{"type": "end", "complete": "yes"}', "field complete: expected true or"),
    ],
)
def test_schema_errors_say_what_is_expected(
    line: str, expected: str, tmp_path: Path, capsys: Any
) -> None:
    path = _write(tmp_path / "t.jsonl", json.dumps(HEADER) + "\n" + line + "\n")
    refusal = _refusal(capsys, oracle_main, "trace", str(path))
    assert f"line 2: {expected}" in refusal
    assert "is not valid under any" not in refusal


# -- 8. one note for a source that cannot be resolved -----------------------------


def test_unresolvable_source_is_noted_once(tmp_path: Path, capsys: Any) -> None:
    template = """\
        Resources:
          ImportedMapping:
            Type: AWS::Lambda::EventSourceMapping
            Properties:
              EventSourceArn: !ImportValue shared-stream-arn
              FunctionName: f
              MaximumRetryAttempts: 2
    """
    path = _write(tmp_path / "t.yaml", textwrap.dedent(template))
    assert verify_main(["--config", str(path), "--only", "findings"]) == 0
    err = capsys.readouterr()
    text = err.out + err.err
    assert text.count("both kinds are checked") == 1
    assert "taken to be Kinesis" not in text
