"""``python -m checks.oracle localstack|powertools``: the conformance runs.

Each prints its positive controls, then every divergence found (the minimal
scenario, the rule, what was observed and what the model allows), and with
``--check-manifest`` compares the findings with the pinned manifest.  A divergence
is a finding, not a failure: the exit status is 1 only when the adapter is broken,
a control fails or the findings differ from the manifest; 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from checks.conformance import AdapterBroken
from checks.conformance.findings import Finding
from checks.conformance.manifest import compare, load_manifest, write_section
from checks.conformance.runs import Report, localstack_report, powertools_report
from checks.reporting import Reporter, Verbosity, format_table
from model.scenario_file import scenario_to_dict

__all__ = ["main", "SUBCOMMANDS"]

SUBCOMMANDS = ("localstack", "powertools")

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message}; see --help\n")


def build_parser(prog: str = "python -m checks.oracle") -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description="Play the model's scenarios on a real implementation and "
        "report every divergence from the model.",
    )
    parser.add_argument("implementation", choices=SUBCOMMANDS)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--source",
        choices=("kinesis", "dynamodb"),
        action="append",
        help="only this source (repeatable; default both)",
    )
    parser.add_argument(
        "--check-manifest",
        action="store_true",
        help="exit 1 if the findings differ from checks/conformance/manifest.json",
    )
    parser.add_argument(
        "--write-manifest",
        action="store_true",
        help="pin these findings in checks/conformance/manifest.json",
    )
    parser.add_argument(
        "--traces",
        metavar="DIR",
        help="write each finding's minimal trace (JSON Lines) and scenario into DIR",
    )
    parser.add_argument(
        "--markdown",
        metavar="FILE",
        help="write the findings as Markdown to FILE, or between its markers "
        "<!-- BEGIN IMPLEMENTATION --> and <!-- END IMPLEMENTATION --> if it has them",
    )
    level = parser.add_mutually_exclusive_group()
    level.add_argument("-q", "--quiet", action="store_true", help="results only")
    level.add_argument("-v", "--verbose", action="store_true", help="print traces")
    return parser


def main(
    argv: Sequence[str] | None = None, prog: str = "python -m checks.oracle"
) -> int:
    args = build_parser(prog).parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.check_manifest and args.write_manifest:
        print(
            f"{prog}: use --check-manifest or --write-manifest, not both",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    verbosity = (
        Verbosity.QUIET
        if args.quiet
        else Verbosity.VERBOSE
        if args.verbose
        else Verbosity.NORMAL
    )
    reporter = Reporter(verbosity)
    sources = tuple(args.source or ("kinesis", "dynamodb"))
    run = (
        localstack_report if args.implementation == "localstack" else powertools_report
    )
    try:
        report = run(sources, lambda text: reporter.progress(text, every=2.0))
    except AdapterBroken as error:
        reporter.error(f"error: {args.implementation} adapter broken: {error}")
        return EXIT_FAILED

    if args.json:
        print(json.dumps(_document(report), indent=2))
    else:
        _print(report, reporter)
    if args.traces:
        _write_traces(report, Path(args.traces))
    if args.markdown:
        write_markdown(Path(args.markdown), report)

    section = report.section()
    if args.write_manifest:
        if sources != ("kinesis", "dynamodb"):
            reporter.error("error: --write-manifest needs both sources")
            return EXIT_BAD_INPUT
        write_section(report.implementation, section)
        reporter.note(f"manifest: {report.implementation} section written")
    if args.check_manifest:
        pinned = load_manifest().get(report.implementation)
        problems = (
            compare(pinned, section) if sources == ("kinesis", "dynamodb") else []
        )
        for problem in problems:
            reporter.error(f"MANIFEST: {problem}")
        if problems:
            reporter.error(
                f"FAILED: {report.implementation} findings differ from the manifest; "
                "if the change is understood, update docs/conformance.md and run "
                "with --write-manifest"
            )
            return EXIT_FAILED
        reporter.note(f"manifest: {len(report.findings)} findings as pinned")
    return EXIT_OK


def _document(report: Report) -> dict[str, Any]:
    return {
        "implementation": report.implementation,
        "package": report.package,
        "version": report.version,
        "scenarios": report.scenarios,
        "controls": report.controls,
        "findings": [
            {
                **finding.to_json(),
                "scenario": scenario_to_dict(finding.scenario),
                "trace": finding.lines,
            }
            for finding in report.findings
        ],
        **report.extra,
    }


def _print(report: Report, reporter: Reporter) -> None:
    reporter.note(
        f"{report.package} {report.version}: {report.scenarios} scenarios, "
        f"{len(report.findings)} distinct divergences"
    )
    for control in report.controls:
        reporter.note(f"positive control: {control}")
    for number, finding in enumerate(report.findings, start=1):
        reporter.result()
        reporter.result(_finding_text(number, len(report.findings), finding, report))
        for line in finding.lines:
            reporter.detail("    " + json.dumps(line))
    if report.implementation == "powertools":
        reporter.result()
        reporter.result(_consequence_table(report, reporter.verbosity))


def _finding_text(number: int, total: int, finding: Finding, report: Report) -> str:
    found = finding.divergence
    lines = [
        f"divergence {number} of {total}: {found.signature}",
        f"  seen in {finding.count} of {report.scenarios} scenarios; minimal: "
        f"{finding.scenario.name}",
        f"  scenario:     {finding.scenario.description}",
        f"  where:        {found.where}",
        f"  observed:     {found.observed}",
        f"  model allows: {found.allowed}",
        f"  rule:         {found.rule}",
    ]
    if found.note:
        lines.append(f"  note:         {found.note}")
    lines += [f"  conforms if {alternative}" for alternative in found.alternatives]
    return "\n".join(lines)


def _consequence_table(report: Report, verbosity: Verbosity) -> str:
    rows = []
    for name, consequence in report.extra["consequences"].items():
        if verbosity < Verbosity.VERBOSE and not name.endswith("-raise-dataclass"):
            continue
        rows.append(
            [
                name,
                len(consequence["path"]),
                " ".join(consequence["processed_twice"]) or "-",
                " ".join(consequence["lost"]) or "-",
                " ".join(consequence["discarded"]) or "-",
            ]
        )
    headers = ["scenario", "invocations", "processed twice", "lost", "discarded"]
    title = "What the mapping does with Powertools' answers (model.simulator):"
    return title + "\n" + format_table(headers, rows)


def _write_traces(report: Report, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for number, finding in enumerate(report.findings, start=1):
        stem = f"{report.implementation}-{number:02d}"
        trace = "\n".join(json.dumps(line) for line in finding.lines) + "\n"
        (directory / f"{stem}.jsonl").write_text(trace, encoding="utf-8")
        scenario = json.dumps(scenario_to_dict(finding.scenario), indent=2) + "\n"
        (directory / f"{stem}.scenario.json").write_text(scenario, encoding="utf-8")


def write_markdown(path: Path, report: Report) -> None:
    """Write the findings into ``path``, between this run's markers if present."""
    name = report.implementation.upper()
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1]
        text = f"{head}{begin}\n{markdown(report)}\n{end}{tail}"
    else:
        text = markdown(report)
    path.write_text(text, encoding="utf-8")


