"""A pytest plugin with the ``trace_oracle`` fixture (``assert_conforms`` itself).

Enable it with ``pytest_plugins = ["checks.oracle.pytest_plugin"]`` in a
``conftest.py``; then a test takes ``trace_oracle`` and calls it on a trace file or
its lines.
"""

from __future__ import annotations

from typing import Any

import pytest

from checks.oracle.assertions import assert_conforms

__all__ = ["assert_conforms", "trace_oracle"]


@pytest.fixture
def trace_oracle() -> Any:
    """The ``assert_conforms`` function, as a fixture."""
    return assert_conforms
