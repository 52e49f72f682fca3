"""Reading and writing traces in the ``shardcheck-trace/1`` format (docs/oracle.md).

``read_trace`` validates every line against the JSON Schema shipped next to this module
and turns the file into a ``TraceFile``: the settings and shard of the header and the
observed events.  ``trace_lines`` writes a simulator ``Trace`` in the same format, which
is what conformance adapters emit too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from model.config import MappingConfig, Settings
from model.errors import InvalidInput, InvalidScenario
from model.events import destination_record, sequence_number_of
from model.loading import mapping_from_dict, parse_json
from model.records import DEFAULT_EPOCH, Record, Shard
from model.responses import HandlerRun
from model.scenario_file import _timing, _undocumented
from model.simulator import Trace

__all__ = [
    "FORMAT",
    "TraceFile",
    "Event",
    "read_trace",
    "parse_trace_lines",
    "trace_lines",
    "schema",
]

FORMAT = "shardcheck-trace/1"
SCHEMA_PATH = Path(__file__).with_name("trace.schema.json")


#: The most records a header may count (the replay's state grows with them).
MAX_RECORDS = 1_000_000


class InvalidTrace(InvalidInput):
    """A trace file that does not follow docs/oracle.md."""


__all__ += ["InvalidTrace"]


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema every line of a trace matches.

    >>> schema()["$defs"]["header"]["properties"]["format"]["const"]
    'shardcheck-trace/1'
    """
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True)
class Event:
    """One observed event: its line number, type, and fields as written."""

    line: int
    type: str
    data: dict[str, Any]

    def describe(self) -> str:
        """A short description for reports, e.g. ``invocation [1..10]``."""
        if self.type == "invocation":
            return f"invocation of {_span_text(self.batch())}"
        if self.type == "destination":
            info = destination_fields(self.data)
            return (
                f"destination record {info['condition']} for "
                f"{_span_text([info['start'], info['end']])}"
            )
        if self.type == "checkpoint":
            name = self.data.get("sequence_number")
            return f"checkpoint {'null' if name is None else name}"
        return self.type

    def batch(self) -> list[str]:
        """The sequence numbers of an invocation's batch."""
        if "batch" in self.data:
            return list(self.data["batch"])
        return [sequence_number_of(record) for record in self.data["event"]["Records"]]

    def handler_run(self) -> HandlerRun:
        """The response as the model reads it; ``results`` left to the replay."""
        results = tuple(self.data.get("processed") or ())
        if self.data.get("error") is not None:
            return HandlerRun(results, threw=True)
        if "response_text" in self.data:
            text = self.data["response_text"]
            return HandlerRun(results, threw=False, payload=text.encode("utf-8"))
        return HandlerRun(results, threw=False, payload=self.data.get("response"))


@dataclass(frozen=True)
class TraceFile:
    """A parsed trace: the header's settings and shard, and the events in order."""

    name: str
    settings: Settings
    shard: Shard
    checkpoint_style: str
    destinations: str
    events: tuple[Event, ...]
    header: dict[str, Any] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Whether the trace ends with ``{"type": "end", "complete": true}``."""
        last = self.events[-1] if self.events else None
        return bool(last and last.type == "end" and last.data.get("complete", True))


def destination_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The comparable fields of a destination event, flat or AWS-shaped.

    >>> destination_fields({"condition": "RecordAgeExceeded",
    ...     "startSequenceNumber": "3", "endSequenceNumber": "4"})["start"]
    '3'
    """
    if "record" not in data:
        flat = {
            "condition": data["condition"],
            "start": data["startSequenceNumber"],
            "end": data["endSequenceNumber"],
        }
        for key, name in (
            ("approximateInvokeCount", "invoke_count"),
            ("functionError", "function_error"),
            ("batchSize", "batch_size"),
        ):
            if key in data:
                flat[name] = data[key]
        return flat
    record = data["record"]
    info = record.get("KinesisBatchInfo") or record.get("DDBStreamBatchInfo") or {}
    context = record["requestContext"]
    fields_: dict[str, Any] = {
        "condition": context["condition"],
        "start": info.get("startSequenceNumber"),
        "end": info.get("endSequenceNumber"),
    }
    if "approximateInvokeCount" in context:
        fields_["invoke_count"] = context["approximateInvokeCount"]
    if isinstance(record.get("responseContext"), dict):
        fields_["function_error"] = record["responseContext"].get("functionError")
    if "batchSize" in info:
        fields_["batch_size"] = info["batchSize"]
    return fields_


# -- reading ------------------------------------------------------------------------


