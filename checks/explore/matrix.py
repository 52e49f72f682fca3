"""The configurations the explorer checks by default, and those built from a file.

A ``Cell`` is one configuration of the verdict table: settings, a shard and a
failure space (with its handler style).  ``default_matrix`` crosses the modes
(whole batch, bisect, custom checkpoints, both) with every handler style and five
sets of limits; ``cells_for_mapping`` checks a user's mapping at small bounds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from checks.explore.graph import Exploration, Reductions, explore
from checks.explore.properties import observe
from checks.explore.space import FailureSpace
from model.config import (
    REPORT_BATCH_ITEM_FAILURES,
    MappingConfig,
    Settings,
    Timing,
)
from model.handler import ResponseStyle
from model.records import Shard
from model.semantics import Rules

__all__ = [
    "Cell",
    "MODES",
    "LIMITS",
    "RAW_PAYLOAD",
    "default_matrix",
    "cells_for_mapping",
    "explore_cell",
]

_QUEUE = "arn:aws:sqs:us-east-1:123456789012:shardcheck-failures"

#: The raw style's fixed payload: the wrong casing users write (users.md, 1).
RAW_PAYLOAD = {"BatchItemFailures": [{"itemIdentifier": "1"}]}

#: Records and batch size of the default matrix: two batches, of four and two.
RECORDS = 6
BATCH_SIZE = 4

#: Abstract time: an invocation and a back-off each take 10 s, so the smallest
#: age limit (60 s) and a retention of 100 s are a few steps.
STEP_SECONDS = 10

MODES = {
    "whole": {},
    "bisect": {"bisect_batch_on_function_error": True},
    "custom": {"function_response_types": (REPORT_BATCH_ITEM_FAILURES,)},
    "bisect+custom": {
        "bisect_batch_on_function_error": True,
        "function_response_types": (REPORT_BATCH_ITEM_FAILURES,),
    },
}

#: name -> (mapping changes, retention seconds or None)
LIMITS: dict[str, tuple[dict[str, object], int | None]] = {
    "R2": ({"maximum_retry_attempts": 2, "on_failure_destination": _QUEUE}, None),
    "R2-nodest": ({"maximum_retry_attempts": 2}, None),
    "age60": (
        {
            "maximum_retry_attempts": -1,
            "maximum_record_age_in_seconds": 60,
            "on_failure_destination": _QUEUE,
        },
        None,
    ),
    "inf": ({"on_failure_destination": _QUEUE}, None),
    "inf-retention": ({"on_failure_destination": _QUEUE}, 100),
}


#: What builds every cell's rules: the model, or a variant of it (a mutant of
#: ``checks.mutants``, which ``checks.mutants.as_model`` swaps in for a run).
RULES_FACTORY: Callable[[Settings, Shard], Rules] = Rules


@dataclass(frozen=True)
class Cell:
    """One configuration of the verdict table."""

    label: str
    settings: Settings
    records: int
    space: FailureSpace
    mode: str = ""
    limits: str = ""
    notes: tuple[str, ...] = ()

    @property
    def style(self) -> ResponseStyle:
        return self.space.style

    def rules(self) -> Rules:
        source = self.settings.mapping.source
        return RULES_FACTORY(self.settings, Shard.numbered(self.records, source))


def explore_cell(
    cell: Cell, reductions: Reductions | None = None, **options: object
) -> Exploration:
    """Explore one cell with the properties observing every step."""
    rules = cell.rules()
    return explore(
        rules,
        cell.space,
        reductions,
        observer=observe(rules.shard),
        **options,  # type: ignore[arg-type]
    )


def _timing(retention: int | None) -> Timing:
    return Timing(STEP_SECONDS, STEP_SECONDS, retention)


def default_matrix() -> list[Cell]:
    """Every mode x handler style x limits cell, at 6 records and BatchSize 4.

    >>> len(default_matrix())
    120
    """
    cells = []
    for mode, changes in MODES.items():
        for limits, (limit_changes, retention) in LIMITS.items():
            mapping = MappingConfig(batch_size=BATCH_SIZE, **changes, **limit_changes)  # type: ignore[arg-type]
            settings = Settings(mapping, _timing(retention))
            for style in ResponseStyle:
                payload = RAW_PAYLOAD if style is ResponseStyle.RAW else None
                space = FailureSpace(style=style, raw_payload=payload)
                label = f"{mode}/{limits}/{style}"
                cells.append(Cell(label, settings, RECORDS, space, mode, limits))
    return cells


def cells_for_mapping(
    label: str, mapping: MappingConfig, records: int = RECORDS
) -> list[Cell]:
    """A user's mapping, at small bounds, under every handler style.

    Large limits are scaled down so the graph stays small, and each change is a
    note on the cell: BatchSize at most ``records``, MaximumRetryAttempts at most
    3, and time counted in steps of a thirtieth of the record age limit (at least
    10 s), so a record may wait about fifteen failed invocations before it expires.
    """
    notes = []
    changes: dict[str, object] = {}
    if mapping.batch_size > records:
        changes["batch_size"] = records
        notes.append(f"BatchSize {mapping.batch_size} checked as {records}")
    if mapping.retries_are_finite and mapping.maximum_retry_attempts > 3:
        changes["maximum_retry_attempts"] = 3
        notes.append(
            f"MaximumRetryAttempts {mapping.maximum_retry_attempts} checked as 3"
        )
    checked = mapping.with_changes(**changes)
    step = STEP_SECONDS
    if mapping.age_is_finite:
        step = max(STEP_SECONDS, math.ceil(mapping.maximum_record_age_in_seconds / 30))
        notes.append(f"an invocation and a back-off take {step} s each")
    notes.append(f"{records} records; retention unbounded")
    notes.extend(mapping.assumptions())
    settings = Settings(checked, Timing(step, step, None))
    cells = []
    for style in ResponseStyle:
        payload = RAW_PAYLOAD if style is ResponseStyle.RAW else None
        space = FailureSpace(style=style, raw_payload=payload)
        cells.append(
            Cell(f"{label}/{style}", settings, records, space, notes=tuple(notes))
        )
    return cells
