"""Every input surface, fuzzed: no traceback escapes, every refusal is one line.

Each test feeds Hypothesis-generated input (derandomized, so CI sees the same examples
every run) to a command-line entry point in-process, and checks the exit status (0 or
1 when the input is usable, 2 when it is refused), that a refusal is exactly one line
on standard error naming the file, and that no traceback is printed.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import (
    HealthCheck,
    currently_in_test_context,
    event,
    given,
    settings,
)
from hypothesis import strategies as st

from checks import verify
from model.config import Settings, Undocumented
from model.handler import ResponseStyle
from model.records import Shard
from model.responses import HandlerRun, Outcome, classify
from model.semantics import Invoke, Rules

#: A few hundred examples per surface, the same ones on every run.
FUZZ = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -- strategies ---------------------------------------------------------------------

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
#: Any JSON value, nested a little.
JSON = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)

_KINESIS = "arn:aws:kinesis:us-east-1:123456789012:stream/orders"
_DYNAMODB = "arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/2025-01-01"
_QUEUE = "arn:aws:sqs:us-east-1:123456789012:failures"


def _or_json(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly plausible values, sometimes any JSON at all."""
    # one_of would pick any JSON half of the time; a draw of 0..9 picks it 1 in 10.
    return st.integers(0, 9).flatmap(lambda pick: JSON if pick == 9 else strategy)


#: One mapping's fields: plausible values near the edges of what Lambda accepts.
MAPPING_FIELDS = st.fixed_dictionaries(
    {"BatchSize": _or_json(st.sampled_from([10, 1, 2, 3, 100, 10000, 0, 10001]))},
    optional={
        "MaximumRetryAttempts": _or_json(st.sampled_from([-2, -1, 0, 2, 10000])),
        "MaximumRecordAgeInSeconds": _or_json(st.sampled_from([-1, 0, 59, 60, 1e3])),
        "BisectBatchOnFunctionError": _or_json(st.sampled_from([True, False, "true"])),
        "FunctionResponseTypes": _or_json(
            st.sampled_from(
                [[], ["ReportBatchItemFailures"], "ReportBatchItemFailures"]
            )
        ),
        "DestinationConfig": _or_json(
            st.builds(
                lambda arn: {"OnFailure": {"Destination": arn}},
                _or_json(st.sampled_from([_QUEUE, "", {"Ref": "Queue"}])),
            )
        ),
        "EventSourceArn": _or_json(
            st.sampled_from([_KINESIS, _DYNAMODB, {"Fn::GetAtt": ["S", "Arn"]}, "x"])
        ),
        "StartingPosition": _or_json(st.sampled_from(["LATEST", "AT_TIMESTAMP"])),
        "ParallelizationFactor": _or_json(st.sampled_from([1, 2, 11])),
        "FilterCriteria": JSON,
        "UUID": _or_json(st.text(max_size=6)),
    },
)


def _sam_event(kind: Any, properties: Any) -> dict[str, Any]:
    if isinstance(properties, dict) and "EventSourceArn" in properties:
        properties = dict(properties)
        properties["Stream"] = properties.pop("EventSourceArn")
    return {"Type": kind, "Properties": properties}


#: SAM functions whose events are streams (or not).
SAM_FUNCTIONS = st.builds(
    lambda events: {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Handler": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"Runtime": "python3.12", "Events": events},
            }
        },
    },
    _or_json(
        st.dictionaries(
            st.sampled_from(["Stream", "Table", "Queue"]),
            _or_json(
                st.builds(
                    _sam_event,
                    _or_json(st.sampled_from(["Kinesis", "DynamoDB", "SQS"])),
                    _or_json(MAPPING_FIELDS),
                )
            ),
            max_size=3,
        )
    ),
)

