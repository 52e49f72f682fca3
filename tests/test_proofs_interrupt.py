"""Ctrl-C while z3 solves the proofs stops ``checks.verify`` at once.

A real SIGINT is sent to the command in a fresh interpreter at three moments of
the proofs (they run during the first few seconds); each time it must exit 130
within a second, end with one line saying what was interrupted, and never report
a proof as failed because of the interrupt.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("delay", [0.0, 1.0, 2.5])
def test_ctrl_c_during_the_proofs_stops_at_once(delay: float) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "checks.verify", "--only", "proofs"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Wait for the first proof to start, so that the interrupt lands while z3
    # solves rather than while a loaded machine is still importing modules.
    assert process.stderr is not None
    first = process.stderr.readline()
    assert first.startswith("proving "), first
    time.sleep(delay)
    if process.poll() is not None:
        process.communicate()
        pytest.skip("the proofs finished before the interrupt")
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    stdout, rest = process.communicate(timeout=30)
    waited = time.monotonic() - sent
    stderr = first + rest
    assert process.returncode == 130, stderr
    assert waited < 1.0, f"{waited:.2f} s after Ctrl-C"
    lines = [line for line in stderr.splitlines() if not line.startswith("proving ")]
    assert len(lines) == 1 and lines[0].startswith("interrupted during proofs"), stderr
    assert "Traceback" not in stderr
    assert "FAILED" not in stdout + stderr
    assert "unknown" not in stdout
