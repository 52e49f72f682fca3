"""Proofs about the model for every shard length, batch size and retry limit, by z3.

``checks.proofs.encoding`` turns the rules into z3 terms, ``statements`` and
``bounds`` state what is proved, ``counterexamples`` the known-false statements, and
``section`` adds the "proofs" part to ``python -m checks.verify``.
"""

from checks.proofs.runner import ProofResult, Statement, prove

__all__ = ["ProofResult", "Statement", "prove"]
