"""Drive a Python handler with real-shaped events and judge every response it gives.

Hypothesis picks batches and which of their records fail; failures reach the handler
through the hook of ``checks.oracle.hook``.  Each response is read by
``model.responses.classify`` under the mapping configuration, and every problem is
reported once, with an example and its consequence under that configuration.
"""

from __future__ import annotations

import contextlib
import decimal
import importlib
import importlib.util
import io
import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from checks.oracle.hook import HOOK_NAME, FakeContext, Probe
from model.config import REPORT_BATCH_ITEM_FAILURES, MappingConfig, Settings
from model.errors import InvalidInput
from model.events import build_event
from model.handler import FailsFirst, FailurePattern, Handler, ResponseStyle
from model.records import Record, Shard, Source
from model.responses import HandlerRun, reported_identifiers
from model.simulator import Scenario, simulate

__all__ = [
    "Problem",
    "HandlerReport",
    "Observation",
    "load_handler",
    "check_handler",
    "observe",
    "realistic_shard",
    "DEFAULT_MAPPING",
    "DEFAULT_TIMEOUT",
]

#: The mapping judged when no configuration is given: the API defaults, with
#: ReportBatchItemFailures on (a handler that reports failures needs it).
DEFAULT_MAPPING = MappingConfig(
    batch_size=10, function_response_types=(REPORT_BATCH_ITEM_FAILURES,)
)

Handler_ = Callable[[dict[str, Any], Any], Any]

#: Lambda's default function timeout, in seconds.
DEFAULT_TIMEOUT = 3.0


class InvalidHandler(InvalidInput):
    """A handler that cannot be imported or called."""


__all__ += ["InvalidHandler"]


@dataclass(frozen=True)
class Problem:
    """One kind of wrong response, with an example and what it costs."""

    kind: str
    rule: str
    message: str
    consequence: str
    example: str


@dataclass(frozen=True)
class Observation:
    """One invocation of the handler: batch, failing records, and what it did."""

    batch: tuple[str, ...]
    failing: frozenset[str]
    run: HandlerRun
    returned: Any
    error: str | None
    reached: tuple[str, ...]
    #: A function error the runtime, not the handler, raised: "timeout" (Task
    #: timed out), "exit" (Runtime.ExitError) or "marshal" (Runtime.MarshalError).
    runtime_error: str | None = None

    def describe(self) -> str:
        failing = sorted(self.failing, key=self.batch.index)
        if self.runtime_error == "marshal":
            what = f"returned {_short(self.returned)}, which json.dumps refuses"
        elif self.runtime_error == "timeout":
            what = f"was still running: {self.error}"
        elif self.error is not None:
            what = f"raised {self.error}"
        else:
            what = f"returned {_short(self.returned)}"
        return (
            f"batch of {len(self.batch)} records, failing "
            f"{_positions(self.batch, failing)}: the handler {what}"
        )


@dataclass(frozen=True)
class HandlerReport:
    """Every problem found for one handler under one mapping configuration."""

    target: str
    label: str
    config: MappingConfig
    problems: tuple[Problem, ...]
    notes: tuple[str, ...] = ()
    invocations: int = 0

    def report(self) -> str:
        head = (
            f"{self.target} under {self.label} ({self.config.describe()}): "
            f"{len(self.problems) or 'no'} problem"
            f"{'' if len(self.problems) == 1 else 's'} "
            f"in {self.invocations} invocations"
        )
        lines = [head]
        for problem in self.problems:
            lines += [
                f"  PROBLEM {problem.kind} ({problem.rule}): {problem.message}",
                f"    consequence: {problem.consequence}",
                f"    example: {problem.example}",
            ]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


# -- loading and calling the handler ----------------------------------------------


def load_handler(target: str) -> tuple[Handler_, ModuleType]:
    """Import ``module:function`` (or ``path/to/file.py:function``).

    >>> function, module = load_handler("json:dumps")
    >>> function({"a": 1})
    '{"a": 1}'
    """
    module_name, sep, function_name = target.partition(":")
    if not sep or not module_name or not function_name:
        raise InvalidHandler(
            "give the handler as module:function, e.g. app.handler:lambda_handler",
            field=target,
        )
    try:
        if module_name.endswith(".py"):
            module = _import_file(Path(module_name))
        else:
            module = importlib.import_module(module_name)
    except InvalidHandler:
        raise
    except Exception as error:  # any import-time failure is the user's input
        raise InvalidHandler(
            f"cannot import {module_name}: {type(error).__name__}: {error}; check "
            "the module name and PYTHONPATH",
            field=target,
        ) from None
    function = getattr(module, function_name, None)
    if not callable(function):
        raise InvalidHandler(
            f"module {module_name} has no function {function_name}", field=target
        )
    return function, module


