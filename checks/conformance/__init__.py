"""Conformance runs: the model's scenarios played by real implementations.

``checks.conformance.localstack_adapter`` drives LocalStack's Kinesis and DynamoDB
stream pollers in-process; ``checks.conformance.powertools_driver`` runs Powertools'
``BatchProcessor`` as the handler.  LocalStack's runs are recorded in the oracle's
trace format, and ``checks.conformance.findings`` holds them against the model.  See
docs/conformance.md for the findings.
"""

from __future__ import annotations

__all__ = ["AdapterBroken"]


class AdapterBroken(RuntimeError):
    """The adapter cannot drive the implementation it was written for.

    Raised when a pinned package is missing, has another version, or lacks one of
    the private names the adapter replaces; the message names the fix.
    """