def read_trace(path: str | Path) -> TraceFile:
    """Read and validate a trace file; a bad one raises ``InvalidTrace`` (one line).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
    ...     _ = f.write('{"type": "header", "format": "shardcheck-trace/1", '
    ...         '"source": "kinesis", "records": 2, "mapping": {}, '
    ...         '"checkpoint_style": "first_not_done"}\\n')
    >>> len(read_trace(f.name).shard)
    2
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidTrace("no such file; check the path", source=name) from None
    except IsADirectoryError:
        raise InvalidTrace("is a directory; give a file", source=name) from None
    except UnicodeDecodeError:
        raise InvalidTrace("is not UTF-8 text", source=name) from None
    except OSError as error:
        raise InvalidTrace(f"cannot be read ({error.strerror})", source=name) from None
    try:
        return parse_trace_lines(text.splitlines(), name=name)
    except InvalidInput as error:
        raise error.located(name) from None


def parse_trace_lines(lines: Iterable[str], *, name: str = "<trace>") -> TraceFile:
    """Parse trace lines (strings of JSON) into a ``TraceFile``."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    parsed: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            data = parse_json(line)
        except InvalidInput as error:
            raise InvalidTrace(error.message, field=where) from None
        except json.JSONDecodeError as error:
            raise InvalidTrace(
                f"not valid JSON (column {error.colno}): {error.msg}; each line of a "
                "trace is one JSON object",
                field=where,
            ) from None
        problem = jsonschema.exceptions.best_match(validator.iter_errors(data))
        if problem is not None:
            path = ".".join(str(part) for part in problem.absolute_path)
            raise InvalidTrace(
                f"{_explained(problem)} (see the trace format in docs/oracle.md)",
                field=f"{where}{': field ' + path if path else ''}",
            )
        parsed.append((number, data))
    if not parsed or parsed[0][1]["type"] != "header":
        raise InvalidTrace(
            'the first line must be the header {"type": "header", "format": '
            f'"{FORMAT}", ...}}',
            field="line 1",
        )
    header_line, header = parsed[0]
    for number, data in parsed[1:]:
        if data["type"] == "header":
            raise InvalidTrace(
                "a second header; a trace has one header, on its first line",
                field=f"line {number}",
            )
    settings, shard = _settings_and_shard(header, header_line)
    events = tuple(
        Event(number, data["type"], data)
        for number, data in parsed[1:]
        if data["type"] != "comment"
    )
    for event in events[:-1]:
        if event.type == "end":
            raise InvalidTrace(
                "the end event must be the last line", field=f"line {event.line}"
            )
    _check_events(events, shard)
    return TraceFile(
        name=str(header.get("name") or name),
        settings=settings,
        shard=shard,
        checkpoint_style=header["checkpoint_style"],
        destinations=header.get("destinations", "in_order"),
        events=events,
        header=header,
    )


_EVENT_TYPES = "header, invocation, destination, checkpoint, end, comment"


def _explained(problem: Any) -> str:
    """What a schema violation means, as "expected ..., got ..." with the fix.

    jsonschema's own messages quote Python's repr (True, {'a': 1}) and say "is not
    valid under any of the given schemas" without saying what would be; a refusal
    says what the format wants, with values as JSON and cut to stay one line.
    """
    kind = problem.validator
    value = problem.validator_value
    got = f"got {_json_text(problem.instance)}"
    if not problem.absolute_path and not isinstance(problem.instance, dict):
        return (
            'each line must be a JSON object with a "type" field '
            f"({_EVENT_TYPES}), {got}"
        )
    if kind == "required":
        missing = [name for name in value if name not in problem.instance]
        name = missing[0] if missing else value[0]
        hint = f" ({_EVENT_TYPES})" if name == "type" else ""
        return f"the field {name} is required{hint}; add it"
    if kind in ("anyOf", "oneOf") and all(
        isinstance(option, dict) and set(option) == {"required"} for option in value
    ):
        names = " or ".join(name for option in value for name in option["required"])
        return f"needs the field {names}; add one"
    if kind in ("anyOf", "oneOf"):
        forms = [_describe(option) for option in value]
        return f"expected {' or '.join(forms)}, {got}"
    return f"expected {_describe({kind: value})}, {got}"


