"""``python -m checks.verify``: the main job.

It runs the golden walkthroughs (or a user's scenario, or the walkthroughs under a
user's mapping configuration), prints each as a readable trace and a summary table,
and with ``--json`` prints one JSON document instead.  Exit status: 0 when everything
matched what was expected, 1 when a check failed, 2 on bad input.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from checks.counterexample import Counterexample
from checks.reporting import Reporter, Verbosity, format_table
from checks.text import render_trace, span
from model.errors import InvalidInput
from model.simulator import DEFAULT_STEP_LIMIT, Scenario, Trace, simulate
from model.walkthroughs import walkthroughs, with_mapping

__all__ = ["main", "Run", "SECTIONS"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        # A control character in an argument would break the one line: escape it.
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {shown}; see --help\n")


@dataclass
class Run:
    """What one invocation of the command collects: JSON sections and its status."""

    args: argparse.Namespace
    reporter: Reporter
    document: dict[str, Any] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    #: The simulator's traces of the walkthroughs or scenarios, for the reports.
    traces: list[Trace] = field(default_factory=list)
    #: Failing and vacuous verdicts with their traces, for the reports.
    counterexamples: list[Counterexample] = field(default_factory=list)
    #: Results of the all-sizes proofs (``checks.proofs``), for the verdict table.
    proofs: list[Any] = field(default_factory=list)

    def fail(self, reason: str) -> None:
        self.failed.append(reason)


def _step_limit(text: str) -> int:
    """``--step-limit``: a whole number in range, so a run stays in bounded memory."""
    from model.scenario_file import MAX_STEP_LIMIT

    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_STEP_LIMIT:
        raise argparse.ArgumentTypeError(
            f"must be a whole number 1..{MAX_STEP_LIMIT}, got {text!r}"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m checks.verify",
        description="Run shardcheck's walkthroughs, explorer and proofs.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="a mapping configuration (get-event-source-mapping JSON, "
        "CloudFormation Properties, or a template) to check instead of the defaults",
    )
    parser.add_argument(
        "--scenario", metavar="FILE", help="run one scenario described in JSON"
    )
    parser.add_argument(
        "--step-limit",
        type=_step_limit,
        default=None,
        metavar="N",
        help=f"steps before a run is reported blocked (default {DEFAULT_STEP_LIMIT})",
    )
    parser.add_argument(
        "--only",
        choices=sorted(SECTIONS),
        action="append",
        help="run only these parts (repeatable)",
    )
    parser.add_argument("--out", metavar="DIR", help="write reports into DIR")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="with --config: exit 1 if any property fails",
    )
    level = parser.add_mutually_exclusive_group()
    level.add_argument("-q", "--quiet", action="store_true", help="results only")
    level.add_argument("-v", "--verbose", action="store_true", help="more detail")
    return parser


# -- the walkthroughs and scenarios --------------------------------------------------


def _scenarios(run: Run) -> tuple[str, list[tuple[Scenario, int]]]:
    """The scenarios to simulate and the JSON key they go under."""
    limit = run.args.step_limit or DEFAULT_STEP_LIMIT
    if run.args.scenario:
        from model.scenario_file import check_run_size, load_scenario

        scenario, file_limit = load_scenario(run.args.scenario)
        if run.args.step_limit:
            check_run_size(len(scenario.shard), limit, field="--step-limit")
        return "scenarios", [(scenario, run.args.step_limit or file_limit)]
    scenarios = walkthroughs()
    if run.args.config:
        from checks.configs import load_mappings_for_cli

        mappings = load_mappings_for_cli(run.args.config)
        # the walkthroughs' own descriptions name their original settings
        scenarios = [
            with_mapping(
                scenario,
                mapping,
                name=f"{scenario.name}@{label}" if len(mappings) > 1 else None,
                description=f"the failure pattern of {scenario.name} "
                f"({scenario.handler.describe()}) under {label}'s settings",
            )
            for label, mapping in mappings
            for scenario in scenarios
        ]
    return "walkthroughs", [(scenario, limit) for scenario in scenarios]


def run_walkthroughs(run: Run) -> None:
    key, scenarios = _scenarios(run)
    documents = []
    rows = []
    for scenario, limit in scenarios:
        trace = simulate(scenario, step_limit=limit)
        run.traces.append(trace)
        document = trace.to_json()
        documents.append(document)
        if not run.args.json:
            run.reporter.note(render_trace(document))
            run.reporter.note()
        rows.append(
            [
                scenario.name,
                len(document["invocations"]),
                " ".join(span(batch) for batch in document["discarded"]) or "-",
                document["final_checkpoint"],
                _ending(document),
                len(document["lost"]),
            ]
        )
    run.document[key] = documents
    if not run.args.json:
        headers = ["scenario", "invocations", "discarded", "checkpoint", "end", "lost"]
        run.reporter.result(format_table(headers, rows))
        run.reporter.result()


def _ending(document: dict[str, Any]) -> str:
    """How a replayed run ended: finished, blocked, or cut short by the step limit."""
    if not document["blocked"]:
        return "finished"
    return "step limit" if document.get("cut") else "blocked"


#: The parts of the main job, in the order they run.  Later parts (the explorer's
#: verdicts, the proofs) register themselves here.
SECTIONS: dict[str, Callable[[Run], None]] = {"walkthroughs": run_walkthroughs}


def _register_optional_sections() -> None:
    """Load the parts that live in their own modules, if they are installed."""
    from checks.sections import register

    register(SECTIONS)


def _interrupted(run: Run, selected: Sequence[str], finished: list[str]) -> str:
    """One line after Ctrl-C: what was checked so far, and that nothing was written."""
    stopped = next(
        (name for name in SECTIONS if name in selected and name not in finished), "?"
    )
    counts = [
        f"{len(run.traces)} traces",
        f"{len(run.proofs)} proofs",
        f"{len(run.counterexamples)} counterexamples",
    ]
    written = f"; nothing was written to {run.args.out}" if run.args.out else ""
    return (
        f"interrupted during {stopped}: finished {', '.join(finished) or 'no part'}"
        f" ({', '.join(counts)} so far){written}"
    )


def _refuse_ignored_options(
    parser: argparse.ArgumentParser, args: argparse.Namespace, arguments: list[str]
) -> None:
    """A usage error for options that would otherwise be silently ignored."""
    names = [item.split("=", 1)[0] for item in arguments]
    if "--" in names:
        names = names[: names.index("--")]
    for option in ("--config", "--scenario", "--out", "--step-limit"):
        # argparse accepts unambiguous prefixes (--scen) and keeps the last value.
        given = [name for name in names if len(name) > 2 and option.startswith(name)]
        if len(given) > 1:
            parser.error(f"{option} given {len(given)} times; give it once")
    if args.config and args.scenario:
        parser.error(
            "--config and --scenario together: a scenario file carries its own "
            "mapping; give one of them"
        )
    if args.out is not None and not args.out.strip():
        parser.error("--out: give a folder name")
    if args.strict and not args.config:
        parser.error("--strict applies to the properties of --config; add --config")


#: Parts whose work runs in native code (z3) and writes nothing: Ctrl-C there ends
#: the process at once, since unwinding while a solver thread still holds z3's
#: context can crash the interpreter ("double free", a segmentation fault).
_EXIT_AT_ONCE = frozenset({"proofs"})

#: What the running command has done so far, for the Ctrl-C handler.
_progress: dict[str, Any] = {}


def _raise_interrupt(signum: int, frame: Any) -> None:
    """Ctrl-C: say what was checked, then stop.

    In a native part run as a script, print the one line and leave at once;
    elsewhere raise KeyboardInterrupt so each part can print its partial results
    and clean up.  An interrupt inside a z3 call can leave half-built z3 objects
    whose finalisers complain when collected; those complaints are silenced, since
    they would only bury the line that says what was checked.
    """
    run = _progress.get("run")
    native = _progress.get("section") in _EXIT_AT_ONCE
    if run is not None and native and _progress.get("as_script"):
        run.reporter.error(
            _interrupted(run, _progress["selected"], _progress["finished"])
        )
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.unraisablehook = lambda unraisable: None
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the main job; returns the exit status."""
    if threading.current_thread() is not threading.main_thread():
        return _main(argv)
    previous = signal.signal(signal.SIGINT, _raise_interrupt)
    try:
        return _main(argv)
    finally:
        signal.signal(signal.SIGINT, previous)


