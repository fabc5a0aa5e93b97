"""Norwegian tests: the share who reach a level in a sub-test."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from services.indicators.domain.facts import Person, Snapshot, norwegian_rank
from services.indicators.domain.rules.result import Context, Result, in_base, share, years
from services.indicators.domain.rules.rule import AS_OF_EVENTS, Params, Rule, RuleDoc, Unit
from services.indicators.domain.vocabulary import NorwegianLevel, SubTest


class NorwegianParams(Params):
    sub_test: SubTest = SubTest.oral
    min_level: NorwegianLevel = Field(
        default=NorwegianLevel.a2, description="Passed means this level or higher."
    )


def norwegian_test_pass_rate(
    snapshot: Snapshot, context: Context, params: NorwegianParams
) -> Result:
    best: dict[object, tuple[Person, str, date]] = {}
    for year in years(context.period):
        for person, test in snapshot.tests_in_year(year):
            if test.sub_test != params.sub_test or not context.counts(test.taken_on):
                continue
            current = best.get(person.participant_id)
            if current is None or norwegian_rank(test.level) > norwegian_rank(current[1]):
                best[person.participant_id] = (person, test.level, test.taken_on)
    members = []
    numerator = 0
    needed = norwegian_rank(params.min_level)
    for pid, (_person, level, taken_on) in best.items():
        passed = norwegian_rank(level) >= needed
        numerator += passed
        members.append(
            in_base(
                "participant",
                pid,
                "passed" if passed else "not_passed",
                taken_on,
                sub_test=params.sub_test,
                level=level,
                min_level=params.min_level,
                numerator=passed,
                participant=pid,
            )
        )
    return Result(share(numerator, len(best)), numerator, len(best), tuple(members))


NORWEGIAN_TEST_PASS_RATE: Rule[Any] = Rule(
    "norwegian_test_pass_rate",
    "Norwegian test pass rate",
    "Andel bestått norskprøve",
    Unit.percent,
    NorwegianParams,
    RuleDoc(
        value="100 × numerator / denominator.",
        numerator="Persons whose best result in `sub_test` within the period is "
        "`min_level` or higher (CEFR order below_A1 < A1 < A2 < B1 < B2 < C1).",
        denominator="Persons with at least one `norwegian_test.recorded` for "
        "`sub_test` taken in the period.",
        exclusions="Other sub-tests.",
        period_date="`taken_on`.",
        as_of=AS_OF_EVENTS,
    ),
    norwegian_test_pass_rate,
)
