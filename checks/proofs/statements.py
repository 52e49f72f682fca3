"""The statements proved for every shard length, batch size and retry limit.

Each statement is an inductive invariant (a base case from the initial state and a
step from any well-formed state through any behaviour) or a claim about one step;
``docs/proofs.md`` states them in English.  ``all_statements`` lists them with the
delivery bounds of ``checks.proofs.bounds`` and the known-false statements of
``checks.proofs.counterexamples``.
"""

from __future__ import annotations

from collections.abc import Callable

import z3

from checks.proofs.encoding import (
    FATE_CODES,
    Behaviour,
    Configuration,
    Expiry,
    RuleTable,
    Shape,
    ShardState,
    Step,
    in_range,
    initial_state,
    step,
    successor,
    well_formed,
)
from checks.proofs.handlers import accounts_for_failures, style_constraints
from checks.proofs.runner import Obligation, Statement
from model.config import MappingConfig
from model.handler import ResponseStyle
from model.state import Fate

__all__ = ["all_statements", "safety_statements", "Setting", "setting"]

Invariant = Callable[[Configuration, ShardState], list[z3.BoolRef]]


class Setting:
    """One step from a well-formed state: config, state, behaviour, next state."""

    def __init__(self, rules: RuleTable) -> None:
        self.config = Configuration.fresh()
        self.state = ShardState.fresh("before")
        self.behaviour = Behaviour.fresh("behaviour")
        self.change: Step = step(rules, self.config, self.state, self.behaviour)
        self.after, known = successor(self.config, self.state, self.change, "after")
        self.premises: list[z3.BoolRef] = [
            *self.config.constraints(),
            *well_formed(self.config, self.state),
            *self.behaviour.valid(self.state, self.config.record_count),
            *known,
            self.state.checkpoint < self.config.record_count,
        ]

    @property
    def invokes(self) -> z3.BoolRef:
        return self.behaviour.expiry == Expiry.NONE


def setting(rules: RuleTable) -> Setting:
    return Setting(rules)


def _inductive(
    rules: RuleTable,
    invariant: Invariant,
    assumptions: Callable[[Setting], list[z3.BoolRef]],
    extra_goal: Callable[[Setting], list[z3.BoolRef]] | None = None,
) -> list[Obligation]:
    """Base case and inductive step of ``well_formed`` plus ``invariant``."""
    base_config = Configuration.fresh("initial")
    first = initial_state(base_config)
    base_premises = base_config.constraints()
    base_goal = z3.And(*well_formed(base_config, first), *invariant(base_config, first))
    here = Setting(rules)
    premises = [*here.premises, *invariant(here.config, here.state), *assumptions(here)]
    goal = [
        *well_formed(here.config, here.after),
        *invariant(here.config, here.after),
        *(extra_goal(here) if extra_goal else []),
    ]
    return [
        Obligation("base case", base_premises, base_goal),
        Obligation("inductive step", premises, z3.And(*goal)),
    ]


def _fate_in(fate: z3.ArithRef, fates: set[Fate]) -> z3.BoolRef:
    return z3.Or(*[fate == FATE_CODES[item] for item in fates])


def _behind_checkpoint(
    state: ShardState, condition: Callable[[z3.ArithRef], z3.BoolRef]
) -> z3.BoolRef:
    position = z3.Int("behind")
    return z3.ForAll(
        [position],
        z3.Implies(in_range(position, 0, state.checkpoint), condition(position)),
    )


# -- checkpoint safety ----------------------------------------------------------------


def _checkpoint_safety(rules: RuleTable) -> list[Obligation]:
    return _inductive(
        rules,
        lambda config, state: [],
        lambda here: [],
        lambda here: [here.after.checkpoint >= here.state.checkpoint],
    )


# -- minimum checkpoint ---------------------------------------------------------------


def _partial_premises(here: Setting) -> list[z3.BoolRef]:
    return [
        here.config.report_failures,
        here.invokes,
        z3.Not(here.behaviour.threw),
        here.behaviour.shape == Shape.REPORT,
    ]


