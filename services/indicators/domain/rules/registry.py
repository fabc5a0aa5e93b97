"""The catalogue of built-in rules, by name, in the order they are documented."""

from __future__ import annotations

from typing import Any

from services.indicators.domain.rules import (
    housing,
    housing_school,
    language,
    minors,
    outcomes,
    participation,
    practice,
    settlement,
    time_from_settlement,
)
from services.indicators.domain.rules.rule import Rule

RULES: dict[str, Rule[Any]] = {
    rule.name: rule
    for rule in (
        settlement.PERSONS_SETTLED,
        outcomes.EXIT_OUTCOME_SHARE,
        outcomes.FOLLOW_UP_SHARE,
        language.NORWEGIAN_TEST_PASS_RATE,
        time_from_settlement.SETTLEMENT_TO_PROGRAMME_START,
        time_from_settlement.SETTLEMENT_TO_FIRST_JOB,
        participation.FULL_TIME_PLAN_SHARE,
        housing.HOUSEHOLDS_WAITING,
        housing.EVICTIONS,
        housing.HOUSEHOLDS_BECAME_OWNERS,
        housing.LEFT_MUNICIPAL_HOUSING_WITHIN,
        housing_school.HOUSING_SCHOOL_INCIDENT_SHARE,
        practice.PRACTICE_TO_JOB_SHARE,
        minors.MINOR_MONTHS_IN_SHARED_HOME,
        minors.MINOR_SCHOOL_DROPOUT_SHARE,
        minors.MINOR_WORKING_LIFE_CONTACT_FIRST_YEAR,
        minors.MINOR_ASSISTANCE_AFTER_TWENTY_SHARE,
    )
}
