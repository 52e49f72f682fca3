"""The "proofs" part of ``python -m checks.verify``: every statement, for all sizes.

It checks each statement of ``checks.proofs.statements.all_statements`` with z3,
prints a table of results with their times, adds ``{"proofs": [...]}`` to the JSON
document, leaves the results in ``run.proofs`` for the explorer's "all sizes" column,
and appends every replayed counterexample to ``run.counterexamples``.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from checks.proofs.runner import ProofResult, prove
from checks.proofs.statements import all_statements
from checks.reporting import format_table
from checks.text import render_trace

__all__ = ["register", "run_proofs", "prove_all"]


def prove_all(rules: Any = None) -> list[ProofResult]:
    """Check every statement under ``rules`` (default: the model's rule table).

    >>> results = prove_all()
    >>> all(result.as_expected for result in results)
    True
    """
    return [prove(statement, rules) for statement in all_statements()]


def run_proofs(run: Any) -> None:
    """The section: prove, report, and record the results on ``run``."""
    results = []
    for statement in all_statements():
        run.reporter.progress(f"proving {statement.key}")
        result = prove(statement)
        results.append(result)
        run.proofs.append(result)
        if result.counterexample is not None:
            run.counterexamples.append(result.counterexample)
        if not result.as_expected:
            wanted = "a proof" if result.expected == "holds" else "a counterexample"
            why = f": {result.reason}" if result.reason else ""
            run.fail(
                f"proof '{result.key}' expected {wanted}, got {result.result}"
                f"{why} ({result.failed_obligation or 'all obligations'})"
            )
    run.document["proofs"] = [result.to_json() for result in results]
    if not run.args.json:
        _print(run, results)


def _print(run: Any, results: list[ProofResult]) -> None:
    total = sum(result.seconds for result in results)
    run.reporter.note(
        f"== proofs: {len(results)} statements for every shard length N >= 1, "
        "BatchSize B >= 1 and MaximumRetryAttempts R >= 0 (z3)"
    )
    rows = []
    for result in results:
        shown = result.result
        if result.result == "unknown":
            shown += f" ({result.reason}, limit {result.time_limit:g} s)"
        rows.append(
            [
                result.key,
                result.property_name,
                result.expected,
                shown + ("" if result.as_expected else "  <-- unexpected"),
                f"{result.seconds:.2f}",
            ]
        )
    headers = ["statement", "property", "expected", "result", "seconds"]
    run.reporter.result(format_table(headers, rows))
    run.reporter.note(f"   total {total:.2f} s; statements in docs/proofs.md")
    for result in results:
        run.reporter.detail(f"   {result.key}: {result.statement}")
        run.reporter.detail(f"      assumes {result.assumes}")
        example = result.counterexample
        if example is not None:
            loop = (
                f"; loops from step {example.loop_start + 1}"
                if example.loop_start is not None
                else ""
            )
            run.reporter.note(
                f"   {result.key}: counterexample {example.scenario.handler.describe()}"
                f", {example.configuration}{loop}: {example.explanation}"
            )
            run.reporter.detail(render_trace(example.trace.to_json()))
    run.reporter.result()


def register(sections: MutableMapping[str, Callable[[Any], None]]) -> None:
    sections["proofs"] = run_proofs
