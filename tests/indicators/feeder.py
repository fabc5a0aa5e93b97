"""Feeding the indicators service real events: CloudEvent JSON published onto JetStream.

The source services' streams are created as their relays create them (file storage,
subjects ``<namespace>.<service>.>``), and every message carries ``Nats-Msg-Id`` = the
event id, so the indicators service's durable consumers take the same path as in
production.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from types import TracebackType
from typing import Any, Self

import asyncpg
import httpx
import nats
from nats.aio.client import Client
from nats.js import JetStreamContext

from services.indicators.app import create_app
from services.indicators.seed import seed_drammen
from shared.events import Envelope, parse_type_name
from shared.settings import Settings
from tests.support import ensure_stream, eventually, running

SOURCES = ("participants", "housing", "matching")
MUNICIPALITY = "3301"


def at(day: date, hour: int = 12) -> datetime:
    """A recorded time on ``day`` (UTC noon by default)."""
    return datetime.combine(day, time(hour), UTC)


class EventFeeder:
    """Publishes events of the other services; counts them per consumer (feed)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.published: Counter[str] = Counter()
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None

    async def __aenter__(self) -> Self:
        self._nc = await nats.connect(self.settings.nats_url, connect_timeout=5)
        self._js = self._nc.jetstream(timeout=5)
        for service in SOURCES:
            await ensure_stream(self._js, self.settings, service)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._nc is not None:
            await self._nc.close()

    async def publish(
        self,
        type_name: str,
        data: dict[str, Any],
        *,
        recorded_at: datetime,
        municipality: str = MUNICIPALITY,
        stream_id: str | None = None,
        stream_version: int = 1,
    ) -> Envelope:
        """Publish one event as its source service's relay would."""
        assert self._js is not None, "use EventFeeder as an async context manager"
        service, aggregate, event, _ = parse_type_name(type_name)
        subject = next(
            (str(data[k]) for k in ("participant_id", "household_id", "placement_id") if k in data),
            str(uuid.uuid4()),
        )
        envelope = Envelope(
            id=uuid.uuid4(),
            type_name=type_name,
            source=f"/veiviser/{service}",
            stream_id=stream_id or subject,
            stream_version=stream_version,
            municipality=municipality,
            occurred_at=recorded_at - timedelta(seconds=1),
            recorded_at=recorded_at,
            actor="test-source",
            correlation_id=str(uuid.uuid4()),
            causation_id=None,
            data=_jsonable(data),
        )
        await self._js.publish(
            f"{self.settings.subject_prefix(service)}.{aggregate}.{event}",
            envelope.to_json(),
            stream=self.settings.stream_name(service),
            headers={"Nats-Msg-Id": str(envelope.id)},
        )
        self.published[service] += 1
        return envelope

    async def wait_applied(self, timeout: float = 30.0) -> None:
        """Until the indicators service has received every published event."""
        url = self.settings.service_database_url("indicators", driver="postgresql")

        async def caught_up() -> bool:
            conn = await asyncpg.connect(url)
            try:
                rows = await conn.fetch(
                    "SELECT consumer, count(*) AS n FROM received_events GROUP BY consumer"
                )
            finally:
                await conn.close()
            got = {row["consumer"]: row["n"] for row in rows}
            return all(got.get(service, 0) >= n for service, n in self.published.items())

        await eventually(caught_up, timeout=timeout)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, date | uuid.UUID):
            out[key] = str(value) if isinstance(value, uuid.UUID) else value.isoformat()
        elif isinstance(value, dict):
            out[key] = _jsonable(value)
        elif isinstance(value, list | tuple):
            out[key] = [_jsonable(v) if isinstance(v, dict) else v for v in value]
        else:
            out[key] = value
    return out


