"""R4 on a fresh read: the records of the read that are still young are invoked alone.

Worked by hand: BatchSize 3; records 1 and 2 arrived 100 s before records 3..6, so
when the poller starts (clock at the last arrival) they are 100 s old, past
MaximumRecordAgeInSeconds 60.  The first read is [1, 2, 3]; 1 and 2 are discarded
without an invocation (RecordAgeExceeded); "the rest of the batch is still invoked",
so the first invocation is [3] alone, then [4, 5, 6].
"""

from model.config import MappingConfig, Settings
from model.handler import FailurePattern, Handler, ResponseStyle
from model.records import Record, Shard
from model.simulator import Scenario, simulate


def _shard() -> Shard:
    arrivals = [0.0, 0.0, 100.0, 100.0, 100.0, 100.0]
    records = tuple(
        Record(sequence_number=str(index + 1), arrival=1_700_000_000 + arrival)
        for index, arrival in enumerate(arrivals)
    )
    return Shard(source="kinesis", records=records)


def test_rest_of_a_fresh_read_is_invoked_after_an_age_discard() -> None:
    mapping = MappingConfig(
        batch_size=3,
        maximum_record_age_in_seconds=60,
        on_failure_destination="arn:aws:sqs:us-east-1:123456789012:dlq",
    )
    scenario = Scenario(
        "age-rest",
        Settings(mapping=mapping),
        _shard(),
        Handler(FailurePattern(), ResponseStyle.THROW),
    )
    trace = simulate(scenario).to_json()

    batches = [step["batch"] for step in trace["invocations"]]
    assert batches == [["3"], ["4", "5", "6"]]
    assert trace["discarded"] == [["1", "2"]]
    (record,) = trace["destination_records"]
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert "responseContext" not in record
    assert trace["final_checkpoint"] == "7"
