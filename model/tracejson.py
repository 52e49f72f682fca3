"""Traces as JSON: the document ``python -m checks.verify --json`` prints.

Sequence numbers are strings, as Lambda writes them; ``checkpoint_after`` is the
checkpoint once the invocation and any discard it caused are applied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from model.events import destination_record

if TYPE_CHECKING:
    from model.semantics import Transition
    from model.simulator import Trace

__all__ = ["trace_to_json", "transition_to_json"]


def transition_to_json(trace: Trace, transition: Transition) -> dict[str, Any]:
    """One step of a trace: an invocation, or an expiry with no invocation."""
    shard = trace.scenario.shard
    before, after = transition.before, transition.after
    entry: dict[str, Any] = {}
    invocation = transition.invocation
    if invocation is not None:
        batch = invocation.batch
        entry.update(
            number=invocation.number,
            batch=shard.sequence_numbers(batch.start, batch.end),
            response=_response_json(invocation.run),
            outcome=invocation.outcome.value,
            retries_before=batch.attempts,
        )
    entry.update(
        checkpoint_before=shard.sequence_number(before.checkpoint),
        checkpoint_after=shard.sequence_number(after.checkpoint),
        iterator_before=shard.sequence_number(before.iterator),
        iterator_after=shard.sequence_number(after.iterator),
        rules=list(transition.rules),
        why=transition.why,
    )
    if transition.discards:
        entry["discards"] = [
            {
                "records": shard.sequence_numbers(discard.start, discard.end),
                "condition": discard.condition,
                "destination_record": discard.destination is not None,
            }
            for discard in transition.discards
        ]
    return entry


def trace_to_json(trace: Trace) -> dict[str, Any]:
    """The whole trace: invocations, discards, destination records, counts."""
    scenario = trace.scenario
    shard = scenario.shard
    final = trace.final
    steps = [
        {"step": index + 1, **transition_to_json(trace, step)}
        for index, step in enumerate(trace.transitions)
    ]
    discarded = [
        shard.sequence_numbers(discard.start, discard.end)
        for step in trace.transitions
        for discard in step.discards
        if discard.condition != "RetentionExpired"
    ]
    trimmed = [
        shard.sequence_numbers(discard.start, discard.end)
        for step in trace.transitions
        for discard in step.discards
        if discard.condition == "RetentionExpired"
    ]
    mapping = scenario.settings.mapping
    return {
        "name": scenario.name,
        "description": scenario.description,
        "source": shard.source,
        "configuration": mapping.describe(),
        "handler": scenario.handler.describe(),
        "invocations": [step for step in steps if "batch" in step],
        "expiries": [step for step in steps if "batch" not in step],
        "discarded": discarded,
        "trimmed": trimmed,
        "destination_records": [
            destination_record(
                shard,
                entry.start,
                entry.end,
                condition=entry.condition,
                invoke_count=entry.invoke_count,
                function_error=entry.function_error,
                request_id=f"shardcheck-{index + 1:04d}",
                function_arn="arn:aws:lambda:us-east-1:123456789012:function:handler",
                timestamp=_timestamp(trace, entry.clock),
            )
            for index, entry in enumerate(final.destination)
        ],
        "deliveries": {
            record.sequence_number: final.deliveries[position]
            for position, record in enumerate(shard.records)
        },
        "lost": {
            shard.sequence_number(position): final.fates[position].cause()
            for position in final.lost_positions()
        },
        "final_checkpoint": shard.sequence_number(final.checkpoint),
        "blocked": trace.blocked,
        "cut": trace.cut,
        "notes": list(trace.notes) + mapping.assumptions(),
    }


def _timestamp(trace: Trace, clock: int) -> float:
    records = trace.scenario.shard.records
    return (records[0].arrival if records else 0.0) + clock


def _response_json(run: Any) -> Any:
    if run.threw:
        return {"FunctionError": "Unhandled"}
    if isinstance(run.payload, bytes):
        return {"raw": run.payload.decode("latin-1")}
    return run.payload
