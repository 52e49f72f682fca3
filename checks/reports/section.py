"""The ``reports`` part of ``python -m checks.verify``: with ``--out DIR``, write them.

It runs after every other part, so it sees all walkthrough traces, every
counterexample the explorer and the proofs left on the run, and the verdict table;
without ``--out`` it does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

from checks.reports.write import write_reports

__all__ = ["register", "run_reports", "OTHER_PARTS"]

#: What other parts of the main job write into ``--out DIR`` themselves (the
#: explorer's replayable scenario files); the reports keep them.
OTHER_PARTS = ("explorer", "proofs")


def run_reports(run: Any) -> None:
    """Write the run's reports into ``--out DIR`` and say where the index is."""
    directory = getattr(run.args, "out", None)
    if not directory:
        return
    explorer = run.document.get("explorer") or {}
    rows = write_reports(
        directory,
        traces=run.traces,
        counterexamples=run.counterexamples,
        verdicts=run.document.get("verdicts"),
        proofs=run.proofs,
        carry=OTHER_PARTS,
        properties=explorer.get("properties"),
        cells=_explorer_cells(run) if "verdicts" in run.document else {},
    )
    index = Path(directory) / "index.html"
    run.document["reports"] = {
        "directory": str(directory),
        "index": str(index),
        "reports": [row.link for row in rows if row.link],
    }
    if not run.args.json:
        run.reporter.note(f"reports: {len(rows)} rows, open {index}")


def _explorer_cells(run: Any) -> dict[str, Any]:
    """The explorer's configurations by label, so a vacuous verdict's report can
    show its settings; the same cells ``checks.explore.section`` checked."""
    try:
        from checks.explore.matrix import cells_for_mapping, default_matrix

        if not getattr(run.args, "config", None):
            return {cell.label: cell for cell in default_matrix()}
        from checks.configs import load_mappings_for_cli

        return {
            cell.label: cell
            for label, mapping in load_mappings_for_cli(run.args.config)
            for cell in cells_for_mapping(label, mapping)
        }
    except Exception:  # the settings are extra: the report names the label anyway
        return {}


def register(sections: MutableMapping[str, Callable[[Any], None]]) -> None:
    """Add the ``reports`` part; it must stay the last part, so it goes to the end."""
    sections.pop("reports", None)
    sections["reports"] = run_reports
