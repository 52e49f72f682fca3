"""Open the reports in headless Chromium and read the rendered page back.

The browser parses the page as a user's would; ``--dump-dom`` returns the document
it built, and the timeline's rows and the chart's bars are read from it.  Skipped,
with the reason, where Chromium is not installed (Debian: ``apt-get install -y
chromium``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from xml.etree.ElementTree import Element

import html5lib
import pytest

from checks.reports import write_reports
from checks.reports.compare import main as compare_main
from model.simulator import simulate
from model.walkthroughs import walkthrough

SVG = "{http://www.w3.org/2000/svg}"


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


CHROMIUM = _chromium()

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (Debian: apt-get install -y chromium); "
    "the browser test needs /usr/bin/chromium",
)


def _rendered_dom(page: Path, profile: Path) -> Element:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--dump-dom",
        page.resolve().as_uri(),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "<svg" in result.stdout, result.stderr[-2000:]
    document: Element = html5lib.parse(result.stdout, namespaceHTMLElements=False)
    return document


def _groups(document: Element, css_class: str) -> list[Element]:
    return [
        element
        for element in document.iter(f"{SVG}g")
        if css_class in (element.get("class") or "").split()
    ]


def test_custom_checkpoint_timeline_renders_four_rows(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    write_reports(out, traces=[simulate(walkthrough("article-custom-checkpoint"))])
    page = out / "walkthroughs/article-custom-checkpoint/report.html"
    document = _rendered_dom(page, tmp_path / "profile")

    rows = _groups(document, "invocation")
    # The article's custom-checkpoint walkthrough, worked by hand: four invocations
    # of [1..10], [4..10], [7..10], [10]; the checkpoint moves to 4, 7, 10, 11.
    assert [row.get("data-batch") for row in rows] == ["1..10", "4..10", "7..10", "10"]
    assert [row.get("data-checkpoint-after") for row in rows] == ["4", "7", "10", "11"]
    labels = [
        "".join(text.itertext())
        for row in rows
        for text in row.iter(f"{SVG}text")
        if text.get("class") == "checkpoint-label"
    ]
    assert labels == ["checkpoint 4", "checkpoint 7", "checkpoint 10", "checkpoint 11"]
    batch_labels = [
        "".join(text.itertext())
        for row in rows
        for text in row.iter(f"{SVG}text")
        if text.get("class") == "batch-label"
    ]
    assert batch_labels == ["[1..10]", "[4..10]", "[7..10]", "[10]"]
    # One box per record of each batch: 10 + 7 + 4 + 1.
    boxes = [
        len([r for r in row.iter(f"{SVG}rect") if r.get("data-record")]) for row in rows
    ]
    assert boxes == [10, 7, 4, 1]


def test_compare_view_shows_each_modes_invocations(tmp_path: Path) -> None:
    out = tmp_path / "compare"
    assert compare_main(["--out", str(out), "--quiet"]) == 0
    document = _rendered_dom(out / "compare.html", tmp_path / "profile")
    bars = {
        bar.get("data-mode"): int(bar.get("data-value") or -1)
        for bar in _groups(document, "mode-bar")
        if bar.get("data-metric") == "invocations"
    }
    # The 4th record of every batch fails (semantics.md walkthrough 4 and R5):
    # whole batch 1 + 2 retries; bisect [1..10] [1..5] [1..3] [4,5] [6..10] [6..8]
    # [9,10]; custom checkpoint [1..10] [4..10] [7..10] [10], with or without bisect.
    assert bars == {
        "whole batch": 3,
        "bisect": 7,
        "custom checkpoint": 4,
        "bisect + custom checkpoint": 4,
    }
