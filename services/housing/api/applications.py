"""Housing applications and the waiting list (now, at any past day, month by month)."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field

from services.housing import application, domain, queries
from services.housing.api.common import (
    Body,
    Day,
    Officer,
    Reader,
    command_route,
    fields,
    today,
    view_route,
)
from services.housing.api.schemas import ApplicationOut, MonthEndsOut, WaitingListOut
from services.housing.events import Decision, Urgency
from shared.dates import EARLIEST, LATEST
from shared.deps import RuntimeDep
from shared.http import problem_responses
from shared.paging import Limit, Offset, page
from shared.problems import InvalidInput, field_error

router = APIRouter(prefix="/housing", tags=["waiting list"])

MAX_MONTHS = 240
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class MemberNeedsIn(Body):
    participant_id: uuid.UUID = Field(description="A member of the household (participant.settled)")
    needs_wheelchair_access: bool = Field(default=False, description="Not published")
    needs_step_free: bool = Field(default=False, description="Not published")


MemberNeedsList = Annotated[
    list[MemberNeedsIn],
    Field(
        max_length=30,
        description="Needs of named members, sealed with each person's own key: they count "
        "while that member lives in the household and leave with their erasure (not published)",
    ),
]


def _members(given: list[MemberNeedsIn]) -> tuple[domain.MemberNeeds, ...]:
    return tuple(
        domain.MemberNeeds(m.participant_id, m.needs_wheelchair_access, m.needs_step_free)
        for m in given
    )


class ReceiveApplication(Body):
    household_id: uuid.UUID = Field(description="The household id from participant.settled")
    household_size: int | None = Field(
        default=None,
        ge=1,
        le=30,
        description="Persons the dwelling is for; default: the ages given, else the settled size",
    )
    member_ages: list[Annotated[int, Field(ge=0, le=120)]] = Field(
        default_factory=list, max_length=30, description="One age per member (not published)"
    )
    needs_wheelchair_access: bool = Field(default=False, description="Not published")
    needs_step_free: bool = Field(default=False, description="Not published")
    district_wishes: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=10
    )
    members: MemberNeedsList = Field(default_factory=list)
    urgency: Urgency = Urgency.normal
    received_on: Day = Field(default_factory=today)


class RecordNeeds(Body):
    member_ages: list[Annotated[int, Field(ge=0, le=120)]] = Field(
        default_factory=list,
        max_length=30,
        description="One age per member living in the household today (not published)",
    )
    needs_wheelchair_access: bool = Field(default=False, description="Not published")
    needs_step_free: bool = Field(default=False, description="Not published")
    district_wishes: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=10
    )
    members: MemberNeedsList = Field(default_factory=list)


class DecideApplication(Body):
    decision: Literal["accepted", "rejected"]
    decided_on: Day = Field(default_factory=today)


class Withdraw(Body):
    withdrawn_on: Day = Field(default_factory=today)


def _needs(body: ReceiveApplication | RecordNeeds) -> dict[str, Any]:
    return {
        **fields(body),
        "member_ages": tuple(body.member_ages),
        "district_wishes": tuple(body.district_wishes),
        "members": _members(body.members),
    }


command_route(
    router,
    "POST",
    "/applications",
    ReceiveApplication,
    application.receive_application,
    name="receive_application",
    status_code=201,
    response_model=ApplicationOut,
    summary="Registrer en husstands søknad om kommunal bolig / Register a household's application "
    "for a municipal dwelling",
    description="The household must be known from its settlement (`participant.settled`), and "
    "may have one open (pending or accepted) application at a time (409 otherwise). Publishes "
    "`housing_application.received` (size, date, urgency); ages, access needs and district "
    "wishes stay in an unpublished event. The household waits from `received_on`.",
    arguments=_needs,
    visible={"household": "household_id"},
    location="/housing/applications/{application_id}",
)


view_route(
    router,
    "/applications/{application_id}",
    queries.application_view,
    name="get_application",
    response_model=ApplicationOut,
    summary="Én søknad / One application",
    principal=Officer,
)


command_route(
    router,
    "POST",
    "/applications/{application_id}/decision",
    DecideApplication,
    application.decide_application,
    name="decide_application",
    response_model=ApplicationOut,
    summary="Innvilg (sett på ventelisten) eller avslå en søknad til behandling / Accept (onto "
    "the waiting list) or reject a pending application",
    description="Publishes `housing_application.decided`. A decision is made once (409).",
    arguments=lambda body: {"decision": Decision(body.decision), "decided_on": body.decided_on},
    visible={"application": "application_id"},
)

command_route(
    router,
    "PUT",
    "/applications/{application_id}/needs",
    RecordNeeds,
    application.record_needs,
    name="record_application_needs",
    response_model=ApplicationOut,
    summary="Registrer husstandens aldre, tilgjengelighetsbehov og bydelsønsker på nytt / Record "
    "the household's ages, access needs and district wishes again",
    description="Replaces what the open application recorded, e.g. after a member's erasure "
    "destroyed it (`needs_erased`) or members left; the household keeps its place and waiting "
    "time. Sealed with the household's key in an unpublished event.",
    arguments=_needs,
    visible={"application": "application_id"},
)

command_route(
    router,
    "POST",
    "/applications/{application_id}/withdrawal",
    Withdraw,
    application.decide_application,
    name="withdraw_application",
    response_model=ApplicationOut,
    summary="Husstanden trekker søknaden (til behandling eller innvilget) / The household "
    "withdraws its pending or accepted application",
    description="Publishes `housing_application.decided` with decision `withdrawn`.",
    arguments=lambda body: {"decision": Decision.withdrawn, "decided_on": body.withdrawn_on},
    visible={"application": "application_id"},
)


@router.get(
    "/waiting-list",
    response_model=WaitingListOut,
    summary="Ventelisten i prioritert rekkefølge, nå eller ved slutten av en tidligere dag / The "
    "waiting list in priority order, now or at the end of any past day",
    description="A household waits from the day its application is received until it is "
    "rejected, withdraws, or moves in (those days end the wait). Order: urgency (acute, high, "
    "normal), then the earliest received date, then application id. `days_waiting` counts "
    "from `received_on` to `on`; `households_waiting` is `total`.",
    responses=problem_responses(401, 403, 422),
)
async def list_waiting_list(
    request: Request,
    runtime: RuntimeDep,
    principal: Reader,
    on: Annotated[Day | None, Query(description="Default today")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        found = await queries.waiting_list(
            conn, principal.municipality, on or today(), limit=limit, offset=offset
        )
    total = found["households_waiting"]
    return found | page(request, found["results"], limit=limit, offset=offset, total=total)


def _month(value: str, name: str) -> tuple[int, int]:
    match = _MONTH.match(value)
    if match is None:
        raise InvalidInput(
            f"{name} must be a month like 2013-01.",
            [
                {
                    "field": name,
                    "location": "query",
                    "message": "expected YYYY-MM",
                    "type": "value_error",
                }
            ],
        )
    year = int(match[1])
    if not EARLIEST.year <= year <= LATEST.year:
        raise InvalidInput(
            f"{name} {value} lies outside {EARLIEST.year}-01 … {LATEST.year}-12.",
            [field_error(name, "month outside the plausible window")],
        )
    return year, int(match[2])


@router.get(
    "/waiting-list/month-ends",
    response_model=MonthEndsOut,
    summary="Husstander som venter ved hver månedsslutt (MRS-målet), med årsgjennomsnitt / "
    "Households waiting at the end of every month (the MRS measure), with yearly averages",
    description="For each month from `from` to `to` (YYYY-MM, at most 240 months): the number of "
    "distinct households waiting at the end of its last day. `yearly_averages` is the mean of "
    "the month-end counts within each calendar year of the range (Drammen: 62 on average in "
    "2011, 11 in 2013).",
    responses=problem_responses(401, 403, 422),
)
async def list_waiting_list_month_ends(
    runtime: RuntimeDep,
    principal: Reader,
    from_month: Annotated[str, Query(alias="from", description="YYYY-MM")],
    to_month: Annotated[str, Query(alias="to", description="YYYY-MM")],
) -> dict[str, Any]:
    first, last = _month(from_month, "from"), _month(to_month, "to")
    count = (last[0] - first[0]) * 12 + last[1] - first[1] + 1
    if count < 1:
        raise InvalidInput("`to` is before `from`.", [field_error("to", "must not be before from")])
    if count > MAX_MONTHS:
        raise InvalidInput(
            f"At most {MAX_MONTHS} months at a time.",
            [field_error("to", f"range longer than {MAX_MONTHS} months")],
        )
    months = []
    for index in range(count):
        year, month = divmod(first[0] * 12 + first[1] - 1 + index, 12)
        months.append((year, month + 1))
    async with runtime.db.snapshot() as conn:
        series = await queries.month_end_counts(conn, principal.municipality, months)
    by_year: dict[int, list[int]] = defaultdict(list)
    for year, _, _, waiting in series:
        by_year[year].append(waiting)
    return {
        "months": [
            {"month": f"{y:04d}-{m:02d}", "month_end": end, "households_waiting": n}
            for y, m, end, n in series
        ],
        "yearly_averages": [
            {
                "year": year,
                "months": len(values),
                "average_households_waiting": round(sum(values) / len(values), 2),
            }
            for year, values in sorted(by_year.items())
        ],
    }
