"""What the indicators routers share: roles, query parameters, scope, command answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from services.indicators import queries
from services.indicators.domain.asof import AsOf, AsOfError, parse_as_of
from services.indicators.domain.plan import Plan
from services.indicators.domain.scoring import IndicatorValue
from services.indicators.loader import load_plan
from shared.auth import Principal, require_roles
from shared.codes import AnyMunicipalityCode
from shared.commands import CommandResult
from shared.events import Metadata, utcnow
from shared.problems import Forbidden, InvalidInput, field_error
from shared.service import Runtime

READERS = ("manager", "analyst", "caseworker", "agency")
PERSONAL_DATA_ROLES = frozenset({"caseworker", "manager"})
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
Manager = Annotated[Principal, Depends(require_roles("manager"))]
Editor = Annotated[Principal, Depends(require_roles("manager", "analyst"))]
DrillDowner = Annotated[Principal, Depends(require_roles("manager", "analyst", "caseworker"))]
Agency = Annotated[Principal, Depends(require_roles("agency"))]


def resource_router() -> APIRouter:
    """A router for one resource under ``/indicators``."""
    return APIRouter(prefix="/indicators", tags=["indicators"])


def get_state(request: Request) -> queries.IndicatorsState:
    state: queries.IndicatorsState = request.app.state.indicators
    return state


StateDep = Annotated[queries.IndicatorsState, Depends(get_state)]


def get_as_of(
    as_of: Annotated[
        str | None,
        Query(
            description="What was known then: a date (end of that day, Norwegian time) or a "
            "date-time with zone. Default now; the future is refused.",
            examples=["2025-03-01"],
        ),
    ] = None,
) -> AsOf:
    try:
        return parse_as_of(as_of, utcnow())
    except AsOfError as exc:
        raise InvalidInput(f"as_of: {exc}.", [field_error("as_of", str(exc))]) from exc


AsOfDep = Annotated[AsOf, Depends(get_as_of)]
MunicipalityQuery = Annotated[
    AnyMunicipalityCode | None,
    Query(
        description="Another municipality (agency role only), a kommunenummer of any division "
        "since 2020; default the token's.",
    ),
]
PeriodQuery = Annotated[str, Query(description="2025, 2025-Q2 or 2025-03", examples=["2025"])]
LangQuery = Annotated[str, Query(pattern="^(nb|en)$", description="Labels in CSV exports")]
FormatQuery = Annotated[str, Query(pattern="^(json|csv)$", description="json or csv")]
KeyPath = Annotated[str, Path(description="The municipality's indicator key")]
YearQuery = Annotated[int, Query(ge=1990, le=2100)]


def scope(principal: Principal, municipality: str | None) -> str:
    """The municipality a question is about; only national roles may ask about others."""
    if municipality is None or municipality == principal.municipality:
        return principal.municipality
    if "agency" in principal.roles:
        return municipality
    raise Forbidden("Only national roles (agency) may look at another municipality.")


async def run_command(
    runtime: Runtime,
    request: Request,
    response: Response,
    principal: Principal,
    change: Callable[[AsyncConnection, Metadata], Awaitable[CommandResult]],
    body: dict[str, Any],
) -> dict[str, Any]:
    """Run a plan change through the kit's command pipeline and answer as it decided
    (status, and ``Idempotent-Replayed`` when an earlier answer is repeated)."""
    metadata = runtime.metadata(principal, request)
    result = await runtime.command(
        lambda conn: change(conn, metadata), principal=principal, request=request, body=body
    )
    response.status_code = result.status_code
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return result.body


def value_out(value: IndicatorValue, municipality: str, as_of: AsOf) -> dict[str, Any]:
    return {**value.describe(), "municipality": municipality, "as_of": as_of.label}


async def plan_as_of(
    runtime: Runtime, principal: Principal, municipality: str | None, as_of: AsOf
) -> Plan:
    """The plan of the municipality asked about, as it stood at the as-of moment."""
    async with runtime.db.connect() as conn:
        return await load_plan(conn, scope(principal, municipality), as_of.moment)
