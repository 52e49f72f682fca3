"""Mapping configurations given on the command line, read through ``model.loading``.

``load_mappings_for_cli`` turns a file into labelled configurations; when the file
cannot say whether a mapping reads Kinesis or DynamoDB, both are checked.
``findings`` says, for one mapping, what its settings mean when a record fails, in
the user's terms.
"""

from __future__ import annotations

from model.config import MappingConfig
from model.errors import InvalidInput
from model.loading import LoadedMapping, load_mappings

__all__ = ["load_mappings_for_cli", "labelled_mappings", "findings"]


def load_mappings_for_cli(path: str) -> list[tuple[str, MappingConfig]]:
    """Each mapping of the file as ``(label, config)``; unknown sources twice."""
    return [(label, config) for label, config, _ in labelled_mappings(path)]


def labelled_mappings(path: str) -> list[tuple[str, MappingConfig, LoadedMapping]]:
    """Each mapping as ``(label, config, loaded)``, unknown sources as both kinds.

    A mapping whose StartingPosition is AT_TIMESTAMP reads Kinesis (DynamoDB
    Streams refuse it), so its source is known even when its ARN is not.
    """
    labelled: list[tuple[str, MappingConfig, LoadedMapping]] = []
    for loaded in load_mappings(path):
        if loaded.source_known or loaded.config.starting_position == "AT_TIMESTAMP":
            labelled.append((loaded.name, loaded.config, loaded))
            continue
        for source in ("kinesis", "dynamodb"):
            try:
                config = loaded.config.with_changes(source=source)
            except InvalidInput as error:
                raise error.located(path) from None
            labelled.append((f"{loaded.name}[{source}]", config, loaded))
    return labelled


def findings(mapping: MappingConfig) -> list[str]:
    """What ``mapping`` does with a failing record, in the user's terms.

    Each sentence names the setting, its consequence, and the rule; the poison
    record figures are simulated with ``model.simulator`` on one batch.

    Examples
    --------
    >>> for line in findings(MappingConfig()):
    ...     print(line[:60])
    retries and age both infinite, so one poison record blocks t
    no destination, so discarded records leave no trace: records
    ReportBatchItemFailures is off: if the handler reports failu
    """
    lines: list[str] = []
    retries = mapping.maximum_retry_attempts
    age = mapping.maximum_record_age_in_seconds
    if not mapping.retries_are_finite and not mapping.age_is_finite:
        lines.append(
            "retries and age both infinite, so one poison record blocks the shard "
            "until retention trims it (24 h by default), and it and the records "
            "waiting behind it are lost without a trace (R3, R4)"
        )
    elif not mapping.retries_are_finite:
        lines.append(
            f"retries are infinite, so a poison record blocks the shard until it is "
            f"older than MaximumRecordAgeInSeconds ({age} s); then it and the "
            "records of its batch that are as old are discarded (R3, R4)"
        )
    else:
        poison = _poison_run(mapping)
        if poison:
            lines.append(poison)

    if not mapping.has_destination:
        lines.append(
            "no destination, so discarded records leave no trace: records dropped "
            "after their retries or age run out are gone without a record (R9)"
        )
    else:
        destination = mapping.on_failure_destination or ""
        if destination.startswith("<unresolved"):
            destination = "the on-failure destination"
        lines.append(
            f"discarded records are described in {destination}: "
            "metadata only (shard, sequence range, invoke count), so the records "
            "themselves must still be in the stream to be replayed (R9)"
        )

    if mapping.report_batch_item_failures:
        lines.append(
            "ReportBatchItemFailures is on: the handler must return the sequence "
            "number of the first failed record; the checkpoint moves to it and every "
            "record after it is delivered again (R6)"
        )
        if mapping.bisect_batch_on_function_error:
            lines.append(
                "bisect and ReportBatchItemFailures are both on: a reported failure "
                "retries the rest of the batch whole, while a thrown error halves it "
                "(R8); a handler that raises when every record failed is bisected"
            )
    else:
        lines.append(
            "ReportBatchItemFailures is off: if the handler reports failures, the "
            "mapping does not ask for them, so they are ignored and the failed "
            "records count as processed, lost without a trace (R2); only a thrown "
            "error retries the batch"
        )
    if mapping.retries_are_finite and retries == 0:
        lines.append(
            "MaximumRetryAttempts is 0: a failing batch is invoked once and then "
            "discarded, so a transient error loses records (R3)"
        )
    lines += [f"assumption: {note}" for note in mapping.assumptions()]
    return lines


def _poison_run(mapping: MappingConfig) -> str:
    """One poison record in a full batch, simulated: invocations and collateral."""
    from model.config import Settings
    from model.handler import POISON, FailurePattern, Handler, ResponseStyle
    from model.records import Shard
    from model.simulator import Scenario, simulate
    from model.state import Fate

    size = min(mapping.batch_size, 10)
    poison = (size + 1) // 2
    style = (
        ResponseStyle.REPORT_FIRST
        if mapping.report_batch_item_failures
        else ResponseStyle.THROW
    )
    scenario = Scenario(
        "poison",
        Settings(mapping=mapping.with_changes(batch_size=size)),
        Shard.numbered(size, mapping.source),
        Handler(FailurePattern(by_sequence={str(poison): POISON}), style),
    )
    trace = simulate(scenario, step_limit=2000)
    if trace.blocked:
        return ""
    final = trace.final
    gone = {Fate.DISCARDED, Fate.DROPPED}
    collateral = [
        index + 1
        for index, fate in enumerate(final.fates)
        if fate in gone and index + 1 != poison
    ]
    most = max(
        (count for index, count in enumerate(final.deliveries) if index + 1 != poison),
        default=0,
    )
    how = "reports it" if mapping.report_batch_item_failures else "throws"
    text = (
        f"a poison record (record {poison} of a batch of {size}, the handler {how}) "
        f"takes {_count(len(trace.invocations), 'invocation')}"
    )
    if collateral:
        where = "lost without a trace" if not mapping.has_destination else "discarded"
        text += f", and {len(collateral)} good records of its batch are {where} with it"
    else:
        text += ", and only it is discarded"
    text += f"; good records are delivered up to {_count(most, 'time')}"
    rules = ["R3"]
    if mapping.report_batch_item_failures:
        # A reported failure is not bisected: it cuts the batch instead (R8).
        rules += ["R6", "R7"]
        if mapping.bisect_batch_on_function_error:
            rules.append("R8")
    elif mapping.bisect_batch_on_function_error:
        rules.append("R5")
    return f"{text} ({', '.join(rules)})"


def _count(number: int, noun: str) -> str:
    """``1 invocation``, ``3 invocations``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
