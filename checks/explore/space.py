"""The space of failure patterns the explorer covers, and the handler runs it allows.

A ``FailureSpace`` lists the kinds a record may have (good, fails its first k
processings, poison), an optional poison position of every batch, and the handler's
response style.  Records' kinds are decided lazily, at their first processing, and
kept per record as a small integer (``kind state``) that the explorer stores in its
graph; ``handler_runs`` enumerates every ``HandlerRun`` one batch can produce.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from model.handler import (
    POISON,
    FailsFirst,
    FailureKind,
    FailurePattern,
    Handler,
    ResponseStyle,
)
from model.responses import HandlerRun

__all__ = [
    "FailureSpace",
    "Choice",
    "UNDECIDED",
    "POISONED",
    "DONE",
    "kind_state",
    "handler_runs",
    "kind_name",
    "first_state",
]

#: Kind state of a record whose kind is not chosen yet (never processed).
UNDECIDED = -1
#: Kind state of a poison record: it fails every time it is processed.
POISONED = -2
#: Kind state of a record that is done: its kind can no longer matter.
DONE = -3

_KIND_NAMES: dict[str, FailureKind] = {"good": FailsFirst(0), "poison": POISON}


def kind_name(kind: FailureKind) -> str:
    """The space's name of a kind: ``good``, ``fails_first_2``, ``poison``.

    >>> kind_name(FailsFirst(1)), kind_name(POISON)
    ('fails_first_1', 'poison')
    """
    if isinstance(kind, FailsFirst):
        return "good" if kind.times == 0 else f"fails_first_{kind.times}"
    return "poison"


def _parse_kind(name: str) -> FailureKind:
    if name in _KIND_NAMES:
        return _KIND_NAMES[name]
    if name == "fails_once":
        return FailsFirst(1)
    prefix = "fails_first_"
    if name.startswith(prefix) and name[len(prefix) :].isdigit():
        return FailsFirst(int(name[len(prefix) :]))
    raise ValueError(
        f"unknown record kind {name!r}; use good, fails_once, fails_first_K or poison"
    )


@dataclass(frozen=True)
class FailureSpace:
    """Which failure patterns the explorer considers for one handler style.

    Parameters
    ----------
    kinds:
        Names of the kinds each record may have: ``good``, ``fails_once``,
        ``fails_first_K`` and ``poison``.
    style:
        The handler's response style (``model.handler.ResponseStyle``).
    poison_positions:
        1-based positions of which one may be poison in every batch (chosen once,
        at the start); the empty choice is always included.
    raw_payload:
        The fixed payload of the ``raw`` style.

    Examples
    --------
    >>> space = FailureSpace(("good", "fails_once", "poison"), ResponseStyle.THROW)
    >>> [kind_name(kind) for kind in space.record_kinds]
    ['good', 'fails_first_1', 'poison']
    """

    kinds: tuple[str, ...] = ("good", "fails_once", "poison")
    style: ResponseStyle = ResponseStyle.THROW
    poison_positions: tuple[int, ...] = ()
    raw_payload: Any = None

    def __post_init__(self) -> None:
        if not self.kinds:
            raise ValueError("a failure space needs at least one kind, e.g. 'good'")
        for name in self.kinds:
            _parse_kind(name)
        if any(position < 1 for position in self.poison_positions):
            raise ValueError("poison positions are 1-based: use 1, 2, ...")

    @property
    def record_kinds(self) -> tuple[FailureKind, ...]:
        return tuple(_parse_kind(name) for name in self.kinds)

    def describe(self) -> str:
        text = "each record " + " / ".join(self.kinds)
        if self.poison_positions:
            positions = ", ".join(str(p) for p in self.poison_positions)
            text += f"; or position {positions} of every batch poison"
        return f"{text}; {self.style} handler"


def kind_state(kind: FailureKind, processed: int) -> int:
    """The kind state of a record of ``kind`` processed ``processed`` times.

    It is what the handler can still tell about the record: how many more
    processings fail (0: it succeeds from now on), or POISONED.

    >>> kind_state(FailsFirst(2), 1), kind_state(FailsFirst(1), 3)
    (1, 0)
    >>> kind_state(POISON, 1)
    -2
    """
    if processed == 0:
        return UNDECIDED
    if isinstance(kind, FailsFirst):
        return max(kind.times - processed, 0)
    return POISONED


def first_state(kind: FailureKind) -> int:
    """The kind state of a record of ``kind`` just before its first processing."""
    return kind.times if isinstance(kind, FailsFirst) else POISONED


def _fails_next(state: int) -> bool:
    return state == POISONED or state > 0


def _after_processing(state: int) -> int:
    return state - 1 if state > 0 else state


@dataclass(frozen=True)
class Choice:
    """One way a batch can go: the handler's run and the kinds it decided.

    ``decisions`` maps positions decided now to their kind; ``kinds`` is the new
    kind state of every record of the shard.
    """

    run: HandlerRun
    decisions: tuple[tuple[int, FailureKind], ...]
    kinds: tuple[int, ...]


def handler_runs(
    space: FailureSpace,
    sequence_numbers: Sequence[str],
    start: int,
    kinds: tuple[int, ...],
    poison_position: int | None,
) -> Iterator[Choice]:
    """Every run of the handler on the batch starting at ``start``.

    Undecided records get each kind of the space when the handler first reaches
    them; records it never reaches stay undecided.  The run itself comes from
    ``model.handler.Handler.run`` on a concrete pattern, so the response styles
    stay in the model.
    """
    stops = space.style.stops_at_first_failure
    size = len(sequence_numbers)
    options = space.record_kinds

    def extend(offset: int, decided: tuple[tuple[int, FailureKind], ...]) -> Iterator:
        if offset == size:
            yield decided
            return
        position = start + offset
        state = kinds[position]
        candidates = (
            [(kind, first_state(kind)) for kind in options]
            if state == UNDECIDED
            else [(None, state)]
        )
        for kind, current in candidates:
            fails = _fails_next(current) or poison_position == offset + 1
            step = ((position, kind),) if kind is not None else ()
            if fails and stops:
                yield decided + step
            else:
                yield from extend(offset + 1, decided + step)

    for decided in extend(0, ()):
        decisions = dict(decided)
        pattern = _pattern(
            space, sequence_numbers, start, kinds, decisions, poison_position
        )
        handler = Handler(pattern, space.style, space.raw_payload)
        run = handler.run(sequence_numbers, [0] * size)
        new_kinds = list(kinds)
        for offset in range(len(run.results)):
            position = start + offset
            if position in decisions:
                new_kinds[position] = kind_state(decisions[position], 1)
            else:
                new_kinds[position] = _after_processing(kinds[position])
        yield Choice(run, tuple(decided), tuple(new_kinds))


def _pattern(
    space: FailureSpace,
    sequence_numbers: Sequence[str],
    start: int,
    kinds: tuple[int, ...],
    decisions: dict[int, FailureKind],
    poison_position: int | None,
) -> FailurePattern:
    """A concrete pattern that behaves like the kind states on this batch.

    Each record's remaining failures become ``FailsFirst(m)`` with nothing
    processed before, so ``Handler.run`` reads them with ``processed_before = 0``.
    """
    by_sequence: dict[str, FailureKind] = {}
    for offset, sequence_number in enumerate(sequence_numbers):
        position = start + offset
        if position in decisions:
            by_sequence[sequence_number] = decisions[position]
            continue
        state = kinds[position]
        if state == POISONED:
            by_sequence[sequence_number] = POISON
        elif state > 0:
            by_sequence[sequence_number] = FailsFirst(state)
    by_position: dict[int, FailureKind] = (
        {poison_position: POISON} if poison_position is not None else {}
    )
    return FailurePattern(by_sequence=by_sequence, by_position=by_position)
