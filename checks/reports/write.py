"""Write every report of a run into one folder, atomically, with an index.

``write_reports`` turns the run's walkthrough traces and counterexamples into one
folder each (``report.md``, ``report.html``, ``graph.svg``, ``trace.json``,
``trace.itf.json``, ``scenario.json``) under ``walkthroughs/`` and ``verdicts/``,
gives each vacuous verdict a folder too (``report.md``, ``report.html``,
``verdict.json``: it has no trace), adds ``index.html`` and ``index.md``, and moves
the whole tree into place at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from checks.counterexample import Counterexample
from checks.reports.atomic import staged_directory
from checks.reports.content import (
    Subject,
    subject_from_counterexample,
    subject_from_trace,
)
from checks.reports.graph import graph_svg
from checks.reports.html import render_html
from checks.reports.index import (
    IndexRow,
    proof_rows,
    render_index_html,
    render_index_md,
    verdict_rows,
)
from checks.reports.itf import trace_to_itf
from checks.reports.markdown import render_markdown
from checks.reports.vacuous import (
    VacuousVerdict,
    render_vacuous_html,
    render_vacuous_markdown,
    vacuous_document,
    vacuous_verdict,
)
from model.errors import InvalidInput
from model.simulator import Trace

__all__ = ["write_reports", "write_report_folder", "trace_document"]


def trace_document(subject: Subject) -> dict[str, Any]:
    """``trace.json``: ``Trace.to_json()`` plus the property, verdict and loop.

    >>> from model.simulator import simulate
    >>> from model.walkthroughs import walkthrough
    >>> subject = subject_from_trace(simulate(walkthrough("article-custom-once")))
    >>> document = trace_document(subject)
    >>> document["verdict"], len(document["invocations"])
    ('finished', 2)
    """
    document = subject.trace.to_json()
    document.update(
        kind=subject.kind,
        property=subject.property_name,
        statement=subject.statement,
        verdict=subject.verdict,
        verdict_configuration=subject.configuration,
        explanation=subject.explanation,
        fairness=subject.fairness,
        loop_start=subject.loop_start,
        loop_start_step=None if subject.loop_start is None else subject.loop_start + 1,
    )
    return document


def write_report_folder(folder: Path, subject: Subject) -> None:
    """Write the files of one report into ``folder`` (which must exist)."""
    files = {
        "report.md": render_markdown(subject),
        "report.html": render_html(subject),
        "graph.svg": '<?xml version="1.0" encoding="UTF-8"?>\n'
        + graph_svg(subject)
        + "\n",
        "trace.json": json.dumps(trace_document(subject), indent=2) + "\n",
        "trace.itf.json": json.dumps(trace_to_itf(subject), indent=2) + "\n",
    }
    try:
        from model.scenario_file import scenario_to_dict

        scenario = scenario_to_dict(subject.scenario, subject.trace.step_limit)
        files["scenario.json"] = json.dumps(scenario, indent=2) + "\n"
    except InvalidInput:
        # Shards not numbered 1..N cannot be written as a scenario file; the
        # report still stands on its own.
        pass
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}-{number}", number + 1
    taken.add(candidate)
    return candidate


def write_reports(
    directory: str | Path,
    *,
    traces: Sequence[Trace] = (),
    counterexamples: Sequence[Counterexample] = (),
    verdicts: Any = None,
    proofs: Iterable[Any] = (),
    option: str = "--out",
    carry: tuple[str, ...] = (),
    properties: Any = None,
    cells: Mapping[str, Any] | None = None,
) -> list[IndexRow]:
    """Write all reports and the index into ``directory``; return the index rows.

    ``carry`` names entries other parts of the run already wrote into
    ``directory``; they are kept (see ``staged_directory``).  A vacuous verdict
    of the table ``verdicts`` gets a report without a trace; ``properties`` (the
    explorer's list of ``{name, statement, fairness, twin}``) and ``cells`` (its
    configurations by label) tell it what the property and the configuration are.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from model.simulator import simulate
    >>> from model.walkthroughs import walkthrough
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "reports"
    >>> rows = write_reports(out, traces=[simulate(walkthrough("article-custom-once"))])
    >>> rows[0].link, (out / rows[0].link).exists()
    ('walkthroughs/article-custom-once/report.html', True)
    """
    rows: list[IndexRow] = verdict_rows(verdicts) if verdicts is not None else []
    rows += proof_rows(proofs)
    with staged_directory(directory, option=option, carry=carry) as staging:
        taken: set[str] = set()
        for counterexample in counterexamples:
            subject = subject_from_counterexample(counterexample)
            link = _write(staging, "verdicts", subject, taken)
            rows = _attach(rows, subject, link)
        for verdict in _vacuous(verdicts, properties, cells or {}):
            for index, row in enumerate(rows):
                if (
                    row.verdict == "vacuous"
                    and not row.link
                    and row.property_name == verdict.property_name
                    and row.configuration == verdict.configuration
                ):
                    rows[index] = replace(
                        row, link=_write_vacuous(staging, verdict, taken)
                    )
                    break
        for trace in traces:
            subject = subject_from_trace(trace)
            link = _write(staging, "walkthroughs", subject, taken)
            rows.append(
                IndexRow(
                    "walkthrough",
                    subject.name,
                    subject.configuration,
                    subject.verdict,
                    subject.explanation,
                    link,
                )
            )
        title = "shardcheck reports"
        summary = _summary(rows)
        (staging / "index.md").write_text(
            render_index_md(rows, title=title, summary=summary), encoding="utf-8"
        )
        (staging / "index.html").write_text(
            render_index_html(rows, title=title, summary=summary), encoding="utf-8"
        )
    return rows


def _summary(rows: list[IndexRow]) -> str:
    """The index's opening sentence: what was checked and what has a report."""
    walkthroughs = sum(1 for row in rows if row.kind == "walkthrough")
    verdicts = [row for row in rows if row.kind != "walkthrough"]
    failing = sum(1 for row in verdicts if row.verdict == "fails")
    vacuous = sum(1 for row in verdicts if row.verdict == "vacuous")
    linked = sum(1 for row in rows if row.link)
    return (
        f"{walkthroughs} walkthroughs and {len(verdicts)} verdicts ({failing} fail, "
        f"{vacuous} vacuous); {linked} reports. Each report has the trace step by "
        "step, a timeline and the states; a vacuous verdict has no trace, so its "
        "report says what was never reached."
    )


