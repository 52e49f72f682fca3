"""The test oracle: judge real traces, handlers and configurations against the model.

``judge`` replays an observed trace (docs/oracle.md) and reports its first divergence;
``checks.oracle.handlers.check_handler`` drives a Python handler; ``assert_conforms``
is the one-line assertion other test suites use.
"""

from __future__ import annotations

from checks.oracle.assertions import assert_conforms
from checks.oracle.replay import Divergence, Verdict, judge, replay
from checks.oracle.traceformat import (
    FORMAT,
    InvalidTrace,
    TraceFile,
    parse_trace_lines,
    read_trace,
    trace_lines,
)

__all__ = [
    "FORMAT",
    "assert_conforms",
    "Divergence",
    "InvalidTrace",
    "TraceFile",
    "Verdict",
    "judge",
    "replay",
    "parse_trace_lines",
    "read_trace",
    "trace_lines",
]
