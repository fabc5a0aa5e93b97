"""Use cases of the resource bank of volunteers: load, decide, append in one transaction.

The volunteer's personal record (name, contact, gender, what they want to contribute,
informal competence) is sealed with a key of their own in ``volunteer_keys``; an
erasure deletes the key and clears the sealed copy in the read model, so the event
store keeps only noise and no table holds the record.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.matching import application
from services.matching.domain import needs as need_domain
from services.matching.domain import volunteers as domain
from services.matching.domain.needs import Need
from services.matching.domain.volunteers import (
    VOLUNTEER,
    VOLUNTEER_GATHERING,
    VOLUNTEER_NEED,
    Assignment,
    Certificate,
    Volunteer,
)
from services.matching.events import (
    GatheringKind,
    Gender,
    TimeSlot,
    VolunteerGatheringHeld,
    VolunteerNeedRegistered,
    VolunteerRole,
)
from services.matching.tables import (
    volunteer_gatherings,
    volunteer_keys,
    volunteer_needs,
    volunteers,
)
from shared import sealing
from shared.commands import CommandResult
from shared.events import Metadata
from shared.paging import count_of
from shared.problems import NotFound
from shared.service import Runtime


async def register_volunteer(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    personal: dict[str, Any],
    roles: list[VolunteerRole],
    languages: list[str],
    municipality_code: str,
    capacity: int,
    consented_on: date,
    skills: list[str],
    areas: list[str],
    slots: list[TimeSlot],
    available_from: date,
    available_until: date | None,
) -> CommandResult:
    volunteer_id = uuid.uuid4()
    key = sealing.new_key()
    events = domain.register_volunteer(
        volunteer_id,
        roles=roles,
        languages=languages,
        municipality_code=municipality_code,
        capacity=capacity,
        consented_on=consented_on,
        skills=skills,
        areas=areas,
        slots=slots,
        available_from=available_from,
        available_until=available_until,
        sealed=sealing.seal(key, volunteer_id, personal),
    )
    await conn.execute(sa.insert(volunteer_keys).values(volunteer_id=volunteer_id, key=key))
    version = await application._append(runtime, conn, metadata, VOLUNTEER, volunteer_id, events, 0)
    return CommandResult(201, {"id": str(volunteer_id), "version": version})


VolunteerUseCase = Callable[..., Awaitable[CommandResult]]


async def _decided(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    volunteer_id: uuid.UUID,
    decide: Callable[[Volunteer], list[Any]],
) -> int:
    """The volunteer's stream locked, ``decide`` on it, its events appended: the version."""
    _, version = await application._locked_step(
        runtime, conn, metadata, VOLUNTEER, volunteer_id, domain.fold_volunteer, decide, None
    )
    return version


async def _volunteer_step(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    volunteer_id: uuid.UUID,
    decide: Callable[[Volunteer], list[Any]],
) -> CommandResult:
    version = await _decided(runtime, conn, metadata, volunteer_id, decide)
    return CommandResult(200, {"id": str(volunteer_id), "version": version})


def _decided_on_volunteer(decide: Callable[..., list[Any]]) -> VolunteerUseCase:
    """The coordinator's use case ``decide`` answers on one volunteer's stream.

    It takes the path ids (the volunteer's, then an assignment's where there is one) and
    the body's fields by name, and hands them to ``decide`` after the folded volunteer.
    """

    async def use_case(
        runtime: Runtime,
        conn: AsyncConnection,
        metadata: Metadata,
        volunteer_id: uuid.UUID,
        *ids: uuid.UUID,
        **fields: Any,
    ) -> CommandResult:
        return await _volunteer_step(
            runtime, conn, metadata, volunteer_id, lambda state: decide(state, *ids, **fields)
        )

    return use_case


check_certificate = _decided_on_volunteer(domain.check_certificate)
approve = _decided_on_volunteer(domain.approve)
record_contact = _decided_on_volunteer(domain.record_contact)


async def erase_volunteer(
    runtime: Runtime, conn: AsyncConnection, metadata: Metadata, volunteer_id: uuid.UUID
) -> CommandResult:
    """Forget the volunteer: their key goes, the sealed copies are noise."""
    result = await _volunteer_step(runtime, conn, metadata, volunteer_id, domain.erase)
    await conn.execute(
        sa.delete(volunteer_keys).where(volunteer_keys.c.volunteer_id == volunteer_id)
    )
    return result


async def register_need(
    runtime: Runtime, conn: AsyncConnection, metadata: Metadata, *, need: Need
) -> CommandResult:
    events = need_domain.register_need(need)
    version = await application._append(
        runtime, conn, metadata, VOLUNTEER_NEED, need.need_id, events, 0
    )
    return CommandResult(201, {"id": str(need.need_id), "version": version})


