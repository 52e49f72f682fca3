"""Mutants as the model: the explorer's property verdicts with the mutant's rules.

A verdict that differs from the one the explorer gives for the correct rules, on a
property tied to the rule the mutant breaks, catches the mutant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from checks.mutants.catalogue import MutantRules
    from checks.mutants.score import Catch

__all__ = ["judge_as_model"]


def judge_as_model(mutant: type[MutantRules]) -> list[Catch]:
    """The explorer's verdicts that tell the mutant from the model (none yet)."""
    try:
        import checks.explore  # noqa: F401
    except ModuleNotFoundError:
        return []
    return []
