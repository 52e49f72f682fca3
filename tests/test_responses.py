"""The whole response table of R2, for Kinesis and DynamoDB, through one ``Rules.step``.

Each row gives a handler's return value and the outcome and checkpoint that
semantics.md (R2, R6) says follow from one invocation on records 1..5 (BatchSize 5,
MaximumRetryAttempts 2, no bisect): success moves the checkpoint to 6, a whole-batch
failure leaves it at 1 and retries [1..5], a partial failure moves it to the lowest
reported record.  The undocumented rows are checked under each alternative.
"""

from __future__ import annotations

from typing import Any

import pytest

from model.config import (
    REPORT_BATCH_ITEM_FAILURES,
    MappingConfig,
    Settings,
    Undocumented,
)
from model.records import Shard
from model.responses import HandlerRun, Outcome, classify, reported_identifiers
from model.semantics import Rules, Transition
from model.state import Fate, PendingBatch

SOURCES = ["kinesis", "dynamodb"]
QUEUE = "arn:aws:sqs:us-east-1:123456789012:failures"

SUCCESS, FAILED, PARTIAL = Outcome.SUCCESS, Outcome.MALFORMED, Outcome.PARTIAL_FAILURE


def _failures(*identifiers: Any) -> dict[str, Any]:
    return {"batchItemFailures": [{"itemIdentifier": item} for item in identifiers]}


#: (label, payload, outcome with ReportBatchItemFailures on, checkpoint after).
TABLE: list[tuple[str, Any, Outcome, str]] = [
    ("null", None, SUCCESS, "6"),
    ("empty string", "", SUCCESS, "6"),
    ("empty list", [], SUCCESS, "6"),
    ("empty object", {}, SUCCESS, "6"),
    ("empty failure list", {"batchItemFailures": []}, SUCCESS, "6"),
    ("null failure list", {"batchItemFailures": None}, SUCCESS, "6"),
    ("empty identifier", _failures(""), FAILED, "1"),
    ("null identifier", _failures(None), FAILED, "1"),
    ("entry with another key", {"batchItemFailures": [{"foo": 1}]}, FAILED, "1"),
    ("number not in batch", _failures(123), FAILED, "1"),
    ("string not in batch", _failures("123"), FAILED, "1"),
    ("one identifier", _failures("3"), PARTIAL, "3"),
    ("several identifiers, lowest wins", _failures("4", "2", "5"), PARTIAL, "2"),
    ("repeated identifier", _failures("4", "4"), PARTIAL, "4"),
    ("wrong casing", {"BatchItemFailures": [{"itemIdentifier": "3"}]}, SUCCESS, "6"),
    ("failures key", {"failures": [{"itemIdentifier": "3"}]}, SUCCESS, "6"),
    ("non-JSON payload", b"\x00\x01 not json", SUCCESS, "6"),
    ("bare string", "3", SUCCESS, "6"),
]


def _rules(
    source: str,
    *,
    report: bool,
    undocumented: Undocumented | None = None,
    **mapping: Any,
) -> Rules:
    config = MappingConfig(
        batch_size=5,
        maximum_retry_attempts=2,
        function_response_types=(REPORT_BATCH_ITEM_FAILURES,) if report else (),
        on_failure_destination=QUEUE,
        source=source,  # type: ignore[arg-type]
    ).with_changes(**mapping)
    settings = Settings(mapping=config, undocumented=undocumented or Undocumented())
    return Rules(settings, Shard.numbered(5, source))  # type: ignore[arg-type]


def _invoke(
    payload: Any,
    source: str,
    *,
    report: bool,
    threw: bool = False,
    results: tuple[bool, ...] = (True,) * 5,
    undocumented: Undocumented | None = None,
    **mapping: Any,
) -> tuple[Transition, str]:
    rules = _rules(source, report=report, undocumented=undocumented, **mapping)
    step = rules.step(rules.initial_state(), HandlerRun(results, threw, payload))
    return step, rules.shard.sequence_number(step.after.checkpoint)


def _outcome(step: Transition) -> Outcome:
    assert step.invocation is not None
    return step.invocation.outcome


