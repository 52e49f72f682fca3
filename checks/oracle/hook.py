"""The hook through which the oracle makes chosen records fail in a user's handler.

A handler module that defines ``shardcheck_should_fail(record) -> bool`` (returning
False in production) and calls it on each record gets it replaced by the oracle while
it drives the handler; the oracle also passes a ``context`` whose
``shardcheck_failing`` lists the sequence numbers that must fail.  Each call tells the
oracle the handler reached that record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from model.events import sequence_number_of

__all__ = ["HOOK_NAME", "FakeContext", "Probe"]

#: The module-level name the oracle replaces while it drives a handler.
HOOK_NAME = "shardcheck_should_fail"


@dataclass
class FakeContext:
    """A Lambda context object with the fields handlers commonly read.

    >>> FakeContext(frozenset({"3"})).get_remaining_time_in_millis()
    300000
    """

    shardcheck_failing: frozenset[str] = frozenset()
    function_name: str = "shardcheck-handler"
    function_version: str = "$LATEST"
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:shardcheck-handler"
    )
    memory_limit_in_mb: int = 128
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"
    log_group_name: str = "/aws/lambda/shardcheck-handler"
    log_stream_name: str = "2026/01/01/[$LATEST]shardcheck"

    def get_remaining_time_in_millis(self) -> int:
        return 300000


@dataclass
class Probe:
    """The replacement hook: answers from the failing set and records each call.

    >>> probe = Probe(frozenset({"2"}))
    >>> probe({"kinesis": {"sequenceNumber": "2"}}), probe("3"), probe.reached
    (True, False, ['2', '3'])
    """

    failing: frozenset[str]
    reached: list[str] = field(default_factory=list)

    def __call__(self, record: Any) -> bool:
        name = record if isinstance(record, str) else sequence_number_of(record)
        self.reached.append(name)
        return name in self.failing
