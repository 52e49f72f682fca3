"""The explorer: every reachable state of the model under every failure pattern.

``explore`` builds the graph (``checks.explore.graph``), ``check_all`` gives each
property's verdict on it (``checks.explore.verdicts``), and ``counterexample`` turns a
failing path into a trace the simulator replays.  docs/explorer.md explains the state
representation, the reductions and the properties.
"""

from checks.explore.counterexamples import counterexample
from checks.explore.graph import Exploration, Reductions, explore
from checks.explore.properties import PROPERTIES, PROPERTY_NAMES
from checks.explore.space import FailureSpace
from checks.explore.verdicts import Verdict, check, check_all

__all__ = [
    "explore",
    "Exploration",
    "Reductions",
    "FailureSpace",
    "PROPERTIES",
    "PROPERTY_NAMES",
    "Verdict",
    "check",
    "check_all",
    "counterexample",
]
