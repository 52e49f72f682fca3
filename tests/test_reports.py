"""Tests of the reports written by ``python -m checks.verify --out DIR``.

Expected batches, checkpoints and counts are worked out by hand from
``/work/shared/semantics.md`` ("The seed's walkthroughs" and R7), never copied from
the code's output.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import html5lib
import networkx as nx
import pytest

from checks.counterexample import Counterexample
from checks.reports import write_reports
from checks.reports.atomic import MARKER, staged_directory
from checks.reports.content import subject_from_counterexample, subject_from_trace
from checks.reports.graph import graph_svg, layered_layout
from checks.reports.itf import trace_to_itf
from checks.reports.timeline import timeline_svg
from checks.verify import main as verify_main
from model.config import INFINITE, MappingConfig, Settings, Timing
from model.errors import InvalidInput
from model.handler import POISON, FailurePattern, Handler, ResponseStyle
from model.records import Shard
from model.simulator import Scenario, simulate
from model.walkthroughs import walkthrough

SVG = "{http://www.w3.org/2000/svg}"

# Batches of every invocation, worked out by hand from semantics.md.
EXPECTED_BATCHES = {
    # 1. Whole batch, 6th record fails, MaximumRetryAttempts 2: R+1 = 3 invocations.
    "article-whole-batch": ["1..10", "1..10", "1..10"],
    # 2. Bisect, 6th position fails: [1..10] fails, both halves of 5 succeed.
    "article-bisect-position": ["1..10", "1..5", "6..10"],
    # 3. Bisect, record 5 poison: ceil(n/2) halves, lower half first, [5] 1+2 times.
    "article-bisect-record": [
        "1..10",
        "1..5",
        "1..3",
        "4..5",
        "4",
        "5",
        "5",
        "5",
        "6..10",
    ],
    # 4. Custom checkpoint, 4th record of every batch fails and is reported.
    "article-custom-checkpoint": ["1..10", "4..10", "7..10", "10"],
    # 5. Custom checkpoint, record 6 fails once.
    "article-custom-once": ["1..10", "6..10"],
    # R7 recorded case: BatchSize 3, record 6 reported, retries 3: [6] alone 4 times.
    "recorded-partial-retry": ["1..3", "4..6", "6", "6", "6", "6"],
}

EXPECTED_CHECKPOINTS = {
    "article-whole-batch": ["1", "1", "11"],
    "article-bisect-position": ["1", "6", "11"],
    "article-custom-checkpoint": ["4", "7", "10", "11"],
    "article-custom-once": ["6", "11"],
    "recorded-partial-retry": ["4", "6", "6", "6", "6", "7"],
}


def _rows(svg_text: str) -> list[ET.Element]:
    root = ET.fromstring(svg_text)
    return [
        element
        for element in root.iter(f"{SVG}g")
        if element.get("class") == "invocation"
    ]


def _timeline(html: str) -> str:
    """The first inline SVG of a report page: the timeline."""
    return html.split('<div class="figure">')[1].split("</div>")[0]


def _md_steps(markdown: str) -> list[list[str]]:
    section = markdown.split("## Steps", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "reports"
    traces = [simulate(walkthrough(name)) for name in EXPECTED_BATCHES]
    write_reports(out, traces=traces, counterexamples=[_lasso()])
    return out


def _lasso() -> Counterexample:
    """Whole batch, infinite retries, unbounded retention: blocked forever."""
    mapping = MappingConfig(
        batch_size=10, maximum_retry_attempts=INFINITE, source="kinesis"
    )
    scenario = Scenario(
        name="blocked-forever",
        settings=Settings(mapping=mapping, timing=Timing(retention_seconds=None)),
        shard=Shard.numbered(10, "kinesis"),
        handler=Handler(FailurePattern(by_sequence={"3": POISON}), ResponseStyle.THROW),
    )
    trace = simulate(scenario, step_limit=6)
    return Counterexample(
        configuration="BatchSize=10 retries=inf",
        property_name="progress",
        statement="Every record is eventually done.",
        verdict="fails",
        scenario=scenario,
        trace=trace,
        explanation="Record 3 fails forever and nothing ends the retries.",
        fairness="the mapping keeps invoking",
        loop_start=1,
    )


@pytest.mark.parametrize("name", list(EXPECTED_BATCHES))
def test_walkthrough_report_shows_the_hand_worked_batches(
    reports: Path, name: str
) -> None:
    folder = reports / "walkthroughs" / name
    rows = _rows(_timeline((folder / "report.html").read_text()))
    assert [row.get("data-batch") for row in rows] == EXPECTED_BATCHES[name]
    assert [row.get("data-number") for row in rows] == [
        str(number) for number in range(1, len(EXPECTED_BATCHES[name]) + 1)
    ]
    steps = _md_steps((folder / "report.md").read_text())
    batches = [step[1].strip("[]").replace(", ", "..") for step in steps]
    assert batches == EXPECTED_BATCHES[name]
    if name in EXPECTED_CHECKPOINTS:
        after = [step[4].split(" → ")[1] for step in steps]
        assert after == EXPECTED_CHECKPOINTS[name]
        assert [row.get("data-checkpoint-after") for row in rows] == (
            EXPECTED_CHECKPOINTS[name]
        )


def test_custom_checkpoint_report_reads_like_the_article(reports: Path) -> None:
    markdown = (
        reports / "walkthroughs/article-custom-checkpoint/report.md"
    ).read_text()
    steps = _md_steps(markdown)
    # The handler reports the 4th record of each batch: 4, 7, 10, then none.
    assert [step[2] for step in steps] == [
        "batchItemFailures: 4",
        "batchItemFailures: 7",
        "batchItemFailures: 10",
        "batchItemFailures: none",
    ]
    assert [step[3] for step in steps] == ["partial_failure"] * 3 + ["success"]
    # Every invocation moved the checkpoint, so no retry is ever used and the
    # budget stays at 2 (R7).
    assert [step[6] for step in steps] == ["0 (2 left)"] * 4
    assert "BatchSize | 10" in markdown
    assert "MaximumRetryAttempts | 2" in markdown
    svg = (reports / "walkthroughs/article-custom-checkpoint/report.html").read_text()
    # "No record that succeeded is delivered again": no amber box anywhere.
    assert 'class="record again"' not in svg


def test_retries_column_says_used_and_left(reports: Path) -> None:
    # semantics.md walkthrough 1: MaximumRetryAttempts 2, the batch fails three
    # times: the first invocation and two retries.  Used counts the retries
    # before each invocation (as the console's column does), left is 2 - used.
    folder = reports / "walkthroughs/article-whole-batch"
    markdown = (folder / "report.md").read_text()
    header = markdown.split("## Steps", 1)[1].split("\n| #", 1)[1].splitlines()[0]
    assert "retries used (left)" in header
    steps = _md_steps(markdown)
    assert [step[6] for step in steps] == ["0 (2 left)", "1 (1 left)", "2 (0 left)"]
    html = (folder / "report.html").read_text()
    assert "<th>retries used (left)</th>" in html
    assert "<td>2 (0 left)</td>" in html
    # Unlimited retries: the count goes on with no "left": 0, 1, 2, ...
    lasso = (reports / "verdicts").iterdir().__next__() / "report.md"
    used = [step[6] for step in _md_steps(lasso.read_text())]
    assert used == [f"{n} (no limit)" for n in range(6)]


def test_whole_batch_marks_records_delivered_again_and_discarded(
    reports: Path,
) -> None:
    html = (reports / "walkthroughs/article-whole-batch/report.html").read_text()
    root = ET.fromstring(_timeline(html))
    rows = [g for g in root.iter(f"{SVG}g") if g.get("class") == "invocation"]
    kinds = [
        {
            rect.get("data-record"): rect.get("class", "").split()[1]
            for rect in row.iter(f"{SVG}rect")
            if rect.get("data-record")
        }
        for row in rows
    ]
    # Records 1..5 succeed in #1 and come again in #2 and #3; 6 fails each time;
    # 7..10 are never reached because the handler throws at 6.
    assert [kinds[0][str(n)] for n in range(1, 11)] == (
        ["processed"] * 5 + ["failed"] + ["unreached"] * 4
    )
    for later in kinds[1:]:
        assert [later[str(n)] for n in range(1, 11)] == (
            ["again"] * 5 + ["failed"] + ["unreached"] * 4
        )
    discarded = [
        rect.get("data-record")
        for rect in rows[2].iter(f"{SVG}rect")
        if rect.get("data-discarded") == "true"
    ]
    assert discarded == [str(n) for n in range(1, 11)]


def test_every_html_page_parses_strictly_and_every_svg_as_xml(reports: Path) -> None:
    pages = sorted(reports.rglob("*.html"))
    assert len(pages) == len(EXPECTED_BATCHES) + 2  # reports, the lasso, the index
    for page in pages:
        html5lib.HTMLParser(strict=True).parse(page.read_text())
        text = page.read_text()
        assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "https://" not in text and "<script" not in text
    graphs = sorted(reports.rglob("graph.svg"))
    assert len(graphs) == len(EXPECTED_BATCHES) + 1
    for graph in graphs:
        assert ET.parse(graph).getroot().tag == f"{SVG}svg"


def test_pages_fit_a_narrow_window(reports: Path) -> None:
    html = (reports / "walkthroughs/article-bisect-record/report.html").read_text()
    # Drawings shrink to their column (viewBox kept), wide tables scroll in a box.
    for svg in re.findall(r"<svg [^>]*>", html):
        assert 'viewBox="0 0 ' in svg and "max-width: 100%" in svg
    assert '<div class="wide"><table><thead><tr><th>#</th>' in html
    assert ".wide { max-width: 100%; overflow-x: auto; }" in html
    index = (reports / "index.html").read_text()
    assert index.count('<div class="wide"><table>') == index.count("<table>")


def test_itf_trace_of_a_walkthrough(reports: Path) -> None:
    itf = json.loads(
        (reports / "walkthroughs/article-bisect-record/trace.itf.json").read_text()
    )
    assert set(itf) == {"#meta", "vars", "states"}
    # Initial state plus one per invocation: 1 + 9.
    assert len(itf["states"]) == 10
    for index, state in enumerate(itf["states"]):
        assert state["#meta"]["index"] == index
        assert set(state) - {"#meta"} == set(itf["vars"])
    final = itf["states"][-1]
    deliveries = dict(final["deliveries"]["#map"])
    # semantics.md walkthrough 3: record 4 is delivered four times.
    assert deliveries["4"] == {"#bigint": "4"}
    # Record 5: [1..10], [1..5], [4,5], then [5] three times.
    assert deliveries["5"] == {"#bigint": "6"}
    assert final["checkpoint"] == "11"
    assert final["destination"] == [
        {
            "first": "5",
            "last": "5",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": {"#bigint": "3"},
        }
    ]


def test_lasso_report_marks_the_loop(reports: Path) -> None:
    folders = list((reports / "verdicts").iterdir())
    assert len(folders) == 1
    folder = folders[0]
    itf = json.loads((folder / "trace.itf.json").read_text())
    # Six invocations of [1..10]; the loop starts at state 1 (batch pending) and
    # the last state steps back to it, so the state after the 6th is left out.
    assert itf["loop"] == 1
    assert len(itf["states"]) == 6
    assert itf["states"][1]["pending"][0]["first"] == "1"
    html = (folder / "report.html").read_text()
    rows = _rows(_timeline(html))
    assert [row.get("data-in-loop") for row in rows] == [None] + ["true"] * 5
    assert "loop: repeats forever" in html
    markdown = (folder / "report.md").read_text()
    assert [step[0] for step in _md_steps(markdown)] == [
        "1",
        "2 ↻",
        "3 ↻",
        "4 ↻",
        "5 ↻",
        "6 ↻",
    ]
    document = json.loads((folder / "trace.json").read_text())
    assert (document["property"], document["verdict"]) == ("progress", "fails")
    assert document["loop_start"] == 1 and document["blocked"] is True
    graph = ET.parse(folder / "graph.svg").getroot()
    labels = [text.text or "" for text in graph.iter(f"{SVG}text")]
    assert any("loops back" in label for label in labels)


def test_index_lists_every_report(reports: Path) -> None:
    index = (reports / "index.md").read_text()
    links = re.findall(r"\[report\]\(([^)]+)\)", index)
    assert len(links) == len(EXPECTED_BATCHES) + 1
    for link in links:
        assert (reports / link).is_file()
    assert "| progress | BatchSize=10 retries=inf | fails |" in index
    assert index.index("## Walkthroughs") < index.index("## Verdicts")
    html = (reports / "index.html").read_text()
    assert html.count('href="walkthroughs/') == len(EXPECTED_BATCHES)


def test_index_links_the_explorer_verdict_table(tmp_path: Path) -> None:
    lasso = _lasso()
    verdicts = [
        {
            "configuration": "BatchSize=10 retries=inf",
            "property": "progress",
            "verdict": "fails",
        },
        {
            "configuration": "BatchSize=10 retries=2",
            "property": "progress",
            "verdict": "holds",
        },
    ]
    rows = write_reports(tmp_path / "out", counterexamples=[lasso], verdicts=verdicts)
    assert [(row.verdict, bool(row.link)) for row in rows] == [
        ("fails", True),
        ("holds", False),
    ]


def test_index_detail_is_cut_at_a_clause_not_mid_sentence(tmp_path: Path) -> None:
    detail = (
        "records are discarded together with the failing record (step 3: record 1 "
        "failed and the handler reported failed records of this batch; the lowest "
        "reported record is 1, so the checkpoint stays at 1 (R6); its retries are "
        "used up (3 invocations counted), so records 1..4 are discarded and "
        "described in a destination record (R9))"
    )
    verdicts = [
        {"configuration": "c", "property": "p", "verdict": "fails", "detail": detail}
    ]
    write_reports(tmp_path / "out", verdicts=verdicts)
    index = (tmp_path / "out/index.md").read_text()
    row = next(line for line in index.splitlines() if line.startswith("| p | c |"))
    shown = row.split(" | ")[3]
    # Cut after the last clause ending in ";" within 200 characters, marked with
    # an ellipsis, its open parenthesis closed.
    assert shown == (
        "records are discarded together with the failing record (step 3: record 1 "
        "failed and the handler reported failed records of this batch; …)"
    )
    # The page shows the whole sentence and lets the browser wrap it.
    html = (tmp_path / "out/index.html").read_text()
    assert f'<td class="detail">{detail}</td>' in html


def test_a_vacuous_verdict_gets_a_report_without_a_trace(tmp_path: Path) -> None:
    from checks.explore.matrix import default_matrix

    cells = {cell.label: cell for cell in default_matrix()}
    twin = "a batch is discarded because its retries ran out"
    verdicts = [
        {
            "configuration": "whole/R2/throw",
            "property": "bisect_isolates_poison",
            "verdict": "vacuous",
            "states": 7,
            "detail": f"nothing breaks it, but vacuously: no run reaches {twin}",
        },
        {"configuration": "whole/R2/throw", "property": "progress", "verdict": "holds"},
    ]
    properties = [
        {
            "name": "bisect_isolates_poison",
            "statement": "The discarded batch is the failing record alone.",
            "fairness": "none",
            "twin": twin,
        }
    ]
    out = tmp_path / "out"
    rows = write_reports(out, verdicts=verdicts, properties=properties, cells=cells)
    assert [(row.verdict, bool(row.link)) for row in rows] == [
        ("vacuous", True),
        ("holds", False),
    ]
    folder = out / rows[0].link.rsplit("/", 1)[0]
    assert sorted(p.name for p in folder.iterdir()) == [
        "report.html",
        "report.md",
        "verdict.json",
    ]
    markdown = (folder / "report.md").read_text()
    assert markdown.startswith("# bisect_isolates_poison vacuous on whole/R2/throw\n")
    # The configuration: the matrix's cells have BatchSize 4 over 6 records, and
    # R2 means MaximumRetryAttempts 2; the property, and the twin never reached.
    assert "| BatchSize | 4 |" in markdown
    assert "| MaximumRetryAttempts | 2 |" in markdown
    assert "6 records (1..6)" in markdown
    assert "The discarded batch is the failing record alone." in markdown
    why = markdown.split("## Why it is vacuous", 1)[1]
    assert "in any of the 7 reachable states" in why
    assert f"reachability twin either: {twin}." in why
    assert "No trace" in markdown and "## Steps" not in markdown
    html = (folder / "report.html").read_text()
    html5lib.HTMLParser(strict=True).parse(html)
    assert "<svg" not in html and "vacuous" in html
    document = json.loads((folder / "verdict.json").read_text())
    assert (document["verdict"], document["twin"], document["trace"]) == (
        "vacuous",
        twin,
        None,
    )


def test_every_vacuous_verdict_of_the_explorer_has_a_report(tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert verify_main(["--only", "explore", "--quiet", "--out", str(out)]) == 0
    index = (out / "index.md").read_text()
    vacuous = [line for line in index.splitlines() if "| vacuous |" in line]
    assert vacuous
    for line in vacuous:
        link = re.search(r"\[report\]\(([^)]+)\)", line)
        assert link is not None, line
        page = (out / link.group(1)).read_text()
        assert "Why it is vacuous" in page and "Configuration" in page


def test_neighbourhood_graph_is_drawn_with_the_trace_highlighted() -> None:
    lasso = _lasso()
    trace = lasso.trace
    states = [trace.initial] + [step.after for step in trace.transitions]
    graph = nx.DiGraph()
    for before, after in zip(states, states[1:], strict=False):
        graph.add_edge(before, after, label="retry")
    off_trace = trace.initial.with_changes(checkpoint=3, iterator=3)
    graph.add_edge(states[0], off_trace, label="elsewhere")
    subject = subject_from_counterexample(
        Counterexample(**{**lasso.__dict__, "neighbourhood": graph})
    )
    root = ET.fromstring(graph_svg(subject))
    classes = [g.get("class", "") for g in root.iter(f"{SVG}g")]
    assert len(classes) == len(states) + 1
    assert sum("on-trace" in name for name in classes) == len(states)


def _graph_nodes(svg: str) -> list[tuple[str, list[str]]]:
    root = ET.fromstring(svg)
    return [
        (g.get("class", ""), [t.text or "" for t in g.iter(f"{SVG}text")])
        for g in root.iter(f"{SVG}g")
        if "state" in g.get("class", "").split()
    ]


def test_walkthrough_graph_labels_each_state_by_checkpoint_and_pending(
    reports: Path,
) -> None:
    svg = (reports / "walkthroughs/article-custom-checkpoint/graph.svg").read_text()
    nodes = _graph_nodes(svg)
    # semantics.md walkthrough 4: the 4th record of each batch is reported, so the
    # checkpoint goes 1, 4, 7, 10, 11 and the rest of the shard waits as one batch
    # with no retry used yet (every invocation moved the checkpoint).
    assert [lines[1] for _, lines in nodes] == [
        "ckpt 1 | nothing pending",
        "ckpt 4 | [4..10]·0",
        "ckpt 7 | [7..10]·0",
        "ckpt 10 | [10]·0",
        "ckpt 11 | nothing pending",
    ]
    assert [lines[2] for _, lines in nodes] == [
        "none done",
        "done 1..3",
        "done 1..6",
        "done 1..9",
        "done 1..10",
    ]
    assert nodes[0][1][0] == "state 0 — initial state"
    assert nodes[-1][1][0] == "state 4 — end of the trace"
    assert "end" in nodes[-1][0].split() and "initial" in nodes[0][0].split()


def test_explorer_graph_nodes_can_be_told_apart_and_mark_the_loop() -> None:
    from checks.explore.counterexamples import counterexample
    from checks.explore.matrix import default_matrix, explore_cell
    from checks.explore.verdicts import check_all

    cell = next(c for c in default_matrix() if c.label == "whole/inf/throw")
    exploration = explore_cell(cell)
    progress = next(v for v in check_all(exploration) if v.property_name == "progress")
    example = counterexample(exploration, progress, progress.paths[0], "c", "x")
    nodes = _graph_nodes(graph_svg(subject_from_counterexample(example)))
    by_name = {lines[0].split(" — ")[0]: (css, lines) for css, lines in nodes}
    # 6 records, BatchSize 4, a handler that throws, unlimited retries: the first
    # batch is [1..4] and a poison record in it keeps it pending at checkpoint 1
    # forever (retries are not counted, so no "·n"); success moves it to 5.
    assert by_name["s0"][1] == ["s0 — start", "the failure pattern is chosen"]
    assert by_name["s1"][1][:2] == ["s1 — initial state", "ckpt 1 | nothing pending"]
    loop = [lines for css, lines in nodes if "loop" in css.split()]
    assert loop == [["s2 — loop ↻", "ckpt 1 | [1..4]", "none done"]]
    assert ["ckpt 5 | nothing pending", "done 1..4"] in [
        lines[1:] for _, lines in nodes
    ]
    # No state is labelled by its checkpoint alone any more.
    assert all(lines[1] != "checkpoint 1" for _, lines in nodes)
    on_path = [lines[1:] for css, lines in nodes if "on-trace" in css.split()]
    assert len({tuple(lines) for lines in on_path}) == len(on_path)


def test_graph_of_other_node_types_and_layout() -> None:
    graph = nx.DiGraph()
    graph.add_edge("a", "b", label="x")
    graph.add_edge("b", "a", label="back")
    graph.nodes["a"]["label"] = "first\nstate"
    lasso = _lasso()
    subject = subject_from_counterexample(
        Counterexample(**{**lasso.__dict__, "neighbourhood": graph})
    )
    ET.fromstring(graph_svg(subject))
    # Depths by hand: a diamond a -> b, c -> d.
    diamond = nx.DiGraph([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
    layers = {node: layer for node, (layer, _) in layered_layout(diamond).items()}
    assert layers == {"a": 0, "b": 1, "c": 1, "d": 2}


def test_long_trace_is_drawn_with_a_gap() -> None:
    lasso = _lasso()
    trace = simulate(lasso.scenario, step_limit=150)
    subject = subject_from_trace(trace)
    svg = ET.fromstring(timeline_svg(subject))
    rows = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "invocation"]
    assert svg.get("data-invocations") == "150"
    assert len(rows) == 60
    assert any("90 steps not drawn" in (t.text or "") for t in svg.iter(f"{SVG}text"))
    itf = trace_to_itf(subject)
    assert len(itf["states"]) == 151 and "loop" not in itf


def test_reports_replace_an_earlier_report_and_refuse_other_folders(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    write_reports(out, traces=[simulate(walkthrough("article-custom-once"))])
    write_reports(out, traces=[simulate(walkthrough("article-whole-batch"))])
    assert sorted(p.name for p in (out / "walkthroughs").iterdir()) == [
        "article-whole-batch"
    ]
    assert (out / MARKER).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(InvalidInput, match="did not write"):
        write_reports(foreign, traces=[])
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_an_interrupted_run_leaves_no_half_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_reports(out, traces=[simulate(walkthrough("article-custom-once"))])
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    with pytest.raises(KeyboardInterrupt), staged_directory(out) as staging:
        (staging / "index.md").write_text("half")
        raise KeyboardInterrupt
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_verify_out_writes_reports_and_rejects_a_bad_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports"
    status = verify_main(["--only", "walkthroughs", "--out", str(out), "--quiet"])
    assert status == 0
    assert (out / "index.html").is_file()
    assert (out / "walkthroughs/article-custom-checkpoint/report.html").is_file()

    taken = tmp_path / "file"
    taken.write_text("x")
    capsys.readouterr()
    status = verify_main(["--only", "walkthroughs", "--out", str(taken), "--quiet"])
    assert status == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--out" in error and "Traceback" not in error


def test_reports_keep_what_the_explorer_wrote_into_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "explorer").mkdir(parents=True)
    (out / "explorer" / "case.json").write_text("{}")
    write_reports(
        out,
        traces=[simulate(walkthrough("article-custom-once"))],
        carry=("explorer",),
    )
    assert (out / "explorer" / "case.json").read_text() == "{}"
    assert (out / "index.html").is_file()
    (out / "explorer" / "case.json").write_text("[]")
    write_reports(out, traces=[], carry=("explorer",))
    assert (out / "explorer" / "case.json").read_text() == "[]"
    assert not (out / "walkthroughs").exists()


def test_explorer_shaped_neighbourhood_highlights_its_path() -> None:
    # The explorer names nodes s0.. and marks its path with on_path.
    graph = nx.DiGraph()
    graph.add_node("s0", label="start", on_path=True)
    graph.add_node("s1", label="checkpoint 1", on_path=True)
    graph.add_node("s2", label="checkpoint 4", on_path=False)
    graph.add_edge("s0", "s1", label="choose pattern", on_path=True)
    graph.add_edge("s1", "s1", label="[1..10] function_error", on_path=True)
    graph.add_edge("s1", "s2", label="[1..10] partial_failure", on_path=False)
    subject = subject_from_counterexample(
        Counterexample(**{**_lasso().__dict__, "neighbourhood": graph})
    )
    root = ET.fromstring(graph_svg(subject))
    states = [g.get("class", "") for g in root.iter(f"{SVG}g")]
    # s0 is the start, s1 repeats itself (the loop), s2 is off the path.
    assert states == ["state on-trace initial", "state on-trace loop", "state"]
    steps = [p.get("class") for p in root.iter(f"{SVG}path") if p.get("class")]
    assert sorted(steps) == ["step", "step on-trace", "step on-trace"]


def test_json_output_names_the_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r"
    status = verify_main(["--only", "walkthroughs", "--json", "--out", str(out)])
    assert status == 0
    document = json.loads(capsys.readouterr().out)
    assert document["reports"]["index"] == str(out / "index.html")
    assert len(document["reports"]["reports"]) == 6
