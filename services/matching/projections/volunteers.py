"""Volunteers, their needs and gatherings: read models inline from this service's events.

The personal record stays sealed in ``volunteers.sealed``; queries open it with the
volunteer's key, so after an erasure (key deleted, ``sealed`` cleared) no table holds
the volunteer's name or contact in any form.
"""

from __future__ import annotations

from typing import Any

from services.matching.events import (
    VolunteerApproved,
    VolunteerAssigned,
    VolunteerAssignmentEnded,
    VolunteerAssignmentFollowedUp,
    VolunteerCertificateChecked,
    VolunteerContacted,
    VolunteerErased,
    VolunteerGatheringHeld,
    VolunteerNeedRegistered,
    VolunteerProfileRecorded,
    VolunteerRegistered,
)
from services.matching.projections.stream_rows import StreamRows
from services.matching.tables import new_row, volunteer_gatherings, volunteer_needs, volunteers
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Batch, Projection, Row


def _registered(event: VolunteerRegistered, envelope: Envelope) -> Row:
    return new_row(
        volunteers,
        volunteer_id=event.volunteer_id,
        municipality=envelope.municipality,
        roles=[r.value for r in event.roles],
        languages=list(event.languages),
        municipality_code=event.municipality_code,
        capacity=event.capacity,
        consented_on=event.consented_on,
        skills=[],
        areas=[],
        slots=[],
        assignments=[],
        erased=False,
        registered_at=envelope.recorded_at,
        version=envelope.stream_version,
    )


def _with_assignment(row: Row, assignment_id: str, **changes: Any) -> list[dict[str, Any]]:
    return [
        {**a, **changes} if a["assignment_id"] == assignment_id else a for a in row["assignments"]
    ]


def _volunteer_changes(batch: Batch, event: Any, envelope: Envelope, row: Row) -> dict[str, Any]:
    if isinstance(event, VolunteerProfileRecorded):
        return {
            "skills": list(event.skills),
            "areas": list(event.areas),
            "slots": [s.model_dump(mode="json") for s in event.slots],
            "available_from": event.available_from,
            "available_until": event.available_until,
            "sealed": event.sealed,
        }
    if isinstance(event, VolunteerCertificateChecked):
        return {
            "certificate": {
                "checked_on": event.checked_on.isoformat(),
                "checked_by": event.checked_by,
                "expires_on": event.expires_on.isoformat(),
            }
        }
    if isinstance(event, VolunteerApproved):
        return {"approved_on": event.approved_on}
    if isinstance(event, VolunteerContacted):
        last = row["last_contact_on"]
        return {"last_contact_on": max(last, event.contacted_on) if last else event.contacted_on}
    if isinstance(event, VolunteerAssigned):
        assignment: dict[str, Any] = {
            "assignment_id": str(event.assignment_id),
            "need_id": str(event.need_id),
            "role": event.role.value,
            "starts_on": event.starts_on.isoformat(),
            "ends_on": event.ends_on.isoformat() if event.ends_on else None,
            "ended_on": None,
            "follow_ups": [],
        }
        return {"assignments": [*row["assignments"], assignment]}
    if isinstance(event, VolunteerAssignmentEnded):
        return {
            "assignments": _with_assignment(
                row, str(event.assignment_id), ended_on=event.ended_on.isoformat()
            )
        }
    if isinstance(event, VolunteerAssignmentFollowedUp):
        [known] = [a for a in row["assignments"] if a["assignment_id"] == str(event.assignment_id)]
        follow_up = {"on": event.followed_up_on.isoformat(), "status": event.status.value}
        return {
            "assignments": _with_assignment(
                row, str(event.assignment_id), follow_ups=[*known["follow_ups"], follow_up]
            )
        }
    assert isinstance(event, VolunteerErased)
    certificate = row["certificate"]
    return {
        "sealed": None,
        "skills": [],
        "areas": [],
        "slots": [],
        "certificate": None
        if certificate is None
        else {k: v for k, v in certificate.items() if k != "checked_by"},
        "erased": True,
    }


VOLUNTEERS = Projection(
    "volunteers",
    OWN_EVENTS,
    (volunteers,),
    apply_batch=StreamRows(
        volunteers,
        ("matching.volunteer.",),
        key=lambda event: event.volunteer_id,
        starts=VolunteerRegistered,
        new=_registered,
        changes=_volunteer_changes,
    ),
)


def _need(event: VolunteerNeedRegistered, envelope: Envelope) -> Row:
    return new_row(
        volunteer_needs,
        need_id=event.need_id,
        municipality=envelope.municipality,
        participant_id=event.participant_id,
        household_id=event.household_id,
        need=event.model_dump(mode="json"),
        registered_at=envelope.recorded_at,
        version=envelope.stream_version,
    )


def _unchanged(batch: Batch, event: Any, envelope: Envelope, row: Row) -> None:
    return None


VOLUNTEER_NEEDS = Projection(
    "volunteer_needs",
    OWN_EVENTS,
    (volunteer_needs,),
    apply_batch=StreamRows(
        volunteer_needs,
        ("matching.volunteer_need.",),
        key=lambda event: event.need_id,
        starts=VolunteerNeedRegistered,
        new=_need,
        changes=_unchanged,
    ),
)


def _gathering(event: VolunteerGatheringHeld, envelope: Envelope) -> Row:
    return new_row(
        volunteer_gatherings,
        gathering_id=event.gathering_id,
        municipality=envelope.municipality,
        kind=event.kind.value,
        held_on=event.held_on,
        attended=[str(v) for v in event.attended],
        version=envelope.stream_version,
    )


VOLUNTEER_GATHERINGS = Projection(
    "volunteer_gatherings",
    OWN_EVENTS,
    (volunteer_gatherings,),
    apply_batch=StreamRows(
        volunteer_gatherings,
        ("matching.volunteer_gathering.",),
        key=lambda event: event.gathering_id,
        starts=VolunteerGatheringHeld,
        new=_gathering,
        changes=_unchanged,
    ),
)
