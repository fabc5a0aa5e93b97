"""Shared homes (bofellesskap) for unaccompanied minors: places and the youths' stays.

A shared home is a dwelling type of its own: it has places, not a tenancy, and each
unaccompanied minor holds one place while living there. A placement beyond its places
on any day of the stay is ``shared-home-full`` (409).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing.api.common import Body, Day, Reader, command_route, today
from services.housing.application import shared_homes as use
from services.housing.domain import shared_home as home
from shared.commands import CommandResult
from shared.deps import RuntimeDep
from shared.events import Event, Metadata
from shared.http import problem_responses
from shared.service import Runtime

router = APIRouter(prefix="/housing/shared-homes", tags=["shared homes"])


class RegisterSharedHome(Body):
    district: str = Field(min_length=1, max_length=100)
    places: int = Field(ge=1, le=100, description="Places for youths (plasser)")
    registered_on: Day


class ChangePlaces(Body):
    places: int = Field(ge=1, le=100)
    changed_on: Day


class PlaceMinor(Body):
    participant_id: uuid.UUID = Field(description="The unaccompanied minor (pseudonymous id)")
    starts_on: Day


class EndStay(Body):
    ends_on: Day


command_route(
    router,
    "POST",
    "",
    RegisterSharedHome,
    use.register,
    name="register_shared_home",
    status_code=201,
    response_model=None,
    summary="Registrer et bofellesskap med plasser. / Register a shared home with its places.",
)


def _on_shared_home(
    path: str,
    body: type[Body],
    decide: Callable[..., list[Event]],
    *,
    name: str,
    summary: str,
    description: str | None = None,
    status_code: int = 200,
    minor: str | None = None,
) -> None:
    """A command deciding ``decide(state, **path ids and body fields, today)`` on the shared
    home under its lock; ``minor`` names the field holding the youth given a place, whom
    the use case checks."""

    async def change(
        runtime: Runtime,
        conn: AsyncConnection,
        metadata: Metadata,
        shared_home_id: uuid.UUID,
        **arguments: Any,
    ) -> CommandResult:
        return await use.change(
            runtime,
            conn,
            metadata,
            shared_home_id,
            lambda state: decide(state, **arguments, today=today()),
            status_code,
            arguments[minor] if minor is not None else None,
        )

    command_route(
        router,
        "POST",
        path,
        body,
        change,
        name=name,
        status_code=status_code,
        response_model=None,
        summary=summary,
        description=description,
        target=_shared_home,
        target_noun="shared home",
    )


def _shared_home(shared_home_id: uuid.UUID, **_: uuid.UUID) -> str:
    return home.shared_home_stream(shared_home_id)


def _place(
    state: home.SharedHome, *, participant_id: uuid.UUID, starts_on: date, today: date
) -> list[Event]:
    return home.place(state, uuid.uuid4(), participant_id, starts_on, today)


def _leave(
    state: home.SharedHome, *, placement_id: uuid.UUID, ends_on: date, today: date
) -> list[Event]:
    return home.leave(state, placement_id, ends_on, today)


def _change_places(
    state: home.SharedHome, *, places: int, changed_on: date, today: date
) -> list[Event]:
    return home.change_places(state, places, changed_on, today)


_on_shared_home(
    "/{shared_home_id}/places",
    ChangePlaces,
    _change_places,
    name="change_shared_home_places",
    summary="Endre antall plasser fra en dato. / Change the number of places from a date.",
    description="Refused below the youths living there (`shared-home-places-taken`).",
)

_on_shared_home(
    "/{shared_home_id}/placements",
    PlaceMinor,
    _place,
    name="place_minor",
    status_code=201,
    minor="participant_id",
    summary="Gi en enslig mindreårig en plass. / Give an unaccompanied minor a place.",
    description="409 `shared-home-full` when every place is taken on some day from "
    "`starts_on`; 409 `minor-already-placed` when the youth already has a place here; 409 "
    "`not-unaccompanied-minor` unless the participant's settlement as an unaccompanied minor "
    "has reached housing.",
)

_on_shared_home(
    "/{shared_home_id}/placements/{placement_id}/end",
    EndStay,
    _leave,
    name="end_stay",
    summary="Avslutt et opphold (plassen er ledig samme dag). / End a stay (the place is free "
    "that day).",
)


@router.get(
    "/{shared_home_id}",
    summary="Bofellesskapet: plasser, belegg og opphold. / The shared home: places, occupancy "
    "and stays.",
    responses=problem_responses(401, 403, 404),
)
async def get_shared_home(
    shared_home_id: uuid.UUID, runtime: RuntimeDep, principal: Reader
) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        state, version = await use.load(runtime, conn, shared_home_id, principal.municipality)
    return use.view(state, version, today())