def _write(staging: Path, group: str, subject: Subject, taken: set[str]) -> str:
    slug = _unique(f"{group}/{subject.slug}", taken)
    folder = staging / slug
    folder.mkdir(parents=True)
    write_report_folder(folder, subject)
    return f"{slug}/report.html"


def _vacuous(
    verdicts: Any, properties: Any, cells: Mapping[str, Any]
) -> list[VacuousVerdict]:
    """The vacuous verdicts of an explorer-shaped verdict table (a list of rows)."""
    if not isinstance(verdicts, list):
        return []
    by_name: dict[str, Mapping[str, Any]] = {}
    for prop in properties or ():
        if isinstance(prop, Mapping) and "name" in prop:
            by_name[str(prop["name"])] = prop
    return [
        vacuous_verdict(entry, by_name, cells)
        for entry in verdicts
        if isinstance(entry, Mapping) and entry.get("verdict") == "vacuous"
    ]


def _write_vacuous(staging: Path, verdict: VacuousVerdict, taken: set[str]) -> str:
    slug = _unique(f"verdicts/{verdict.slug}", taken)
    folder = staging / slug
    folder.mkdir(parents=True)
    files = {
        "report.md": render_vacuous_markdown(verdict),
        "report.html": render_vacuous_html(verdict),
        "verdict.json": json.dumps(vacuous_document(verdict), indent=2) + "\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return f"{slug}/report.html"


def _attach(rows: list[IndexRow], subject: Subject, link: str) -> list[IndexRow]:
    """Link the verdict's row to its report, or add a row if the table lacks it."""
    for index, row in enumerate(rows):
        if (
            not row.link
            and row.property_name == subject.property_name
            and row.configuration == subject.configuration
        ):
            rows[index] = replace(row, link=link)
            return rows
    rows.append(
        IndexRow(
            "verdict",
            subject.property_name,
            subject.configuration,
            subject.verdict,
            subject.explanation,
            link,
        )
    )
    return rows
