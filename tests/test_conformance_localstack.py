"""LocalStack's stream poller driven in-process, judged against the model.

Skipped unless the [localstack] extra is installed (pip install -e '.[localstack]').
Expected batches are worked out by hand from the seed article, semantics.md and
the poller's source (stream_poller.forward_events_to_target of localstack-core
2026.3.0), not taken from the adapter's output.
"""

from __future__ import annotations

import pytest

pytest.importorskip(
    "localstack.services.lambda_.event_source_mapping.pollers.stream_poller",
    reason="needs the [localstack] extra: pip install -e '.[localstack]'",
)

from checks.conformance import AdapterBroken  # noqa: E402
from checks.conformance import localstack_adapter as adapter  # noqa: E402
from checks.conformance.findings import divergences_of  # noqa: E402
from checks.conformance.manifest import compare, load_manifest  # noqa: E402
from checks.conformance.matrix import MATRIX_TIMING, QUEUE_ARN, header_for  # noqa: E402
from model.config import REPORT_BATCH_ITEM_FAILURES, MappingConfig, Settings  # noqa: E402
from model.handler import POISON, FailurePattern, Handler, ResponseStyle  # noqa: E402
from model.records import Shard  # noqa: E402
from model.simulator import Scenario  # noqa: E402
from model.walkthroughs import walkthrough, with_mapping  # noqa: E402

RBIF = (REPORT_BATCH_ITEM_FAILURES,)


def _kinesis(name):
    base = walkthrough(name)
    return with_mapping(base, base.settings.mapping.with_changes(source="kinesis"))


def _scenario(records, handler, source="kinesis", **mapping):
    config = MappingConfig(source=source, **mapping)
    return Scenario(
        "test",
        Settings(mapping=config, timing=MATRIX_TIMING),
        Shard.numbered(records, source),
        handler,
    )


def _play(scenario, **options):
    run = adapter.run_localstack(scenario, header_for(scenario), **options)
    found = divergences_of(scenario, run.lines, run.destination_records)
    return run, found


def _batches(run):
    return [line["batch"] for line in run.lines if line["type"] == "invocation"]


def _destinations(run):
    return [line for line in run.lines if line["type"] == "destination"]


def test_article_custom_checkpoint_once_conforms():
    # Article: record 6 fails once and is reported; the retry is 6..10 only.
    run, found = _play(_kinesis("article-custom-once"))
    numbers = [str(n) for n in range(1, 11)]
    assert _batches(run) == [numbers, numbers[5:]]
    assert found == []
    assert run.lines[-1] == {"type": "end", "complete": True}


def test_bisect_is_ignored():
    # The worker factory does not pass BisectBatchOnFunctionError: the batch of 3
    # is retried whole (1 + 1 retry) and discarded, where the model splits it
    # into [1, 2] and [3] (ceil(3/2) = 2).
    handler = Handler(FailurePattern(by_sequence={"3": POISON}), ResponseStyle.THROW)
    scenario = _scenario(
        3,
        handler,
        batch_size=3,
        maximum_retry_attempts=1,
        bisect_batch_on_function_error=True,
        on_failure_destination=QUEUE_ARN,
    )
    run, found = _play(scenario)
    assert _batches(run) == [["1", "2", "3"], ["1", "2", "3"]]
    [record] = [line["record"] for line in _destinations(run)]
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert found[0].rule == "R5"
    assert found[0].allowed.startswith("invocation of [1..2]")


def test_recorded_partial_retry_does_not_renew_the_budget():
    # Recorded on AWS (semantics.md R7): record 6 is delivered five times, once in
    # 4..6 and four times alone.  LocalStack counts the invocation of 4..6 against
    # record 6's budget of 3 retries, so [6] runs three times alone: 4 in all.
    run, found = _play(walkthrough("recorded-partial-retry"))
    assert _batches(run) == [["1", "2", "3"], ["4", "5", "6"], ["6"], ["6"], ["6"]]
    [record] = [line["record"] for line in _destinations(run)]
    assert record["KinesisBatchInfo"]["startSequenceNumber"] == "6"
    assert record["requestContext"]["approximateInvokeCount"] == 4
    assert found[0].rule == "R6,R7,R9"
    assert any("not renewed" in text for text in found[0].alternatives)


def test_record_age_applies_to_kinesis_but_not_dynamodb():
    # Age limit 60 s, each invocation 30 s: the record is 0, 30 and 60 s old at
    # the first three invocations and 90 s (> 60) before the fourth.
    handler = Handler(FailurePattern(by_sequence={"1": POISON}), ResponseStyle.THROW)
    settings = dict(
        batch_size=1,
        maximum_record_age_in_seconds=60,
        on_failure_destination=QUEUE_ARN,
    )
    kinesis, _ = _play(_scenario(1, handler, "kinesis", **settings))
    assert _batches(kinesis) == [["1"]] * 3
    [event] = _destinations(kinesis)
    assert event["condition"] == "RecordAgeExceeded"
    assert "requestContext" not in event["x_record"]

    dynamodb, found = _play(_scenario(1, handler, "dynamodb", **settings))
    assert _batches(dynamodb) == [["1"]] * adapter.DEFAULT_INVOCATION_LIMIT
    assert _destinations(dynamodb) == []
    assert dynamodb.blocked
    assert found[0].rule == "R4,R9"


