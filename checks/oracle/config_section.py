"""The "findings" part of ``python -m checks.verify --config FILE``.

For each mapping of the file it prints what the settings do with a failing record,
in the user's terms (``checks.configs.findings``), and adds them to the JSON document
under ``"findings"``.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from checks.configs import findings, labelled_mappings

__all__ = ["register", "run_findings"]


def run_findings(run: Any) -> None:
    """Print the findings of every mapping of ``run.args.config``, if given."""
    if not getattr(run.args, "config", None):
        return
    documents = []
    noted: set[int] = set()
    for label, config, loaded in labelled_mappings(run.args.config):
        lines = findings(config)
        documents.append(
            {
                "mapping": label,
                "settings": config.describe(),
                "source_known": loaded.source_known,
                "findings": lines,
                "notes": list(loaded.notes),
            }
        )
        if run.args.json:
            continue
        run.reporter.result(f"findings for {label} ({config.describe()}):")
        for line in lines:
            run.reporter.result(f"  - {line}")
        # A mapping of unknown source is listed twice ([kinesis], [dynamodb]):
        # its notes are said once, under the first.
        if id(loaded) not in noted:
            noted.add(id(loaded))
            unknown = label != loaded.name  # listed once per kind
            said = False
            for note in loaded.notes:
                if unknown and note.endswith("the source is not known"):
                    note += " (Kinesis or DynamoDB): both kinds are checked"
                    said = True
                run.reporter.note(f"  note: {note}")
            if unknown and not said:
                run.reporter.note(
                    "  note: the file does not say whether this mapping reads "
                    "Kinesis or DynamoDB, so both kinds are checked"
                )
        run.reporter.result()
    run.document["findings"] = documents


def register(sections: MutableMapping[str, Callable[[Any], None]]) -> None:
    """Add the "findings" part to the main job's sections."""
    sections["findings"] = run_findings
