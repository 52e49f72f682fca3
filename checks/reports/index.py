"""``index.html`` and ``index.md``: every verdict of a run in one table, with links.

Rows come from the explorer's verdict table (``run.document["verdicts"]``) when it is
there, from the failing or vacuous verdicts that have a report, from the proofs, and
from the walkthroughs.  The verdict table's exact shape belongs to the explorer, so
it is read leniently: any list of records (or mapping of them) with a property, a
configuration and a verdict.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from typing import Any

from checks.reports.html import page, verdict_class
from checks.reports.markdown import markdown_table

__all__ = [
    "IndexRow",
    "shorten",
    "verdict_rows",
    "proof_rows",
    "render_index_md",
    "render_index_html",
]

_PROPERTY_KEYS = ("property", "property_name", "name", "check")
_CONFIGURATION_KEYS = ("configuration", "config", "cell", "label", "scope", "assumes")
_VERDICT_KEYS = ("verdict", "result", "status", "outcome", "holds")
_DETAIL_KEYS = ("explanation", "detail", "statement", "summary", "reason")


@dataclass(frozen=True)
class IndexRow:
    """One line of the index: what was checked, the verdict, and its report."""

    kind: str
    property_name: str
    configuration: str
    verdict: str
    detail: str = ""
    link: str = ""


#: Where a long detail may be cut, best first: a sentence, a clause, a phrase.
_BOUNDARIES = (". ", "; ", ": ", ", ", " (")


def shorten(text: str, limit: int = 200) -> str:
    """``text`` cut at the last sentence or clause boundary within ``limit``.

    The cut is marked with "…" and parentheses left open are closed, so a
    shortened detail never stops mid-phrase.

    >>> shorten("first clause; second clause goes on", 24)
    'first clause; …'
    >>> shorten("a thing (step 3: it failed; then more)", 32)
    'a thing (step 3: it failed; …)'
    >>> shorten("short", 12)
    'short'
    """
    if len(text) <= limit:
        return text
    room = limit - 3
    for boundary in _BOUNDARIES:
        cut = text.rfind(boundary, 0, room)
        if cut > limit // 3:
            # keep the punctuation; an opening parenthesis goes with what follows
            kept = text[: cut + len(boundary.strip())]
            break
    else:
        kept = text[: text.rfind(" ", 0, room)] if " " in text[:room] else text[:room]
    opened = kept.count("(") - kept.count(")")
    return f"{kept.rstrip()} …" + ")" * max(opened, 0)


def _field(item: Any, keys: Iterable[str]) -> Any:
    for key in keys:
        value = item.get(key) if isinstance(item, dict) else getattr(item, key, None)
        if value is not None and value != "":
            return value
    return None


def _verdict_text(value: Any) -> str:
    if isinstance(value, bool):
        return "holds" if value else "fails"
    return "" if value is None else str(value)


def _row(kind: str, item: Any, configuration: str = "") -> IndexRow:
    return IndexRow(
        kind=kind,
        property_name=str(_field(item, _PROPERTY_KEYS) or ""),
        configuration=str(_field(item, _CONFIGURATION_KEYS) or configuration),
        verdict=_verdict_text(_field(item, _VERDICT_KEYS)),
        detail=" ".join(str(_field(item, _DETAIL_KEYS) or "").split()),
    )


def verdict_rows(verdicts: Any, kind: str = "verdict") -> list[IndexRow]:
    """Rows from a verdict table of any reasonable shape.

    >>> table = [{"property": "progress", "configuration": "A", "verdict": "fails"}]
    >>> [(r.property_name, r.configuration, r.verdict) for r in verdict_rows(table)]
    [('progress', 'A', 'fails')]
    >>> [r.verdict for r in verdict_rows({"A": {"progress": "holds"}})]
    ['holds']
    """
    rows: list[IndexRow] = []
    if isinstance(verdicts, dict):
        for key in ("verdicts", "rows", "results", "cells"):
            if isinstance(verdicts.get(key), list | dict):
                return verdict_rows(verdicts[key], kind)
        for key, value in verdicts.items():
            if isinstance(value, dict) and _field(value, _VERDICT_KEYS) is not None:
                row = _row(kind, value, configuration=str(key))
                if not row.property_name:
                    row = _replace(row, property_name=str(key), configuration="")
                rows.append(row)
            elif isinstance(value, dict):
                rows += [
                    IndexRow(kind, str(name), str(key), _verdict_text(verdict))
                    for name, verdict in value.items()
                    if isinstance(verdict, str | bool)
                ]
                rows += [
                    _row(kind, item, configuration=str(key))
                    for item in value.values()
                    if isinstance(item, dict)
                ]
            elif isinstance(value, list):
                rows += [
                    _row(kind, item, configuration=str(key))
                    for item in value
                    if isinstance(item, dict)
                ]
            elif isinstance(value, str | bool):
                rows.append(IndexRow(kind, str(key), "", _verdict_text(value)))
    elif isinstance(verdicts, list):
        rows += [_row(kind, item) for item in verdicts if item is not None]
    return rows


def proof_rows(proofs: Iterable[Any]) -> list[IndexRow]:
    """Rows for the all-sizes proofs (``run.proofs``), whatever their record type."""
    return [_row("proof", proof) for proof in proofs if proof is not None]


def _replace(row: IndexRow, **changes: str) -> IndexRow:
    from dataclasses import replace

    return replace(row, **changes)


_HEADERS = ["property", "configuration", "verdict", "detail", "report"]

#: The index's sections: the kind of row and its heading, in order.
_SECTIONS = (
    ("walkthrough", "Walkthroughs"),
    ("verdict", "Verdicts"),
    ("proof", "Proofs (all sizes)"),
)


def _sections(rows: list[IndexRow]) -> list[tuple[str, list[IndexRow]]]:
    known = {kind for kind, _ in _SECTIONS}
    sections = [
        (heading, [r for r in rows if r.kind == kind]) for kind, heading in _SECTIONS
    ]
    sections.append(("Other", [row for row in rows if row.kind not in known]))
    return [(heading, members) for heading, members in sections if members]


def _counts(rows: list[IndexRow]) -> str:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.verdict or "?"] = counts.get(row.verdict or "?", 0) + 1
    return ", ".join(f"{verdict} {count}" for verdict, count in counts.items())


def render_index_md(rows: list[IndexRow], *, title: str, summary: str) -> str:
    """The index as Markdown, one table per kind of row, links relative to it.

    >>> text = render_index_md([IndexRow("proof", "progress", "", "proved")],
    ...                        title="t", summary="s")
    >>> "## Proofs (all sizes)" in text and "| progress |  | proved |" in text
    True
    """
    parts = [f"# {title}", "", summary, ""]
    for heading, members in _sections(rows):
        parts += [f"## {heading}", "", _counts(members), ""]
        table = markdown_table(
            _HEADERS,
            [
                [
                    row.property_name,
                    row.configuration,
                    row.verdict,
                    shorten(row.detail),
                    f"[report]({row.link})" if row.link else "",
                ]
                for row in members
            ],
        )
        parts += [table, ""]
    return "\n".join(parts)


def _breakable(label: str) -> str:
    """A configuration label that may wrap after each ``/`` (``whole/R2/throw``).

    >>> _breakable("whole/R2/<x>")
    'whole/<wbr>R2/<wbr>&lt;x&gt;'
    """
    return "/<wbr>".join(escape(part) for part in label.split("/"))


def render_index_html(rows: list[IndexRow], *, title: str, summary: str) -> str:
    """The index as one self-contained HTML page, one table per kind of row."""
    parts = [f"<h1>{escape(title)}</h1>", f"<p>{escape(summary)}</p>"]
    head = "".join(f"<th>{escape(header)}</th>" for header in _HEADERS)
    for heading, members in _sections(rows):
        body = []
        for row in members:
            link = f'<a href="{escape(row.link)}">report</a>' if row.link else ""
            body.append(
                f"<tr><td>{escape(row.property_name)}</td>"
                f"<td>{_breakable(row.configuration)}</td>"
                f'<td><span class="verdict {verdict_class(row.verdict)}">'
                f"{escape(row.verdict)}</span></td>"
                f'<td class="detail">{escape(row.detail)}</td><td>{link}</td></tr>'
            )
        parts += [
            f"<h2>{escape(heading)}</h2>",
            f'<p class="muted">{escape(_counts(members))}</p>',
            f'<div class="wide"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>",
        ]
    return page(title, "\n".join(parts))
