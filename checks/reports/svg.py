"""A very small SVG builder on top of ``xml.etree``, so every drawing is well formed.

The reports draw their timelines, graphs and charts with it; building elements rather
than pasting strings means text is always escaped and every file parses as XML.
Attribute names written with underscores become hyphens (``font_size``), and
``class_`` becomes ``class``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

__all__ = ["SVG_NAMESPACE", "new_svg", "add", "to_string", "fmt"]

SVG_NAMESPACE = "http://www.w3.org/2000/svg"

#: The font every drawing uses; system fonts only, so nothing is fetched.
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"


def fmt(value: Any) -> str:
    """An attribute value: numbers rounded to one decimal, without trailing zeros.

    >>> fmt(3.0), fmt(2.25), fmt("a")
    ('3', '2.2', 'a')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = f"{value:.1f}"
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def _attribute_name(name: str) -> str:
    return name.rstrip("_").replace("_", "-")


def new_svg(
    width: float, height: float, *, title: str, **attributes: Any
) -> ET.Element:
    """An ``<svg>`` root of the given size with an accessible ``<title>``.

    >>> root = new_svg(10, 20, title="x")
    >>> root.get("viewBox")
    '0 0 10 20'
    """
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NAMESPACE,
            "width": fmt(width),
            "height": fmt(height),
            "viewBox": f"0 0 {fmt(width)} {fmt(height)}",
            "role": "img",
            # In a page the drawing shrinks to fit its column down to 3/4 of its
            # size (text stays legible); below that its figure scrolls instead.
            "style": f"max-width: 100%; height: auto; min-width: "
            f"{fmt(min(width, max(480.0, width * 0.75)))}px",
            "font-family": FONT_FAMILY,
            **{_attribute_name(key): fmt(value) for key, value in attributes.items()},
        },
    )
    add(root, "title", text=title)
    return root


def add(
    parent: ET.Element, tag: str, *, text: str | None = None, **attributes: Any
) -> ET.Element:
    """Append a child element; ``None`` attribute values are left out.

    >>> root = new_svg(1, 1, title="t")
    >>> add(root, "rect", class_="box", data_batch="1..3", x=1.5).attrib["data-batch"]
    '1..3'
    """
    child = ET.SubElement(
        parent,
        tag,
        {
            _attribute_name(key): fmt(value)
            for key, value in attributes.items()
            if value is not None
        },
    )
    if text is not None:
        child.text = text
    return child


def to_string(root: ET.Element) -> str:
    """The drawing as text, ready to be a file or to sit inline in an HTML page."""
    return ET.tostring(root, encoding="unicode")
