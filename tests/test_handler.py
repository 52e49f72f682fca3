"""Handler behaviour: failure patterns and the response styles.

A failure pattern says which records fail when processed ("fails its first k times"
counts processings, not deliveries); a response style says what the handler then
returns.  Expected results are worked out by hand from the docstrings of
``model.handler`` and semantics.md's vocabulary.
"""

from __future__ import annotations

from typing import Any

import pytest

from model.config import (
    REPORT_BATCH_ITEM_FAILURES,
    MappingConfig,
    Settings,
)
from model.errors import InvalidScenario
from model.handler import (
    POISON,
    FailsFirst,
    FailurePattern,
    Handler,
    ResponseStyle,
    respond,
)
from model.records import Shard
from model.responses import HandlerRun
from model.simulator import Scenario, simulate

BATCH = ["1", "2", "3", "4", "5"]
NEVER = [0] * 5


def _ids(*identifiers: str) -> dict[str, Any]:
    return {"batchItemFailures": [{"itemIdentifier": item} for item in identifiers]}


def _run(style: ResponseStyle, failing: dict[str, Any], raw: Any = None) -> HandlerRun:
    return Handler(FailurePattern(by_sequence=failing), style, raw).run(BATCH, NEVER)


# -- failure kinds -----------------------------------------------------------------


def test_fails_first_counts_earlier_processings() -> None:
    kind = FailsFirst(2)
    assert [kind.fails(before) for before in range(4)] == [True, True, False, False]
    assert not FailsFirst(0).fails(0)
    assert all(POISON.fails(before) for before in range(5))
    assert str(FailsFirst(2)) == "fails its first 2"
    assert str(POISON) == "poison"


@pytest.mark.parametrize("times", [-1, 1.5, True, "2"])
def test_fails_first_refuses_what_is_not_a_count(times: Any) -> None:
    with pytest.raises(InvalidScenario) as caught:
        FailsFirst(times)
    assert caught.value.field == "fails_first"


@pytest.mark.parametrize("position", [0, -1, True, "2"])
def test_positions_are_one_based(position: Any) -> None:
    with pytest.raises(InvalidScenario) as caught:
        FailurePattern(by_position={position: POISON})
    assert caught.value.field == "failures_by_position"


def test_by_position_fails_whichever_record_stands_there() -> None:
    # "The 4th record of every batch": any record, as long as it is 4th.
    pattern = FailurePattern(by_position={4: POISON})
    assert pattern.fails("4", position_in_batch=4, processed_before=0)
    assert pattern.fails("10", position_in_batch=4, processed_before=7)
    assert not pattern.fails("4", position_in_batch=1, processed_before=0)


def test_by_position_fails_first_counts_the_record_standing_there() -> None:
    # FailsFirst(1) at position 2: the record there fails if it was never processed.
    pattern = FailurePattern(by_position={2: FailsFirst(1)})
    assert pattern.fails("7", position_in_batch=2, processed_before=0)
    assert not pattern.fails("7", position_in_batch=2, processed_before=1)
    assert pattern.fails("8", position_in_batch=2, processed_before=0)


def test_either_rule_fails_the_record() -> None:
    pattern = FailurePattern(
        by_sequence={"3": FailsFirst(1)}, by_position={1: FailsFirst(1)}
    )
    assert pattern.fails("3", position_in_batch=2, processed_before=0)
    assert pattern.fails("9", position_in_batch=1, processed_before=0)
    assert not pattern.fails("3", position_in_batch=2, processed_before=1)
    assert pattern.describe() == (
        "record 3 fails its first 1; position 1 of every batch fails its first 1"
    )
    assert FailurePattern().describe() == "no record fails"


def test_patterns_are_hashable_and_compare_by_value() -> None:
    one = FailurePattern(by_sequence={"2": POISON, "5": FailsFirst(1)})
    two = FailurePattern(by_sequence={"5": FailsFirst(1), "2": POISON})
    assert one == two
    assert hash(one) == hash(two)


# -- the response styles ------------------------------------------------------------


def test_throw_stops_at_the_first_failure() -> None:
    run = _run(ResponseStyle.THROW, {"3": POISON, "4": POISON})
    assert run == HandlerRun((True, True, False), threw=True)


def test_throw_without_failures_returns_nothing() -> None:
    run = _run(ResponseStyle.THROW, {})
    assert run == HandlerRun((True,) * 5, threw=False, payload=None)


def test_report_first_stops_and_reports_the_first_failure() -> None:
    run = _run(ResponseStyle.REPORT_FIRST, {"3": POISON, "4": POISON})
    assert run.results == (True, True, False)
    assert not run.threw
    assert run.payload == _ids("3")


def test_report_first_without_failures_returns_an_empty_list() -> None:
    assert _run(ResponseStyle.REPORT_FIRST, {}).payload == _ids()


def test_report_all_processes_every_record() -> None:
    run = _run(ResponseStyle.REPORT_ALL, {"2": POISON, "4": POISON})
    assert run.results == (True, False, True, False, True)
    assert run.payload == _ids("2", "4")


def test_report_highest_names_only_the_last_failure() -> None:
    run = _run(ResponseStyle.REPORT_HIGHEST, {"2": POISON, "4": POISON})
    assert run.results == (True, False, True, False, True)
    assert run.payload == _ids("4")