# -- the table, ReportBatchItemFailures on --------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    ("label", "payload", "outcome", "checkpoint"), TABLE, ids=[row[0] for row in TABLE]
)
def test_table_with_report_batch_item_failures(
    source: str, label: str, payload: Any, outcome: Outcome, checkpoint: str
) -> None:
    step, after = _invoke(payload, source, report=True)
    assert _outcome(step) is outcome, label
    assert after == checkpoint
    if outcome is FAILED:
        # R3: the same batch again, one retry used.
        assert step.after.pending == (PendingBatch(0, 5, 1),)
    if outcome is PARTIAL:
        # R6: the rest of the batch from the lowest reported record, fresh budget (R7).
        cut = int(checkpoint) - 1
        assert step.after.pending == (PendingBatch(cut, 5, 0),)
        assert all(step.after.fates[p] is Fate.PROCESSED for p in range(cut))


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    ("label", "payload", "outcome", "checkpoint"), TABLE, ids=[row[0] for row in TABLE]
)
def test_table_without_report_batch_item_failures(
    source: str, label: str, payload: Any, outcome: Outcome, checkpoint: str
) -> None:
    # Off: "any normal return" is a success; failures in it are not read.
    step, after = _invoke(payload, source, report=False)
    assert _outcome(step) is SUCCESS, label
    assert after == "6"
    assert step.after.pending == ()


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("report", [True, False])
def test_a_thrown_error_is_a_function_error(source: str, report: bool) -> None:
    # The payload is ignored when the handler threw, even a valid partial response.
    step, after = _invoke(
        _failures("3"), source, report=report, threw=True, results=(True, True, False)
    )
    assert _outcome(step) is Outcome.FUNCTION_ERROR
    assert after == "1"
    assert step.after.pending == (PendingBatch(0, 5, 1),)


# -- two rows semantics.md does not list: the model's choices (docs/model.md, R2) ----


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    "payload",
    [{"batchItemFailures": "3"}, {"batchItemFailures": {"itemIdentifier": "3"}}],
    ids=["string list", "object list"],
)
def test_a_failure_list_that_is_not_a_list_is_malformed(
    source: str, payload: Any
) -> None:
    step, after = _invoke(payload, source, report=True)
    assert _outcome(step) is FAILED
    assert after == "1"


@pytest.mark.parametrize("source", SOURCES)
def test_a_numeric_identifier_names_no_record(source: str) -> None:
    # 3 (a number) is not the sequence number "3" (a string).
    step, after = _invoke(_failures(3), source, report=True)
    assert _outcome(step) is FAILED
    assert after == "1"


# -- what becomes of failed records the response does not act on --------------------


@pytest.mark.parametrize("source", SOURCES)
def test_failures_returned_while_report_is_off_are_lost(source: str) -> None:
    results = (True, True, False, True, True)
    step, _ = _invoke(_failures("3"), source, report=False, results=results)
    assert step.after.fates[2] is Fate.REPORT_IGNORED
    assert step.after.fates[2].is_lost
    assert step.after.fates[0] is Fate.PROCESSED


@pytest.mark.parametrize("source", SOURCES)
def test_a_wrong_top_level_key_loses_the_failed_record(source: str) -> None:
    results = (True, True, False, True, True)
    payload = {"BatchItemFailures": [{"itemIdentifier": "3"}]}
    step, _ = _invoke(payload, source, report=True, results=results)
    assert step.after.fates[2] is Fate.READ_AS_SUCCESS
    assert step.after.fates[2].is_lost


@pytest.mark.parametrize("source", SOURCES)
def test_a_lower_failure_left_out_of_the_report_is_lost(source: str) -> None:
    # Records 2 and 4 failed; the handler reports only 4 (the highest).
    results = (True, False, True, False, True)
    step, after = _invoke(_failures("4"), source, report=True, results=results)
    assert after == "4"
    assert step.after.fates[1] is Fate.UNREPORTED_FAILURE


