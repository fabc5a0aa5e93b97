"""The built-in computed indicator rules: parameterised, documented, pure; one module per family.

A rule turns a :class:`~services.indicators.domain.facts.Snapshot` (what a municipality
knew at the as-of moment), a period and its parameters into a :class:`Result`: the value,
its numerator and denominator, and every unit (person, programme, household, placement)
the rule looked at, with the reason it is in or out. The same function serves the
scorecard, the drill-down, the national comparison, the level evaluator and the
benchmark, so none of them can disagree.

``known_on`` is the as-of date: facts dated after it (a job starting next month) have
not happened yet, and time-to-event windows that end after it are still open.
"""

from services.indicators.domain.rules.registry import RULES
from services.indicators.domain.rules.result import Context, Member, Result
from services.indicators.domain.rules.rule import Params, Rule, Unit

__all__ = ["RULES", "Context", "Member", "Params", "Result", "Rule", "Unit"]
