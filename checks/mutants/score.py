"""The mutation score: how many wrong semantics the checker catches, and how.

Each mutant of ``checks.mutants.catalogue`` is run twice: as an implementation, whose
traces of the scenario suite the oracle judges against the model, and as the model
itself, whose property verdicts the explorer computes.  A mutant counts as caught only
by a divergence or a verdict that names the rule it breaks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from checks.mutants.catalogue import MUTANTS, MutantRules
from checks.mutants.suite import SUITE_STEP_LIMIT, suite
from model.simulator import Scenario, simulate

__all__ = ["Catch", "MutantScore", "judge_as_implementation", "score", "score_line"]


@dataclass(frozen=True)
class Catch:
    """One divergence or verdict that tells a mutant from the model.

    ``how`` is ``oracle`` (a trace judged as an implementation's) or ``verify`` (a
    property verdict with the mutant as the model); ``rules`` are the rules it
    names, and ``text`` says where and what, in one line.
    """

    how: str
    rules: tuple[str, ...]
    text: str

    def names(self, rule: str) -> bool:
        return rule in self.rules


@dataclass(frozen=True)
class MutantScore:
    """What the checker found for one mutant."""

    mutant: type[MutantRules]
    catches: tuple[Catch, ...]

    @property
    def naming(self) -> list[Catch]:
        """The catches that name the rule the mutant breaks."""
        return [catch for catch in self.catches if catch.names(self.mutant.rule)]

    @property
    def caught(self) -> bool:
        return bool(self.naming)


def _split_rules(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def judge_as_implementation(
    mutant: type[MutantRules], scenarios: Sequence[Scenario] | None = None
) -> list[Catch]:
    """The oracle's divergences on the mutant's traces of the scenario suite.

    Examples
    --------
    >>> from checks.mutants.catalogue import mutant
    >>> catches = judge_as_implementation(mutant("floor-split"))
    >>> catches[0].how, catches[0].names("R5")
    ('oracle', True)
    """
    from checks.oracle import judge, parse_trace_lines, trace_lines

    catches = []
    for scenario in suite() if scenarios is None else scenarios:
        rules = mutant(scenario.settings, scenario.shard)
        trace = simulate(scenario, step_limit=SUITE_STEP_LIMIT, rules=rules)
        verdict = judge(parse_trace_lines(trace_lines(trace), name=scenario.name))
        found = verdict.divergence
        if found is None:
            continue
        # The model's side without its reason: the line stays readable.
        allowed = found.allowed.split(": after the previous step")[0]
        text = (
            f"{scenario.name} {found.where()}: observed {found.observed}; "
            f"the model allows {allowed}"
        )
        if verdict.alternatives:
            text += f" (conforms if {'; or if '.join(verdict.alternatives)})"
        catches.append(Catch("oracle", _split_rules(found.rule), text))
    return catches


#: Judges that run a mutant and return what told it apart; ``score`` uses both.
Judge = Callable[[type[MutantRules]], list[Catch]]


def _judges() -> list[Judge]:
    judges: list[Judge] = [judge_as_implementation]
    from checks.mutants.as_model import judge_as_model

    judges.append(judge_as_model)
    return judges


def score(
    mutants: Iterable[type[MutantRules]] = MUTANTS, judges: Sequence[Judge] = ()
) -> list[MutantScore]:
    """Run every judge on every mutant.

    ``judges`` defaults to the oracle (as an implementation) and the explorer's
    verdicts (as the model).
    """
    chosen = list(judges) or _judges()
    return [
        MutantScore(mutant, tuple(catch for judge in chosen for catch in judge(mutant)))
        for mutant in mutants
    ]


def score_line(result: MutantScore) -> str:
    """One line: caught or missed, the mutant, its rule and what caught it.

    >>> from checks.mutants.catalogue import mutant
    >>> line = score_line(MutantScore(mutant("floor-split"),
    ...     (Catch("oracle", ("R5",), "article-bisect-record line 6"),)))
    >>> line
    'caught  floor-split (R5): oracle: article-bisect-record line 6 [R5]; verify: -'
    """
    mutant = result.mutant
    head = f"{mutant.name} ({mutant.rule})"
    parts = []
    for how in ("oracle", "verify"):
        found = [catch for catch in result.catches if catch.how == how]
        naming = [catch for catch in found if catch.names(mutant.rule)]
        if naming:
            more = f" (+{len(naming) - 1} more)" if len(naming) > 1 else ""
            first = naming[0]
            parts.append(f"{how}: {first.text} [{','.join(first.rules)}]{more}")
        elif found:
            named = sorted({rule for catch in found for rule in catch.rules})
            parts.append(
                f"{how}: {len(found)} differences, none naming {mutant.rule} "
                f"(they name {','.join(named) or 'no rule'}: {found[0].text})"
            )
        else:
            parts.append(f"{how}: -")
    verdict = "caught" if result.caught else "MISSED"
    return f"{verdict}  {head}: {'; '.join(parts)}"
