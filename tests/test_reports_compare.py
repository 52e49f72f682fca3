"""Tests of ``python -m checks.verify compare``: the cost of each mode, worked by hand.

Counts follow semantics.md: R3 (whole-batch retry), R5 (bisect with ceil(n/2), lower
half first), R6/R7 (custom checkpoint), R8 (both on: a partial response is cut, not
halved).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checks.reports.compare import Pattern, compare
from checks.verify import main as verify_main


def _by_mode(pattern: Pattern | None = None) -> dict[str, tuple[int, int, int]]:
    return {
        cost.mode: (cost.invocations, cost.deliveries, cost.redelivered)
        for cost in compare(pattern)
    }


def test_the_articles_pattern() -> None:
    # The 4th record of every batch fails; 10 records, BatchSize 10, 2 retries.
    # Whole batch: [1..10] three times = 30 deliveries; 1..3 succeed the first time
    # and come twice more: 6 deliveries of already processed records.
    # Bisect: [1..10] (4 fails) -> [1..5] (4 fails) -> [1..3] ok, [4,5] ok (no 4th
    # record); [6..10] (9 fails) -> [6..8] ok, [9,10] ok: 7 invocations, every
    # record in 3 batches = 30; already processed: 1..3 in [1..5] and [1..3] (6),
    # 6..8 in [6..8] (3) = 9.
    # Custom checkpoint: [1..10] [4..10] [7..10] [10] = 22 deliveries, no record
    # that succeeded comes again; with bisect too the same (the handler never
    # throws, and a partial response is cut, not halved).
    assert _by_mode() == {
        "whole batch": (3, 30, 6),
        "bisect": (7, 30, 9),
        "custom checkpoint": (4, 22, 0),
        "bisect + custom checkpoint": (4, 22, 0),
    }
    costs = {cost.mode: cost for cost in compare()}
    assert costs["whole batch"].discarded == 10
    assert costs["bisect"].batches == [
        "[1..10]",
        "[1..5]",
        "[1..3]",
        "[4, 5]",
        "[6..10]",
        "[6..8]",
        "[9, 10]",
    ]


def test_record_five_poison_matches_the_bisect_walkthrough() -> None:
    # semantics.md walkthrough 3 under bisect: 9 invocations, record 4 four times.
    pattern = Pattern(fail_positions=(), fail_records=("5",))
    costs = {cost.mode: cost for cost in compare(pattern)}
    assert costs["bisect"].invocations == 9
    assert costs["bisect"].discarded == 1
    # Whole batch: three invocations of [1..10], then all ten discarded.
    assert costs["whole batch"].invocations == 3
    # Custom checkpoint: [1..10] -> 5 with a fresh budget; [5..10] reported at 5
    # does not move the checkpoint, so each counts (R7): MaximumRetryAttempts + 1
    # = 3 invocations of [5..10], then 5..10 are discarded.
    assert costs["custom checkpoint"].batches == [
        "[1..10]",
        "[5..10]",
        "[5..10]",
        "[5..10]",
    ]
    assert costs["custom checkpoint"].discarded == 6


def test_command_prints_the_table_and_writes_the_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart = tmp_path / "chart.svg"
    out = tmp_path / "out"
    status = verify_main(["compare", "--svg", str(chart), "--out", str(out)])
    assert status == 0
    text = capsys.readouterr().out
    lines = {line.split("  ")[0]: line.split() for line in text.splitlines()}
    assert lines["whole batch"][2] == "3"
    assert lines["bisect"][1] == "7"
    root = ET.parse(chart).getroot()
    bars = [g for g in root.iter("{http://www.w3.org/2000/svg}g")]
    assert len(bars) == 12  # four modes, three measures
    assert sorted(path.name for path in out.iterdir()) == [
        ".shardcheck-reports",
        "compare.html",
        "compare.json",
        "compare.md",
        "compare.svg",
    ]
    document = json.loads((out / "compare.json").read_text())
    assert [mode["invocations"] for mode in document["modes"]] == [3, 7, 4, 4]


def test_command_options_choose_another_pattern(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # 6 records, BatchSize 3, record 6 always fails, 3 retries, report_first: the
    # recorded R7 case for custom checkpoint: [1..3], [4..6], then [6] four times.
    status = verify_main(
        [
            "compare",
            "--records",
            "6",
            "--batch-size",
            "3",
            "--retries",
            "3",
            "--fail-record",
            "6",
            "--json",
        ]
    )
    assert status == 0
    document = json.loads(capsys.readouterr().out)
    custom = document["modes"][2]
    assert custom["batches"] == ["[1..3]", "[4..6]", "[6]", "[6]", "[6]", "[6]"]
    assert custom["deliveries"] == 3 + 3 + 4


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--batch-size", "0"], "--batch-size"),
        (["--retries", "-2"], "--retries"),
        (["--fail-record", "11"], "--fail-record"),
        (["--fail-position", "0"], "--fail-position"),
        (["--style", "shout"], "--style"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) if arguments[0] == "--style" else _no_raise():
        status = verify_main(["compare", *arguments])
        assert status == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1


class _no_raise:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return False
