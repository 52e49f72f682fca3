"""Powertools' ``BatchProcessor`` as the handler inside the model's simulator.

``PowertoolsHandler`` is a ``model.handler.Handler`` whose ``run`` builds the real
event (``model.events.build_event``), hands it to ``process_partial_response`` with a
record handler that raises per the scenario's ``FailurePattern``, and returns what
Powertools answered.  ``compare_responses`` holds each answer against the response
style the model attributes to Powertools; ``consequences`` says what the mapping then
does with those answers (duplicates, losses, the path when every record fails).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import import_module, metadata
from typing import Any

from checks.conformance import AdapterBroken
from model.config import REPORT_BATCH_ITEM_FAILURES, MappingConfig, Settings, Timing
from model.events import build_event, sequence_number_of
from model.handler import POISON, FailsFirst, FailurePattern, Handler, ResponseStyle
from model.records import Shard
from model.responses import HandlerRun
from model.simulator import Scenario, Trace, simulate

__all__ = [
    "POWERTOOLS_VERSION",
    "PowertoolsHandler",
    "ResponseDifference",
    "Consequence",
    "check_powertools",
    "compare_responses",
    "consequences",
    "powertools_scenarios",
]

#: The version the findings in the manifest were taken with.
POWERTOOLS_VERSION = "3.37.0"

_QUEUE = "arn:aws:sqs:us-east-1:123456789012:shardcheck-failures"


class _RecordFailed(Exception):
    """What the record handler raises for a record the pattern fails."""


def check_powertools() -> str:
    """Import Powertools' batch utility; its version, or ``AdapterBroken``."""
    try:
        version = metadata.version("aws-lambda-powertools")
    except metadata.PackageNotFoundError:
        raise AdapterBroken(
            "aws-lambda-powertools is not installed; run pip install -e '.[powertools]'"
        ) from None
    batch = import_module("aws_lambda_powertools.utilities.batch")
    missing = [
        name
        for name in ("BatchProcessor", "EventType", "process_partial_response")
        if not hasattr(batch, name)
    ]
    if missing:
        raise AdapterBroken(
            f"aws_lambda_powertools.utilities.batch has no {', '.join(missing)} in "
            f"{version}; the driver must be ported"
        )
    return version


@dataclass(frozen=True)
class PowertoolsHandler(Handler):
    """A handler that is Powertools' ``BatchProcessor`` with a failing record handler.

    ``style`` is the response style the model attributes to it
    (``report_all_raise_if_all``, or ``report_all`` when
    ``raise_on_entire_batch_failure`` is off); ``run`` ignores it and asks
    Powertools.  ``parser`` validates records with Powertools' Pydantic models
    instead of its data classes.

    Examples
    --------
    >>> handler = PowertoolsHandler(FailurePattern(by_sequence={"2": POISON}),
    ...                             shard=Shard.numbered(3))  # doctest: +SKIP
    >>> handler.run(["1", "2", "3"], [0, 0, 0]).payload  # doctest: +SKIP
    {'batchItemFailures': [{'itemIdentifier': '2'}]}
    """

    shard: Shard = field(default_factory=lambda: Shard.numbered(0))
    raise_on_entire_batch_failure: bool = True
    parser: bool = False

    def run(
        self, sequence_numbers: Sequence[str], processed_before: Sequence[int]
    ) -> HandlerRun:
        batch = import_module("aws_lambda_powertools.utilities.batch")
        start = self.shard.position_of(sequence_numbers[0])
        if start is None:
            raise AdapterBroken(f"record {sequence_numbers[0]} is not in the shard")
        event = build_event(self.shard, start, start + len(sequence_numbers))
        results: list[bool] = []

        def record_handler(record: Any) -> None:
            index = len(results)
            raw = getattr(record, "raw_event", None) or json.loads(
                record.model_dump_json(by_alias=True)
            )
            name = _sequence_number(raw, sequence_numbers[index])
            ok = not self.pattern.fails(
                name,
                position_in_batch=index + 1,
                processed_before=processed_before[index],
            )
            results.append(ok)
            if not ok:
                raise _RecordFailed(name)

        processor = batch.BatchProcessor(
            event_type=self._event_type(batch),
            model=self._model() if self.parser else None,
            raise_on_entire_batch_failure=self.raise_on_entire_batch_failure,
        )
        try:
            payload = batch.process_partial_response(
                event=event, record_handler=record_handler, processor=processor
            )
        except batch.exceptions.BatchProcessingError:
            return HandlerRun(tuple(results), threw=True)
        # What Lambda receives is the payload serialised as JSON.
        return HandlerRun(
            tuple(results), threw=False, payload=json.loads(json.dumps(payload))
        )

    def describe(self) -> str:
        flag = (
            ""
            if self.raise_on_entire_batch_failure
            else ", raise_on_entire_batch_failure=False"
        )
        kind = "parser model" if self.parser else "data class"
        return f"Powertools BatchProcessor ({kind}{flag}); {self.pattern.describe()}"

    def _event_type(self, batch: Any) -> Any:
        if self.shard.source == "kinesis":
            return batch.EventType.KinesisDataStreams
        return batch.EventType.DynamoDBStreams

    def _model(self) -> Any:
        models = import_module("aws_lambda_powertools.utilities.parser.models")
        if self.shard.source == "kinesis":
            return models.KinesisDataStreamRecord
        return models.DynamoDBStreamRecordModel


