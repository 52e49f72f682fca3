"""Handler behaviour: which records fail, and what the handler then returns.

A ``FailurePattern`` says which records fail when processed (by sequence number or by
position in the batch); a ``ResponseStyle`` says how the handler reacts (throw, report
the first failure, report every failure, ...).  ``Handler.run`` combines both into the
``HandlerRun`` the model's transition function reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from model.errors import InvalidScenario
from model.responses import HandlerRun

__all__ = [
    "POISON",
    "FailsFirst",
    "FailureKind",
    "FailurePattern",
    "Handler",
    "ResponseStyle",
    "respond",
]


@dataclass(frozen=True)
class FailsFirst:
    """A record that fails the first ``times`` times the handler processes it."""

    times: int

    def __post_init__(self) -> None:
        if isinstance(self.times, bool) or not isinstance(self.times, int):
            raise InvalidScenario(
                f"fails_first must be a whole number >= 0, got {self.times!r}",
                field="fails_first",
            )
        if self.times < 0:
            raise InvalidScenario(
                f"fails_first must be >= 0, got {self.times}", field="fails_first"
            )

    def fails(self, processed_before: int) -> bool:
        return processed_before < self.times

    def __str__(self) -> str:
        return f"fails its first {self.times}"


@dataclass(frozen=True)
class _Poison:
    def fails(self, processed_before: int) -> bool:
        return True

    def __str__(self) -> str:
        return "poison"


#: A record that fails every time it is processed.
POISON = _Poison()

FailureKind = FailsFirst | _Poison


@dataclass(frozen=True)
class FailurePattern:
    """Which records fail when the handler processes them.

    ``by_sequence`` maps a sequence number to its kind; ``by_position`` maps a 1-based
    position in every batch to a kind (the article's "4th record of every batch").
    A by-position ``FailsFirst(k)`` counts the processings of the record that stands
    at that position, so it stays a property of records the handler can observe.

    Examples
    --------
    >>> pattern = FailurePattern(by_position={4: POISON})
    >>> pattern.fails("9", position_in_batch=4, processed_before=0)
    True
    """

    by_sequence: Mapping[str, FailureKind] = field(default_factory=dict)
    by_position: Mapping[int, FailureKind] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_sequence", dict(self.by_sequence))
        object.__setattr__(self, "by_position", dict(self.by_position))
        for position in self.by_position:
            if (
                isinstance(position, bool)
                or not isinstance(position, int)
                or (position < 1)
            ):
                raise InvalidScenario(
                    f"positions are 1-based whole numbers, got {position!r}",
                    field="failures_by_position",
                )

    def __hash__(self) -> int:
        return hash(
            (tuple(sorted(self.by_sequence.items())), tuple(self.by_position.items()))
        )

    def fails(
        self, sequence_number: str, *, position_in_batch: int, processed_before: int
    ) -> bool:
        kinds = [
            self.by_sequence.get(sequence_number),
            self.by_position.get(position_in_batch),
        ]
        return any(kind is not None and kind.fails(processed_before) for kind in kinds)

    def describe(self) -> str:
        parts = [f"record {seq} {kind}" for seq, kind in self.by_sequence.items()]
        parts += [
            f"position {pos} of every batch {kind}"
            for pos, kind in self.by_position.items()
        ]
        return "; ".join(parts) if parts else "no record fails"


class ResponseStyle(StrEnum):
    """How the handler reacts to failed records."""

    #: Process in order and throw at the first failure.
    THROW = "throw"
    #: Process in order, stop at the first failure and report it (the article).
    REPORT_FIRST = "report_first"
    #: Process every record and report every failure (common batch libraries).
    REPORT_ALL = "report_all"
    #: Like REPORT_ALL, but throw when every record failed (Powertools' default).
    REPORT_ALL_RAISE_IF_ALL = "report_all_raise_if_all"
    #: Process every record and report only the highest failure (a handler bug).
    REPORT_HIGHEST = "report_highest"
    #: Process every record and return a fixed payload, whatever happened.
    RAW = "raw"

    def __str__(self) -> str:
        return self.value

    @property
    def stops_at_first_failure(self) -> bool:
        return self in (ResponseStyle.THROW, ResponseStyle.REPORT_FIRST)


def respond(
    style: ResponseStyle,
    sequence_numbers: Sequence[str],
    results: Sequence[bool],
    raw_payload: Any = None,
) -> HandlerRun:
    """The response a handler of ``style`` gives after processing ``results``.

    ``results`` covers the records the handler reached, in batch order.

    >>> respond(ResponseStyle.REPORT_FIRST, ["4", "5"], [False]).payload
    {'batchItemFailures': [{'itemIdentifier': '4'}]}
    """
    results = tuple(results)
    failed = [sequence_numbers[index] for index, ok in enumerate(results) if not ok]

    if style is ResponseStyle.RAW:
        return HandlerRun(results, threw=False, payload=raw_payload)
    if style is ResponseStyle.THROW:
        return HandlerRun(results, threw=bool(failed))
    if (
        style is ResponseStyle.REPORT_ALL_RAISE_IF_ALL
        and failed
        and len(failed) == len(sequence_numbers)
    ):
        return HandlerRun(results, threw=True)
    if style is ResponseStyle.REPORT_HIGHEST:
        failed = failed[-1:]
    return HandlerRun(
        results,
        threw=False,
        payload={"batchItemFailures": [{"itemIdentifier": seq} for seq in failed]},
    )


@dataclass(frozen=True)
class Handler:
    """A handler: a failure pattern and a response style.

    Examples
    --------
    >>> handler = Handler(FailurePattern(by_sequence={"2": POISON}),
    ...                   ResponseStyle.REPORT_FIRST)
    >>> run = handler.run(["1", "2", "3"], processed_before=[0, 0, 0])
    >>> run.results, run.payload
    ((True, False), {'batchItemFailures': [{'itemIdentifier': '2'}]})
    """

    pattern: FailurePattern = field(default_factory=FailurePattern)
    style: ResponseStyle = ResponseStyle.THROW
    raw_payload: Any = None

    def __hash__(self) -> int:
        return hash((self.pattern, self.style, repr(self.raw_payload)))

    def run(
        self, sequence_numbers: Sequence[str], processed_before: Sequence[int]
    ) -> HandlerRun:
        """Process a batch; ``processed_before`` counts earlier processings."""
        results: list[bool] = []
        for index, sequence_number in enumerate(sequence_numbers):
            ok = not self.pattern.fails(
                sequence_number,
                position_in_batch=index + 1,
                processed_before=processed_before[index],
            )
            results.append(ok)
            if not ok and self.style.stops_at_first_failure:
                break
        return respond(self.style, sequence_numbers, results, self.raw_payload)

    def describe(self) -> str:
        return f"{self.style} handler; {self.pattern.describe()}"
