"""What a report shows, computed once from a trace, so every format says the same thing.

A ``Subject`` is one walkthrough or one failing/vacuous verdict with its trace; its
``steps`` are the transitions in report form (batch, response, outcome, checkpoint
and iterator, retries used and left, why) and the per-record boxes the timeline colours.
Nothing here decides what Lambda does: every value is read from the simulator's
``Trace`` and its JSON form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from model.tracejson import transition_to_json

if TYPE_CHECKING:
    from checks.counterexample import Counterexample
    from model.semantics import Transition
    from model.simulator import Scenario, Trace
    from model.state import State

__all__ = [
    "BOX_KINDS",
    "RETRIES_HEADER",
    "RETRIES_NOTE",
    "Box",
    "Step",
    "Subject",
    "batch_label",
    "redeliveries",
    "steps_of",
    "subject_from_counterexample",
    "subject_from_trace",
    "state_summary",
    "state_label",
    "ranges",
]

#: What happened to a record in one delivery, in the words of the legend.
BOX_KINDS = {
    "processed": "processed successfully (first time)",
    "again": "delivered again after it had been processed",
    "failed": "failed in the handler",
    "unreached": "delivered, not reached (the handler stopped earlier)",
    "expired": "expired before an invocation",
}


#: The step tables' retries column: used as in the console's ``retries`` column,
#: and, when MaximumRetryAttempts is finite, how many are left.
RETRIES_HEADER = "retries used (left)"
RETRIES_NOTE = (
    "Retries used (left): how many retries of this batch came before this "
    "invocation (0 on its first invocation, as in the console's retries column) "
    "and, when MaximumRetryAttempts is finite, how many more times the batch may "
    "be retried if this invocation fails. Splitting under bisect and a checkpoint "
    "that moves forward start a fresh count. The why column's \"1 of 2 retries "
    'used" already counts the retry that the step schedules.'
)


@dataclass(frozen=True)
class Box:
    """One record in one step: how the delivery went and whether it ended there."""

    position: int
    sequence_number: str
    kind: str
    discarded: bool = False
    lost: bool = False

    def describe(self) -> str:
        text = f"record {self.sequence_number}: {BOX_KINDS[self.kind]}"
        if self.lost:
            text += "; lost without a trace"
        elif self.discarded:
            text += "; discarded (destination record)"
        return text


@dataclass(frozen=True)
class Step:
    """One transition of a trace as the reports show it."""

    index: int
    number: int | None
    batch: list[str]
    response: str
    outcome: str
    checkpoint_before: str
    checkpoint_after: str
    iterator_before: str
    iterator_after: str
    checkpoint_position: int
    iterator_position: int
    retries_used: int | None
    retries_left: str
    why: str
    rules: tuple[str, ...]
    boxes: tuple[Box, ...]
    discards: tuple[dict[str, Any], ...]
    in_loop: bool = False

    @property
    def is_invocation(self) -> bool:
        return self.number is not None

    @property
    def retries(self) -> str:
        """The retries column: ``1 (1 left)``, ``3 (no limit)``, or ``-``.

        >>> from dataclasses import replace
        >>> step = Step(0, 1, ["1"], "", "", "1", "1", "1", "1", 0, 0, 1, "1", "",
        ...             (), (), ())
        >>> step.retries, replace(step, retries_left="unlimited").retries
        ('1 (1 left)', '1 (no limit)')
        """
        if self.retries_used is None:
            return "-"
        if self.retries_left == "unlimited":
            return f"{self.retries_used} (no limit)"
        return f"{self.retries_used} ({self.retries_left} left)"


@dataclass(frozen=True)
class Subject:
    """One report: a walkthrough, or a failing or vacuous verdict.

    ``loop_start`` is the index in ``trace.transitions`` where a lasso's repeated
    loop begins; ``neighbourhood`` is the explorer's part of the state graph.
    """

    kind: str
    name: str
    scenario: Scenario
    trace: Trace
    property_name: str = ""
    statement: str = ""
    verdict: str = ""
    configuration: str = ""
    explanation: str = ""
    fairness: str = ""
    loop_start: int | None = None
    neighbourhood: Any = None
    notes: tuple[str, ...] = field(default=())

    @property
    def is_lasso(self) -> bool:
        return self.loop_start is not None

    @property
    def title(self) -> str:
        if self.kind == "walkthrough":
            return f"Walkthrough {self.name}"
        return f"{self.property_name} {self.verdict} on {self.configuration}"

    @property
    def slug(self) -> str:
        """A folder name: lower case letters, digits and dashes."""
        text = self.name if self.kind == "walkthrough" else self.title
        slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
        return slug[:80] or "report"


def subject_from_trace(trace: Trace) -> Subject:
    """A walkthrough report: its verdict says how the run ended.

    >>> from model.simulator import simulate
    >>> from model.walkthroughs import walkthrough
    >>> subject = subject_from_trace(simulate(walkthrough("article-custom-once")))
    >>> subject.verdict, subject.slug
    ('finished', 'article-custom-once')
    """
    final = trace.final
    lost = final.lost_positions()
    if trace.blocked:
        verdict = "blocked"
    elif lost:
        verdict = "finished, records lost"
    else:
        verdict = "finished"
    scenario = trace.scenario
    return Subject(
        kind="walkthrough",
        name=scenario.name,
        scenario=scenario,
        trace=trace,
        property_name="walkthrough",
        statement=scenario.description or "A scenario run through the model.",
        verdict=verdict,
        configuration=scenario.settings.mapping.describe(),
        explanation=_walkthrough_explanation(trace, lost),
        notes=trace.notes,
    )


def subject_from_counterexample(counterexample: Counterexample) -> Subject:
    """A verdict report, from the explorer's or the proofs' ``Counterexample``."""
    return Subject(
        kind="counterexample",
        name=f"{counterexample.property_name} on {counterexample.configuration}",
        scenario=counterexample.scenario,
        trace=counterexample.trace,
        property_name=counterexample.property_name,
        statement=counterexample.statement,
        verdict=counterexample.verdict,
        configuration=counterexample.configuration,
        explanation=counterexample.explanation,
        fairness=counterexample.fairness,
        loop_start=counterexample.loop_start,
        neighbourhood=counterexample.neighbourhood,
        notes=tuple(counterexample.notes) + tuple(counterexample.trace.notes),
    )


def redeliveries(trace: Trace) -> tuple[int, int]:
    """Deliveries and processings of records already processed successfully.

    These are the duplicates a handler must absorb (they are not rules, only
    counts read from the states before each invocation).

    >>> from model.simulator import simulate
    >>> from model.walkthroughs import walkthrough
    >>> redeliveries(simulate(walkthrough("article-whole-batch")))
    (10, 10)
    """
    delivered = processed = 0
    for step in trace.invocations:
        invocation = step.invocation
        assert invocation is not None
        batch = invocation.batch
        reached = len(invocation.run.results)
        for offset, position in enumerate(range(batch.start, batch.end)):
            if step.before.succeeded[position] > 0:
                delivered += 1
                processed += offset < reached
    return delivered, processed


def _walkthrough_explanation(trace: Trace, lost: list[int]) -> str:
    count = len(trace.invocations)
    final = trace.sequence_number(trace.final.checkpoint)
    deliveries = sum(trace.final.deliveries)
    again, _ = redeliveries(trace)
    repeats = (
        "no record delivered again after it was processed"
        if again == 0
        else f"{again} of them of records already processed"
    )
    text = (
        f"{count} invocation{'s' if count != 1 else ''}, {deliveries} record "
        f"deliveries ({repeats}); final checkpoint {final}"
    )
    if lost:
        names = ", ".join(trace.sequence_number(position) for position in lost)
        text += f"; lost without a trace: {names}"
    if trace.blocked:
        text += f"; still blocked after {trace.step_limit} steps"
    return text + "."


def batch_label(sequence_numbers: list[str]) -> str:
    """The batch as the timeline's data attribute: ``1..10`` or ``10``.

    >>> batch_label(["4", "5", "6"]), batch_label(["10"]), batch_label([])
    ('4..6', '10', '')
    """
    if not sequence_numbers:
        return ""
    if len(sequence_numbers) == 1:
        return sequence_numbers[0]
    return f"{sequence_numbers[0]}..{sequence_numbers[-1]}"


def steps_of(subject: Subject) -> list[Step]:
    """Every transition of the subject's trace in report form.

    >>> from model.simulator import simulate
    >>> from model.walkthroughs import walkthrough
    >>> trace = simulate(walkthrough("article-custom-checkpoint"))
    >>> [step.checkpoint_after for step in steps_of(subject_from_trace(trace))]
    ['4', '7', '10', '11']
    """
    trace = subject.trace
    loop_start = subject.loop_start
    return [
        _step(trace, index, transition, loop_start is not None and index >= loop_start)
        for index, transition in enumerate(trace.transitions)
    ]


def _step(trace: Trace, index: int, transition: Transition, in_loop: bool) -> Step:
    entry = transition_to_json(trace, transition)
    invocation = transition.invocation
    mapping = trace.scenario.settings.mapping
    if invocation is not None:
        batch = entry["batch"]
        run = invocation.run
        response = _response_text(run)
        outcome = entry["outcome"]
        retries_used: int | None = entry["retries_before"]
        if mapping.retries_are_finite:
            retries_left = str(mapping.maximum_retry_attempts - entry["retries_before"])
        else:
            retries_left = "unlimited"
    else:
        expired = [
            record
            for discard in entry.get("discards", [])
            for record in discard["records"]
        ]
        batch, response, retries_left = expired, "(not invoked)", ""
        retries_used = None
        conditions = {discard["condition"] for discard in entry.get("discards", [])}
        outcome = "trimmed" if conditions == {"RetentionExpired"} else "expired"
    return Step(
        index=index,
        number=entry.get("number"),
        batch=batch,
        response=response,
        outcome=outcome,
        checkpoint_before=entry["checkpoint_before"],
        checkpoint_after=entry["checkpoint_after"],
        iterator_before=entry["iterator_before"],
        iterator_after=entry["iterator_after"],
        checkpoint_position=transition.after.checkpoint,
        iterator_position=transition.after.iterator,
        retries_used=retries_used,
        retries_left=retries_left,
        why=entry["why"],
        rules=tuple(dict.fromkeys(entry["rules"])),
        boxes=tuple(_boxes(trace, transition)),
        discards=tuple(entry.get("discards", [])),
        in_loop=in_loop,
    )


def _response_text(run: Any) -> str:
    payload = run.payload
    if (
        not run.threw
        and isinstance(payload, dict)
        and set(payload) == {"batchItemFailures"}
    ):
        items = payload["batchItemFailures"]
        if isinstance(items, list) and all(
            isinstance(item, dict) and set(item) == {"itemIdentifier"} for item in items
        ):
            names = [str(item["itemIdentifier"]) for item in items]
            return "batchItemFailures: " + (", ".join(names) if names else "none")
    text: str = run.describe_response()
    return text if len(text) <= 60 else text[:57] + "..."


def _boxes(trace: Trace, transition: Transition) -> list[Box]:
    before, after = transition.before, transition.after
    discarded = {
        position
        for discard in transition.discards
        for position in range(discard.start, discard.end)
    }
    invocation = transition.invocation
    if invocation is None:
        positions = sorted(discarded)
        return [
            Box(
                position,
                trace.sequence_number(position),
                "expired",
                discarded=True,
                lost=_became_lost(before, after, position),
            )
            for position in positions
        ]
    batch = invocation.batch
    results = invocation.run.results
    boxes = []
    for position in range(batch.start, batch.end):
        offset = position - batch.start
        succeeded_before = before.succeeded[position] > 0
        if offset < len(results):
            if not results[offset]:
                kind = "failed"
            else:
                kind = "again" if succeeded_before else "processed"
        else:
            kind = "again" if succeeded_before else "unreached"
        boxes.append(
            Box(
                position,
                trace.sequence_number(position),
                kind,
                discarded=position in discarded,
                lost=_became_lost(before, after, position),
            )
        )
    return boxes


def _became_lost(before: State, after: State, position: int) -> bool:
    return after.fates[position].is_lost and not before.fates[position].is_done


def state_summary(trace: Trace, state: State) -> list[str]:
    """A state in a few short lines, for the graph's nodes.

    >>> from model.simulator import simulate
    >>> from model.walkthroughs import walkthrough
    >>> trace = simulate(walkthrough("article-custom-once"))
    >>> state_summary(trace, trace.initial)
    ['checkpoint 1, iterator 1', 'nothing pending', '0 invocations']
    """
    shard = trace.scenario.shard
    lines = [
        f"checkpoint {shard.sequence_number(state.checkpoint)}, "
        f"iterator {shard.sequence_number(state.iterator)}"
    ]
    if state.pending:
        first, *rest = state.pending
        label = batch_label(shard.sequence_numbers(first.start, first.end))
        used = "retry" if first.attempts == 1 else "retries"
        lines.append(f"pending [{label}], {first.attempts} {used} used")
        if rest:
            later = ", ".join(
                f"[{batch_label(shard.sequence_numbers(b.start, b.end))}]"
                for b in rest[:2]
            )
            lines.append(f"then {later}" + (" …" if len(rest) > 2 else ""))
    else:
        lines.append("nothing pending" if not state.finished else "every record done")
    lost = state.lost_positions()
    count = f"{state.invocations} invocation{'s' if state.invocations != 1 else ''}"
    lines.append(count + (f", {len(lost)} lost" if lost else ""))
    return lines


def ranges(labels: list[str]) -> str:
    """Sequence numbers as runs: ``1..3, 6``; consecutive numbers are joined.

    >>> ranges(["1", "2", "3", "6"]), ranges([]), ranges(["a", "b"])
    ('1..3, 6', '', 'a, b')
    """
    runs: list[list[str]] = []
    for label in labels:
        if (
            runs
            and label.isdigit()
            and runs[-1][-1].isdigit()
            and int(label) == int(runs[-1][-1]) + 1
        ):
            runs[-1].append(label)
        else:
            runs.append([label])
    return ", ".join(
        run[0] if len(run) == 1 else f"{run[0]}..{run[-1]}" for run in runs
    )


def state_label(trace: Trace, state: State) -> list[str]:
    """A state in two or three short lines that tell it apart from its neighbours.

    The checkpoint and the pending batches, each with the retries it has used
    (``[4..5]·1``; left out when retries are unlimited, where the explorer does
    not count them), the records done (and lost), those processed successfully but
    not yet done (``ok``), and the clock when a time limit makes it matter.

    >>> from model.simulator import simulate
    >>> from model.walkthroughs import walkthrough
    >>> trace = simulate(walkthrough("article-whole-batch"))
    >>> state_label(trace, trace.transitions[0].after)
    ['ckpt 1 | [1..10]·1', 'none done | ok 1..5', 'clock 2 s']
    >>> state_label(trace, trace.final)
    ['ckpt 11 | nothing pending', 'done 1..10', 'clock 6 s']
    """
    shard = trace.scenario.shard
    settings = trace.scenario.settings
    counted = settings.mapping.retries_are_finite
    batches = [
        f"[{batch_label(shard.sequence_numbers(batch.start, batch.end))}]"
        + (f"·{batch.attempts}" if counted else "")
        for batch in state.pending
    ]
    if len(batches) > 3:
        batches = batches[:3] + [f"+{len(batches) - 3}"]
    pending = " ".join(batches) if batches else "nothing pending"
    lines = [f"ckpt {shard.sequence_number(state.checkpoint)} | {pending}"]
    done = [
        shard.sequence_number(position)
        for position, fate in enumerate(state.fates)
        if fate.is_done
    ]
    lost = [shard.sequence_number(position) for position in state.lost_positions()]
    succeeded = [
        shard.sequence_number(position)
        for position, fate in enumerate(state.fates)
        if state.succeeded[position] > 0 and not fate.is_done
    ]
    text = f"done {ranges(done)}" if done else "none done"
    if lost:
        text += f"; lost {ranges(lost)}"
    if succeeded:
        text += f" | ok {ranges(succeeded)}"
    lines.append(text)
    if settings.mapping.age_is_finite or settings.timing.retention_seconds:
        lines.append(f"clock {state.clock} s")
    return lines