def _describe(schema_part: Any) -> str:
    """A schema fragment in words: "a whole number >= 1", "one of ..."."""
    if not isinstance(schema_part, dict):
        return "a value the format allows"
    if set(schema_part) == {"required"}:
        return "the field " + " and ".join(schema_part["required"])
    if "$ref" in schema_part and schema_part["$ref"].endswith("sequenceNumber"):
        return 'a sequence number as a string of digits ("49650...")'
    if "const" in schema_part:
        return _json_text(schema_part["const"])
    if "enum" in schema_part:
        return "one of " + ", ".join(_json_text(v) for v in schema_part["enum"])
    words = {
        "integer": "a whole number",
        "number": "a number",
        "string": "a string",
        "boolean": "true or false",
        "array": "a list",
        "object": "an object",
        "null": "null",
    }
    kinds = schema_part.get("type")
    if isinstance(kinds, str):
        kinds = [kinds]
    text = " or ".join(words.get(kind, kind) for kind in kinds or [])
    if "minimum" in schema_part:
        text = f"{text or 'a number'} >= {schema_part['minimum']}"
    if "minItems" in schema_part:
        text = f"{text or 'a list'} of at least {schema_part['minItems']} item(s)"
    if "pattern" in schema_part:
        text = (
            f"{text or 'a string'} of digits"
            if schema_part["pattern"] == ("^[0-9]+$")
            else f"{text or 'a string'} matching {schema_part['pattern']}"
        )
    if "additionalProperties" in schema_part:
        text = "no other fields"
    if "not" in schema_part:
        text = "a different value"
    return text or "a value the format allows"


def _json_text(value: Any) -> str:
    """A value as JSON, cut so that a refusal stays one readable line."""
    try:
        text = json.dumps(value, ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):
        text = "a value too deeply nested to show"
    return text if len(text) <= 60 else text[:57] + "..."


def _settings_and_shard(header: dict[str, Any], line: int) -> tuple[Settings, Shard]:
    where = f"line {line}: header"
    source = header["source"]
    try:
        mapping = (
            mapping_from_dict(header["mapping"], "mapping").with_changes(source=source)
            if header["mapping"]
            else MappingConfig(source=source)
        )
        timing = _timing(header.get("timing", {}))
        undocumented = _undocumented(header.get("undocumented", {}))
        shard = _shard(header, source)
    except InvalidInput as error:
        detail = f"{error.field}: " if error.field else ""
        raise InvalidTrace(f"{detail}{error.message}", field=where) from None
    return Settings(mapping, timing, undocumented), shard


def _shard(header: dict[str, Any], source: Any) -> Shard:
    records = header["records"]
    extra = {key: header[key] for key in ("shard_id", "stream_arn") if header.get(key)}
    if isinstance(records, int) and records > MAX_RECORDS:
        # The replay keeps per-record counts: a count this large would exhaust
        # memory before the first event is read.
        raise InvalidScenario(
            f"must be at most {MAX_RECORDS:,} records, got {records:,}; a trace "
            "covers the records it names",
            field="records",
        )
    if isinstance(records, int):
        shard = Shard.numbered(records, source)
        return Shard(source, shard.records, **extra)
    built = []
    for index, item in enumerate(records):
        arrival = item.get("arrival", DEFAULT_EPOCH)
        built.append(
            Record(
                sequence_number=item["sequenceNumber"],
                arrival=float(arrival),
                partition_key=str(item.get("partitionKey", "key-1")),
                data=f"record {index + 1}".encode(),
            )
        )
    return Shard(source, tuple(built), **extra)


def _check_events(events: tuple[Event, ...], shard: Shard) -> None:
    """Names of records must be records of the shard; batches must be in order."""
    for event in events:
        where = f"line {event.line}"
        try:
            names = event.batch() if event.type == "invocation" else []
        except InvalidScenario as error:
            raise InvalidTrace(error.message, field=f"{where}: event") from None
        if event.type == "destination":
            info = destination_fields(event.data)
            names = [info["start"], info["end"]]
        for sequence_number in names:
            if sequence_number is None or shard.position_of(sequence_number) is None:
                raise InvalidTrace(
                    f"sequence number {_json_text(sequence_number)} is not a record "
                    "of the header's shard; list every record in the header's records",
                    field=where,
                )
        text = event.data.get("response_text")
        if isinstance(text, str) and _has_lone_surrogate(text):
            # A response is bytes; no bytes decode to half a UTF-16 pair.
            raise InvalidTrace(
                "response_text holds a lone surrogate (\\ud800-\\udfff), which no "
                "function response can contain; write the text the function "
                "returned, decoded as UTF-8",
                field=where,
            )
        processed = event.data.get("processed")
        if (
            event.type == "invocation"
            and processed is not None
            and len(processed) > len(names)
        ):
            raise InvalidTrace(
                f"processed has {len(processed)} entries for a batch of "
                f"{len(names)}; give one per record the handler reached",
                field=where,
            )


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _span_text(sequence_numbers: list[Any]) -> str:
    if not sequence_numbers:
        return "[]"
    first, last = sequence_numbers[0], sequence_numbers[-1]
    return f"[{first}]" if first == last else f"[{first}..{last}]"