def _sequence_number(raw: Any, fallback: str) -> str:
    try:
        return sequence_number_of(raw)
    except Exception:  # noqa: BLE001 - a parser model renames fields; order still holds
        return fallback


# -- the scenarios --------------------------------------------------------------------

#: The failure patterns the handler is driven with, by a short name.
PATTERNS: dict[str, FailurePattern] = {
    "poison3": FailurePattern(by_sequence={"3": POISON}),
    "poison2-and-4": FailurePattern(by_sequence={"2": POISON, "4": POISON}),
    "once3": FailurePattern(by_sequence={"3": FailsFirst(1)}),
    "allfail": FailurePattern(by_sequence={str(n): POISON for n in range(1, 6)}),
    "allfail-once": FailurePattern(
        by_sequence={str(n): FailsFirst(1) for n in range(1, 6)}
    ),
}

__all__ += ["PATTERNS"]


def powertools_scenarios(
    sources: tuple[str, ...] = ("kinesis", "dynamodb"),
) -> Iterator[Scenario]:
    """Powertools as the handler under each mapping mode and failure pattern.

    Five records in one batch of 5; two retries and a destination, so that every
    run ends; bisect and ReportBatchItemFailures each on and off.

    >>> len(list(powertools_scenarios(("kinesis",))))
    80
    """
    for source in sources:
        shard = Shard.numbered(5, source)  # type: ignore[arg-type]
        for bisect in (False, True):
            for report in (True, False):
                mapping = MappingConfig(
                    batch_size=5,
                    maximum_retry_attempts=2,
                    bisect_batch_on_function_error=bisect,
                    function_response_types=(REPORT_BATCH_ITEM_FAILURES,)
                    if report
                    else (),
                    on_failure_destination=_QUEUE,
                    source=source,  # type: ignore[arg-type]
                )
                for name, pattern in PATTERNS.items():
                    for raise_all, parser in (
                        (True, False),
                        (False, False),
                        (True, True),
                        (False, True),
                    ):
                        style = (
                            ResponseStyle.REPORT_ALL_RAISE_IF_ALL
                            if raise_all
                            else ResponseStyle.REPORT_ALL
                        )
                        handler = PowertoolsHandler(
                            pattern,
                            style,
                            shard=shard,
                            raise_on_entire_batch_failure=raise_all,
                            parser=parser,
                        )
                        label = "-".join(
                            part
                            for part in (
                                source,
                                "bisect" if bisect else "whole",
                                "rbif" if report else "norbif",
                                name,
                                "raise" if raise_all else "noraise",
                                "parser" if parser else "dataclass",
                            )
                        )
                        yield Scenario(
                            label,
                            Settings(
                                mapping=mapping, timing=Timing(retention_seconds=None)
                            ),
                            shard,
                            handler,
                            description=f"{mapping.describe()}; {handler.describe()}",
                        )


