"""Discharge proof obligations with z3 and collect one result per statement.

An ``Obligation`` is "these premises imply this goal"; z3 proves it when the premises
with the goal negated are unsatisfiable.  A statement is proved when all of its
obligations are, has a counterexample when one is satisfiable, and is unknown (with
z3's reason and the time limit) otherwise.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from model.config import MappingConfig
from model.handler import ResponseStyle

__all__ = [
    "Obligation",
    "Statement",
    "ProofResult",
    "TIME_LIMIT_SECONDS",
    "discharge",
    "prove",
]

#: z3's time limit for one obligation.
TIME_LIMIT_SECONDS = 10.0

PROVED = "proved"
COUNTEREXAMPLE = "counterexample"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Obligation:
    """``premises`` imply ``goal``; ``name`` says which part of the proof it is.

    ``context`` is handed to the statement's ``replay`` with z3's model; when the
    goal fails, z3 is asked again for models with a smaller ``measure`` so that a
    counterexample is as small as z3 can make it.
    """

    name: str
    premises: Sequence[z3.BoolRef]
    goal: z3.BoolRef
    context: Any = None
    measure: z3.ArithRef | None = None


@dataclass(frozen=True)
class Statement:
    """One claim about the model for every N, B and R, and how to check it.

    ``obligations`` builds the z3 queries from a rule table (so mutants can swap
    rules); ``applies`` says whether a configuration and handler style fall under
    the statement's assumptions.  A statement expected to fail has ``replay``,
    which turns z3's model into a replayed ``Counterexample``.
    """

    key: str
    property_name: str
    text: str
    expected: str
    assumes: str
    proof: str
    obligations: Callable[[Any], list[Obligation]]
    applies: Callable[[MappingConfig, ResponseStyle], bool]
    replay: Callable[[z3.ModelRef, Any], Any] | None = None


@dataclass
class ProofResult:
    """The verdict on one statement, in the shape ``run.proofs`` expects."""

    key: str
    property_name: str
    statement: str
    expected: str
    result: str
    seconds: float
    assumes: str = ""
    reason: str = ""
    time_limit: float = TIME_LIMIT_SECONDS
    failed_obligation: str = ""
    model: str = ""
    counterexample: Any = None
    _applies: Callable[[MappingConfig, ResponseStyle], bool] | None = field(
        default=None, repr=False
    )

    def applies_to(self, mapping: MappingConfig, style: ResponseStyle) -> bool:
        """Whether the statement's assumptions cover this configuration and style."""
        return bool(self._applies and self._applies(mapping, style))

    @property
    def as_expected(self) -> bool:
        wanted = PROVED if self.expected == "holds" else COUNTEREXAMPLE
        return self.result == wanted

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "statement": self.statement,
            "key": self.key,
            "property": self.property_name,
            "expected": self.expected,
            "result": self.result,
            "seconds": round(self.seconds, 3),
            "assumes": self.assumes,
        }
        if self.result == UNKNOWN:
            document["reason"] = self.reason
            document["time_limit"] = self.time_limit
        if self.failed_obligation:
            document["obligation"] = self.failed_obligation
        example = self.counterexample
        if example is not None:
            from model.scenario_file import scenario_to_dict

            document["counterexample"] = {
                "scenario": scenario_to_dict(
                    example.scenario, example.trace.step_limit
                ),
                "loop_start": example.loop_start,
                "explanation": example.explanation,
                "trace": example.trace.to_json(),
            }
        return document


def discharge(
    obligation: Obligation, time_limit: float = TIME_LIMIT_SECONDS
) -> tuple[str, str, z3.ModelRef | None]:
    """Check one obligation: (result, z3's reason if unknown, model if refuted).

    >>> x = z3.Int("x")
    >>> discharge(Obligation("positive", [x > 1], x > 0))[0]
    'proved'
    """
    solver = z3.Solver()
    solver.set("timeout", int(time_limit * 1000))
    solver.add(*obligation.premises)
    # A proof from contradictory premises proves nothing: check they can hold.
    premises_hold = _check(solver)
    if premises_hold == z3.unsat:
        return UNKNOWN, "vacuous: the premises contradict each other", None
    solver.add(z3.Not(obligation.goal))
    answer = _check(solver)
    if answer == z3.unsat:
        return PROVED, "", None
    if answer == z3.sat:
        return COUNTEREXAMPLE, "", _smallest(solver, obligation.measure)
    return UNKNOWN, solver.reason_unknown(), None


