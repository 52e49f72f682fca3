"""Replay an observed trace against the model and find the first divergence.

The replay keeps a model ``State`` and walks the observed events: every invocation must
be the batch ``Rules.next_action`` invokes, every destination record one the model
writes, every checkpoint the model's.  The first difference is a ``Divergence`` naming
the step, what was observed, what the model allows there, and the rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from checks.oracle.traceformat import (
    Event,
    TraceFile,
    checkpoint_name,
    destination_fields,
)
from model.config import Settings, Undocumented
from model.responses import HandlerRun, Outcome, classify, reported_identifiers
from model.semantics import Expire, Finished, Rules, Transition
from model.state import DestinationEntry, State

__all__ = ["Divergence", "Verdict", "judge", "replay", "ALTERNATIVE_WORDS"]

#: Each alternative value of an undocumented point, as the end of the sentence
#: "conforms if ...".
ALTERNATIVE_WORDS: dict[tuple[str, Any], str] = {
    ("bisect_split", "floor"): "the bisect split point is floor(n/2)",
    ("bisect_split", "ceil"): "the bisect split point is ceil(n/2)",
    ("stalled_partial_counts_as_attempt", False): (
        "a partial failure that does not move the checkpoint is not counted "
        "as an attempt"
    ),
    ("budget_renewed_on_advance", False): (
        "the retry budget is not renewed when the checkpoint advances"
    ),
    ("unknown_identifier", "ignored"): (
        "identifiers that name no record of the batch are ignored"
    ),
    ("unrecognised_payload", "batch_failure"): (
        "a wrong top-level key or a non-JSON payload fails the whole batch"
    ),
    ("bisect_partial", "cut_then_halve"): (
        "a partial response under bisect cuts at the lowest reported record and "
        "then halves the remainder"
    ),
    ("bisect_on_malformed", False): (
        "a malformed response is retried whole instead of bisected"
    ),
    ("half_order", "narrative"): (
        "the halves of a bisected batch queue behind the batches already waiting"
    ),
    ("destination_under_bisect", "merged"): (
        "destination records of adjacent discarded batches are merged"
    ),
    ("refill_after_partial", True): (
        "the retry after a partial failure refills the batch up to BatchSize"
    ),
    ("age_boundary", "greater_or_equal"): (
        "a record expires when its age reaches the limit (>=)"
    ),
}

G1_NOTE = "allowed by at-least-once delivery (G1)"


@dataclass(frozen=True)
class Divergence:
    """The first place where the observed trace and the model part.

    ``line`` is the trace line (None at the end of the file), ``step`` the 1-based
    index of the event among the events, ``rule`` the rule that decides what the
    model allows, and ``note`` a qualification such as the G1 remark.
    """

    line: int | None
    step: int
    event: str
    observed: str
    allowed: str
    rule: str
    note: str = ""

    def where(self) -> str:
        place = f"line {self.line}" if self.line is not None else "end of trace"
        return f"{place} (step {self.step}: {self.event})"


@dataclass(frozen=True)
class Verdict:
    """The judgement of one trace: conforming, or its first divergence."""

    name: str
    divergence: Divergence | None
    steps: int
    invocations: int
    alternatives: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def conforms(self) -> bool:
        return self.divergence is None

    def report(self) -> str:
        """The verdict as lines a user reads."""
        if self.divergence is None:
            lines = [
                f"{self.name}: conforms ({self.steps} events, "
                f"{self.invocations} invocations)"
            ]
            lines += [f"  note: {note}" for note in self.notes]
            return "\n".join(lines)
        found = self.divergence
        lines = [
            f"{self.name}: DIVERGES at {found.where()}",
            f"  observed:     {found.observed}",
            f"  model allows: {found.allowed}",
            f"  rule:         {found.rule}",
        ]
        if found.note:
            lines.append(f"  note:         {found.note}")
        lines += [f"  note:         {note}" for note in self.notes]
        lines += [
            f"  conforms if {alternative} (an alternative reading of an undocumented "
            "point; the default still diverges)"
            for alternative in self.alternatives
        ]
        return "\n".join(lines)


def judge(trace: TraceFile, *, allow_duplicates: bool = False) -> Verdict:
    """Replay ``trace`` under its settings, then under each alternative if it diverges.

    Examples
    --------
    >>> from checks.oracle.traceformat import parse_trace_lines, trace_lines
    >>> from model.simulator import simulate
    >>> from model.walkthroughs import walkthrough
    >>> lines = trace_lines(simulate(walkthrough("article-bisect-position")))
    >>> judge(parse_trace_lines(lines)).conforms
    True
    """
    verdict = replay(trace, allow_duplicates=allow_duplicates)
    if verdict.conforms:
        return verdict
    alternatives = []
    base = trace.settings.undocumented
    for name, values in Undocumented.alternatives().items():
        for value in values:
            if value == getattr(base, name):
                continue
            settings = replace(
                trace.settings, undocumented=replace(base, **{name: value})
            )
            other = replay(
                replace(trace, settings=settings), allow_duplicates=allow_duplicates
            )
            if other.conforms:
                alternatives.append(
                    ALTERNATIVE_WORDS.get((name, value), f"{name} is {value!r}")
                )
    return replace(verdict, alternatives=tuple(alternatives))


def replay(trace: TraceFile, *, allow_duplicates: bool = False) -> Verdict:
    """Replay ``trace`` under its own settings only; see ``judge``."""
    return _Replay(trace, allow_duplicates).run()


class _Replay:
    """The walk over the events; one instance per replay."""

    def __init__(self, trace: TraceFile, allow_duplicates: bool) -> None:
        self.trace = trace
        self.allow_duplicates = allow_duplicates
        self.settings: Settings = trace.settings
        self.rules = Rules(trace.settings, trace.shard)
        self.state: State = self.rules.initial_state()
        #: Destination records the model wrote and the trace has not shown yet.
        self.owed: list[tuple[DestinationEntry, str]] = []
        #: Every destination record the model wrote (for ``destinations: at_end``).
        self.written: list[tuple[DestinationEntry, str]] = []
        self.seen_at_end: list[Event] = []
        self.checkpoints: set[int] = {self.state.checkpoint}
        self.last: Transition | None = None
        #: The rules that made each record done, for "why is this not invoked".
        self.done_by: dict[int, str] = {}
        self.invocations = 0
        self.notes: list[str] = []

    # -- the walk -----------------------------------------------------------------

    def run(self) -> Verdict:
        self._expire_all()
        for step, event in enumerate(self.trace.events, start=1):
            handler = getattr(self, f"_on_{event.type}")
            found = handler(step, event)
            if found is not None:
                return self._verdict(found)
        found = self._at_end(len(self.trace.events) + 1)
        return self._verdict(found)

    def _verdict(self, found: Divergence | None) -> Verdict:
        return Verdict(
            self.trace.name,
            found,
            steps=len(self.trace.events),
            invocations=self.invocations,
            notes=tuple(self.notes),
        )

    def _on_invocation(self, step: int, event: Event) -> Divergence | None:
        shard = self.trace.shard
        observed = event.batch()
        what = f"invocation of {_span(observed)}"
        if self.owed:
            entry, rule = self.owed[0]
            return Divergence(
                event.line,
                step,
                event.describe(),
                f"{what} before the destination record the model writes first",
                f"the destination record {self._entry_text(entry)} first",
                rule,
            )
        action = self.rules.next_action(self.state)
        positions = [shard.position_of(name) for name in observed]
        # A spontaneous duplicate (G1) delivers records that are already done.
        redelivery = all(
            position is not None and self.state.is_done(position)
            for position in positions
        )
        if isinstance(action, Finished):
            first = positions[0]
            rule = self.done_by.get(first, "R1") if first is not None else "R1"
            return self._unexpected(
                step,
                event,
                what,
                "no invocation: every record is done",
                rule,
                redelivery,
            )
        assert not isinstance(action, Expire)  # expired eagerly after each step
        batch = action.batch
        expected = shard.sequence_numbers(batch.start, batch.end)
        if observed != expected:
            return self._unexpected(
                step,
                event,
                what,
                f"invocation of {_span(expected)}{self._because()}",
                self._batch_rule(),
                redelivery,
            )
        run = self._handler_run(event, expected)
        transition = self.rules.step(self.state, run)
        self.invocations += 1
        self._advance(transition)
        return None

    def _unexpected(
        self,
        step: int,
        event: Event,
        what: str,
        allowed: str,
        rule: str,
        redelivery: bool,
    ) -> Divergence | None:
        if redelivery and self.allow_duplicates:
            self.notes.append(
                f"line {event.line}: {what} is a redelivery the model does not "
                f"produce, skipped as {G1_NOTE}"
            )
            return None
        return Divergence(
            event.line,
            step,
            event.describe(),
            what,
            allowed,
            f"{rule},G1" if redelivery else rule,
            f"a redelivery the model does not produce: {G1_NOTE}" if redelivery else "",
        )

    def _on_destination(self, step: int, event: Event) -> Divergence | None:
        if self.trace.destinations == "at_end":
            self.seen_at_end.append(event)
            return None
        observed = destination_fields(event.data)
        if not self.owed:
            # The rule that keeps the model's batch waiting (a retry under R3, R5 or
            # R7) is broken as much as R9 is: name both.
            waiting = self._batch_rule()
            return Divergence(
                event.line,
                step,
                event.describe(),
                f"destination record {self._fields_text(observed)}",
                self._no_destination_reason(),
                "R9" if waiting == "R1" else f"{waiting},R9",
            )
        entry, rule = self.owed.pop(0)
        return self._compare_destination(step, event, observed, entry, rule)

    def _on_checkpoint(self, step: int, event: Event) -> Divergence | None:
        shard = self.trace.shard
        style = self.trace.checkpoint_style
        name = event.data["sequence_number"]
        position = _checkpoint_position(shard, name, style)
        if position in self.checkpoints:
            return None
        allowed = sorted(self.checkpoints)
        names = " or ".join(
            json_name(checkpoint_name(shard, p, style)) for p in allowed
        )
        rule = self._last_rules() if self.last else "R1"
        return Divergence(
            event.line,
            step,
            event.describe(),
            f"checkpoint {json_name(name)} ({style})",
            f"checkpoint {names}{self._because()}",
            rule,
        )

    def _on_end(self, step: int, event: Event) -> Divergence | None:
        if not event.data.get("complete", True):
            return None
        if self.owed:
            entry, rule = self.owed[0]
            return Divergence(
                event.line,
                step,
                "end",
                "the trace ends",
                f"the destination record {self._entry_text(entry)} is still owed",
                rule,
            )
        action = self.rules.next_action(self.state)
        if not isinstance(action, Finished):
            assert not isinstance(action, Expire)
            shard = self.trace.shard
            batch = action.batch
            expected = shard.sequence_numbers(batch.start, batch.end)
            return Divergence(
                event.line,
                step,
                "end",
                "the trace ends: the implementation stopped",
                f"invocation of {_span(expected)} next{self._because()}",
                self._batch_rule(),
            )
        return None

    def _at_end(self, step: int) -> Divergence | None:
        if self.trace.destinations != "at_end":
            return None
        complete = self.trace.complete
        for index, event in enumerate(self.seen_at_end):
            observed = destination_fields(event.data)
            if index >= len(self.written):
                return Divergence(
                    event.line,
                    step,
                    event.describe(),
                    f"destination record {self._fields_text(observed)}",
                    self._no_destination_reason(),
                    "R9",
                )
            entry, rule = self.written[index]
            found = self._compare_destination(step, event, observed, entry, rule)
            if found is not None:
                return found
        if complete and len(self.written) > len(self.seen_at_end):
            entry, rule = self.written[len(self.seen_at_end)]
            return Divergence(
                None,
                step,
                "end",
                f"{len(self.seen_at_end)} destination records",
                f"also the destination record {self._entry_text(entry)}",
                rule,
            )
        return None

    # -- the model's side -----------------------------------------------------------

    def _advance(self, transition: Transition) -> None:
        self.state = transition.after
        self.last = transition
        self.checkpoints = {self.state.checkpoint}
        self._record(transition)
        self._expire_all()

    def _expire_all(self) -> None:
        """Apply expiries now: they are the next action until an invocation."""
        while isinstance(self.rules.next_action(self.state), Expire):
            transition = self.rules.step(self.state)
            self.state = transition.after
            self.last = transition
            self.checkpoints.add(self.state.checkpoint)
            self._record(transition)

    def _record(self, transition: Transition) -> None:
        rule = ",".join(transition.rules)
        # Only the invoked batch and the discarded records can become done; looking
        # at them alone keeps a step independent of the shard's length.
        spans = [(discard.start, discard.end) for discard in transition.discards]
        if transition.invocation is not None:
            batch = transition.invocation.batch
            spans.append((batch.start, batch.end))
        fates = transition.after.fates
        for start, end in spans:
            for position in range(start, end):
                if fates[position].is_done and position not in self.done_by:
                    self.done_by[position] = rule
        before, after = transition.before.destination, transition.after.destination
        discard_rule = next(
            (f"{d.rule},R9" for d in transition.discards if d.destination), "R9"
        )
        if before and len(after) == len(before) and after[-1] != before[-1]:
            # Merged into the previous record (an alternative): replace it if the
            # trace has not shown it yet.
            self._replace_last(after[-1], discard_rule)
        for entry in after[len(before) :]:
            self.written.append((entry, discard_rule))
            if self.trace.destinations != "at_end":
                self.owed.append((entry, discard_rule))

    def _replace_last(self, entry: DestinationEntry, rule: str) -> None:
        self.written[-1] = (entry, rule)
        if self.trace.destinations == "at_end":
            return
        if self.owed:
            self.owed[-1] = (entry, rule)
        else:
            self.owed.append((entry, rule))

    def _handler_run(self, event: Event, batch: list[str]) -> HandlerRun:
        """The observed response, with ``results`` inferred when not given."""
        run = event.handler_run()
        if "processed" in event.data:
            return run
        mapping = self.settings.mapping
        reading = classify(
            run,
            batch,
            report_batch_item_failures=mapping.report_batch_item_failures,
            undocumented=self.settings.undocumented,
        )
        results: tuple[bool, ...]
        if reading.outcome is Outcome.PARTIAL_FAILURE:
            lowest = reading.lowest_reported or 0
            results = (True,) * lowest + (False,)
        elif reading.outcome is Outcome.SUCCESS:
            named = reported_identifiers(run.payload) or []
            results = tuple(name not in named for name in batch)
        else:
            results = ()
        return replace(run, results=results)

    def _because(self) -> str:
        if self.last is None:
            return ": the first read starts at the first record (R1)"
        return f": after the previous step, {self.last.why}"

    def _batch_rule(self) -> str:
        if self.state.pending and self.last is not None:
            return self._last_rules()
        return "R1"

    def _last_rules(self) -> str:
        """The rules of the model's last step, R2 first after a malformed response."""
        assert self.last is not None
        rules = list(self.last.rules)
        invocation = self.last.invocation
        if invocation is not None and invocation.outcome is Outcome.MALFORMED:
            # The batch is retried or split because R2 reads the response as a
            # failure of the whole batch.
            rules.insert(0, "R2")
        return ",".join(rules)

    def _no_destination_reason(self) -> str:
        if not self.settings.mapping.has_destination:
            return "no destination record: the mapping has no on-failure destination"
        return "no destination record here: the model discards nothing at this point"

    def _compare_destination(
        self,
        step: int,
        event: Event,
        observed: dict[str, Any],
        entry: DestinationEntry,
        rule: str,
    ) -> Divergence | None:
        expected = self._entry_fields(entry)
        for key, value in observed.items():
            if key in expected and expected[key] != value:
                return Divergence(
                    event.line,
                    step,
                    event.describe(),
                    f"destination record {self._fields_text(observed)}",
                    f"destination record {self._entry_text(entry)} ({key} differs)",
                    rule,
                )
        return None

    def _entry_fields(self, entry: DestinationEntry) -> dict[str, Any]:
        shard = self.trace.shard
        fields_: dict[str, Any] = {
            "condition": entry.condition,
            "start": shard.sequence_number(entry.start),
            "end": shard.sequence_number(entry.end - 1),
            "invoke_count": entry.invoke_count,
            "batch_size": entry.end - entry.start,
        }
        if entry.condition != "RecordAgeExceeded":
            fields_["function_error"] = entry.function_error
        return fields_

    def _entry_text(self, entry: DestinationEntry) -> str:
        return self._fields_text(self._entry_fields(entry))

    @staticmethod
    def _fields_text(fields_: dict[str, Any]) -> str:
        text = f"{fields_['condition']} for {_span([fields_['start'], fields_['end']])}"
        if "invoke_count" in fields_:
            text += f", approximateInvokeCount {fields_['invoke_count']}"
        if "function_error" in fields_:
            text += f", functionError {json_name(fields_['function_error'])}"
        return text


def _checkpoint_position(shard: Any, name: str | None, style: str) -> int | None:
    if style == "last_done":
        if name is None:
            return 0
        position = shard.position_of(name)
        return None if position is None else position + 1
    if name is None or name == shard.sequence_number(len(shard)):
        return len(shard)
    return shard.position_of(name)


def json_name(name: Any) -> str:
    """A sequence number or null as written in a trace.

    >>> json_name(None), json_name("6")
    ('null', '"6"')
    """
    return "null" if name is None else f'"{name}"'


def _span(names: list[Any]) -> str:
    if not names:
        return "[]"
    return f"[{names[0]}]" if names[0] == names[-1] else f"[{names[0]}..{names[-1]}]"
