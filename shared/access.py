"""The right of access (innsyn, GDPR art. 15): what one service holds about one person.

Every service answers for what *it* stores about a participant id, in one shape
(:class:`AccessPart`):

- ``read_models``: the rows of its tables that name the person (a ``participant_id``
  column) or a household they belong to (a ``household_id`` column, the households
  found in the first kind of rows), in the caller's municipality;
- ``inbox``: the minimised copies of other services' events it received that mention
  the person or their household anywhere (subject, stream id, data at any depth: the
  same test :func:`shared.inbox.scrub_inbox` uses to forget them), and dead letters
  naming them;
- ``events``: its own events that mention them the same way.

Sealed values (fields named ``sealed…``) are opened only by a service that holds the
key (an :data:`Opener`); any other shows them as sealed, never as the ciphertext.
Key tables are never read.

:func:`access_router` mounts ``GET /access/participants/{participant_id}`` (service
identities only, see :mod:`shared.auth`); :class:`AccessClient` is the gathering
service's side, calling another service at ``VEIVISER_<SERVICE>_URL`` with its own
service token, as :class:`shared.catchup.CatchUpClient` does for the catch-up feed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import httpx
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from shared import tables as kit_tables
from shared.auth import Principal, issue_service_token, service_identity
from shared.http import problem_responses
from shared.settings import Settings

ACCESS_PATH = "/access/participants/{participant_id}"
"""Where every service answers for what it holds about a participant."""

SEALED_PREFIX = "sealed"
"""Fields and columns whose name starts with this hold a sealed (encrypted) value."""

Opener = Callable[[AsyncConnection, str, str, Mapping[str, Any]], Awaitable[Any | None]]
"""``(conn, source, sealed, record) -> content | None``: opens one sealed value.

``source`` names where it was found (``events:<type>`` or ``table:<name>``), ``record``
is the row or event data around it. ``None``: the key is gone (an erasure) or not this
service's."""


class SealedItem(BaseModel):
    """Where sealed values were found, how many, and whether this service opened them."""

    source: str = Field(description="`events:<event type>` or `table:<table>`.")
    field: str
    count: int
    opened: int = Field(description="How many this service could open with its own key.")
    key_holder: str | None = Field(
        description="The service holding the key, when it is this one; null if nobody here."
    )


class TableRows(BaseModel):
    table: str
    rows: list[dict[str, Any]]
    related: bool = Field(
        default=False,
        description="Rows of something the person's rows refer to (the dwelling they were "
        "placed in, the employer of their job), not about the person alone.",
    )


@dataclass(frozen=True)
class Related:
    """Rows of ``table`` whose ``key`` column equals a ``key`` value of the person's rows
    (the dwelling of a placement), showing only ``columns`` (None: all): what the person
    is linked to, without other people's data such as an employer's contact person."""

    table: sa.Table
    key: str
    columns: tuple[str, ...] | None = None


class InboxFact(BaseModel):
    consumer: str
    event_id: str
    type: str
    received_at: str
    payload: dict[str, Any]


class OwnEvent(BaseModel):
    stream_id: str
    version: int
    type: str
    occurred_at: str
    recorded_at: str
    actor: str
    data: dict[str, Any]


class AccessPart(BaseModel):
    """What one service stores about one participant (one part of an access export)."""

    service: str
    participant_id: uuid.UUID
    municipality: str
    purpose: str = Field(description="Stable code of the purpose of processing.")
    legal_basis: list[str] = Field(description="The legal bases (citations) of processing.")
    pseudonymous: bool = Field(
        description="True when this service knows the person only by the pseudonymous id "
        "(no name, no national id)."
    )
    household_ids: list[uuid.UUID] = Field(default_factory=list)
    read_models: list[TableRows]
    inbox: list[InboxFact]
    dead_letters: list[dict[str, Any]] = Field(default_factory=list)
    events: list[OwnEvent]
    sealed: list[SealedItem]


