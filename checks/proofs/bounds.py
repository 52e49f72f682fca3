"""Exact delivery bounds per mode, and the invocations bisect needs to isolate poison.

A record's potential is its deliveries so far plus a bound ``F`` on the deliveries
still to come, computed from the batch it is in (size, offset, retries used).  The
proofs show that no step raises the potential, that a fresh batch starts with at most
the closed formula, and that one handler behaviour (a witness) keeps it equal all the
way, so the formula is also reached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import z3

from checks.proofs.encoding import (
    FATE_CODES,
    OUTCOME_CODES,
    Configuration,
    RuleTable,
    in_range,
)
from checks.proofs.handlers import style_constraints
from checks.proofs.runner import Obligation, Statement
from checks.proofs.statements import Setting
from model.config import MappingConfig
from model.handler import ResponseStyle
from model.responses import Outcome
from model.state import Fate

__all__ = ["bound_statements", "isolation_invocations", "ceil_log2"]

Potential = Callable[..., z3.ArithRef]


def ceil_log2(n: int) -> int:
    """The number of halvings (first half ceil(n/2)) from ``n`` records down to one.

    >>> [ceil_log2(n) for n in (1, 2, 3, 4, 5, 10)]
    [0, 1, 2, 2, 3, 4]
    """
    return (n - 1).bit_length()


def isolation_invocations(n: int) -> int:
    """Invocations until a poison record among ``n`` is first delivered alone.

    The worst case over the poison's position, bisecting with the first half of
    ``ceil(n/2)`` records and the lower half first.

    >>> [isolation_invocations(n) for n in (1, 2, 3, 10)]
    [1, 3, 4, 7]
    """
    exponent = n.bit_length() - 1
    return 1 + 2 * exponent + (1 if 2 * n >= 3 * 2**exponent else 0)


_LOG = z3.Function("ceil_log2", z3.IntSort(), z3.IntSort())


def _log_facts(terms: list[z3.ArithRef]) -> list[z3.BoolRef]:
    """Ground instances of true facts about ceil(log2): recursion and monotonicity."""
    halves = [(term + 1) / 2 for term in terms]
    every = terms + halves
    facts = []
    for term in terms:
        facts += [
            z3.Implies(term == 1, _LOG(term) == 0),
            z3.Implies(term >= 2, _LOG(term) == 1 + _LOG((term + 1) / 2)),
        ]
    for term in every:
        facts.append(z3.Implies(term >= 1, _LOG(term) >= 0))
    for low in every:
        for high in every:
            facts.append(
                z3.Implies(z3.And(low >= 1, low <= high), _LOG(low) <= _LOG(high))
            )
    return facts


@dataclass(frozen=True)
class _Mode:
    key: str
    name: str
    bisect: bool
    report_failures: bool
    #: F(config, size, offset, attempts): deliveries still to come, at most.
    remaining: Potential
    #: The greatest number of deliveries of one record, in terms of B and R.
    greatest: Callable[[Configuration], z3.ArithRef]
    formula: str
    #: The offset of the record that reaches the bound in a full first batch.
    worst_offset: Callable[[Configuration], z3.ArithRef]
    style: ResponseStyle


def _retries_left(config: Configuration, attempts: z3.ArithRef) -> z3.ArithRef:
    return config.max_retries + 1 - attempts


_MODES = (
    _Mode(
        "whole-batch",
        "whole-batch retry",
        bisect=False,
        report_failures=False,
        remaining=lambda config, size, offset, attempts: _retries_left(
            config, attempts
        ),
        greatest=lambda config: config.max_retries + 1,
        formula="R + 1",
        worst_offset=lambda config: z3.IntVal(0),
        style=ResponseStyle.THROW,
    ),
    _Mode(
        "bisect",
        "bisect",
        bisect=True,
        report_failures=False,
        remaining=lambda config, size, offset, attempts: (
            _LOG(size) + _retries_left(config, attempts)
        ),
        greatest=lambda config: _LOG(config.batch_size) + config.max_retries + 1,
        formula="ceil(log2 B) + R + 1",
        worst_offset=lambda config: z3.IntVal(0),
        style=ResponseStyle.THROW,
    ),
    _Mode(
        "custom-checkpoint",
        "custom checkpoints",
        bisect=False,
        report_failures=True,
        remaining=lambda config, size, offset, attempts: (
            (offset + 1) * (config.max_retries + 1) - attempts
        ),
        greatest=lambda config: config.batch_size * (config.max_retries + 1),
        formula="B * (R + 1)",
        worst_offset=lambda config: config.batch_size - 1,
        style=ResponseStyle.REPORT_FIRST,
    ),
)


class _RecordView:
    """One step seen by one record of the head batch: its potential before and after."""

    def __init__(self, rules: RuleTable, mode: _Mode) -> None:
        here = self.here = Setting(rules)
        config, state, change = here.config, here.state, here.change
        self.record = record = z3.Int("record")
        self.offset = record - state.batch_start
        self.premises = [
            *here.premises,
            config.retries_finite,
            config.bisect == mode.bisect,
            config.report_failures == mode.report_failures,
            in_range(record, state.batch_start, state.batch_end),
            z3.Implies(state.batch_size >= 2, state.attempts == 0)
            if mode.bisect
            else z3.BoolVal(True),
        ]
        self.before = mode.remaining(
            config, state.batch_size, self.offset, state.attempts
        )
        done = change.fate[record] != FATE_CODES[Fate.NOT_DONE]
        first, second = change.front
        # With nothing put in front, the record may be in the next fresh read.
        read = here.after
        candidates = [
            (first.present, first.start, first.end, first.attempts),
            (second.present, second.start, second.end, second.attempts),
            (z3.Not(first.present), read.batch_start, read.batch_end, read.attempts),
        ]
        inside = [
            z3.And(present, in_range(record, start, end))
            for present, start, end, _ in candidates
        ]
        after = [
            mode.remaining(config, end - start, record - start, attempts)
            for _, start, end, attempts in candidates
        ]
        self.accounted = z3.Or(done, *inside)
        self.after = z3.If(
            done,
            0,
            z3.If(inside[0], after[0], z3.If(inside[1], after[1], after[2])),
        )
        self.delivered = z3.If(here.invokes, 1, 0)
        self.sizes_after = [batch.end - batch.start for batch in (first, second)]
        self.keeps_mode = (
            z3.And(
                *[
                    z3.Implies(
                        z3.And(batch.present, batch.end - batch.start >= 2),
                        batch.attempts == 0,
                    )
                    for batch in (first, second)
                ]
            )
            if mode.bisect
            else z3.BoolVal(True)
        )
        terms = [
            state.batch_size,
            *self.sizes_after,
            read.batch_end - read.batch_start,
            config.batch_size,
        ]
        self.facts = _log_facts(terms) if mode.bisect else []


def _witness(view: _RecordView, mode: _Mode) -> list[z3.BoolRef]:
    """The handler behaviour that keeps the record's potential equal."""
    here, state = view.here, view.here.state
    behaviour = here.behaviour
    start = state.batch_start
    if mode.key == "custom-checkpoint":
        # Stall at the batch start until the last retry, then advance by one.
        advance = z3.And(state.attempts == here.config.max_retries, view.offset > 0)
        reached = z3.If(advance, 2, 1)
        results = [
            behaviour.results[start] == advance,
            z3.Not(behaviour.results[start + 1]),
        ]
    else:
        reached, results = z3.IntVal(1), [z3.Not(behaviour.results[start])]
    offset = [view.offset == 0] if mode.bisect else []
    return [
        here.invokes,
        behaviour.reached == reached,
        *results,
        *offset,
        *style_constraints(mode.style, state, behaviour),
    ]


