"""Large inputs in bounded time and memory: print the measured figures.

Run ``python benchmarks/large_inputs.py`` from the repository root.  It writes, in a
temporary directory, a CloudFormation template of 1,000 event source mappings (JSON
and YAML with short-form intrinsics, plus a SAM template of 1,000 stream events) and
a trace of 100,000 events, then runs each reader in its own process and reports its
wall time and peak resident memory against the limits of issue 8 (template: 10 s and
500 MB; trace: 60 s and 1 GB).  Exit status 1 if a limit is exceeded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.config import MappingConfig, Settings, Timing  # noqa: E402
from model.handler import (  # noqa: E402
    POISON,
    FailsFirst,
    FailurePattern,
    Handler,
    ResponseStyle,
)
from model.records import Shard  # noqa: E402
from model.semantics import Finished, Invoke, Transition  # noqa: E402
from model.simulator import Scenario  # noqa: E402

MAPPINGS = 1_000
TRACE_EVENTS = 100_000
_KINESIS = "arn:aws:kinesis:us-east-1:123456789012:stream/orders-{index}"
_DYNAMODB = "arn:aws:dynamodb:us-east-1:123456789012:table/T{index}/stream/2025-01-01"
_QUEUE = "arn:aws:sqs:us-east-1:123456789012:failures"


# -- the inputs ---------------------------------------------------------------------


def _properties(index: int) -> dict[str, Any]:
    """Settings that vary from mapping to mapping, all of them accepted."""
    properties: dict[str, Any] = {
        "EventSourceArn": (_KINESIS if index % 2 else _DYNAMODB).format(index=index),
        "FunctionName": f"handler-{index}",
        "StartingPosition": "TRIM_HORIZON",
        "BatchSize": 1 + index % 10_000,
        "MaximumRetryAttempts": index % 7 - 1,
        "BisectBatchOnFunctionError": index % 3 == 0,
    }
    if index % 2 == 0:
        properties["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
    if index % 5:
        properties["DestinationConfig"] = {"OnFailure": {"Destination": _QUEUE}}
    if index % 11 == 0:
        properties["MaximumRecordAgeInSeconds"] = 60 + index
    return properties


def cloudformation_template(count: int = MAPPINGS) -> dict[str, Any]:
    """A template with ``count`` ``AWS::Lambda::EventSourceMapping`` resources."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            f"Mapping{index}": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": _properties(index),
            }
            for index in range(count)
        },
    }


def yaml_template(count: int = MAPPINGS) -> str:
    """The same template in YAML, with short-form intrinsics in every resource."""
    lines = ["AWSTemplateFormatVersion: '2010-09-09'", "Resources:"]
    for index in range(count):
        properties = _properties(index)
        lines += [
            f"  Stream{index}:",
            "    Type: AWS::Kinesis::Stream",
            f"  Mapping{index}:",
            "    Type: AWS::Lambda::EventSourceMapping",
            "    Properties:",
            f"      EventSourceArn: !GetAtt Stream{index}.Arn",
            f"      FunctionName: !Ref Handler{index}",
            f"      BatchSize: {properties['BatchSize']}",
            f"      MaximumRetryAttempts: {properties['MaximumRetryAttempts']}",
            f"      BisectBatchOnFunctionError: {str(index % 3 == 0).lower()}",
            "      StartingPosition: LATEST",
        ]
    return "\n".join(lines) + "\n"


def sam_template(count: int = MAPPINGS) -> str:
    """A SAM template: one function with ``count`` Kinesis and DynamoDB events."""
    lines = [
        "Transform: AWS::Serverless-2016-10-31",
        "Resources:",
        "  Handler:",
        "    Type: AWS::Serverless::Function",
        "    Properties:",
        "      Runtime: python3.12",
        "      Handler: app.handler",
        "      Events:",
    ]
    for index in range(count):
        properties = _properties(index)
        kind = "Kinesis" if index % 2 else "DynamoDB"
        lines += [
            f"        Stream{index}:",
            f"          Type: {kind}",
            "          Properties:",
            f"            Stream: {properties['EventSourceArn']}",
            "            StartingPosition: TRIM_HORIZON",
            f"            BatchSize: {properties['BatchSize']}",
            f"            MaximumRetryAttempts: {properties['MaximumRetryAttempts']}",
        ]
    return "\n".join(lines) + "\n"


@dataclass
class _StreamedTrace:
    """Enough of ``model.simulator.Trace`` for ``trace_lines``, built lazily.

    ``simulate`` keeps every state (memory grows with records x steps); this plays
    the rules one step at a time so that writing a long trace stays small.
    """

    scenario: Scenario
    steps: int
    blocked: bool = False
    _count: list[int] = field(default_factory=lambda: [0])

    @property
    def transitions(self) -> Iterator[Transition]:
        rules = self.scenario.rules
        state = rules.initial_state()
        for _ in range(self.steps):
            action = rules.next_action(state)
            if isinstance(action, Finished):
                return
            run = None
            if isinstance(action, Invoke):
                batch = action.batch
                run = self.scenario.handler.run(
                    self.scenario.shard.sequence_numbers(batch.start, batch.end),
                    state.processed[batch.start : batch.end],
                )
            transition = rules.step(state, run)
            state = transition.after
            yield transition
        self.blocked = not isinstance(rules.next_action(state), Finished)


