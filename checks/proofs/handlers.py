"""Handler behaviour as z3 constraints: response styles and failure patterns.

``style_constraints`` says what a handler of one ``ResponseStyle`` does with any
results (every failure pattern at once); ``pattern_results`` ties the results to a
by-sequence failure pattern (poison records and records that fail their first k
processings), which is what a counterexample is replayed with.
"""

from __future__ import annotations

import z3

from checks.proofs.encoding import Behaviour, Shape, ShardState, in_range
from model.handler import ResponseStyle

__all__ = ["style_constraints", "pattern_results", "accounts_for_failures"]


def _stops_at_first_failure(state: ShardState, behaviour: Behaviour) -> list:
    """Records are processed in order; the handler stops at the first failure."""
    start, size = state.batch_start, state.batch_size
    last = start + behaviour.reached - 1
    position = z3.Int("in_order_position")
    return [
        behaviour.reached >= 1,
        z3.ForAll(
            [position],
            z3.Implies(in_range(position, start, last), behaviour.results[position]),
        ),
        z3.Or(behaviour.reached == size, z3.Not(behaviour.results[last])),
    ]


def _processes_everything(state: ShardState, behaviour: Behaviour) -> z3.BoolRef:
    return behaviour.reached == state.batch_size


def _all_ok(state: ShardState, behaviour: Behaviour) -> z3.BoolRef:
    position = z3.Int("ok_position")
    return z3.ForAll(
        [position],
        z3.Implies(
            in_range(position, state.batch_start, state.batch_end),
            behaviour.results[position],
        ),
    )


def _all_failed(state: ShardState, behaviour: Behaviour) -> z3.BoolRef:
    position = z3.Int("failed_position")
    return z3.ForAll(
        [position],
        z3.Implies(
            in_range(position, state.batch_start, state.batch_end),
            z3.Not(behaviour.results[position]),
        ),
    )


def _reports_every_failure(state: ShardState, behaviour: Behaviour) -> z3.BoolRef:
    position = z3.Int("reported_failure")
    return z3.Or(
        z3.And(behaviour.shape == Shape.EMPTY, _all_ok(state, behaviour)),
        z3.And(
            behaviour.shape == Shape.REPORT,
            z3.ForAll(
                [position],
                z3.Implies(
                    in_range(position, state.batch_start, state.batch_end),
                    behaviour.reported[position] == z3.Not(behaviour.results[position]),
                ),
            ),
        ),
    )


def style_constraints(
    style: ResponseStyle, state: ShardState, behaviour: Behaviour
) -> list[z3.BoolRef]:
    """What a handler of ``style`` returns, for any results of the records it reached.

    ``RAW`` is unconstrained: any row of the R2 table.

    >>> from checks.proofs.encoding import ShardState, Behaviour
    >>> len(style_constraints(ResponseStyle.THROW, ShardState.fresh("s"),
    ...                       Behaviour.fresh("b"))) > 0
    True
    """
    last = state.batch_start + behaviour.reached - 1
    failed = z3.And(behaviour.reached >= 1, z3.Not(behaviour.results[last]))
    if style is ResponseStyle.THROW:
        return [
            *_stops_at_first_failure(state, behaviour),
            behaviour.threw == failed,
            behaviour.shape == Shape.EMPTY,
        ]
    if style is ResponseStyle.REPORT_FIRST:
        position = z3.Int("first_reported")
        return [
            *_stops_at_first_failure(state, behaviour),
            z3.Not(behaviour.threw),
            z3.If(
                failed,
                z3.And(
                    behaviour.shape == Shape.REPORT,
                    behaviour.lowest == last,
                    behaviour.highest == last,
                    z3.ForAll(
                        [position],
                        behaviour.reported[position] == (position == last),
                    ),
                ),
                behaviour.shape == Shape.EMPTY,
            ),
        ]
    if style is ResponseStyle.REPORT_ALL:
        return [
            _processes_everything(state, behaviour),
            z3.Not(behaviour.threw),
            _reports_every_failure(state, behaviour),
        ]
    if style is ResponseStyle.REPORT_ALL_RAISE_IF_ALL:
        return [
            _processes_everything(state, behaviour),
            behaviour.threw == _all_failed(state, behaviour),
            z3.Implies(
                z3.Not(behaviour.threw), _reports_every_failure(state, behaviour)
            ),
        ]
    if style is ResponseStyle.REPORT_HIGHEST:
        position = z3.Int("above_highest")
        return [
            _processes_everything(state, behaviour),
            z3.Not(behaviour.threw),
            z3.Or(
                z3.And(behaviour.shape == Shape.EMPTY, _all_ok(state, behaviour)),
                z3.And(
                    behaviour.shape == Shape.REPORT,
                    behaviour.lowest == behaviour.highest,
                    z3.Not(behaviour.results[behaviour.highest]),
                    z3.ForAll(
                        [position],
                        z3.Implies(
                            in_range(position, behaviour.highest + 1, state.batch_end),
                            behaviour.results[position],
                        ),
                    ),
                ),
            ),
        ]
    return []


def accounts_for_failures(state: ShardState, behaviour: Behaviour) -> z3.BoolRef:
    """Every record not processed successfully is accounted for in the response.

    The handler throws, returns a response that fails the whole batch, or reports a
    record no later than the first record it did not process successfully.
    """
    position = z3.Int("unaccounted")
    fails_batch = z3.Or(
        behaviour.threw,
        behaviour.shape == Shape.MALFORMED_ENTRY,
        behaviour.shape == Shape.UNKNOWN_IDENTIFIER,
    )
    return z3.ForAll(
        [position],
        z3.Implies(
            z3.And(
                in_range(position, state.batch_start, state.batch_end),
                z3.Not(behaviour.succeeded_at(state, position)),
            ),
            z3.Or(
                fails_batch,
                z3.And(behaviour.shape == Shape.REPORT, behaviour.lowest <= position),
            ),
        ),
    )


def pattern_results(
    state: ShardState,
    behaviour: Behaviour,
    poison: z3.ArrayRef,
    fails_first: z3.ArrayRef,
) -> z3.BoolRef:
    """The results of a by-sequence failure pattern, given the processings so far."""
    position = z3.Int("pattern_position")
    return behaviour.results == z3.Lambda(
        [position],
        z3.Not(
            z3.Or(
                poison[position],
                state.processed[position] < fails_first[position],
            )
        ),
    )
