"""The optional parts of ``python -m checks.verify``, each in its own module.

Each module listed here has a ``register(sections)`` function that adds its part to
the main job's ordered table of sections; a module that is absent is skipped, so the
parts can be developed and shipped independently.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, MutableMapping
from typing import Any

__all__ = ["register", "PART_MODULES"]

#: Modules whose ``register`` adds a part, in the order the parts run.
PART_MODULES = (
    "checks.proofs.section",
    "checks.explore.section",
    "checks.oracle.config_section",
    "checks.reports.section",
)


def register(sections: MutableMapping[str, Callable[[Any], None]]) -> None:
    for module_name in PART_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name is not None and module_name.startswith(error.name):
                continue
            raise
        module.register(sections)
