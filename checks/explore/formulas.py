"""Closed formulas for the most deliveries of one record, worked out on paper.

``delivery_bound`` gives the number the explorer's ``bounded_deliveries`` must
find, for the failure space of the default matrix (every record good, failing
once, or poison) under the documented defaults; docs/explorer.md derives each
case.  Where no formula is derived it returns None and only the number is reported.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from model.handler import ResponseStyle

if TYPE_CHECKING:
    from checks.explore.graph import Exploration

__all__ = ["delivery_bound", "bisect_levels", "never_retried"]

_FULL_SPACE = frozenset({"good", "fails_once", "poison"})


def bisect_levels(size: int) -> int:
    """How many batches of two or more records hold the deepest record of a bisect.

    Each split halves the batch (the larger half has ``ceil(n/2)`` records), so a
    record is in at most ``ceil(log2 n)`` batches before it is alone.

    >>> bisect_levels(1), bisect_levels(3), bisect_levels(10), bisect_levels(12)
    (0, 2, 4, 4)
    """
    return math.ceil(math.log2(size)) if size > 1 else 0


def never_retried(style: ResponseStyle, report_batch_item_failures: bool) -> bool:
    """Whether every response of ``style`` reads as success, so nothing is retried.

    >>> never_retried(ResponseStyle.REPORT_FIRST, False)
    True
    """
    if style is ResponseStyle.RAW:
        return True
    if report_batch_item_failures:
        return False
    return style in (
        ResponseStyle.REPORT_FIRST,
        ResponseStyle.REPORT_ALL,
        ResponseStyle.REPORT_HIGHEST,
    )


def delivery_bound(exploration: Exploration) -> int | None:
    """The most deliveries of one record by the formulas of docs/explorer.md.

    None when no formula covers the configuration (time limits, other kinds,
    undocumented alternatives, bisect with partial responses and a handler that
    throws only when every record failed).
    """
    rules = exploration.rules
    space = exploration.space
    settings = rules.settings
    mapping = settings.mapping
    kinds = frozenset(space.kinds)
    rbif = mapping.report_batch_item_failures
    if space.poison_positions or settings.undocumented.differences():
        return None
    if kinds == {"good"} or never_retried(space.style, rbif):
        return 1
    if kinds != _FULL_SPACE:
        return None
    if not mapping.retries_are_finite or mapping.age_is_finite:
        return None
    if settings.timing.retention_seconds is not None:
        return None
    size = min(mapping.batch_size, len(rules.shard))
    retries = mapping.maximum_retry_attempts
    bisect = mapping.bisect_batch_on_function_error
    style = space.style
    if style is ResponseStyle.THROW or (
        style is ResponseStyle.REPORT_ALL_RAISE_IF_ALL and not rbif
    ):
        # whole batch: the batch itself at most R + 1 times; bisect: every level
        # of halving once, then the poison record alone R + 1 times
        return (bisect_levels(size) if bisect else 0) + retries + 1
    if size == 1:
        return retries + 1
    if style is ResponseStyle.REPORT_FIRST:
        # each failing-once record before it moves the checkpoint by one
        return size + retries + 1
    if style is ResponseStyle.REPORT_ALL or (
        style is ResponseStyle.REPORT_ALL_RAISE_IF_ALL and not bisect
    ):
        return retries + 3
    if style is ResponseStyle.REPORT_HIGHEST:
        return retries + 2
    return None
