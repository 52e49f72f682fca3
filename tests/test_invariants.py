"""Properties every run of the model keeps, over random configurations and shards.

Hypothesis draws a mapping configuration (batch size, finite or unlimited retries,
record age, bisect, ReportBatchItemFailures, destination), the timing, a set of
undocumented alternatives, a shard of 1..12 records, a failure pattern and a response
style; each run is then checked step by step.  Examples are derandomized so CI is
reproducible.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.config import (
    REPORT_BATCH_ITEM_FAILURES,
    MappingConfig,
    Settings,
    Timing,
    Undocumented,
)
from model.handler import POISON, FailsFirst, FailurePattern, Handler, ResponseStyle
from model.records import Record, Shard, Source
from model.semantics import Rules
from model.simulator import Scenario, Trace, simulate
from model.state import Fate

QUEUE = "arn:aws:sqs:us-east-1:123456789012:failures"
STEP_LIMIT = 600

PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

#: Payloads a "raw" handler returns whatever happened: every row kind of R2.
RAW_PAYLOADS: list[Any] = [
    None,
    "",
    {},
    {"batchItemFailures": []},
    {"batchItemFailures": [{"itemIdentifier": ""}]},
    {"batchItemFailures": [{"itemIdentifier": "123"}]},
    {"batchItemFailures": [{"itemIdentifier": "2"}]},
    {"batchItemFailures": [{"foo": 1}]},
    {"BatchItemFailures": [{"itemIdentifier": "1"}]},
    b"not json",
    "a bare string",
]


@st.composite
def undocumented_choices(draw: st.DrawFn) -> Undocumented:
    if draw(st.booleans()):
        return Undocumented()
    choices = {
        name: draw(st.sampled_from(values))
        for name, values in Undocumented.alternatives().items()
    }
    return Undocumented(**choices)


@st.composite
def failure_kinds(draw: st.DrawFn) -> Any:
    return draw(
        st.one_of(
            st.just(POISON), st.integers(1, 3).map(FailsFirst), st.just(FailsFirst(0))
        )
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    count = draw(st.integers(1, 12))
    source: Source = draw(st.sampled_from(["kinesis", "dynamodb"]))
    mapping = MappingConfig(
        batch_size=draw(st.sampled_from([1, 2, 3, 4, 5, 7, 10, 100])),
        maximum_retry_attempts=draw(st.sampled_from([-1, 0, 1, 2, 3])),
        maximum_record_age_in_seconds=draw(st.sampled_from([-1, 60, 61, 90, 120])),
        bisect_batch_on_function_error=draw(st.booleans()),
        function_response_types=draw(
            st.sampled_from([(), (REPORT_BATCH_ITEM_FAILURES,)])
        ),
        on_failure_destination=draw(st.sampled_from([None, QUEUE])),
        source=source,
    )
    timing = Timing(
        invocation_seconds=draw(st.sampled_from([0, 1, 5, 10])),
        retry_backoff_seconds=draw(st.sampled_from([0, 1, 5, 10])),
        retention_seconds=draw(st.sampled_from([None, 100, 300, 86400])),
    )
    shard = Shard.numbered(
        count, source, seconds_apart=draw(st.sampled_from([0, 1, 5, 10]))
    )
    sequence_numbers = [str(index + 1) for index in range(count)]
    by_sequence = draw(
        st.dictionaries(st.sampled_from(sequence_numbers), failure_kinds(), max_size=4)
    )
    by_position = draw(
        st.dictionaries(st.integers(1, 6), failure_kinds(), max_size=1)
        if draw(st.integers(0, 4)) == 0
        else st.just({})
    )
    style = draw(st.sampled_from(list(ResponseStyle)))
    raw = draw(st.sampled_from(RAW_PAYLOADS)) if style is ResponseStyle.RAW else None
    handler = Handler(FailurePattern(by_sequence, by_position), style, raw)
    return Scenario(
        name="random",
        settings=Settings(mapping, timing, draw(undocumented_choices())),
        shard=shard,
        handler=handler,
    )


def _may_block(scenario: Scenario) -> bool:
    """Only unlimited retries, or a stalled partial that does not count, can block."""
    mapping = scenario.settings.mapping
    stall_is_free = (
        mapping.report_batch_item_failures
        and not scenario.settings.undocumented.stalled_partial_counts_as_attempt
    )
    return not mapping.retries_are_finite or stall_is_free


def _run(scenario: Scenario) -> Trace:
    return simulate(scenario, step_limit=STEP_LIMIT)


# -- properties of every step ---------------------------------------------------------


@PROPERTY_SETTINGS
@given(scenarios())
def test_checkpoint_never_moves_back_nor_passes_a_record_not_done(
    scenario: Scenario,
) -> None:
    trace = _run(scenario)
    for step in trace.transitions:
        before, after = step.before, step.after
        assert after.checkpoint >= before.checkpoint
        assert all(after.fates[p].is_done for p in range(after.checkpoint))
        # The checkpoint is exactly the first record not done.
        if after.checkpoint < after.record_count:
            assert not after.fates[after.checkpoint].is_done
        assert after.iterator >= after.checkpoint
        assert after.clock >= before.clock


@PROPERTY_SETTINGS
@given(scenarios())
def test_a_fate_once_settled_never_changes(scenario: Scenario) -> None:
    trace = _run(scenario)
    for step in trace.transitions:
        for before, after in zip(step.before.fates, step.after.fates, strict=True):
            if before.is_done:
                assert after is before


@PROPERTY_SETTINGS
@given(scenarios())
def test_every_run_ends_done_or_is_reported_blocked(scenario: Scenario) -> None:
    trace = _run(scenario)
    final = trace.final
    if trace.blocked:
        assert _may_block(scenario), scenario
        assert trace.notes and trace.notes[0].startswith("blocked")
        assert not final.finished
    else:
        assert all(fate.is_done for fate in final.fates)
        assert final.checkpoint == len(scenario.shard)


@PROPERTY_SETTINGS
@given(scenarios())
def test_delivery_counts_agree_with_fates(scenario: Scenario) -> None:
    final = _run(scenario).final
    for position, fate in enumerate(final.fates):
        assert final.succeeded[position] <= final.processed[position]
        assert final.processed[position] <= final.deliveries[position]
        if fate is Fate.PROCESSED:
            assert final.deliveries[position] >= 1
            assert final.succeeded[position] >= 1
        if fate in (
            Fate.READ_AS_SUCCESS,
            Fate.REPORT_IGNORED,
            Fate.UNREPORTED_FAILURE,
        ):
            # Counted as processed by an invocation, so it was in a batch.
            assert final.deliveries[position] >= 1


@PROPERTY_SETTINGS
@given(scenarios())
def test_destination_records_only_with_a_destination(scenario: Scenario) -> None:
    final = _run(scenario).final
    fates = set(final.fates)
    if scenario.settings.mapping.has_destination:
        assert Fate.DROPPED not in fates
        covered = {
            position
            for entry in final.destination
            for position in range(entry.start, entry.end)
        }
        discarded = {p for p, fate in enumerate(final.fates) if fate is Fate.DISCARDED}
        assert discarded <= covered
    else:
        assert final.destination == ()
        assert Fate.DISCARDED not in fates


@PROPERTY_SETTINGS
@given(scenarios())
def test_in_order_first_delivery_and_no_redelivery_of_done_records(
    scenario: Scenario,
) -> None:
    # G1: records are delivered in order the first time, and (without the rare
    # spontaneous duplicates the model never produces) a done record is never
    # delivered again.  The "narrative" half order deliberately breaks first-delivery
    # order, but must still never deliver a done record again.
    in_order = scenario.settings.undocumented.half_order == "lower_first"
    trace = _run(scenario)
    highest_delivered = -1
    for step in trace.invocations:
        assert step.invocation is not None
        batch = step.invocation.batch
        before = step.before
        for position in range(batch.start, batch.end):
            assert not before.fates[position].is_done, (position, trace.to_json())
            if in_order and before.deliveries[position] == 0:
                assert position > highest_delivered
                highest_delivered = position


# -- the regression found while writing these properties -------------------------------


def test_age_discard_keeps_the_rest_of_a_waiting_half() -> None:
    """R4: expired records at the head of a batch go; the rest of it still runs.

    Records 1 and 2 arrive at t=0, records 3..6 at t=50, so the model's clock starts
    at 50.  BatchSize 6, bisect on, MaximumRecordAgeInSeconds 60, invocations take
    10 s plus 1 s of back-off after a failure; record 3 always fails.

    - t=50: [1..6] fails (record 3) -> halves [1..3] then [4..6]; clock 61.
    - t=61: records 1 and 2 are 61 s old (> 60): discarded by age, no invocation.
      The rest of the half, [3], must still run before [4..6].
    - [3] fails twice (MaximumRetryAttempts 1): discarded; then [4..6] succeeds.

    Before the fix, the whole half [1..3] was dropped from the queue with records 1
    and 2, so [4..6] ran before record 3 and was delivered a second time in [3..6].
    """
    records = tuple(
        Record(str(number), 0.0 if number <= 2 else 50.0) for number in range(1, 7)
    )
    mapping = MappingConfig(
        batch_size=6,
        maximum_retry_attempts=1,
        maximum_record_age_in_seconds=60,
        bisect_batch_on_function_error=True,
    )
    scenario = Scenario(
        "age-inside-a-half",
        Settings(mapping, Timing(invocation_seconds=10)),
        Shard("kinesis", records),
        Handler(FailurePattern(by_sequence={"3": POISON}), ResponseStyle.THROW),
    )
    document = simulate(scenario).to_json()
    batches = [step["batch"] for step in document["invocations"]]
    assert batches == [
        ["1", "2", "3", "4", "5", "6"],
        ["3"],
        ["3"],
        ["4", "5", "6"],
    ]
    assert [step["checkpoint_after"] for step in document["invocations"]] == [
        "1",
        "3",
        "4",
        "7",
    ]
    assert document["discarded"] == [["1", "2"], ["3"]]
    assert document["deliveries"] == {"1": 1, "2": 1, "3": 3, "4": 2, "5": 2, "6": 2}


def test_rules_refuse_a_step_when_finished() -> None:
    rules = Rules(Settings(), Shard.numbered(0))
    state = rules.initial_state()
    try:
        rules.step(state)
    except ValueError as error:
        assert "finished" in str(error)
    else:  # pragma: no cover - the assertion is the test
        raise AssertionError("a finished shard has no next step")
