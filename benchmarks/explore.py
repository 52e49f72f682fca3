"""Benchmark the explorer: state counts, time and memory as the shard grows.

For N = B = 4, 6, 8, 10, 12 (records and batch size), every record good, failing
once or poison, MaximumRetryAttempts 2, unbounded retention, it explores each mode
(whole batch with a throwing handler, bisect with a throwing handler, custom
checkpoints with a handler that reports its first failure) and checks every
property.  Run: ``python benchmarks/explore.py [--sizes 4 6 8] [--no-memory]``.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checks.explore.graph import Reductions  # noqa: E402
from checks.explore.matrix import Cell, explore_cell  # noqa: E402
from checks.explore.space import FailureSpace  # noqa: E402
from checks.explore.verdicts import check_all  # noqa: E402
from checks.reporting import format_table  # noqa: E402
from model.config import REPORT_BATCH_ITEM_FAILURES, MappingConfig, Settings, Timing  # noqa: E402  # noqa: E402
from model.handler import ResponseStyle  # noqa: E402

__all__ = ["benchmark_cell", "main"]

MODES = {
    "whole": ({}, ResponseStyle.THROW),
    "bisect": ({"bisect_batch_on_function_error": True}, ResponseStyle.THROW),
    "custom": (
        {"function_response_types": (REPORT_BATCH_ITEM_FAILURES,)},
        ResponseStyle.REPORT_FIRST,
    ),
}


def benchmark_cell(mode: str, size: int) -> Cell:
    """The cell of ``mode`` with ``size`` records in one batch of ``size``."""
    changes, style = MODES[mode]
    mapping = MappingConfig(
        batch_size=size,
        maximum_retry_attempts=2,
        on_failure_destination="arn:aws:sqs:us-east-1:123456789012:failures",
        **changes,  # type: ignore[arg-type]
    )
    settings = Settings(mapping, Timing(10, 10, None))
    space = FailureSpace(("good", "fails_once", "poison"), style)
    return Cell(f"{mode}/N=B={size}", settings, size, space, mode, "R2")


def _measure(cell: Cell, memory: bool) -> tuple[int, int, float, float | None, str]:
    gc.collect()
    started = time.perf_counter()
    exploration = explore_cell(cell)
    verdicts = check_all(exploration)
    seconds = time.perf_counter() - started
    bound = next(v for v in verdicts if v.property_name == "bounded_deliveries")
    peak = None
    if memory:
        del exploration, verdicts
        gc.collect()
        tracemalloc.start()
        explore_cell(cell)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        return _counts(cell) + (seconds, peak, str(bound.value))
    return (
        exploration.states,
        exploration.edges,
        seconds,
        peak,
        str(bound.value),
    )


def _counts(cell: Cell) -> tuple[int, int]:
    exploration = explore_cell(cell)
    return exploration.states, exploration.edges


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 6, 8, 10, 12])
    parser.add_argument("--no-memory", action="store_true", help="skip tracemalloc")
    parser.add_argument(
        "--unreduced-up-to",
        type=int,
        default=6,
        metavar="N",
        help="also count states without any reduction for N <= this (default 6)",
    )
    args = parser.parse_args(argv)
    rows = []
    totals: dict[str, float] = {}
    for mode in MODES:
        for size in args.sizes:
            cell = benchmark_cell(mode, size)
            states, edges, seconds, peak, bound = _measure(cell, not args.no_memory)
            totals[mode] = totals.get(mode, 0.0) + seconds
            unreduced = "-"
            if size <= args.unreduced_up_to:
                plain = Reductions(lazy=False, canonical=False, project=False)
                unreduced = str(explore_cell(cell, plain, max_states=2_000_000).states)
            rows.append(
                [
                    mode,
                    size,
                    states,
                    unreduced,
                    edges,
                    f"{seconds:.2f}",
                    "-" if peak is None else f"{peak:.1f}",
                    bound,
                ]
            )
            print(f"  {mode} N=B={size}: {states} states", file=sys.stderr, flush=True)
    headers = [
        "mode",
        "N=B",
        "states",
        "unreduced",
        "edges",
        "seconds",
        "peak MiB",
        "deliveries",
    ]
    print(format_table(headers, rows))
    for mode, seconds in totals.items():
        print(f"{mode}: whole sweep {seconds:.2f} s (explore + check every property)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
