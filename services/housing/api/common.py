"""What every housing router shares: roles, date rules, running a command."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.auth import Principal, require_roles
from shared.commands import CommandResult
from shared.dates import Day, today
from shared.events import Metadata
from shared.service import Runtime

__all__ = ["Body", "Day", "Officer", "Reader", "can_see_addresses", "run_command", "today"]

Officer = Annotated[Principal, Depends(require_roles("housing_officer"))]
"""Housing officers (boligkontor) change housing data."""

Reader = Annotated[Principal, Depends(require_roles("housing_officer", "manager", "analyst"))]
"""Officers, managers and analysts read stock, waiting lists and reports."""


ADDRESS_ROLES = frozenset({"housing_officer", "manager"})


def can_see_addresses(principal: Principal) -> bool:
    """Addresses only for officers and managers: an analyst who sees a household's dwelling
    must not be able to locate it (no path from a pseudonymous id to an address)."""
    return principal.has_any(ADDRESS_ROLES)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Work = Callable[[AsyncConnection, Metadata], Awaitable[CommandResult]]


Visible = Callable[[AsyncConnection], Awaitable[None]]


async def run_command(
    runtime: Runtime,
    request: Request,
    response: Response,
    principal: Principal,
    body: BaseModel | None,
    work: Work,
    *,
    visible: Visible | None = None,
    target: str | None = None,
    target_noun: str = "record",
) -> dict[str, Any]:
    """One transaction under the request's Idempotency-Key; status and body of the result.

    ``visible`` checks that the ids the command names exist in the caller's municipality
    and ``target`` names the stream it acts on (the kit checks it): both before the key is
    looked up, so an unknown id and another municipality's answer the same 404.
    """
    metadata = runtime.metadata(principal, request)
    if visible is not None:
        async with runtime.db.connect() as conn:
            await visible(conn)
    result = await runtime.command(
        lambda conn: work(conn, metadata),
        principal=principal,
        request=request,
        body=body.model_dump(mode="json") if body is not None else None,
        target=target,
        target_noun=target_noun,
    )
    response.status_code = result.status_code
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return result.body
