"""The explorer's part of ``python -m checks.verify``: the verdict table.

It explores the default matrix (or the mappings of ``--config``), checks every
property, compares each verdict and state count with the manifest, replays every
counterexample in the simulator, and sets the proofs' all-sizes results beside the
bounded verdicts.  JSON: ``verdicts`` and ``explorer`` keys of the document.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from checks.counterexample import Counterexample
from checks.explore.counterexamples import ReplayMismatch, counterexample
from checks.explore.formulas import never_retried
from checks.explore.graph import Exploration, ExplorationTooLarge
from checks.explore.manifest import expected, pinned
from checks.explore.matrix import Cell, cells_for_mapping, default_matrix, explore_cell
from checks.explore.properties import PROPERTIES
from checks.explore.verdicts import Verdict, check_all
from checks.reporting import format_table
from checks.text import render_trace
from model.handler import ResponseStyle
from model.scenario_file import scenario_to_dict

__all__ = ["register", "run_explorer", "proved_bound", "SHORT_NAMES", "MAX_STATES"]

#: States one configuration may have before it is reported as too large to check.
MAX_STATES = 200_000

#: Column headings of the verdict table.
SHORT_NAMES = {
    "no_silent_loss": "loss",
    "checkpoint_safety": "ckpt",
    "minimum_checkpoint": "min-ckpt",
    "progress": "progress",
    "bounded_deliveries": "deliveries",
    "no_redelivery_of_successes": "redeliver",
    "order": "order",
    "bisect_isolates_poison": "isolate",
}


def register(sections: dict[str, Any]) -> None:
    """Add the explorer's part to the main job."""
    sections["explore"] = run_explorer


def _cells(run: Any) -> tuple[list[Cell], bool]:
    """The cells to check, and whether they come from the default matrix."""
    if not run.args.config:
        return default_matrix(), True
    from checks.configs import load_mappings_for_cli

    cells = []
    for label, mapping in load_mappings_for_cli(run.args.config):
        cells.extend(cells_for_mapping(label, mapping))
    return cells, False


def run_explorer(run: Any) -> None:
    """Explore, check, compare and report (the ``explore`` section)."""
    reporter = run.reporter
    cells, is_matrix = _cells(run)
    started = time.monotonic()
    rows = []
    documents = []
    total_states = total_edges = deepest = 0
    try:
        for index, cell in enumerate(cells):

            def progress(
                states: int, unique: int, depth: int, rate: float, cell: Cell = cell
            ) -> None:
                if time.monotonic() - started > 1.0:
                    reporter.progress(
                        f"explore {cell.label}: {states} states expanded, {unique} "
                        f"unique, depth {depth}, {rate:.0f} states/s"
                    )

            try:
                exploration = explore_cell(
                    cell, progress=progress, max_states=MAX_STATES
                )
            except ExplorationTooLarge as error:
                run.fail(f"{cell.label}: not checked: {error}")
                continue
            total_states += exploration.states
            total_edges += exploration.edges
            deepest = max(deepest, exploration.depth)
            verdicts = check_all(exploration)
            elapsed = time.monotonic() - started
            if elapsed > 1.0:
                reporter.progress(
                    f"explore: {index + 1}/{len(cells)} configurations, "
                    f"{total_edges} steps, {total_states} unique states, depth "
                    f"{deepest}, {total_edges / elapsed:.0f} steps/s"
                )
            rows.append(_row(run, cell, exploration, verdicts))
            for verdict in verdicts:
                documents.append(_document(cell, exploration, verdict))
                _compare(run, cell, exploration, verdict, is_matrix)
                if verdict.verdict == "fails":
                    _counterexamples(run, cell, exploration, verdict, is_matrix)
    except KeyboardInterrupt:
        # Ctrl-C: show what was checked so far, then let the main job stop.
        _interrupted(run, cells, rows, total_states, time.monotonic() - started)
        raise
    for example in run.counterexamples if getattr(run.args, "out", None) else ():
        # Written only once every cell is checked, so an interrupted run leaves
        # nothing behind in --out.
        _write_scenario(Path(run.args.out), example)
    elapsed = time.monotonic() - started
    run.document["verdicts"] = documents
    run.document["explorer"] = {
        "properties": [
            {
                "name": prop.name,
                "statement": prop.statement,
                "fairness": prop.fairness,
                "twin": prop.twin,
            }
            for prop in PROPERTIES
        ],
        "configurations": len(cells),
        "states": total_states,
        "seconds": round(elapsed, 2),
        "counterexamples": [_counterexample_json(c) for c in run.counterexamples],
    }
    if not run.args.json:
        _print(run, cells, rows, total_states, elapsed)


def _row(
    run: Any, cell: Cell, exploration: Exploration, verdicts: list[Verdict]
) -> list:
    cells = []
    for verdict in verdicts:
        text = verdict.verdict
        if verdict.property_name == "bounded_deliveries":
            text = str(verdict.value) if verdict.value is not None else "unbounded"
            if verdict.verdict != "holds":
                text += "!"
            elif _below_proved_bound(run, cell, verdict.value):
                text += f" (kinds: {_kinds(cell)})"
        cells.append(text)
    return [cell.label, exploration.states, *cells, _all_sizes(run, cell, verdicts)]


