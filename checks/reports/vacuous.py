"""Reports of vacuous verdicts: a property that holds only because nothing tests it.

The explorer calls a property vacuous when no reachable step breaks it and no run
reaches its *reachability twin*, the situation in which it could break.  There is
no trace to show, so the report states the property, the configuration and the
twin that never happened, and says why there is no timeline.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

from checks.reports.html import html_table, page, verdict_class
from checks.reports.markdown import markdown_table
from checks.reports.tables import settings_rows
from model.records import Shard

__all__ = [
    "VacuousVerdict",
    "vacuous_verdict",
    "render_vacuous_markdown",
    "render_vacuous_html",
    "vacuous_document",
]

_NO_TRACE = (
    "No trace: a vacuous verdict has no counterexample and no witness, because "
    "no run of this configuration reaches the situation the property is about. "
    "So there is no timeline and no state graph."
)


@dataclass(frozen=True)
class VacuousVerdict:
    """One vacuous verdict of the explorer and what is known about it.

    ``cell`` is the explorer's configuration (anything with ``settings``,
    ``records`` and ``space``) when it is known, else None: the report then names
    the configuration by its label only.
    """

    property_name: str
    configuration: str
    detail: str
    statement: str = ""
    fairness: str = ""
    twin: str = ""
    states: int | None = None
    cell: Any = None
    notes: tuple[str, ...] = field(default=())

    @property
    def verdict(self) -> str:
        return "vacuous"

    @property
    def title(self) -> str:
        return f"{self.property_name} vacuous on {self.configuration}"

    @property
    def slug(self) -> str:
        """A folder name: lower case letters, digits and dashes."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")
        return slug[:80] or "report"

    @property
    def why(self) -> str:
        """Why the verdict is vacuous, in one or two sentences."""
        twin = self.twin or "the situation the property is about"
        explored = (
            f" in any of the {self.states} reachable states"
            if self.states is not None
            else ""
        )
        return (
            f"No step{explored} breaks the property, but no run reaches its "
            f"reachability twin either: {twin}. The property holds only because "
            "what it speaks about never happens here, so the verdict says nothing "
            "about how this configuration handles it."
        )


def vacuous_verdict(
    entry: Any,
    properties: Mapping[str, Mapping[str, Any]],
    cells: Mapping[str, Any],
) -> VacuousVerdict:
    """A vacuous verdict from a row of the explorer's verdict table.

    ``properties`` maps a property's name to its ``statement``, ``fairness`` and
    ``twin`` (``run.document["explorer"]["properties"]``); ``cells`` maps a
    configuration label to the explorer's cell.

    >>> row = {"configuration": "c", "property": "p", "verdict": "vacuous",
    ...        "detail": "no record is lost, but vacuously", "states": 4}
    >>> verdict = vacuous_verdict(row, {"p": {"twin": "a record fails"}}, {})
    >>> verdict.slug, verdict.twin
    ('p-vacuous-on-c', 'a record fails')
    """
    name = str(entry.get("property", ""))
    configuration = str(entry.get("configuration", ""))
    prop = properties.get(name, {})
    states = entry.get("states")
    return VacuousVerdict(
        property_name=name,
        configuration=configuration,
        detail=str(entry.get("detail", "")),
        statement=str(prop.get("statement", "")),
        fairness=str(prop.get("fairness", "")),
        twin=str(prop.get("twin", "")),
        states=states if isinstance(states, int) else None,
        cell=cells.get(configuration),
        notes=tuple(str(note) for note in entry.get("notes", ()) or ()),
    )


def _configuration_rows(verdict: VacuousVerdict) -> list[tuple[str, str]]:
    cell = verdict.cell
    rows = [("Configuration", verdict.configuration)]
    if cell is None:
        return rows
    try:
        shard = Shard.numbered(cell.records, cell.settings.mapping.source)
        space = cell.space
        handler = space.describe() if hasattr(space, "describe") else str(space)
        rows += settings_rows(cell.settings, shard, f"every failure pattern: {handler}")
    except (AttributeError, TypeError, ValueError):
        # A cell of another shape: the label alone still names it.
        pass
    return rows


def vacuous_document(verdict: VacuousVerdict) -> dict[str, Any]:
    """``verdict.json``: the verdict, the property and why it is vacuous."""
    return {
        "kind": "vacuous",
        "property": verdict.property_name,
        "statement": verdict.statement,
        "fairness": verdict.fairness,
        "twin": verdict.twin,
        "verdict": "vacuous",
        "configuration": verdict.configuration,
        "states": verdict.states,
        "detail": verdict.detail,
        "why": verdict.why,
        "settings": dict(_configuration_rows(verdict)),
        "notes": list(verdict.notes),
        "trace": None,
    }


def render_vacuous_markdown(verdict: VacuousVerdict) -> str:
    """``report.md`` of a vacuous verdict."""
    lines = [f"# {verdict.title}", ""]
    lines += [f"**Verdict: vacuous.** {verdict.detail}", ""]
    lines += ["## Configuration", ""]
    lines += [markdown_table(["setting", "value"], _configuration_rows(verdict)), ""]
    lines += ["## Property", "", f"`{verdict.property_name}`: {verdict.statement}"]
    if verdict.fairness:
        lines += ["", f"Fairness assumed: {verdict.fairness}"]
    lines += ["", "## Why it is vacuous", "", verdict.why, ""]
    lines += ["## Trace", "", _NO_TRACE, ""]
    if verdict.notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in verdict.notes] + [""]
    lines += [
        "## Files",
        "",
        "- [report.html](report.html): this report as one page",
        "- [verdict.json](verdict.json): the verdict for machines",
        "",
    ]
    return "\n".join(lines)


def render_vacuous_html(verdict: VacuousVerdict) -> str:
    """``report.html`` of a vacuous verdict: the same as ``report.md``, one page."""
    parts = [
        f"<h1>{escape(verdict.title)}</h1>",
        f'<p class="lead"><span class="verdict {verdict_class("vacuous")}">'
        f"vacuous</span> {escape(verdict.detail)}</p>",
        "<h2>Property</h2>",
        f"<p><code>{escape(verdict.property_name)}</code>: "
        f"{escape(verdict.statement)}</p>",
    ]
    if verdict.fairness:
        parts.append(f"<p class='muted'>Fairness: {escape(verdict.fairness)}</p>")
    parts += [
        "<h2>Configuration</h2>",
        html_table(["setting", "value"], _configuration_rows(verdict)),
        "<h2>Why it is vacuous</h2>",
        f"<p>{escape(verdict.why)}</p>",
    ]
    parts += ["<h2>Trace</h2>", f"<p class='muted'>{escape(_NO_TRACE)}</p>"]
    if verdict.notes:
        items = "".join(f"<li>{escape(note)}</li>" for note in verdict.notes)
        parts += ["<h2>Notes</h2>", f"<ul>{items}</ul>"]
    parts += [
        "<h2>Files</h2>",
        '<ul><li><a href="report.md">report.md</a>: this report as Markdown</li>'
        '<li><a href="verdict.json">verdict.json</a>: the verdict for machines'
        "</li></ul>",
    ]
    return page(verdict.title, "\n".join(parts))
