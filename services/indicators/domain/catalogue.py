"""The built-in indicators: a rule with parameters, titles, unit, direction and period.

A municipality adopts one into its plan with ``POST /indicators/definitions`` and
``{"from_catalogue": "<key>"}`` (changing titles or parameters as it likes). The
national comparison always uses these default definitions, so every municipality is
measured the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.indicators.domain.periods import Granularity
from services.indicators.domain.rules import RULES, Unit
from services.indicators.domain.thresholds import Direction
from services.indicators.domain.vocabulary import Outcome


@dataclass(frozen=True)
class BuiltIn:
    key: str
    title_nb: str
    title_en: str
    rule: str
    direction: Direction
    granularity: Granularity
    parameters: dict[str, Any] = field(default_factory=dict)
    decimals: int = 1

    @property
    def unit(self) -> Unit:
        return RULES[self.rule].unit_for(self.parameters)

    def full_parameters(self) -> dict[str, Any]:
        return dict(RULES[self.rule].parse(self.parameters).model_dump(mode="json"))


HIGHER = Direction.higher_is_better
LOWER = Direction.lower_is_better
YEAR = Granularity.year

BUILT_INS: dict[str, BuiltIn] = {
    b.key: b
    for b in (
        BuiltIn(
            "persons_settled",
            "Bosatte flyktninger",
            "Refugees settled",
            "persons_settled",
            HIGHER,
            YEAR,
            decimals=0,
        ),
        BuiltIn(
            "exit_work_or_education",
            "Andel i arbeid eller utdanning etter introduksjonsprogrammet",
            "Share in work or education after the introduction programme",
            "exit_outcome_share",
            HIGHER,
            YEAR,
        ),
        BuiltIn(
            "exit_work",
            "Andel i arbeid etter introduksjonsprogrammet (sysselsetting)",
            "Share in work after the introduction programme (employment)",
            "exit_outcome_share",
            HIGHER,
            YEAR,
            {"numerator_outcomes": [Outcome.work_full_time, Outcome.work_and_education]},
        ),
        BuiltIn(
            "follow_up_work_or_education",
            "Andel i arbeid eller utdanning året etter programmet (SSB, november)",
            "Share in work or education the year after the programme (SSB, November)",
            "follow_up_share",
            HIGHER,
            YEAR,
        ),
        BuiltIn(
            "norwegian_oral_a2",
            "Andel bestått norskprøve muntlig på A2 eller høyere",
            "Share passing the oral Norwegian test at A2 or above",
            "norwegian_test_pass_rate",
            HIGHER,
            YEAR,
            {"sub_test": "oral", "min_level": "A2"},
        ),
        BuiltIn(
            "settlement_to_start_median_days",
            "Dager fra bosetting til programstart (median)",
            "Days from settlement to programme start (median)",
            "settlement_to_programme_start",
            LOWER,
            YEAR,
            {"statistic": "median_days"},
        ),
        BuiltIn(
            "programme_start_within_3_months",
            "Andel som startet introduksjonsprogram innen 3 måneder",
            "Share starting the introduction programme within 3 months",
            "settlement_to_programme_start",
            HIGHER,
            YEAR,
            {"statistic": "share_within", "within_months": 3},
        ),
        BuiltIn(
            "settlement_to_first_job_median_days",
            "Dager fra bosetting til første jobb (median blant dem i jobb)",
            "Days from settlement to first job (median among those employed)",
            "settlement_to_first_job",
            LOWER,
            YEAR,
        ),
        BuiltIn(
            "full_time_plans",
            "Andel aktive deltakere med fulltidsprogram (37,5 t/uke)",
            "Share of active participants with a full-time plan (37.5 h/week)",
            "full_time_plan_share",
            HIGHER,
            Granularity.quarter,
        ),
        BuiltIn(
            "households_waiting",
            "Husstander som venter på bolig (snitt ved månedsslutt)",
            "Households waiting for a dwelling (average at month ends)",
            "households_waiting",
            LOWER,
            Granularity.month,
        ),
        BuiltIn(
            "evictions",
            "Utkastelser fra kommunale boliger",
            "Evictions from municipal dwellings",
            "evictions",
            LOWER,
            YEAR,
            decimals=0,
        ),
        BuiltIn(
            "households_became_owners",
            "Husstander som ble eiere (leie til eie og startlån)",
            "Households becoming owners (rent-to-own and start loans)",
            "households_became_owners",
            HIGHER,
            YEAR,
            decimals=0,
        ),
        BuiltIn(
            "left_municipal_housing_27_months",
            "Andel husstander ute av kommunal bolig innen 27 måneder",
            "Share of households out of municipal housing within 27 months",
            "left_municipal_housing_within",
            HIGHER,
            YEAR,
            {"months": 27},
        ),
        BuiltIn(
            "housing_school_incidents_completed",
            "Andel husstander med skade, klage eller utkastelse: fullførte boligskolen",
            "Share of households with damage, a complaint or an eviction: completed the "
            "housing school",
            "housing_school_incident_share",
            LOWER,
            YEAR,
            {"group": "completed"},
        ),
        BuiltIn(
            "housing_school_incidents_not_completed",
            "Andel husstander med skade, klage eller utkastelse: fullførte ikke boligskolen",
            "Share of households with damage, a complaint or an eviction: did not complete "
            "the housing school",
            "housing_school_incident_share",
            LOWER,
            YEAR,
            {"group": "not_completed"},
        ),
        BuiltIn(
            "practice_to_job",
            "Andel avsluttede språkpraksisplasser som ble til jobb",
            "Share of ended practice placements that turned into a job",
            "practice_to_job_share",
            HIGHER,
            YEAR,
        ),
        BuiltIn(
            "minor_months_in_shared_home",
            "Enslige mindreårige: måneder i bofellesskap (snitt)",
            "Unaccompanied minors: months in the shared home (mean)",
            "minor_months_in_shared_home",
            LOWER,
            YEAR,
        ),
        BuiltIn(
            "minor_school_dropout",
            "Andel enslige mindreårige som falt ut av videregående opplæring",
            "Share of unaccompanied minors who dropped out of upper secondary school",
            "minor_school_dropout_share",
            LOWER,
            YEAR,
        ),
        BuiltIn(
            "minor_working_life_contact_first_year",
            "Andel enslige mindreårige med kontakt med arbeidslivet første år",
            "Share of unaccompanied minors with contact with working life in the first year",
            "minor_working_life_contact_first_year",
            HIGHER,
            YEAR,
        ),
        BuiltIn(
            "minor_assistance_after_twenty",
            "Andel enslige mindreårige med supplerende sosialhjelp etter fylte 20 år",
            "Share of unaccompanied minors with supplementary social assistance after 20",
            "minor_assistance_after_twenty_share",
            LOWER,
            YEAR,
        ),
    )
}