def _bound_obligations(mode: _Mode) -> Callable[[RuleTable], list[Obligation]]:
    def obligations(rules: RuleTable) -> list[Obligation]:
        view = _RecordView(rules, mode)
        step_goal = z3.And(
            view.accounted,
            view.keeps_mode,
            view.delivered + view.after <= view.before,
        )
        witness = _RecordView(rules, mode)
        witness_goal = z3.And(
            witness.accounted, witness.delivered + witness.after == witness.before
        )
        config = Configuration.fresh("entry")
        size, offset = z3.Ints("entry.size entry.offset")
        entry_facts = _log_facts([size, config.batch_size]) if mode.bisect else []
        entry_premises = [
            *config.constraints(),
            config.retries_finite,
            size >= 1,
            size <= config.batch_size,
            in_range(offset, 0, size),
            *entry_facts,
        ]
        entry_goal = z3.And(
            mode.remaining(config, size, offset, 0) <= mode.greatest(config),
            mode.remaining(config, config.batch_size, mode.worst_offset(config), 0)
            == mode.greatest(config),
        )
        return [
            Obligation(
                "potential never grows", [*view.premises, *view.facts], step_goal
            ),
            Obligation("first batch", entry_premises, entry_goal),
            Obligation(
                "bound reached",
                [*witness.premises, *witness.facts, *_witness(witness, mode)],
                witness_goal,
            ),
        ]

    return obligations


def _applies(mode: _Mode) -> Callable[[MappingConfig, ResponseStyle], bool]:
    def applies(mapping: MappingConfig, style: ResponseStyle) -> bool:
        return (
            mapping.retries_are_finite
            and mapping.bisect_batch_on_function_error == mode.bisect
            and mapping.report_batch_item_failures == mode.report_failures
        )

    return applies


# -- bisect: invocations to isolate one poison record ----------------------------------

_FLOOR_LOG = z3.Function("floor_log2", z3.IntSort(), z3.IntSort())
_POWER = z3.Function("power_below", z3.IntSort(), z3.IntSort())


