"""The all-sizes proofs: results, times, formulas against the simulator, the section.

Bounds and isolation counts are checked against the simulator on small shards with
values worked out by hand; counterexamples must replay; the verify section must
print its table and its JSON.
"""

from __future__ import annotations

import io
import itertools
import json
from contextlib import redirect_stdout

import pytest
import z3

from checks.proofs.bounds import ceil_log2, isolation_invocations
from checks.proofs.encoding import NotEncoded, rule_table
from checks.proofs.runner import Obligation, discharge
from checks.proofs.section import prove_all
from checks.verify import main
from model.config import (
    REPORT_BATCH_ITEM_FAILURES,
    MappingConfig,
    Settings,
    Timing,
    Undocumented,
)
from model.handler import POISON, FailsFirst, FailurePattern, Handler, ResponseStyle
from model.records import Shard
from model.scenario_file import scenario_from_dict, scenario_to_dict
from model.simulator import Scenario, simulate
from model.state import Fate

_QUEUE = "arn:aws:sqs:us-east-1:123456789012:q"
RBIF = (REPORT_BATCH_ITEM_FAILURES,)

#: Every statement and what it must give (issue 4, items 2 and 3).
EXPECTED = {
    "checkpoint-safety": "proved",
    "minimum-checkpoint": "proved",
    "first-failure-checkpoint": "proved",
    "no-silent-loss": "proved",
    "progress-finite-retries": "proved",
    "progress-finite-age": "proved",
    "custom-checkpoint-no-redelivery": "proved",
    "bisect-discards-only-poison": "proved",
    "bound-whole-batch": "proved",
    "bound-bisect": "proved",
    "bound-custom-checkpoint": "proved",
    "bisect-isolation-invocations": "proved",
    "whole-batch-no-redelivery": "counterexample",
    "infinite-retries-progress": "counterexample",
    "report-ignored-no-loss": "counterexample",
    "report-highest-no-loss": "counterexample",
}


@pytest.fixture(scope="module")
def results():
    return {result.key: result for result in prove_all()}


def test_every_statement_gives_its_expected_result_in_time(results) -> None:
    assert {key: result.result for key, result in results.items()} == EXPECTED
    assert all(result.seconds < 10 for result in results.values())
    assert sum(result.seconds for result in results.values()) < 60


def test_counterexamples_replay_in_the_simulator(results) -> None:
    examples = {key: results[key].counterexample for key in results}
    redelivery = examples["whole-batch-no-redelivery"].trace
    assert any(
        any(
            step.before.succeeded[p]
            for p in range(step.invocation.batch.start, step.invocation.batch.end)
        )
        for step in redelivery.invocations
    )
    loop = examples["infinite-retries-progress"]
    assert loop.is_lasso and loop.trace.blocked
    assert loop.trace.final.checkpoint == 0
    assert Fate.REPORT_IGNORED in examples["report-ignored-no-loss"].trace.final.fates
    highest = examples["report-highest-no-loss"].trace.final
    assert Fate.UNREPORTED_FAILURE in highest.fates
    for key, expected in EXPECTED.items():
        assert (examples[key] is not None) == (expected == "counterexample")


def test_counterexample_scenarios_round_trip_as_scenario_files(results) -> None:
    example = results["report-highest-no-loss"].counterexample
    again, _ = scenario_from_dict(scenario_to_dict(example.scenario))
    assert simulate(again).final.fates == example.trace.final.fates


