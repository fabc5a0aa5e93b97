"""The housing school (boligskole): damage, complaints and evictions among the households
housed in the period, for those that completed a course and for those that did not.

One rule, one share per group (``group``), rather than one difference in percentage
points: each group's share is then an ordinary share with its own n, so the uncertainty
and the suppression below the threshold work on it as on every other share, and a group
too small to show cannot be read back from a shown difference and the other group's share.
A council also reads "12 % of the completers, 30 % of the others" more readily than
"−18 points". The two figures compare, they do not measure an effect: households choose
(or are chosen) to attend, so the groups may differ for other reasons.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from pydantic import Field

from services.indicators.domain.facts import Household, Snapshot
from services.indicators.domain.rules.reasons import REASONS
from services.indicators.domain.rules.result import Context, Member, Result, in_base, left_out
from services.indicators.domain.rules.result import share as share_of
from services.indicators.domain.rules.rule import AS_OF_EVENTS, Params, Rule, RuleDoc, Unit

Group = Literal["completed", "not_completed"]

REASONS.update(
    {
        "school_incident": (
            "{group}: {what} on {on}",
            "{group_nb}: {what_nb} {on}",
        ),
        "school_no_incident": (
            "{group}: no damage, complaint or eviction in the period",
            "{group_nb}: ingen skade, klage eller utkastelse i perioden",
        ),
        "school_other_group": (
            "{group}: counted in the other group",
            "{group_nb}: telles i den andre gruppen",
        ),
    }
)

GROUP_NB = {"completed": "fullførte boligskolen", "not_completed": "fullførte ikke boligskolen"}
WHAT_NB = {"damage": "skade", "complaint": "klage", "eviction": "utkastelse"}


class SchoolParams(Params):
    group: Group = Field(
        default="completed",
        description="`completed`: households that completed a housing school course by the "
        "period's end; `not_completed`: the other housed households.",
    )


def housed_from(household: Household, context: Context) -> date | None:
    """The first day of the period the household lived in a municipal dwelling (None: not
    housed in the period as known by the as-of date)."""
    first = context.period.start
    days = [
        max(p.starts_on, first)
        for p in household.placements.values()
        if p.starts_on is not None
        and p.starts_on <= context.reference_day
        and (p.ends_on is None or p.ends_on >= first)
    ]
    return min(days) if days else None


def completers(snapshot: Snapshot, context: Context) -> dict[uuid.UUID, date]:
    """Households that completed a course by the period's end (as known by the as-of date),
    with the first day they did."""
    done: dict[uuid.UUID, date] = {}
    for course in snapshot.school_courses.values():
        for household_id, on in course.completed_on(context.reference_day).items():
            if household_id not in done or on < done[household_id]:
                done[household_id] = on
    return done


def first_incident(household: Household, context: Context) -> tuple[str, date] | None:
    """The household's first damage, complaint or eviction dated in the period."""
    found = [(i.occurred_on, i.kind) for i in household.incidents if context.counts(i.occurred_on)]
    found += [
        (e.evicted_on, "eviction") for e in household.evictions if context.counts(e.evicted_on)
    ]
    if not found:
        return None
    on, what = min(found)
    return what, on


def incident_share(snapshot: Snapshot, context: Context, params: SchoolParams) -> Result:
    done = completers(snapshot, context)
    members: list[Member] = []
    numerator = denominator = 0
    for household in snapshot.households.values():
        housed = housed_from(household, context)
        if housed is None:
            continue
        hid = household.household_id
        group: Group = "completed" if hid in done else "not_completed"
        names: dict[str, object] = {"group": group, "group_nb": GROUP_NB[group]}
        if group != params.group:
            members.append(
                left_out("household", hid, "school_other_group", housed, household=hid, extra=names)
            )
            continue
        incident = first_incident(household, context)
        denominator += 1
        numerator += incident is not None
        extra = dict(names)
        if incident is not None:
            what, on = incident
            extra |= {"what": what, "what_nb": WHAT_NB[what], "on": on}
        members.append(
            in_base(
                "household",
                hid,
                "school_incident" if incident else "school_no_incident",
                housed,
                numerator=incident is not None,
                household=hid,
                extra=extra,
            )
        )
    return Result(share_of(numerator, denominator), numerator, denominator, tuple(members))


HOUSING_SCHOOL_INCIDENT_SHARE: Rule[Any] = Rule(
    "housing_school_incident_share",
    "Households with damage, a complaint or an eviction, by housing school completion",
    "Husstander med skade, klage eller utkastelse, etter fullført boligskole",
    Unit.percent,
    SchoolParams,
    RuleDoc(
        value="100 × numerator / denominator, for one group (`group`): the households that "
        "completed a housing school course, or those that did not. The two groups' figures "
        "are a comparison, not an effect (households choose or are chosen to attend).",
        numerator="Households of the group with `housing.tenancy.incident_recorded` (damage "
        "or complaint) or `housing.eviction.recorded` dated in the period (each household "
        "once, however many incidents).",
        denominator="Households with a municipal placement (`housing.placement.started`, not "
        "ended before the period began) on some day of the period, in the group: completed "
        "means the household came to at least the course's `required_sessions` "
        "(`housing.housing_school.course_planned`) of the sessions held "
        "(`housing.housing_school.session_held`) by the period's end; every other housed "
        "household is `not_completed`. Each housed household is in exactly one group.",
        exclusions="Households not housed in the period; for the group's figure, the "
        "households of the other group.",
        period_date="The first day of the period the household lived in a municipal "
        "dwelling; incidents and evictions by their own date.",
        as_of=AS_OF_EVENTS,
    ),
    incident_share,
)
