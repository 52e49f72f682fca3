"""``python -m checks.conformance localstack|powertools`` (also reached as
``python -m checks.oracle localstack|powertools``)."""

from __future__ import annotations

import sys

from checks.conformance.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m checks.conformance"))
