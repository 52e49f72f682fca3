"""The expected-verdict manifest of the default matrix (``manifest.json``).

Expected verdicts are rules written from docs/model.md's rules before the explorer
ran, each with a reason; the first rule of a property whose conditions match a cell
decides.  State counts and delivery bounds are pinned per cell from a run, as a
regression contract: ``python -m checks.explore.manifest --pin`` rewrites only them.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from checks.explore.matrix import Cell

__all__ = ["Expectation", "MANIFEST_PATH", "expected", "pinned", "cell_facts"]

MANIFEST_PATH = Path(__file__).with_name("manifest.json")


@dataclass(frozen=True)
class Expectation:
    """The expected verdict of one property on one cell, and why."""

    verdict: str
    why: str


@lru_cache(maxsize=1)
def _manifest() -> dict[str, Any]:
    return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))


def cell_facts(cell: Cell) -> dict[str, Any]:
    """What a manifest rule may test about a cell.

    >>> from checks.explore.matrix import default_matrix
    >>> cell_facts(default_matrix()[0])["style"]
    'throw'
    """
    mapping = cell.settings.mapping
    return {
        "mode": cell.mode,
        "limits": cell.limits,
        "style": str(cell.style),
        "rbif": mapping.report_batch_item_failures,
        "bisect": mapping.bisect_batch_on_function_error,
    }


def _matches(when: dict[str, Any], facts: dict[str, Any]) -> bool:
    for name, wanted in when.items():
        value = facts[name]
        if isinstance(wanted, list):
            if value not in wanted:
                return False
        elif value != wanted:
            return False
    return True


def expected(cell: Cell, property_name: str) -> Expectation | None:
    """The manifest's verdict for ``cell``, or None for a cell not in the matrix."""
    if not cell.mode:
        return None
    facts = cell_facts(cell)
    for rule in _manifest()["rules"][property_name]:
        if _matches(rule["when"], facts):
            return Expectation(rule["verdict"], rule["why"])
    raise KeyError(f"the manifest has no rule for {property_name} on {cell.label}")


def pinned(cell: Cell) -> dict[str, Any] | None:
    """The pinned state count and delivery bound of a cell, if pinned."""
    result: dict[str, Any] | None = _manifest()["cells"].get(cell.label)
    return result


def _pin() -> None:
    """Rewrite the pinned counts from a run (the verdict rules are left alone)."""
    from checks.explore.matrix import default_matrix, explore_cell
    from checks.explore.properties import property_named
    from checks.explore.verdicts import check

    data = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    cells = {}
    bounded = property_named("bounded_deliveries")
    for cell in default_matrix():
        exploration = explore_cell(cell)
        value = check(exploration, bounded).value
        cells[cell.label] = {"states": exploration.states, "bounded_deliveries": value}
    data["cells"] = cells
    MANIFEST_PATH.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"pinned {len(cells)} cells in {MANIFEST_PATH}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--pin"]:
        sys.exit("usage: python -m checks.explore.manifest --pin")
    _pin()
