"""Scenarios described in JSON files (the format of docs/scenarios.md).

A scenario file names a source, a number of records, a mapping configuration by its
API field names, which records fail, and the handler's response style.  Every field is
checked, and a refusal names the file, the field and what it accepts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from model.config import MappingConfig, Settings, Timing, Undocumented
from model.errors import InvalidConfiguration, InvalidInput, InvalidScenario
from model.handler import (
    POISON,
    FailsFirst,
    FailureKind,
    FailurePattern,
    Handler,
    ResponseStyle,
)
from model.records import Shard
from model.simulator import DEFAULT_STEP_LIMIT, Scenario

__all__ = [
    "load_scenario",
    "scenario_from_dict",
    "read_json_file",
    "check_run_size",
]

_KNOWN_FIELDS = {
    "name",
    "description",
    "source",
    "records",
    "mapping",
    "failures",
    "failures_by_position",
    "handler",
    "timing",
    "undocumented",
    "step_limit",
    "seconds_apart",
    "partition_keys",
}

#: The most records a scenario file may have: one batch of the largest BatchSize.
MAX_RECORDS = 10_000
#: The widest spacing of records: MaximumRecordAgeInSeconds' largest value.
MAX_SECONDS_APART = 604_800
#: The most steps a scenario may ask for.
MAX_STEP_LIMIT = 1_000_000
#: Every step keeps a state of a few tuples as long as the shard, so the product
#: of records and steps bounds the memory of a trace (about 32 bytes each).
MAX_RECORD_STEPS = 10_000_000

_STYLES = ", ".join(style.value for style in ResponseStyle if style.value != "raw")


def read_json_file(path: str | Path) -> Any:
    """Parse a JSON file, refusing a missing or broken one with one line."""
    from model.loading import parse_json

    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput("no such file; check the path", source=name) from None
    except IsADirectoryError:
        raise InvalidInput("is a directory; give a file", source=name) from None
    except UnicodeDecodeError:
        raise InvalidInput("is not UTF-8 text", source=name) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise InvalidInput(f"cannot be read: {reason}", source=name) from None
    try:
        return parse_json(text)
    except InvalidInput as error:
        raise error.located(name) from None
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"not valid JSON (line {error.lineno} column {error.colno}): {error.msg}",
            source=name,
        ) from None


def load_scenario(path: str | Path) -> tuple[Scenario, int]:
    """Read a scenario file; returns the scenario and its step limit."""
    data = read_json_file(path)
    try:
        return scenario_from_dict(data)
    except InvalidInput as error:
        raise error.located(str(path)) from None


def scenario_from_dict(data: Any) -> tuple[Scenario, int]:
    """Build a scenario from its JSON form (see docs/scenarios.md).

    >>> scenario, limit = scenario_from_dict({"name": "x", "source": "kinesis",
    ...     "records": 3, "mapping": {"BatchSize": 2}, "handler": "throw"})
    >>> len(scenario.shard), scenario.settings.mapping.batch_size, limit
    (3, 2, 1000)
    """
    from model.loading import mapping_from_dict

    if not isinstance(data, dict):
        raise InvalidScenario("the scenario must be a JSON object")
    unknown = sorted(set(data) - _KNOWN_FIELDS)
    if unknown:
        raise InvalidScenario(
            f"unknown field; the fields are {', '.join(sorted(_KNOWN_FIELDS))}",
            field=unknown[0],
        )
    for required in ("name", "source", "records", "handler"):
        if required not in data:
            raise InvalidScenario("this field is required", field=required)

    name = data["name"]
    if not isinstance(name, str) or not name:
        raise InvalidScenario("must be a non-empty string", field="name")
    source = data["source"]
    if source not in ("kinesis", "dynamodb"):
        raise InvalidScenario(
            f'must be "kinesis" or "dynamodb", got {_short(source)}', field="source"
        )

    count = _whole_number(data["records"], "records", 1, MAX_RECORDS)
    seconds_apart = data.get("seconds_apart", 0)
    if (
        isinstance(seconds_apart, bool)
        or not isinstance(seconds_apart, int | float)
        or not 0 <= seconds_apart <= MAX_SECONDS_APART
    ):
        # Past a week apart every record is older than any MaximumRecordAge, so a
        # larger spacing changes nothing, and 1e308 would overflow the arrivals.
        raise InvalidScenario(
            f"must be a number of seconds 0..{MAX_SECONDS_APART:,}, got "
            f"{_short(seconds_apart)}",
            field="seconds_apart",
        )
    keys = data.get("partition_keys", ["key-1"])
    if (
        not isinstance(keys, list)
        or not keys
        or not all(isinstance(key, str) and key for key in keys)
    ):
        raise InvalidScenario(
            "must be a non-empty list of strings", field="partition_keys"
        )
    shard = Shard.numbered(
        count, source, seconds_apart=float(seconds_apart), partition_keys=tuple(keys)
    )

    mapping_data = data.get("mapping", {})
    if not isinstance(mapping_data, dict):
        raise InvalidScenario("must be an object of mapping fields", field="mapping")
    try:
        # An empty mapping means the API defaults (mapping_from_dict wants a field).
        read = mapping_from_dict(mapping_data) if mapping_data else MappingConfig()
        mapping = read.with_changes(source=source)
    except InvalidConfiguration as error:
        field = f"mapping.{error.field}" if error.field else "mapping"
        raise InvalidConfiguration(error.message, field=field) from None

    settings = Settings(
        mapping=mapping,
        timing=_timing(data.get("timing", {})),
        undocumented=_undocumented(data.get("undocumented", {})),
    )
    pattern = FailurePattern(
        by_sequence=_kinds(data.get("failures", {}), "failures", shard),
        by_position=_kinds(
            data.get("failures_by_position", {}), "failures_by_position"
        ),
    )
    handler = _handler(data["handler"], pattern)
    limit = _whole_number(
        data.get("step_limit", DEFAULT_STEP_LIMIT), "step_limit", 1, MAX_STEP_LIMIT
    )
    check_run_size(count, limit, field="step_limit")
    scenario = Scenario(
        name=name,
        settings=settings,
        shard=shard,
        handler=handler,
        description=str(data.get("description", "")),
    )
    return scenario, limit


def _whole_number(
    value: Any, field: str, minimum: int, maximum: int | None = None
) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidScenario(
            f"must be a whole number >= {minimum}, got {_short(value)}", field=field
        )
    if maximum is not None and value > maximum:
        raise InvalidScenario(
            f"must be at most {maximum:,}, got {value:,}", field=field
        )
    return value


def check_run_size(records: int, step_limit: int, *, field: str) -> None:
    """Refuse a run whose trace would not fit in memory, naming the fix.

    A trace keeps about 32 bytes per record and step.

    >>> check_run_size(10, 1000, field="step_limit")
    >>> check_run_size(10_000, 10_000, field="step_limit")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    model.errors.InvalidScenario: step_limit: 10,000 records times 10,000 steps ...
    """
    if records * step_limit > MAX_RECORD_STEPS:
        megabytes = records * step_limit * 32 // 1_000_000
        raise InvalidScenario(
            f"{records:,} records times {step_limit:,} steps is more than "
            f"{MAX_RECORD_STEPS:,} (a trace of about {megabytes:,} MB); "
            "lower step_limit or records",
            field=field,
        )


def _short(value: Any) -> str:
    """A value as JSON writes it (true, not True), cut to stay on one line."""
    try:
        text = json.dumps(value, default=str)
    except (ValueError, RecursionError):
        text = "a value too deeply nested to show"
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any, field: str) -> FailureKind:
    if value == "poison":
        return POISON
    if isinstance(value, dict) and set(value) == {"fails_first"}:
        return FailsFirst(_whole_number(value["fails_first"], field, 0))
    raise InvalidScenario(
        f'must be "poison" or {{"fails_first": k}}, got {_short(value)}', field=field
    )


def _kinds(
    value: Any, field: str, shard: Shard | None = None
) -> dict[Any, FailureKind]:
    if not isinstance(value, dict):
        raise InvalidScenario("must be an object", field=field)
    kinds: dict[Any, FailureKind] = {}
    for key, kind in value.items():
        where = f"{field}.{key}"
        if shard is not None:
            if shard.position_of(key) is None:
                raise InvalidScenario(
                    f"names no record; sequence numbers are 1..{len(shard)}",
                    field=where,
                )
            kinds[key] = _kind(kind, where)
        else:
            if not (isinstance(key, str) and key.isdigit() and int(key) >= 1):
                raise InvalidScenario(
                    "positions are 1-based whole numbers", field=where
                )
            kinds[int(key)] = _kind(kind, where)
    return kinds


def _handler(value: Any, pattern: FailurePattern) -> Handler:
    if isinstance(value, str):
        try:
            style = ResponseStyle(value)
        except ValueError:
            style = None
        if style is None or style is ResponseStyle.RAW:
            raise InvalidScenario(
                f'must be one of {_STYLES} or {{"raw": payload}}, got {_short(value)}',
                field="handler",
            )
        return Handler(pattern, style)
    if isinstance(value, dict) and set(value) == {"raw"}:
        return Handler(pattern, ResponseStyle.RAW, raw_payload=value["raw"])
    raise InvalidScenario(
        f'must be one of {_STYLES} or {{"raw": payload}}, got {_short(value)}',
        field="handler",
    )


def _timing(value: Any) -> Timing:
    if not isinstance(value, dict):
        raise InvalidScenario("must be an object", field="timing")
    allowed = {"invocation_seconds", "retry_backoff_seconds", "retention_seconds"}
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise InvalidScenario(
            f"unknown field; timing has {', '.join(sorted(allowed))}",
            field=f"timing.{unknown[0]}",
        )
    for key, seconds in value.items():
        if isinstance(seconds, bool):
            # Timing would name Python's True; the file says true.
            raise InvalidScenario(
                f"must be a number of seconds, got {json.dumps(seconds)}",
                field=f"timing.{key}",
            )
    try:
        return Timing(**value)
    except InvalidConfiguration as error:
        raise InvalidScenario(error.message, field=f"timing.{error.field}") from None


def _undocumented(value: Any) -> Undocumented:
    if not isinstance(value, dict):
        raise InvalidScenario("must be an object", field="undocumented")
    alternatives = Undocumented.alternatives()
    for key, choice in value.items():
        if key not in alternatives:
            raise InvalidScenario(
                f"unknown parameter; the parameters are {', '.join(alternatives)}",
                field=f"undocumented.{key}",
            )
        if choice not in alternatives[key] or type(choice) is not type(
            alternatives[key][0]
        ):
            options = ", ".join(json.dumps(option) for option in alternatives[key])
            raise InvalidScenario(
                f"must be one of {options}, got {json.dumps(choice)}",
                field=f"undocumented.{key}",
            )
    return Undocumented(**value)


def scenario_to_dict(
    scenario: Scenario, step_limit: int | None = None
) -> dict[str, Any]:
    """The JSON form of a scenario, which ``scenario_from_dict`` reads back.

    Only shards of records numbered "1", "2", ... can be written this way, which is
    what every generated scenario uses.

    >>> from model.walkthroughs import walkthrough
    >>> data = scenario_to_dict(walkthrough("article-custom-once"))
    >>> data["failures"], data["handler"]
    ({'6': {'fails_first': 1}}, 'report_first')
    >>> scenario_from_dict(data)[0] == walkthrough("article-custom-once")
    True
    """
    from dataclasses import asdict

    shard = scenario.shard
    expected = [str(index + 1) for index in range(len(shard))]
    if [record.sequence_number for record in shard.records] != expected:
        raise InvalidScenario(
            "only shards numbered 1..N can be written as a scenario file",
            field="records",
        )
    mapping = scenario.settings.mapping
    fields = {
        "BatchSize": mapping.batch_size,
        "MaximumRetryAttempts": mapping.maximum_retry_attempts,
        "MaximumRecordAgeInSeconds": mapping.maximum_record_age_in_seconds,
        "BisectBatchOnFunctionError": mapping.bisect_batch_on_function_error,
        "FunctionResponseTypes": list(mapping.function_response_types),
        "ParallelizationFactor": mapping.parallelization_factor,
        "StartingPosition": mapping.starting_position,
    }
    if mapping.on_failure_destination:
        fields["DestinationConfig"] = {
            "OnFailure": {"Destination": mapping.on_failure_destination}
        }
    # Settings the model reads only to note an assumption must survive the trip too.
    if mapping.tumbling_window_in_seconds:
        fields["TumblingWindowInSeconds"] = mapping.tumbling_window_in_seconds
    if mapping.maximum_batching_window_in_seconds:
        fields["MaximumBatchingWindowInSeconds"] = (
            mapping.maximum_batching_window_in_seconds
        )
    if mapping.has_filter_criteria:
        fields["FilterCriteria"] = {"Filters": [{"Pattern": "{}"}]}
    handler = scenario.handler
    data: dict[str, Any] = {
        "name": scenario.name,
        "description": scenario.description,
        "source": shard.source,
        "records": len(shard),
        "mapping": fields,
        "failures": {
            sequence: _kind_to_json(kind)
            for sequence, kind in handler.pattern.by_sequence.items()
        },
        "failures_by_position": {
            str(position): _kind_to_json(kind)
            for position, kind in handler.pattern.by_position.items()
        },
        "handler": (
            {"raw": handler.raw_payload}
            if handler.style is ResponseStyle.RAW
            else handler.style.value
        ),
        "timing": asdict(scenario.settings.timing),
        "undocumented": scenario.settings.undocumented.differences(),
    }
    keys = sorted({record.partition_key for record in shard.records})
    if keys != ["key-1"]:
        data["partition_keys"] = [record.partition_key for record in shard.records]
    records = shard.records
    spacing = records[1].arrival - records[0].arrival if len(records) > 1 else 0.0
    rebuilt = Shard.numbered(
        len(shard),
        shard.source,
        seconds_apart=spacing,
        partition_keys=tuple(record.partition_key for record in records),
    )
    if rebuilt != shard:
        raise InvalidScenario(
            "only shards of evenly spaced records made by Shard.numbered can be "
            "written as a scenario file",
            field="records",
        )
    if spacing:
        data["seconds_apart"] = spacing
    if step_limit is not None:
        data["step_limit"] = step_limit
    return data


def _kind_to_json(kind: FailureKind) -> Any:
    if isinstance(kind, FailsFirst):
        return {"fails_first": kind.times}
    return "poison"
