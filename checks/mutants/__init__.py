"""Mutants: wrong semantics that the checker must catch (issue 8).

``checks.mutants.catalogue`` holds the variants of the model; ``checks.mutants.score``
runs each through the explorer and through the oracle and says what caught it.
"""

from checks.mutants.catalogue import MUTANTS, MutantRules, mutant, mutant_names

__all__ = ["MUTANTS", "MutantRules", "mutant", "mutant_names"]
