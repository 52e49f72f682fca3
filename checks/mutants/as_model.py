"""Mutants as the model: ``python -m checks.verify``'s explorer verdicts with a mutant.

The explorer builds every cell's rules with ``checks.explore.matrix.RULES_FACTORY``;
``judge_as_model`` swaps the mutant in, runs the main job's explorer part in-process,
and reads its JSON.  A verdict that differs from the manifest's expected verdict, or
a delivery bound that differs from the pinned one, catches the mutant when the
property is tied to the rule the mutant breaks; state counts alone never do.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checks.mutants.catalogue import MutantRules
    from checks.mutants.score import Catch

__all__ = ["PROPERTY_RULES", "judge_as_model", "mutant_as_model"]

#: States per cell after which a mutant's exploration is abandoned (the model's
#: largest default cell has under three hundred).
MAX_STATES = 3_000

#: The rules each explorer property speaks for, read from its statement: a verdict
#: that changes on a property names these rules.
PROPERTY_RULES: dict[str, tuple[str, ...]] = {
    # "processed successfully or described in a destination record": what reads as
    # success (R2), the checkpoint a partial response sets (R6), the record (R9).
    "no_silent_loss": ("R2", "R6", "R9"),
    "checkpoint_safety": ("R1", "R6"),
    "minimum_checkpoint": ("R6",),
    # "through the mapping's own limits": retries (R3), age (R4), the budget (R7).
    "progress": ("R3", "R4", "R7"),
    # The delivery bound's formula counts retries, halves and budgets.
    "bounded_deliveries": ("R3", "R5", "R7"),
    "no_redelivery_of_successes": ("R5", "R6"),
    "order": ("R1", "R5"),
    "bisect_isolates_poison": ("R5", "R8"),
}


@contextlib.contextmanager
def mutant_as_model(mutant: type[MutantRules]) -> Iterator[None]:
    """Within the block, the explorer builds the mutant's rules for every cell.

    >>> from checks.explore import matrix
    >>> from checks.mutants.catalogue import mutant
    >>> with mutant_as_model(mutant("floor-split")):
    ...     matrix.RULES_FACTORY.name
    'floor-split'
    >>> matrix.RULES_FACTORY.__name__
    'Rules'
    """
    from checks.explore import matrix, section

    saved = matrix.RULES_FACTORY, section.MAX_STATES
    matrix.RULES_FACTORY = mutant
    # A mutant may make the state space unbounded (a clock that no age limit
    # stops); give up on such a cell early instead of at the explorer's limit.
    section.MAX_STATES = min(MAX_STATES, section.MAX_STATES)
    try:
        yield
    finally:
        matrix.RULES_FACTORY, section.MAX_STATES = saved


def _explorer_document(mutant: type[MutantRules]) -> dict[str, Any]:
    """The JSON of ``python -m checks.verify --only explore --json`` as the mutant."""
    from checks.verify import main

    out, err = io.StringIO(), io.StringIO()
    with (
        mutant_as_model(mutant),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        main(["--only", "explore", "--json", "--quiet"])
    try:
        document: dict[str, Any] = json.loads(out.getvalue())
    except json.JSONDecodeError:
        first = (err.getvalue().strip().splitlines() or ["no output"])[0]
        return {"error": first}
    document["not_checked"] = [
        line.removeprefix("FAILED: ")
        for line in err.getvalue().splitlines()
        if ": not checked: " in line
    ]
    return document


def judge_as_model(mutant: type[MutantRules]) -> list[Catch]:
    """The verdicts that tell the mutant from the model, with the rules they name.

    Examples
    --------
    >>> from checks.mutants.catalogue import mutant
    >>> catches = judge_as_model(mutant("unlimited-as-zero"))
    >>> any(catch.names("R3") for catch in catches)
    True
    """
    from checks.explore.manifest import pinned
    from checks.explore.matrix import default_matrix
    from checks.mutants.score import Catch

    try:
        document = _explorer_document(mutant)
    except Exception as error:  # a mutant that breaks the explorer: say so
        return [Catch("verify", (), f"the explorer stopped: {error}")]
    if "error" in document:
        return [Catch("verify", (), f"checks.verify failed: {document['error']}")]
    cells = {cell.label: cell for cell in default_matrix()}
    # A cell whose state space outgrows the limit is told apart, but names no rule.
    catches = [Catch("verify", (), line) for line in document["not_checked"]]
    for entry in document.get("verdicts", []):
        name, label = entry["property"], entry["configuration"]
        rules = PROPERTY_RULES.get(name, ())
        expected = entry.get("expected")
        if expected is not None and entry["verdict"] != expected:
            catches.append(
                Catch(
                    "verify",
                    rules,
                    f"{label}: {name} {entry['verdict']}, the manifest expects "
                    f"{expected}",
                )
            )
            continue
        pins = pinned(cells[label]) if label in cells else None
        if (
            name == "bounded_deliveries"
            and pins is not None
            and entry.get("value") != pins["bounded_deliveries"]
        ):
            catches.append(
                Catch(
                    "verify",
                    rules,
                    f"{label}: at most {entry.get('value')} deliveries of a "
                    f"record, the manifest pins {pins['bounded_deliveries']}",
                )
            )
    return catches