# -- judging --------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseDifference:
    """An invocation where Powertools answered otherwise than the model's style."""

    scenario: str
    invocation: int
    batch: tuple[str, ...]
    observed: str
    allowed: str


def compare_responses(trace: Trace) -> list[ResponseDifference]:
    """Every invocation of ``trace`` whose Powertools answer differs from the style's.

    The model's ``Handler`` of the same pattern and style is run on the same batch
    with the same processing history; its response is what the model says
    Powertools returns.
    """
    scenario = trace.scenario
    handler = scenario.handler
    model_handler = Handler(handler.pattern, handler.style)
    differences = []
    for transition in trace.invocations:
        invocation = transition.invocation
        assert invocation is not None
        batch = invocation.batch
        names = scenario.shard.sequence_numbers(batch.start, batch.end)
        before = transition.before.processed[batch.start : batch.end]
        expected = model_handler.run(names, before)
        if expected != invocation.run:
            differences.append(
                ResponseDifference(
                    scenario.name,
                    invocation.number,
                    tuple(names),
                    _run_text(invocation.run),
                    _run_text(expected),
                )
            )
    return differences


def _run_text(run: HandlerRun) -> str:
    reached = "".join("+" if ok else "x" for ok in run.results)
    return f"{run.describe_response()} (records reached: {reached or 'none'})"


@dataclass(frozen=True)
class Consequence:
    """What the mapping does with Powertools' answers in one scenario."""

    scenario: str
    path: tuple[str, ...]
    processed_twice: tuple[str, ...]
    lost: tuple[str, ...]
    discarded: tuple[str, ...]
    final_checkpoint: str

    def to_json(self) -> dict[str, Any]:
        return {
            "path": list(self.path),
            "processed_twice": list(self.processed_twice),
            "lost": list(self.lost),
            "discarded": list(self.discarded),
            "final_checkpoint": self.final_checkpoint,
        }


def consequences(trace: Trace) -> Consequence:
    """The batches invoked, the records processed successfully more than once, the
    records lost and those discarded, from the simulator's trace."""
    shard = trace.scenario.shard
    final = trace.final
    path = []
    for transition in trace.invocations:
        invocation = transition.invocation
        assert invocation is not None
        names = shard.sequence_numbers(invocation.batch.start, invocation.batch.end)
        path.append(_span(names) + f" {invocation.outcome}")
    twice = tuple(
        record.sequence_number
        for position, record in enumerate(shard.records)
        if final.succeeded[position] > 1
    )
    lost = tuple(shard.sequence_number(position) for position in final.lost_positions())
    discarded = tuple(
        _span(shard.sequence_numbers(discard.start, discard.end))
        for step in trace.transitions
        for discard in step.discards
    )
    return Consequence(
        trace.scenario.name,
        tuple(path),
        twice,
        lost,
        discarded,
        shard.sequence_number(final.checkpoint),
    )


def _span(names: list[str]) -> str:
    return f"[{names[0]}]" if len(names) == 1 else f"[{names[0]}..{names[-1]}]"


def run_powertools(
    scenario: Scenario,
) -> tuple[Trace, list[ResponseDifference], Consequence]:
    """Simulate ``scenario`` (a Powertools handler) and judge both sides of it."""
    trace = simulate(scenario, step_limit=200)
    return trace, compare_responses(trace), consequences(trace)


__all__ += ["run_powertools"]
