"""The event source mapping settings and the undocumented points of Lambda's behaviour.

``MappingConfig`` holds the CreateEventSourceMapping settings that decide what happens
to a failing batch, each validated against the ranges Lambda accepts.  ``Undocumented``
holds every point AWS does not document, each a named parameter whose default is the
documented, recorded or seed behaviour (see ``docs/model.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from model.errors import InvalidConfiguration

__all__ = [
    "REPORT_BATCH_ITEM_FAILURES",
    "MappingConfig",
    "Timing",
    "Undocumented",
    "INFINITE",
]

#: The value Lambda uses for "no limit" in MaximumRetryAttempts and
#: MaximumRecordAgeInSeconds.
INFINITE = -1

REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"

_STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")


def _check_range(name: str, value: Any, low: int, high: int, extra: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidConfiguration(
            f"must be an integer {extra}{low}..{high}, got {value!r}", field=name
        )
    if not (low <= value <= high) and not (extra and value == INFINITE):
        raise InvalidConfiguration(
            f"must be {extra}{low}..{high}, got {value!r}", field=name
        )


@dataclass(frozen=True)
class MappingConfig:
    """The settings of one event source mapping that the model reads.

    Attribute names are the API's field names in snake case; ``field_names`` maps
    them back.  Values are checked on construction, so a ``MappingConfig`` that
    exists is one Lambda would accept.

    Examples
    --------
    >>> config = MappingConfig(batch_size=10, maximum_retry_attempts=2)
    >>> config.report_batch_item_failures, config.retries_are_finite
    (False, True)
    """

    batch_size: int = 100
    maximum_retry_attempts: int = INFINITE
    maximum_record_age_in_seconds: int = INFINITE
    bisect_batch_on_function_error: bool = False
    function_response_types: tuple[str, ...] = ()
    on_failure_destination: str | None = None
    parallelization_factor: int = 1
    starting_position: str = "TRIM_HORIZON"
    tumbling_window_in_seconds: int = 0
    maximum_batching_window_in_seconds: int = 0
    has_filter_criteria: bool = False
    source: Literal["kinesis", "dynamodb"] = "kinesis"

    def __post_init__(self) -> None:
        _check_range("BatchSize", self.batch_size, 1, 10000)
        _check_range(
            "MaximumRetryAttempts", self.maximum_retry_attempts, 0, 10000, "-1 or "
        )
        _check_range(
            "MaximumRecordAgeInSeconds",
            self.maximum_record_age_in_seconds,
            60,
            604800,
            "-1 or ",
        )
        if not isinstance(self.bisect_batch_on_function_error, bool):
            raise InvalidConfiguration(
                f"must be true or false, got {self.bisect_batch_on_function_error!r}",
                field="BisectBatchOnFunctionError",
            )
        types = self.function_response_types
        if (
            not isinstance(types, tuple)
            or len(types) > 1
            or any(item != REPORT_BATCH_ITEM_FAILURES for item in types)
        ):
            raise InvalidConfiguration(
                f'must be [] or ["{REPORT_BATCH_ITEM_FAILURES}"], got {list(types)!r}',
                field="FunctionResponseTypes",
            )
        _check_range("ParallelizationFactor", self.parallelization_factor, 1, 10)
        _check_range("TumblingWindowInSeconds", self.tumbling_window_in_seconds, 0, 900)
        _check_range(
            "MaximumBatchingWindowInSeconds",
            self.maximum_batching_window_in_seconds,
            0,
            300,
        )
        if self.starting_position not in _STARTING_POSITIONS:
            raise InvalidConfiguration(
                f"must be one of {', '.join(_STARTING_POSITIONS)}, "
                f"got {self.starting_position!r}",
                field="StartingPosition",
            )
        if self.starting_position == "AT_TIMESTAMP" and self.source != "kinesis":
            raise InvalidConfiguration(
                "AT_TIMESTAMP is accepted for Kinesis only; use TRIM_HORIZON or LATEST",
                field="StartingPosition",
            )
        if self.source not in ("kinesis", "dynamodb"):
            raise InvalidConfiguration(
                f"must be kinesis or dynamodb, got {self.source!r}", field="source"
            )

    @property
    def report_batch_item_failures(self) -> bool:
        """Whether the handler's ``batchItemFailures`` are read at all (R2, R6)."""
        return REPORT_BATCH_ITEM_FAILURES in self.function_response_types

    @property
    def retries_are_finite(self) -> bool:
        return self.maximum_retry_attempts != INFINITE

    @property
    def age_is_finite(self) -> bool:
        return self.maximum_record_age_in_seconds != INFINITE

    @property
    def has_destination(self) -> bool:
        return self.on_failure_destination is not None

    def assumptions(self) -> list[str]:
        """Settings read but not modelled, as sentences every verdict must carry."""
        notes = []
        if self.parallelization_factor != 1:
            notes.append(
                f"ParallelizationFactor is {self.parallelization_factor}; "
                "the model assumes 1"
            )
        if self.tumbling_window_in_seconds:
            notes.append(
                f"TumblingWindowInSeconds is {self.tumbling_window_in_seconds}; "
                "the model assumes 0"
            )
        if self.has_filter_criteria:
            notes.append("FilterCriteria is set; the model assumes no filter")
        return notes

    def with_changes(self, **changes: Any) -> MappingConfig:
        """A copy with some settings changed (validated again)."""
        return replace(self, **changes)

    def describe(self) -> str:
        """A short label such as ``BatchSize=10 retries=2 bisect RBIF``."""
        retries = (
            "inf" if not self.retries_are_finite else str(self.maximum_retry_attempts)
        )
        age = (
            "inf" if not self.age_is_finite else str(self.maximum_record_age_in_seconds)
        )
        parts = [f"BatchSize={self.batch_size}", f"retries={retries}", f"age={age}"]
        if self.bisect_batch_on_function_error:
            parts.append("bisect")
        if self.report_batch_item_failures:
            parts.append("RBIF")
        parts.append("dest" if self.has_destination else "no-dest")
        return " ".join(parts)

    @staticmethod
    def field_names() -> dict[str, str]:
        """Attribute name -> the API's field name."""
        return dict(_FIELD_NAMES)


