"""Tests of the explorer's graph: reductions, pinned counts, replays, the manifest."""

from __future__ import annotations

import pytest

from checks.explore.counterexamples import counterexample, replay, scenario_for
from checks.explore.graph import ROOT, ExplorationTooLarge, Reductions, explore
from checks.explore.manifest import expected, pinned
from checks.explore.matrix import Cell, default_matrix, explore_cell
from checks.explore.space import FailureSpace
from checks.explore.verdicts import check_all
from model.config import MappingConfig, Settings, Timing
from model.records import Shard
from model.semantics import Rules

MATRIX = {cell.label: cell for cell in default_matrix()}


def _verdicts(exploration):
    return {v.property_name: (v.verdict, v.value) for v in check_all(exploration)}


def _small(cell: Cell, records: int = 3, batch_size: int = 2) -> Cell:
    mapping = cell.settings.mapping.with_changes(batch_size=batch_size)
    settings = Settings(mapping, cell.settings.timing, cell.settings.undocumented)
    return Cell(cell.label, settings, records, cell.space, cell.mode, cell.limits)


# -- each reduction keeps every verdict --------------------------------------------

FINITE = [
    "whole/R2/throw",
    "bisect/R2-nodest/throw",
    "custom/R2/report_first",
    "custom/R2/report_all",
    "bisect+custom/R2/report_all_raise_if_all",
    "custom/age60/report_highest",
    "whole/inf-retention/throw",
]


@pytest.mark.parametrize("label", FINITE)
@pytest.mark.parametrize(
    "without",
    [
        Reductions(lazy=False),
        Reductions(canonical=False),
        Reductions(project=False),
        Reductions(lazy=False, canonical=False, project=False),
    ],
    ids=lambda reductions: reductions.describe(),
)
def test_each_reduction_keeps_every_verdict(label: str, without: Reductions) -> None:
    cell = _small(MATRIX[label])
    reduced = explore_cell(cell)
    full = explore_cell(cell, without, max_states=200_000)
    assert _verdicts(full) == _verdicts(reduced)
    assert reduced.states < full.states


def test_reductions_keep_verdicts_with_a_poison_position() -> None:
    # kinds decided lazily and a poison position of every batch: a record reached
    # at the poison position uses up one of its own failures too (FailurePattern
    # counts every processing), which the kind states must follow
    for label in ("bisect/R2/throw", "custom/R2/report_all"):
        base = _small(MATRIX[label])
        space = FailureSpace(base.space.kinds, base.space.style, poison_positions=(2,))
        cell = Cell(label, base.settings, base.records, space, base.mode, base.limits)
        reduced = explore_cell(cell)
        for without in (Reductions(lazy=False), Reductions(canonical=False)):
            assert _verdicts(explore_cell(cell, without)) == _verdicts(reduced)


@pytest.mark.parametrize("label", ["whole/inf/throw", "custom/inf/report_all"])
def test_lazy_decisions_keep_the_lasso(label: str) -> None:
    cell = _small(MATRIX[label])
    eager = explore_cell(cell, Reductions(lazy=False))
    assert _verdicts(eager) == _verdicts(explore_cell(cell))


def test_without_projection_unlimited_retries_never_close_a_loop() -> None:
    # the clock and the retry count grow forever: the graph is infinite
    with pytest.raises(ExplorationTooLarge, match="keep the reductions on"):
        explore_cell(
            _small(MATRIX["whole/inf/throw"]), Reductions(project=False), max_states=500
        )


# -- the manifest is a contract ------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    ["whole/R2/throw", "bisect/R2/throw", "custom/R2/report_first", "custom/inf/raw"],
)
def test_pinned_state_counts(label: str) -> None:
    cell = MATRIX[label]
    exploration = explore_cell(cell)
    assert exploration.states == pinned(cell)["states"]


def test_manifest_reasons_come_from_the_rules() -> None:
    # a spot check worked from semantics.md: R8 makes bisect + partial responses
    # discard good records with the poison one
    reason = expected(MATRIX["bisect+custom/R2/report_first"], "bisect_isolates_poison")
    assert reason is not None and reason.verdict == "fails" and "R8" in reason.why


# -- the graph and its replays --------------------------------------------------------


def test_lazy_kinds_leave_unreached_records_undecided() -> None:
    # one batch of two records, the handler throws at the first failure: record 2
    # is reached only when record 1 succeeds, so "record 1 poison" is one branch
    # whatever record 2 is
    rules = Rules(
        Settings(MappingConfig(batch_size=2, maximum_retry_attempts=0)),
        Shard.numbered(2),
    )
    exploration = explore(rules, FailureSpace(("good", "poison")))
    first = next(iter(exploration.graph.successors(ROOT)))
    steps = [
        step
        for successor in exploration.graph.successors(first)
        for step in exploration.steps(first, successor)
    ]
    # record 1 poison; record 1 good and record 2 poison; both good
    assert sorted(len(step.decisions) for step in steps) == [1, 2, 2]


def test_every_path_replays_in_the_simulator() -> None:
    cell = MATRIX["bisect/R2/throw"]
    exploration = explore_cell(cell)
    replayed = 0
    for verdict in check_all(exploration):
        for path in verdict.paths:
            scenario = scenario_for(exploration, path, "replay")
            trace = replay(exploration, path, scenario)
            assert len(trace.transitions) == len(path.steps) - 1
            replayed += 1
    assert replayed >= 6


def test_counterexample_carries_the_neighbourhood_and_whys() -> None:
    cell = MATRIX["whole/R2-nodest/throw"]
    exploration = explore_cell(cell)
    verdict = next(
        v for v in check_all(exploration) if v.property_name == "no_silent_loss"
    )
    example = counterexample(exploration, verdict, verdict.paths[0], cell.label, "x")
    assert example.property_name == "no_silent_loss"
    assert all(step.why for step in example.trace.transitions)
    assert any(data["on_path"] for _, _, data in example.neighbourhood.edges(data=True))
    # R=2 and no destination: a poison record's batch runs 3 times, then dropped
    document = example.trace.to_json()
    assert len(document["invocations"]) == 3
    assert set(document["lost"].values()) == {
        "discarded with no on-failure destination configured"
    }


def test_timing_without_limits_is_forgotten() -> None:
    # no age limit and unbounded retention: the clock is not part of a state, so
    # a poison record retried forever closes a loop instead of growing forever
    mapping = MappingConfig(batch_size=1)
    rules = Rules(Settings(mapping, Timing(10, 10, None)), Shard.numbered(1))
    exploration = explore(rules, FailureSpace(("poison",)))
    # before the first invocation (kind not chosen yet), then the record known
    # to be poison with its batch waiting: every retry returns to that state
    assert exploration.states == 2
    looping = [n for n in exploration.graph if exploration.graph.has_edge(n, n)]
    assert len(looping) == 1
