"""``python -m checks.verify compare``: what each failure-handling mode costs.

For one failure pattern (by default the article's: the 4th record of every batch
fails, 10 records, BatchSize 10, MaximumRetryAttempts 2) it runs the same shard in
the four modes (whole batch, bisect, custom checkpoint, bisect + custom checkpoint),
each as a ``Scenario`` played by ``simulate``, and puts invocations, deliveries and
deliveries of records already processed side by side, as a table and a bar chart.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NoReturn

from checks.reporting import Reporter, Verbosity, format_table
from checks.reports.atomic import staged_directory, write_text_atomically
from checks.reports.compare_view import (
    TABLE_HEADERS,
    chart_svg,
    render_compare_html,
    render_compare_md,
    table_rows,
)
from checks.reports.content import redeliveries
from checks.text import span
from model.config import REPORT_BATCH_ITEM_FAILURES, MappingConfig, Settings
from model.errors import InvalidInput
from model.handler import POISON, FailsFirst, FailurePattern, Handler, ResponseStyle
from model.records import Shard
from model.simulator import DEFAULT_STEP_LIMIT, Scenario, Trace, simulate

__all__ = ["MODES", "Mode", "Pattern", "ModeCost", "compare", "main"]

_QUEUE = "arn:aws:sqs:us-east-1:123456789012:shardcheck-failures"


@dataclass(frozen=True)
class Mode:
    """A way to handle failures: bisect on or off, custom checkpoints on or off."""

    name: str
    bisect: bool
    custom_checkpoint: bool

    def describe(self) -> str:
        types = f"[{REPORT_BATCH_ITEM_FAILURES}]" if self.custom_checkpoint else "[]"
        bisect = "true" if self.bisect else "false"
        return f"BisectBatchOnFunctionError={bisect}, FunctionResponseTypes={types}"


MODES = (
    Mode("whole batch", bisect=False, custom_checkpoint=False),
    Mode("bisect", bisect=True, custom_checkpoint=False),
    Mode("custom checkpoint", bisect=False, custom_checkpoint=True),
    Mode("bisect + custom checkpoint", bisect=True, custom_checkpoint=True),
)


@dataclass(frozen=True)
class Pattern:
    """The shard, the mapping's limits and which records fail.

    ``fail_positions`` are 1-based positions in every batch (the article's "4th
    record"); ``fail_records`` are sequence numbers.  A failing record fails every
    time unless ``fails_first`` says it fails only its first so many processings.
    ``style`` is the handler of the custom-checkpoint modes; the other modes throw.
    """

    records: int = 10
    batch_size: int = 10
    retries: int = 2
    fail_positions: tuple[int, ...] = (4,)
    fail_records: tuple[str, ...] = ()
    fails_first: int | None = None
    style: ResponseStyle = ResponseStyle.REPORT_FIRST
    destination: bool = True
    source: str = "dynamodb"
    step_limit: int = DEFAULT_STEP_LIMIT

    def describe(self) -> str:
        kind = f"fails its first {self.fails_first}" if self.fails_first else "fails"
        parts = [
            f"the {_ordinal(p)} record of every batch" for p in self.fail_positions
        ]
        parts += [f"record {seq}" for seq in self.fail_records]
        what = " and ".join(parts) or "no record"
        retries = "unlimited" if self.retries == -1 else str(self.retries)
        return (
            f"{what} {kind}; {self.records} records, BatchSize {self.batch_size}, "
            f"MaximumRetryAttempts {retries}; custom-checkpoint handler: {self.style}"
        )

    def scenario(self, mode: Mode) -> Scenario:
        """The scenario that runs this pattern in ``mode``."""
        if self.records < 1:
            raise InvalidInput("must be at least 1", field="--records")
        for sequence in self.fail_records:
            if not sequence.isdigit() or not 1 <= int(sequence) <= self.records:
                raise InvalidInput(
                    f"record {sequence!r} is not one of 1..{self.records}",
                    field="--fail-record",
                )
        kind = POISON if self.fails_first is None else FailsFirst(self.fails_first)
        pattern = FailurePattern(
            by_sequence={sequence: kind for sequence in self.fail_records},
            by_position={position: kind for position in self.fail_positions},
        )
        mapping = MappingConfig(
            batch_size=self.batch_size,
            maximum_retry_attempts=self.retries,
            bisect_batch_on_function_error=mode.bisect,
            function_response_types=(
                (REPORT_BATCH_ITEM_FAILURES,) if mode.custom_checkpoint else ()
            ),
            on_failure_destination=_QUEUE if self.destination else None,
            source="kinesis" if self.source == "kinesis" else "dynamodb",
        )
        style = self.style if mode.custom_checkpoint else ResponseStyle.THROW
        return Scenario(
            name=f"compare: {mode.name}",
            settings=Settings(mapping=mapping),
            shard=Shard.numbered(self.records, mapping.source),
            handler=Handler(pattern, style),
            description=f"{mode.name}; {self.describe()}",
        )


def _ordinal(number: int) -> str:
    """``4th``, ``1st``, ``12th``, ``22nd``.

    >>> [_ordinal(n) for n in (1, 2, 3, 4, 11, 12, 22)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '22nd']
    """
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


@dataclass(frozen=True)
class ModeCost:
    """What one mode cost on the pattern, counted from its trace."""

    mode: str
    settings: str
    invocations: int
    deliveries: int
    records: int
    max_deliveries: int
    redelivered: int
    reprocessed: int
    discarded: int
    lost: int
    blocked: bool
    final_checkpoint: str
    batches: list[str] = field(default_factory=list)

    @property
    def deliveries_per_record(self) -> float:
        return self.deliveries / self.records if self.records else 0.0


def _cost(mode: Mode, trace: Trace) -> ModeCost:
    redelivered, reprocessed = redeliveries(trace)
    batches = []
    for step in trace.invocations:
        invocation = step.invocation
        assert invocation is not None
        batch = invocation.batch
        batches.append(
            span(trace.scenario.shard.sequence_numbers(batch.start, batch.end))
        )
    final = trace.final
    discarded = sum(
        discard.end - discard.start
        for step in trace.transitions
        for discard in step.discards
        if discard.condition != "RetentionExpired"
    )
    return ModeCost(
        mode=mode.name,
        settings=mode.describe(),
        invocations=len(trace.invocations),
        deliveries=sum(final.deliveries),
        records=final.record_count,
        max_deliveries=max(final.deliveries, default=0),
        redelivered=redelivered,
        reprocessed=reprocessed,
        discarded=discarded,
        lost=len(final.lost_positions()),
        blocked=trace.blocked,
        final_checkpoint=trace.sequence_number(final.checkpoint),
        batches=batches,
    )


def compare(pattern: Pattern | None = None) -> list[ModeCost]:
    """The cost of every mode on ``pattern`` (the article's by default).

    Examples
    --------
    >>> [cost.invocations for cost in compare()]
    [3, 7, 4, 4]
    """
    pattern = pattern or Pattern()
    costs = []
    for mode in MODES:
        trace = simulate(pattern.scenario(mode), step_limit=pattern.step_limit)
        costs.append(_cost(mode, trace))
    return costs


#: The option that sets each mapping field, for error messages.
_OPTIONS = {
    "BatchSize": "--batch-size",
    "MaximumRetryAttempts": "--retries",
    "fails_first": "--fails-first",
    "failures_by_position": "--fail-position",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}; see --help\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m checks.verify compare",
        description="Compare what each failure-handling mode costs on one pattern.",
    )
    parser.add_argument(
        "--records", type=int, default=10, metavar="N", help="records in the shard"
    )
    parser.add_argument(
        "--batch-size", type=int, default=10, metavar="N", help="BatchSize"
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        metavar="N",
        help="MaximumRetryAttempts (-1 for unlimited)",
    )
    parser.add_argument(
        "--fail-position",
        type=int,
        action="append",
        metavar="P",
        help="the P-th record of every batch fails (repeatable; default 4)",
    )
    parser.add_argument(
        "--fail-record",
        action="append",
        metavar="SEQ",
        help="the record with this sequence number fails (repeatable)",
    )
    parser.add_argument(
        "--fails-first",
        type=int,
        metavar="K",
        help="failing records fail only their first K processings (default: always)",
    )
    parser.add_argument(
        "--style",
        choices=[
            style.value for style in ResponseStyle if style is not ResponseStyle.RAW
        ],
        default=ResponseStyle.REPORT_FIRST.value,
        help="handler of the custom-checkpoint modes (the others throw)",
    )
    parser.add_argument(
        "--no-destination",
        action="store_true",
        help="no on-failure destination (discarded records are lost)",
    )
    parser.add_argument("--source", choices=["kinesis", "dynamodb"], default="dynamodb")
    parser.add_argument(
        "--step-limit",
        type=int,
        default=DEFAULT_STEP_LIMIT,
        metavar="N",
        help="steps before a run is reported blocked",
    )
    parser.add_argument(
        "--out", metavar="DIR", help="write compare.md, .html, .svg and .json into DIR"
    )
    parser.add_argument("--svg", metavar="FILE", help="write the bar chart to FILE")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("-q", "--quiet", action="store_true")
    return parser


def _check_numbers(args: argparse.Namespace) -> None:
    """Refuse numbers outside what Lambda or a scenario file accepts, so that a run
    stays bounded (``--records 100000000`` would not finish) and means something."""
    from model.scenario_file import MAX_RECORDS, MAX_STEP_LIMIT, check_run_size

    ranges = [
        ("--records", args.records, 1, MAX_RECORDS, "the records of a scenario file"),
        ("--batch-size", args.batch_size, 1, 10_000, "BatchSize"),
        ("--retries", args.retries, -1, 10_000, "MaximumRetryAttempts"),
        ("--step-limit", args.step_limit, 1, MAX_STEP_LIMIT, "steps of a run"),
    ]
    ranges += [
        ("--fail-position", position, 1, 10_000, "a position in a batch")
        for position in args.fail_position or ()
    ]
    if args.fails_first is not None:
        ranges.append(("--fails-first", args.fails_first, 0, 10_000, "processings"))
    for option, value, low, high, what in ranges:
        if not low <= value <= high:
            raise InvalidInput(
                f"must be {low}..{high:,} ({what}), got {value:,}", field=option
            )
    check_run_size(args.records, args.step_limit, field="--step-limit")


def _check_paths(args: argparse.Namespace) -> None:
    """``--svg`` into a folder that exists; ``--out`` not empty."""
    if args.svg is not None:
        svg = Path(args.svg)
        if not args.svg or svg.is_dir():
            raise InvalidInput("give a file name for the chart", field="--svg")
        if not svg.parent.is_dir():
            raise InvalidInput(
                f"the folder {svg.parent} does not exist; create it or give "
                "another path",
                field="--svg",
            )
    if args.out is not None and not args.out.strip():
        raise InvalidInput("give a folder name", field="--out")


def _pattern(args: argparse.Namespace) -> Pattern:
    positions = tuple(args.fail_position or ())
    records = tuple(args.fail_record or ())
    if not positions and not records:
        positions = (4,)
    _check_numbers(args)
    return Pattern(
        records=args.records,
        batch_size=args.batch_size,
        retries=args.retries,
        fail_positions=positions,
        fail_records=records,
        fails_first=args.fails_first,
        style=ResponseStyle(args.style),
        destination=not args.no_destination,
        source=args.source,
        step_limit=args.step_limit,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison; exit status 0, or 2 on bad input."""
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    reporter = Reporter(Verbosity.QUIET if args.quiet else Verbosity.NORMAL)
    try:
        _check_paths(args)
        pattern = _pattern(args)
        costs = compare(pattern)
        chart = chart_svg(
            costs, title="What each mode costs", subtitle=pattern.describe()
        )
        if args.svg:
            write_text_atomically(args.svg, chart + "\n", option="--svg")
        if args.out:
            files = {
                "compare.svg": chart + "\n",
                "compare.md": render_compare_md(costs, pattern),
                "compare.html": render_compare_html(costs, pattern, chart),
                "compare.json": json.dumps(_document(costs, pattern), indent=2) + "\n",
            }
            # As verify --out: a folder of someone else's files is refused, and
            # the reports appear whole or not at all.
            with staged_directory(args.out, option="--out") as staging:
                for name, text in files.items():
                    (staging / name).write_text(text, encoding="utf-8")
    except InvalidInput as error:
        option = _OPTIONS.get(error.field or "")
        text = f"{option}: {error.message}" if option else error.one_line()
        reporter.error(f"error: {text}")
        return 2
    try:
        _print(reporter, args, costs, pattern)
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as other tools do.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    return 0


def _print(
    reporter: Reporter,
    args: argparse.Namespace,
    costs: list[ModeCost],
    pattern: Pattern,
) -> None:
    if args.json:
        print(json.dumps(_document(costs, pattern), indent=2))
        return
    reporter.note(f"Failure pattern: {pattern.describe()}.")
    reporter.result(format_table(TABLE_HEADERS, table_rows(costs)))
    for cost in costs:
        reporter.note(f"  {cost.mode}: {' '.join(cost.batches)}")
    if args.svg:
        reporter.note(f"written: {args.svg}")
    if args.out:
        reporter.note(f"written: {Path(args.out) / 'compare.html'}")


def _document(costs: list[ModeCost], pattern: Pattern) -> dict[str, object]:
    return {
        "pattern": {**asdict(pattern), "style": pattern.style.value},
        "description": pattern.describe(),
        "modes": [
            {**asdict(cost), "deliveries_per_record": cost.deliveries_per_record}
            for cost in costs
        ],
    }