def _main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["compare"]:
        from checks.reports.compare import main as compare_main

        return compare_main(arguments[1:])

    _register_optional_sections()
    parser = build_parser()
    args = parser.parse_args(arguments)
    _refuse_ignored_options(parser, args, arguments)
    verbosity = (
        Verbosity.QUIET
        if args.quiet
        else Verbosity.VERBOSE
        if args.verbose
        else Verbosity.NORMAL
    )
    reporter = Reporter(verbosity)
    run = Run(args, reporter)

    selected = args.only or list(SECTIONS)
    if args.scenario:
        selected = ["walkthroughs"]
    if args.out and "reports" in SECTIONS and "reports" not in selected:
        # --out asks for the reports whatever parts were chosen (or --scenario).
        selected = [*selected, "reports"]
    finished: list[str] = []
    _progress.update(run=run, selected=selected, finished=finished)
    try:
        for name in SECTIONS:
            if name in selected:
                _progress["section"] = name
                SECTIONS[name](run)
                finished.append(name)
        _progress["section"] = None
    except InvalidInput as error:
        reporter.error(f"error: {error.one_line()}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        reporter.error(_interrupted(run, selected, finished))
        return 130
    except ctypes.ArgumentError as error:
        # Ctrl-C that lands while z3's C API converts an argument surfaces as
        # ctypes.ArgumentError("... KeyboardInterrupt ..."): still an interrupt.
        if "KeyboardInterrupt" not in str(error):
            raise
        reporter.error(_interrupted(run, selected, finished))
        return 130

    if args.json:
        print(json.dumps(run.document, indent=2))
    for reason in run.failed:
        reporter.error(f"FAILED: {reason}")
    return EXIT_FAILED if run.failed else EXIT_OK


if __name__ == "__main__":
    _progress["as_script"] = True
    status = main()
    if status == 130:
        # A z3 check stopped by Ctrl-C can leave native state that crashes the
        # interpreter's teardown ("double free"); the run is over and its last line
        # printed, so leave without the teardown.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)
