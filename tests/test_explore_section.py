"""The explorer's part of ``python -m checks.verify``: table, JSON, exit status."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from checks.explore.properties import PROPERTY_NAMES
from checks.explore.section import run_explorer
from checks.reporting import Reporter, Verbosity
from checks.verify import Run, build_parser, main
from model.config import MappingConfig
from model.handler import ResponseStyle

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


def test_json_lists_every_cell_and_property(capsys: pytest.CaptureFixture) -> None:
    # exit 0: every verdict, state count and delivery bound matches the manifest
    assert main(["--only", "explore", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    verdicts = document["verdicts"]
    assert all(v["verdict"] == v["expected"] for v in verdicts)
    # 4 modes x 5 limits x 6 styles, 8 properties each
    assert len(verdicts) == 4 * 5 * 6 * len(PROPERTY_NAMES)
    first = verdicts[0]
    assert {"configuration", "property", "verdict", "states"} <= set(first)
    assert {v["verdict"] for v in verdicts} == {"holds", "fails", "vacuous"}
    lasso = [
        c
        for c in document["explorer"]["counterexamples"]
        if c["loop_start"] is not None
    ]
    assert lasso and all(c["property"] in PROPERTY_NAMES for c in lasso)


def test_config_without_manifest_exits_0_and_strict_exits_1() -> None:
    path = str(EXAMPLES / "get-event-source-mapping.json")
    assert main(["--only", "explore", "-q", "--config", path]) == 0
    assert main(["--only", "explore", "-q", "--config", path, "--strict"]) == 1


def test_bad_config_exits_2(capsys: pytest.CaptureFixture) -> None:
    path = str(EXAMPLES / "bad-batch-size.json")
    assert main(["--only", "explore", "--config", path]) == 2
    assert "BatchSize" in capsys.readouterr().err


def test_out_writes_replayable_scenarios(tmp_path: Path) -> None:
    path = str(EXAMPLES / "get-event-source-mapping.json")
    assert (
        main(["--only", "explore", "-q", "--config", path, "--out", str(tmp_path)]) == 0
    )
    files = sorted((tmp_path / "explorer").glob("*.json"))
    assert files
    assert main(["--scenario", str(files[0]), "-q"]) == 0


@dataclass
class _Proof:
    property_name: str
    result: str
    expected: str
    statement: str

    def applies_to(self, mapping: MappingConfig, style: ResponseStyle) -> bool:
        return mapping.bisect_batch_on_function_error and style is ResponseStyle.THROW


@pytest.fixture(scope="module")
def proof_run() -> Run:
    """One run of the matrix beside two proofs: one agrees, one contradicts."""
    args = build_parser().parse_args(["-q"])
    run = Run(args, Reporter(Verbosity.QUIET, out=io.StringIO(), err=io.StringIO()))
    # bisect with a throwing handler delivers successes again (the halves): a
    # "proof" that it never does contradicts the bounded verdict
    run.proofs = [
        _Proof("no_redelivery_of_successes", "proved", "holds", "never again"),
        _Proof("bisect_isolates_poison", "proved", "holds", "alone"),
        _Proof("bisect_isolates_poison", "proved", "holds", "alone, counted"),
    ]
    run_explorer(run)
    return run


def test_a_proof_that_disagrees_is_an_error(proof_run: Run) -> None:
    assert any("never again" in reason for reason in proof_run.failed)
    assert "redeliver:proved" in proof_run.reporter.out.getvalue()


def test_agreeing_proofs_are_shown_without_errors(proof_run: Run) -> None:
    assert not any("alone" in reason for reason in proof_run.failed)
    assert "isolate:proved" in proof_run.reporter.out.getvalue()
    # rows the proofs do not apply to say so
    assert "report_all  " in proof_run.reporter.out.getvalue()


def test_two_proofs_with_one_result_are_one_label_with_a_count(
    proof_run: Run,
) -> None:
    # both isolate proofs apply to bisect/R2/throw and are proved: one label, "(2)"
    row = next(
        line
        for line in proof_run.reporter.out.getvalue().splitlines()
        if line.startswith("bisect/R2/throw ")
    )
    assert row.rstrip().endswith("isolate:proved(2)")
    assert "isolate:proved isolate:proved" not in proof_run.reporter.out.getvalue()


def test_without_proofs_the_column_is_a_dash(capsys: pytest.CaptureFixture) -> None:
    assert main(["--only", "explore", "-q"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert any(row.startswith("bisect+custom/R2/report_first ") for row in rows)
    assert all(row.rstrip().endswith("-") for row in rows[2:-1] if row.strip())
    assert "== explorer" not in "\n".join(rows)  # headings are notes, hidden by -q


def test_the_cloudformation_example_agrees_with_the_proofs() -> None:
    # Its kinesis mapping has MaximumRetryAttempts 0: nothing is ever redelivered,
    # so "vacuous" is right and the whole-batch redelivery counterexample (which
    # needs a retry) must not be set against it.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "checks.verify",
            "--config",
            "docs/examples/cloudformation-template.json",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert "FAILED" not in done.stdout + done.stderr


def test_safety_counterexamples_are_cut_not_blocked(
    capsys: pytest.CaptureFixture,
) -> None:
    # A counterexample to a safety property ends where it breaks the property;
    # the mapping has finite retries, so nothing in it is blocked.
    path = Path(__file__).resolve().parent.parent / "docs/examples"
    status = main(
        ["--config", str(path / "get-event-source-mapping.json"), "--only", "explore"]
    )
    out = capsys.readouterr().out
    assert status == 0
    section = out.split("-- no_redelivery_of_successes fails on ")[1]
    section = section.split("-- ")[0]
    assert "blocked" not in section and "waits" not in section