def jsonable(value: Any) -> Any:
    """A stored value as JSON: ids and dates as text, numbers as numbers, bytes never."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if value % 1 else int(value)
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [jsonable(v) for v in value]
    return str(value)


class _Seals:
    """Replaces sealed values by what the holder opened (or a marker) and counts them."""

    def __init__(self, service: str, opener: Opener | None) -> None:
        self.service = service
        self.opener = opener
        self.counts: dict[tuple[str, str], list[int]] = {}

    async def open(
        self, conn: AsyncConnection, source: str, record: dict[str, Any]
    ) -> dict[str, Any]:
        out = dict(record)
        for name, value in record.items():
            if not name.startswith(SEALED_PREFIX) or not isinstance(value, str):
                continue
            content = await self.opener(conn, source, value, record) if self.opener else None
            tally = self.counts.setdefault((source, name), [0, 0])
            tally[0] += 1
            tally[1] += content is not None
            out[name] = {"sealed": True, "opened": content is not None, "content": content}
        return out

    def items(self) -> list[SealedItem]:
        return [
            SealedItem(
                source=source,
                field=name,
                count=count,
                opened=opened,
                key_holder=self.service if self.opener is not None else None,
            )
            for (source, name), (count, opened) in sorted(self.counts.items())
        ]


_MENTIONS: sa.ColumnClause[Any] = sa.literal_column("'$.** ? (@ == $ids[*])'::jsonpath")
"""A JSON path true when any string anywhere equals one of the ids (existential ``==``)."""


def _mentions(column: Any, ids: Sequence[str]) -> Any:
    listed = sa.bindparam(None, list(ids), type_=pg.ARRAY(sa.Text))
    return sa.func.jsonb_path_exists(
        column, _MENTIONS, sa.func.jsonb_build_object("ids", sa.func.to_jsonb(listed))
    )


def _household_ids(rows: Iterable[TableRows]) -> list[uuid.UUID]:
    found = {
        str(row["household_id"])
        for table in rows
        for row in table.rows
        if "participant_id" in row and row.get("household_id")
    }
    return sorted(uuid.UUID(h) for h in found)


async def gather(
    conn: AsyncConnection,
    *,
    service: str,
    metadata: sa.MetaData,
    participant_id: uuid.UUID,
    municipality: str,
    purpose: str,
    legal_basis: Sequence[str],
    pseudonymous: bool,
    opener: Opener | None = None,
    exclude: Iterable[sa.Table] = (),
    household_events: bool = True,
    person_streams: Callable[[str], bool] | None = None,
    related: Sequence[Related] = (),
) -> AccessPart:
    """Everything ``service`` stores about ``participant_id`` in ``municipality``.

    ``exclude``: tables never to show (key tables: a key is not data about the person,
    and must not leave the service). ``household_events=False`` shows only the events
    naming the person (not every event naming their household: for a service whose
    events about a household are the other members' own). ``person_streams`` says which
    streams are wholly about the person once one of their events names them (a match:
    its later events name only the match), so every event of those is shown.
    ``related``: tables the person's rows refer to (see :class:`Related`).
    """
    seals = _Seals(service, opener)
    skipped = {table.name for table in exclude}
    chosen = [t for t in metadata.sorted_tables if t.name not in skipped]
    scoped = [t for t in chosen if "municipality" in t.c]
    unscoped = [t for t in chosen if "municipality" not in t.c]

    async def about(tables: list[sa.Table], households: list[uuid.UUID]) -> list[TableRows]:
        found = []
        for table in tables:
            if "participant_id" in table.c:
                where = table.c.participant_id == participant_id
            elif "household_id" in table.c and households:
                where = table.c.household_id.in_(households)
            else:
                continue
            found.append(await _rows(conn, seals, table, where, municipality))
        return found

    by_person = await about([t for t in scoped if "participant_id" in t.c], [])
    households = _household_ids(by_person)
    rows = [
        *by_person,
        *await about([t for t in scoped if "participant_id" not in t.c], households),
    ]
    ids = [str(participant_id), *(str(h) for h in households)]
    inbox = await _inbox(conn, ids, municipality)
    events = await _events(
        conn, seals, ids if household_events else ids[:1], municipality, person_streams
    )
    # Rows of tables without a municipality are shown only to the municipality the
    # service knows the person in (participant ids are unique across municipalities).
    known = bool(inbox or events or any(t.rows for t in rows))
    dead: list[dict[str, Any]] = []
    if known:
        rows += await about(unscoped, households)
        dead = await _dead_letters(conn, ids)
        for link in related:
            referred = {
                str(row[link.key]) for t in rows for row in t.rows if row.get(link.key) is not None
            }
            if referred:
                found = await _rows(
                    conn,
                    seals,
                    link.table,
                    link.table.c[link.key].in_(sorted(referred)),
                    municipality,
                    link.columns,
                )
                rows.append(found.model_copy(update={"related": True}))
    return AccessPart(
        service=service,
        participant_id=participant_id,
        municipality=municipality,
        purpose=purpose,
        legal_basis=list(legal_basis),
        pseudonymous=pseudonymous,
        household_ids=households,
        read_models=[t for t in rows if t.rows],
        inbox=inbox,
        dead_letters=dead,
        events=events,
        sealed=seals.items(),
    )


async def _rows(
    conn: AsyncConnection,
    seals: _Seals,
    table: sa.Table,
    where: Any,
    municipality: str,
    columns: tuple[str, ...] | None = None,
) -> TableRows:
    shown = [table.c[name] for name in columns] if columns else list(table.c)
    query = sa.select(*shown).where(where)
    if "municipality" in table.c:
        query = query.where(table.c.municipality == municipality)
    primary = list(table.primary_key.columns)
    if primary:
        query = query.order_by(*primary)
    rows = []
    for row in (await conn.execute(query)).mappings():
        record = {name: jsonable(value) for name, value in row.items()}
        rows.append(await seals.open(conn, f"table:{table.name}", record))
    return TableRows(table=table.name, rows=rows)


async def _inbox(conn: AsyncConnection, ids: Sequence[str], municipality: str) -> list[InboxFact]:
    received = kit_tables.received_events
    rows = await conn.execute(
        sa.select(received)
        .where(
            _mentions(received.c.payload, ids),
            received.c.payload["municipality"].astext == municipality,
        )
        .order_by(received.c.seq)
    )
    return [
        InboxFact(
            consumer=row.consumer,
            event_id=str(row.event_id),
            type=row.type,
            received_at=row.received_at.isoformat(),
            payload=jsonable(row.payload),
        )
        for row in rows
    ]


async def _events(
    conn: AsyncConnection,
    seals: _Seals,
    ids: Sequence[str],
    municipality: str,
    person_streams: Callable[[str], bool] | None,
) -> list[OwnEvent]:
    events = kit_tables.events
    mentioning = sa.or_(events.c.stream_id.in_(ids), _mentions(events.c.data, ids))
    if person_streams is not None:
        named = await conn.scalars(
            sa.select(events.c.stream_id)
            .distinct()
            .where(mentioning, events.c.municipality == municipality)
        )
        whole = [stream for stream in named if person_streams(stream)]
        if whole:
            mentioning = sa.or_(mentioning, events.c.stream_id.in_(whole))
    rows = await conn.execute(
        sa.select(events)
        .where(mentioning, events.c.municipality == municipality)
        .order_by(events.c.recorded_at, events.c.stream_id, events.c.version)
    )
    found = []
    for row in rows:
        data = await seals.open(conn, f"events:{row.type}", dict(row.data))
        found.append(
            OwnEvent(
                stream_id=row.stream_id,
                version=row.version,
                type=row.type,
                occurred_at=row.occurred_at.isoformat(),
                recorded_at=row.recorded_at.isoformat(),
                actor=row.actor,
                data=data,
            )
        )
    return found


async def _dead_letters(conn: AsyncConnection, ids: Sequence[str]) -> list[dict[str, Any]]:
    dead = kit_tables.dead_letters
    # The raw message need not be JSON; ids are ASCII, which ``escape`` leaves as it is.
    text = sa.func.encode(dead.c.payload, "escape")
    conditions = [sa.func.strpos(text, i) > 0 for i in ids]
    rows = await conn.execute(
        sa.select(dead.c.consumer, dead.c.subject, dead.c.deliveries, dead.c.created_at)
        .where(sa.or_(*conditions))
        .order_by(dead.c.id)
    )
    return [
        {
            "consumer": row.consumer,
            "subject": row.subject,
            "deliveries": row.deliveries,
            "created_at": row.created_at.isoformat(),
        }
        for row in rows
    ]


def access_router(
    service: str,
    metadata: sa.MetaData,
    *,
    purpose: str,
    legal_basis: Sequence[str],
    pseudonymous: bool,
    opener: Opener | None = None,
    exclude: Iterable[sa.Table] = (),
    person_streams: Callable[[str], bool] | None = None,
    related: Sequence[Related] = (),
    summary: str,
    description: str,
) -> APIRouter:
    """``GET /access/participants/{participant_id}?municipality=…`` for ``service``:
    its :class:`AccessPart`, to service identities only (the gathering service checked
    the person's own caller: role, municipality, audit)."""
    router = APIRouter(tags=["access"])
    excluded = tuple(exclude)

    @router.get(
        ACCESS_PATH,
        summary=summary,
        description=description,
        operation_id=f"{service}_access_part",
        response_model=AccessPart,
        responses=problem_responses(401, 403, 422),
    )
    async def access_part(
        participant_id: uuid.UUID,
        request: Request,
        _: Annotated[Principal, Depends(service_identity)],
        municipality: Annotated[
            str,
            Query(
                pattern=r"^[0-9]{4}$",
                description="Kommunenummeret som spør (behandlingsansvarlig). / The asking "
                "municipality (the controller).",
            ),
        ],
    ) -> AccessPart:
        runtime = request.app.state.runtime
        async with runtime.db.snapshot() as conn:
            return await gather(
                conn,
                service=service,
                metadata=metadata,
                participant_id=participant_id,
                municipality=municipality,
                purpose=purpose,
                legal_basis=legal_basis,
                pseudonymous=pseudonymous,
                opener=opener,
                exclude=excluded,
                person_streams=person_streams,
                related=related,
            )

    return router


class AccessUnavailable(Exception):
    """Another service's part could not be read (down, refused, or not of this deployment)."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


class AccessClient:
    """Reads other services' :class:`AccessPart` as the calling service.

    The token is ``VEIVISER_SERVICE_TOKEN`` when set, otherwise minted with the
    development key and renewed before it expires (as :class:`shared.catchup.CatchUpClient`).
    ``transports`` maps a service to an in-process transport (tests). The timeout is
    generous: a part searches the service's whole event store and inbox for the person.
    """

    def __init__(
        self,
        settings: Settings,
        caller: str,
        *,
        timeout: float = 60.0,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        self.settings = settings
        self.caller = caller
        self._timeout = timeout
        self._transports = dict(transports or {})
        self._token: tuple[str, float] | None = None

    def _bearer(self) -> str:
        if self.settings.service_token:
            return self.settings.service_token
        if self._token is None or self._token[1] - time.time() < 300:
            self._token = (issue_service_token(self.settings, self.caller), time.time() + 3600)
        return self._token[0]

    async def part(self, service: str, participant_id: uuid.UUID, municipality: str) -> AccessPart:
        """``service``'s part for the participant; :class:`AccessUnavailable` if unreadable."""
        url = self.settings.service_url(service)
        path = ACCESS_PATH.format(participant_id=participant_id)
        try:
            bearer = self._bearer()
        except ValueError as exc:
            raise AccessUnavailable(service, "no service token (VEIVISER_SERVICE_TOKEN)") from exc
        try:
            async with httpx.AsyncClient(
                base_url=url, transport=self._transports.get(service), timeout=self._timeout
            ) as client:
                answer = await client.get(
                    path,
                    params={"municipality": municipality},
                    headers={"Authorization": f"Bearer {bearer}"},
                )
        except (httpx.HTTPError, ValueError) as exc:
            raise AccessUnavailable(service, f"unreachable ({type(exc).__name__})") from exc
        if answer.status_code != 200:
            raise AccessUnavailable(service, f"answered {answer.status_code}")
        try:
            part = AccessPart.model_validate_json(answer.content)
        except ValueError as exc:
            raise AccessUnavailable(service, "answered no access part") from exc
        if part.service != service or part.participant_id != participant_id:
            raise AccessUnavailable(service, f"{url} answered for another service or person")
        return part