def _minimum_checkpoint(rules: RuleTable) -> list[Obligation]:
    here = Setting(rules)
    position = z3.Int("reported")
    behaviour, after = here.behaviour, here.after
    least = z3.And(
        behaviour.reported[after.checkpoint],
        z3.ForAll(
            [position],
            z3.Implies(behaviour.reported[position], after.checkpoint <= position),
        ),
    )
    goal = z3.Or(
        least,
        z3.And(here.change.discarded, after.checkpoint == here.state.batch_end),
    )
    return [Obligation("one step", [*here.premises, *_partial_premises(here)], goal)]


def _first_failure_behind(rules: RuleTable) -> list[Obligation]:
    here = Setting(rules)
    state, behaviour = here.state, here.behaviour
    first_bad = z3.Int("first_bad")
    earlier = z3.Int("earlier")
    bad = lambda p: z3.Not(behaviour.succeeded_at(state, p))  # noqa: E731
    premises = [
        *here.premises,
        *_partial_premises(here),
        in_range(first_bad, state.batch_start, state.batch_end),
        bad(first_bad),
        z3.ForAll(
            [earlier],
            z3.Implies(
                in_range(earlier, state.batch_start, first_bad), z3.Not(bad(earlier))
            ),
        ),
        behaviour.reported[first_bad],
    ]
    position = z3.Int("behind")
    goal = z3.Or(
        here.change.discarded,
        z3.ForAll(
            [position],
            z3.Implies(
                in_range(position, state.batch_start, here.after.checkpoint),
                behaviour.succeeded_at(state, position),
            ),
        ),
    )
    return [Obligation("one step", premises, goal)]


# -- no silent loss -------------------------------------------------------------------


def _no_silent_loss(rules: RuleTable) -> list[Obligation]:
    def invariant(config: Configuration, state: ShardState) -> list[z3.BoolRef]:
        return [
            _behind_checkpoint(
                state,
                lambda p: z3.Or(
                    z3.And(
                        state.fate[p] == FATE_CODES[Fate.PROCESSED],
                        state.succeeded[p],
                    ),
                    state.fate[p] == FATE_CODES[Fate.DISCARDED],
                ),
            )
        ]

    def assumptions(here: Setting) -> list[z3.BoolRef]:
        return [
            here.config.report_failures,
            here.config.has_destination,
            here.behaviour.expiry != Expiry.RETENTION,
            accounts_for_failures(here.state, here.behaviour),
        ]

    return _inductive(rules, invariant, assumptions)


# -- progress -------------------------------------------------------------------------


def rank(config: Configuration, state: ShardState) -> tuple[z3.ArithRef, ...]:
    """Records not done, splits still possible, retries left of the head batch."""
    pending_splits = state.pending_end - state.checkpoint - (state.rest_count + 1)
    splits = z3.If(state.head_pending, pending_splits, state.batch_size - 1)
    return (
        config.record_count - state.checkpoint,
        splits,
        config.max_retries - state.attempts,
    )


def _lexicographically_smaller(
    after: tuple[z3.ArithRef, ...], before: tuple[z3.ArithRef, ...]
) -> z3.BoolRef:
    if not before:
        return z3.BoolVal(False)
    return z3.Or(
        after[0] < before[0],
        z3.And(
            after[0] == before[0],
            _lexicographically_smaller(after[1:], before[1:]),
        ),
    )


def _progress(rules: RuleTable) -> list[Obligation]:
    here = Setting(rules)
    before = rank(here.config, here.state)
    after = rank(here.config, here.after)
    premises = [*here.premises, here.config.retries_finite]
    goal = z3.And(
        *[component >= 0 for component in before],
        _lexicographically_smaller(after, before),
    )
    return [Obligation("ranking function decreases", premises, goal)]