async def assign(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    volunteer_id: uuid.UUID,
    *,
    need_id: uuid.UUID,
    starts_on: date,
    ends_on: date | None,
) -> CommandResult:
    """Assign the volunteer to the need, the volunteer's stream locked: two assignments
    competing for the last of their capacity queue, and the second is refused."""
    need, _ = await application._load(
        runtime, conn, VOLUNTEER_NEED, need_id, metadata.municipality, need_domain.fold_need
    )
    if need is None:
        raise NotFound(f"No need {need_id} in municipality {metadata.municipality}.")
    assignment_id = uuid.uuid4()
    version = await _decided(
        runtime,
        conn,
        metadata,
        volunteer_id,
        lambda state: need_domain.assign(
            state, need, assignment_id=assignment_id, starts_on=starts_on, ends_on=ends_on
        ),
    )
    return CommandResult(
        201, {"id": str(assignment_id), "volunteer_id": str(volunteer_id), "version": version}
    )


follow_up = _decided_on_volunteer(domain.follow_up)
end_assignment = _decided_on_volunteer(domain.end_assignment)


async def hold_gathering(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    *,
    kind: GatheringKind,
    held_on: date,
    attended: list[uuid.UUID],
) -> CommandResult:
    """A gathering with the volunteers who came; each must be one of the municipality's."""
    known = set(
        await conn.scalars(
            sa.select(volunteers.c.volunteer_id).where(
                volunteers.c.municipality == metadata.municipality,
                volunteers.c.volunteer_id.in_(attended),
            )
        )
    )
    missing = [v for v in attended if v not in known]
    if missing:
        raise NotFound(f"No volunteer {missing[0]} in municipality {metadata.municipality}.")
    gathering_id = uuid.uuid4()
    version = await application._append(
        runtime,
        conn,
        metadata,
        VOLUNTEER_GATHERING,
        gathering_id,
        [
            VolunteerGatheringHeld(
                gathering_id=gathering_id,
                kind=kind,
                held_on=held_on,
                attended=tuple(dict.fromkeys(attended)),
            )
        ],
        0,
    )
    return CommandResult(201, {"id": str(gathering_id), "version": version})


# --- reads ------------------------------------------------------------------------------


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def volunteer_from_row(row: Any) -> Volunteer:
    """The volunteer as the read model holds them (the matching's view of the stream)."""
    certificate = row.certificate
    return Volunteer(
        volunteer_id=row.volunteer_id,
        roles=frozenset(VolunteerRole(r) for r in row.roles),
        languages=frozenset(row.languages),
        municipality_code=row.municipality_code,
        capacity=row.capacity,
        skills=frozenset(row.skills),
        areas=frozenset(row.areas),
        slots=frozenset(TimeSlot.model_validate(s) for s in row.slots),
        available_from=row.available_from,
        available_until=row.available_until,
        certificate=None
        if certificate is None
        else Certificate(
            date.fromisoformat(certificate["checked_on"]),
            certificate.get("checked_by", ""),
            date.fromisoformat(certificate["expires_on"]),
        ),
        approved_on=row.approved_on,
        erased=row.erased,
        assignments={
            uuid.UUID(a["assignment_id"]): Assignment(
                uuid.UUID(a["assignment_id"]),
                uuid.UUID(a["need_id"]),
                VolunteerRole(a["role"]),
                date.fromisoformat(a["starts_on"]),
                _day(a["ends_on"]),
                _day(a["ended_on"]),
            )
            for a in row.assignments
        },
    )


def _personal(row: Any) -> dict[str, Any] | None:
    if row.sealing_key is None or row.sealed is None:
        return None
    try:
        return sealing.unseal(bytes(row.sealing_key), row.volunteer_id, row.sealed)
    except sealing.Unreadable:
        return None


def _select_volunteers(municipality: str) -> sa.Select[Any]:
    return (
        sa.select(volunteers, volunteer_keys.c.key.label("sealing_key"))
        .select_from(
            volunteers.outerjoin(
                volunteer_keys, volunteer_keys.c.volunteer_id == volunteers.c.volunteer_id
            )
        )
        .where(volunteers.c.municipality == municipality)
        .order_by(volunteers.c.registered_at, volunteers.c.volunteer_id)
    )