def _import_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise InvalidHandler("no such file; check the path", field=str(path))
    # A private module name, so that a file called e.g. json.py shadows nothing.
    name = f"shardcheck_handler_{abs(hash(str(path.resolve())))}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InvalidHandler("cannot be imported as Python", field=str(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def realistic_shard(count: int, source: Source) -> Shard:
    """A shard whose sequence numbers, keys and data look like real ones.

    Sequence numbers are long decimal strings, partition keys are not numbers, so a
    handler that returns the wrong field is told apart.

    >>> shard = realistic_shard(2, "kinesis")
    >>> len(shard.records[0].sequence_number), shard.records[1].partition_key
    (56, 'user-2')
    """
    if source == "kinesis":
        base = 49650000000000000000000000000000000000000000000000000001
        step = 1000
    else:
        base = 100000000005391461882
        step = 100
    records = tuple(
        Record(
            sequence_number=str(base + index * step),
            arrival=1767225600.0 + index,
            partition_key=f"user-{index + 1}",
            data=json.dumps({"order": index + 1}).encode(),
        )
        for index in range(count)
    )
    return Shard(source, records)


def observe(
    handler: Handler_,
    module: ModuleType | None,
    shard: Shard,
    failing: frozenset[str],
    timeout: float = DEFAULT_TIMEOUT,
) -> Observation:
    """Call the handler once on the whole shard as one batch.

    The handler runs in a daemon thread that is abandoned after ``timeout``
    seconds, as Lambda stops a function at its timeout; ``sys.exit`` and other
    ``BaseException`` are function errors too, and the return value is serialised
    with ``json.dumps`` as the Python runtime does.
    """
    event = build_event(shard, 0, len(shard))
    probe = Probe(failing)
    context = FakeContext(shardcheck_failing=failing)
    hooked = module is not None and hasattr(module, HOOK_NAME)
    saved = getattr(module, HOOK_NAME, None)
    if hooked:
        setattr(module, HOOK_NAME, probe)
    batch = tuple(record.sequence_number for record in shard.records)
    try:
        # Handlers print; keep their output out of the oracle's report.
        with contextlib.redirect_stdout(io.StringIO()):
            outcome = _call(handler, event, context, timeout)
    finally:
        if hooked:
            setattr(module, HOOK_NAME, saved)
    reached = _first_occurrences(list(probe.reached), batch)
    results = tuple(name not in failing for name in reached)
    if "error" in outcome:
        run = HandlerRun(results, threw=True)
        return Observation(
            batch,
            failing,
            run,
            None,
            outcome["error"],
            reached,
            runtime_error=outcome.get("runtime_error"),
        )
    returned = outcome.get("returned")
    try:
        payload = json.loads(json.dumps(returned, default=_runtime_default))
    except (TypeError, ValueError, RecursionError) as marshal:
        # The runtime cannot serialise the value: Runtime.MarshalError, a function
        # error, so the whole batch fails even if batchItemFailures is right.
        error = f"Runtime.MarshalError: Unable to marshal response: {marshal}"
        return Observation(
            batch,
            failing,
            HandlerRun(results, True),
            returned,
            error,
            reached,
            runtime_error="marshal",
        )
    run = HandlerRun(results, threw=False, payload=payload)
    return Observation(batch, failing, run, returned, None, reached)