def _progress_by_age(rules: RuleTable) -> list[Obligation]:
    here = Setting(rules)
    age_limit = z3.Int("age_limit")
    arrival = z3.Array("arrival", z3.IntSort(), z3.IntSort())

    def rank_with_age(state: ShardState) -> tuple[z3.ArithRef, ...]:
        # Seconds until the record at the checkpoint passes the age limit.
        left = age_limit + 1 - (state.clock - arrival[state.checkpoint])
        return (*rank(here.config, state)[:2], z3.If(left > 0, left, 0))

    before, after = rank_with_age(here.state), rank_with_age(here.after)
    premises = [
        *here.premises,
        age_limit >= 0,
        here.config.invocation_seconds >= 1,
        # R4: a record older than the limit is discarded before any invocation.
        z3.Implies(
            here.invokes,
            here.state.clock - arrival[here.state.checkpoint] <= age_limit,
        ),
    ]
    goal = z3.And(
        *[component >= 0 for component in before],
        _lexicographically_smaller(after, before),
    )
    return [Obligation("ranking function decreases", premises, goal)]


# -- the article's claims -------------------------------------------------------------


def _custom_no_redelivery(rules: RuleTable) -> list[Obligation]:
    def invariant(config: Configuration, state: ShardState) -> list[z3.BoolRef]:
        position = z3.Int("ahead")
        return [
            z3.ForAll(
                [position],
                z3.Implies(
                    in_range(position, state.checkpoint, config.record_count),
                    z3.Not(state.succeeded[position]),
                ),
            )
        ]

    def delivered_fresh(here: Setting) -> list[z3.BoolRef]:
        position = z3.Int("delivered")
        state = here.state
        return [
            z3.ForAll(
                [position],
                z3.Implies(
                    z3.And(
                        here.invokes,
                        in_range(position, state.batch_start, state.batch_end),
                    ),
                    z3.Not(state.succeeded[position]),
                ),
            )
        ]

    return _inductive(
        rules,
        invariant,
        lambda here: [
            here.config.report_failures,
            *style_constraints(ResponseStyle.REPORT_FIRST, here.state, here.behaviour),
        ],
        delivered_fresh,
    )


def _bisect_discards_only_poison(rules: RuleTable) -> list[Obligation]:
    poison = z3.Int("poison")

    def invariant(config: Configuration, state: ShardState) -> list[z3.BoolRef]:
        position = z3.Int("discarded")
        return [
            z3.ForAll(
                [position],
                z3.Implies(
                    z3.And(
                        in_range(position, 0, config.record_count),
                        _fate_in(state.fate[position], {Fate.DISCARDED, Fate.DROPPED}),
                    ),
                    position == poison,
                ),
            ),
            z3.Implies(
                state.attempts > 0,
                z3.And(state.batch_start == poison, state.batch_size == 1),
            ),
            state.rest_attempts == 0,
        ]

    def assumptions(here: Setting) -> list[z3.BoolRef]:
        position = z3.Int("pattern")
        return [
            here.config.bisect,
            here.invokes,
            here.behaviour.results == z3.Lambda([position], position != poison),
            *style_constraints(ResponseStyle.THROW, here.state, here.behaviour),
        ]

    return _inductive(rules, invariant, assumptions)


# -- the catalogue --------------------------------------------------------------------


def _always(mapping: MappingConfig, style: ResponseStyle) -> bool:
    return True


_REPORTS_FIRST_FAILURE = (
    ResponseStyle.THROW,
    ResponseStyle.REPORT_FIRST,
    ResponseStyle.REPORT_ALL,
    ResponseStyle.REPORT_ALL_RAISE_IF_ALL,
)
_DEFAULTS = "default Undocumented parameters, ParallelizationFactor 1"


