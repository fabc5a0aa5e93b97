"""The employers read model, inline from this service's own events."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.matching.events import (
    EmployerContactErased,
    EmployerContactRecorded,
    EmployerDetailsRecorded,
    EmployerRegistered,
    EmployerRegisteredV1,
    registry,
)
from services.matching.tables import (
    contact_keys,
    employers,
    touched,
)
from shared import sealing
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Projection


async def _apply_employers(conn: AsyncConnection, envelope: Envelope) -> None:
    if not envelope.type_name.startswith("matching.employer."):
        return
    event = registry.decode(envelope.type_name, envelope.data)
    if isinstance(event, EmployerRegistered | EmployerRegisteredV1):
        await conn.execute(
            pg.insert(employers)
            .values(
                employer_id=event.employer_id,
                municipality=envelope.municipality,
                organisation_number=event.organisation_number,
                industry=event.industry if isinstance(event, EmployerRegisteredV1) else "",
                municipality_code=event.municipality_code,
                mentor_capacity=event.mentor_capacity,
                registered_at=envelope.recorded_at,
                version=envelope.stream_version,
                **touched(),
            )
            .on_conflict_do_nothing(index_elements=["employer_id"])
        )
    elif isinstance(event, EmployerContactRecorded):
        await conn.execute(
            sa.update(employers)
            .where(employers.c.employer_id == event.employer_id)
            .values(
                contact=await _open_contact(conn, event.contact_id, event.sealed) or sa.null(),
                contact_id=event.contact_id,
                version=envelope.stream_version,
                **touched(),
            )
        )
    elif isinstance(event, EmployerContactErased):
        await conn.execute(
            sa.update(employers)
            .where(employers.c.employer_id == event.employer_id)
            .values(
                contact=sa.null(), contact_id=None, version=envelope.stream_version, **touched()
            )
        )
    elif isinstance(event, EmployerDetailsRecorded):
        await conn.execute(
            sa.update(employers)
            .where(employers.c.employer_id == event.employer_id)
            .values(
                name=event.name,
                **({"industry": event.industry} if event.industry is not None else {}),
                **(
                    {"contact": event.contact.model_dump(mode="json")}
                    if event.contact is not None
                    else {}
                ),
                agreements=[a.model_dump(mode="json") for a in event.agreements],
                version=envelope.stream_version,
                **touched(),
            )
        )


async def _open_contact(
    conn: AsyncConnection, contact_id: uuid.UUID, sealed: str
) -> dict[str, Any] | None:
    """The sealed contact person, or None once their key was destroyed (an erasure)."""
    key = await conn.scalar(
        sa.select(contact_keys.c.key).where(contact_keys.c.contact_id == contact_id)
    )
    if key is None:
        return None
    try:
        return sealing.unseal(bytes(key), contact_id, sealed)
    except sealing.Unreadable:
        return None


EMPLOYERS = Projection("employers", OWN_EVENTS, (employers,), _apply_employers)