# -- the undocumented rows under their alternatives ----------------------------------


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    ("payload", "outcome", "checkpoint"),
    [
        (_failures(123), SUCCESS, "6"),
        (_failures("123"), SUCCESS, "6"),
        (_failures(123, "3"), PARTIAL, "3"),
        # A malformed entry still fails the whole batch: only unknown ids are skipped.
        (_failures(123, ""), FAILED, "1"),
    ],
)
def test_unknown_identifier_ignored(
    source: str, payload: Any, outcome: Outcome, checkpoint: str
) -> None:
    ignored = Undocumented(unknown_identifier="ignored")
    step, after = _invoke(payload, source, report=True, undocumented=ignored)
    assert _outcome(step) is outcome
    assert after == checkpoint


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    ("payload", "outcome", "checkpoint"),
    [
        ({"BatchItemFailures": [{"itemIdentifier": "3"}]}, FAILED, "1"),
        ({"failures": [{"itemIdentifier": "3"}]}, FAILED, "1"),
        (b"\x00\x01 not json", FAILED, "1"),
        ("3", FAILED, "1"),
        # The recorded success rows do not change with this parameter.
        (None, SUCCESS, "6"),
        ("", SUCCESS, "6"),
        ([], SUCCESS, "6"),
        ({}, SUCCESS, "6"),
        ({"batchItemFailures": None}, SUCCESS, "6"),
    ],
)
def test_unrecognised_payload_fails_the_batch(
    source: str, payload: Any, outcome: Outcome, checkpoint: str
) -> None:
    strict = Undocumented(unrecognised_payload="batch_failure")
    step, after = _invoke(payload, source, report=True, undocumented=strict)
    assert _outcome(step) is outcome
    assert after == checkpoint


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    ("counts", "attempts"), [(True, 1), (False, 0)], ids=["counts", "free"]
)
def test_a_stalled_partial_failure(source: str, counts: bool, attempts: int) -> None:
    # R7: reporting the first record of the batch leaves the checkpoint at 1; it
    # counts as an attempt by default.
    undocumented = Undocumented(stalled_partial_counts_as_attempt=counts)
    step, after = _invoke(
        _failures("1"), source, report=True, undocumented=undocumented
    )
    assert _outcome(step) is PARTIAL
    assert after == "1"
    assert step.after.pending == (PendingBatch(0, 5, attempts),)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    ("bisect_on_malformed", "pending"),
    [
        # R5 with ceil(5/2) = 3: halves [1..3] and [4, 5], no retry used.
        (True, (PendingBatch(0, 3, 0), PendingBatch(3, 5, 0))),
        # Alternative: the malformed batch is retried whole, one retry used.
        (False, (PendingBatch(0, 5, 1),)),
    ],
)
def test_bisect_on_a_malformed_response(
    source: str, bisect_on_malformed: bool, pending: tuple[PendingBatch, ...]
) -> None:
    undocumented = Undocumented(bisect_on_malformed=bisect_on_malformed)
    step, after = _invoke(
        _failures(""),
        source,
        report=True,
        undocumented=undocumented,
        bisect_batch_on_function_error=True,
    )
    assert _outcome(step) is FAILED
    assert after == "1"
    assert step.after.pending == pending


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    ("how", "pending"),
    [
        # R8 default: cut at the lowest reported record, retry [3..5] whole.
        ("cut_at_lowest", (PendingBatch(2, 5, 0),)),
        # Alternative: cut, then halve the remainder: [3, 4] and [5].
        ("cut_then_halve", (PendingBatch(2, 4, 0), PendingBatch(4, 5, 0))),
    ],
)
def test_bisect_with_a_partial_response(
    source: str, how: str, pending: tuple[PendingBatch, ...]
) -> None:
    undocumented = Undocumented(bisect_partial=how)  # type: ignore[arg-type]
    step, after = _invoke(
        _failures("3"),
        source,
        report=True,
        undocumented=undocumented,
        bisect_batch_on_function_error=True,
    )
    assert _outcome(step) is PARTIAL
    assert after == "3"
    assert step.after.pending == pending


# -- R9: the destination record's functionError -----------------------------------


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(
    ("threw", "payload", "function_error"),
    [(True, None, "Unhandled"), (False, _failures(""), None)],
    ids=["function error", "malformed"],
)
def test_function_error_of_the_destination_record(
    source: str, threw: bool, payload: Any, function_error: str | None
) -> None:
    # MaximumRetryAttempts 0: the first failure discards [1..5] (R3).
    step, after = _invoke(
        payload, source, report=True, threw=threw, maximum_retry_attempts=0
    )
    assert after == "6"
    (entry,) = step.after.destination
    assert (entry.start, entry.end, entry.invoke_count) == (0, 5, 1)
    assert entry.condition == "RetryAttemptsExhausted"
    assert entry.function_error == function_error


# -- classify and reported_identifiers directly ------------------------------------


def test_classify_reports_batch_indexes() -> None:
    run = HandlerRun((True,) * 3, threw=False, payload=_failures("12", "11"))
    reading = classify(run, ["10", "11", "12"], report_batch_item_failures=True)
    assert reading.outcome is PARTIAL
    assert reading.reported == (1, 2)
    assert reading.lowest_reported == 1


def test_reported_identifiers() -> None:
    assert reported_identifiers(_failures("6", "7")) == ["6", "7"]
    assert reported_identifiers({"BatchItemFailures": []}) is None
    assert reported_identifiers("6") is None
    assert reported_identifiers({"batchItemFailures": None}) is None
