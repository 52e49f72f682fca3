"""All user-facing output of the command-line tools goes through one ``Reporter``.

Verbosity levels decide what is printed: ``QUIET`` prints results and errors only,
``NORMAL`` adds headings and summaries, ``VERBOSE`` adds progress and detail.  Errors
are always one line on standard error.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence
from enum import IntEnum
from typing import TextIO

__all__ = ["Verbosity", "Reporter", "format_table"]


class Verbosity(IntEnum):
    QUIET = 0
    NORMAL = 1
    VERBOSE = 2


class Reporter:
    """Prints results, notes, progress and errors at a verbosity level.

    >>> import io
    >>> out = io.StringIO()
    >>> Reporter(Verbosity.QUIET, out=out).note("hidden")
    >>> out.getvalue()
    ''
    """

    def __init__(
        self,
        verbosity: Verbosity = Verbosity.NORMAL,
        *,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.verbosity = verbosity
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else sys.stderr
        self._last_progress = 0.0

    def result(self, text: str = "") -> None:
        """Always printed (unless the output is JSON, which callers decide)."""
        print(text, file=self.out)

    def note(self, text: str = "") -> None:
        if self.verbosity >= Verbosity.NORMAL:
            print(text, file=self.out)

    def detail(self, text: str = "") -> None:
        if self.verbosity >= Verbosity.VERBOSE:
            print(text, file=self.out)

    def progress(self, text: str, *, every: float = 1.0, force: bool = False) -> None:
        """A progress line on standard error, at most once per ``every`` seconds."""
        if self.verbosity < Verbosity.NORMAL:
            return
        now = time.monotonic()
        if force or now - self._last_progress >= every:
            self._last_progress = now
            print(text, file=self.err, flush=True)

    def error(self, text: str) -> None:
        """One line on standard error: never a traceback."""
        print(" ".join(str(text).split()), file=self.err)


def format_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain-text table with columns padded to their widest cell.

    >>> print(format_table(["a", "bb"], [[1, 2]]))
    a  bb
    -  --
    1  2
    """
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [len(header) for header in headers]
    for row in cells:
        for column, cell in enumerate(row):
            widths[column] = max(widths[column], len(cell))

    def line(row: Sequence[str]) -> str:
        return "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()

    rule = ["-" * width for width in widths]
    return "\n".join([line(list(headers)), line(rule), *(line(row) for row in cells)])
