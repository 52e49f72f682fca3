"""Which configurations each proof applies to: exactly those meeting its premises.

The explorer sets a proof beside a bounded verdict only where it applies, and a
known-false statement's counterexample against a "vacuous" verdict is an error,
so a proof must not apply where its premises fail (worked out per statement).
"""

from __future__ import annotations

from checks.proofs.statements import all_statements
from model.config import REPORT_BATCH_ITEM_FAILURES, MappingConfig
from model.handler import ResponseStyle

STATEMENTS = {statement.key: statement for statement in all_statements()}
THROW = ResponseStyle.THROW


def _applies(key: str, style: ResponseStyle = THROW, **fields: object) -> bool:
    return STATEMENTS[key].applies(MappingConfig(**fields), style)  # type: ignore[arg-type]


def test_whole_batch_redelivery_needs_a_retry_and_two_records() -> None:
    # R = 0: nothing is delivered twice; BatchSize 1: no success beside a failure
    assert not _applies(
        "whole-batch-no-redelivery", batch_size=10, maximum_retry_attempts=0
    )
    assert not _applies(
        "whole-batch-no-redelivery", batch_size=1, maximum_retry_attempts=2
    )
    assert _applies("whole-batch-no-redelivery", batch_size=2, maximum_retry_attempts=1)
    # bisect splits instead of retrying whole
    assert not _applies(
        "whole-batch-no-redelivery",
        batch_size=2,
        maximum_retry_attempts=1,
        bisect_batch_on_function_error=True,
    )


def test_report_highest_loss_needs_two_records_in_a_batch() -> None:
    custom = {"function_response_types": (REPORT_BATCH_ITEM_FAILURES,)}
    style = ResponseStyle.REPORT_HIGHEST
    assert not _applies(
        "report-highest-no-loss",
        style,
        batch_size=1,
        maximum_retry_attempts=2,
        **custom,
    )
    assert _applies(
        "report-highest-no-loss",
        style,
        batch_size=2,
        maximum_retry_attempts=2,
        **custom,
    )


def test_bisect_proofs_assume_no_age_limit() -> None:
    bisect = {"bisect_batch_on_function_error": True, "maximum_retry_attempts": 2}
    for key in ("bisect-discards-only-poison", "bisect-isolation-invocations"):
        assert _applies(key, **bisect)
        assert not _applies(key, maximum_record_age_in_seconds=60, **bisect)