def markdown(report: Report) -> str:
    """The findings as Markdown sections, each with its scenario and trace."""
    parts = [
        f"Tested: `{report.package}=={report.version}`, {report.scenarios} scenarios, "
        f"{len(report.findings)} distinct divergences.\n"
    ]
    for number, finding in enumerate(report.findings, start=1):
        found = finding.divergence
        parts.append(f"#### {report.implementation} {number}: `{found.signature}`\n")
        parts.append(
            f"Seen in {finding.count} of {report.scenarios} scenarios. Minimal "
            f"scenario `{finding.scenario.name}`: {finding.scenario.description}.\n"
        )
        parts.append(
            f"- where: {found.where}\n- observed: {found.observed}\n"
            f"- model allows: {found.allowed}\n- rule: {found.rule}\n"
        )
        for alternative in found.alternatives:
            parts.append(f"- conforms if {alternative}\n")
        if finding.lines:
            trace = "\n".join(json.dumps(line) for line in finding.lines)
            parts.append(f"\n```jsonl\n{trace}\n```\n")
    if "consequences" in report.extra:
        parts.append(_consequence_markdown(report.extra["consequences"]))
    return "\n".join(parts)


def _consequence_markdown(consequences: dict[str, Any]) -> str:
    """The Kinesis data-class runs as a table; DynamoDB's are pinned alike."""
    rows = [
        "| scenario | invocations (batch and outcome) | processed successfully "
        "more than once | lost | discarded |",
        "|---|---|---|---|---|",
    ]
    for name, item in consequences.items():
        if not name.startswith("kinesis-") or not name.endswith("-dataclass"):
            continue
        path = ", ".join(item["path"])
        rows.append(
            f"| `{name[len('kinesis-') : -len('-dataclass')]}` | {path} | "
            f"{' '.join(item['processed_twice']) or '-'} | "
            f"{' '.join(item['lost']) or '-'} | {' '.join(item['discarded']) or '-'} |"
        )
    return "\n".join(rows) + "\n"
