"""``python -m checks.verify`` on scenario files, configuration files and bad input.

Bad input must end with exit status 2 and exactly one line on standard error that
names the file and the field; good configuration files replay the walkthroughs under
the user's mapping, whose batches are worked out by hand below.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from checks.verify import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"


def _cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    """The command as a user types it, in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "checks.verify", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _refusal(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    status = main(list(arguments))
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]


def _json(capsys: pytest.CaptureFixture[str], *arguments: str) -> dict[str, Any]:
    status = main(["--json", "--only", "walkthroughs", *arguments])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return json.loads(captured.out)


def _batches(document: dict[str, Any]) -> list[list[str]]:
    return [step["batch"] for step in document["invocations"]]


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


# -- scenario files ---------------------------------------------------------------


def test_scenario_file_from_the_command_line() -> None:
    result = _cli("--scenario", "docs/examples/scenario-bisect-poison.json", "--json")
    assert result.returncode == 0, result.stderr
    (document,) = json.loads(result.stdout)["scenarios"]
    assert document["name"] == "bisect-poison"
    # Worked by hand in tests/test_scenario_file.py::test_bisect_poison.
    assert [len(batch) for batch in _batches(document)] == [8, 4, 4, 2, 1, 1, 1, 2]
    assert document["final_checkpoint"] == "9"


def test_scenario_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EXAMPLES / "scenario-report-all-retry.json")
    assert main(["--scenario", path]) == 0
    out = capsys.readouterr().out
    assert "report-all-retry" in out
    assert "final checkpoint: 8" in out


def test_step_limit_option_overrides_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A poison record under unlimited retries and unbounded retention: blocked.
    path = _write(
        tmp_path,
        "blocked.json",
        {
            "name": "blocked",
            "source": "dynamodb",
            "records": 2,
            "mapping": {"BatchSize": 2},
            "failures": {"1": "poison"},
            "handler": "throw",
            "timing": {"retention_seconds": None},
            "step_limit": 50,
        },
    )
    (document,) = _json(capsys, "--scenario", str(path), "--step-limit", "7")[
        "scenarios"
    ]
    assert document["blocked"] is True
    assert len(document["invocations"]) == 7


# -- configuration files ---------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["get-event-source-mapping.json", "cloudformation-properties.json"]
)
def test_example_configurations_run(name: str) -> None:
    result = _cli("--config", f"docs/examples/{name}")
    assert result.returncode == 0, result.stderr
    assert "article-whole-batch" in result.stdout


def test_get_event_source_mapping_replays_the_walkthroughs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Kinesis, BatchSize 10, MaximumRetryAttempts 2, bisect on, RBIF on.
    path = str(EXAMPLES / "get-event-source-mapping.json")
    documents = {d["name"]: d for d in _json(capsys, "--config", path)["walkthroughs"]}
    whole = documents["article-whole-batch"]
    assert whole["source"] == "kinesis"
    # Bisect is on: the throwing handler's [1..10] is split, both halves succeed.
    assert _batches(whole) == [
        [str(n) for n in range(1, 11)],
        ["1", "2", "3", "4", "5"],
        ["6", "7", "8", "9", "10"],
    ]
    # RBIF with bisect: a partial response cuts at the lowest record (R8), so the
    # custom-checkpoint walkthrough is unchanged: [1..10], [4..10], [7..10], [10].
    custom = documents["article-custom-checkpoint"]
    assert [batch[0] for batch in _batches(custom)] == ["1", "4", "7", "10"]
    assert custom["final_checkpoint"] == "11"


def test_cloudformation_properties_replay_the_walkthroughs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # DynamoDB, BatchSize 25, MaximumRetryAttempts 5, bisect, RBIF, SNS destination.
    path = str(EXAMPLES / "cloudformation-properties.json")
    documents = {d["name"]: d for d in _json(capsys, "--config", path)["walkthroughs"]}
    recorded = documents["recorded-partial-retry"]
    assert recorded["source"] == "dynamodb"
    # Six records fit in one batch of 25: [1..6] reports 6 -> [6] is reported
    # 1 + 5 times (fresh budget, R7), then discarded with approximateInvokeCount 6.
    assert _batches(recorded) == [[str(n) for n in range(1, 7)]] + [["6"]] * 6
    (record,) = recorded["destination_records"]
    assert record["requestContext"]["approximateInvokeCount"] == 6


# -- bad input: exit 2 and one line naming file and field ---------------------------


def test_bad_batch_size(capsys: pytest.CaptureFixture[str]) -> None:
    line = _refusal(capsys, "--config", str(EXAMPLES / "bad-batch-size.json"))
    assert "bad-batch-size.json" in line
    assert "BatchSize" in line


def test_bad_record_age(capsys: pytest.CaptureFixture[str]) -> None:
    line = _refusal(capsys, "--config", str(EXAMPLES / "bad-record-age.json"))
    assert "bad-record-age.json" in line
    assert "MaximumRecordAgeInSeconds" in line


def test_unknown_function_response_type(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "types.json",
        {"BatchSize": 10, "FunctionResponseTypes": ["ReportBatchItemFailure"]},
    )
    line = _refusal(capsys, "--config", str(path))
    assert str(path) in line
    assert "FunctionResponseTypes" in line


def test_broken_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = _write(tmp_path, "broken.json", '{"BatchSize": 10,')
    line = _refusal(capsys, "--config", str(path))
    assert str(path) in line
    assert "JSON" in line


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    line = _refusal(capsys, "--config", str(path))
    assert str(path) in line
    line = _refusal(capsys, "--scenario", str(path))
    assert str(path) in line


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"records": 0}, "records"),
        ({"handler": "shout"}, "handler"),
        ({"mapping": {"BatchSize": 0}}, "mapping.BatchSize"),
        ({"failures": {"12": "poison"}}, "failures.12"),
        ({"undocumented": {"bisect_split": "middle"}}, "undocumented.bisect_split"),
    ],
)
def test_bad_scenario_field(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    change: dict[str, Any],
    field: str,
) -> None:
    data = json.loads((EXAMPLES / "scenario-report-all-retry.json").read_text())
    path = _write(tmp_path, "scenario.json", {**data, **change})
    line = _refusal(capsys, "--scenario", str(path))
    assert str(path) in line
    assert f": {field}: " in line


def test_bad_input_from_a_fresh_interpreter(tmp_path: Path) -> None:
    result = _cli("--config", "docs/examples/bad-batch-size.json")
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert "bad-batch-size.json" in result.stderr
    assert "BatchSize" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_option_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--no-such-option"])
    assert caught.value.code == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_config_walkthroughs_are_described_under_the_users_settings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The walkthroughs' own descriptions name their settings ("BatchSize 3,
    # MaximumRetryAttempts 3"); under --config they run with the file's
    # (BatchSize 25, retries 5), so the description says whose settings apply.
    document = _json(
        capsys, "--config", str(EXAMPLES / "cloudformation-properties.json")
    )
    first = document["walkthroughs"][0]
    assert first["description"] == (
        "the failure pattern of article-whole-batch (throw handler; position 6 of "
        "every batch poison) under cloudformation-properties's settings"
    )
    assert all(
        "Recorded on AWS" not in entry["description"]
        for entry in document["walkthroughs"]
    )
