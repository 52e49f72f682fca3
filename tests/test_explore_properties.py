"""Each property holds somewhere and fails somewhere, with a replayed trace."""

from __future__ import annotations

from dataclasses import replace

import pytest

from checks.explore.counterexamples import counterexample
from checks.explore.formulas import bisect_levels
from checks.explore.graph import explore
from checks.explore.matrix import default_matrix, explore_cell
from checks.explore.properties import PROPERTY_NAMES, observe, property_named
from checks.explore.space import FailureSpace
from checks.explore.verdicts import Verdict, check, check_all
from checks.mutants.catalogue import mutant
from model.config import REPORT_BATCH_ITEM_FAILURES, MappingConfig, Settings, Timing
from model.handler import ResponseStyle
from model.records import Shard
from model.semantics import Rules, Transition

MATRIX = {cell.label: cell for cell in default_matrix()}


def _check(rules: Rules, space: FailureSpace, name: str) -> tuple:
    exploration = explore(rules, space, observer=observe(rules.shard))
    return exploration, check(exploration, property_named(name))


def _cell(label: str, name: str) -> tuple:
    cell = MATRIX[label]
    return _check(cell.rules(), cell.space, name)


def _replayed(exploration, verdict: Verdict):
    example = counterexample(exploration, verdict, verdict.paths[0], "test", "t")
    assert example.trace.transitions, "a counterexample has at least one step"
    return example


# -- holds in one configuration, fails with a replayed trace in another ------------

PAIRS = {
    "no_silent_loss": ("bisect/R2/throw", "custom/R2/report_highest"),
    "minimum_checkpoint": ("custom/R2/report_all", None),
    "progress": ("whole/R2/throw", "custom/inf-retention/report_first"),
    "bounded_deliveries": ("custom/R2/report_first", "whole/inf/throw"),
    "no_redelivery_of_successes": ("custom/R2/report_first", "whole/R2/throw"),
    "order": ("bisect/R2/throw", "custom/R2/report_all"),
    "bisect_isolates_poison": ("bisect/R2/throw", "bisect+custom/R2/report_first"),
    "checkpoint_safety": ("whole/R2/throw", None),
}


def test_pairs_cover_every_property() -> None:
    assert set(PAIRS) == set(PROPERTY_NAMES)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_holds_with_a_reachable_twin(name: str) -> None:
    _exploration, verdict = _cell(PAIRS[name][0], name)
    assert verdict.verdict == "holds"
    assert verdict.paths, "a verdict that holds shows its twin (or the maximum)"


@pytest.mark.parametrize("name", sorted(n for n, (_, f) in PAIRS.items() if f))
def test_fails_with_a_replayed_trace(name: str) -> None:
    exploration, verdict = _cell(PAIRS[name][1], name)
    assert verdict.verdict == "fails"
    example = _replayed(exploration, verdict)
    assert example.verdict == "fails" and example.statement


class _JumpsAhead(Rules):
    """A wrong model: after a function error the checkpoint jumps past the batch."""

    def _after_batch_failure(self, before, state, record, rest) -> Transition:
        transition = super()._after_batch_failure(before, state, record, rest)
        after = transition.after.with_changes(checkpoint=record.batch.end)
        return replace(transition, after=after)


def test_checkpoint_safety_fails_on_a_wrong_model() -> None:
    cell = MATRIX["whole/R2/throw"]
    rules = _JumpsAhead(cell.settings, Shard.numbered(cell.records))
    exploration, verdict = _check(rules, cell.space, "checkpoint_safety")
    assert verdict.verdict == "fails"
    example = _replayed(exploration, verdict)
    last = example.trace.transitions[-1]
    assert last.after.checkpoint > last.before.checkpoint
    assert not last.after.fates[last.before.checkpoint].is_done


def test_minimum_checkpoint_fails_when_the_highest_wins() -> None:
    cell = MATRIX["custom/R2/report_all"]
    rules = mutant("checkpoint-at-highest")(cell.settings, Shard.numbered(cell.records))
    exploration, verdict = _check(rules, cell.space, "minimum_checkpoint")
    assert verdict.verdict == "fails"
    _replayed(exploration, verdict)


def test_order_fails_when_the_upper_half_runs_first() -> None:
    cell = MATRIX["bisect/R2/throw"]
    rules = mutant("upper-half-first")(cell.settings, Shard.numbered(cell.records))
    _exploration, verdict = _check(rules, cell.space, "order")
    assert verdict.verdict == "fails"


def test_silent_loss_names_every_cause() -> None:
    # report_highest with RBIF on and no destination: a lower failure is left
    # unreported, and a poison record is dropped after its retries
    _exploration, verdict = _cell("custom/R2-nodest/report_highest", "no_silent_loss")
    assert "reported only later records" in verdict.detail
    assert "no on-failure destination" in verdict.detail
    assert len(verdict.paths) == 2


# -- liveness: the lasso, and retention ---------------------------------------------


def test_lasso_for_unlimited_retries_with_unbounded_retention() -> None:
    exploration, verdict = _cell("whole/inf/throw", "progress")
    assert verdict.verdict == "fails"
    path = verdict.paths[0]
    assert path.loop_start is not None
    assert path.nodes[path.loop_start] == path.nodes[-1]
    example = _replayed(exploration, verdict)
    assert example.is_lasso and example.trace.blocked
    loop = example.trace.transitions[example.loop_start :]
    # the loop is the same failing batch, invoked again and again
    assert loop and all(step.invocation is not None for step in loop)
    assert {step.invocation.outcome.value for step in loop} == {"function_error"}


def test_finite_retention_ends_the_run_with_a_trimmed_record() -> None:
    exploration, verdict = _cell("whole/inf-retention/throw", "progress")
    assert verdict.verdict == "fails" and verdict.paths[0].loop_start is None
    example = _replayed(exploration, verdict)
    assert example.trace.transitions[-1].discards[0].condition == "RetentionExpired"