def _call(
    handler: Handler_, event: dict[str, Any], context: Any, timeout: float
) -> dict[str, Any]:
    """Run the handler in a thread that can be abandoned; what it did, as a dict.

    A thread cannot be killed: one that runs past ``timeout`` is left running as
    a daemon (it ends with the process), and the invocation counts as timed out.
    """
    outcome: dict[str, Any] = {}

    def invoke() -> None:
        try:
            outcome["returned"] = handler(event, context)
        except SystemExit as stop:
            outcome["error"] = (
                f"Runtime.ExitError: the handler called sys.exit({stop.code!r})"
            )
            outcome["runtime_error"] = "exit"
        except Exception as raised:  # a function error, as Lambda sees it
            outcome["error"] = f"{type(raised).__name__}: {raised}"
        except BaseException as raised:  # e.g. GeneratorExit: the process dies
            outcome["error"] = (
                f"Runtime.ExitError: the handler raised {type(raised).__name__}"
            )
            outcome["runtime_error"] = "exit"

    thread = threading.Thread(target=invoke, name="shardcheck-handler", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return {
            "error": f"Task timed out after {timeout:.2f} seconds",
            "runtime_error": "timeout",
        }
    return outcome


def _runtime_default(value: Any) -> Any:
    """What the Python runtime's encoder adds to ``json``: Decimal as a number."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _first_occurrences(names: list[str], batch: tuple[str, ...]) -> tuple[str, ...]:
    seen: list[str] = []
    for name in names:
        if name in batch and name not in seen:
            seen.append(name)
    return tuple(seen)


# -- the Hypothesis-driven exploration --------------------------------------------


def _observations(
    handler: Handler_,
    module: ModuleType | None,
    source: Source,
    max_examples: int,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Observation]:
    from hypothesis import HealthCheck, example, given, settings
    from hypothesis import strategies as st

    from checks.oracle.strategies import failing_positions

    observations: list[Observation] = []

    @settings(
        max_examples=max_examples,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        st.integers(min_value=1, max_value=6).flatmap(
            lambda size: st.tuples(st.just(size), failing_positions(size))
        )
    )
    @example((4, frozenset()))
    @example((4, frozenset({1})))
    @example((4, frozenset({1, 2})))
    @example((3, frozenset({0, 1, 2})))
    @example((1, frozenset({0})))
    def drive(case: tuple[int, frozenset[int]]) -> None:
        size, positions = case
        if any(seen.runtime_error == "timeout" for seen in observations):
            # A handler that timed out once is left running in its thread; more
            # calls would only pile up threads and wait ``timeout`` each.
            return
        shard = realistic_shard(size, source)
        failing = frozenset(shard.records[p].sequence_number for p in positions)
        observations.append(observe(handler, module, shard, failing, timeout))

    drive()
    return observations


def check_handler(
    handler: Handler_,
    *,
    source: Source,
    config: MappingConfig | None = None,
    module: ModuleType | None = None,
    target: str = "handler",
    label: str = "default mapping",
    max_examples: int = 60,
    timeout: float = DEFAULT_TIMEOUT,
) -> HandlerReport:
    """Drive ``handler`` and report each problem with its consequence.

    Examples
    --------
    >>> def handler(event, context):
    ...     return {"batchItemFailures": [
    ...         {"itemIdentifier": r["kinesis"]["partitionKey"]}
    ...         for r in event["Records"]
    ...         if r["kinesis"]["sequenceNumber"] in context.shardcheck_failing]}
    >>> report = check_handler(handler, source="kinesis", max_examples=5)
    >>> [problem.kind for problem in report.problems]
    ['identifier-not-sequence-number']
    """
    mapping = (config or DEFAULT_MAPPING).with_changes(source=source)
    observations = _observations(handler, module, source, max_examples, timeout)
    from checks.oracle.judging import judge_observations

    problems, notes = judge_observations(observations, mapping, source)
    if module is None or not hasattr(module, HOOK_NAME):
        notes.insert(
            0,
            f"the handler module defines no {HOOK_NAME}(record); failures reach it "
            "only through context.shardcheck_failing (see docs/oracle.md)",
        )
    if not any(observation.reached for observation in observations) and not any(
        observation.run.threw or reported_identifiers(observation.run.payload)
        for observation in observations
    ):
        notes.append(
            "no record ever failed: the handler neither calls the hook nor reads "
            "context.shardcheck_failing, so only its successful responses were judged"
        )
    return HandlerReport(
        target,
        label,
        mapping,
        tuple(problems),
        tuple(notes),
        invocations=len(observations),
    )


def extra_processings(mapping: MappingConfig, fails: str = "3") -> tuple[int, int]:
    """Records processed twice or more when the handler reports every failure,
    and when it stops at the first failure and reports it, on ten records where
    record ``fails`` fails once (simulated with ``model.simulator``).

    >>> extra_processings(DEFAULT_MAPPING)
    (8, 1)
    """
    shard = Shard.numbered(10, mapping.source)
    mapping = mapping.with_changes(batch_size=min(mapping.batch_size, 10))
    pattern = FailurePattern(by_sequence={fails: FailsFirst(1)})
    counts = []
    for style in (ResponseStyle.REPORT_ALL, ResponseStyle.REPORT_FIRST):
        scenario = Scenario(
            f"report-{style}", Settings(mapping=mapping), shard, Handler(pattern, style)
        )
        final = simulate(scenario, step_limit=200).final
        counts.append(sum(1 for count in final.processed if count >= 2))
    return counts[0], counts[1]


__all__ += ["extra_processings"]


# -- small helpers ------------------------------------------------------------------


def _positions(batch: tuple[str, ...], names: list[str]) -> str:
    if not names:
        return "none"
    return "records " + ", ".join(str(batch.index(name) + 1) for name in names)


def _short(value: Any, limit: int = 200) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
