"""The seed article's five walkthroughs and the recorded R7 case, step by step.

Every expected batch, outcome and checkpoint below is written out by hand from the
prose of semantics.md ("The seed's walkthroughs", R3, R5, R6, R7), never copied from
the model's output.  The last tests check the JSON shape of
``python -m checks.verify --json``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from checks.verify import main
from model.config import MappingConfig, Undocumented
from model.simulator import Scenario, simulate
from model.walkthroughs import WALKTHROUGH_NAMES, walkthrough, with_mapping


def _seq(first: int, last: int) -> list[str]:
    """Sequence numbers first..last as strings, as Lambda writes them."""
    return [str(number) for number in range(first, last + 1)]


def _document(name: str) -> dict[str, Any]:
    return simulate(walkthrough(name)).to_json()


def _variant(name: str, **undocumented: Any) -> Scenario:
    """A walkthrough under other values of the undocumented parameters."""
    base = walkthrough(name)
    settings = replace(base.settings, undocumented=Undocumented(**undocumented))
    return replace(base, settings=settings)


def _steps(document: dict[str, Any]) -> list[tuple[list[str], str, str]]:
    return [
        (step["batch"], step["outcome"], step["checkpoint_after"])
        for step in document["invocations"]
    ]


FE, OK, PARTIAL = "function_error", "success", "partial_failure"


# -- 1. whole batch: the 6th record of every batch fails -----------------------------


def test_whole_batch_retry() -> None:
    # MaximumRetryAttempts 2: the first attempt and two retries, all [1..10], then
    # the batch is discarded (R3) and the checkpoint moves past it to 11.
    document = _document("article-whole-batch")
    assert _steps(document) == [
        (_seq(1, 10), FE, "1"),
        (_seq(1, 10), FE, "1"),
        (_seq(1, 10), FE, "11"),
    ]
    assert document["discarded"] == [_seq(1, 10)]
    # Each rule is named once: R3 retried the batch and R3 discarded it.
    assert [step["rules"] for step in document["invocations"]] == [["R3"]] * 3
    (record,) = document["destination_records"]
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"]["functionError"] == "Unhandled"
    info = record["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == ("1", "10")
    assert info["batchSize"] == 10
    assert document["deliveries"] == {str(n): 3 for n in range(1, 11)}


@pytest.mark.parametrize("retries", [0, 1, 3, 5])
def test_whole_batch_runs_retries_plus_one_times(retries: int) -> None:
    # "with MaximumRetryAttempts R there are R+1 of them, then the batch is
    # discarded and the checkpoint moves to 11".
    base = walkthrough("article-whole-batch")
    mapping = base.settings.mapping.with_changes(maximum_retry_attempts=retries)
    document = simulate(with_mapping(base, mapping)).to_json()
    expected = [(_seq(1, 10), FE, "1")] * retries + [(_seq(1, 10), FE, "11")]
    assert _steps(document) == expected
    assert document["discarded"] == [_seq(1, 10)]


# -- 2. bisect: the 6th position of every batch fails --------------------------------


def test_bisect_on_a_position() -> None:
    # [1..10] fails at its 6th record; the halves have five records each, so no
    # record stands at position 6 any more and both succeed: 3 invocations.
    document = _document("article-bisect-position")
    assert _steps(document) == [
        (_seq(1, 10), FE, "1"),
        (_seq(1, 5), OK, "6"),
        (_seq(6, 10), OK, "11"),
    ]
    assert document["discarded"] == []
    assert document["destination_records"] == []


# -- 3. bisect: record 5 always fails, MaximumRetryAttempts 2 ------------------------


def test_bisect_on_a_record() -> None:
    # ceil(n/2) first halves, lower half first (R5):
    # [1..10] -> [1..5] + [6..10]; [1..5] -> [1..3] + [4,5]; [1..3] ok;
    # [4,5] -> [4] + [5]; [4] ok; [5] alone runs 1 + 2 retries, then is discarded;
    # [6..10] ok.
    document = _document("article-bisect-record")
    assert _steps(document) == [
        (_seq(1, 10), FE, "1"),
        (_seq(1, 5), FE, "1"),
        (_seq(1, 3), OK, "4"),
        (["4", "5"], FE, "4"),
        (["4"], OK, "5"),
        (["5"], FE, "5"),
        (["5"], FE, "5"),
        (["5"], FE, "6"),
        (_seq(6, 10), OK, "11"),
    ]
    assert document["discarded"] == [["5"]]
    # "message number 4 is processed four times": [1..10], [1..5], [4,5], [4].
    assert document["deliveries"]["4"] == 4
    # Record 5: [1..10], [1..5], [4,5] and three times alone.
    assert document["deliveries"]["5"] == 6
    (record,) = document["destination_records"]
    assert record["requestContext"]["approximateInvokeCount"] == 3
    info = record["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == ("5", "5")
    assert info["batchSize"] == 1


def test_bisect_on_a_record_needs_the_ceil_split() -> None:
    # With floor(n/2) first halves: [1..10] -> [1..5] + [6..10]; [1..5] -> [1,2] +
    # [3..5]; [1,2] ok; [3..5] -> [3] + [4,5]; [3] ok; [4,5] -> [4] + [5]; [4] ok;
    # [5] three times; [6..10] ok.  Record 4 is then delivered five times, not the
    # seed's four, which is why ceil(n/2) is the default.
    document = simulate(
        _variant("article-bisect-record", bisect_split="floor")
    ).to_json()
    assert [batch for batch, _, _ in _steps(document)] == [
        _seq(1, 10),
        _seq(1, 5),
        ["1", "2"],
        _seq(3, 5),
        ["3"],
        ["4", "5"],
        ["4"],
        ["5"],
        ["5"],
        ["5"],
        _seq(6, 10),
    ]
    assert document["deliveries"]["4"] == 5


# -- 4. custom checkpoint: the 4th record of every batch fails and is reported -------


def test_custom_checkpoint() -> None:
    # [1..10] -> 4; [4..10] -> 7 (its 4th record); [7..10] -> 10; [10] succeeds.
    document = _document("article-custom-checkpoint")
    assert _steps(document) == [
        (_seq(1, 10), PARTIAL, "4"),
        (_seq(4, 10), PARTIAL, "7"),
        (_seq(7, 10), PARTIAL, "10"),
        (["10"], OK, "11"),
    ]
    responses = [step["response"] for step in document["invocations"]]
    assert responses == [
        {"batchItemFailures": [{"itemIdentifier": "4"}]},
        {"batchItemFailures": [{"itemIdentifier": "7"}]},
        {"batchItemFailures": [{"itemIdentifier": "10"}]},
        {"batchItemFailures": []},
    ]
    assert document["discarded"] == []
    # Deliveries: 1..3 once; 4..6 in the first two batches; 7..9 in three; 10 in four.
    expected = {"1": 1, "2": 1, "3": 1, "4": 2, "5": 2, "6": 2}
    expected.update({"7": 3, "8": 3, "9": 3, "10": 4})
    assert document["deliveries"] == expected


def test_custom_checkpoint_never_redelivers_a_record_that_succeeded() -> None:
    trace = simulate(walkthrough("article-custom-checkpoint"))
    for step in trace.invocations:
        assert step.invocation is not None
        batch = step.invocation.batch
        succeeded_before = step.before.succeeded[batch.start : batch.end]
        assert not any(succeeded_before), step.why


def test_custom_checkpoint_needs_the_budget_renewal_of_r7() -> None:
    # Without R7's renewal, every advancing partial failure uses up one attempt of
    # the same budget: attempts 1, 2, 3 after [1..10], [4..10], [7..10]; 3 > 2, so
    # record 10 is discarded after the third invocation instead of succeeding.
    scenario = _variant("article-custom-checkpoint", budget_renewed_on_advance=False)
    document = simulate(scenario).to_json()
    assert _steps(document) == [
        (_seq(1, 10), PARTIAL, "4"),
        (_seq(4, 10), PARTIAL, "7"),
        (_seq(7, 10), PARTIAL, "11"),
    ]
    assert document["discarded"] == [["10"]]


# -- 5. custom checkpoint: record 6 fails the first time only ------------------------


def test_custom_checkpoint_record_fails_once() -> None:
    document = _document("article-custom-once")
    assert _steps(document) == [
        (_seq(1, 10), PARTIAL, "6"),
        (_seq(6, 10), OK, "11"),
    ]
    assert document["discarded"] == []
    assert document["lost"] == {}


# -- the recorded R7 case ------------------------------------------------------------


def test_recorded_partial_retry() -> None:
    # BatchSize 3, records 1..6, record 6 always reported, MaximumRetryAttempts 3:
    # [1..3] ok; [4..6] reports 6 -> checkpoint 6, a fresh budget for [6];
    # [6] is reported four times (1 + 3 retries) and then discarded.
    document = _document("recorded-partial-retry")
    assert _steps(document) == [
        (_seq(1, 3), OK, "4"),
        (_seq(4, 6), PARTIAL, "6"),
        (["6"], PARTIAL, "6"),
        (["6"], PARTIAL, "6"),
        (["6"], PARTIAL, "6"),
        (["6"], PARTIAL, "7"),
    ]
    assert document["deliveries"] == {"1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6": 5}
    assert document["discarded"] == [["6"]]
    (record,) = document["destination_records"]
    assert record["requestContext"]["approximateInvokeCount"] == 4
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    # R9: functionError is null after a partial response.
    assert record["responseContext"]["functionError"] is None
    info = record["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == ("6", "6")
    assert info["batchSize"] == 1


def test_walkthrough_names() -> None:
    assert set(WALKTHROUGH_NAMES) == {
        "article-whole-batch",
        "article-bisect-position",
        "article-bisect-record",
        "article-custom-checkpoint",
        "article-custom-once",
        "recorded-partial-retry",
    }
    with pytest.raises(KeyError, match="known"):
        walkthrough("no-such-walkthrough")


def test_with_mapping_replays_on_the_new_source() -> None:
    base = walkthrough("article-whole-batch")
    mapping = MappingConfig(batch_size=5, maximum_retry_attempts=0, source="kinesis")
    scenario = with_mapping(base, mapping, name="renamed")
    assert scenario.name == "renamed"
    assert scenario.shard.source == "kinesis"
    # BatchSize 5: a batch of five records has no 6th position, so the handler
    # that fails "the 6th record of every batch" never fails: [1..5], [6..10].
    assert _steps(simulate(scenario).to_json()) == [
        (_seq(1, 5), OK, "6"),
        (_seq(6, 10), OK, "11"),
    ]


# -- python -m checks.verify --json --------------------------------------------------


def _verify_json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    status = main(["--json", "--only", "walkthroughs"])
    assert status == 0
    return json.loads(capsys.readouterr().out)


def test_verify_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    document = _verify_json(capsys)
    walkthroughs = document["walkthroughs"]
    assert [item["name"] for item in walkthroughs] == list(WALKTHROUGH_NAMES)
    for item in walkthroughs:
        assert isinstance(item["name"], str)
        assert isinstance(item["discarded"], list)
        assert all(
            isinstance(batch, list) and all(isinstance(seq, str) for seq in batch)
            for batch in item["discarded"]
        )
        for invocation in item["invocations"]:
            assert all(isinstance(seq, str) for seq in invocation["batch"])
            assert invocation["outcome"] in {FE, OK, PARTIAL, "malformed"}
            assert isinstance(invocation["checkpoint_after"], str)


def test_verify_json_checkpoint_after_the_last_batch_is_eleven(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = _verify_json(capsys)
    article = [
        item for item in document["walkthroughs"] if item["name"].startswith("article")
    ]
    assert len(article) == 5
    for item in article:
        last = item["invocations"][-1]
        assert last["checkpoint_after"] == "11", item["name"]
    by_name = {item["name"]: item for item in document["walkthroughs"]}
    assert [
        step["batch"] for step in by_name["article-custom-checkpoint"]["invocations"]
    ] == [_seq(1, 10), _seq(4, 10), _seq(7, 10), ["10"]]