def test_applies_to_follows_the_assumptions(results) -> None:
    finite = MappingConfig(batch_size=4, maximum_retry_attempts=2)
    infinite = MappingConfig(batch_size=4)
    aged = infinite.with_changes(maximum_record_age_in_seconds=60)
    progress = results["progress-finite-retries"]
    assert progress.applies_to(finite, ResponseStyle.THROW)
    assert not progress.applies_to(infinite, ResponseStyle.THROW)
    assert results["progress-finite-age"].applies_to(aged, ResponseStyle.THROW)
    assert not results["progress-finite-age"].applies_to(infinite, ResponseStyle.THROW)
    stuck = results["infinite-retries-progress"]
    assert stuck.applies_to(infinite, ResponseStyle.THROW)
    assert not stuck.applies_to(aged, ResponseStyle.THROW)
    minimum = results["minimum-checkpoint"]
    assert minimum.applies_to(
        finite.with_changes(function_response_types=RBIF), ResponseStyle.REPORT_ALL
    )
    assert not minimum.applies_to(finite, ResponseStyle.REPORT_ALL)


# -- the bounds against the simulator, with values worked by hand ---------------------


def _deliveries(mapping: MappingConfig, records: int, failures: dict, style) -> tuple:
    scenario = Scenario(
        "bound",
        Settings(mapping, Timing(retention_seconds=None)),
        Shard.numbered(records),
        Handler(FailurePattern(by_sequence=failures), style),
    )
    return simulate(scenario).final.deliveries


@pytest.mark.parametrize("batch_size, retries", [(1, 0), (3, 2), (4, 1), (5, 3)])
def test_bounds_reached_by_the_worst_pattern(batch_size: int, retries: int) -> None:
    base = MappingConfig(
        batch_size=batch_size,
        maximum_retry_attempts=retries,
        on_failure_destination=_QUEUE,
    )
    # Whole batch: a poison record runs R + 1 times.
    whole = _deliveries(base, batch_size, {"1": POISON}, ResponseStyle.THROW)
    assert max(whole) == retries + 1
    # Bisect: poison first record, halvings 10 -> 5 -> 3 -> 2 -> 1 are ceil(log2 n).
    halvings = {1: 0, 3: 2, 4: 2, 5: 3}[batch_size]
    bisect = _deliveries(
        base.with_changes(bisect_batch_on_function_error=True),
        batch_size,
        {"1": POISON},
        ResponseStyle.THROW,
    )
    assert bisect[0] == halvings + retries + 1
    # Custom checkpoints: each record stalls R times, then the next one fails, so
    # the last record of the batch is delivered at every start, R + 1 times each.
    failures = {str(n): FailsFirst(retries + 1) for n in range(2, batch_size)}
    failures["1"] = FailsFirst(retries)
    failures[str(batch_size)] = POISON
    custom = _deliveries(
        base.with_changes(function_response_types=RBIF),
        batch_size,
        failures,
        ResponseStyle.REPORT_FIRST,
    )
    assert custom[-1] == batch_size * (retries + 1) == max(custom)


@pytest.mark.parametrize("style", [ResponseStyle.THROW, ResponseStyle.REPORT_FIRST])
def test_no_small_pattern_exceeds_the_bounds(style: ResponseStyle) -> None:
    kinds = [None, FailsFirst(1), FailsFirst(2), POISON]
    batch_size, retries = 3, 1
    base = MappingConfig(batch_size=batch_size, maximum_retry_attempts=retries)
    modes = {
        "whole": (base, retries + 1),
        "bisect": (
            base.with_changes(bisect_batch_on_function_error=True),
            ceil_log2(batch_size) + retries + 1,
        ),
        "custom": (
            base.with_changes(function_response_types=RBIF),
            batch_size * (retries + 1),
        ),
    }
    for mapping, bound in modes.values():
        worst = 0
        for pattern in itertools.product(kinds, repeat=4):
            failures = {str(n + 1): k for n, k in enumerate(pattern) if k is not None}
            worst = max(worst, *_deliveries(mapping, 4, failures, style))
        assert worst <= bound


