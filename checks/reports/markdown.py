"""``report.md``: one walkthrough or verdict as Markdown a person reads top to bottom.

The configuration, the property in English, the verdict and its explanation, then
the trace step by step (invocation number, batch, handler response, outcome,
checkpoint and iterator before and after, retries used and left, and why), what
became of each record, and the files next to the report.
"""

from __future__ import annotations

from collections.abc import Sequence

from checks.reports.content import (
    RETRIES_HEADER,
    RETRIES_NOTE,
    Step,
    Subject,
    steps_of,
)
from checks.reports.tables import configuration_rows, destination_rows, record_rows
from checks.text import span

__all__ = [
    "render_markdown",
    "markdown_table",
    "step_row",
    "REPORT_FILES",
    "STEP_HEADERS",
]

#: The columns of the step table, in Markdown and in HTML.
STEP_HEADERS = [
    "#",
    "batch",
    "handler response",
    "outcome",
    "checkpoint",
    "iterator",
    RETRIES_HEADER,
    "why",
]

#: The files of one report folder, with what each holds.
REPORT_FILES = {
    "report.html": "this report as one page with the timeline",
    "graph.svg": "the states around the trace",
    "trace.json": "the trace for machines (the shape of --json)",
    "trace.itf.json": "the trace in Apalache's Informal Trace Format",
    "scenario.json": "the scenario, to replay with --scenario",
}


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table; pipes in cells are escaped.

    >>> print(markdown_table(["a", "b"], [[1, "x|y"]]))
    | a | b |
    |---|---|
    | 1 | x\\|y |
    """
    lines = [
        "| " + " | ".join(_cell(header) for header in headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def step_row(step: Step) -> list[object]:
    """The cells of one step, in the order of ``STEP_HEADERS``."""
    number = step.number if step.is_invocation else "-"
    if step.in_loop:
        number = f"{number} ↻"
    return [
        number,
        span(step.batch) if step.is_invocation else f"expired {span(step.batch)}",
        step.response,
        step.outcome,
        f"{step.checkpoint_before} → {step.checkpoint_after}",
        f"{step.iterator_before} → {step.iterator_after}",
        step.retries,
        f"{step.why} [{', '.join(step.rules)}]",
    ]


def render_markdown(subject: Subject, *, with_files: bool = True) -> str:
    """The Markdown report of a subject.

    Examples
    --------
    >>> from model.simulator import simulate
    >>> from model.walkthroughs import walkthrough
    >>> from checks.reports.content import subject_from_trace
    >>> trace = simulate(walkthrough("article-custom-once"))
    >>> text = render_markdown(subject_from_trace(trace))
    >>> "| 2 | [6..10] |" in text
    True
    """
    steps = steps_of(subject)
    document = subject.trace.to_json()
    lines = [f"# {subject.title}", ""]
    lines += [f"**Verdict: {subject.verdict}.** {subject.explanation}", ""]

    lines += ["## Configuration", ""]
    lines += [markdown_table(["setting", "value"], configuration_rows(subject)), ""]

    lines += ["## Property", ""]
    if subject.kind == "walkthrough":
        lines.append(f"Walkthrough: {subject.statement}")
    else:
        lines.append(f"`{subject.property_name}`: {subject.statement}")
        if subject.fairness:
            lines += ["", f"Fairness assumed: {subject.fairness}"]
    lines.append("")

    lines += ["## Steps", ""]
    if subject.is_lasso:
        first = (subject.loop_start or 0) + 1
        lines += [
            f"This is a lasso: steps {first} to {len(steps)} (marked ↻) repeat "
            "forever, so the trace never ends.",
            "",
        ]
    lines += [RETRIES_NOTE, ""]
    lines += [markdown_table(STEP_HEADERS, [step_row(step) for step in steps]), ""]

    lines += ["## Records", ""]
    lines += [
        markdown_table(
            ["record", "deliveries", "processed", "how it ended"], record_rows(subject)
        ),
        "",
    ]
    if document["discarded"] or document["destination_records"]:
        lines += ["## Discards and destination records", ""]
        for batch in document["discarded"]:
            lines.append(f"- discarded: {span(batch)}")
        for batch in document["trimmed"]:
            lines.append(f"- trimmed by retention: {span(batch)}")
        rows = destination_rows(document)
        if rows:
            lines += [
                "",
                markdown_table(
                    ["condition", "records", "batchSize", "approximateInvokeCount"],
                    rows,
                ),
            ]
        lines.append("")
    notes = list(subject.notes) + [
        note for note in document["notes"] if note not in subject.notes
    ]
    if notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in notes] + [""]
    if with_files:
        lines += ["## Files", ""]
        lines += [f"- [{name}]({name}): {what}" for name, what in REPORT_FILES.items()]
        lines += [
            "",
            "Replay: `python -m checks.verify --scenario scenario.json`",
            "",
        ]
    return "\n".join(lines)
