"""How Lambda reads what the handler returned (rule R2 of docs/model.md).

``classify`` is the one place where a handler's response becomes an outcome: success,
function error, partial failure or malformed response.  The table it implements was
recorded against real Kinesis and DynamoDB mappings; its undocumented rows follow the
``Undocumented`` parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from model.config import Undocumented

__all__ = ["Outcome", "Reading", "HandlerRun", "classify", "reported_identifiers"]


class Outcome(StrEnum):
    """How an invocation ended, in the words of the JSON output."""

    SUCCESS = "success"
    FUNCTION_ERROR = "function_error"
    PARTIAL_FAILURE = "partial_failure"
    MALFORMED = "malformed"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class HandlerRun:
    """What the handler did in one invocation.

    ``results`` holds, in batch order, one entry per record the handler reached:
    True when it processed the record successfully, False when the record failed.
    Records after the last entry were never reached.  ``payload`` is the value the
    handler returned (JSON-like; ``bytes`` stands for a payload that is not JSON)
    and is ignored when ``threw`` is set.
    """

    results: tuple[bool, ...]
    threw: bool
    payload: Any = None

    def describe_response(self) -> str:
        if self.threw:
            return "threw an error"
        if isinstance(self.payload, bytes):
            return f"returned non-JSON bytes {self.payload[:40]!r}"
        return f"returned {_short_json(self.payload)}"


@dataclass(frozen=True)
class Reading:
    """The outcome of one invocation and why the response reads that way.

    ``reported`` holds the batch indexes (0-based, within the batch) named by a
    partial failure; ``carried_failures`` is set when the payload named failures
    that the outcome does not act on (so failed records may pass silently).
    """

    outcome: Outcome
    reported: tuple[int, ...]
    why: str
    carried_failures: bool = False

    @property
    def lowest_reported(self) -> int | None:
        return min(self.reported) if self.reported else None


def reported_identifiers(payload: Any) -> list[Any] | None:
    """The ``itemIdentifier`` values of a payload, or None if it has no failure list.

    >>> reported_identifiers({"batchItemFailures": [{"itemIdentifier": "6"}]})
    ['6']
    """
    if not isinstance(payload, dict):
        return None
    entries = payload.get("batchItemFailures")
    if not isinstance(entries, list):
        return None
    return [
        entry.get("itemIdentifier") if isinstance(entry, dict) else entry
        for entry in entries
    ]


def classify(
    run: HandlerRun,
    batch_sequence_numbers: Sequence[str],
    *,
    report_batch_item_failures: bool,
    undocumented: Undocumented | None = None,
) -> Reading:
    """Read a handler's response as Lambda does (R2).

    Examples
    --------
    >>> run = HandlerRun((True, False), threw=False,
    ...                  payload={"batchItemFailures": [{"itemIdentifier": "2"}]})
    >>> classify(run, ["1", "2"], report_batch_item_failures=True).outcome
    <Outcome.PARTIAL_FAILURE: 'partial_failure'>
    >>> classify(run, ["1", "2"], report_batch_item_failures=False).outcome
    <Outcome.SUCCESS: 'success'>
    """
    undocumented = undocumented or Undocumented()
    if run.threw:
        return Reading(Outcome.FUNCTION_ERROR, (), "the handler threw an error")

    payload = run.payload
    named = reported_identifiers(payload)
    if not report_batch_item_failures:
        carried = bool(named)
        why = (
            "the handler returned failures, but ReportBatchItemFailures is off, "
            "so any normal return is a success"
            if carried
            else "the handler returned normally"
        )
        return Reading(Outcome.SUCCESS, (), why, carried_failures=carried)

    return _classify_report(payload, batch_sequence_numbers, undocumented)


def _classify_report(
    payload: Any, batch_sequence_numbers: Sequence[str], undocumented: Undocumented
) -> Reading:
    if payload is None or payload in ("", [], {}):
        return Reading(Outcome.SUCCESS, (), "the handler returned an empty response")

    if not isinstance(payload, dict) or "batchItemFailures" not in payload:
        what = (
            "a payload without a batchItemFailures key"
            if isinstance(payload, dict)
            else "a payload that is not a JSON object"
        )
        if undocumented.unrecognised_payload == "batch_failure":
            return Reading(
                Outcome.MALFORMED, (), f"{what} fails the whole batch (alternative)"
            )
        return Reading(
            Outcome.SUCCESS,
            (),
            f"{what} reads as success: any failures in it are ignored",
            carried_failures=_mentions_failures(payload),
        )

    entries = payload["batchItemFailures"]
    if entries is None or entries == []:
        return Reading(Outcome.SUCCESS, (), "batchItemFailures is empty")
    if not isinstance(entries, list):
        return Reading(
            Outcome.MALFORMED,
            (),
            "batchItemFailures is not a list, so the batch failed",
        )

    index_of = {
        sequence: index for index, sequence in enumerate(batch_sequence_numbers)
    }
    reported: list[int] = []
    for entry in entries:
        if not isinstance(entry, dict) or "itemIdentifier" not in entry:
            return Reading(
                Outcome.MALFORMED,
                (),
                f"the entry {_short_json(entry)} has no itemIdentifier, "
                "so the whole batch failed",
            )
        identifier = entry["itemIdentifier"]
        if identifier is None or identifier == "":
            return Reading(
                Outcome.MALFORMED,
                (),
                "an empty itemIdentifier fails the whole batch",
            )
        if not isinstance(identifier, str) or identifier not in index_of:
            if undocumented.unknown_identifier == "ignored":
                continue
            return Reading(
                Outcome.MALFORMED,
                (),
                f"the identifier {_short_json(identifier)} is not a sequence number "
                "of this batch, so the whole batch failed",
            )
        reported.append(index_of[identifier])

    if not reported:
        return Reading(
            Outcome.SUCCESS,
            (),
            "no identifier named a record of this batch (ignored, alternative)",
            carried_failures=True,
        )
    return Reading(
        Outcome.PARTIAL_FAILURE,
        tuple(sorted(set(reported))),
        "the handler reported failed records of this batch",
    )


def _mentions_failures(payload: Any) -> bool:
    if isinstance(payload, dict):
        return any(isinstance(value, list) and value for value in payload.values())
    return False


def _short_json(value: Any, limit: int = 60) -> str:
    import json

    try:
        text = json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