def test_failures_that_are_not_a_list_read_as_success():
    # {"batchItemFailures": {}} is falsy, so LocalStack sees no failure; the
    # model reads a failure list that is not a list as a failed batch (R2).
    handler = Handler(FailurePattern(), ResponseStyle.RAW, {"batchItemFailures": {}})
    run, found = _play(
        _scenario(1, handler, batch_size=1, function_response_types=RBIF)
    )
    assert _batches(run) == [["1"]]
    assert found[0].rule == "R2,R3"


def test_a_bare_string_response_fails_the_batch_without_context():
    # json.loads("3") is the number 3, whose .get raises: the poller retries the
    # batch and, with no error details left, writes a record without contexts.
    handler = Handler(FailurePattern(), ResponseStyle.RAW, "3")
    scenario = _scenario(
        1,
        handler,
        batch_size=1,
        maximum_retry_attempts=1,
        function_response_types=RBIF,
        on_failure_destination=QUEUE_ARN,
    )
    run, found = _play(scenario)
    assert _batches(run) == [["1"], ["1"]]
    [event] = _destinations(run)
    assert event["condition"] == "RetryAttemptsExhausted"
    assert set(event["x_record"]) == {"KinesisBatchInfo", "timestamp", "version"}
    # The model reads a bare string as success (R2): the trace diverges at the
    # retry, and the record lacks its contexts (R9).
    assert found[0].rule.startswith("R2") or found[0].rule == "R1"
    assert [item.rule for item in found][1:] == ["R9"]


def test_the_rest_of_a_batch_is_dropped_when_some_records_expired():
    # Arrivals 0, 20, 40, 60 s; the clock starts at 60 s, so the first invocation
    # sees ages 60, 40, 20, 0 (none > 60).  After it (90 s) records 1 and 2 are
    # 90 and 70 s old: expired.  3..4 fail again, using up the one retry; the
    # poller then writes the expired records in place of the exhausted ones.
    handler = Handler(FailurePattern(by_sequence={"4": POISON}), ResponseStyle.THROW)
    mapping = MappingConfig(
        batch_size=4,
        maximum_retry_attempts=1,
        maximum_record_age_in_seconds=60,
        on_failure_destination=QUEUE_ARN,
    )
    scenario = Scenario(
        "test",
        Settings(mapping=mapping, timing=MATRIX_TIMING),
        Shard.numbered(4, "kinesis", seconds_apart=20),
        handler,
    )
    run, found = _play(scenario)
    assert _batches(run) == [["1", "2", "3", "4"], ["3", "4"]]
    [event] = _destinations(run)
    assert (event["startSequenceNumber"], event["endSequenceNumber"]) == ("1", "2")
    assert event["condition"] == "RecordAgeExceeded"
    assert found[0].rule == "R4,R9"


@pytest.mark.parametrize(
    "name, sabotage",
    [
        ("article-whole-batch", adapter.Sabotage(hide_function_error=True)),
        ("article-custom-once", adapter.Sabotage(flip_report_flag=True)),
    ],
)
def test_positive_control_faults_are_caught(name, sabotage):
    scenario = _kinesis(name)
    _, clean = _play(scenario)
    _, broken = _play(scenario, sabotage=sabotage)
    assert clean == []
    assert broken


def test_a_missing_private_name_breaks_the_adapter_loudly(monkeypatch):
    from importlib import import_module

    module = import_module(
        "localstack.services.lambda_.event_source_mapping.pollers.stream_poller"
    )
    monkeypatch.delattr(module, "get_queue_url")
    with pytest.raises(AdapterBroken, match="get_queue_url"):
        adapter.check_localstack()


def test_another_version_breaks_the_adapter_loudly(monkeypatch):
    monkeypatch.setattr(adapter.metadata, "version", lambda name: "2099.1.0")
    with pytest.raises(AdapterBroken, match="2026.3.0"):
        adapter.check_localstack()


def test_cli_reports_a_broken_adapter_with_exit_1(monkeypatch, capsys):
    from checks.oracle.cli import main

    monkeypatch.setattr(adapter.metadata, "version", lambda name: "2099.1.0")
    assert main(["localstack", "-q"]) == 1
    assert "adapter broken" in capsys.readouterr().err
    assert main(["localstack", "--check-manifest", "--write-manifest"]) == 2


def test_matrix_findings_match_the_manifest():
    from checks.conformance.runs import localstack_report

    report = localstack_report()
    assert compare(load_manifest().get("localstack"), report.section()) == []
