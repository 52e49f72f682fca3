"""Powertools' BatchProcessor as the handler inside the model's simulator.

Skipped unless the [powertools] extra is installed (pip install -e '.[powertools]').
Expected responses follow Powertools' documented behaviour (every failed record's
sequence number is reported; when every record fails it raises, unless
raise_on_entire_batch_failure is off); expected paths are worked by hand from
semantics.md.
"""

from __future__ import annotations

import pytest

pytest.importorskip(
    "aws_lambda_powertools.utilities.batch",
    reason="needs the [powertools] extra: pip install -e '.[powertools]'",
)

from checks.conformance.manifest import compare, load_manifest  # noqa: E402
from checks.conformance.powertools_driver import (  # noqa: E402
    PATTERNS,
    PowertoolsHandler,
    compare_responses,
    consequences,
)
from model.config import REPORT_BATCH_ITEM_FAILURES, MappingConfig, Settings  # noqa: E402
from model.handler import POISON, FailurePattern, ResponseStyle  # noqa: E402
from model.records import Shard  # noqa: E402
from model.simulator import Scenario, simulate  # noqa: E402

FIVE = ["1", "2", "3", "4", "5"]


def _handler(pattern, source="kinesis", raise_all=True, parser=False):
    style = (
        ResponseStyle.REPORT_ALL_RAISE_IF_ALL if raise_all else ResponseStyle.REPORT_ALL
    )
    return PowertoolsHandler(
        pattern,
        style,
        shard=Shard.numbered(5, source),
        raise_on_entire_batch_failure=raise_all,
        parser=parser,
    )


@pytest.mark.parametrize("source", ["kinesis", "dynamodb"])
@pytest.mark.parametrize("parser", [False, True])
def test_every_failed_record_is_reported(source, parser):
    pattern = FailurePattern(by_sequence={"2": POISON, "4": POISON})
    run = _handler(pattern, source, parser=parser).run(FIVE, [0] * 5)
    assert run.results == (True, False, True, False, True)
    assert not run.threw
    assert run.payload == {
        "batchItemFailures": [{"itemIdentifier": "2"}, {"itemIdentifier": "4"}]
    }


def test_when_every_record_fails_it_raises_unless_told_not_to():
    run = _handler(PATTERNS["allfail"]).run(FIVE, [0] * 5)
    assert run.threw and run.results == (False,) * 5
    quiet = _handler(PATTERNS["allfail"], raise_all=False).run(FIVE, [0] * 5)
    assert not quiet.threw
    assert [
        item["itemIdentifier"] for item in quiet.payload["batchItemFailures"]
    ] == FIVE


def _scenario(pattern, *, report=True, bisect=False, raise_all=True):
    mapping = MappingConfig(
        batch_size=5,
        maximum_retry_attempts=2,
        bisect_batch_on_function_error=bisect,
        function_response_types=(REPORT_BATCH_ITEM_FAILURES,) if report else (),
        on_failure_destination="arn:aws:sqs:us-east-1:123456789012:q",
    )
    handler = _handler(pattern, raise_all=raise_all)
    return Scenario("test", Settings(mapping=mapping), handler.shard, handler)


def test_records_after_the_lowest_failure_are_processed_again():
    # Record 3 poison: 1..5 -> checkpoint 3 (R6); 3..5 stalls three times (one
    # attempt and two retries, R7), then 3..5 is discarded.  Records 4 and 5
    # succeed in every one of the four invocations.
    trace = simulate(_scenario(PATTERNS["poison3"]))
    result = consequences(trace)
    assert len(result.path) == 4
    assert result.processed_twice == ("4", "5")
    assert result.discarded == ("[3..5]",)
    assert compare_responses(trace) == []


def test_without_report_batch_item_failures_the_failures_are_lost():
    result = consequences(simulate(_scenario(PATTERNS["poison3"], report=False)))
    assert result.path == ("[1..5] success",)
    assert result.lost == ("3",)


def test_every_record_failing_with_and_without_bisect():
    # Without bisect: the raise is a function error, 1 + 2 retries of 1..5.
    whole = consequences(simulate(_scenario(PATTERNS["allfail"])))
    assert whole.path == ("[1..5] function_error",) * 3
    # With bisect: 1..5 -> 1..3 and 4..5; 1..3 -> 1..2 and 3; 1..2 -> 1 and 2;
    # four splits, then each of the five records alone three times: 19.
    halved = consequences(simulate(_scenario(PATTERNS["allfail"], bisect=True)))
    assert len(halved.path) == 4 + 5 * 3
    assert halved.discarded == ("[1]", "[2]", "[3]", "[4]", "[5]")
    # Reporting every record instead of raising: a partial failure at record 1
    # that never moves the checkpoint, retried whole even under bisect (R8).
    reported = consequences(
        simulate(_scenario(PATTERNS["allfail"], bisect=True, raise_all=False))
    )
    assert reported.path == ("[1..5] partial_failure",) * 3


def test_positive_control_a_wrong_style_is_caught():
    scenario = _scenario(PATTERNS["allfail"], raise_all=False)
    wrong = PowertoolsHandler(
        scenario.handler.pattern,
        ResponseStyle.REPORT_ALL_RAISE_IF_ALL,
        shard=scenario.shard,
        raise_on_entire_batch_failure=False,
    )
    differences = compare_responses(
        simulate(Scenario("control", scenario.settings, scenario.shard, wrong))
    )
    assert differences and differences[0].allowed.startswith("threw")


def test_runs_match_the_manifest():
    from checks.conformance.runs import powertools_report

    report = powertools_report()
    assert report.extra["parser_disagreements"] == []
    assert compare(load_manifest().get("powertools"), report.section()) == []
