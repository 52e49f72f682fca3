"""Shards and their records, as the model sees them.

A shard is an ordered tuple of records with increasing sequence numbers.  The model
works on positions (0-based indices into the shard) and turns them back into sequence
numbers, which are decimal strings compared as integers, wherever a user reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from model.errors import InvalidScenario

__all__ = ["Record", "Shard", "Source", "sequence_key"]

Source = Literal["kinesis", "dynamodb"]

#: Arrival time of the first record of a generated shard (2026-01-01T00:00:00Z), so
#: that event timestamps look like real ones.
DEFAULT_EPOCH = 1767225600.0


def sequence_key(sequence_number: str) -> int:
    """The integer a sequence number compares as.

    >>> sorted(["10", "9", "100"], key=sequence_key)
    ['9', '10', '100']
    """
    if not isinstance(sequence_number, str) or not sequence_number.isdigit():
        raise InvalidScenario(
            f"a sequence number is a string of decimal digits, got {sequence_number!r}",
            field="sequenceNumber",
        )
    return int(sequence_number)


@dataclass(frozen=True)
class Record:
    """One stream record.

    ``arrival`` is seconds since the epoch (Kinesis ``approximateArrivalTimestamp``,
    DynamoDB ``ApproximateCreationDateTime``).
    """

    sequence_number: str
    arrival: float
    partition_key: str = "key-1"
    data: bytes = b""


@dataclass(frozen=True)
class Shard:
    """An ordered sequence of records of one Kinesis or DynamoDB Streams shard.

    Examples
    --------
    >>> shard = Shard.numbered(3)
    >>> [record.sequence_number for record in shard.records]
    ['1', '2', '3']
    >>> shard.position_of("2")
    1
    """

    source: Source
    records: tuple[Record, ...]
    shard_id: str = "shardId-000000000000"
    stream_arn: str = ""

    def __post_init__(self) -> None:
        if self.source not in ("kinesis", "dynamodb"):
            raise InvalidScenario(
                f"must be kinesis or dynamodb, got {self.source!r}", field="source"
            )
        keys = [sequence_key(record.sequence_number) for record in self.records]
        if any(
            later <= earlier for earlier, later in zip(keys, keys[1:], strict=False)
        ):
            raise InvalidScenario(
                "sequence numbers must increase along the shard", field="records"
            )
        arrivals = [record.arrival for record in self.records]
        if any(
            later < earlier
            for earlier, later in zip(arrivals, arrivals[1:], strict=False)
        ):
            raise InvalidScenario(
                "arrival times must not decrease along the shard", field="records"
            )
        if not self.stream_arn:
            object.__setattr__(self, "stream_arn", _default_arn(self.source))

    @classmethod
    def numbered(
        cls,
        count: int,
        source: Source = "kinesis",
        *,
        seconds_apart: float = 0.0,
        partition_keys: tuple[str, ...] = ("key-1",),
    ) -> Shard:
        """A shard of ``count`` records with sequence numbers "1", "2", ...

        Partition keys cycle through ``partition_keys``; arrivals are spaced by
        ``seconds_apart`` from a fixed epoch so runs are reproducible.
        """
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidScenario(
                f"must be a whole number >= 0, got {count!r}", field="records"
            )
        records = tuple(
            Record(
                sequence_number=str(index + 1),
                arrival=DEFAULT_EPOCH + index * seconds_apart,
                partition_key=partition_keys[index % len(partition_keys)],
                data=f"record {index + 1}".encode(),
            )
            for index in range(count)
        )
        return cls(source=source, records=records)

    def __len__(self) -> int:
        return len(self.records)

    def sequence_number(self, position: int) -> str:
        """The sequence number at a position; one past the end is last + 1.

        The checkpoint after the whole shard is done is written this way ("11" after
        records 1..10), as the article counts it.
        """
        if position < len(self.records):
            return self.records[position].sequence_number
        if not self.records:
            return "1"
        return str(sequence_key(self.records[-1].sequence_number) + 1)

    def position_of(self, sequence_number: str) -> int | None:
        """The position of a sequence number in the shard, or None."""
        return self._positions().get(sequence_number)

    def sequence_numbers(self, start: int, end: int) -> list[str]:
        return [record.sequence_number for record in self.records[start:end]]

    def _positions(self) -> dict[str, int]:
        cached = self.__dict__.get("_position_cache")
        if cached is None:
            cached = {
                record.sequence_number: index
                for index, record in enumerate(self.records)
            }
            object.__setattr__(self, "_position_cache", cached)
        return cached


def _default_arn(source: Source) -> str:
    if source == "kinesis":
        return "arn:aws:kinesis:us-east-1:123456789012:stream/shardcheck"
    return (
        "arn:aws:dynamodb:us-east-1:123456789012:table/shardcheck/stream/"
        "2026-01-01T00:00:00.000"
    )