def safety_statements() -> list[Statement]:
    """The invariants and one-step claims (expected to hold)."""
    return [
        Statement(
            key="checkpoint-safety",
            property_name="checkpoint_safety",
            text="The checkpoint never moves back, and exactly the records behind "
            "it are done.",
            expected="holds",
            assumes=f"{_DEFAULTS}; any handler, any failures, any R",
            proof="inductive invariant well_formed",
            obligations=_checkpoint_safety,
            applies=_always,
        ),
        Statement(
            key="minimum-checkpoint",
            property_name="minimum_checkpoint",
            text="After a valid partial response naming any non-empty set of records "
            "of the batch, the checkpoint is the least of them (or the batch end, "
            "when that invocation used up the retries).",
            expected="holds",
            assumes=f"{_DEFAULTS}; ReportBatchItemFailures on",
            proof="one step",
            obligations=_minimum_checkpoint,
            applies=lambda mapping, style: mapping.report_batch_item_failures,
        ),
        Statement(
            key="first-failure-checkpoint",
            property_name="minimum_checkpoint",
            text="When the handler reports its first failure, every record before "
            "the new checkpoint was processed successfully in that invocation "
            "(unless that invocation used up the retries).",
            expected="holds",
            assumes=f"{_DEFAULTS}; ReportBatchItemFailures on; the response names "
            "the first record not processed successfully",
            proof="one step",
            obligations=_first_failure_behind,
            applies=lambda mapping, style: (
                mapping.report_batch_item_failures and style in _REPORTS_FIRST_FAILURE
            ),
        ),
        Statement(
            key="no-silent-loss",
            property_name="no_silent_loss",
            text="With ReportBatchItemFailures on and a destination, when the handler "
            "throws, fails the whole batch with a malformed response, or reports a "
            "record no later than its first failure, every record behind the "
            "checkpoint was processed successfully or described in a destination "
            "record.",
            expected="holds",
            assumes=f"{_DEFAULTS}; records do not outlive the stream's retention "
            "(a finite retry or age limit ends their retries first)",
            proof="inductive invariant",
            obligations=_no_silent_loss,
            # Retention never trims when a retry or age limit ends every failing
            # record's retries first; with neither, only retention ends them.
            applies=lambda mapping, style: (
                mapping.report_batch_item_failures
                and mapping.has_destination
                and (mapping.retries_are_finite or mapping.age_is_finite)
                and style in _REPORTS_FIRST_FAILURE
            ),
        ),
        Statement(
            key="progress-finite-retries",
            property_name="progress",
            text="With finite MaximumRetryAttempts every step strictly decreases "
            "(records not done, splits still possible, retries left), "
            "lexicographically: every shard is finished.",
            expected="holds",
            assumes=f"{_DEFAULTS}; any handler, any failures",
            proof="ranking function",
            obligations=_progress,
            applies=lambda mapping, style: mapping.retries_are_finite,
        ),
        Statement(
            key="progress-finite-age",
            property_name="progress",
            text="With a finite MaximumRecordAgeInSeconds and invocations that take "
            "time, every step strictly decreases (records not done, splits still "
            "possible, seconds until the record at the checkpoint is too old), "
            "lexicographically: every shard is finished, whatever the retries.",
            expected="holds",
            assumes=f"{_DEFAULTS}; an invocation takes at least 1 s; age boundary "
            "'greater'",
            proof="ranking function",
            obligations=_progress_by_age,
            applies=lambda mapping, style: mapping.age_is_finite,
        ),
        Statement(
            key="custom-checkpoint-no-redelivery",
            property_name="no_redelivery_of_successes",
            text="With custom checkpoints and a handler that stops at its first "
            "failure and reports it, no record processed successfully is "
            "delivered again.",
            expected="holds",
            assumes=f"{_DEFAULTS}; ReportBatchItemFailures on; handler report_first",
            proof="inductive invariant",
            obligations=_custom_no_redelivery,
            applies=lambda mapping, style: (
                mapping.report_batch_item_failures
                and style is ResponseStyle.REPORT_FIRST
            ),
        ),
        Statement(
            key="bisect-discards-only-poison",
            property_name="bisect_isolates_poison",
            text="With bisect, a throwing handler and one poison record, no record "
            "but the poison record is ever discarded.",
            expected="holds",
            assumes=f"{_DEFAULTS}; records do not expire by age or retention",
            proof="inductive invariant",
            obligations=_bisect_discards_only_poison,
            # an age limit discards other records too: the proof assumes none
            applies=lambda mapping, style: (
                mapping.bisect_batch_on_function_error
                and style is ResponseStyle.THROW
                and not mapping.age_is_finite
            ),
        ),
    ]


def all_statements() -> list[Statement]:
    """Every statement: invariants, bounds, then the known-false statements."""
    from checks.proofs.bounds import bound_statements
    from checks.proofs.counterexamples import false_statements

    return [*safety_statements(), *bound_statements(), *false_statements()]