def test_isolation_count_matches_the_simulator() -> None:
    # Worked by hand from I(1) = 1, I(n) = 1 + max(I(ceil n/2), 1 + I(floor n/2)).
    by_hand = [1, 3, 4, 5, 5, 6, 6, 7, 7, 7, 7, 8]
    assert [isolation_invocations(n) for n in range(1, 13)] == by_hand
    mapping = MappingConfig(
        batch_size=16, maximum_retry_attempts=0, bisect_batch_on_function_error=True
    )
    for size, expected in enumerate(by_hand, start=1):
        counts = []
        for poison in range(1, size + 1):
            scenario = Scenario(
                "isolate",
                Settings(mapping.with_changes(batch_size=size)),
                Shard.numbered(size),
                Handler(FailurePattern(by_sequence={str(poison): POISON})),
            )
            batches = [
                (step.invocation.batch.start, step.invocation.batch.end)
                for step in simulate(scenario).invocations
            ]
            counts.append(batches.index((poison - 1, poison)) + 1)
        assert max(counts) == expected


def test_facts_about_logarithms_hold() -> None:
    # The proofs assume these of ceil(log2 n) and of powers of two.
    assert [ceil_log2(n) for n in range(1, 9)] == [0, 1, 2, 2, 3, 3, 3, 3]
    for n in range(2, 3000):
        assert ceil_log2(n) == 1 + ceil_log2((n + 1) // 2)
        assert ceil_log2(n - 1) <= ceil_log2(n)
        power = 2 ** (n.bit_length() - 1)
        assert power <= n < 2 * power and (power == 1 or power % 2 == 0)


# -- the runner and the rule table ---------------------------------------------------


def test_contradictory_premises_are_not_a_proof() -> None:
    x = z3.Int("x")
    result, reason, _ = discharge(Obligation("vacuous", [x > 1, x < 0], x == 5))
    assert result == "unknown" and "vacuous" in reason


def test_unencoded_alternatives_are_rejected() -> None:
    with pytest.raises(NotEncoded, match="half_order"):
        rule_table(Undocumented(half_order="narrative"))


# -- the verify section ----------------------------------------------------------------


def test_verify_prints_the_table_and_the_json() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        status = main(["--only", "proofs", "--json"])
    assert status == 0
    proofs = json.loads(out.getvalue())["proofs"]
    assert {entry["key"]: entry["result"] for entry in proofs} == EXPECTED
    assert all({"statement", "result", "seconds"} <= set(entry) for entry in proofs)
    replayable = [entry for entry in proofs if "counterexample" in entry]
    assert len(replayable) == 4
    assert all(
        entry["counterexample"]["scenario"]["records"] >= 1 for entry in replayable
    )

    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["--only", "proofs", "-q"]) == 0
    assert "checkpoint-safety" in out.getvalue() and "seconds" in out.getvalue()


def test_every_kind_of_step_satisfies_the_premises() -> None:
    # A branch whose premises contradicted each other would be left out of every
    # inductive step without notice: each kind of step must be possible.
    from checks.proofs.encoding import OUTCOME_CODES, Expiry
    from checks.proofs.statements import Setting
    from model.responses import Outcome

    here = Setting(rule_table())
    first, second = here.change.front
    has_rest = z3.And(here.state.head_pending, here.state.rest_count > 0)
    kinds = {
        f"outcome {outcome}": here.change.outcome == code
        for outcome, code in OUTCOME_CODES.items()
    }
    kinds.update(
        {
            "age expiry": here.behaviour.expiry == Expiry.AGE,
            "retention past the head": z3.And(
                here.behaviour.expiry == Expiry.RETENTION,
                here.behaviour.expire_end > here.state.pending_end,
                has_rest,
            ),
            "split": second.present,
            "retry": z3.And(first.present, z3.Not(second.present)),
            "next pending batch": z3.And(z3.Not(first.present), has_rest),
            "fresh read": z3.And(z3.Not(first.present), z3.Not(has_rest)),
            "discard": here.change.discarded,
        }
    )
    for name, kind in kinds.items():
        solver = z3.Solver()
        solver.add(*here.premises, kind)
        assert solver.check() == z3.sat, name
    assert "outcome malformed" in kinds and Outcome.MALFORMED in OUTCOME_CODES
