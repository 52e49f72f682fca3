"""The comparison of the modes as a table, a bar chart and a page.

``python -m checks.verify compare`` prints ``table_rows`` and writes ``chart_svg``
(one panel per measure, one bar per mode, each bar a ``<g class="mode-bar">`` with
``data-mode``, ``data-metric`` and ``data-value``) and the Markdown and HTML pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from checks.reports.html import html_table, page
from checks.reports.markdown import markdown_table
from checks.reports.svg import add, new_svg, to_string

if TYPE_CHECKING:
    from checks.reports.compare import ModeCost, Pattern

__all__ = [
    "CHART_METRICS",
    "TABLE_HEADERS",
    "chart_svg",
    "render_compare_html",
    "render_compare_md",
    "table_rows",
]

TABLE_HEADERS = [
    "mode",
    "invocations",
    "deliveries",
    "per record (max)",
    "already processed, delivered again",
    "discarded",
    "lost",
    "end",
]


def table_rows(costs: list[ModeCost]) -> list[list[object]]:
    return [
        [
            cost.mode,
            cost.invocations,
            cost.deliveries,
            f"{cost.deliveries_per_record:.1f} ({cost.max_deliveries})",
            cost.redelivered,
            cost.discarded,
            cost.lost,
            "blocked" if cost.blocked else f"checkpoint {cost.final_checkpoint}",
        ]
        for cost in costs
    ]


#: The measures the chart draws, each in its own panel.
CHART_METRICS = (
    ("invocations", "invocations"),
    ("deliveries", "record deliveries"),
    ("redelivered", "already processed, delivered again"),
)
_MODE_COLOURS = ("#7b8794", "#f0b429", "#1f5fbf", "#4daf7c")


def chart_svg(costs: list[ModeCost], *, title: str, subtitle: str = "") -> str:
    """A bar chart: one panel per measure, one bar per mode.

    >>> from checks.reports.compare import compare
    >>> svg = chart_svg(compare(), title="t")
    >>> svg.count('class="mode-bar"')
    12
    """
    # Narrow enough (870 px) to be read in a 900 px window without scrolling.
    panel_width, bar_height, gap, label_width = 200.0, 22.0, 6.0, 190.0
    panel_height = len(costs) * (bar_height + gap) + 40
    width = label_width + len(CHART_METRICS) * (panel_width + 20) + 20
    height = panel_height + 90
    root = new_svg(width, height, title=title, class_="compare-chart")
    add(root, "text", text=title, x=10, y=22, font_size=14, font_weight="bold")
    if subtitle:
        add(root, "text", text=subtitle, x=10, y=40, font_size=12, fill="#52606d")
    for index, cost in enumerate(costs):
        y = 80 + index * (bar_height + gap)
        add(root, "text", text=cost.mode, x=10, y=y + 15, font_size=12)
    for panel, (attribute, label) in enumerate(CHART_METRICS):
        left = label_width + panel * (panel_width + 20)
        add(root, "text", text=label, x=left, y=68, font_size=12, fill="#52606d")
        values = [int(getattr(cost, attribute)) for cost in costs]
        top = max(values + [1])
        for index, (cost, value) in enumerate(zip(costs, values, strict=True)):
            y = 80 + index * (bar_height + gap)
            length = (panel_width - 50) * value / top
            group = add(
                root,
                "g",
                class_="mode-bar",
                data_mode=cost.mode,
                data_metric=attribute,
                data_value=value,
            )
            add(group, "title", text=f"{cost.mode}: {value} {label}")
            add(
                group,
                "rect",
                x=left,
                y=y,
                width=max(length, 1.5),
                height=bar_height,
                rx=3,
                fill=_MODE_COLOURS[index % len(_MODE_COLOURS)],
            )
            add(
                group,
                "text",
                text=str(value),
                x=left + length + 6,
                y=y + 15,
                font_size=12,
            )
        add(
            root,
            "line",
            x1=left,
            y1=74,
            x2=left,
            y2=panel_height + 50,
            stroke="#9aa5b1",
        )
    add(
        root,
        "text",
        text="Each mode is the same shard and failures run through the model.",
        x=10,
        y=height - 12,
        font_size=11,
        fill="#52606d",
    )
    return to_string(root)


def render_compare_md(costs: list[ModeCost], pattern: Pattern) -> str:
    batches = [[cost.mode, " ".join(cost.batches)] for cost in costs]
    return (
        f"# What each mode costs\n\nFailure pattern: {pattern.describe()}.\n\n"
        f"{markdown_table(TABLE_HEADERS, table_rows(costs))}\n\n"
        "![chart](compare.svg)\n\n"
        "## Batches of each mode\n\n"
        f"{markdown_table(['mode', 'batches, in order'], batches)}\n"
    )


def render_compare_html(costs: list[ModeCost], pattern: Pattern, chart: str) -> str:
    batches = [[cost.mode, " ".join(cost.batches)] for cost in costs]
    body = (
        "<h1>What each mode costs</h1>\n"
        f"<p>Failure pattern: {pattern.describe()}.</p>\n"
        f"{html_table(TABLE_HEADERS, table_rows(costs))}\n"
        f'<div class="figure">{chart}</div>\n<h2>Batches of each mode</h2>\n'
        f"{html_table(['mode', 'batches, in order'], batches)}"
    )
    return page("shardcheck: what each mode costs", body)
