"""Judge a handler's observed responses: which problems they show, and what each costs.

Each observation is read with ``model.responses.classify`` under the mapping, and its
payload is examined for the mistakes field reports show (wrong identifiers, wrong key
casing, a JSON string instead of an object, failures the mapping does not read).  The
consequence of each is worded for the mapping configuration being judged.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from model.config import REPORT_BATCH_ITEM_FAILURES, MappingConfig
from model.events import build_event
from model.responses import Outcome, classify, reported_identifiers

if TYPE_CHECKING:
    from checks.oracle.handlers import Observation, Problem

__all__ = [
    "judge_observations",
    "batch_failure_consequence",
    "function_error_consequence",
    "lost_consequence",
]


def judge_observations(
    observations: list[Observation], mapping: MappingConfig, source: str
) -> tuple[list[Problem], list[str]]:
    """Every kind of problem the observations show (first example of each), and notes.

    The problems are listed in the order they were first seen.
    """
    found: dict[str, Problem] = {}
    with_failures: set[str] = set()
    notes: list[str] = []
    raised_all: Observation | None = None
    reported_partial = False
    for observation in observations:
        for problem in _problems_of(observation, mapping, source):
            # Prefer an example in which some record failed: it shows the cost.
            if problem.kind not in found or (
                observation.failing and problem.kind not in with_failures
            ):
                found[problem.kind] = problem
                if observation.failing:
                    with_failures.add(problem.kind)
        run = observation.run
        named = reported_identifiers(run.payload) if not run.threw else None
        # Identifiers may be any JSON (lists, objects): only strings are names.
        if (
            named
            and all(isinstance(name, str) for name in named)
            and set(named) < set(observation.batch)
        ):
            reported_partial = True
        if (
            run.threw
            and observation.runtime_error is None
            and observation.failing
            and observation.failing == set(observation.batch)
            and raised_all is None
        ):
            raised_all = observation
    if raised_all is not None and reported_partial:
        raising = _raises_when_all_failed(raised_all, mapping)
        if raising is not None:
            found.setdefault(raising.kind, raising)
        else:
            notes.append(
                "the handler raises when every record failed instead of reporting "
                "them all; with BisectBatchOnFunctionError off that retries the "
                "batch whole, as reporting would (it only counts as a function error)"
            )
    return list(found.values()), notes


def _problems_of(
    observation: Observation, mapping: MappingConfig, source: str
) -> list[Problem]:
    from checks.oracle.handlers import Problem

    run = observation.run
    problems: list[Problem] = []
    example = observation.describe()
    rbif = mapping.report_batch_item_failures
    reading = classify(run, observation.batch, report_batch_item_failures=rbif)
    failing = observation.failing
    failed_reached = [name for name in observation.reached if name in failing]
    if observation.runtime_error is not None:
        return [_runtime_problem(observation, mapping, example)]
    if run.threw:
        return problems
    payload = run.payload
    explained = False

    if isinstance(payload, str):
        inner = _json_object(payload)
        if isinstance(inner, dict) and _failure_key(inner) is not None:
            explained = True
            problems.append(
                Problem(
                    "string-response",
                    "R2",
                    "the handler returns the response as a JSON string (built "
                    "with json.dumps in a helper?); Lambda reads a string, not an "
                    "object: return the dict itself",
                    lost_consequence(observation, mapping, "a string payload"),
                    example,
                )
            )

    if isinstance(payload, dict):
        key = _failure_key(payload)
        if key is not None and key != "batchItemFailures":
            explained = True
            problems.append(
                Problem(
                    "key-casing",
                    "R2",
                    f"the response's top-level key is {json.dumps(key)}; Lambda "
                    'reads only "batchItemFailures" (exact casing)',
                    lost_consequence(observation, mapping, "an unknown top-level key"),
                    example,
                )
            )
        entries = payload.get("batchItemFailures")
        if isinstance(entries, list):
            problems += _entry_problems(observation, entries, mapping, source, example)
            explained = explained or bool(problems)

    named = reported_identifiers(payload)
    if not rbif and named:
        explained = True
        problems.append(
            Problem(
                "reports-without-rbif",
                "R2",
                "the handler reports failures but the mapping does not ask for them "
                '(FunctionResponseTypes lacks "ReportBatchItemFailures")',
                "any normal return is a success, so the failed records count as "
                "processed and are lost without a trace",
                example,
            )
        )

    if reading.outcome is Outcome.MALFORMED and not problems:
        problems.append(
            Problem(
                "malformed-response",
                "R2",
                f"the response fails the whole batch: {reading.why}",
                batch_failure_consequence(mapping),
                example,
            )
        )

    if (
        failed_reached
        and not explained
        and reading.outcome is Outcome.SUCCESS
        and not (named and set(failed_reached) & {str(n) for n in named})
    ):
        problems.append(
            Problem(
                "failure-not-reported",
                "R2",
                "a record failed but the response does not report it (did a helper "
                "build the response without returning it?)",
                lost_consequence(observation, mapping, "a response without failures"),
                example,
            )
        )

    if (
        rbif
        and reading.outcome is Outcome.PARTIAL_FAILURE
        and failed_reached
        and _went_past_first_failure(observation)
    ):
        from checks.oracle.handlers import extra_processings

        twice, first_only = extra_processings(mapping)
        problems.append(
            Problem(
                "reports-every-failure",
                "R6",
                "the handler keeps processing after the first failure and reports "
                "every failed record; Lambda moves the checkpoint to the lowest one "
                "and delivers every record after it again",
                f"on 10 records where record 3 fails once, {twice} records are "
                f"processed twice, against {first_only} when the handler stops at "
                "the first failure and reports it (simulated); with ordered "
                "processing per key, later records also run before the failed one",
                example,
            )
        )
    return problems


def _entry_problems(
    observation: Observation,
    entries: list[Any],
    mapping: MappingConfig,
    source: str,
    example: str,
) -> list[Problem]:
    from checks.oracle.handlers import Problem

    problems: list[Problem] = []
    lookup = _identifier_lookup(observation, source)
    field = (
        "kinesis.sequenceNumber" if source == "kinesis" else "dynamodb.SequenceNumber"
    )
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        odd = [
            key
            for key in entry
            if key.lower() == "itemidentifier" and key != "itemIdentifier"
        ]
        if odd and "itemIdentifier" not in entry:
            problems.append(
                Problem(
                    "key-casing",
                    "R2",
                    f"a failure entry uses the key {json.dumps(odd[0])}; Lambda "
                    'reads only "itemIdentifier" (exact casing)',
                    batch_failure_consequence(mapping),
                    example,
                )
            )
            break
        if "itemIdentifier" not in entry:
            continue
        identifier = entry["itemIdentifier"]
        if isinstance(identifier, str) and identifier in observation.batch:
            continue
        what = lookup.get(str(identifier))
        if isinstance(identifier, int | float) and not isinstance(identifier, bool):
            what = f"the number {identifier}" + (f" ({what})" if what else "")
        elif what is None:
            what = f"{json.dumps(identifier)}, which names no record of the batch"
        problems.append(
            Problem(
                "identifier-not-sequence-number",
                "R2",
                f"the response names {what} as a failed item; itemIdentifier must be "
                "the record's sequence number as a string "
                f"({field})",
                batch_failure_consequence(mapping),
                example,
            )
        )
        break
    return problems


def _identifier_lookup(observation: Observation, source: str) -> dict[str, str]:
    """Other fields of each record that handlers return by mistake, by value."""
    from checks.oracle.handlers import realistic_shard

    shard = realistic_shard(len(observation.batch), source)  # type: ignore[arg-type]
    event = build_event(shard, 0, len(shard))
    lookup: dict[str, str] = {}
    for index, record in enumerate(event["Records"], start=1):
        lookup[str(record["eventID"])] = f"the eventID of record {index}"
        if "kinesis" in record:
            key = record["kinesis"]["partitionKey"]
            lookup[key] = f"the partition key of record {index}"
        else:
            for value in record["dynamodb"]["Keys"].values():
                lookup[str(next(iter(value.values())))] = f"the key of record {index}"
        lookup[str(index)] = f"the position of record {index}"
        lookup[str(index - 1)] = lookup.get(
            str(index - 1), f"the index of record {index}"
        )
    return lookup


def _raises_when_all_failed(
    observation: Observation, mapping: MappingConfig
) -> Problem | None:
    from checks.oracle.handlers import Problem

    if not mapping.bisect_batch_on_function_error:
        return None
    return Problem(
        "raises-when-all-failed",
        "R5",
        "the handler reports failed records, but raises when every record of the "
        "batch failed (like Powertools' default)",
        "a raise is a function error, so with BisectBatchOnFunctionError on Lambda "
        "splits the batch in two instead of retrying it whole: the halves are "
        "delivered again, and a batch that failed as a whole (e.g. a dependency "
        "down) is bisected down to single records",
        observation.describe(),
    )


def _runtime_problem(
    observation: Observation, mapping: MappingConfig, example: str
) -> Problem:
    """A function error raised by the runtime rather than by the handler."""
    from checks.oracle.handlers import Problem

    kind = observation.runtime_error
    error = observation.error or ""
    consequence = function_error_consequence(mapping)
    if kind == "timeout":
        return Problem(
            "timed-out",
            "R3",
            f"the handler did not return in time ({error}): Lambda stops it and "
            "counts a function error; raise the function's timeout (--timeout here) "
            "or find what blocks",
            consequence,
            example,
        )
    if kind == "exit":
        return Problem(
            "handler-exited",
            "R3",
            f"the handler stops the process ({error}): the runtime reports "
            "Runtime.ExitError, a function error, and starts a new environment; "
            "raise an exception or report the failed records instead",
            consequence,
            example,
        )
    return Problem(
        "response-not-serialisable",
        "R3",
        f"the response is not JSON-serialisable ({error}): the Python runtime "
        "encodes it with json.dumps, fails with Runtime.MarshalError and counts a "
        "function error, so batchItemFailures is never read; return only dicts, "
        "lists, strings, numbers, booleans and None",
        consequence,
        example,
    )


def function_error_consequence(mapping: MappingConfig) -> str:
    """What a function error costs under ``mapping`` (R3, R5), whatever
    FunctionResponseTypes says: a function error is never read as a response.

    >>> function_error_consequence(MappingConfig(function_response_types=()))[:33]
    'Lambda fails the whole batch (R2)'
    """
    reading = mapping.with_changes(
        function_response_types=(REPORT_BATCH_ITEM_FAILURES,)
    )
    return batch_failure_consequence(reading)


def batch_failure_consequence(mapping: MappingConfig) -> str:
    """What a failure of the whole batch costs under ``mapping`` (R2, R3, R5).

    >>> batch_failure_consequence(MappingConfig(function_response_types=()))[:40]
    'ReportBatchItemFailures is off, so the r'
    """
    if not mapping.report_batch_item_failures:
        return (
            "ReportBatchItemFailures is off, so the response is not read: the batch "
            "counts as processed and its failed records are lost without a trace"
        )
    text = "Lambda fails the whole batch (R2)"
    if mapping.bisect_batch_on_function_error:
        text += (
            " and splits it in two (R5), so records that succeeded are delivered "
            "again in each half"
        )
        return text
    if not mapping.retries_are_finite:
        text += " and retries it whole without limit (R3)"
        if mapping.age_is_finite:
            return text + ", until MaximumRecordAgeInSeconds discards it"
        return (
            text + ": one failing record blocks the shard until retention trims it, "
            "lost without a trace"
        )
    text += (
        f" and retries it whole {mapping.maximum_retry_attempts} more times (R3), "
        "then discards every record of the batch, the good ones too"
    )
    if mapping.has_destination:
        return text + ", described in the on-failure destination"
    return text + "; no destination is configured, so they are lost without a trace"


def lost_consequence(
    observation: Observation, mapping: MappingConfig, what: str
) -> str:
    """Failed records read as processed: lost without a trace (R2)."""
    failing = [name for name in observation.batch if name in observation.failing]
    count = len(failing)
    records = (
        "the failed record counts as processed and is"
        if count == 1
        else "the failed records count as processed and are"
    )
    off = ""
    if not mapping.report_batch_item_failures:
        off = " (ReportBatchItemFailures is off)"
    return (
        f"Lambda reads {what} as success{off}, so {records} lost without a trace: "
        "no retry, no destination record"
    )


def _went_past_first_failure(observation: Observation) -> bool:
    reached = list(observation.reached)
    for index, name in enumerate(reached):
        if name in observation.failing:
            return index + 1 < len(reached)
    return False


def _failure_key(payload: dict[str, Any]) -> str | None:
    for key in payload:
        if isinstance(key, str) and key.lower().replace("_", "") in (
            "batchitemfailures",
            "failures",
            "batchitemfailure",
        ):
            return key
    return None


def _json_object(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
