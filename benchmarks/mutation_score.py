"""Print the mutation score: one line per mutant and what caught it, then the score.

Run ``python benchmarks/mutation_score.py`` from the repository root; it exits 0 when
every mutant of ``checks.mutants`` is caught by a divergence or verdict naming the
rule it breaks, 1 otherwise.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checks.mutants.score import score, score_line  # noqa: E402


def main() -> int:
    started = time.perf_counter()
    results = score()
    for result in results:
        print(score_line(result))
    caught = sum(result.caught for result in results)
    total = len(results)
    seconds = time.perf_counter() - started
    print(
        f"mutation score: {caught}/{total} = {100 * caught / total:.0f} % "
        f"({seconds:.1f} s)"
    )
    return 0 if caught == total else 1


if __name__ == "__main__":
    sys.exit(main())
