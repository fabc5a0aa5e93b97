"""Reading transfers back: incoming (receiving municipality), one transfer, a participant's
transfers, and the history of a programme's advisers.

A transfer is visible to its sending and its receiving municipality only; an outbound-
only transfer to its sender only. Who the person is (name, birth date, national id)
is shown to caseworkers of the receiving municipality so they can tell whom the
transfer concerns; the API layer audits every such read.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import events as ev
from services.participants import personal_data
from services.participants.tables import municipal_transfers, participant_keys, participant_summary
from shared.eventstore import EventStore
from shared.i18n import catalog
from shared.problems import NotFound

LEGACY_PROGRAMME_STARTED = "participants.programme.started.v1"
IDENTITY = ("given_name", "family_name", "birth_date", "national_id")


def _texts() -> Any:
    return catalog("shared", "services.participants")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _view(
    row: Any, municipality: str, locale: str, identity: dict[str, Any] | None
) -> dict[str, Any]:
    texts = _texts()
    direction = "outgoing" if row.from_municipality == municipality else "incoming"
    view: dict[str, Any] = {
        "transfer_id": str(row.transfer_id),
        "direction": direction,
        "from_municipality": row.from_municipality,
        "to_municipality": row.to_municipality,
        "moved_on": _iso(row.moved_on),
        "delivered": row.delivered,
        "status": row.status,
        "status_label": texts.text(f"transfer_status.{row.status}", locale),
        "decided_on": _iso(row.decided_on),
        "decline_reason": row.decline_reason,
        "decline_reason_label": texts.label("decline_reason", row.decline_reason, locale),
        "recorded_at": _iso(row.recorded_at),
        "package": labelled_package(row.package, locale),
    }
    if direction == "outgoing":
        view["participant_id"] = str(row.participant_id)
    if row.received_as is not None and direction == "incoming":
        view["participant_id"] = str(row.received_as)
    if identity is not None:
        view["person"] = identity
    return view


def labelled_package(package: dict[str, Any] | None, locale: str) -> dict[str, Any] | None:
    """The package with a label beside each code (``<field>_label``); codes stay codes."""
    if package is None:
        return None
    texts = _texts()
    shown = dict(package)

    def label(part: dict[str, Any], field: str, vocabulary: str) -> None:
        if part.get(field) is not None:
            part[f"{field}_label"] = texts.label(vocabulary, str(part[field]), locale)

    label(shown, "arrival_category", "arrival_category")
    label(shown, "gender", "gender")
    if shown.get("programme"):
        shown["programme"] = dict(shown["programme"])
        label(shown["programme"], "kind", "programme_kind")
    if shown.get("plan"):
        plan = dict(shown["plan"])
        label(plan, "end_goal", "end_goal")
        label(plan, "norwegian_goal", "norwegian_level")
        activities = [dict(activity) for activity in plan.get("activities", [])]
        for activity in activities:
            label(activity, "kind", "activity_kind")
        plan["activities"] = activities
        shown["plan"] = plan
    if shown.get("act"):
        act = dict(shown["act"])
        label(act, "category", "act_category")
        label(act, "decision", "transfer.decision")
        label(act, "legal_basis", "legal_basis")
        shown["act"] = act
    return shown


def _identity(row: Any) -> dict[str, Any] | None:
    if row.key is None or row.sealed_details is None:
        return None
    details = personal_data.unseal(bytes(row.key), row.participant_id, row.sealed_details)
    return {name: details.get(name) for name in IDENTITY}


def _select() -> Any:
    return sa.select(
        municipal_transfers, participant_summary.c.sealed_details, participant_keys.c.key
    ).select_from(
        municipal_transfers.outerjoin(
            participant_summary,
            participant_summary.c.participant_id == municipal_transfers.c.participant_id,
        ).outerjoin(
            participant_keys,
            participant_keys.c.participant_id == municipal_transfers.c.participant_id,
        )
    )


async def incoming(
    conn: AsyncConnection, municipality: str, status: str | None, personal: bool, locale: str
) -> list[tuple[dict[str, Any], uuid.UUID | None]]:
    """Transfers addressed to ``municipality`` (every status when ``status`` is None), by
    moving date then transfer id, each with the sending record whose identity it shows (so
    the caller audits only the page it answers)."""
    where = [
        municipal_transfers.c.to_municipality == municipality,
        municipal_transfers.c.delivered.is_(True),
    ]
    if status is not None:
        where.append(municipal_transfers.c.status == status)
    rows = await conn.execute(
        _select()
        .where(*where)
        .order_by(municipal_transfers.c.moved_on, municipal_transfers.c.transfer_id)
    )
    found: list[tuple[dict[str, Any], uuid.UUID | None]] = []
    for row in rows:
        identity = _identity(row) if personal and row.status == "pending" else None
        shown = row.participant_id if identity is not None else None
        found.append((_view(row, municipality, locale, identity), shown))
    return found


async def outgoing(conn: AsyncConnection, municipality: str, locale: str) -> list[dict[str, Any]]:
    rows = await conn.execute(
        _select()
        .where(municipal_transfers.c.from_municipality == municipality)
        .order_by(municipal_transfers.c.moved_on, municipal_transfers.c.transfer_id)
    )
    return [_view(row, municipality, locale, None) for row in rows]


async def one(
    conn: AsyncConnection,
    transfer_id: uuid.UUID,
    municipality: str,
    personal: bool,
    locale: str,
) -> tuple[dict[str, Any], uuid.UUID | None]:
    """The transfer as ``municipality`` may see it, and whose identity it showed."""
    row = (
        await conn.execute(_select().where(municipal_transfers.c.transfer_id == transfer_id))
    ).first()
    visible = row is not None and (
        row.from_municipality == municipality
        or (row.to_municipality == municipality and row.delivered)
    )
    if row is None or not visible:
        raise NotFound(f"No transfer {transfer_id} in municipality {municipality}.")
    show = personal and row.to_municipality == municipality and row.status == "pending"
    return _view(row, municipality, locale, _identity(row) if show else None), (
        row.participant_id if show else None
    )


async def of_participant(
    conn: AsyncConnection,
    store: EventStore,
    participant_id: uuid.UUID,
    municipality: str,
    locale: str,
) -> dict[str, Any]:
    """The transfer the participant was sent with, and the one that brought them here."""
    if await store.stream_municipality(conn, str(participant_id)) != municipality:
        raise NotFound(f"No participant {participant_id} in municipality {municipality}.")
    sent = (
        await conn.execute(
            _select().where(
                municipal_transfers.c.participant_id == participant_id,
                municipal_transfers.c.from_municipality == municipality,
            )
        )
    ).first()
    received = (
        await conn.execute(
            _select().where(
                municipal_transfers.c.received_as == participant_id,
                municipal_transfers.c.to_municipality == municipality,
            )
        )
    ).first()
    return {
        "participant_id": str(participant_id),
        "sent": _view(sent, municipality, locale, None) if sent is not None else None,
        "received": _view(received, municipality, locale, None) if received is not None else None,
        "read_only": sent is not None,
    }


async def adviser_history(
    conn: AsyncConnection,
    store: EventStore,
    participant_id: uuid.UUID,
    municipality: str,
) -> list[dict[str, Any]]:
    """Every adviser assignment of the participant's programmes, oldest first."""
    if await store.stream_municipality(conn, str(participant_id)) != municipality:
        raise NotFound(f"No participant {participant_id} in municipality {municipality}.")
    key = await personal_data.load_key(conn, participant_id)
    history: list[dict[str, Any]] = []
    for envelope in await store.load(conn, str(participant_id)):
        if envelope.type_name == LEGACY_PROGRAMME_STARTED and envelope.data.get("adviser"):
            adviser: str | None = str(envelope.data["adviser"])
            programme_id = envelope.data.get("programme_id")
        elif envelope.type_name == ev.ProgrammeAdviserAssigned.type_name:
            event = store.decode(envelope)
            assert isinstance(event, ev.ProgrammeAdviserAssigned)
            adviser = personal_data.unseal_text(key, participant_id, event.sealed_adviser)
            programme_id = str(event.programme_id)
        else:
            continue
        history.append(
            {
                "programme_id": programme_id,
                "adviser": adviser,
                "assigned_at": envelope.recorded_at.isoformat(),
                "assigned_by": envelope.actor,
                "version": envelope.stream_version,
            }
        )
    for entry, following in itertools.pairwise(history):
        if entry["programme_id"] == following["programme_id"]:
            entry["until"] = following["assigned_at"]
    for entry in history:
        entry.setdefault("until", None)
    return history