#: Mapping documents in every shape ``model.loading`` reads, and arbitrary JSON.
MAPPING_DOCUMENTS = st.one_of(
    SAM_FUNCTIONS,
    JSON,
    MAPPING_FIELDS,
    st.builds(
        lambda props: {"Type": "AWS::Lambda::EventSourceMapping", "Properties": props},
        _or_json(MAPPING_FIELDS),
    ),
    st.builds(
        lambda resources: {"Resources": resources},
        st.dictionaries(
            st.text(min_size=1, max_size=6),
            st.builds(
                lambda kind, props: {"Type": kind, "Properties": props},
                st.sampled_from(
                    ["AWS::Lambda::EventSourceMapping", "AWS::Serverless::Function"]
                ),
                _or_json(MAPPING_FIELDS),
            )
            | JSON,
            max_size=3,
        )
        | JSON,
    ),
    st.builds(
        lambda items: {"EventSourceMappings": items},
        st.lists(_or_json(MAPPING_FIELDS), max_size=3) | JSON,
    ),
)

_ALTERNATIVES = Undocumented.alternatives()

#: Scenario documents: the fields of docs/scenarios.md with plausible or odd values.
_NEAR_VALID_SCENARIOS = st.one_of(
    st.fixed_dictionaries(
        {
            "name": _or_json(st.just("fuzz")),
            "source": _or_json(
                st.sampled_from(["kinesis", "dynamodb", "kinesis", "dynamodb", "sqs"])
            ),
            "records": _or_json(st.integers(min_value=1, max_value=30)),
            "handler": _or_json(
                st.sampled_from([style.value for style in ResponseStyle])
                | st.builds(lambda payload: {"raw": payload}, JSON)
            ),
        },
        optional={
            "mapping": _or_json(MAPPING_FIELDS),
            "failures": _or_json(
                st.dictionaries(
                    st.sampled_from(["1", "2", "5", "31", "x"]),
                    _or_json(
                        st.sampled_from(["poison", {"fails_first": 2}, {"fails": 1}])
                    ),
                    max_size=3,
                )
            ),
            "failures_by_position": _or_json(
                st.dictionaries(
                    st.sampled_from(["1", "4", "0", "-1"]),
                    st.sampled_from(["poison", {"fails_first": 1}]),
                    max_size=2,
                )
            ),
            "timing": _or_json(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "invocation_seconds": _or_json(st.integers(-1, 5)),
                        "retry_backoff_seconds": _or_json(st.integers(-1, 5)),
                        "retention_seconds": _or_json(st.sampled_from([None, 0, 60])),
                    },
                )
            ),
            "undocumented": _or_json(
                st.dictionaries(
                    st.sampled_from(sorted(_ALTERNATIVES)),
                    st.sampled_from(
                        sorted(
                            {
                                repr(v): v for vs in _ALTERNATIVES.values() for v in vs
                            }.values(),
                            key=repr,
                        )
                    ),
                    max_size=3,
                )
            ),
            "step_limit": _or_json(st.integers(min_value=-1, max_value=300)),
            "seconds_apart": _or_json(st.sampled_from([0, 1.5, 30])),
            "partition_keys": _or_json(st.sampled_from([["a", "b"], [], [""]])),
            "description": JSON,
        },
    ),
)
SCENARIO_DOCUMENTS = _or_json(_NEAR_VALID_SCENARIOS)

#: Words a random command line is made of: every option, some values, some noise.
ARGV_WORDS = st.sampled_from(
    [
        "--json",
        "--config",
        "--scenario",
        "--step-limit",
        "--only",
        "--out",
        "--strict",
        "-q",
        "--quiet",
        "-v",
        "--verbose",
        "--help",
        "-h",
        "walkthroughs",
        "compare",
        "trace",
        "0",
        "-5",
        "12",
        "x",
        "",
        "--",
        "-",
        "missing.json",
        "--bogus",
        "--step-limit=abc",
        "--only=nothing",
    ]
) | st.text(max_size=6)


# -- helpers ------------------------------------------------------------------------