class Participants:
    """Short-hands for the participants service's events (payloads as in its contract)."""

    def __init__(self, feeder: EventFeeder) -> None:
        self.feeder = feeder

    async def registered(
        self, pid: uuid.UUID, birth_year: int, gender: str, *, on: date, m: str = MUNICIPALITY
    ) -> Envelope:
        return await self.feeder.publish(
            "participants.participant.registered.v1",
            {"participant_id": pid, "birth_year": birth_year, "gender": gender},
            recorded_at=at(on),
            municipality=m,
        )

    async def settled(
        self,
        pid: uuid.UUID,
        settled_on: date,
        category: str = "resettlement_refugee",
        *,
        household: uuid.UUID | None = None,
        size: int | None = None,
        minor: bool = False,
        recorded: date | None = None,
        m: str = MUNICIPALITY,
    ) -> Envelope:
        return await self.feeder.publish(
            "participants.participant.settled.v1",
            {
                "participant_id": pid,
                "settled_on": settled_on,
                "arrival_category": category,
                "household_id": household,
                "household_size": size,
                "unaccompanied_minor": minor,
            },
            recorded_at=at(recorded or settled_on),
            municipality=m,
        )

    async def started(
        self,
        pid: uuid.UUID,
        programme: uuid.UUID,
        starts_on: date,
        kind: str = "introduction",
        *,
        recorded: date | None = None,
        m: str = MUNICIPALITY,
    ) -> Envelope:
        return await self.feeder.publish(
            "participants.programme.started.v1",
            {
                "participant_id": pid,
                "programme_id": programme,
                "kind": kind,
                "starts_on": starts_on,
                "planned_end": starts_on + timedelta(days=730),
                "adviser": "adviser-1",
            },
            recorded_at=at(recorded or starts_on),
            municipality=m,
        )

    async def plan(
        self,
        pid: uuid.UUID,
        programme: uuid.UUID,
        revision: int,
        valid_from: date,
        hours: float,
        *,
        m: str = MUNICIPALITY,
    ) -> Envelope:
        return await self.feeder.publish(
            "participants.plan.revised.v1",
            {
                "participant_id": pid,
                "programme_id": programme,
                "revision": revision,
                "valid_from": valid_from,
                "activities": [
                    {"kind": "norwegian_training", "hours_per_week": hours, "starts_on": valid_from}
                ],
                "hours_per_week": hours,
                "full_time": hours >= 37.5,
            },
            recorded_at=at(valid_from),
            municipality=m,
        )

    async def interrupted(
        self, pid: uuid.UUID, programme: uuid.UUID, from_date: date, kind: str = "leave"
    ) -> Envelope:
        return await self.feeder.publish(
            "participants.programme.interrupted.v1",
            {
                "participant_id": pid,
                "programme_id": programme,
                "kind": kind,
                "from_date": from_date,
            },
            recorded_at=at(from_date),
        )

    async def completed(
        self,
        pid: uuid.UUID,
        programme: uuid.UUID,
        ended_on: date,
        outcome: str | None,
        reason: str = "completed",
        *,
        recorded: date | None = None,
        m: str = MUNICIPALITY,
    ) -> Envelope:
        return await self.feeder.publish(
            "participants.programme.completed.v1",
            {
                "participant_id": pid,
                "programme_id": programme,
                "ended_on": ended_on,
                "reason": reason,
                "outcome": outcome,
                "hours_per_week": None,
            },
            recorded_at=at(recorded or ended_on),
            municipality=m,
        )

    async def follow_up(
        self,
        pid: uuid.UUID,
        programme: uuid.UUID,
        year: int,
        status: str,
        *,
        preliminary: bool,
        recorded: date,
    ) -> Envelope:
        return await self.feeder.publish(
            "participants.follow_up_status.recorded.v1",
            {
                "participant_id": pid,
                "programme_id": programme,
                "reference_year": year,
                "status": status,
                "preliminary": preliminary,
            },
            recorded_at=at(recorded),
        )

    async def test(self, pid: uuid.UUID, sub_test: str, level: str, taken_on: date) -> Envelope:
        return await self.feeder.publish(
            "participants.norwegian_test.recorded.v1",
            {"participant_id": pid, "sub_test": sub_test, "level": level, "taken_on": taken_on},
            recorded_at=at(taken_on + timedelta(days=14)),
        )

    async def profile(
        self, pid: uuid.UUID, education: str | None, oral: str | None, *, on: date
    ) -> Envelope:
        return await self.feeder.publish(
            "participants.competence_profile.updated.v1",
            {
                "participant_id": pid,
                "education": [{"level": education, "recognised": False}] if education else [],
                "norwegian": {"oral": oral},
            },
            recorded_at=at(on),
        )

    async def moved_out(
        self, pid: uuid.UUID, moved_on: date, to: str = "0301", *, recorded: date | None = None
    ) -> Envelope:
        """A move to another municipality; ``recorded`` before ``moved_on``: announced ahead."""
        return await self.feeder.publish(
            "participants.participant.moved_out.v1",
            {"participant_id": pid, "moved_on": moved_on, "to_municipality": to},
            recorded_at=at(recorded or moved_on),
        )

    async def died(self, pid: uuid.UUID, died_on: date) -> Envelope:
        return await self.feeder.publish(
            "participants.participant.died.v1",
            {"participant_id": pid, "died_on": died_on},
            recorded_at=at(died_on),
        )

    async def emigrated(self, pid: uuid.UUID, emigrated_on: date) -> Envelope:
        return await self.feeder.publish(
            "participants.participant.emigrated.v1",
            {"participant_id": pid, "emigrated_on": emigrated_on},
            recorded_at=at(emigrated_on),
        )

    async def left_household(self, pid: uuid.UUID, household: uuid.UUID, left_on: date) -> Envelope:
        return await self.feeder.publish(
            "participants.participant.left_household.v1",
            {"participant_id": pid, "household_id": household, "left_on": left_on},
            recorded_at=at(left_on),
        )

    async def birth_year_corrected(self, pid: uuid.UUID, birth_year: int, *, on: date) -> Envelope:
        return await self.feeder.publish(
            "participants.participant.birth_year_corrected.v1",
            {"participant_id": pid, "birth_year": birth_year},
            recorded_at=at(on),
        )

    async def erased(self, pid: uuid.UUID, on: date) -> Envelope:
        return await self.feeder.publish(
            "participants.participant.erased.v1", {"participant_id": pid}, recorded_at=at(on)
        )


