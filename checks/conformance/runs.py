"""The two conformance runs: the controls, the matrix, the findings and their section.

``localstack_report`` plays the scenario matrix on LocalStack's poller, judges each
trace with the oracle and shrinks each finding's scenario; ``powertools_report``
runs Powertools as the handler inside the simulator.  Each first runs its positive
control: a deliberate fault that must be caught, so an adapter that judges nothing
cannot pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checks.conformance import AdapterBroken
from checks.conformance.findings import Divergence, Finding, divergences_of, gather
from checks.conformance.matrix import header_for, matrix, scenario_size, shrink
from model.handler import ResponseStyle
from model.simulator import Scenario
from model.walkthroughs import walkthrough, with_mapping

__all__ = ["Report", "localstack_report", "powertools_report"]

Progress = Callable[[str], None]


@dataclass
class Report:
    """What one conformance run found, ready to print or to pin."""

    implementation: str
    package: str
    version: str
    scenarios: int
    controls: list[str]
    findings: list[Finding]
    extra: dict[str, Any] = field(default_factory=dict)

    def section(self) -> dict[str, Any]:
        """The manifest section: what a later run must find again."""
        return {
            "package": self.package,
            "version": self.version,
            "scenarios": self.scenarios,
            "findings": [
                {
                    "signature": finding.divergence.signature,
                    "count": finding.count,
                    "minimal": finding.scenario.name,
                }
                for finding in self.findings
            ],
            **self.extra,
        }


# -- LocalStack -----------------------------------------------------------------------


def _localstack_divergences(
    scenario: Scenario, **options: Any
) -> tuple[list[dict[str, Any]], list[Divergence]]:
    from checks.conformance.localstack_adapter import run_localstack

    run = run_localstack(scenario, header_for(scenario, _PRODUCER), **options)
    found = divergences_of(scenario, run.lines, run.destination_records)
    if run.crash:
        found.append(
            Divergence(
                f"crash | {run.crash.split(':')[0]}",
                "crash",
                f"the poller raised {run.crash}",
                "no exception escapes the poller",
            )
        )
    return run.lines, found


_PRODUCER = "localstack-core (in-process poller, shardcheck adapter)"


def _localstack_controls() -> list[str]:
    """Each deliberate fault must diverge, and the same run without it must not."""
    from checks.conformance.localstack_adapter import Sabotage

    checks = [
        (
            "article-whole-batch",
            Sabotage(hide_function_error=True),
            "FunctionError hidden",
        ),
        (
            "article-custom-once",
            Sabotage(flip_report_flag=True),
            "ReportBatchItemFailures flipped",
        ),
    ]
    results = []
    for name, sabotage, what in checks:
        # On Kinesis: LocalStack's DynamoDB destination records differ already.
        base = walkthrough(name)
        scenario = with_mapping(
            base, base.settings.mapping.with_changes(source="kinesis")
        )
        _, clean = _localstack_divergences(scenario)
        _, broken = _localstack_divergences(scenario, sabotage=sabotage)
        if clean:
            raise AdapterBroken(
                f"control {name}: the adapter finds a divergence without any fault "
                f"({clean[0].signature}); the control scenario no longer conforms"
            )
        if not broken:
            raise AdapterBroken(
                f"positive control {name}: with {what} the run still conforms, so "
                "the adapter judges nothing; it must be fixed"
            )
        results.append(f"{name} with {what}: caught ({broken[0].rule})")
    return results


def localstack_report(
    sources: tuple[str, ...] = ("kinesis", "dynamodb"), progress: Progress | None = None
) -> Report:
    """Run the controls and the matrix on LocalStack; one finding per signature."""
    from checks.conformance.localstack_adapter import check_localstack

    version = check_localstack()
    controls = _localstack_controls()
    runs = []
    for index, scenario in enumerate(matrix(sources), start=1):
        lines, found = _localstack_divergences(scenario)
        runs.append((scenario, lines, found))
        if progress is not None:
            progress(f"localstack: {index} scenarios played")
    findings = gather(runs, scenario_size)
    for finding in findings:
        _shrink(finding)
    return Report(
        "localstack", "localstack-core", version, len(runs), controls, findings
    )


def _shrink(finding: Finding) -> None:
    signature = finding.divergence.signature

    def keeps(scenario: Scenario) -> bool:
        return any(
            item.signature == signature for item in _localstack_divergences(scenario)[1]
        )

    smallest = shrink(finding.scenario, keeps)
    if smallest is finding.scenario:
        return
    lines, found = _localstack_divergences(smallest)
    finding.scenario = smallest
    finding.lines = lines
    finding.divergence = next(item for item in found if item.signature == signature)


# -- Powertools -----------------------------------------------------------------------


def _powertools_controls() -> list[str]:
    from checks.conformance.powertools_driver import (
        PowertoolsHandler,
        compare_responses,
    )
    from model.handler import POISON, FailurePattern
    from model.simulator import simulate

    base = walkthrough("article-whole-batch")
    every_record = FailurePattern(
        by_sequence={record.sequence_number: POISON for record in base.shard.records}
    )
    results = []
    for raise_all, must_differ in ((True, False), (False, True)):
        handler = PowertoolsHandler(
            every_record,
            ResponseStyle.REPORT_ALL_RAISE_IF_ALL,
            shard=base.shard,
            raise_on_entire_batch_failure=raise_all,
        )
        scenario = Scenario(
            f"control-raise-{raise_all}", base.settings, base.shard, handler
        )
        differences = compare_responses(simulate(scenario, step_limit=50))
        if bool(differences) != must_differ:
            raise AdapterBroken(
                "positive control: Powertools with raise_on_entire_batch_failure="
                f"{raise_all} judged against report_all_raise_if_all "
                f"{'conforms' if must_differ else 'diverges'}; the driver must be fixed"
            )
    results.append(
        "raise_on_entire_batch_failure=False judged as report_all_raise_if_all: caught"
    )
    return results


def powertools_report(
    sources: tuple[str, ...] = ("kinesis", "dynamodb"), progress: Progress | None = None
) -> Report:
    """Run Powertools as the handler; its answers and the mapping's consequences."""
    from checks.conformance.powertools_driver import (
        check_powertools,
        powertools_scenarios,
        run_powertools,
    )

    version = check_powertools()
    controls = _powertools_controls()
    runs = []
    consequences: dict[str, Any] = {}
    for index, scenario in enumerate(powertools_scenarios(sources), start=1):
        trace, differences, consequence = run_powertools(scenario)
        found = [
            Divergence(
                f"R2 response | {_shape(d.observed)} | {_shape(d.allowed)}",
                "handler response",
                d.observed,
                d.allowed,
                f"invocation {d.invocation} of {list(d.batch)}",
            )
            for d in differences
        ]
        lines = [json.loads(line) for line in _trace_lines(trace)]
        runs.append((scenario, lines, found))
        consequences[scenario.name] = consequence.to_json()
        if progress is not None:
            progress(f"powertools: {index} scenarios run")
    findings = gather(runs, scenario_size)
    return Report(
        "powertools",
        "aws-lambda-powertools",
        version,
        len(runs),
        controls,
        findings,
        {
            # The parser-model runs must match their data-class twins, so only
            # the twins are pinned, with the list of any that do not.
            "consequences": {
                name: value
                for name, value in consequences.items()
                if name.endswith("-dataclass")
            },
            "parser_disagreements": _parser_disagreements(consequences),
        },
    )


def _trace_lines(trace: Any) -> list[str]:
    from checks.oracle import trace_lines

    return list(trace_lines(trace))


def _shape(text: str) -> str:
    from checks.conformance.findings import signature_text

    return signature_text("", text, "").split(" | ")[1]


def _parser_disagreements(consequences: dict[str, Any]) -> list[str]:
    """Scenarios where the parser-model run and the data-class run part ways."""
    disagreements = []
    for name, consequence in consequences.items():
        if name.endswith("-parser"):
            twin = consequences.get(name[: -len("parser")] + "dataclass")
            if twin != consequence:
                disagreements.append(name)
    return disagreements