def long_scenario() -> Scenario:
    """1,000 records in batches of 10; record 6 of every batch fails 499 times.

    Retries, age and retention are unlimited, so every batch is invoked 500 times:
    50,000 invocations, each followed by a checkpoint event, 100,000 events.
    """
    mapping = MappingConfig(batch_size=10, maximum_retry_attempts=-1)
    return Scenario(
        name="long-retries",
        settings=Settings(mapping, Timing(retention_seconds=None)),
        shard=Shard.numbered(1_000),
        handler=Handler(
            FailurePattern(by_position={6: FailsFirst(499)}), ResponseStyle.THROW
        ),
        description="100,000 events: 50,000 invocations and their checkpoints",
    )


def bisect_scenario(records: int = 46_300) -> Scenario:
    """Bisect with a destination; every 10th record (7, 17, ...) is poison.

    Each batch of 100 is split down to its poison records, which are retried twice
    and discarded one by one: about 100,000 events (invocations, checkpoints and
    destination records) over a shard of 46,300 records.
    """
    mapping = MappingConfig(
        batch_size=100,
        maximum_retry_attempts=2,
        bisect_batch_on_function_error=True,
        on_failure_destination=_QUEUE,
    )
    poison = {str(number): POISON for number in range(7, records + 1, 10)}
    return Scenario(
        name="long-bisect",
        settings=Settings(mapping, Timing(retention_seconds=None)),
        shard=Shard.numbered(records),
        handler=Handler(FailurePattern(by_sequence=poison), ResponseStyle.THROW),
        description="bisect, retries and destination records over a long shard",
    )


def write_trace(path: Path, scenario: Scenario, events: int = TRACE_EVENTS) -> int:
    """Write the model's trace of ``scenario`` (JSON Lines); returns its events."""
    from checks.oracle import trace_lines

    streamed = _StreamedTrace(scenario, steps=events // 2)
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for line in trace_lines(streamed):  # type: ignore[arg-type]
            out.write(line + "\n")
            written += 1
    return written - 1  # the header is not an event


# -- measuring ----------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    what: str
    seconds: float
    megabytes: float
    status: int
    limit_seconds: float
    limit_megabytes: float

    @property
    def within(self) -> bool:
        return (
            self.status in (0, 1)
            and self.seconds <= self.limit_seconds
            and self.megabytes <= self.limit_megabytes
        )

    def line(self) -> str:
        verdict = "ok  " if self.within else "OVER"
        return (
            f"{verdict} {self.what}: {self.seconds:.2f} s, "
            f"peak {self.megabytes:.0f} MB "
            f"(limits {self.limit_seconds:.0f} s, {self.limit_megabytes:.0f} MB; "
            f"exit {self.status})"
        )


def measure(
    what: str, command: list[str], limit_seconds: float, limit_megabytes: float
) -> Measurement:
    """Run ``command`` in its own process: wall time and peak resident memory."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    error = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        sys.stderr.write(error.decode("utf-8", "replace"))
    # ru_maxrss is in kilobytes on Linux.
    megabytes = usage.ru_maxrss / 1024
    return Measurement(
        what, seconds, megabytes, process.returncode, limit_seconds, limit_megabytes
    )


def _read(path: Path) -> list[str]:
    code = (
        "import sys; from model.loading import load_mappings; "
        f"mappings = load_mappings({str(path)!r}); "
        f"sys.exit(0 if len(mappings) == {MAPPINGS} else 1)"
    )
    return [sys.executable, "-c", code]


def main() -> int:
    results = []
    with tempfile.TemporaryDirectory(prefix="shardcheck-large-") as directory:
        folder = Path(directory)
        json_path = folder / "template.json"
        json_path.write_text(json.dumps(cloudformation_template(), indent=1))
        yaml_path = folder / "template.yaml"
        yaml_path.write_text(yaml_template())
        sam_path = folder / "sam.yaml"
        sam_path.write_text(sam_template())
        for label, path in (
            ("CloudFormation JSON", json_path),
            ("CloudFormation YAML", yaml_path),
            ("SAM YAML", sam_path),
        ):
            size = path.stat().st_size / 1e6
            results.append(
                measure(
                    f"{label} template, {MAPPINGS:,} mappings ({size:.1f} MB), read",
                    _read(path),
                    10,
                    500,
                )
            )
        config = [sys.executable, "-m", "checks.verify", "--config", str(json_path)]
        # Beyond issue 8's limits, for information: the walkthroughs replayed under
        # every mapping (6 x 1,000 x 2 sources where the source is unknown).
        informational = measure(
            f"checks.verify --config of the {MAPPINGS:,}-mapping template, "
            "walkthroughs only (informational)",
            [*config, "--only", "walkthroughs", "--quiet"],
            float("inf"),
            float("inf"),
        )
        for scenario in (long_scenario(), bisect_scenario()):
            trace_path = folder / f"{scenario.name}.jsonl"
            started = time.perf_counter()
            events = write_trace(trace_path, scenario, events=2 * TRACE_EVENTS)
            written = time.perf_counter() - started
            size = trace_path.stat().st_size / 1e6
            records = len(scenario.shard)
            print(
                f"wrote {scenario.name}: {events:,} events over {records:,} records "
                f"({size:.1f} MB) in {written:.1f} s"
            )
            results.append(
                measure(
                    f"checks.oracle trace {scenario.name}, {events:,} events over "
                    f"{records:,} records",
                    [sys.executable, "-m", "checks.oracle", "trace"]
                    + [str(trace_path), "-q"],
                    60,
                    1024,
                )
            )
    for result in results:
        print(result.line())
    print(informational.line().replace("limits inf s, inf MB; ", ""))
    print(f"cores: {os.cpu_count()}; python {sys.version.split()[0]}")
    return 0 if all(result.within for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
