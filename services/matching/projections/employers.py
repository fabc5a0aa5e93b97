"""The employers read model, inline from this service's own events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from services.matching.events import (
    EmployerContactErased,
    EmployerContactRecorded,
    EmployerDetailsRecorded,
    EmployerRegistered,
    EmployerRegisteredV1,
)
from services.matching.projections.stream_rows import StreamRows
from services.matching.tables import contact_keys, employers, new_row
from shared import sealing
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Batch, Projection, Row


def _registered(event: EmployerRegistered | EmployerRegisteredV1, envelope: Envelope) -> Row:
    return new_row(
        employers,
        employer_id=event.employer_id,
        municipality=envelope.municipality,
        organisation_number=event.organisation_number,
        name="",
        industry=event.industry if isinstance(event, EmployerRegisteredV1) else "",
        municipality_code=event.municipality_code,
        mentor_capacity=event.mentor_capacity,
        agreements=[],
        registered_at=envelope.recorded_at,
        version=envelope.stream_version,
    )


def _changes(batch: Batch, event: Any, envelope: Envelope, row: Row) -> dict[str, Any]:
    if isinstance(event, EmployerContactRecorded):
        return {
            "contact": _open_contact(batch, event.contact_id, event.sealed),
            "contact_id": event.contact_id,
        }
    if isinstance(event, EmployerContactErased):
        return {"contact": None, "contact_id": None}
    assert isinstance(event, EmployerDetailsRecorded)
    return {
        "name": event.name,
        **({"industry": event.industry} if event.industry is not None else {}),
        **({"contact": event.contact.model_dump(mode="json")} if event.contact is not None else {}),
        "agreements": [a.model_dump(mode="json") for a in event.agreements],
    }


async def _load_contact_keys(batch: Batch, events: Sequence[Any]) -> None:
    recorded = [e.contact_id for e in events if isinstance(e, EmployerContactRecorded)]
    await batch.load(contact_keys, {(contact_id,) for contact_id in recorded})


def _open_contact(batch: Batch, contact_id: uuid.UUID, sealed: str) -> dict[str, Any] | None:
    """The sealed contact person, or None once their key was destroyed (an erasure)."""
    key = batch.row(contact_keys, (contact_id,))
    if key is None:
        return None
    try:
        return sealing.unseal(bytes(key["key"]), contact_id, sealed)
    except sealing.Unreadable:
        return None


EMPLOYERS = Projection(
    "employers",
    OWN_EVENTS,
    (employers,),
    apply_batch=StreamRows(
        employers,
        ("matching.employer.",),
        key=lambda event: event.employer_id,
        starts=(EmployerRegistered, EmployerRegisteredV1),
        new=_registered,
        changes=_changes,
        prepare=_load_contact_keys,
    ),
)