# -- vacuity --------------------------------------------------------------------------


def test_a_space_without_failures_is_vacuous_not_holding() -> None:
    cell = MATRIX["whole/R2/throw"]
    space = FailureSpace(("good",), ResponseStyle.THROW)
    for name in ("no_silent_loss", "progress", "order", "bisect_isolates_poison"):
        _exploration, verdict = _check(cell.rules(), space, name)
        assert verdict.verdict == "vacuous", name
        assert "vacuously" in verdict.detail


def test_the_article_claim_is_vacuous_without_report_batch_item_failures() -> None:
    # report_first with RBIF off: every response reads as success, nothing is
    # ever delivered again, so "no redelivery" says nothing
    _exploration, verdict = _cell("whole/R2/report_first", "no_redelivery_of_successes")
    assert verdict.verdict == "vacuous"


# -- bounded_deliveries against numbers worked on paper -------------------------------


def _bound(mapping: MappingConfig, records: int, kinds: tuple, style) -> int | None:
    rules = Rules(Settings(mapping, Timing(10, 10, None)), Shard.numbered(records))
    _exploration, verdict = _check(
        rules, FailureSpace(kinds, style), "bounded_deliveries"
    )
    return verdict.value


def test_whole_batch_one_poison_record_three_deliveries() -> None:
    # R = 2: the batch is invoked 1 + 2 times, then discarded
    mapping = MappingConfig(batch_size=3, maximum_retry_attempts=2)
    assert _bound(mapping, 3, ("good", "poison"), ResponseStyle.THROW) == 3


def test_bisect_ceil_split_of_ten() -> None:
    # [1..10] -> [1..5] -> [1..3] -> [1, 2] -> [1]: record 1 poison is in four
    # batches of two or more, then alone 1 + R = 3 times: 7
    mapping = MappingConfig(
        batch_size=10, maximum_retry_attempts=2, bisect_batch_on_function_error=True
    )
    assert bisect_levels(10) == 4
    assert _bound(mapping, 10, ("good", "poison"), ResponseStyle.THROW) == 7


def test_custom_checkpoint_failing_once_records_renew_the_budget() -> None:
    # N = B = 4, R = 2, report_first: records 1..3 each fail once, record 4 is
    # poison.  Invocations 1..3 each stop at the next record (the first is a
    # stall, the others move the checkpoint: fresh budget, R7), invocation 4
    # moves it to record 4, then [4] runs 1 + R = 3 times: 4 + 3 = 7
    mapping = MappingConfig(
        batch_size=4,
        maximum_retry_attempts=2,
        function_response_types=(REPORT_BATCH_ITEM_FAILURES,),
    )
    kinds = ("good", "fails_once", "poison")
    assert _bound(mapping, 4, kinds, ResponseStyle.REPORT_FIRST) == 7


def test_formula_agrees_on_the_matrix() -> None:
    for cell in default_matrix():
        if cell.limits not in ("R2", "R2-nodest"):
            continue
        verdict = next(
            v
            for v in check_all(explore_cell(cell))
            if v.property_name == "bounded_deliveries"
        )
        assert verdict.verdict == "holds", (cell.label, verdict.detail)


def test_by_position_poison_is_part_of_the_space() -> None:
    # the article's walkthrough 2: position 6 of every batch fails, bisect: the
    # halves [1..5] and [6..10] succeed, so no record is delivered more than twice
    mapping = MappingConfig(
        batch_size=10, maximum_retry_attempts=2, bisect_batch_on_function_error=True
    )
    rules = Rules(Settings(mapping, Timing(10, 10, None)), Shard.numbered(10))
    space = FailureSpace(("good",), ResponseStyle.THROW, poison_positions=(6,))
    _exploration, verdict = _check(rules, space, "bounded_deliveries")
    assert verdict.value == 2


# -- bisect_isolates_poison counts only good records -------------------------------


def _discard_of_two(poison_second: bool) -> tuple:
    """Whole batch, R = 0, two records, a handler that raises if all failed."""
    mapping = MappingConfig(batch_size=2, maximum_retry_attempts=0)
    rules = Rules(Settings(mapping), Shard.numbered(2))
    space = FailureSpace(
        ("poison",) if poison_second else ("good", "poison"),
        ResponseStyle.REPORT_ALL_RAISE_IF_ALL,
    )
    return _check(rules, space, "bisect_isolates_poison")


def test_discarding_only_poison_records_keeps_isolation() -> None:
    # every record is poison: the raising handler fails all of them, and the
    # discarded pair holds no record that would have succeeded
    _exploration, verdict = _discard_of_two(poison_second=True)
    assert verdict.verdict == "holds"


def test_discarding_a_good_record_breaks_isolation() -> None:
    # record 1 poison, record 2 good: a throwing handler stops at record 1 and
    # R = 0 discards records 1..2, record 2 with it although it would succeed
    mapping = MappingConfig(batch_size=2, maximum_retry_attempts=0)
    rules = Rules(Settings(mapping), Shard.numbered(2))
    space = FailureSpace(("good", "poison"), ResponseStyle.THROW)
    _exploration, verdict = _check(rules, space, "bisect_isolates_poison")
    assert verdict.verdict == "fails"


def test_whole_batch_raise_if_all_discards_only_poison() -> None:
    # R2: a batch is discarded after three invocations in which every record
    # failed; a fails-once record succeeds on its second processing, so only
    # all-poison batches are discarded (manifest rule for rbif off, RAR)
    _exploration, verdict = _cell(
        "whole/R2/report_all_raise_if_all", "bisect_isolates_poison"
    )
    assert verdict.verdict == "holds"