def _call(
    main: Callable[[Sequence[str]], int], argv: Sequence[str], capsys: Any
) -> tuple[int, str, str]:
    """Run an entry point in-process: its exit status, standard output and error."""
    capsys.readouterr()
    try:
        status = main(list(argv))
    except SystemExit as stop:  # argparse's --help and usage errors
        code = stop.code
        status = code if isinstance(code, int) else (0 if code is None else 2)
    out, err = capsys.readouterr()
    return status, out, err


def _assert_clean(status: int, out: str, err: str, *, path: Path | None) -> None:
    """No traceback; a refusal (status 2) is one line naming the file."""
    if currently_in_test_context():  # --hypothesis-show-statistics shows the mix
        event(f"exit status {status}")
        if status == 2:
            event(err.split(": ")[-1][:50] if "/" in err else err[:50])
    assert "Traceback" not in out + err
    assert status in (0, 1, 2), (status, err)
    if status == 2:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1, err
        if path is not None:
            assert str(path) in lines[0], lines[0]
        # One readable line: a long offending value is cut, not quoted whole.
        assert len(lines[0]) <= 400 + len(str(path or "")), lines[0]


def _write(directory: str, name: str, content: str | bytes) -> Path:
    path = Path(directory) / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def scratch() -> Any:
    """A directory shared by the examples of a test (Hypothesis reruns the body)."""
    with tempfile.TemporaryDirectory(prefix="shardcheck-fuzz-") as directory:
        yield directory


# -- mapping configurations (--config) ----------------------------------------------


@FUZZ
@given(document=MAPPING_DOCUMENTS)
def test_config_json_of_any_shape(document: Any, scratch: str, capsys: Any) -> None:
    path = _write(scratch, "mapping.json", json.dumps(document))
    argv = ["--config", str(path), "--only", "walkthroughs", "-q"]
    status, out, err = _call(verify.main, argv, capsys)
    _assert_clean(status, out, err, path=path)


@settings(FUZZ, max_examples=20)
@given(document=MAPPING_FIELDS)
def test_config_through_every_part(document: Any, scratch: str, capsys: Any) -> None:
    # Plausible mappings through the explorer, the proofs and the findings too,
    # which read the same file: fewer examples, since each explores six cells.
    path = _write(scratch, "every-part.json", json.dumps(document))
    status, out, err = _call(verify.main, ["--config", str(path), "-q"], capsys)
    _assert_clean(status, out, err, path=path)


@FUZZ
@given(content=st.binary(max_size=64))
def test_config_broken_bytes(content: bytes, scratch: str, capsys: Any) -> None:
    path = _write(scratch, "broken.json", content)
    argv = ["--config", str(path), "--only", "walkthroughs", "-q"]
    status, out, err = _call(verify.main, argv, capsys)
    _assert_clean(status, out, err, path=path)


_YAML_TAGS = st.sampled_from(
    ["!Ref Stream", "!GetAtt Stream.Arn", "!Sub '${Stream.Arn}'", "!If [C, 1, 2]", ""]
)


@FUZZ
@given(document=MAPPING_DOCUMENTS, tag=_YAML_TAGS, noise=st.text(max_size=12))
def test_config_yaml_templates(
    document: Any, tag: str, noise: str, scratch: str, capsys: Any
) -> None:
    text = yaml.safe_dump(document, default_flow_style=False)
    # CloudFormation's short-form tags and stray text, which plain YAML refuses.
    text = text.replace("Ref: Queue", f"Ref: {tag}" if tag else "Ref: Queue") + noise
    path = _write(scratch, "template.yaml", text)
    argv = ["--config", str(path), "--only", "walkthroughs", "-q"]
    status, out, err = _call(verify.main, argv, capsys)
    _assert_clean(status, out, err, path=path)


# -- scenario files (--scenario) ----------------------------------------------------


