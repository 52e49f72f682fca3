"""The mutation score: every wrong semantics of the catalogue is caught, by its rule.

The expected batches of each mutant are worked by hand from the wrong rule it
implements (docs/robustness.md lists them), so the tests show the mutants really
are the wrong semantics they claim, and then that the checker tells each apart.
"""

from __future__ import annotations

import re

import pytest

from checks.mutants import MUTANTS, MutantRules, mutant
from checks.mutants.as_model import judge_as_model
from checks.mutants.score import judge_as_implementation, score, score_line
from checks.mutants.suite import SUITE_STEP_LIMIT, suite
from model.semantics import Rules
from model.simulator import Scenario, Trace, simulate


def _scenario(name: str) -> Scenario:
    return next(scenario for scenario in suite() if scenario.name == name)


def _run(mutant_name: str, scenario_name: str) -> Trace:
    scenario = _scenario(scenario_name)
    rules = mutant(mutant_name)(scenario.settings, scenario.shard)
    return simulate(scenario, step_limit=SUITE_STEP_LIMIT, rules=rules)


def _batches(trace: Trace) -> list[str]:
    """Invoked batches as "1..10", "4,5" or "5", in order."""
    spans = []
    for step in trace.invocations:
        assert step.invocation is not None
        batch = step.invocation.batch
        first, last = batch.start + 1, batch.end
        if first == last:
            spans.append(str(first))
        elif last == first + 1:
            spans.append(f"{first},{last}")
        else:
            spans.append(f"{first}..{last}")
    return spans


class _Identity(MutantRules):
    """The model itself dressed as a mutant: nothing may catch it."""

    name = "identity"
    rule = "R1"
    description = "the model, unchanged"


# -- the catalogue ------------------------------------------------------------------


def test_catalogue_has_at_least_fifteen_distinct_wrong_semantics() -> None:
    assert len(MUTANTS) >= 15
    names = [cls.name for cls in MUTANTS]
    assert len(set(names)) == len(names)
    for cls in MUTANTS:
        assert issubclass(cls, Rules)
        assert re.fullmatch(r"R[1-9]", cls.rule), cls.name
        assert cls.description and "\n" not in cls.description
        # Each overrides at least one method of the model, and only a few.
        overridden = [
            name
            for name, value in vars(cls).items()
            if callable(value) and hasattr(Rules, name)
        ]
        assert 1 <= len(overridden) <= 2, (cls.name, overridden)


def test_every_rule_with_a_failure_path_has_a_mutant() -> None:
    assert {cls.rule for cls in MUTANTS} >= {"R2", "R3", "R4", "R5", "R6", "R7", "R9"}


# -- each mutant is the wrong semantics it claims (batches worked by hand) ------------


def test_retries_count_invocations_discards_one_invocation_early() -> None:
    # MaximumRetryAttempts 2 means three invocations; counting invocations as
    # retries stops after two, then discards the whole batch.
    trace = _run("retries-count-invocations", "article-whole-batch")
    assert _batches(trace) == ["1..10", "1..10"]
    assert trace.final.destination[0].invoke_count == 2


def test_unlimited_as_zero_discards_after_the_first_failure() -> None:
    trace = _run("unlimited-as-zero", "unlimited-retries")
    assert _batches(trace) == ["1..5"]
    assert [(d.start, d.end) for d in trace.final.destination] == [(0, 5)]


def test_floor_split_bisects_record_five_differently() -> None:
    # [1..10] fails -> [1..5] | [6..10]; [1..5] -> [1,2] | [3..5]; [3..5] -> [3] |
    # [4,5]; [4,5] -> [4] | [5]; [5] runs 1 + 2 retries, is discarded; [6..10].
    trace = _run("floor-split", "article-bisect-record")
    assert _batches(trace) == [
        "1..10",
        "1..5",
        "1,2",
        "3..5",
        "3",
        "4,5",
        "4",
        "5",
        "5",
        "5",
        "6..10",
    ]


def test_upper_half_first_runs_six_to_ten_before_one_to_five() -> None:
    # Position 6 of every batch is poison: [1..10] fails; the upper half [6..10]
    # has no 6th record and succeeds, then [1..5] does.
    trace = _run("upper-half-first", "article-bisect-position")
    assert _batches(trace) == ["1..10", "6..10", "1..5"]


def test_checkpoint_at_highest_loses_the_lower_reported_record() -> None:
    # Records 3 and 6 are reported; the checkpoint jumps to 6, so record 3 is
    # passed as if done. [6..10] then fails three times (a fresh budget of 2
    # retries) and is discarded.
    trace = _run("checkpoint-at-highest", "two-reported-failures")
    assert _batches(trace) == ["1..10", "6..10", "6..10", "6..10"]
    assert trace.final.lost_positions() == [2]


def test_stalled_partial_free_never_exhausts_a_reported_head() -> None:
    # The model discards [1..5] after 3 stalled partial failures; the mutant
    # never counts them, so only retention (60 s, 2 s per failed try) ends it.
    trace = _run("stalled-partial-free", "reported-poison-head")
    assert len(_batches(trace)) > 3
    assert all(batch == "1..5" for batch in _batches(trace))
    assert trace.final.destination == ()


# -- the checker catches every mutant by the rule it breaks -----------------------


def test_mutation_score_is_one_hundred_percent() -> None:
    # The oracle alone catches every mutant, so the score of
    # benchmarks/mutation_score.py (oracle or explorer) is 100 % too.
    results = score(judges=[judge_as_implementation])
    missed = [score_line(result) for result in results if not result.caught]
    assert missed == []
    assert len(results) == len(MUTANTS)


def test_the_model_itself_is_never_caught() -> None:
    # A checker that flags the unchanged model would "catch" every mutant.
    assert judge_as_implementation(_Identity) == []
    assert judge_as_model(_Identity) == []


def test_floor_split_is_reported_as_an_alternative_reading() -> None:
    # floor(n/2) is a legitimate reading of an undocumented point: still a
    # divergence from the default, and the oracle says which reading fits.
    from checks.oracle import judge, parse_trace_lines, trace_lines

    trace = _run("floor-split", "article-bisect-record")
    verdict = judge(parse_trace_lines(trace_lines(trace)))
    assert verdict.divergence is not None and verdict.divergence.rule == "R5"
    assert any("floor(n/2)" in words for words in verdict.alternatives)


@pytest.mark.parametrize(
    ("name", "property_name"),
    [
        ("upper-half-first", "order"),
        ("budget-not-renewed", "bounded_deliveries"),
        ("stalled-partial-free", "progress"),
    ],
)
def test_the_explorer_catches_mutants_as_the_model(
    name: str, property_name: str
) -> None:
    cls = mutant(name)
    catches = [catch for catch in judge_as_model(cls) if catch.names(cls.rule)]
    assert any(f": {property_name} " in catch.text for catch in catches), catches


def test_explorer_as_the_model_catches_a_discard_without_destination_record() -> None:
    # R9: "discarded" is a safe ending only because a destination record describes
    # the records; a model that settles the fate but writes nothing loses them.
    from checks.mutants.as_model import judge_as_model
    from checks.mutants.catalogue import mutant

    catches = judge_as_model(mutant("discard-without-destination"))
    assert any(
        catch.names("R9") and "no_silent_loss" in catch.text for catch in catches
    ), catches
