"""Tests of the trace door: hand-written traces that conform and that diverge at a
known step, bad trace files, and simulator traces that always conform."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.oracle import (
    InvalidTrace,
    assert_conforms,
    judge,
    parse_trace_lines,
    read_trace,
    trace_lines,
)
from checks.oracle.cli import main
from checks.oracle.pytest_plugin import trace_oracle  # noqa: F401 - the fixture
from checks.oracle.strategies import scenarios
from model.simulator import simulate
from model.walkthroughs import walkthroughs

TRACES = Path(__file__).resolve().parent.parent / "docs" / "examples" / "traces"

HEADER = {
    "type": "header",
    "format": "shardcheck-trace/1",
    "source": "kinesis",
    "records": 4,
    "checkpoint_style": "first_not_done",
    "mapping": {"BatchSize": 2, "MaximumRetryAttempts": 1},
}


def _lines(*events: dict[str, Any], header: dict[str, Any] | None = None) -> list[str]:
    return [json.dumps(header or HEADER), *(json.dumps(event) for event in events)]


def _run(argv: list[str], capsys: Any) -> tuple[int, str, str]:
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# -- the example traces -------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "conforming-custom-once.jsonl",
        "conforming-last-done.jsonl",
        "conforming-whole-batch.jsonl",
        "conforming-record-age.jsonl",
    ],
)
def test_conforming_examples_exit_0(name: str, capsys: Any) -> None:
    status, out, err = _run(["trace", str(TRACES / name)], capsys)
    assert status == 0, out + err
    assert "conforms" in out


def test_bisect_at_floor_diverges_at_the_third_invocation() -> None:
    # Seed walkthrough 3 with floor(n/2): [1..10] fails, [1..5] fails, then the
    # model (ceil) splits [1..5] into [1..3] + [4..5], the trace into [1,2] + [3..5].
    verdict = judge(read_trace(TRACES / "diverges-bisect-floor.jsonl"))
    found = verdict.divergence
    assert found is not None
    assert (found.line, found.step) == (4, 3)
    assert found.observed == "invocation of [1..2]"
    assert found.allowed.startswith("invocation of [1..3]")
    assert found.rule == "R5"
    assert verdict.alternatives == ("the bisect split point is floor(n/2)",)
    assert "conforms if the bisect split point is floor(n/2)" in verdict.report()


def test_bisect_at_floor_exits_1(capsys: Any) -> None:
    path = TRACES / "diverges-bisect-floor.jsonl"
    status, out, _ = _run(["trace", str(path)], capsys)
    assert status == 1
    assert "DIVERGES at line 4" in out


def test_ignored_response_diverges_at_the_checkpoint() -> None:
    # The handler reported record 6, so the checkpoint is 6 (R6); the trace says
    # every record is done.
    found = judge(read_trace(TRACES / "diverges-response-ignored.jsonl")).divergence
    assert found is not None
    assert found.line == 3
    assert found.observed == "checkpoint null (first_not_done)"
    assert found.allowed.startswith('checkpoint "6"')
    assert "R6" in found.rule.split(",")


def test_a_fourth_invocation_with_two_retries_diverges() -> None:
    # MaximumRetryAttempts 2: three invocations, then the destination record.
    found = judge(read_trace(TRACES / "diverges-extra-retry.jsonl")).divergence
    assert found is not None
    assert found.line == 5
    assert "approximateInvokeCount 3" in found.allowed
    assert "R3" in found.rule.split(",")


def test_a_spontaneous_duplicate_is_marked_allowed_by_at_least_once() -> None:
    trace = read_trace(TRACES / "diverges-duplicate.jsonl")
    found = judge(trace).divergence
    assert found is not None
    assert found.line == 3
    assert "allowed by at-least-once delivery" in found.note
    assert "G1" in found.rule.split(",")
    skipped = judge(trace, allow_duplicates=True)
    assert skipped.conforms
    assert "line 3" in skipped.notes[0]


def test_records_too_old_must_be_discarded_before_the_next_invocation() -> None:
    # Invocations take 40 s and records arrived together: record 1 fails at 0 s
    # and 40 s; at 80 s every record is older than 60 s (R4), so 2 and 3 are
    # discarded without an invocation.  The trace invokes [2] instead.
    found = judge(read_trace(TRACES / "diverges-record-age.jsonl")).divergence
    assert found is not None
    assert (found.line, found.step) == (5, 4)
    assert found.allowed.startswith("the destination record RecordAgeExceeded for [2]")
    assert found.rule == "R4,R9"


def test_json_verdicts(capsys: Any) -> None:
    path = TRACES / "diverges-extra-retry.jsonl"
    status, out, _ = _run(["trace", "--json", str(path)], capsys)
    assert status == 1
    (verdict,) = json.loads(out)
    assert verdict["conforms"] is False
    assert verdict["divergence"]["line"] == 5


def test_emit_writes_a_conforming_trace(tmp_path: Path, capsys: Any) -> None:
    scenario = {
        "name": "emit",
        "source": "kinesis",
        "records": 4,
        "mapping": {"BatchSize": 2, "MaximumRetryAttempts": 1},
        "failures": {"3": "poison"},
        "handler": "throw",
    }
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario))
    status, out, _ = _run(["emit", "--scenario", str(path)], capsys)
    assert status == 0
    lines = out.splitlines()
    # [1,2] ok; [3,4] fails twice (1 retry) and is dropped: 3 invocations.
    types = [json.loads(line)["type"] for line in lines]
    assert types.count("invocation") == 3
    assert assert_conforms(lines).conforms


# -- small hand-written traces --------------------------------------------------------


def test_destination_record_without_a_destination_is_r9() -> None:
    lines = _lines(
        {"type": "invocation", "batch": ["1", "2"]},
        {
            "type": "destination",
            "condition": "RetryAttemptsExhausted",
            "startSequenceNumber": "1",
            "endSequenceNumber": "2",
        },
    )
    found = judge(parse_trace_lines(lines)).divergence
    assert found is not None
    assert found.line == 3
    assert "R9" in found.rule.split(",")
    assert "no on-failure destination" in found.allowed


def test_end_while_the_model_still_invokes() -> None:
    lines = _lines({"type": "invocation", "batch": ["1", "2"]}, {"type": "end"})
    found = judge(parse_trace_lines(lines)).divergence
    assert found is not None
    assert found.allowed.startswith("invocation of [3..4]")


def test_a_cut_short_trace_is_judged_as_a_prefix() -> None:
    lines = _lines(
        {"type": "invocation", "batch": ["1", "2"]},
        {"type": "end", "complete": False},
    )
    assert judge(parse_trace_lines(lines)).conforms


def test_event_instead_of_batch_and_last_done_checkpoints() -> None:
    from model.events import build_event
    from model.records import Shard

    event = build_event(Shard.numbered(4), 0, 2)
    header = dict(HEADER, checkpoint_style="last_done")
    lines = _lines(
        {"type": "checkpoint", "sequence_number": None},
        {"type": "invocation", "event": event, "error": "boom"},
        {"type": "checkpoint", "sequence_number": None},
        {"type": "invocation", "event": event, "response": None},
        {"type": "checkpoint", "sequence_number": "2"},
        header=header,
    )
    assert judge(parse_trace_lines(lines)).conforms


def test_non_json_response_reads_as_success() -> None:
    header = dict(
        HEADER,
        mapping={"BatchSize": 2, "FunctionResponseTypes": ["ReportBatchItemFailures"]},
    )
    lines = _lines(
        {"type": "invocation", "batch": ["1", "2"], "response_text": "OK <html>"},
        {"type": "checkpoint", "sequence_number": "3"},
        header=header,
    )
    assert judge(parse_trace_lines(lines)).conforms


def test_assert_conforms_raises_with_the_report() -> None:
    lines = _lines({"type": "invocation", "batch": ["2", "3"]})
    with pytest.raises(AssertionError, match=r"DIVERGES at line 2"):
        assert_conforms(lines)
    assert assert_conforms(TRACES / "conforming-custom-once.jsonl").conforms


def test_trace_oracle_fixture(trace_oracle: Any) -> None:  # noqa: F811
    assert trace_oracle(str(TRACES / "conforming-last-done.jsonl")).conforms


# -- bad trace files ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "line 1: the first line must be the header"),
        ("not json\n", "line 1: not valid JSON"),
        ('{"type": "invocation", "batch": ["1"]}\n', "the first line must be"),
        ('{"type": "header"}\n', "line 1: the field format is required; add it"),
        (
            json.dumps(dict(HEADER, mapping={"BatchSize": 0})),
            "BatchSize: must be 1..10000, got 0",
        ),
        (
            "\n".join(_lines({"type": "invocation", "batch": ["9"]})),
            'line 2: sequence number "9" is not a record',
        ),
        (
            "\n".join(_lines({"type": "header"})),
            "line 2",
        ),
        (
            "\n".join(_lines({"type": "invocation", "batch": ["1"], "processed": [1]})),
            "line 2: field processed.0: expected true or false, got 1",
        ),
        (
            "\n".join(_lines({"type": "end"}, {"type": "invocation", "batch": ["1"]})),
            "line 2: the end event must be the last line",
        ),
        (
            "\n".join(_lines({"type": "bogus"})),
            "line 2: field type: expected one of \"header\"",
        ),
    ],
)
def test_bad_trace_exits_2_with_one_line(
    text: str, expected: str, tmp_path: Path, capsys: Any
) -> None:
    path = tmp_path / "trace.jsonl"
    path.write_text(text)
    status, out, err = _run(["trace", str(path)], capsys)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith(f"error: {path}: ")
    assert expected in err


def test_missing_file_and_directory_exit_2(tmp_path: Path, capsys: Any) -> None:
    for target in (tmp_path / "absent.jsonl", tmp_path):
        status, _, err = _run(["trace", str(target)], capsys)
        assert status == 2
        assert err.count("\n") == 1


def test_read_trace_raises_invalid_trace(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text("[]\n")
    with pytest.raises(InvalidTrace):
        read_trace(path)


# -- the simulator's own traces always conform ----------------------------------------


def test_walkthrough_traces_conform_in_both_checkpoint_styles() -> None:
    for scenario in walkthroughs():
        trace = simulate(scenario)
        for style in ("first_not_done", "last_done"):
            lines = list(trace_lines(trace, checkpoint_style=style))
            assert_conforms(lines)


def _at_end(lines: list[str]) -> list[str]:
    """The same trace with destination records collected at the end."""
    header = json.loads(lines[0])
    header["destinations"] = "at_end"
    events = [json.loads(line) for line in lines[1:]]
    moved = [event for event in events if event["type"] == "destination"]
    kept = [event for event in events if event["type"] != "destination"]
    end = [event for event in kept if event["type"] == "end"]
    body = [event for event in kept if event["type"] != "end"]
    return [json.dumps(item) for item in [header, *body, *moved, *end]]


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    scenario=scenarios(max_records=8),
    style=st.sampled_from(["first_not_done", "last_done"]),
)
def test_every_simulator_trace_conforms(scenario: Any, style: str) -> None:
    trace = simulate(scenario, step_limit=40)
    lines = list(trace_lines(trace, checkpoint_style=style))
    assert_conforms(lines)
    assert_conforms(_at_end(lines))


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(scenario=scenarios(max_records=6), data=st.data())
def test_a_changed_batch_diverges_at_its_line(scenario: Any, data: Any) -> None:
    # The model fixes every batch, so shortening one observed batch must be the
    # first divergence, on that very line.
    trace = simulate(scenario, step_limit=40)
    lines = list(trace_lines(trace))
    candidates = [
        index
        for index, line in enumerate(lines)
        if json.loads(line)["type"] == "invocation"
        and len(json.loads(line)["batch"]) >= 2
    ]
    if not candidates:
        return
    index = data.draw(st.sampled_from(candidates))
    event = json.loads(lines[index])
    event["batch"] = event["batch"][:-1]
    event["processed"] = event["processed"][: len(event["batch"])]
    changed = [*lines[:index], json.dumps(event), *lines[index + 1 :]]
    found = judge(parse_trace_lines(changed)).divergence
    assert found is not None
    assert found.line == index + 1


def test_dropping_the_last_invocation_of_a_finished_run_diverges() -> None:
    for scenario in walkthroughs():
        lines = list(trace_lines(simulate(scenario)))
        last = max(
            index
            for index, line in enumerate(lines)
            if json.loads(line)["type"] == "invocation"
        )
        verdict = judge(parse_trace_lines(lines[:last] + lines[last + 1 :]))
        assert not verdict.conforms, scenario.name


_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 12)
    | st.sampled_from(["1", "2", "3", "4", "9", "", "x", "RecordAgeExceeded"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "Records", "itemIdentifier"]), children)
    ),
    max_leaves=6,
)
_EVENTS = st.fixed_dictionaries(
    {"type": st.sampled_from(["invocation", "destination", "checkpoint", "end"])},
    optional={
        "batch": st.lists(st.sampled_from(["1", "2", "3", "4", "5"]), max_size=3),
        "response": _VALUES,
        "response_text": st.text(max_size=5),
        "error": _VALUES,
        "processed": st.lists(st.booleans(), max_size=3),
        "event": _VALUES,
        "record": _VALUES,
        "condition": st.sampled_from(["RetryAttemptsExhausted", "RecordAgeExceeded"]),
        "startSequenceNumber": st.sampled_from(["1", "3", "7"]),
        "endSequenceNumber": st.sampled_from(["2", "4"]),
        "sequence_number": st.sampled_from([None, "1", "3", "5"]),
        "complete": st.booleans(),
    },
)


@settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(events=st.lists(_EVENTS, max_size=5))
def test_any_events_give_a_verdict_or_one_line(
    events: list[dict[str, Any]], tmp_path: Path, capsys: Any
) -> None:
    path = tmp_path / "fuzz.jsonl"
    path.write_text("\n".join(_lines(*events)))
    status, out, err = _run(["trace", str(path)], capsys)
    assert status in (0, 1, 2)
    if status == 2:
        assert err.count("\n") == 1 and out == ""
    else:
        assert err == "" and out
