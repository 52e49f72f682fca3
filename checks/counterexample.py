"""A counterexample (or witness) that every checker hands to the reports.

The explorer and the proofs both end a failed or vacuous verdict with a concrete
scenario and the simulator's trace of it, so the reports, the JSON output and the
replay command all speak the simulator's vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from model.simulator import Scenario, Trace

__all__ = ["Counterexample"]


@dataclass(frozen=True)
class Counterexample:
    """A trace showing why a property fails (or why a verdict is vacuous).

    Attributes
    ----------
    configuration:
        The label of the configuration cell, as in the verdict table.
    property_name:
        The property's name (``no_silent_loss``, ``progress``, ...).
    statement:
        The property in English.
    verdict:
        ``fails`` or ``vacuous`` (or ``witness`` for a reachability twin).
    fairness:
        The fairness assumed, in English ("" for safety properties).
    scenario:
        A concrete scenario whose simulation replays the trace.
    trace:
        The simulator's trace; for a liveness failure, the path and its loop.
    loop_start:
        For a lasso, the index in ``trace.transitions`` where the repeated loop
        begins (the loop runs to the end of the trace); None otherwise.
    explanation:
        One or two sentences in the user's terms: what goes wrong and why.
    """

    configuration: str
    property_name: str
    statement: str
    verdict: str
    scenario: Scenario
    trace: Trace
    explanation: str
    fairness: str = ""
    loop_start: int | None = None
    notes: tuple[str, ...] = field(default=())
    #: The part of the explorer's state graph around the trace (a networkx
    #: DiGraph), if the explorer found it; the reports draw it.
    neighbourhood: Any = None

    @property
    def is_lasso(self) -> bool:
        return self.loop_start is not None

    def replay_command(self, scenario_path: str = "scenario.json") -> str:
        """The command that replays this counterexample in the simulator."""
        return f"python -m checks.verify --scenario {scenario_path}"
