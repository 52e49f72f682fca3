"""``assert_conforms``: the one-line check other test suites use on their traces.

It takes a trace file, its lines, or the parsed events, judges them with the oracle,
and raises ``AssertionError`` with the oracle's report at the first divergence.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from checks.oracle.replay import Verdict, judge
from checks.oracle.traceformat import TraceFile, parse_trace_lines, read_trace

__all__ = ["assert_conforms"]


def assert_conforms(
    trace: str | os.PathLike[str] | Iterable[str | dict[str, Any]] | TraceFile,
    *,
    allow_duplicates: bool = False,
) -> Verdict:
    """Judge ``trace`` and fail with the oracle's report unless it conforms.

    Parameters
    ----------
    trace:
        A path to a trace file, the trace's lines (JSON strings or dicts), or a
        parsed ``TraceFile``.
    allow_duplicates:
        Skip redeliveries the model does not produce (at-least-once, G1).

    Returns
    -------
    Verdict
        The conforming verdict (with any notes).

    Examples
    --------
    >>> header = {"type": "header", "format": "shardcheck-trace/1",
    ...     "source": "kinesis", "records": 2, "checkpoint_style": "first_not_done",
    ...     "mapping": {"BatchSize": 2}}
    >>> invocation = {"type": "invocation", "batch": ["1", "2"]}
    >>> assert_conforms([header, invocation]).conforms
    True
    """
    parsed = _parsed(trace)
    verdict = judge(parsed, allow_duplicates=allow_duplicates)
    if not verdict.conforms:
        raise AssertionError(verdict.report())
    return verdict


def _parsed(trace: Any) -> TraceFile:
    if isinstance(trace, TraceFile):
        return trace
    if isinstance(trace, str | os.PathLike) and not _looks_like_json(trace):
        return read_trace(Path(trace))
    if isinstance(trace, str):
        return parse_trace_lines(trace.splitlines())
    lines = [item if isinstance(item, str) else json.dumps(item) for item in trace]
    return parse_trace_lines(lines)


def _looks_like_json(value: Any) -> bool:
    return isinstance(value, str) and value.lstrip().startswith("{")
