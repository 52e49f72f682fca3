"""How a trace that stops before the end of the shard says why.

A run stopped by its step limit is *blocked* only when nothing can end it
(unlimited retries and age); with a finite limit it is only cut short, and a
counterexample's prefix is cut on purpose.  The expected notes follow from the
mapping's limits alone.
"""

from __future__ import annotations

from model.config import MappingConfig, Settings, Timing
from model.handler import POISON, FailurePattern, Handler, ResponseStyle
from model.records import Shard
from model.simulator import Scenario, simulate


def _poison_scenario(retries: int) -> Scenario:
    # record 2 of 3 poison, one batch of three, throwing handler
    mapping = MappingConfig(batch_size=3, maximum_retry_attempts=retries)
    return Scenario(
        "poison",
        Settings(mapping, Timing(10, 10, None)),
        Shard.numbered(3),
        Handler(FailurePattern(by_sequence={"2": POISON}), ResponseStyle.THROW),
    )


def test_a_step_limit_with_finite_retries_is_not_a_blocked_shard() -> None:
    # R = 5: the batch runs 6 times before it is discarded; 2 steps cut it short
    trace = simulate(_poison_scenario(5), step_limit=2)
    assert trace.blocked and trace.cut
    assert trace.notes[0].startswith("stopped after 2 steps (the step limit)")
    assert "waits" not in trace.notes[0]
    assert trace.to_json()["cut"] is True


def test_unlimited_retries_block_the_shard() -> None:
    trace = simulate(_poison_scenario(-1), step_limit=4)
    assert trace.blocked and not trace.cut
    assert trace.notes[0].startswith("blocked: after 4 steps")
    assert "forever" in trace.notes[0]


def test_a_prefix_is_cut_and_has_no_blocked_note() -> None:
    # a counterexample's prefix: 1 step of a run that would go on
    trace = simulate(_poison_scenario(-1), step_limit=1, prefix=True)
    assert trace.blocked and trace.cut
    assert not trace.notes


def test_a_finished_run_is_neither() -> None:
    # R = 1: two invocations, then the batch is discarded and the shard is done
    trace = simulate(_poison_scenario(1), step_limit=10)
    assert len(trace.invocations) == 2
    assert not trace.blocked and not trace.cut and not trace.notes


def test_a_long_trace_shows_its_first_and_last_steps() -> None:
    from checks.text import render_trace

    # 20 retries of batch [1..3]: rows 1..12, one line for 13..17, rows 18..20
    document = simulate(_poison_scenario(-1), step_limit=20).to_json()
    text = render_trace(document)
    omitted = "... 5 steps omitted (the same batch retried; see --json or --out for all)"
    assert text.count(omitted) == 2  # in the table and among the reasons
    numbers = [line.split()[0] for line in text.splitlines() if "[1..3]" in line]
    assert numbers == [str(n) for n in (*range(1, 13), 18, 19, 20)]
    assert len(document["invocations"]) == 20  # the JSON keeps every step


def test_a_short_trace_is_shown_whole() -> None:
    from checks.text import render_trace

    text = render_trace(simulate(_poison_scenario(-1), step_limit=15).to_json())
    assert "omitted" not in text