def _view(row: Any) -> dict[str, Any]:
    return {
        "volunteer_id": row.volunteer_id,
        "personal": _personal(row),
        "roles": row.roles,
        "languages": row.languages,
        "municipality_code": row.municipality_code,
        "areas": row.areas,
        "skills": row.skills,
        "slots": row.slots,
        "available_from": row.available_from,
        "available_until": row.available_until,
        "capacity": row.capacity,
        "consented_on": row.consented_on,
        "certificate": row.certificate,
        "approved_on": row.approved_on,
        "last_contact_on": row.last_contact_on,
        "assignments": row.assignments,
        "erased": row.erased,
        "version": row.version,
    }


async def volunteer_view(
    conn: AsyncConnection, volunteer_id: uuid.UUID, municipality: str
) -> dict[str, Any]:
    row = (
        await conn.execute(
            _select_volunteers(municipality).where(volunteers.c.volunteer_id == volunteer_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"No volunteer {volunteer_id} in municipality {municipality}.")
    return _view(row)


async def list_volunteers(
    conn: AsyncConnection, municipality: str, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of the municipality's volunteers by registration, then id, and how many."""
    query = _select_volunteers(municipality)
    rows = await conn.execute(query.limit(limit).offset(offset))
    return [_view(row) for row in rows], await count_of(conn, query)


async def _need(conn: AsyncConnection, need_id: uuid.UUID, municipality: str) -> dict[str, Any]:
    row = (
        await conn.execute(
            sa.select(volunteer_needs).where(
                volunteer_needs.c.need_id == need_id,
                volunteer_needs.c.municipality == municipality,
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"No need {need_id} in municipality {municipality}.")
    need: dict[str, Any] = row.need
    return need


async def need_view(conn: AsyncConnection, need_id: uuid.UUID, municipality: str) -> dict[str, Any]:
    return await _need(conn, need_id, municipality)


def _gender(personal: dict[str, Any] | None) -> Gender | None:
    stated = (personal or {}).get("gender")
    return Gender(stated) if isinstance(stated, str) and stated in Gender.__members__ else None


async def volunteers_for_need(
    conn: AsyncConnection, need_id: uuid.UUID, municipality: str, *, include_excluded: bool
) -> dict[str, Any]:
    """Every volunteer of the municipality explained against the need, best first."""
    need = need_domain.need_from(
        VolunteerNeedRegistered.model_validate(await _need(conn, need_id, municipality))
    )
    explained = []
    for row in await conn.execute(_select_volunteers(municipality)):
        if row.erased:
            continue
        explanation = need_domain.explain(volunteer_from_row(row), need, _gender(_personal(row)))
        if include_excluded or not explanation["excluded"]:
            explained.append(explanation)
    explained.sort(key=lambda e: (e["excluded"], -e["score"], str(e["volunteer_id"])))
    return {"need_id": need_id, "volunteers": explained}


def _active_between(assignments: Iterable[dict[str, Any]], since: date, on: date) -> bool:
    window = domain.Interval(since, on)
    for a in assignments:
        ends = [d for d in (_day(a["ends_on"]), _day(a["ended_on"])) if d is not None]
        if domain.Interval(date.fromisoformat(a["starts_on"]), min(ends, default=None)).overlaps(
            window
        ):
            return True
    return False


async def keep_warm(
    conn: AsyncConnection, municipality: str, *, weeks: int, on: date
) -> list[dict[str, Any]]:
    """Approved volunteers with no assignment, contact or gathering in the last ``weeks``.

    An assignment counts when any of its days falls in the window; a contact or a
    gathering attended counts on its day.
    """
    since = on - timedelta(weeks=weeks)
    attended: dict[str, date] = {}
    for gathering in await conn.execute(
        sa.select(volunteer_gatherings.c.held_on, volunteer_gatherings.c.attended).where(
            volunteer_gatherings.c.municipality == municipality,
            volunteer_gatherings.c.held_on <= on,
        )
    ):
        for volunteer in gathering.attended:
            attended[volunteer] = max(attended.get(volunteer, gathering.held_on), gathering.held_on)
    cold = []
    for row in await conn.execute(
        sa.select(volunteers)
        .where(
            volunteers.c.municipality == municipality,
            volunteers.c.erased.is_(False),
            volunteers.c.approved_on.is_not(None),
        )
        # A list that pages needs one order; the id breaks ties.
        .order_by(volunteers.c.registered_at, volunteers.c.volunteer_id)
    ):
        if _active_between(row.assignments, since, on):
            continue
        touched = [
            d
            for d in (row.last_contact_on, attended.get(str(row.volunteer_id)))
            if d is not None and d <= on
        ]
        last = max(touched, default=None)
        if last is not None and last >= since:
            continue
        cold.append(
            {
                "volunteer_id": row.volunteer_id,
                "last_contact_on": last,
                "approved_on": row.approved_on,
                "roles": row.roles,
            }
        )
    return cold