def _kinds(cell: Cell) -> str:
    return ", ".join(name.replace("_", " ") for name in cell.space.kinds)


def proved_bound(key: str, mapping: Any, records: int) -> int | None:
    """The delivery bound a ``bound-*`` proof gives for ``mapping`` on ``records``.

    >>> from model.config import MappingConfig
    >>> proved_bound("bound-custom-checkpoint",
    ...              MappingConfig(batch_size=4, maximum_retry_attempts=2), 6)
    12
    """
    from checks.proofs.bounds import ceil_log2

    if not mapping.retries_are_finite:
        return None
    size = min(mapping.batch_size, records)
    retries = mapping.maximum_retry_attempts
    bounds = {
        "bound-whole-batch": retries + 1,
        "bound-bisect": ceil_log2(size) + retries + 1,
        "bound-custom-checkpoint": size * (retries + 1),
    }
    return bounds.get(key)


def _below_proved_bound(run: Any, cell: Cell, value: int | None) -> bool:
    """Whether a proved all-sizes bound is higher than the explored maximum.

    The proofs' bounds are reached by records failing up to R + 1 times; the
    explorer's failure space has fewer kinds, so its maximum can be lower.
    """
    mapping = cell.settings.mapping
    if (
        value is None
        or cell.style in (ResponseStyle.THROW, ResponseStyle.RAW)
        or never_retried(cell.style, mapping.report_batch_item_failures)
    ):
        # the handler's responses, not the kinds, keep it below: a throwing
        # handler is retried whole, the others here read as success
        return False
    for proof in _applicable(run, cell, "bounded_deliveries"):
        bound = proved_bound(proof.key, cell.settings.mapping, cell.records)
        if proof.result == "proved" and bound is not None and bound > value:
            return True
    return False


def _applicable(run: Any, cell: Cell, name: str) -> list[Any]:
    mapping = cell.settings.mapping
    found = []
    for proof in run.proofs:
        if getattr(proof, "property_name", None) != name:
            continue
        try:
            if proof.applies_to(mapping, cell.style):
                found.append(proof)
        except Exception as error:  # a proof object we cannot ask: say so, go on
            run.fail(f"proof {getattr(proof, 'statement', proof)!r}: {error}")
    return found


def _all_sizes(run: Any, cell: Cell, verdicts: list[Verdict]) -> str:
    """The proofs that apply to the row, and any disagreement with the explorer."""
    if not run.proofs:
        return "-"
    parts: dict[str, int] = {}
    for verdict in verdicts:
        for proof in _applicable(run, cell, verdict.property_name):
            short = SHORT_NAMES[verdict.property_name]
            label = f"{short}:{proof.result}"
            parts[label] = parts.get(label, 0) + 1
            disagrees = (
                verdict.verdict == "fails"
                and proof.result == "proved"
                and proof.expected == "holds"
            ) or (
                verdict.verdict in ("holds", "vacuous")
                and proof.result == "counterexample"
                and proof.expected == "fails"
            )
            if disagrees:
                run.fail(
                    f"{cell.label}: the explorer says {verdict.property_name} "
                    f"{verdict.verdict}, but the proof '{proof.statement}' "
                    f"({proof.result}) says otherwise"
                )
    # two proofs of one property with one result are one label with a count
    merged = [
        label if count == 1 else f"{label}({count})" for label, count in parts.items()
    ]
    return " ".join(merged) or "none"


def _compare(
    run: Any, cell: Cell, exploration: Exploration, verdict: Verdict, is_matrix: bool
) -> None:
    name = verdict.property_name
    if not is_matrix:
        if run.args.strict and verdict.verdict == "fails":
            run.fail(f"{cell.label}: {name} fails ({verdict.detail})")
        return
    expectation = expected(cell, name)
    if expectation is not None and expectation.verdict != verdict.verdict:
        run.fail(
            f"{cell.label}: {name} {verdict.verdict}, the manifest expects "
            f"{expectation.verdict} ({expectation.why})"
        )
    pins = pinned(cell)
    if pins is None:
        run.fail(f"{cell.label}: no state count pinned in the manifest")
        return
    if name == "checkpoint_safety" and pins["states"] != exploration.states:
        run.fail(
            f"{cell.label}: {exploration.states} states, the manifest pins "
            f"{pins['states']}"
        )
    if name == "bounded_deliveries" and pins["bounded_deliveries"] != verdict.value:
        run.fail(
            f"{cell.label}: at most {verdict.value} deliveries, the manifest pins "
            f"{pins['bounded_deliveries']}"
        )