_FIELD_NAMES = {
    "batch_size": "BatchSize",
    "maximum_retry_attempts": "MaximumRetryAttempts",
    "maximum_record_age_in_seconds": "MaximumRecordAgeInSeconds",
    "bisect_batch_on_function_error": "BisectBatchOnFunctionError",
    "function_response_types": "FunctionResponseTypes",
    "on_failure_destination": "DestinationConfig.OnFailure.Destination",
    "parallelization_factor": "ParallelizationFactor",
    "starting_position": "StartingPosition",
    "tumbling_window_in_seconds": "TumblingWindowInSeconds",
    "maximum_batching_window_in_seconds": "MaximumBatchingWindowInSeconds",
    "has_filter_criteria": "FilterCriteria",
    "source": "EventSourceArn",
}


@dataclass(frozen=True)
class Timing:
    """How the model counts time, so that record age and retention bound retries.

    Lambda documents neither the duration of an invocation nor the back-off before
    a retry; both are parameters.  Retention is the stream's, not the mapping's.
    ``retention_seconds`` of ``None`` means unbounded, which is not a real stream
    setting but lets the checker show a shard blocked forever.
    """

    invocation_seconds: int = 1
    retry_backoff_seconds: int = 1
    retention_seconds: int | None = 86400

    def __post_init__(self) -> None:
        for name in ("invocation_seconds", "retry_backoff_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidConfiguration(
                    f"must be a whole number of seconds >= 0, got {value!r}",
                    field=name,
                )
        retention = self.retention_seconds
        if retention is not None and (
            isinstance(retention, bool)
            or not isinstance(retention, int)
            or retention < 1
        ):
            raise InvalidConfiguration(
                f"must be a whole number of seconds >= 1 or null, got {retention!r}",
                field="retention_seconds",
            )


@dataclass(frozen=True)
class Undocumented:
    """Every point of Lambda's behaviour that AWS does not document.

    Each default is the recorded or seed behaviour named in ``docs/model.md``; the
    alternatives exist so that a trace which fits only another reading can be
    told apart from one that fits none.
    """

    #: R5: the first half of a bisected batch of n has ceil(n/2) records (seed).
    bisect_split: Literal["ceil", "floor"] = "ceil"
    #: R7: a partial failure that leaves the checkpoint where it was is an attempt.
    stalled_partial_counts_as_attempt: bool = True
    #: R7: records after an advanced checkpoint start a fresh retry budget.
    budget_renewed_on_advance: bool = True
    #: R2: an identifier that names no record of the batch fails the whole batch.
    unknown_identifier: Literal["batch_failure", "ignored"] = "batch_failure"
    #: R2: a wrong top-level key or a non-JSON payload reads as success.
    unrecognised_payload: Literal["success", "batch_failure"] = "success"
    #: R8: a partial response under bisect retries the remainder whole.
    bisect_partial: Literal["cut_at_lowest", "cut_then_halve"] = "cut_at_lowest"
    #: R2/R5: a malformed response is bisected like a function error.
    bisect_on_malformed: bool = True
    #: R5: the lower half is done before the upper half starts.
    half_order: Literal["lower_first", "narrative"] = "lower_first"
    #: R9: one destination record per discarded batch.
    destination_under_bisect: Literal["per_batch", "merged"] = "per_batch"
    #: R6: the retry after a partial failure is the batch's remainder only.
    refill_after_partial: bool = False
    #: R4: a record has expired when its age is greater than the limit.
    age_boundary: Literal["greater", "greater_or_equal"] = "greater"

    def differences(self) -> dict[str, Any]:
        """The parameters that differ from the defaults, by name."""
        default = Undocumented()
        return {
            item.name: getattr(self, item.name)
            for item in fields(self)
            if getattr(self, item.name) != getattr(default, item.name)
        }

    @staticmethod
    def alternatives() -> dict[str, tuple[Any, ...]]:
        """Every parameter with each value it may take, the default first."""
        return dict(_ALTERNATIVES)


_ALTERNATIVES: dict[str, tuple[Any, ...]] = {
    "bisect_split": ("ceil", "floor"),
    "stalled_partial_counts_as_attempt": (True, False),
    "budget_renewed_on_advance": (True, False),
    "unknown_identifier": ("batch_failure", "ignored"),
    "unrecognised_payload": ("success", "batch_failure"),
    "bisect_partial": ("cut_at_lowest", "cut_then_halve"),
    "bisect_on_malformed": (True, False),
    "half_order": ("lower_first", "narrative"),
    "destination_under_bisect": ("per_batch", "merged"),
    "refill_after_partial": (False, True),
    "age_boundary": ("greater", "greater_or_equal"),
}


def _default_factory() -> Undocumented:
    return Undocumented()


@dataclass(frozen=True)
class Settings:
    """Everything that fixes the rules of one run: mapping, timing, undocumented."""

    mapping: MappingConfig = field(default_factory=MappingConfig)
    timing: Timing = field(default_factory=Timing)
    undocumented: Undocumented = field(default_factory=_default_factory)


__all__ += ["Settings"]