# -- writing ------------------------------------------------------------------------


def trace_lines(
    trace: Trace, *, checkpoint_style: str = "first_not_done", complete: bool = True
) -> Iterator[str]:
    """The lines of a simulator trace in the ``shardcheck-trace/1`` format.

    Each invocation is followed by the destination records it wrote and the
    checkpoint after it; expiries by their destination records and checkpoint.

    Examples
    --------
    >>> from model.simulator import simulate
    >>> from model.walkthroughs import walkthrough
    >>> lines = list(trace_lines(simulate(walkthrough("article-custom-once"))))
    >>> [json.loads(line)["type"] for line in lines][:3]
    ['header', 'invocation', 'checkpoint']
    """
    scenario = trace.scenario
    shard = scenario.shard
    yield _dump(_header(trace, checkpoint_style))
    for transition in trace.transitions:
        invocation = transition.invocation
        if invocation is not None:
            batch = invocation.batch
            event: dict[str, Any] = {
                "type": "invocation",
                "batch": shard.sequence_numbers(batch.start, batch.end),
                "processed": list(invocation.run.results),
            }
            if invocation.run.threw:
                event["error"] = {"errorType": "Error", "errorMessage": "failed"}
            elif isinstance(invocation.run.payload, bytes):
                event["response_text"] = invocation.run.payload.decode(
                    "utf-8", "replace"
                )
            else:
                event["response"] = invocation.run.payload
            yield _dump(event)
        for discard in transition.discards:
            entry = discard.destination
            if entry is None:
                continue
            yield _dump(
                {
                    "type": "destination",
                    "record": destination_record(
                        shard,
                        entry.start,
                        entry.end,
                        condition=entry.condition,
                        invoke_count=entry.invoke_count,
                        function_error=entry.function_error,
                        request_id=f"invocation-{transition.after.invocations}",
                        function_arn="arn:aws:lambda:us-east-1:123456789012:"
                        "function:shardcheck",
                        timestamp=shard.records[0].arrival + entry.clock,
                    ),
                }
            )
        yield _dump(
            {
                "type": "checkpoint",
                "sequence_number": checkpoint_name(
                    shard, transition.after.checkpoint, checkpoint_style
                ),
            }
        )
    yield _dump({"type": "end", "complete": complete and not trace.blocked})


def checkpoint_name(shard: Shard, position: int, style: str) -> str | None:
    """How a checkpoint at ``position`` is written in ``style``.

    >>> shard = Shard.numbered(10)
    >>> [checkpoint_name(shard, 5, style) for style in ("first_not_done", "last_done")]
    ['6', '5']
    """
    if style == "last_done":
        return shard.sequence_number(position - 1) if position > 0 else None
    return shard.sequence_number(position) if position < len(shard) else None


__all__ += ["checkpoint_name", "destination_fields"]


def _header(trace: Trace, checkpoint_style: str) -> dict[str, Any]:
    from dataclasses import asdict

    scenario = trace.scenario
    shard = scenario.shard
    mapping = _mapping_fields(scenario.settings)
    header: dict[str, Any] = {
        "type": "header",
        "format": FORMAT,
        "name": scenario.name,
        "producer": "shardcheck model.simulator",
        "source": shard.source,
        "mapping": mapping,
        "records": [
            {
                "sequenceNumber": record.sequence_number,
                "arrival": record.arrival,
                "partitionKey": record.partition_key,
            }
            for record in shard.records
        ],
        "checkpoint_style": checkpoint_style,
        "destinations": "in_order",
        "timing": asdict(scenario.settings.timing),
        "undocumented": scenario.settings.undocumented.differences(),
        "shard_id": shard.shard_id,
        "stream_arn": shard.stream_arn,
    }
    return header


def _mapping_fields(settings: Settings) -> dict[str, Any]:
    mapping = settings.mapping
    fields_: dict[str, Any] = {
        "BatchSize": mapping.batch_size,
        "MaximumRetryAttempts": mapping.maximum_retry_attempts,
        "MaximumRecordAgeInSeconds": mapping.maximum_record_age_in_seconds,
        "BisectBatchOnFunctionError": mapping.bisect_batch_on_function_error,
        "FunctionResponseTypes": list(mapping.function_response_types),
    }
    if mapping.on_failure_destination:
        fields_["DestinationConfig"] = {
            "OnFailure": {"Destination": mapping.on_failure_destination}
        }
    return fields_


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(", ", ": "))