@FUZZ
@given(document=SCENARIO_DOCUMENTS)
def test_scenario_json_of_any_shape(document: Any, scratch: str, capsys: Any) -> None:
    path = _write(scratch, "scenario.json", json.dumps(document))
    status, out, err = _call(verify.main, ["--scenario", str(path), "-q"], capsys)
    _assert_clean(status, out, err, path=path)


@FUZZ
@given(content=st.binary(max_size=64))
def test_scenario_broken_bytes(content: bytes, scratch: str, capsys: Any) -> None:
    path = _write(scratch, "scenario.json", content)
    status, out, err = _call(verify.main, ["--scenario", str(path), "-q"], capsys)
    _assert_clean(status, out, err, path=path)


def test_scenario_too_large_is_refused_at_once(tmp_path: Path, capsys: Any) -> None:
    # Two million records would need gigabytes of trace; the file is refused
    # before anything is built.
    path = _write(
        str(tmp_path),
        "huge.json",
        json.dumps(
            {
                "name": "huge",
                "source": "kinesis",
                "records": 2_000_000,
                "handler": "throw",
            }
        ),
    )
    status, out, err = _call(verify.main, ["--scenario", str(path)], capsys)
    _assert_clean(status, out, err, path=path)
    assert status == 2 and "records" in err


# -- handler responses --------------------------------------------------------------

_RESPONSES = JSON | st.builds(
    lambda entries: {"batchItemFailures": entries},
    st.lists(
        st.builds(lambda identifier: {"itemIdentifier": identifier}, JSON)
        | st.sampled_from([{"itemIdentifier": "2"}, {"itemIdentifier": "9"}])
        | JSON,
        max_size=4,
    )
    | JSON,
)


@FUZZ
@given(
    payload=_RESPONSES | st.binary(max_size=8),
    threw=st.booleans(),
    report=st.booleans(),
    unknown=st.sampled_from(_ALTERNATIVES["unknown_identifier"]),
    unrecognised=st.sampled_from(_ALTERNATIVES["unrecognised_payload"]),
    reached=st.integers(min_value=0, max_value=3),
)
def test_handler_responses_of_any_shape(
    payload: Any,
    threw: bool,
    report: bool,
    unknown: str,
    unrecognised: str,
    reached: int,
) -> None:
    undocumented = Undocumented(
        unknown_identifier=unknown,  # type: ignore[arg-type]
        unrecognised_payload=unrecognised,  # type: ignore[arg-type]
    )
    run = HandlerRun((True,) * reached, threw=threw, payload=payload)
    reading = classify(
        run,
        ["1", "2", "3"],
        report_batch_item_failures=report,
        undocumented=undocumented,
    )
    assert reading.outcome in set(Outcome)
    assert all(0 <= index < 3 for index in reading.reported)
    assert "\n" not in reading.why
    # The transition function takes the same response without raising.
    mapping = Settings().mapping.with_changes(
        batch_size=3,
        maximum_retry_attempts=1,
        function_response_types=("ReportBatchItemFailures",) if report else (),
    )
    rules = Rules(
        Settings(mapping=mapping, undocumented=undocumented), Shard.numbered(3)
    )
    state = rules.initial_state()
    assert isinstance(rules.next_action(state), Invoke)
    after = rules.step(state, run).after
    assert after.invocations == 1


# -- command-line arguments ---------------------------------------------------------


@FUZZ
@given(argv=st.lists(ARGV_WORDS, max_size=6))
def test_random_command_lines(
    argv: list[str], scratch: str, capsys: Any, monkeypatch: Any
) -> None:
    monkeypatch.chdir(scratch)
    # Keep every run short: the parts are checked elsewhere, the parsing here.
    if "--only" not in argv and "compare" not in argv[:1]:
        argv = [*argv, "--only", "walkthroughs"]
    status, out, err = _call(verify.main, argv, capsys)
    _assert_clean(status, out, err, path=None)


# -- traces (python -m checks.oracle trace) -----------------------------------------

_SEQUENCE = st.sampled_from(["1", "2", "3", "4", "9", "0", "x", ""])

