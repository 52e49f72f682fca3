"""Deliberately broken rules make the corresponding proof fail.

Each mutant replaces one function of the rule table.  The drift test's random models
first show that the broken table steps like the broken copy of the model in
``checks.mutants.catalogue`` (so the mutant is the same rule, broken the same way),
then the proof that depends on that rule must come out as a counterexample.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
import z3
from test_proofs_drift import compare, samples

from checks.mutants.catalogue import mutant
from checks.proofs.encoding import OUTCOME_CODES, RuleTable, rule_table
from checks.proofs.runner import prove
from checks.proofs.statements import all_statements
from model.config import Undocumented
from model.responses import Outcome

DEFAULT = rule_table()


def _checkpoint_at_highest() -> RuleTable:
    return dataclasses.replace(DEFAULT, partial_cut=lambda behaviour: behaviour.highest)


def _split_uses_retry() -> RuleTable:
    return dataclasses.replace(DEFAULT, halves_attempts=lambda attempts: attempts + 1)


def _malformed_as_success() -> RuleTable:
    malformed = OUTCOME_CODES[Outcome.MALFORMED]
    success = OUTCOME_CODES[Outcome.SUCCESS]

    def outcome(config, behaviour):  # type: ignore[no-untyped-def]
        read = DEFAULT.outcome(config, behaviour)
        return z3.If(read == malformed, success, read)

    return dataclasses.replace(DEFAULT, outcome=outcome)


def _floor_split() -> RuleTable:
    return dataclasses.replace(DEFAULT, split_point=lambda size: size / 2)


def _budget_not_renewed() -> RuleTable:
    return dataclasses.replace(
        DEFAULT, partial_attempts=lambda attempts, moved: attempts + 1
    )


def _stalled_partial_free() -> RuleTable:
    return dataclasses.replace(
        DEFAULT,
        partial_attempts=lambda attempts, moved: z3.If(moved, 0, attempts),
    )


#: mutant name in checks.mutants -> (broken rule table, the proof it must break)
MUTANTS: dict[str, tuple[Callable[[], RuleTable], str]] = {
    "checkpoint-at-highest": (_checkpoint_at_highest, "minimum-checkpoint"),
    "split-uses-retry": (_split_uses_retry, "bound-bisect"),
    "malformed-as-success": (_malformed_as_success, "no-silent-loss"),
    "floor-split": (_floor_split, "bisect-isolation-invocations"),
    "budget-not-renewed": (_budget_not_renewed, "bound-custom-checkpoint"),
    "stalled-partial-free": (_stalled_partial_free, "progress-finite-retries"),
}

STATEMENTS = {statement.key: statement for statement in all_statements()}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_broken_table_steps_like_the_broken_model(name: str) -> None:
    broken, _ = MUTANTS[name]
    model_copy = mutant(name)
    # The catalogue's copy reads a malformed response as success only after the
    # failure's back-off was added to the clock; the table reads it so at once.
    check_clock = name != "malformed-as-success"
    for sample in samples(25, seed=7, rules=broken()):
        compare(sample, Undocumented(), factory=model_copy, check_clock=check_clock)


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_broken_rule_breaks_its_proof(name: str) -> None:
    broken, key = MUTANTS[name]
    assert prove(STATEMENTS[key]).result == "proved"
    result = prove(STATEMENTS[key], broken())
    assert result.result == "counterexample", result
    assert result.failed_obligation


def test_floor_split_fails_first_at_three_records() -> None:
    # Worked by hand: with floor(n/2) first, a batch of 3 splits into [1] and
    # [2, 3]; poison in the upper half costs 1 + 1 + 3 = 5 invocations, while the
    # formula (ceil split) gives 1 + 2*1 + [6 >= 6] = 4.
    statement = STATEMENTS["bisect-isolation-invocations"]
    result = prove(statement, _floor_split())
    assert "size=3" in result.model


def test_budget_not_renewed_keeps_the_upper_bound() -> None:
    # Not renewing the budget only removes deliveries: the bound still holds as an
    # upper bound, but it is no longer reached, so only that obligation fails.
    result = prove(STATEMENTS["bound-custom-checkpoint"], _budget_not_renewed())
    assert result.failed_obligation == "bound reached"