class Housing:
    def __init__(self, feeder: EventFeeder) -> None:
        self.feeder = feeder

    async def applied(
        self, application: uuid.UUID, household: uuid.UUID, received_on: date, size: int = 3
    ) -> Envelope:
        return await self.feeder.publish(
            "housing.housing_application.received.v1",
            {
                "application_id": application,
                "household_id": household,
                "household_size": size,
                "received_on": received_on,
                "urgency": "normal",
            },
            recorded_at=at(received_on),
        )

    async def decided(
        self, application: uuid.UUID, household: uuid.UUID, decision: str, decided_on: date
    ) -> Envelope:
        return await self.feeder.publish(
            "housing.housing_application.decided.v1",
            {
                "application_id": application,
                "household_id": household,
                "decision": decision,
                "decided_on": decided_on,
            },
            recorded_at=at(decided_on),
        )

    async def placed(
        self,
        placement: uuid.UUID,
        household: uuid.UUID,
        starts_on: date,
        application: uuid.UUID | None = None,
    ) -> Envelope:
        return await self.feeder.publish(
            "housing.placement.started.v1",
            {
                "placement_id": placement,
                "household_id": household,
                "dwelling_id": uuid.uuid4(),
                "starts_on": starts_on,
                "application_id": application or uuid.uuid4(),
                "household_size": 3,
            },
            recorded_at=at(starts_on),
        )

    async def placement_ended(
        self, placement: uuid.UUID, household: uuid.UUID, ends_on: date, reason: str
    ) -> Envelope:
        return await self.feeder.publish(
            "housing.placement.ended.v1",
            {
                "placement_id": placement,
                "household_id": household,
                "dwelling_id": uuid.uuid4(),
                "ends_on": ends_on,
                "reason": reason,
            },
            recorded_at=at(ends_on),
        )

    async def evicted(
        self, placement: uuid.UUID, household: uuid.UUID, on: date, recorded: date | None = None
    ) -> Envelope:
        return await self.feeder.publish(
            "housing.eviction.recorded.v1",
            {
                "placement_id": placement,
                "household_id": household,
                "dwelling_id": uuid.uuid4(),
                "evicted_on": on,
                "grounds": "rent_arrears",
            },
            recorded_at=at(recorded or on),
        )

    async def became_owner(self, household: uuid.UUID, on: date, route: str) -> Envelope:
        return await self.feeder.publish(
            "housing.household.became_owner.v1",
            {
                "household_id": household,
                "became_owner_on": on,
                "route": route,
                "dwelling_id": None,
                "price": 2_000_000,
            },
            recorded_at=at(on),
        )


class Matching:
    def __init__(self, feeder: EventFeeder) -> None:
        self.feeder = feeder

    async def job(self, pid: uuid.UUID, starts_on: date, hours: float = 37.5) -> Envelope:
        return await self.feeder.publish(
            "matching.job.obtained.v1",
            {
                "participant_id": pid,
                "employer_id": uuid.uuid4(),
                "opening_id": uuid.uuid4(),
                "match_id": uuid.uuid4(),
                "starts_on": starts_on,
                "hours_per_week": hours,
                "permanent": True,
            },
            recorded_at=at(starts_on),
        )

    async def practice(
        self, placement: uuid.UUID, pid: uuid.UUID, starts_on: date, ends_on: date, outcome: str
    ) -> None:
        common = {
            "placement_id": placement,
            "match_id": uuid.uuid4(),
            "participant_id": pid,
            "employer_id": uuid.uuid4(),
            "opening_id": uuid.uuid4(),
        }
        await self.feeder.publish(
            "matching.practice_placement.started.v1",
            {**common, "kind": "language_practice", "starts_on": starts_on, "hours_per_week": 15},
            recorded_at=at(starts_on),
        )
        await self.feeder.publish(
            "matching.practice_placement.ended.v1",
            {**common, "ends_on": ends_on, "outcome": outcome},
            recorded_at=at(ends_on),
        )


def tally(items: list[str]) -> dict[str, int]:
    return dict(Counter(items))


@asynccontextmanager
async def seeded(
    settings: Settings, *, evaluation_interval: float = 1.0
) -> AsyncIterator[tuple[httpx.AsyncClient, EventFeeder]]:
    """The indicators service running with Drammen's plan seeded, and a feeder of events."""
    app = create_app(settings, evaluation_interval=evaluation_interval)
    async with running(app) as client, EventFeeder(settings) as feeder:
        await seed_drammen(app.state.runtime, MUNICIPALITY)
        yield client, feeder