#: Header lines: the fields of docs/oracle.md with plausible or odd values.
TRACE_HEADERS = _or_json(
    st.fixed_dictionaries(
        {
            "type": _or_json(st.just("header")),
            "format": _or_json(st.just("shardcheck-trace/1")),
            "source": _or_json(st.sampled_from(["kinesis", "dynamodb"])),
            "mapping": _or_json(MAPPING_FIELDS),
            "records": _or_json(
                st.integers(min_value=1, max_value=6)
                | st.integers(min_value=1, max_value=6)
                | st.lists(
                    st.fixed_dictionaries(
                        {"sequenceNumber": _SEQUENCE},
                        optional={"arrival": _SCALARS, "partitionKey": _SCALARS},
                    ),
                    max_size=4,
                )
            ),
            "checkpoint_style": _or_json(
                st.sampled_from(["first_not_done", "last_done"])
            ),
        },
        optional={
            "destinations": st.sampled_from(["in_order", "at_end", "later"]),
            "timing": JSON,
            "undocumented": JSON,
        },
    )
)


def _batch(start: int, size: int) -> list[str]:
    return [str(number) for number in range(start, start + size)]


#: Event lines of every type: mostly well-formed, with responses of any shape.
TRACE_EVENTS = _or_json(
    st.one_of(
        st.fixed_dictionaries(
            {
                "type": st.just("invocation"),
                "batch": _or_json(
                    st.builds(_batch, st.integers(1, 4), st.integers(1, 3))
                ),
            },
            optional={
                "response": _RESPONSES,
                "error": _or_json(st.sampled_from(["Error", {"errorType": "E"}])),
                "processed": _or_json(st.lists(st.booleans(), max_size=4)),
            },
        ),
        st.fixed_dictionaries(
            {"type": st.just("checkpoint"), "sequence_number": _SEQUENCE | st.none()}
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("destination"),
                "condition": _or_json(
                    st.sampled_from(["RetryAttemptsExhausted", "RecordAgeExceeded"])
                ),
                "startSequenceNumber": _SEQUENCE,
                "endSequenceNumber": _SEQUENCE,
            },
            optional={"approximateInvokeCount": JSON, "functionError": JSON},
        ),
        st.fixed_dictionaries({"type": st.just("destination"), "record": JSON}),
        st.fixed_dictionaries({"type": st.just("end")}, optional={"complete": JSON}),
        st.fixed_dictionaries({"type": st.just("comment")}, optional={"text": JSON}),
    )
)


@FUZZ
@given(
    header=TRACE_HEADERS,
    events=st.lists(TRACE_EVENTS, max_size=6),
    noise=st.sampled_from(["", "", "", "", "\n", "not json\n", "{}\n", "[1]\n"]),
)
def test_traces_of_any_shape(
    header: Any, events: list[Any], noise: str, scratch: str, capsys: Any
) -> None:
    from checks.oracle.cli import main as oracle_main

    text = "\n".join(json.dumps(line) for line in [header, *events]) + "\n" + noise
    path = _write(scratch, "trace.jsonl", text)
    status, out, err = _call(oracle_main, ["trace", str(path)], capsys)
    _assert_clean(status, out, err, path=path)


@FUZZ
@given(content=st.binary(max_size=64))
def test_trace_broken_bytes(content: bytes, scratch: str, capsys: Any) -> None:
    from checks.oracle.cli import main as oracle_main

    path = _write(scratch, "trace.jsonl", content)
    status, out, err = _call(oracle_main, ["trace", str(path)], capsys)
    _assert_clean(status, out, err, path=path)


# -- the oracle's handler door: a handler that returns any JSON at all ---------------