def _counterexamples(
    run: Any, cell: Cell, exploration: Exploration, verdict: Verdict, is_matrix: bool
) -> None:
    for number, path in enumerate(verdict.paths):
        name = f"{cell.label}:{verdict.property_name}"
        if len(verdict.paths) > 1:
            name += f":{number + 1}"
        try:
            example = counterexample(exploration, verdict, path, cell.label, name)
        except ReplayMismatch as error:
            run.fail(f"replay of {name} left the explorer's path: {error}")
            continue
        run.counterexamples.append(example)


def _interrupted(
    run: Any, cells: list[Cell], rows: list[list], states: int, elapsed: float
) -> None:
    """The verdict table of the cells checked before an interrupt, and a summary."""
    if rows and not run.args.json:
        _print(run, cells[: len(rows)], rows, states, elapsed)
    out = getattr(run.args, "out", None)
    run.reporter.error(
        f"explore: interrupted after {len(rows)} of {len(cells)} configurations "
        f"({states} states, {elapsed:.1f} s)"
        + (f"; nothing was written to {out}" if out else "")
    )


def _file_name(example: Counterexample) -> str:
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", example.scenario.name) + ".json"


def _write_scenario(out: Path, example: Counterexample) -> None:
    import json

    folder = out / "explorer"
    folder.mkdir(parents=True, exist_ok=True)
    steps = len(example.trace.transitions)
    data = scenario_to_dict(example.scenario, step_limit=max(steps, 1))
    # A temporary file moved into place: an interrupt never leaves half a file.
    path = folder / _file_name(example)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(temporary, path)


def _document(cell: Cell, exploration: Exploration, verdict: Verdict) -> dict:
    entry: dict[str, Any] = {
        "configuration": cell.label,
        "property": verdict.property_name,
        "verdict": verdict.verdict,
        "states": exploration.states,
        "detail": verdict.detail,
    }
    if verdict.value is not None:
        entry["value"] = verdict.value
    expectation = expected(cell, verdict.property_name)
    if expectation is not None:
        entry["expected"] = expectation.verdict
        entry["why_expected"] = expectation.why
    if cell.notes:
        entry["notes"] = list(cell.notes)
    return entry


def _counterexample_json(example: Counterexample) -> dict[str, Any]:
    steps = len(example.trace.transitions)
    return {
        "configuration": example.configuration,
        "property": example.property_name,
        "verdict": example.verdict,
        "explanation": example.explanation,
        "fairness": example.fairness,
        "loop_start": example.loop_start,
        "scenario": scenario_to_dict(example.scenario, step_limit=max(steps, 1)),
        "replay": example.replay_command(f"explorer/{_file_name(example)}"),
        "trace": example.trace.to_json(),
    }


def _print(
    run: Any, cells: list[Cell], rows: list[list], states: int, elapsed: float
) -> None:
    reporter = run.reporter
    reporter.note("== explorer: every property on every configuration")
    for prop in PROPERTIES:
        reporter.note(f"   {SHORT_NAMES[prop.name]} = {prop.name}: {prop.statement}")
        reporter.note(f"      assumes: {prop.fairness}")
        reporter.detail(f"      not vacuous when reachable: {prop.twin}")
    headers = [
        "configuration",
        "states",
        *(SHORT_NAMES[prop.name] for prop in PROPERTIES),
        "all sizes",
    ]
    reporter.result(format_table(headers, rows))
    reporter.note(
        f"   {len(cells)} configurations, {states} states in {elapsed:.1f} s; "
        "deliveries = the most deliveries of one record ('!' marks a fail); "
        "vacuous = holds only because its situation is never reached; "
        "'(2)' = two proofs of that property with that result"
    )
    if any("(kinds:" in str(part) for row in rows for part in row):
        reporter.note(
            "   deliveries 'N (kinds: ...)': the most for the explored failure kinds; "
            "the proved all-sizes bound (whole batch R+1, bisect ceil(log2 B)+R+1, "
            "custom checkpoints B(R+1)) needs records failing up to R+1 times "
            "(and a handler that reports its first failure), which the explorer "
            "does not try (docs/explorer.md)"
        )
    notes = sorted({note for cell in cells for note in cell.notes})
    for note in notes:
        reporter.note(f"   note: {note}")
    examples = run.counterexamples
    show = run.args.config or reporter.verbosity >= 2
    if show:
        seen = set()
        for example in examples:
            key = (example.configuration, example.property_name)
            if key in seen:
                continue
            seen.add(key)
            reporter.note()
            reporter.note(
                f"-- {example.property_name} fails on {example.configuration}: "
                f"{example.explanation}"
            )
            if example.fairness and example.property_name == "progress":
                reporter.note(f"   assuming: {example.fairness}")
            reporter.note(render_trace(example.trace.to_json()))
            if example.loop_start is not None:
                reporter.note(
                    f"   the loop starts at step {example.loop_start + 1} and "
                    "repeats forever"
                )
            command = example.replay_command("explorer/" + _file_name(example))
            where = "" if run.args.out else " (write it with --out DIR)"
            reporter.note(f"   replay: {command}{where}")
    reporter.result()
