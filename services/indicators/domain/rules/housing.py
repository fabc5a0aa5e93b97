"""Housing: households waiting, evictions, new owners, and leaving municipal housing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Literal

from pydantic import Field

from services.indicators.domain.facts import Household, Snapshot
from services.indicators.domain.periods import add_months
from services.indicators.domain.rules.result import Context, Result, in_base, left_out, share, years
from services.indicators.domain.rules.rule import AS_OF_EVENTS, Params, Rule, RuleDoc, Unit
from services.indicators.domain.vocabulary import OwnershipRoute, Urgency


class WaitingParams(Params):
    count_accepted_until_placed: bool = Field(
        default=True,
        description="An accepted application waits until the household is placed; when "
        "false it stops waiting on the decision day.",
    )
    urgencies: list[Urgency] | None = Field(default=None, description="null counts all.")


def households_waiting(snapshot: Snapshot, context: Context, params: WaitingParams) -> Result:
    month_ends = [d for d in context.period.month_ends() if d <= context.known_on]
    candidates = {
        a.application_id: a
        for year in years(context.period)
        for a in snapshot.applications_open_in_year(year)
    }
    # Each application waits from the day it was received until the day it closed.
    intervals: list[tuple[object, date, date | None]] = []
    for application in candidates.values():
        if application.received_on is None or (
            params.urgencies is not None and application.urgency not in params.urgencies
        ):
            continue
        household = snapshot.households[application.household_id]
        intervals.append(
            (
                household.household_id,
                application.received_on,
                _closed_on(household, application, params),
            )
        )
    waiting_at: dict[object, int] = {}
    first_day: dict[object, date] = {}
    per_month_end: dict[str, float] = {}
    for day in month_ends:
        waiting = {
            household
            for household, received, closed in intervals
            if received <= day and (closed is None or closed > day)
        }
        per_month_end[str(day)] = float(len(waiting))
        for household_id in waiting:
            waiting_at[household_id] = waiting_at.get(household_id, 0) + 1
            first_day.setdefault(household_id, day)
    members = tuple(
        in_base(
            "household",
            household_id,
            "waiting",
            first_day[household_id],
            numerator=True,
            household=household_id,
            amount=count,
            count=count,
            total=len(month_ends),
        )
        for household_id, count in waiting_at.items()
    )
    total = sum(waiting_at.values())
    value = total / len(month_ends) if month_ends else None
    return Result(
        value,
        float(total),
        float(len(month_ends)),
        members,
        breakdown=per_month_end,
        note=None if month_ends else "no month end of the period has passed yet",
    )


def _closed_on(household: Household, application: Any, params: WaitingParams) -> date | None:
    """The first day the application no longer waits (None: still waiting).

    It stops waiting when rejected or withdrawn, when accepted if accepted applications
    do not wait until placed, or when the household is placed in a dwelling — by this
    application, or by any placement starting on or after it was received.
    """
    days = []
    if application.decided_on is not None:
        if application.decision in ("rejected", "withdrawn") or (
            application.decision == "accepted" and not params.count_accepted_until_placed
        ):
            days.append(application.decided_on)
    for placement in household.placements.values():
        if placement.starts_on is not None and (
            placement.application_id == application.application_id
            or placement.starts_on >= application.received_on
        ):
            days.append(placement.starts_on)
    return min(days) if days else None


# -- 10. evictions --------------------------------------------------------------------------


class EvictionParams(Params):
    pass


def evictions(snapshot: Snapshot, context: Context, params: EvictionParams) -> Result:
    members = []
    for year in years(context.period):
        for household, eviction in snapshot.evictions_in_year(year):
            if context.counts(eviction.evicted_on):
                members.append(
                    in_base(
                        "household",
                        household.household_id,
                        "evicted",
                        eviction.evicted_on,
                        evicted=eviction.evicted_on,
                        grounds=eviction.grounds,
                        numerator=True,
                        denominator=False,
                        household=household.household_id,
                    )
                )
    return Result(float(len(members)), float(len(members)), None, tuple(members))


# -- 11. households becoming owners ---------------------------------------------------------


class OwnersParams(Params):
    routes: list[OwnershipRoute] = Field(
        default=[OwnershipRoute.rent_to_own, OwnershipRoute.start_loan]
    )


def households_became_owners(snapshot: Snapshot, context: Context, params: OwnersParams) -> Result:
    members = []
    by_route: dict[str, float] = {str(route): 0.0 for route in OwnershipRoute}
    counted: set[object] = set()
    for year in years(context.period):
        for household, ownership in snapshot.ownerships_in_year(year):
            if not context.counts(ownership.became_owner_on):
                continue
            hid = household.household_id
            if ownership.route not in params.routes:
                members.append(
                    left_out(
                        "household",
                        hid,
                        "route_not_counted",
                        ownership.became_owner_on,
                        route=ownership.route,
                        household=hid,
                    )
                )
                continue
            if hid in counted:
                continue
            counted.add(hid)
            by_route[ownership.route] = by_route.get(ownership.route, 0.0) + 1
            members.append(
                in_base(
                    "household",
                    hid,
                    "became_owner",
                    ownership.became_owner_on,
                    numerator=True,
                    denominator=False,
                    household=hid,
                    on_date=ownership.became_owner_on,
                    route=ownership.route,
                )
            )
    count = float(len(counted))
    return Result(count, count, None, tuple(members), breakdown=by_route)


# -- 12. left municipal housing within N months ----------------------------------------------


class LeftHousingParams(Params):
    months: int = Field(default=27, ge=1, le=120)
    count_evictions: bool = Field(
        default=False, description="Whether leaving through eviction counts as success."
    )
    excluded_end_reasons: list[Literal["moved_municipality", "death"]] = Field(
        default=["moved_municipality", "death"],
        description="Households whose (last) placement ended so leave the base.",
    )


def left_municipal_housing_within(
    snapshot: Snapshot, context: Context, params: LeftHousingParams
) -> Result:
    members = []
    numerator = denominator = 0
    first_year = context.period.start.year - params.months // 12 - 1
    for year in range(first_year, context.period.last_day.year + 1):
        for household in snapshot.households_settled_in_year(year):
            assert household.settled_on is not None
            deadline = add_months(household.settled_on, params.months)
            if not context.period.contains(deadline):
                continue
            hid = household.household_id
            placements = [
                p
                for p in household.placements.values()
                if p.starts_on is not None and p.starts_on <= deadline
            ]
            early = [
                p.starts_on
                for p in placements
                if p.starts_on is not None and p.starts_on < household.settled_on
            ]
            if early:
                first = min(early)
                members.append(
                    left_out(
                        "household",
                        hid,
                        "placement_before_settlement",
                        deadline,
                        start=first,
                        settled=household.settled_on,
                        household=hid,
                    )
                )
                continue
            if not placements:
                members.append(
                    left_out(
                        "household",
                        hid,
                        "never_in_municipal_housing",
                        deadline,
                        deadline=deadline,
                        household=hid,
                    )
                )
                continue
            left_on, how = _left_on(household, placements)
            if left_on is not None and left_on < household.settled_on:
                members.append(
                    left_out(
                        "household",
                        hid,
                        "left_before_settlement",
                        deadline,
                        left=left_on,
                        settled=household.settled_on,
                        household=hid,
                    )
                )
                continue
            if (
                left_on is not None
                and left_on <= min(deadline, context.known_on)
                and how in params.excluded_end_reasons
            ):
                members.append(
                    left_out(
                        "household",
                        hid,
                        "left_excluded_reason",
                        deadline,
                        left=left_on,
                        how=how,
                        household=hid,
                    )
                )
                continue
            if deadline > context.known_on:
                members.append(
                    left_out(
                        "household",
                        hid,
                        "window_open",
                        deadline,
                        months=params.months,
                        deadline=deadline,
                        household=hid,
                    )
                )
                continue
            denominator += 1
            if left_on is None or left_on > deadline:
                members.append(
                    in_base(
                        "household",
                        hid,
                        "still_in_municipal_housing",
                        deadline,
                        deadline=deadline,
                        numerator=False,
                        household=hid,
                    )
                )
            elif how == "eviction" and not params.count_evictions:
                members.append(
                    in_base(
                        "household",
                        hid,
                        "left_through_eviction",
                        deadline,
                        left=left_on,
                        numerator=False,
                        household=hid,
                    )
                )
            else:
                numerator += 1
                months = _months_between(household.settled_on, left_on)
                members.append(
                    in_base(
                        "household",
                        hid,
                        "left",
                        deadline,
                        left=left_on,
                        how=how,
                        months=months,
                        numerator=True,
                        household=hid,
                        amount=months,
                    )
                )
    return Result(share(numerator, denominator), numerator, denominator, tuple(members))


def _left_on(household: Household, placements: Iterable[Any]) -> tuple[date | None, str]:
    """When the household stopped living in municipal housing, and how."""
    ownerships = sorted(household.ownerships, key=lambda o: o.became_owner_on)
    owned = ownerships[0].became_owner_on if ownerships else None
    placements = list(placements)
    ended = None
    reason = "other"
    if all(p.ends_on is not None for p in placements):
        last = max(placements, key=lambda p: p.ends_on)
        ended, reason = last.ends_on, last.end_reason or "other"
        if any(e.evicted_on == ended for e in household.evictions):
            reason = "eviction"
    if owned is not None and (ended is None or owned <= ended):
        return owned, f"became_owner_{ownerships[0].route}"
    return ended, reason


def _months_between(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (1 if end.day < start.day else 0)


HOUSEHOLDS_WAITING: Rule[Any] = Rule(
    "households_waiting",
    "Households waiting for a dwelling (average of month ends)",
    "Husstander som venter på bolig (snitt av månedsslutt)",
    Unit.number,
    WaitingParams,
    RuleDoc(
        value="numerator / denominator: the average number of households waiting "
        "at the month ends of the period that have passed by the as-of date.",
        numerator="The sum over those month ends of households with an application "
        "received on or before the day and still waiting: not rejected or "
        "withdrawn by then, and the household not placed in a dwelling by then "
        "(a placement of that application, or any placement starting on or after "
        "the application was received). Accepted applications wait until placed "
        "(`count_accepted_until_placed`).",
        denominator="The number of month ends counted.",
        exclusions="Urgencies not in `urgencies` (if given); month ends after the as-of date.",
        period_date="Each month end (the last day of the month).",
        as_of=AS_OF_EVENTS,
    ),
    households_waiting,
)

EVICTIONS: Rule[Any] = Rule(
    "evictions",
    "Evictions from municipal dwellings",
    "Utkastelser fra kommunale boliger",
    Unit.number,
    EvictionParams,
    RuleDoc(
        value="The number of evictions.",
        numerator="`housing.eviction.recorded` events with `evicted_on` in the period.",
        denominator="None (a count).",
        exclusions="None.",
        period_date="`evicted_on`.",
        as_of=AS_OF_EVENTS,
    ),
    evictions,
)

HOUSEHOLDS_BECAME_OWNERS: Rule[Any] = Rule(
    "households_became_owners",
    "Households becoming owners",
    "Husstander som ble eiere",
    Unit.number,
    OwnersParams,
    RuleDoc(
        value="The number of households; `breakdown` gives the count per route.",
        numerator="Households with a `housing.household.became_owner` in the period "
        "through one of `routes` (rent_to_own, start_loan); a household counts once.",
        denominator="None (a count).",
        exclusions="Routes not in `routes`.",
        period_date="`became_owner_on`.",
        as_of=AS_OF_EVENTS,
    ),
    households_became_owners,
)

LEFT_MUNICIPAL_HOUSING_WITHIN: Rule[Any] = Rule(
    "left_municipal_housing_within",
    "Share of households that left municipal housing within N months of settlement",
    "Andel husstander som flyttet ut av kommunal bolig innen N måneder etter bosetting",
    Unit.percent,
    LeftHousingParams,
    RuleDoc(
        value="100 × numerator / denominator.",
        numerator="Households that left municipal housing on or before the deadline: "
        "every placement started by the deadline has ended (the last end is the day "
        "they left), or the household became an owner (rent-to-own or start loan) "
        "first. Leaving through eviction counts only with `count_evictions`.",
        denominator="Households (by `household_id` on `participant.settled`) with a "
        "municipal placement started by the deadline, whose deadline — the earliest "
        "member settlement + `months` (27) calendar months — is in the period.",
        exclusions="Households never placed by the deadline; households whose "
        "placement ended with a reason in `excluded_end_reasons` (moved_municipality, "
        "death); households whose window is still open at the as-of date (even if "
        "they have left already: counting only early leavers would flatter the "
        "figure); households placed, or leaving, before their settlement (a "
        "data-quality issue, counted in `data_quality`).",
        period_date="The deadline (settlement + `months`).",
        as_of=AS_OF_EVENTS,
    ),
    left_municipal_housing_within,
)