@FUZZ
@given(payload=_RESPONSES, failing=st.sets(st.integers(0, 2), max_size=3))
def test_handler_door_takes_any_response(payload: Any, failing: set[int]) -> None:
    from checks.oracle.handlers import observe, realistic_shard
    from checks.oracle.judging import judge_observations

    shard = realistic_shard(3, "kinesis")
    names = frozenset(shard.records[position].sequence_number for position in failing)

    def handler(event: Any, context: Any) -> Any:
        return payload

    observation = observe(handler, None, shard, names)
    problems, notes = judge_observations([observation], Settings().mapping, "kinesis")
    for problem in problems:
        assert problem.kind and "\n" not in problem.kind


_ORACLE_WORDS = st.sampled_from(
    [
        "trace",
        "handler",
        "emit",
        "--scenario",
        "--config",
        "--source",
        "kinesis",
        "sqs",
        "--json",
        "-q",
        "--allow-duplicates",
        "--examples",
        "0",
        "--checkpoint-style",
        "last_done",
        "no_such_module:handler",
        "missing.jsonl",
        "--help",
        "",
        "x",
    ]
) | st.text(max_size=5)


@FUZZ
@given(argv=st.lists(_ORACLE_WORDS, max_size=6))
def test_random_oracle_command_lines(
    argv: list[str], scratch: str, capsys: Any, monkeypatch: Any
) -> None:
    from checks.oracle.cli import main as oracle_main

    monkeypatch.chdir(scratch)
    status, out, err = _call(oracle_main, argv, capsys)
    _assert_clean(status, out, err, path=None)


def test_trace_counting_two_billion_records_is_refused_at_once(
    tmp_path: Path, capsys: Any
) -> None:
    from checks.oracle.cli import main as oracle_main

    header = {
        "type": "header",
        "format": "shardcheck-trace/1",
        "source": "kinesis",
        "records": 2_000_000_000,
        "mapping": {},
        "checkpoint_style": "first_not_done",
    }
    path = _write(str(tmp_path), "huge.jsonl", json.dumps(header) + "\n")
    status, out, err = _call(oracle_main, ["trace", str(path)], capsys)
    _assert_clean(status, out, err, path=path)
    assert status == 2 and "records" in err and "line 1" in err


def test_step_limit_out_of_range_is_one_line(capsys: Any) -> None:
    for value in ("0", "-3", "1000001", "many"):
        status, out, err = _call(verify.main, ["--step-limit", value], capsys)
        _assert_clean(status, out, err, path=None)
        assert status == 2 and "--step-limit" in err


# -- interrupted runs ---------------------------------------------------------------

#: Runs ``python -m checks.verify`` with Ctrl-C delivered as KeyboardInterrupt even
#: where the test runner's children inherit an ignored SIGINT.
_VERIFY_WITH_CTRL_C = (
    "import runpy, signal, sys; "
    "signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'checks.verify'; "
    "runpy.run_module('checks.verify', run_name='__main__', alter_sys=True)"
)


def test_ctrl_c_during_a_long_exploration(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    # 300 mappings x 6 handler styles: minutes of exploration.
    resources = {
        f"Mapping{index}": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "EventSourceArn": f"arn:aws:kinesis:us-east-1:1:stream/s{index}",
                "BatchSize": 1 + index % 10,
                "MaximumRetryAttempts": index % 4,
                "BisectBatchOnFunctionError": index % 2 == 0,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
            },
        }
        for index in range(300)
    }
    template = _write(str(tmp_path), "big.json", json.dumps({"Resources": resources}))
    out = tmp_path / "reports"
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [sys.executable, "-c", _VERIFY_WITH_CTRL_C]
        + ["--only", "explore", "--config", str(template), "--out", str(out)],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    # Wait until the explorer reports progress: it is in the middle of a cell.
    line = process.stderr.readline()
    while line and not line.startswith("explore"):
        line = process.stderr.readline()
    assert line.startswith("explore"), "the explorer never reported progress"
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    stopped = time.monotonic() - sent

    assert process.returncode == 130
    assert stopped < 1.0, f"took {stopped:.2f} s to stop"
    assert "Traceback" not in stdout + stderr
    # What was checked so far: the table of the finished cells and a count.
    summary = re.search(r"interrupted after (\d+) of 1800 configurations", stderr)
    assert summary is not None, stderr
    checked = int(summary.group(1))
    assert 0 < checked < 1800
    assert stdout.count("/throw ") + stdout.count("/report_") >= checked
    # No half-written report: nothing at all in --out.
    assert not out.exists() or not any(out.iterdir())