def _isolation(term: z3.ArithRef) -> z3.ArithRef:
    return 1 + 2 * _FLOOR_LOG(term) + z3.If(2 * term >= 3 * _POWER(term), 1, 0)


def _power_facts(terms: list[z3.ArithRef]) -> list[z3.BoolRef]:
    """power_below(x) = 2**floor_log2(x) <= x < 2 * power_below(x), as ground facts."""
    facts = []
    for term in terms:
        power, exponent = _POWER(term), _FLOOR_LOG(term)
        facts += [
            power >= 1,
            power <= term,
            term < 2 * power,
            exponent >= 0,
            (exponent == 0) == (power == 1),
            # A power of two is 1 or even: the only fact that ties it to 2, not 3.
            z3.Or(power == 1, power % 2 == 0),
        ]
    for one in terms:
        for other in terms:
            gap = _FLOOR_LOG(one) - _FLOOR_LOG(other)
            facts += [
                (gap == 0) == (_POWER(one) == _POWER(other)),
                (gap == 1) == (_POWER(one) == 2 * _POWER(other)),
                z3.Implies(gap >= 2, _POWER(one) >= 4 * _POWER(other)),
            ]
    return facts


def _bisect_step(rules: RuleTable, poison: z3.ArithRef, inside: bool) -> Setting:
    """One invocation of the head batch under bisect by a handler that throws."""
    here = Setting(rules)
    state, behaviour = here.state, here.behaviour
    position = z3.Int("pattern")
    here.premises += [
        here.config.bisect,
        here.invokes,
        behaviour.results == z3.Lambda([position], position != poison),
        in_range(poison, state.batch_start, state.batch_end) == inside,
        *style_constraints(ResponseStyle.THROW, state, behaviour),
    ]
    return here


def _isolation_obligations(rules: RuleTable) -> list[Obligation]:
    poison = z3.Int("poison")
    one = z3.IntVal(1)
    # A batch without the poison record succeeds in one invocation: it is done.
    clean = _bisect_step(rules, poison, inside=False)
    # A batch of two or more with the poison record splits at the split point, and
    # the lower half runs first.
    split = _bisect_step(rules, poison, inside=True)
    first, second = split.change.front
    start, end = split.state.batch_start, split.state.batch_end
    middle = start + rules.split_point(end - start)
    # So a poison record in the upper half waits one invocation for the lower half.
    size = z3.Int("size")
    lower = rules.split_point(size)
    upper = size - lower
    worst = z3.If(
        1 + _isolation(lower) >= 2 + _isolation(upper),
        1 + _isolation(lower),
        2 + _isolation(upper),
    )
    return [
        Obligation("one record", _power_facts([one]), _isolation(one) == 1),
        Obligation(
            "a batch without the poison record",
            clean.premises,
            z3.And(
                clean.change.outcome == OUTCOME_CODES[Outcome.SUCCESS],
                z3.Not(clean.change.front[0].present),
            ),
        ),
        Obligation(
            "a batch with it splits, lower half first",
            [*split.premises, end - start >= 2],
            z3.And(
                first.present,
                second.present,
                first.start == start,
                first.end == middle,
                second.start == middle,
                second.end == end,
            ),
        ),
        Obligation(
            "split",
            [size >= 2, *_power_facts([one, size, lower, upper])],
            z3.And(lower >= 1, upper >= 1, worst == _isolation(size)),
            measure=size,
        ),
    ]


def bound_statements() -> list[Statement]:
    """Delivery bounds per mode, and the isolation count under bisect."""
    statements = [
        Statement(
            key=f"bound-{mode.key}",
            property_name="bounded_deliveries",
            text=f"Under {mode.name} with finite MaximumRetryAttempts R, a record is "
            f"delivered at most {mode.formula} times, and some failure pattern "
            "reaches that number.",
            expected="holds",
            assumes="default Undocumented parameters, ParallelizationFactor 1; "
            "reached when the shard has at least B records",
            proof=f"potential: deliveries + remaining, remaining = {mode.formula} "
            "for a fresh batch",
            obligations=_bound_obligations(mode),
            applies=_applies(mode),
        )
        for mode in _MODES
    ]
    statements.append(
        Statement(
            key="bisect-isolation-invocations",
            property_name="bisect_isolates_poison",
            text="Bisect with a throwing handler delivers one poison record alone "
            "for the first time after at most 1 + 2k + [2n >= 3 * 2^k] invocations "
            "of a batch of n (k = floor(log2 n)), and some position needs exactly "
            "that many.",
            expected="holds",
            assumes="default Undocumented parameters (split ceil(n/2), lower half "
            "first); no other record fails; records do not expire",
            proof="strong induction on n over the split rule",
            obligations=_isolation_obligations,
            # records must not expire by age (the proof assumes they do not)
            applies=lambda mapping, style: (
                mapping.bisect_batch_on_function_error
                and style is ResponseStyle.THROW
                and not mapping.age_is_finite
            ),
        )
    )
    return statements
