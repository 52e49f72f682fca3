"""``python -m checks.oracle``: judge traces and handlers against the model.

``trace FILE...`` replays observed traces (docs/oracle.md); ``handler module:function``
drives a Python handler; ``emit --scenario FILE`` writes the model's own trace of a
scenario in the trace format.  Exit status: 0 conforming or no problem, 1 divergent or
problems found, 2 bad input (one line).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import NoReturn

from checks.reporting import Reporter, Verbosity
from model.errors import InvalidInput

__all__ = ["main", "build_parser"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message}; see --help\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m checks.oracle",
        description="Judge observed traces and Python handlers against the model.",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser
    )

    trace = commands.add_parser("trace", help="replay observed traces (JSON Lines)")
    trace.add_argument("files", nargs="+", metavar="FILE")
    trace.add_argument(
        "--allow-duplicates",
        action="store_true",
        help="skip redeliveries the model does not produce (at-least-once, G1) "
        "instead of reporting them",
    )
    trace.add_argument("--json", action="store_true", help="print JSON verdicts")
    trace.add_argument("-q", "--quiet", action="store_true", help="verdict lines only")

    handler = commands.add_parser("handler", help="drive a Python handler")
    handler.add_argument("target", metavar="module:function")
    handler.add_argument("--source", choices=["kinesis", "dynamodb"], required=True)
    handler.add_argument(
        "--config",
        metavar="FILE",
        help="mapping configuration(s): get-event-source-mapping JSON, "
        "CloudFormation or SAM template (YAML or JSON)",
    )
    handler.add_argument(
        "--examples", type=int, default=60, metavar="N", help="generated batches"
    )
    handler.add_argument(
        "--timeout",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="per-invocation timeout, as the function's (default 3, Lambda's "
        "default; at most 900); a handler still running is a function error",
    )
    handler.add_argument("--json", action="store_true", help="print JSON findings")

    emit = commands.add_parser("emit", help="write the model's trace of a scenario")
    emit.add_argument("--scenario", metavar="FILE", required=True)
    emit.add_argument(
        "--checkpoint-style",
        choices=["first_not_done", "last_done"],
        default="first_not_done",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] in (["localstack"], ["powertools"]):
        # Conformance runs against real implementations live in their own package
        # (checks/conformance, docs/conformance.md); they need an optional extra.
        from checks.conformance.cli import main as conformance_main

        return conformance_main(arguments)
    args = build_parser().parse_args(arguments)
    quiet = getattr(args, "quiet", False)
    reporter = Reporter(Verbosity.QUIET if quiet else Verbosity.NORMAL)
    try:
        if args.command == "trace":
            return _trace(args, reporter)
        if args.command == "handler":
            return _handler(args, reporter)
        return _emit(args, reporter)
    except InvalidInput as error:
        reporter.error(f"error: {error.one_line()}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        reporter.error("interrupted: stopped before finishing")
        return 130


def _trace(args: argparse.Namespace, reporter: Reporter) -> int:
    from checks.oracle.replay import judge
    from checks.oracle.traceformat import read_trace

    # Read every file first, so a bad one stops the run before any verdict.
    traces = [read_trace(path) for path in args.files]
    verdicts = [
        judge(trace, allow_duplicates=args.allow_duplicates) for trace in traces
    ]
    if args.json:
        print(json.dumps([_verdict_json(v) for v in verdicts], indent=2))
    else:
        for verdict in verdicts:
            reporter.result(verdict.report())
    return EXIT_OK if all(v.conforms for v in verdicts) else EXIT_FAILED


def _verdict_json(verdict: object) -> dict[str, object]:
    from dataclasses import asdict

    from checks.oracle.replay import Verdict

    assert isinstance(verdict, Verdict)
    data = asdict(verdict)
    data["conforms"] = verdict.conforms
    return data


def _handler(args: argparse.Namespace, reporter: Reporter) -> int:
    from checks.oracle.handlers import check_handler, load_handler
    from model.config import MappingConfig
    from model.loading import load_mappings

    if args.examples < 1:
        raise InvalidInput("must be a whole number >= 1", field="--examples")
    if not 0 < args.timeout <= 900:
        # 900 s is Lambda's largest function timeout; NaN fails both tests.
        raise InvalidInput(
            "must be a number of seconds above 0 and at most 900, "
            f"got {args.timeout:g}",
            field="--timeout",
        )
    configs: list[tuple[MappingConfig | None, str]] = [(None, "default mapping")]
    if args.config:
        try:
            configs = [
                (loaded.config.with_changes(source=args.source), loaded.name)
                for loaded in load_mappings(args.config)
            ]
        except InvalidInput as error:
            # A setting --source does not accept (AT_TIMESTAMP for DynamoDB).
            raise error.located(args.config) from None
    function, module = load_handler(args.target)
    reports = [
        check_handler(
            function,
            source=args.source,
            config=config,
            module=module,
            target=args.target,
            label=label,
            max_examples=args.examples,
            timeout=args.timeout,
        )
        for config, label in configs
    ]
    if args.json:
        from dataclasses import asdict

        documents = []
        for report in reports:
            data = asdict(report)
            data["config"] = report.config.describe()
            documents.append(data)
        print(json.dumps(documents, indent=2))
    else:
        for report in reports:
            reporter.result(report.report())
    return EXIT_FAILED if any(report.problems for report in reports) else EXIT_OK


def _emit(args: argparse.Namespace, reporter: Reporter) -> int:
    from checks.oracle.traceformat import trace_lines
    from model.scenario_file import load_scenario
    from model.simulator import simulate

    scenario, limit = load_scenario(args.scenario)
    trace = simulate(scenario, step_limit=limit)
    for line in trace_lines(trace, checkpoint_style=args.checkpoint_style):
        reporter.result(line)
    return EXIT_OK
