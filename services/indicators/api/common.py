"""What the indicators routers share: roles, query parameters, scope, command answers."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from services.indicators import queries
from services.indicators.domain import suppression
from services.indicators.domain.asof import AsOf, AsOfError, parse_as_of
from services.indicators.domain.plan import Plan
from services.indicators.domain.scoring import IndicatorValue
from services.indicators.loader import load_plan
from shared.auth import Principal, require_roles
from shared.codes import AnyMunicipalityCode
from shared.commands import CommandResult
from shared.deps import ExpectedVersionDep, IdempotencyKeyHeader, RuntimeDep
from shared.events import Metadata, utcnow
from shared.http import add_generated_route, problem_responses
from shared.problems import Forbidden, InvalidInput, field_error
from shared.service import Runtime

READERS = ("manager", "analyst", "caseworker", "agency")
PERSONAL_DATA_ROLES = frozenset({"caseworker", "manager"})
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
Manager = Annotated[Principal, Depends(require_roles("manager"))]
Editor = Annotated[Principal, Depends(require_roles("manager", "analyst"))]
"""Registers values and reads reports; the plan itself is edited by a :data:`Manager` only."""
DrillDowner = Annotated[Principal, Depends(require_roles("manager", "analyst", "caseworker"))]
Agency = Annotated[Principal, Depends(require_roles("agency"))]
Body = TypeVar("Body", bound=BaseModel)


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
PeriodQuery = Annotated[
    str,
    Query(
        description="År, kvartal, måned, tertial, hittil i år eller rullerende 12 måneder. / "
        "A year (2025), quarter (2025-Q2), month (2025-03), tertial (2025-T1), year to date "
        "(2025-YTD, 2025-YTD-06, 2025-YTD-06-15; cut at the as-of date) or rolling 12 "
        "months ending with a month (R12-2025-06).",
        examples=["2025"],
    ),
]
LangQuery = Annotated[
    str,
    Query(
        pattern="^(nb|nn|en)$",
        description="Språk i CSV-eksporter: kolonnenavn og etiketter (nn: kolonnenavn på "
        "nynorsk, innhold på bokmål). / Language of CSV exports: column names and labels (nn: "
        "column names in nynorsk, content in bokmål).",
    ),
]
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


@dataclass(frozen=True)
class ChangeRequest(Generic[Body]):
    """One plan change as its use case sees it: path parameters, body and ``If-Match``."""

    path: Mapping[str, Any]
    body: Body
    expected: int | None


Change = Callable[
    [Runtime, AsyncConnection, Metadata, ChangeRequest[Any]], Awaitable[CommandResult]
]


def plan_change(
    router: APIRouter,
    method: str,
    path: str,
    *,
    name: str,
    body: type[BaseModel],
    principal: Any,
    change: Change,
    summary: str,
    description: str | None = None,
    path_params: Mapping[str, Any] | None = None,
    if_match: bool = False,
    status_code: int | None = None,
    response_model: Any = None,
    problems: Sequence[int] = (401, 403, 409, 422),
    location: Callable[[ChangeRequest[Any]], str] | None = None,
    unset_fields: bool = True,
) -> None:
    """Register one plan change on ``router``: the endpoint runs ``change`` through the
    kit's command pipeline (transaction, ``Idempotency-Key``) and answers as it decided.

    ``principal`` is the role alias (e.g. :data:`Manager`); ``path_params`` maps each path
    parameter to its annotation; ``if_match`` reads the expected version from
    ``If-Match``; ``location`` sets the ``Location`` header; ``unset_fields=False``
    leaves fields the client did not send out of the idempotency fingerprint.
    """

    async def endpoint(
        body: BaseModel,
        request: Request,
        response: Response,
        runtime: RuntimeDep,
        caller: Principal,
        expected: int | None = None,
        idempotency_key: IdempotencyKeyHeader = None,
        **params: Any,
    ) -> dict[str, Any]:
        given = ChangeRequest(params, body, expected)
        metadata = runtime.metadata(caller, request)
        result = await runtime.command(
            lambda conn: change(runtime, conn, metadata, given),
            principal=caller,
            request=request,
            body=body.model_dump(mode="json", exclude_unset=not unset_fields),
        )
        response.status_code = result.status_code
        if result.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        if location is not None:
            response.headers["Location"] = location(given)
        return result.body

    # FastAPI reads the parameters from the signature: give each route its own, in the
    # order the OpenAPI document lists them.
    own = inspect.signature(endpoint).parameters
    annotations = {"body": body, "caller": principal, "expected": ExpectedVersionDep}
    params = [
        inspect.Parameter(param, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation)
        for param, annotation in (path_params or {}).items()
    ]
    for param in own.values():
        if param.kind is inspect.Parameter.VAR_KEYWORD or (
            param.name == "expected" and not if_match
        ):
            continue
        if param.name in annotations:
            param = param.replace(
                annotation=annotations[param.name], default=inspect.Parameter.empty
            )
        params.append(param)
    add_generated_route(
        router,
        method,
        path,
        endpoint,
        params,
        name=name,
        return_annotation=dict[str, Any],
        summary=summary,
        description=description,
        responses=problem_responses(*problems),
        status_code=status_code,
        # Without a response model FastAPI documents the return annotation.
        **({} if response_model is None else {"response_model": response_model}),
    )


def value_out(
    value: IndicatorValue,
    municipality: str,
    as_of: AsOf,
    principal: Principal | None = None,
    min_n: int = suppression.DEFAULT_MIN_N,
) -> dict[str, Any]:
    """A value as answered; to a caller outside the municipality (an agency looking at
    another municipality) hidden when it rests on fewer than ``min_n`` people."""
    outside = principal is not None and principal.municipality != municipality
    described = suppression.describe_outgoing(value, min_n) if outside else value.describe()
    return {**described, "municipality": municipality, "as_of": as_of.label}


async def plan_as_of(
    runtime: Runtime,
    principal: Principal,
    municipality: str | None,
    as_of: AsOf,
    draft: bool = False,
) -> Plan:
    """The plan of the municipality asked about in force at the as-of moment (the latest
    approved version), or with ``draft`` as recorded then, approved or not."""
    async with runtime.db.snapshot() as conn:
        return await load_plan(conn, scope(principal, municipality), as_of.moment, draft=draft)


DraftQuery = Annotated[
    bool,
    Query(
        description="Utkastet: planen slik den er registrert, godkjent eller ikke (kun "
        "leder). / The draft: the plan as recorded, approved or not (manager only); "
        "default the approved plan in force.",
    ),
]


def check_draft_reader(principal: Principal, draft: bool) -> None:
    """Only those who edit the plan see its unapproved draft."""
    if draft and "manager" not in principal.roles:
        raise Forbidden("Only a manager (leder) sees the plan's unapproved draft.")


async def get_plan(
    runtime: RuntimeDep,
    principal: Reader,
    as_of: AsOfDep,
    municipality: MunicipalityQuery = None,
    draft: DraftQuery = False,
) -> Plan:
    check_draft_reader(principal, draft)
    return await plan_as_of(runtime, principal, municipality, as_of, draft)


PlanDep = Annotated[Plan, Depends(get_plan)]
"""The plan asked about (the caller's, or another municipality's for national roles) in
force at the as-of moment — or its draft (``?draft=true``, managers)."""