def test_report_all_raise_if_all_raises_only_when_every_record_failed() -> None:
    every = dict.fromkeys(BATCH, POISON)
    run = _run(ResponseStyle.REPORT_ALL_RAISE_IF_ALL, every)
    assert run.threw
    assert run.results == (False,) * 5

    some = {"1": POISON, "2": POISON, "3": POISON, "4": POISON}
    run = _run(ResponseStyle.REPORT_ALL_RAISE_IF_ALL, some)
    assert not run.threw
    assert run.payload == _ids("1", "2", "3", "4")

    assert _run(ResponseStyle.REPORT_ALL_RAISE_IF_ALL, {}).payload == _ids()


def test_report_all_raise_if_all_on_a_single_failing_record() -> None:
    handler = Handler(
        FailurePattern(by_sequence={"5": POISON}), ResponseStyle.REPORT_ALL_RAISE_IF_ALL
    )
    assert handler.run(["5"], [0]).threw
    assert not handler.run(["4", "5"], [0, 0]).threw


@pytest.mark.parametrize("payload", [None, b"raw bytes", {"anything": [1]}, "text"])
def test_raw_returns_its_payload_whatever_happened(payload: Any) -> None:
    run = _run(ResponseStyle.RAW, {"2": POISON}, raw=payload)
    assert run.results == (True, False, True, True, True)
    assert not run.threw
    assert run.payload == payload


def test_which_styles_stop_at_the_first_failure() -> None:
    stopping = {style for style in ResponseStyle if style.stops_at_first_failure}
    assert stopping == {ResponseStyle.THROW, ResponseStyle.REPORT_FIRST}


def test_respond_directly() -> None:
    # Results cover only the records reached.
    assert respond(
        ResponseStyle.REPORT_ALL, ["7", "8", "9"], [True, False]
    ).payload == (_ids("8"))
    assert respond(ResponseStyle.THROW, ["7"], [True]).threw is False


def test_describe_response() -> None:
    assert HandlerRun((False,), threw=True).describe_response() == "threw an error"
    assert "non-JSON" in HandlerRun((), False, b"xx").describe_response()
    assert HandlerRun((), False, None).describe_response() == "returned null"


# -- failure patterns through whole runs --------------------------------------------


def _simulate(
    count: int, pattern: FailurePattern, style: ResponseStyle, **mapping: Any
) -> list[list[str]]:
    config = MappingConfig(**mapping)
    scenario = Scenario(
        "handler", Settings(config), Shard.numbered(count), Handler(pattern, style)
    )
    return [step["batch"] for step in simulate(scenario).to_json()["invocations"]]


def test_fails_first_counts_processings_not_deliveries() -> None:
    # Records 3 and 4 fail their first processing; BatchSize 5, RBIF on.
    # report_first: [1..5] stops at 3 -> [3..5]: 3 ok, 4 fails (never reached
    # before) -> [4, 5] ok.  Three invocations.
    pattern = FailurePattern(by_sequence={"3": FailsFirst(1), "4": FailsFirst(1)})
    rbif = {
        "batch_size": 5,
        "maximum_retry_attempts": 5,
        "function_response_types": (REPORT_BATCH_ITEM_FAILURES,),
    }
    assert _simulate(5, pattern, ResponseStyle.REPORT_FIRST, **rbif) == [
        ["1", "2", "3", "4", "5"],
        ["3", "4", "5"],
        ["4", "5"],
    ]
    # report_all: [1..5] processes 3 and 4 (both fail), reports both -> [3..5]:
    # both processed once already, so they succeed.  Two invocations.
    assert _simulate(5, pattern, ResponseStyle.REPORT_ALL, **rbif) == [
        ["1", "2", "3", "4", "5"],
        ["3", "4", "5"],
    ]


def test_fails_first_by_position_through_retries() -> None:
    # The first record of every batch fails its first processing; BatchSize 2,
    # throw: [1,2] fails, [1,2] again (1 processed once) ok; [3,4] likewise.
    pattern = FailurePattern(by_position={1: FailsFirst(1)})
    assert _simulate(
        4, pattern, ResponseStyle.THROW, batch_size=2, maximum_retry_attempts=1
    ) == [["1", "2"], ["1", "2"], ["3", "4"], ["3", "4"]]


def test_throw_versus_report_all_under_bisect() -> None:
    # users.md 9: throwing halves the batch, reporting every record retries it.
    # Records 1..4 all poison, BatchSize 4, bisect on, MaximumRetryAttempts 0, RBIF.
    every = FailurePattern(by_sequence=dict.fromkeys(["1", "2", "3", "4"], POISON))
    mapping = {
        "batch_size": 4,
        "maximum_retry_attempts": 0,
        "bisect_batch_on_function_error": True,
        "function_response_types": (REPORT_BATCH_ITEM_FAILURES,),
    }
    # Throw: [1..4] -> [1,2] + [3,4]; [1,2] -> [1] + [2]; [1] and [2] fail once
    # each and are discarded (no retries); [3,4] -> [3] + [4] likewise.
    assert _simulate(4, every, ResponseStyle.THROW, **mapping) == [
        ["1", "2", "3", "4"],
        ["1", "2"],
        ["1"],
        ["2"],
        ["3", "4"],
        ["3"],
        ["4"],
    ]
    # report_all names 1..4, lowest 1: a stalled partial failure, an attempt (R7);
    # with no retries the remainder [1..4] is discarded whole (R8: no halving).
    assert _simulate(4, every, ResponseStyle.REPORT_ALL, **mapping) == [
        ["1", "2", "3", "4"]
    ]
