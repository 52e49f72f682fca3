"""The timeline drawing: one row per invocation, one box per record, like the article.

Columns are the shard's records; each row shows the batch of one invocation, its
boxes coloured by what happened to each record, and markers for where the checkpoint
and the iterator stand afterwards.  Rows carry data attributes (``data-batch``,
``data-checkpoint-after``, ...) so a browser test can read the rendered page back;
the rows of a lasso's loop are banded and marked as repeating forever.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from checks.reports.content import BOX_KINDS, Step, Subject, batch_label, steps_of
from checks.reports.svg import add, new_svg, to_string

__all__ = ["timeline_svg", "COLOURS", "MAX_ROWS"]

#: Fill colours of the boxes (colour-blind friendly: Okabe-Ito based).
COLOURS = {
    "processed": "#4daf7c",
    "again": "#f0b429",
    "failed": "#d64545",
    "unreached": "#eef1f4",
    "expired": "#9aa5b1",
}
_CHECKPOINT = "#1f5fbf"
_ITERATOR = "#8a4fbf"
_LOOP = "#fff4d6"

#: Rows drawn at most; longer traces keep their start and end and say what is left out.
MAX_ROWS = 60
_HEAD_ROWS = 36

_LEFT = 150
_ROW = 38
_BOX_HEIGHT = 26
_TOP = 46


def _box_width(records: int) -> float:
    return max(8.0, min(44.0, 700.0 / max(records, 1)))


def timeline_svg(subject: Subject, steps: list[Step] | None = None) -> str:
    """The timeline of a subject's trace as an SVG document.

    Examples
    --------
    >>> from model.simulator import simulate
    >>> from model.walkthroughs import walkthrough
    >>> from checks.reports.content import subject_from_trace
    >>> trace = simulate(walkthrough("article-custom-once"))
    >>> svg = timeline_svg(subject_from_trace(trace))
    >>> svg.count('class="invocation"')
    2
    """
    steps = steps_of(subject) if steps is None else steps
    records = len(subject.scenario.shard)
    width_box = _box_width(records)
    right = _LEFT + records * width_box + 24
    width = right + 345

    shown, omitted_after, omitted = _rows_to_show(steps)
    rows = len(shown) + (1 if omitted else 0)
    legend_top = _TOP + rows * _ROW + 18
    height = legend_top + 70

    root = new_svg(
        width,
        height,
        title=f"Timeline of {subject.name}: one row per invocation",
        class_="timeline",
        data_invocations=sum(1 for step in steps if step.is_invocation),
    )
    _defs(root)
    _header(root, subject, width_box)

    y = _TOP
    loop_rows: list[float] = []
    for order, step in enumerate(shown):
        if step.in_loop:
            loop_rows.append(y)
        _row(root, step, y, width_box, right)
        y += _ROW
        if omitted and order == omitted_after:
            add(
                root,
                "text",
                text=f"… {omitted} steps not drawn (see the table) …",
                x=_LEFT,
                y=y + 20,
                font_size=12,
                fill="#52606d",
                class_="omitted",
            )
            y += _ROW
    if loop_rows:
        _loop_marker(root, loop_rows, right + 130)
    kinds = {box.kind for step in steps for box in step.boxes}
    _legend(root, legend_top, [kind for kind in BOX_KINDS if kind in kinds])
    return to_string(root)


def _rows_to_show(steps: list[Step]) -> tuple[list[Step], int, int]:
    """The rows drawn, the row after which a gap is drawn, and how many are left out."""
    if len(steps) <= MAX_ROWS:
        return steps, -1, 0
    tail = MAX_ROWS - _HEAD_ROWS
    omitted = len(steps) - MAX_ROWS
    return steps[:_HEAD_ROWS] + steps[-tail:], _HEAD_ROWS - 1, omitted


def _defs(root: Element) -> None:
    defs = add(root, "defs")
    pattern = add(
        defs,
        "pattern",
        id="discarded-hatch",
        width=6,
        height=6,
        patternUnits="userSpaceOnUse",
        patternTransform="rotate(45)",
    )
    add(pattern, "rect", width=6, height=6, fill="none")
    add(pattern, "line", x1=0, y1=0, x2=0, y2=6, stroke="#1f2933", stroke_width=2)


def _header(root: Element, subject: Subject, width_box: float) -> None:
    add(
        root,
        "text",
        text="invocation  batch",
        x=8,
        y=_TOP - 14,
        font_size=11,
        fill="#52606d",
    )
    shard = subject.scenario.shard
    every = max(1, round(22 / width_box))
    for position in range(len(shard)):
        if position % every and position != len(shard) - 1:
            continue
        add(
            root,
            "text",
            text=shard.sequence_number(position),
            x=_LEFT + (position + 0.5) * width_box,
            y=_TOP - 14,
            font_size=10,
            fill="#52606d",
            text_anchor="middle",
            class_="record-number",
        )
    add(
        root,
        "text",
        text="records →",
        x=_LEFT,
        y=_TOP - 30,
        font_size=11,
        fill="#52606d",
    )


def _row(root: Element, step: Step, y: float, width_box: float, right: float) -> None:
    group = add(
        root,
        "g",
        class_="invocation" if step.is_invocation else "expiry",
        data_step=step.index + 1,
        data_number=step.number,
        data_batch=batch_label(step.batch),
        data_outcome=step.outcome,
        data_checkpoint_before=step.checkpoint_before,
        data_checkpoint_after=step.checkpoint_after,
        data_iterator_before=step.iterator_before,
        data_iterator_after=step.iterator_after,
        data_in_loop="true" if step.in_loop else None,
    )
    add(group, "title", text=f"{step.why} [{', '.join(step.rules)}]")
    label = f"#{step.number}" if step.is_invocation else "–"
    add(group, "text", text=label, x=8, y=y + 17, font_size=12, font_weight="bold")
    batch = f"[{batch_label(step.batch)}]"
    add(
        group,
        "text",
        text=batch if step.is_invocation else f"{step.outcome} {batch}",
        x=44,
        y=y + 17,
        font_size=12,
        class_="batch-label",
    )
    for box in step.boxes:
        x = _LEFT + box.position * width_box
        rect = add(
            group,
            "rect",
            x=x + 1,
            y=y,
            width=width_box - 2,
            height=_BOX_HEIGHT,
            rx=3,
            fill=COLOURS[box.kind],
            stroke="#1f2933" if box.lost else "#9aa5b1",
            stroke_width=2.5 if box.lost else 0.8,
            class_=f"record {box.kind}",
            data_record=box.sequence_number,
            data_discarded="true" if box.discarded else None,
            data_lost="true" if box.lost else None,
        )
        add(rect, "title", text=box.describe())
        if box.discarded:
            add(
                group,
                "rect",
                x=x + 1,
                y=y,
                width=width_box - 2,
                height=_BOX_HEIGHT,
                rx=3,
                fill="url(#discarded-hatch)",
                opacity=0.45,
                class_="discarded-mark",
            )
        if width_box >= 18:
            add(
                group,
                "text",
                text=box.sequence_number,
                x=x + width_box / 2,
                y=y + 17,
                font_size=11,
                text_anchor="middle",
                fill="#ffffff" if box.kind == "failed" else "#1f2933",
            )
    _markers(group, step, y, width_box)
    verb = "→" if step.checkpoint_before != step.checkpoint_after else "stays"
    add(
        group,
        "text",
        text=step.outcome.replace("_", " "),
        x=right,
        y=y + 10,
        font_size=11,
        fill="#52606d",
        class_="outcome-label",
    )
    checkpoint_label = add(
        group,
        "text",
        text=f"checkpoint {step.checkpoint_after}",
        x=right,
        y=y + 24,
        font_size=12,
        fill=_CHECKPOINT,
        class_="checkpoint-label",
    )
    if verb == "stays":
        add(checkpoint_label, "tspan", text=" (stays)", fill="#52606d", font_size=11)


def _markers(group: Element, step: Step, y: float, width_box: float) -> None:
    """A solid line for the checkpoint after the step, a dashed one for the iterator."""
    x = _LEFT + step.checkpoint_position * width_box
    add(
        group,
        "line",
        x1=x,
        y1=y - 4,
        x2=x,
        y2=y + _BOX_HEIGHT + 4,
        stroke=_CHECKPOINT,
        stroke_width=3,
        class_="checkpoint-marker",
    )
    add(
        group,
        "path",
        d=f"M{x - 5:.1f},{y - 8:.1f} L{x + 5:.1f},{y - 8:.1f} L{x:.1f},{y - 2:.1f} Z",
        fill=_CHECKPOINT,
    )
    if step.iterator_position != step.checkpoint_position:
        xi = _LEFT + step.iterator_position * width_box
        add(
            group,
            "line",
            x1=xi,
            y1=y - 4,
            x2=xi,
            y2=y + _BOX_HEIGHT + 4,
            stroke=_ITERATOR,
            stroke_width=2,
            stroke_dasharray="4 3",
            class_="iterator-marker",
        )


def _loop_marker(root: Element, rows: list[float], x: float) -> None:
    top, bottom = rows[0] - 6, rows[-1] + _BOX_HEIGHT + 6
    band = add(
        root,
        "rect",
        x=4,
        y=top,
        width=x + 200,
        height=bottom - top,
        fill=_LOOP,
        stroke="#e0a800",
        stroke_dasharray="6 4",
        class_="loop-band",
    )
    # The band goes under the rows: move it before the first row.
    root.remove(band)
    root.insert(2, band)
    add(
        root,
        "path",
        d=f"M{x},{bottom - 4} C{x + 30},{bottom - 4} {x + 30},{top + 4} {x},{top + 4}",
        fill="none",
        stroke="#b7791f",
        stroke_width=2,
        marker_end=None,
    )
    add(root, "path", d=f"M{x},{top + 4} l8,-5 l0,10 Z", fill="#b7791f")
    add(
        root,
        "text",
        text="loop: repeats forever",
        x=x + 30,
        y=(top + bottom) / 2 + 4,
        font_size=12,
        font_weight="bold",
        fill="#8d5b00",
        class_="loop-label",
    )


def _legend(root: Element, top: float, kinds: list[str]) -> None:
    x = 8.0
    for kind in kinds:
        text = BOX_KINDS[kind]
        item_width = 19 + 6.2 * len(text) + 18
        if x > 8 and x + item_width > 760:
            x, top = 8.0, top + 20
        add(
            root,
            "rect",
            x=x,
            y=top,
            width=14,
            height=14,
            rx=2,
            fill=COLOURS[kind],
            stroke="#9aa5b1",
        )
        add(root, "text", text=text, x=x + 19, y=top + 11, font_size=11)
        x += item_width
    top += 24
    add(root, "rect", x=8, y=top, width=14, height=14, fill="#eef1f4", stroke="#9aa5b1")
    add(
        root,
        "rect",
        x=8,
        y=top,
        width=14,
        height=14,
        fill="url(#discarded-hatch)",
        opacity=0.45,
    )
    add(root, "text", text="discarded", x=27, y=top + 11, font_size=11)
    add(
        root,
        "rect",
        x=100,
        y=top,
        width=14,
        height=14,
        fill="#eef1f4",
        stroke="#1f2933",
        stroke_width=2.5,
    )
    add(root, "text", text="lost without a trace", x=119, y=top + 11, font_size=11)
    add(
        root,
        "line",
        x1=260,
        y1=top - 2,
        x2=260,
        y2=top + 16,
        stroke=_CHECKPOINT,
        stroke_width=3,
    )
    add(root, "text", text="checkpoint after the step", x=268, y=top + 11, font_size=11)
    add(
        root,
        "line",
        x1=430,
        y1=top - 2,
        x2=430,
        y2=top + 16,
        stroke=_ITERATOR,
        stroke_width=2,
        stroke_dasharray="4 3",
    )
    add(
        root,
        "text",
        text="iterator (where it differs)",
        x=438,
        y=top + 11,
        font_size=11,
    )
