"""Traces as text a person reads in a terminal.

One block per scenario: what was run, then one row per step (invocation number,
batch, response, outcome, checkpoint and iterator before and after, retries) and the
sentence saying why, then the discards, destination records and losses.
"""

from __future__ import annotations

import json
from typing import Any

from checks.reporting import format_table

__all__ = ["render_trace", "span"]


def span(sequence_numbers: list[str]) -> str:
    """A batch written compactly: ``[1..10]``, ``[4, 5]`` or ``[6]``.

    >>> span(["1", "2", "3"]), span(["4", "5"]), span(["6"])
    ('[1..3]', '[4, 5]', '[6]')
    """
    if not sequence_numbers:
        return "[]"
    if len(sequence_numbers) <= 2:
        return "[" + ", ".join(sequence_numbers) + "]"
    return f"[{sequence_numbers[0]}..{sequence_numbers[-1]}]"


def _response(value: Any) -> str:
    """A response in a table cell; a well-formed failure list reads as its ids."""
    if isinstance(value, dict) and set(value) == {"batchItemFailures"}:
        entries = value["batchItemFailures"]
        if isinstance(entries, list) and all(
            isinstance(entry, dict)
            and set(entry) == {"itemIdentifier"}
            and isinstance(entry["itemIdentifier"], str)
            and entry["itemIdentifier"]
            for entry in entries
        ):
            named = ", ".join(entry["itemIdentifier"] for entry in entries)
            return f"batchItemFailures [{named}]"
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= 56 else text[:53] + "..."


#: A trace longer than HEAD_STEPS + TAIL_STEPS shows only its first and last steps.
HEAD_STEPS = 12
TAIL_STEPS = 3


def _omission(steps: list[dict[str, Any]]) -> str:
    """The line standing for the middle steps of a long trace ('' if none)."""
    hidden = (
        steps[HEAD_STEPS:-TAIL_STEPS] if len(steps) > HEAD_STEPS + TAIL_STEPS else []
    )
    if not hidden:
        return ""
    batches = {tuple(step.get("batch", ())) for step in hidden}
    what = "the same batch retried; " if len(batches) == 1 else ""
    return f"... {len(hidden)} steps omitted ({what}see --json or --out for all)"


def render_trace(document: dict[str, Any]) -> str:
    """The text form of one trace, from its JSON document (``Trace.to_json``).

    A trace of more than ``HEAD_STEPS + TAIL_STEPS`` steps shows its first
    ``HEAD_STEPS`` and last ``TAIL_STEPS`` and one line for the rest; the JSON
    document keeps every step.
    """
    lines = [f"== {document['name']} ({document['source']})"]
    if document.get("description"):
        lines.append(f"   {document['description']}")
    lines.append(f"   {document['configuration']}; {document['handler']}")

    rows = []
    whys = []
    steps = sorted(
        document["invocations"] + document["expiries"],
        key=lambda step: step.get("step", 0),
    )
    for step in steps:
        number = step.get("number", "-")
        rows.append(
            [
                number,
                span(step["batch"]) if "batch" in step else "(no invocation)",
                _response(step["response"]) if "batch" in step else "",
                step.get("outcome", "expired"),
                f"{step['checkpoint_before']} -> {step['checkpoint_after']}",
                f"{step['iterator_before']} -> {step['iterator_after']}",
                step.get("retries_before", ""),
            ]
        )
        whys.append(f"   {number}: {step['why']} [{', '.join(step['rules'])}]")
    headers = ["#", "batch", "response", "outcome", "checkpoint", "iterator", "retries"]
    omitted = _omission(steps)
    if omitted:
        # a long run is mostly one batch retried: show its start and its end
        rows = rows[:HEAD_STEPS] + rows[-TAIL_STEPS:]
        whys = whys[:HEAD_STEPS] + ["   " + omitted] + whys[-TAIL_STEPS:]
    table = format_table(headers, rows).splitlines()
    if omitted:
        table.insert(2 + HEAD_STEPS, omitted)
    lines.extend("   " + row for row in table)
    lines.append("   why:")
    lines.extend(whys)

    for discard in document["discarded"]:
        lines.append(f"   discarded: {span(discard)}")
    for record in document["destination_records"]:
        info = record.get("KinesisBatchInfo") or record.get("DDBStreamBatchInfo") or {}
        context = record["requestContext"]
        lines.append(
            "   destination record: "
            f"{context['condition']}, records {info.get('startSequenceNumber')}.."
            f"{info.get('endSequenceNumber')}, batchSize {info.get('batchSize')}, "
            f"approximateInvokeCount {context['approximateInvokeCount']}"
        )
    for sequence_number, cause in document["lost"].items():
        lines.append(f"   LOST record {sequence_number}: {cause}")
    for note in document["notes"]:
        lines.append(f"   note: {note}")
    lines.append(f"   final checkpoint: {document['final_checkpoint']}")
    return "\n".join(lines)
