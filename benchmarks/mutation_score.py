"""Print the mutation score: one line per mutant and what caught it, then the score.

Run ``python benchmarks/mutation_score.py`` from the repository root; it exits 0 when
every mutant of ``checks.mutants`` is caught by a divergence or verdict naming the
rule it breaks, 1 otherwise.  Name mutants (``... floor-split age-ignored``) to score
only those and list every divergence and verdict that told each apart.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checks.mutants.catalogue import MUTANTS, mutant  # noqa: E402
from checks.mutants.score import score, score_line  # noqa: E402


def main(argv: list[str]) -> int:
    try:
        chosen = [mutant(name) for name in argv] if argv else list(MUTANTS)
    except KeyError as error:
        print(f"error: {error.args[0]}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    results = score(chosen)
    for result in results:
        print(score_line(result))
        if argv:
            print(f"  {result.mutant.description}")
            for catch in result.catches:
                named = "names" if catch.names(result.mutant.rule) else "differs"
                rules = ",".join(catch.rules) or "no rule"
                print(f"  {catch.how} {named} [{rules}]: {catch.text}")
    caught = sum(result.caught for result in results)
    total = len(results)
    seconds = time.perf_counter() - started
    print(
        f"mutation score: {caught}/{total} = {100 * caught / total:.0f} % "
        f"({seconds:.1f} s)"
    )
    return 0 if caught == total else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