def _check(solver: z3.Solver) -> z3.CheckSatResult:
    """``solver.check()``, but Ctrl-C stops the run at once, never reads as unknown.

    z3 would catch SIGINT while it solves and answer unknown (with a reason such as
    "canceled" or "(incomplete quantifiers)"), so the main job went on; with its
    handler off, Python's would raise KeyboardInterrupt only when the check
    returned, seconds later.  So the check runs in a helper thread while the main
    thread waits, takes the KeyboardInterrupt at once, stops z3 with
    ``solver.interrupt()`` and raises it.
    """
    z3.set_param("ctrl_c", False)
    outcome: dict[str, Any] = {}

    def solve() -> None:
        try:
            outcome["answer"] = solver.check()
        except BaseException as error:  # handed to the main thread below
            outcome["error"] = error

    worker = threading.Thread(target=solve, name="z3-check", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.05)
    except KeyboardInterrupt:
        # Asked again until z3 stops: an interrupt that comes before the check
        # has begun is lost, and a check left running crashes the exit.
        for _ in range(100):
            solver.interrupt()
            worker.join(0.02)
            if not worker.is_alive():
                break
        raise
    if "error" in outcome:
        raise outcome["error"]
    answer = outcome["answer"]
    if answer == z3.unknown and solver.reason_unknown() in _INTERRUPTED:
        raise KeyboardInterrupt
    return answer


#: What z3 says when SIGINT stopped it (its own handler, or Python's).
_INTERRUPTED = ("interrupted from keyboard", "canceled")


def _smallest(
    solver: z3.Solver, measure: z3.ArithRef | None, rounds: int = 20
) -> z3.ModelRef:
    """Shrink the model while z3 finds one with a smaller ``measure``."""
    model = solver.model()
    if measure is None:
        return model
    for _ in range(rounds):
        size = model.eval(measure, model_completion=True).as_long()
        solver.add(measure < size)
        if _check(solver) != z3.sat:
            break
        model = solver.model()
    return model


def prove(
    statement: Statement,
    rules: Any = None,
    *,
    time_limit: float = TIME_LIMIT_SECONDS,
) -> ProofResult:
    """Check each obligation of ``statement`` under ``rules`` (default: the model's)."""
    from checks.proofs.encoding import rule_table

    began = time.perf_counter()
    obligations = statement.obligations(rules or rule_table())
    result, reason, failed, model_text, counterexample = PROVED, "", "", "", None
    for obligation in obligations:
        answer, why, model = discharge(obligation, time_limit)
        if answer == PROVED:
            continue
        result, reason, failed = answer, why, obligation.name
        if model is not None:
            model_text = _short_model(model)
            if statement.replay is not None:
                counterexample = statement.replay(model, obligation.context)
                if counterexample is None:
                    result = UNKNOWN
                    reason = "z3's model did not replay in the simulator"
        break
    return ProofResult(
        key=statement.key,
        property_name=statement.property_name,
        statement=statement.text,
        expected=statement.expected,
        result=result,
        seconds=time.perf_counter() - began,
        assumes=statement.assumes,
        reason=reason,
        time_limit=time_limit,
        failed_obligation=failed,
        model=model_text,
        counterexample=counterexample,
        _applies=statement.applies,
    )


def _short_model(model: z3.ModelRef, limit: int = 12) -> str:
    """The integer and Boolean constants of a model, for a one-line explanation."""
    pairs = []
    for declaration in model.decls():
        if declaration.arity() == 0:
            value = model[declaration]
            if z3.is_int_value(value) or z3.is_true(value) or z3.is_false(value):
                pairs.append(f"{declaration.name()}={value}")
    return ", ".join(sorted(pairs)[:limit])
