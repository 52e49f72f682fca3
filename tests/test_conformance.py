"""Tests of the conformance package's parts that need no optional extra.

The matrix, the R9 record comparison, the signatures, the shrinking and the
manifest comparison; the runs themselves are in test_conformance_localstack.py and
test_conformance_powertools.py, which skip when their extra is absent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from checks.conformance.findings import record_differences, signature_text
from checks.conformance.manifest import MANIFEST_PATH, compare, load_manifest
from checks.conformance.matrix import RAW_RESPONSES, matrix, scenario_name, shrink
from model.events import destination_record
from model.walkthroughs import walkthrough

DOCS = Path(__file__).resolve().parents[1] / "docs" / "conformance.md"


def test_matrix_covers_every_mode_once():
    scenarios = list(matrix(("kinesis",)))
    # 32 mappings (bisect x RBIF x 2 retries x 2 ages x destination) times
    # 5 styles x 3 patterns = 480; the 16 finite-age mappings again on spread
    # arrivals: 240; the 11 raw responses on the 16 RBIF mappings: 176.
    assert len(scenarios) == 480 + 240 + 176
    assert len({scenario.name for scenario in scenarios}) == len(scenarios)
    modes = {
        (
            s.settings.mapping.bisect_batch_on_function_error,
            s.settings.mapping.report_batch_item_failures,
            s.settings.mapping.retries_are_finite,
            s.settings.mapping.age_is_finite,
            s.settings.mapping.has_destination,
        )
        for s in scenarios
    }
    assert len(modes) == 2**5


def test_raw_responses_include_r2_table_rows():
    # The rows of semantics.md's R2 table that no handler style produces.
    assert {"itemIdentifier": ""} in RAW_RESPONSES["empty-identifier"][
        "batchItemFailures"
    ]
    assert "BatchItemFailures" in RAW_RESPONSES["wrong-top-level-key"]
    assert isinstance(RAW_RESPONSES["non-json"], bytes)


def test_scenario_name_spells_out_the_walkthrough():
    # article-custom-once: DynamoDB, ten records, BatchSize 10, RBIF, retries 2.
    name = scenario_name(walkthrough("article-custom-once"))
    assert name == (
        "dynamodb-10rec-batch10-whole-rbif-retries2-ageinf-dest-report_first-once6"
    )


def test_record_differences_none_for_the_models_own_record():
    scenario = walkthrough("article-whole-batch")
    record = destination_record(
        scenario.shard,
        0,
        10,
        condition="RetryAttemptsExhausted",
        invoke_count=3,
        function_error="Unhandled",
        request_id="any",
        function_arn="any",
        timestamp=12.0,
    )
    assert record_differences(scenario, record) == {}


def test_record_differences_names_a_missing_context_and_a_wrong_count():
    scenario = walkthrough("article-whole-batch")
    info = {
        "shardId": scenario.shard.shard_id,
        "startSequenceNumber": "1",
        "endSequenceNumber": "10",
        "approximateArrivalOfFirstRecord": "2026-01-01T00:00:00Z",
        "approximateArrivalOfLastRecord": "2026-01-01T00:00:00Z",
        "batchSize": 9,
        "streamArn": scenario.shard.stream_arn,
    }
    body = {"DDBStreamBatchInfo": info, "version": "1.0", "timestamp": "x"}
    differences = record_differences(scenario, body, ("RetryAttemptsExhausted", 3))
    assert set(differences) == {
        "missing requestContext",
        "missing responseContext",
        "DDBStreamBatchInfo.batchSize differs",
    }
    assert "= 10" in differences["DDBStreamBatchInfo.batchSize differs"]


def test_signature_drops_sequence_numbers_and_the_reason():
    one = signature_text("R5", "invocation of [1..4]", "invocation of [1..2]: after x")
    two = signature_text("R5", "invocation of [7..9]", "invocation of [7]: after y")
    assert one == two == "R5 | invocation of [..] | invocation of [..]"


def test_shrink_stops_at_the_smallest_that_keeps_the_property():
    scenario = walkthrough("article-bisect-record")  # record 5 poison, 10 records

    def keeps(candidate):
        return (
            len(candidate.shard) >= 5 and "5" in candidate.handler.pattern.by_sequence
        )

    smallest = shrink(scenario, keeps)
    mapping = smallest.settings.mapping
    assert len(smallest.shard) == 5
    assert mapping.batch_size == 1
    assert not mapping.has_destination and not mapping.bisect_batch_on_function_error


def test_compare_reports_new_missing_and_changed_findings():
    pinned = {
        "version": "1",
        "scenarios": 3,
        "findings": [
            {"signature": "A", "count": 2, "minimal": "a"},
            {"signature": "B", "count": 1, "minimal": "b"},
        ],
    }
    found = {
        "version": "2",
        "scenarios": 3,
        "findings": [
            {"signature": "A", "count": 3, "minimal": "a"},
            {"signature": "C", "count": 1, "minimal": "c"},
        ],
    }
    problems = compare(pinned, found)
    assert len(problems) == 4
    assert any(problem.startswith("version 2 tested") for problem in problems)
    assert any(problem.startswith("no longer found: B") for problem in problems)
    assert any(problem.startswith("new divergence: C") for problem in problems)
    assert any(problem.startswith("A: count is 3") for problem in problems)
    assert compare(pinned, pinned) == []


def test_manifest_pins_both_runs_and_docs_list_every_divergence():
    manifest = load_manifest()
    assert set(manifest) == {"localstack", "powertools"}, MANIFEST_PATH
    text = DOCS.read_text(encoding="utf-8")
    for section in manifest.values():
        assert f"{section['package']}=={section['version']}" in text
        for finding in section["findings"]:
            assert finding["signature"] in text, finding["signature"]
            assert finding["minimal"] in text, finding["minimal"]


def test_docs_traces_are_valid_trace_files():
    from checks.oracle import parse_trace_lines

    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"```jsonl\n(.*?)```", text, flags=re.S)
    assert blocks
    for block in blocks:
        lines = block.strip().splitlines()
        assert json.loads(lines[0])["type"] == "header"
        parse_trace_lines(lines)
