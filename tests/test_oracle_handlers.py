"""Tests of the handler door on handlers written the way field reports show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from checks.oracle.cli import main
from checks.oracle.handlers import (
    DEFAULT_MAPPING,
    check_handler,
    extra_processings,
    load_handler,
    observe,
    realistic_shard,
)
from model.config import REPORT_BATCH_ITEM_FAILURES, MappingConfig

HANDLERS = Path(__file__).resolve().parent / "fixtures" / "handlers"
EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
RBIF = (REPORT_BATCH_ITEM_FAILURES,)


def _check(name: str, source: str = "kinesis", config: Any = None) -> Any:
    function, module = load_handler(f"{HANDLERS / name}.py:handler")
    return check_handler(
        function, source=source, module=module, config=config, max_examples=10
    )


def _kinds(report: Any) -> dict[str, Any]:
    return {problem.kind: problem for problem in report.problems}


def test_correct_handler_has_no_problem() -> None:
    report = _check("good")
    assert report.problems == ()
    assert report.invocations >= 5


def test_partition_key_is_not_a_sequence_number() -> None:
    problem = _kinds(_check("partition_key"))["identifier-not-sequence-number"]
    assert problem.rule == "R2"
    assert "the partition key of record" in problem.message
    # Default mapping: RBIF on, no bisect, infinite retries (the API default).
    assert "blocks the shard" in problem.consequence


def test_partition_key_under_finite_retries_names_the_discard() -> None:
    config = MappingConfig(
        batch_size=10, maximum_retry_attempts=2, function_response_types=RBIF
    )
    problem = _kinds(_check("partition_key", config=config))[
        "identifier-not-sequence-number"
    ]
    assert "retries it whole 2 more times" in problem.consequence
    assert "lost without a trace" in problem.consequence


def test_pascal_case_keys() -> None:
    problem = _kinds(_check("pascal_case", source="dynamodb"))["key-casing"]
    assert problem.rule == "R2"
    assert '"BatchItemFailures"' in problem.message
    assert "lost without a trace" in problem.consequence
    # The example shown is one where a record failed.
    assert "failing none" not in problem.example


def test_response_returned_as_a_string() -> None:
    problem = _kinds(_check("string_helper"))["string-response"]
    assert problem.rule == "R2"
    assert "lost without a trace" in problem.consequence


def test_response_built_but_not_returned() -> None:
    problem = _kinds(_check("no_return"))["failure-not-reported"]
    assert problem.rule == "R2"
    assert "returned null" in problem.example


def test_failures_returned_while_rbif_is_off() -> None:
    config = MappingConfig(batch_size=10, maximum_retry_attempts=3)
    problem = _kinds(_check("good", config=config))["reports-without-rbif"]
    assert "does not ask for them" in problem.message


def test_report_all_and_raise_when_all_failed_under_bisect() -> None:
    config = MappingConfig(
        batch_size=10,
        maximum_retry_attempts=2,
        bisect_batch_on_function_error=True,
        function_response_types=RBIF,
    )
    kinds = _kinds(_check("report_all", config=config))
    every = kinds["reports-every-failure"]
    assert every.rule == "R6"
    # Worked by hand: ten records, record 3 fails once.  Reporting every failure:
    # [1..10] processes all ten, reports 3; [3..10] processes 3..10 again: 8 records
    # twice.  Stopping at the first failure: [1,2,3] then [3..10]: only 3 twice.
    assert "8 records are processed twice, against 1" in every.consequence
    raising = kinds["raises-when-all-failed"]
    assert raising.rule == "R5"
    assert "splits the batch in two" in raising.consequence


def test_raise_when_all_failed_without_bisect_is_only_a_note() -> None:
    report = _check("report_all")
    assert "raises-when-all-failed" not in _kinds(report)
    assert any("raises when every record failed" in note for note in report.notes)


def test_extra_processings_by_hand() -> None:
    assert extra_processings(DEFAULT_MAPPING) == (8, 1)
    # BatchSize 5: [1..5] reports 3, [3..5] ok, [6..10] ok: records 3,4,5 twice;
    # stopping at the first failure: [1..3], [3..5], [6..10]: record 3 twice.
    assert extra_processings(DEFAULT_MAPPING.with_changes(batch_size=5)) == (3, 1)


def test_number_and_event_id_identifiers() -> None:
    def by_number(event: Any, context: Any) -> Any:
        return {"batchItemFailures": [{"itemIdentifier": 2}]}

    def by_event_id(event: Any, context: Any) -> Any:
        record = event["Records"][0]
        return {"batchItemFailures": [{"itemIdentifier": record["eventID"]}]}

    number = _kinds(check_handler(by_number, source="kinesis", max_examples=3))
    assert "the number 2" in number["identifier-not-sequence-number"].message
    event_id = _kinds(check_handler(by_event_id, source="dynamodb", max_examples=3))
    assert "the eventID of record 1" in (
        event_id["identifier-not-sequence-number"].message
    )


def test_other_malformed_responses() -> None:
    def strings(event: Any, context: Any) -> Any:
        failing = sorted(context.shardcheck_failing)
        return {"batchItemFailures": failing} if failing else {}

    kinds = _kinds(check_handler(strings, source="kinesis", max_examples=3))
    problem = kinds["malformed-response"]
    assert "has no itemIdentifier" in problem.message
    assert problem.rule == "R2"


def test_context_lists_the_failing_records() -> None:
    seen: list[frozenset[str]] = []

    def handler(event: Any, context: Any) -> None:
        seen.append(context.shardcheck_failing)

    shard = realistic_shard(3, "kinesis")
    failing = frozenset({shard.records[1].sequence_number})
    observation = observe(handler, None, shard, failing)
    assert seen == [failing]
    assert observation.run.payload is None and not observation.run.threw


def test_unserialisable_return_is_a_function_error() -> None:
    observation = observe(
        lambda event, context: {1, 2}, None, realistic_shard(1, "kinesis"), frozenset()
    )
    assert observation.run.threw
    assert observation.error is not None and "MarshalError" in observation.error


def test_cli_exit_codes(capsys: Any) -> None:
    good = f"{HANDLERS / 'good.py'}:handler"
    assert main(["handler", good, "--source", "kinesis", "--examples", "3"]) == 0
    bad = f"{HANDLERS / 'partition_key.py'}:handler"
    assert main(["handler", bad, "--source", "kinesis", "--examples", "3"]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM identifier-not-sequence-number (R2)" in out


def test_cli_with_a_sam_template(capsys: Any) -> None:
    target = f"{HANDLERS / 'good.py'}:handler"
    config = str(EXAMPLES / "sam-template.yaml")
    status = main(
        [
            "handler",
            target,
            "--source",
            "kinesis",
            "--config",
            config,
            "--examples",
            "3",
        ]
    )
    out = capsys.readouterr().out
    # AuditFunction.TableChanges has no ReportBatchItemFailures.
    assert status == 1
    assert "under AuditFunction.TableChanges" in out
    assert "reports-without-rbif" in out


@pytest.mark.parametrize(
    "target",
    [
        "no_colon",
        "no.such.module:handler",
        f"{HANDLERS / 'good.py'}:missing",
        "/no/such/file.py:handler",
    ],
)
def test_cli_bad_handler_exits_2(target: str, capsys: Any) -> None:
    assert main(["handler", target, "--source", "kinesis"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
