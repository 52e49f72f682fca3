"""Scenario files: new scenarios worked by hand, refusals, and the JSON round trip.

The three example files in docs/examples/ (scenario-*.json) had never been run when
their expected batches were written below; each expectation is reasoned from
semantics.md in the comments.  Refusals must name the field; ``scenario_to_dict``
and ``scenario_from_dict`` must be inverse.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.config import (
    REPORT_BATCH_ITEM_FAILURES,
    MappingConfig,
    Settings,
    Timing,
    Undocumented,
)
from model.errors import InvalidConfiguration, InvalidInput, InvalidScenario
from model.handler import POISON, FailsFirst, FailurePattern, Handler, ResponseStyle
from model.records import Shard, Source
from model.scenario_file import load_scenario, scenario_from_dict, scenario_to_dict
from model.simulator import Scenario, simulate

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
FE, OK, PARTIAL, MALFORMED = (
    "function_error",
    "success",
    "partial_failure",
    "malformed",
)


def _steps(document: dict[str, Any]) -> list[tuple[list[str], str, str]]:
    return [
        (step["batch"], step["outcome"], step["checkpoint_after"])
        for step in document["invocations"]
    ]


def _play(path: Path | dict[str, Any]) -> dict[str, Any]:
    if isinstance(path, dict):
        scenario, limit = scenario_from_dict(path)
    else:
        scenario, limit = load_scenario(path)
    return simulate(scenario, step_limit=limit).to_json()


# -- scenario-report-all-retry.json ---------------------------------------------------


def test_report_all_retry() -> None:
    # Kinesis, 7 records, BatchSize 3, RBIF, MaximumRetryAttempts 1; record 5
    # fails its first two processings; report_all processes every record.
    # 1. [1..3]: nothing fails -> {"batchItemFailures": []}: success, checkpoint 4.
    # 2. [4..6]: 5 fails (1st processing), 4 and 6 succeed -> reports 5: the
    #    checkpoint moves to 5 (R6); the remainder [5, 6] has a fresh budget (R7).
    # 3. [5, 6]: 5 fails again (2nd processing) -> reports 5, the first record of
    #    the batch: stalled, one attempt used (R7); 1 <= MaximumRetryAttempts 1.
    # 4. [5, 6]: 5 has been processed twice, so it succeeds: checkpoint 7.
    # 5. [7]: success, checkpoint 8.
    document = _play(EXAMPLES / "scenario-report-all-retry.json")
    assert _steps(document) == [
        (["1", "2", "3"], OK, "4"),
        (["4", "5", "6"], PARTIAL, "5"),
        (["5", "6"], PARTIAL, "5"),
        (["5", "6"], OK, "7"),
        (["7"], OK, "8"),
    ]
    assert document["discarded"] == []
    # Record 6 succeeded three times: after a partial failure it comes again (R6).
    assert document["deliveries"] == {
        "1": 1,
        "2": 1,
        "3": 1,
        "4": 1,
        "5": 3,
        "6": 3,
        "7": 1,
    }


def test_report_all_retry_without_retries_discards_a_record_that_succeeded() -> None:
    # The same with MaximumRetryAttempts 0: step 3 is the first counted attempt of
    # [5, 6] (1 > 0), so the remainder [5, 6] is discarded, including record 6 that
    # succeeded (R8/R9: the discard covers the remainder), functionError null.
    data = json.loads((EXAMPLES / "scenario-report-all-retry.json").read_text())
    data["mapping"]["MaximumRetryAttempts"] = 0
    document = _play(data)
    assert _steps(document) == [
        (["1", "2", "3"], OK, "4"),
        (["4", "5", "6"], PARTIAL, "5"),
        (["5", "6"], PARTIAL, "7"),
        (["7"], OK, "8"),
    ]
    assert document["discarded"] == [["5", "6"]]
    (record,) = document["destination_records"]
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"]["functionError"] is None
    assert record["KinesisBatchInfo"]["batchSize"] == 2


# -- scenario-bisect-poison.json ------------------------------------------------------


def test_bisect_poison() -> None:
    # Kinesis, 8 records, BatchSize 8, bisect, MaximumRetryAttempts 1; record 2
    # fails its first processing, record 6 always; the handler throws.
    # 1. [1..8]: 2 fails -> split ceil(8/2): [1..4] then [5..8] (no retry used).
    # 2. [1..4]: 2 was processed once, now succeeds: checkpoint 5.
    # 3. [5..8]: 6 fails -> [5, 6] then [7, 8].
    # 4. [5, 6]: 6 fails -> [5] then [6].
    # 5. [5]: success, checkpoint 6.
    # 6. [6]: fails alone, one retry used; 7. [6]: fails, 2 > 1: discarded (R5/R3),
    #    checkpoint 7, destination record with approximateInvokeCount 2, Unhandled.
    # 8. [7, 8]: success, checkpoint 9.
    document = _play(EXAMPLES / "scenario-bisect-poison.json")
    assert _steps(document) == [
        ([str(n) for n in range(1, 9)], FE, "1"),
        (["1", "2", "3", "4"], OK, "5"),
        (["5", "6", "7", "8"], FE, "5"),
        (["5", "6"], FE, "5"),
        (["5"], OK, "6"),
        (["6"], FE, "6"),
        (["6"], FE, "7"),
        (["7", "8"], OK, "9"),
    ]
    assert document["discarded"] == [["6"]]
    (record,) = document["destination_records"]
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responseContext"]["functionError"] == "Unhandled"
    # 5: [1..8], [5..8], [5, 6], [5].  6: [1..8], [5..8], [5, 6], [6] twice.
    assert document["deliveries"]["5"] == 4
    assert document["deliveries"]["6"] == 5
    assert document["deliveries"]["7"] == 3


# -- scenario-dynamodb-age-malformed.json ----------------------------------------------


def test_dynamodb_age_limit_ends_unlimited_retries() -> None:
    # DynamoDB, 4 records arriving together, BatchSize 2, unlimited retries,
    # MaximumRecordAgeInSeconds 60; every response has an empty itemIdentifier
    # (malformed: whole batch failed).  An invocation takes 10 s plus 20 s back-off.
    # Ages are judged before each invocation (R4), expired when age > 60:
    #   t=0 [1, 2] fails; t=30 fails; t=60 (60 is not > 60) fails; t=90: records
    #   1 and 2 are 90 s old: discarded without invoking, RecordAgeExceeded, with
    #   the 3 invocations so far; then [3, 4] are as old: discarded, never invoked.
    document = _play(EXAMPLES / "scenario-dynamodb-age-malformed.json")
    assert _steps(document) == [
        (["1", "2"], MALFORMED, "1"),
        (["1", "2"], MALFORMED, "1"),
        (["1", "2"], MALFORMED, "1"),
    ]
    assert [step["checkpoint_after"] for step in document["expiries"]] == ["3", "5"]
    assert document["discarded"] == [["1", "2"], ["3", "4"]]
    first, second = document["destination_records"]
    assert first["requestContext"]["condition"] == "RecordAgeExceeded"
    assert first["requestContext"]["approximateInvokeCount"] == 3
    assert "responseContext" not in first  # R9: absent for RecordAgeExceeded
    assert second["DDBStreamBatchInfo"]["startSequenceNumber"] == "3"
    assert document["deliveries"] == {"1": 3, "2": 3, "3": 0, "4": 0}
    assert not document["blocked"]


def test_dynamodb_age_boundary_alternative() -> None:
    # With "age >= limit", records 1 and 2 expire at t=60: two invocations only.
    data = json.loads((EXAMPLES / "scenario-dynamodb-age-malformed.json").read_text())
    data["undocumented"] = {"age_boundary": "greater_or_equal"}
    assert len(_play(data)["invocations"]) == 2


def test_unlimited_everything_is_blocked() -> None:
    # A poison record, retries and age unlimited, retention unbounded: the shard is
    # blocked for ever; the run stops at the step limit and says so.
    data = {
        "name": "blocked",
        "source": "kinesis",
        "records": 3,
        "mapping": {"BatchSize": 3},
        "failures": {"2": "poison"},
        "handler": "throw",
        "timing": {"retention_seconds": None},
        "step_limit": 20,
    }
    document = _play(data)
    assert document["blocked"]
    assert len(document["invocations"]) == 20
    assert document["final_checkpoint"] == "1"
    assert any("blocked" in note for note in document["notes"])


def test_retention_trims_a_blocked_shard() -> None:
    # The same with 100 s retention and 10 s invocations plus 10 s back-off: records
    # are trimmed once 100 s old (> 100), i.e. before the invocation at t=120; the
    # invocations at t=0, 20, ..., 100 make six.
    data = {
        "name": "trimmed",
        "source": "kinesis",
        "records": 3,
        "mapping": {"BatchSize": 3},
        "failures": {"2": "poison"},
        "handler": "throw",
        "timing": {
            "retention_seconds": 100,
            "invocation_seconds": 10,
            "retry_backoff_seconds": 10,
        },
    }
    document = _play(data)
    assert len(document["invocations"]) == 6
    assert document["trimmed"] == [["1", "2", "3"]]
    assert set(document["lost"]) == {"1", "2", "3"}
    assert not document["blocked"]


# -- refusals -----------------------------------------------------------------------

VALID: dict[str, Any] = {
    "name": "x",
    "source": "kinesis",
    "records": 3,
    "mapping": {"BatchSize": 3},
    "handler": "throw",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"records": 0}, "records"),
        ({"records": "3"}, "records"),
        ({"source": "sqs"}, "source"),
        ({"name": ""}, "name"),
        ({"handler": "report_some"}, "handler"),
        ({"handler": "raw"}, "handler"),
        ({"handler": {"raw": 1, "extra": 2}}, "handler"),
        ({"colour": "blue"}, "colour"),
        ({"failures": {"9": "poison"}}, "failures.9"),
        ({"failures": {"2": "sometimes"}}, "failures.2"),
        ({"failures": {"2": {"fails_first": -1}}}, "failures.2"),
        ({"failures_by_position": {"0": "poison"}}, "failures_by_position.0"),
        ({"mapping": {"BatchSize": 0}}, "mapping.BatchSize"),
        ({"mapping": {"MaximumRecordAgeInSeconds": 30}}, None),
        ({"mapping": []}, "mapping"),
        ({"timing": {"invocation_seconds": -1}}, "timing.invocation_seconds"),
        ({"timing": {"speed": 1}}, "timing.speed"),
        ({"undocumented": {"bisect_split": "round"}}, "undocumented.bisect_split"),
        ({"undocumented": {"guess": True}}, "undocumented.guess"),
        ({"step_limit": 0}, "step_limit"),
        ({"seconds_apart": "1"}, "seconds_apart"),
        ({"partition_keys": []}, "partition_keys"),
    ],
)
def test_bad_fields_are_refused_by_name(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        scenario_from_dict({**VALID, **change})
    error = caught.value
    if field is None:
        # A mapping field refused by the loader names the API field.
        assert "MaximumRecordAgeInSeconds" in error.one_line()
    else:
        assert error.field == field
    assert "\n" not in error.one_line()


@pytest.mark.parametrize("missing", ["name", "source", "records", "handler"])
def test_required_fields(missing: str) -> None:
    data = {key: value for key, value in VALID.items() if key != missing}
    with pytest.raises(InvalidScenario) as caught:
        scenario_from_dict(data)
    assert caught.value.field == missing


def test_not_an_object() -> None:
    with pytest.raises(InvalidScenario):
        scenario_from_dict([VALID])


def test_load_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({**VALID, "records": -2}))
    with pytest.raises(InvalidInput) as caught:
        load_scenario(path)
    assert caught.value.one_line().startswith(f"{path}: records: ")


def test_mapping_source_follows_the_scenario() -> None:
    # The scenario's "source" decides the shard and the mapping's source.
    scenario, _ = scenario_from_dict({**VALID, "source": "dynamodb"})
    assert scenario.shard.source == "dynamodb"
    assert scenario.settings.mapping.source == "dynamodb"


def test_partition_keys_cycle() -> None:
    scenario, _ = scenario_from_dict({**VALID, "partition_keys": ["a", "b"]})
    assert [r.partition_key for r in scenario.shard.records] == ["a", "b", "a"]


# -- the round trip -------------------------------------------------------------------

JSON_PAYLOADS: st.SearchStrategy[Any] = st.sampled_from(
    [
        None,
        "",
        {},
        {"batchItemFailures": []},
        {"batchItemFailures": [{"itemIdentifier": "1"}]},
        {"BatchItemFailures": [{"itemIdentifier": "2"}]},
        "a string",
        [1, 2],
    ]
)


@st.composite
def _kinds(draw: st.DrawFn) -> Any:
    return draw(st.one_of(st.just(POISON), st.integers(0, 5).map(FailsFirst)))


@st.composite
def round_trip_scenarios(draw: st.DrawFn) -> Scenario:
    count = draw(st.integers(1, 20))
    source: Source = draw(st.sampled_from(["kinesis", "dynamodb"]))
    mapping = MappingConfig(
        batch_size=draw(st.integers(1, 10000)),
        maximum_retry_attempts=draw(st.sampled_from([-1, 0, 1, 5, 10000])),
        maximum_record_age_in_seconds=draw(st.sampled_from([-1, 60, 3600, 604800])),
        bisect_batch_on_function_error=draw(st.booleans()),
        function_response_types=draw(
            st.sampled_from([(), (REPORT_BATCH_ITEM_FAILURES,)])
        ),
        on_failure_destination=draw(
            st.sampled_from([None, "arn:aws:sqs:us-east-1:123456789012:q"])
        ),
        parallelization_factor=draw(st.integers(1, 10)),
        starting_position=draw(st.sampled_from(["TRIM_HORIZON", "LATEST"])),
        source=source,
    )
    timing = Timing(
        invocation_seconds=draw(st.integers(0, 100)),
        retry_backoff_seconds=draw(st.integers(0, 100)),
        retention_seconds=draw(st.one_of(st.none(), st.integers(1, 10**6))),
    )
    undocumented = Undocumented(
        **{
            name: draw(st.sampled_from(values))
            for name, values in Undocumented.alternatives().items()
        }
    )
    numbers = [str(n) for n in range(1, count + 1)]
    pattern = FailurePattern(
        by_sequence=draw(st.dictionaries(st.sampled_from(numbers), _kinds())),
        by_position=draw(st.dictionaries(st.integers(1, 30), _kinds(), max_size=2)),
    )
    style = draw(st.sampled_from(list(ResponseStyle)))
    raw = draw(JSON_PAYLOADS) if style is ResponseStyle.RAW else None
    keys = draw(st.sampled_from([("key-1",), ("a", "b"), ("x", "y", "z")]))
    return Scenario(
        name=draw(st.text(min_size=1, max_size=10)),
        settings=Settings(mapping, timing, undocumented),
        shard=Shard.numbered(count, source, partition_keys=keys),
        handler=Handler(pattern, style, raw),
        description=draw(st.text(max_size=20)),
    )


@settings(max_examples=150, deadline=None, derandomize=True)
@given(round_trip_scenarios(), st.one_of(st.none(), st.integers(1, 5000)))
def test_round_trip(scenario: Scenario, limit: int | None) -> None:
    data = scenario_to_dict(scenario, step_limit=limit)
    # The dict is plain JSON: what a file would hold.
    reread, reread_limit = scenario_from_dict(json.loads(json.dumps(data)))
    assert reread == scenario
    assert reread_limit == (limit if limit is not None else 1000)


def test_round_trip_keeps_settings_the_model_only_notes() -> None:
    # TumblingWindowInSeconds, MaximumBatchingWindowInSeconds and FilterCriteria are
    # read and noted as assumptions; a scenario written to a file must keep them.
    mapping = MappingConfig(
        batch_size=4,
        tumbling_window_in_seconds=60,
        maximum_batching_window_in_seconds=5,
        has_filter_criteria=True,
    )
    scenario = Scenario(
        "noted", Settings(mapping), Shard.numbered(3), Handler(), "description"
    )
    reread, _ = scenario_from_dict(json.loads(json.dumps(scenario_to_dict(scenario))))
    assert reread.settings.mapping == mapping


def test_round_trip_keeps_arrival_spacing() -> None:
    scenario = Scenario(
        "spaced",
        Settings(MappingConfig(batch_size=2)),
        Shard.numbered(4, seconds_apart=7.5),
        Handler(),
    )
    reread, _ = scenario_from_dict(json.loads(json.dumps(scenario_to_dict(scenario))))
    assert reread == scenario


def test_only_numbered_shards_can_be_written() -> None:
    shard = Shard.numbered(3)
    renumbered = Shard(
        "kinesis",
        tuple(
            type(record)(str(10 + index), record.arrival)
            for index, record in enumerate(shard.records)
        ),
    )
    scenario = Scenario("x", Settings(), renumbered, Handler())
    with pytest.raises(InvalidScenario) as caught:
        scenario_to_dict(scenario)
    assert caught.value.field == "records"


def test_mapping_refusals_are_configuration_errors() -> None:
    with pytest.raises(InvalidConfiguration):
        scenario_from_dict({**VALID, "mapping": {"BatchSize": 20000}})