def test_ctrl_c_while_z3_solves(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    # z3 catches SIGINT itself and answers "unknown"; the run must stop anyway.
    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "reports"
    process = subprocess.Popen(
        [sys.executable, "-c", _VERIFY_WITH_CTRL_C]
        + ["--only", "proofs", "--out", str(out), "-q"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)  # imports done, proofs under way (they take a few seconds)
    if process.poll() is not None:
        pytest.skip("the proofs finished before the interrupt")
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    stopped = time.monotonic() - sent
    assert process.returncode == 130, stderr
    assert stopped < 1.0, f"took {stopped:.2f} s to stop"
    assert "Traceback" not in stdout + stderr
    assert re.search(r"interrupted during proofs: .*\d+ proofs", stderr), stderr
    assert not out.exists() or not any(out.iterdir())


def _walkthrough_trace_lines() -> list[list[str]]:
    from checks.oracle import trace_lines
    from model.simulator import simulate
    from model.walkthroughs import walkthroughs

    return [list(trace_lines(simulate(scenario))) for scenario in walkthroughs()]


_REAL_TRACES = _walkthrough_trace_lines()


@FUZZ
@given(
    which=st.integers(0, len(_REAL_TRACES) - 1),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["drop", "repeat", "swap", "response", "field"]),
            st.integers(1, 60),
            st.integers(1, 60),
            _RESPONSES,
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_edited_real_traces(
    which: int, edits: list[tuple[str, int, int, Any]], scratch: str, capsys: Any
) -> None:
    # A real trace with lines dropped, repeated, swapped or changed: mostly
    # well-formed, so the replay itself (not only the parser) meets odd input.
    from checks.oracle.cli import main as oracle_main

    lines = list(_REAL_TRACES[which])
    for action, first, second, value in edits:
        body = len(lines) - 1  # the header stays first
        i, j = 1 + first % body, 1 + second % body
        if action == "drop" and body > 1:
            del lines[i]
        elif action == "repeat":
            lines.insert(j, lines[i])
        elif action == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        else:
            event = json.loads(lines[i])
            key = (
                "response"
                if action == "response"
                else sorted(event)[first % len(event)]
            )
            event[key] = value
            lines[i] = json.dumps(event)
    path = _write(scratch, "edited.jsonl", "\n".join(lines) + "\n")
    status, out, err = _call(oracle_main, ["trace", str(path)], capsys)
    _assert_clean(status, out, err, path=path)


@settings(
    FUZZ,
    max_examples=100,
    # The handler door drives the handler with Hypothesis itself.
    suppress_health_check=[*FUZZ.suppress_health_check, HealthCheck.nested_given],
)
@given(document=MAPPING_DOCUMENTS, source=st.sampled_from(["kinesis", "dynamodb"]))
def test_handler_door_config_of_any_shape(
    document: Any, source: str, scratch: str, capsys: Any
) -> None:
    # python -m checks.oracle handler FILE:function --config FILE: the mapping
    # file is refused in one line naming it (a handler that always succeeds).
    from checks.oracle.cli import main as oracle_main

    handler = _write(
        scratch, "fuzz_handler.py", "def handler(e, c):\n    return None\n"
    )
    path = _write(scratch, "door.json", json.dumps(document))
    argv = ["handler", f"{handler}:handler", "--source", source]
    argv += ["--config", str(path), "--examples", "1"]
    status, out, err = _call(oracle_main, argv, capsys)
    _assert_clean(status, out, err, path=path)
