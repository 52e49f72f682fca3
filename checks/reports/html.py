"""``report.html``: one self-contained page per walkthrough or verdict.

The page holds what ``report.md`` holds, plus the timeline and the state graph as
inline SVG; its style sheet is inline and it loads nothing from the network, so it
can be mailed, attached to a ticket or opened from disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from checks.reports.content import RETRIES_NOTE, Subject, steps_of
from checks.reports.graph import graph_svg
from checks.reports.markdown import REPORT_FILES, STEP_HEADERS, step_row
from checks.reports.tables import configuration_rows, destination_rows, record_rows
from checks.reports.timeline import timeline_svg

__all__ = ["render_html", "page", "html_table", "STYLE"]

STYLE = """
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial,
  sans-serif; color: #1f2933; margin: 0; background: #f5f7fa; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px;
  background: #fff; min-height: 100vh; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #e4e7eb;
  padding-bottom: 4px; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 12px;
  font-weight: 600; font-size: 14px; background: #e4e7eb; }
.verdict.fails, .verdict.blocked, .verdict.lost { background: #fde2e2;
  color: #9b1c1c; }
.verdict.holds, .verdict.finished, .verdict.proved { background: #dff5e7;
  color: #1d6b3f; }
.verdict.counterexample { background: #fde2e2; color: #9b1c1c; }
.verdict.vacuous { background: #fff4d6; color: #8d5b00; }
.lead { font-size: 16px; margin: 12px 0; }
table { border-collapse: collapse; margin: 8px 0; font-size: 14px; }
th, td { border: 1px solid #e4e7eb; padding: 4px 8px; text-align: left;
  vertical-align: top; }
th { background: #f5f7fa; font-weight: 600; }
td.why { min-width: 18em; }
td.detail { min-width: 12em; max-width: 44em; }
tr.loop td { background: #fff8e6; }
tr.lost td { background: #fde2e2; }
.figure { overflow-x: auto; border: 1px solid #e4e7eb; border-radius: 6px;
  padding: 8px; margin: 8px 0; background: #fff; max-width: 100%;
  box-sizing: border-box; }
.figure svg { display: block; max-width: 100%; height: auto; }
.wide { max-width: 100%; overflow-x: auto; }
.wide > table { margin: 0; }
@media (max-width: 700px) { main { padding: 16px 12px 32px; } }
code { background: #f0f2f5; padding: 1px 4px; border-radius: 3px; }
.muted { color: #52606d; }
"""


def html_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    classes: Sequence[str] | None = None,
    cell_classes: dict[int, str] | None = None,
    wide: bool = False,
) -> str:
    """An HTML table with escaped cells; ``classes`` gives each row a class.

    A ``wide`` table scrolls sideways in its own box on a narrow screen, so the
    page itself never does.

    >>> html_table(["a"], [["<b>"]])
    '<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>&lt;b&gt;</td></tr></tbody></table>'
    """
    cell_classes = cell_classes or {}
    head = "".join(f"<th>{escape(str(header))}</th>" for header in headers)
    body = []
    for index, row in enumerate(rows):
        css = f' class="{escape(classes[index])}"' if classes and classes[index] else ""
        cells = "".join(
            (
                f'<td class="{cell_classes[column]}">'
                if column in cell_classes
                else "<td>"
            )
            + f"{escape(str(cell))}</td>"
            for column, cell in enumerate(row)
        )
        body.append(f"<tr{css}>{cells}</tr>")
    table = (
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
    return f'<div class="wide">{table}</div>' if wide else table


def page(title: str, body: str) -> str:
    """A complete HTML document with the inline style sheet."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def verdict_class(verdict: str) -> str:
    """The CSS class of a verdict badge: its first word.

    >>> verdict_class("finished, records lost")
    'finished'
    """
    word = verdict.replace(",", " ").split()[0] if verdict.strip() else "unknown"
    return escape(word.lower())


def render_html(subject: Subject, *, with_files: bool = True) -> str:
    """The HTML report of a subject.

    Examples
    --------
    >>> from model.simulator import simulate
    >>> from model.walkthroughs import walkthrough
    >>> from checks.reports.content import subject_from_trace
    >>> trace = simulate(walkthrough("article-custom-once"))
    >>> text = render_html(subject_from_trace(trace))
    >>> text.startswith("<!DOCTYPE html>"), text.count('<g class="invocation"')
    (True, 2)
    """
    steps = steps_of(subject)
    document = subject.trace.to_json()
    parts = [
        f"<h1>{escape(subject.title)}</h1>",
        f'<p class="lead"><span class="verdict {verdict_class(subject.verdict)}">'
        f"{escape(subject.verdict)}</span> {escape(subject.explanation)}</p>",
        "<h2>Property</h2>",
    ]
    if subject.kind == "walkthrough":
        parts.append(f"<p>Walkthrough: {escape(subject.statement)}</p>")
    else:
        parts.append(
            f"<p><code>{escape(subject.property_name)}</code>: "
            f"{escape(subject.statement)}</p>"
        )
        if subject.fairness:
            parts.append(f"<p class='muted'>Fairness: {escape(subject.fairness)}</p>")
    parts += [
        "<h2>Configuration</h2>",
        html_table(["setting", "value"], configuration_rows(subject)),
        "<h2>Timeline</h2>",
        "<p class='muted'>One row per invocation, one box per record of its batch; "
        "hover over a box or a row for details.</p>",
    ]
    if subject.is_lasso:
        parts.append(
            "<p><strong>Lasso:</strong> the banded rows repeat forever; the trace "
            "never ends.</p>"
        )
    parts.append(f'<div class="figure">{timeline_svg(subject, steps)}</div>')

    rows = [step_row(step) for step in steps]
    parts += [
        "<h2>Steps</h2>",
        f"<p class='muted'>{escape(RETRIES_NOTE)}</p>",
        html_table(
            STEP_HEADERS,
            rows,
            classes=["loop" if step.in_loop else "" for step in steps],
            cell_classes={7: "why"},
            wide=True,
        ),
        "<h2>Records</h2>",
        html_table(
            ["record", "deliveries", "processed", "how it ended"],
            record_rows(subject),
            classes=[
                "lost" if "(LOST)" in row[3] else "" for row in record_rows(subject)
            ],
        ),
    ]
    destinations = destination_rows(document)
    if destinations:
        parts += [
            "<h2>Destination records</h2>",
            html_table(
                ["condition", "records", "batchSize", "approximateInvokeCount"],
                destinations,
            ),
        ]
    notes = list(subject.notes) + [
        note for note in document["notes"] if note not in subject.notes
    ]
    if notes:
        items = "".join(f"<li>{escape(note)}</li>" for note in notes)
        parts += ["<h2>Notes</h2>", f"<ul>{items}</ul>"]
    parts += [
        "<h2>States</h2>",
        f'<div class="figure">{graph_svg(subject)}</div>',
    ]
    if with_files:
        items = "".join(
            f'<li><a href="{name}">{name}</a>: {escape(what)}</li>'
            for name, what in REPORT_FILES.items()
            if name != "report.html"
        )
        items += '<li><a href="report.md">report.md</a>: this report as Markdown</li>'
        parts += [
            "<h2>Files</h2>",
            f"<ul>{items}</ul>",
            "<p>Replay: <code>python -m checks.verify --scenario scenario.json</code>"
            "</p>",
        ]
    return page(subject.title, "\n".join(parts))
