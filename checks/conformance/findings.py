"""Judge conformance runs and gather their divergences into findings.

Each run's trace goes to the oracle's ``judge`` (``checks.oracle``); each destination
record the implementation wrote is also compared whole with the one
``model.events.destination_record`` renders (R9), since the trace format compares
only its essentials.  Divergences with the same signature are one finding, shown
by the smallest scenario that has it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from checks.oracle import judge, parse_trace_lines
from model.events import destination_record
from model.simulator import Scenario

__all__ = [
    "Divergence",
    "Finding",
    "divergences_of",
    "gather",
    "record_differences",
    "signature_text",
]

#: Fields of a destination record that name a request or a moment, not behaviour.
_UNCOMPARED = {"requestId", "functionArn", "timestamp"}


@dataclass(frozen=True)
class Divergence:
    """One divergence of one run: its signature and the words of the oracle."""

    signature: str
    rule: str
    observed: str
    allowed: str
    where: str = ""
    alternatives: tuple[str, ...] = ()
    note: str = ""


@dataclass
class Finding:
    """Every run with one signature, shown by the smallest scenario that has it."""

    divergence: Divergence
    scenario: Scenario
    lines: list[dict[str, Any]]
    count: int = 1
    names: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        found = self.divergence
        return {
            "signature": found.signature,
            "rule": found.rule,
            "count": self.count,
            "minimal": self.scenario.name,
            "observed": found.observed,
            "allowed": found.allowed,
            "where": found.where,
            "alternatives": list(found.alternatives),
            "note": found.note,
        }


def signature_text(rule: str, observed: str, allowed: str, extra: str = "") -> str:
    """A divergence with its sequence numbers and counts taken out.

    Runs that diverge for the same reason on different records get the same
    signature, which is what the manifest pins.

    >>> signature_text("R5", "invocation of [1..4]",
    ...                "invocation of [1..2]: after the previous step, ...")
    'R5 | invocation of [..] | invocation of [..]'
    """
    parts = [rule, _shape(observed), _shape(allowed.split(": after")[0])]
    if extra:
        parts.append(extra)
    return " | ".join(parts)


def _shape(text: str) -> str:
    text = re.sub(r"\[[^\]]*\]", "[..]", text)
    return re.sub(r"\b\d+\b", "N", text)


def divergences_of(
    scenario: Scenario,
    lines: list[dict[str, Any]],
    records: Iterable[tuple[dict[str, Any], tuple[str, int]]] = (),
) -> list[Divergence]:
    """The oracle's divergence of a run's trace, and the R9 record differences.

    ``records`` pairs each destination record the implementation wrote with the
    (condition, attempts) it decided on, for records that do not say.
    """
    found: list[Divergence] = []
    verdict = judge(parse_trace_lines(json.dumps(line) for line in lines))
    if verdict.divergence is not None:
        item = verdict.divergence
        extra = (
            "conforms if " + "; ".join(verdict.alternatives)
            if verdict.alternatives
            else ""
        )
        found.append(
            Divergence(
                signature_text(item.rule, item.observed, item.allowed, extra),
                item.rule,
                item.observed,
                item.allowed,
                item.where(),
                verdict.alternatives,
                item.note,
            )
        )
    for body, decision in records:
        differences = record_differences(scenario, body, decision)
        if differences:
            found.append(
                Divergence(
                    "R9 record | " + ", ".join(sorted(differences)),
                    "R9",
                    "destination record " + json.dumps(body, sort_keys=True),
                    "the same record with " + "; ".join(differences.values()),
                    "destination record",
                )
            )
    return found


def record_differences(
    scenario: Scenario,
    body: dict[str, Any],
    decision: tuple[str, int] = ("RecordAgeExceeded", 0),
) -> dict[str, str]:
    """How a destination record differs from the one the model writes for it (R9).

    The model's record is rendered for the same records, condition, invoke count
    and function error (taken from ``decision`` where the record has none), so
    only its shape and derived values are compared.  Returns
    ``{difference: what the model has}``.

    >>> from model.walkthroughs import walkthrough
    >>> scenario = walkthrough("article-whole-batch")
    >>> differences = record_differences(scenario, {"DDBStreamBatchInfo": {
    ...     "startSequenceNumber": "1", "endSequenceNumber": "10"}})
    >>> differences["missing requestContext"]
    'requestContext = {"condition": "RecordAgeExceeded", "approximateInvokeCount": 0}'
    """
    shard = scenario.shard
    info_key = "KinesisBatchInfo" if shard.source == "kinesis" else "DDBStreamBatchInfo"
    info = body.get(info_key)
    if not isinstance(info, dict):
        return {f"missing {info_key}": f"a {info_key} object"}
    start = shard.position_of(str(info.get("startSequenceNumber")))
    end = shard.position_of(str(info.get("endSequenceNumber")))
    if start is None or end is None or end < start:
        return {"batch range": "a start and end sequence number of the shard"}
    context = body.get("requestContext") or {}
    response = body.get("responseContext") or {}
    condition = context.get("condition", decision[0])
    expected = destination_record(
        shard,
        start,
        end + 1,
        condition=condition,
        invoke_count=int(context.get("approximateInvokeCount", decision[1])),
        function_error=response.get("functionError"),
        request_id="",
        function_arn="",
        timestamp=0.0,
    )
    differences: dict[str, str] = {}
    _compare(expected, body, "", differences)
    return differences


def _compare(
    expected: dict[str, Any], observed: dict[str, Any], path: str, out: dict[str, str]
) -> None:
    for key, value in expected.items():
        name = f"{path}{key}"
        if key in _UNCOMPARED:
            continue
        if key not in observed:
            out[f"missing {name}"] = f"{name} = {json.dumps(_clean(value))}"
        elif isinstance(value, dict) and isinstance(observed[key], dict):
            _compare(value, observed[key], f"{name}.", out)
        elif observed[key] != value:
            out[f"{name} differs"] = f"{name} = {json.dumps(value)}"
    for key in observed:
        if key not in expected and key not in _UNCOMPARED:
            out[f"extra {path}{key}"] = f"no {path}{key}"


def _clean(value: Any) -> Any:
    """``value`` without the fields that are not compared."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k not in _UNCOMPARED}
    return value


def gather(
    runs: Iterable[tuple[Scenario, list[dict[str, Any]], list[Divergence]]],
    size: Callable[[Scenario], Any],
) -> list[Finding]:
    """Group divergences by signature, keeping the smallest scenario of each."""
    findings: dict[str, Finding] = {}
    for scenario, lines, found in runs:
        for item in found:
            known = findings.get(item.signature)
            if known is None:
                findings[item.signature] = Finding(
                    item, scenario, lines, 1, [scenario.name]
                )
                continue
            known.count += 1
            known.names.append(scenario.name)
            if size(scenario) < size(known.scenario):
                known.divergence, known.scenario, known.lines = item, scenario, lines
    return sorted(findings.values(), key=lambda finding: finding.divergence.signature)
