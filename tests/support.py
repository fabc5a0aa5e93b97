"""Helpers for tests: valid national ids, tokens, apps with their lifespan running."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
import nats
import sqlalchemy as sa
from fastapi import FastAPI
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError
from stdnum.no import fodselsnummer

from shared.auth import issue_dev_token
from shared.bus import DUPLICATE_WINDOW_SECONDS
from shared.dates import EARLIEST, LATEST
from shared.events import Event
from shared.rules import RuleViolation, catalogue
from shared.settings import SERVICES, Settings

if TYPE_CHECKING:
    from hypothesis import strategies as st

    from services.participants import domain

# Hypothesis and the participants' domain are imported where used: the bench imports
# this module too, and needs neither.

_ISSUED: set[str] = set()
"""Numbers handed out in this test process: a random one is not handed out twice while the
birth date has unused numbers, so people born the same day in one test do not collide."""


def national_id(birth: date, individual: int | None = None, *, d_number: bool = False) -> str:
    """A valid fødselsnummer (or D-number) for ``birth``; check digits by python-stdnum."""
    rng = random.Random()
    repeats = 0
    while True:
        # Individual numbers 500-999 encode births 2000-2039; 000-499 the 1900s.
        low, high = (500, 1000) if 2000 <= birth.year <= 2039 else (0, 500)
        indiv = individual if individual is not None else rng.randrange(low, high)
        day = birth.day + (40 if d_number else 0)
        base = f"{day:02d}{birth.month:02d}{birth.year % 100:02d}{indiv:03d}"
        k1 = fodselsnummer.calc_check_digit1(base)
        if len(k1) != 1:
            individual = None
            continue
        k2 = fodselsnummer.calc_check_digit2(base + k1)
        if len(k2) != 1:
            individual = None
            continue
        number = base + k1 + k2
        # Past a few hundred people born the same day the numbers run out; then repeats.
        if individual is None and number in _ISSUED and repeats < 200:
            repeats += 1
            continue
        _ISSUED.add(number)
        return number


def id_for_birth(birth: date) -> str:
    """A national id that encodes ``birth``, or an FH-number (which encodes no birth date:
    nothing to contradict) where no fødselsnummer can."""
    if 1900 <= birth.year <= 2039:
        return national_id(birth)
    return "81010112345"


def clamp_day(ordinal: int) -> date:
    """The day ``ordinal``, moved into the range of dates the system accepts."""
    return date.fromordinal(min(max(ordinal, EARLIEST.toordinal()), LATEST.toordinal()))


def near_days(
    around: list[date], today: date, offsets: st.SearchStrategy[int]
) -> st.SearchStrategy[date]:
    """A day ``offsets`` away from one of ``around``, mostly moved back to ``today`` where
    it would lie after it."""
    from hypothesis import strategies as st

    return st.builds(
        lambda anchor, offset, past: clamp_day(
            min(anchor.toordinal() + offset, today.toordinal())
            if past
            else anchor.toordinal() + offset
        ),
        st.sampled_from(around),
        offsets,
        st.sampled_from([True, True, True, False]),
    )


@dataclass
class Journey:
    """A participant as the pure decisions see them: the events so far, folded on demand."""

    today: date
    birth: date
    pid: uuid.UUID = field(default_factory=uuid.uuid4)
    events: list[Event] = field(default_factory=list)

    def state(self) -> domain.Participant:
        from services.participants import domain

        return domain.fold(self.events, self.birth)


def attempt(
    journey: Journey,
    before: domain.Participant,
    decide: Callable[[Journey, str, dict[str, Any]], list[Event]],
    name: str,
    args: dict[str, Any],
) -> domain.Participant | None:
    """Run the drawn command ``name`` on ``journey`` (whose state is ``before``). A refusal
    must name a catalogued rule, answer 409 or 422 and change nothing (the birth date a
    correction set is put back): then None. An accepted command's events join the
    journey: then its state after."""
    from hypothesis import event

    birth_before = journey.birth
    try:
        new_events = decide(journey, name, args)
    except RuleViolation as refused:
        journey.birth = birth_before
        assert refused.code in catalogue.rules, refused.code
        assert refused.status in (409, 422)
        assert journey.state() == before, "a refused command changed the state"
        event(f"refused {name}: {refused.code}")
        return None
    event(f"accepted {name}")
    journey.events += new_events
    return journey.state()


def token(
    settings: Settings,
    roles: list[str] | None = None,
    municipality: str = "3301",
    sub: str = "tester",
) -> str:
    roles = roles or ["caseworker", "manager"]
    return issue_dev_token(
        settings, sub=sub, roles=roles, municipality=municipality, agency="agency" in roles
    )


def auth(
    settings: Settings, roles: list[str] | None = None, municipality: str = "3301"
) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(settings, roles, municipality)}"}


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan (relay, consumers) running, and an in-process client."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def settled_participant(
    participants: httpx.AsyncClient,
    headers: dict[str, str],
    *,
    given_name: str = "Selam",
    family_name: str = "Tesfaye",
    born: date = date(1992, 5, 17),
    settled_on: str = "2024-03-01",
    unaccompanied_minor: bool = False,
) -> str:
    """Register a participant (a D-number) and settle them, through the participants
    service's API (as an unaccompanied minor if so asked); the participant's id."""
    registered = await participants.post(
        "/participants",
        headers=headers,
        json=registration(born, given=given_name, family=family_name),
    )
    assert registered.status_code == 201, registered.text
    participant_id = str(registered.json()["id"])
    body: dict[str, Any] = {"settled_on": settled_on, "arrival_category": "resettlement_refugee"}
    if unaccompanied_minor:
        body["unaccompanied_minor"] = True
    settled = await participants.post(
        f"/participants/{participant_id}/settlement", headers=headers, json=body
    )
    assert settled.status_code == 201, settled.text
    return participant_id


async def record_competence(
    participants: httpx.AsyncClient,
    headers: dict[str, str],
    person: str,
    occupation: Any,
    **more: Any,
) -> None:
    """Put ``person``'s competence profile through the participants API: four years as
    ``occupation`` (an ESCO occupation) and its essential skills, both consented to be
    shared for matching; ``more`` joins the body."""
    answer = await participants.put(
        f"/participants/{person}/competence-profile",
        headers=headers,
        json={
            "work_experience": [{"isco_code": occupation.isco_code, "years": 4}],
            "skills": list(occupation.essential_skills),
            "consent": {"work_experience": True, "skills": True},
            **more,
        },
    )
    assert answer.status_code == 201, answer.text


async def adopt_persons_settled(indicators: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Adopt the catalogue's ``persons_settled`` indicator in the caller's municipality."""
    adopted = await indicators.post(
        "/indicators/definitions",
        json={"key": "persons_settled", "from_catalogue": "persons_settled"},
        headers=headers,
    )
    assert adopted.status_code == 201, adopted.text


async def persons_settled_counts(
    indicators: httpx.AsyncClient, headers: dict[str, str], expected: float, period: str = "2024"
) -> bool:
    """Whether the indicators service now counts ``expected`` persons settled in ``period``
    (to wait for with :func:`eventually`)."""
    value = await indicators.get(
        f"/indicators/values/persons_settled?period={period}", headers=headers
    )
    return bool(value.json()["value"] == expected)


async def eventually(
    check: Callable[[], Awaitable[Any]], *, timeout: float = 20.0, interval: float = 0.05
) -> Any:
    """Poll ``check`` until it returns a truthy value; fail with its last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


async def publish_foreign_event(
    settings: Settings,
    service: str,
    type_name: str,
    data: dict[str, Any],
    *,
    municipality: str = "3301",
    stream_id: str | None = None,
) -> str:
    """Publish a CloudEvent as if ``service`` had (for services a test does not run)."""
    import uuid as _uuid

    from shared.events import Envelope, parse_type_name

    _, aggregate, event, _ = parse_type_name(type_name)
    envelope = Envelope.recorded_now(
        type_name,
        data,
        service=service,
        stream_id=stream_id or str(_uuid.uuid4()),
        municipality=municipality,
        actor="test",
    )
    event_id = envelope.id
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, settings, service, keep_existing=True)
        await js.publish(
            f"{settings.subject_prefix(service)}.{aggregate}.{event}",
            envelope.to_json(),
            headers={"Nats-Msg-Id": str(event_id)},
        )
    finally:
        await nc.close()
    return str(event_id)


async def stream_messages(settings: Settings, service: str) -> list[dict[str, Any]]:
    """Every CloudEvent currently on ``service``'s JetStream stream, in order."""
    import json as _json

    import nats

    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(settings.stream_name(service))
        messages = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            try:
                raw = await js.get_msg(settings.stream_name(service), seq)
            except Exception:
                continue
            messages.append(_json.loads(raw.data or b"{}"))
        return messages
    finally:
        await nc.close()


async def ensure_stream(
    js: JetStreamContext, settings: Settings, service: str, *, keep_existing: bool = False
) -> None:
    """Create ``service``'s stream as its relay would (file storage, the bus's duplicate
    window), or bring one already there to that configuration; with ``keep_existing`` a
    stream already there (or any failure to add one) is left as it is."""
    config = StreamConfig(
        name=settings.stream_name(service),
        subjects=[f"{settings.subject_prefix(service)}.>"],
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    )
    if keep_existing:
        with contextlib.suppress(Exception):
            await js.add_stream(config)
        return
    try:
        await js.add_stream(config)
    except BadRequestError:
        await js.update_stream(config)


async def table_rows(
    settings: Settings, service: str, tables: Iterable[sa.Table]
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of each of ``tables`` in ``service``'s database, by table name, in the
    order of its primary key."""
    conn = await asyncpg.connect(settings.service_database_url(service, driver="postgresql"))
    try:
        found = {}
        for table in tables:
            keys = ", ".join(c.name for c in table.primary_key.columns)
            rows = await conn.fetch(f"SELECT * FROM {table.name} ORDER BY {keys}")
            found[table.name] = [tuple(r) for r in rows]
        return found
    finally:
        await conn.close()


async def published_events(settings: Settings, service: str) -> list[dict[str, Any]]:
    """Every CloudEvent on ``service``'s subjects, read by an ordered consumer until half a
    second passes without one."""
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        sub = await js.subscribe(f"{settings.subject_prefix(service)}.>", ordered_consumer=True)
        found = []
        try:
            while True:
                msg = await sub.next_msg(timeout=0.5)
                found.append(json.loads(msg.data))
        except TimeoutError:
            pass
        return found
    finally:
        await nc.close()


REPO = Path(__file__).resolve().parents[1]


def child_environment(settings: Settings, **veiviser: str) -> dict[str, str]:
    """The environment of a process the test starts: this one's without any ``VEIVISER_``
    setting, then the test's databases and NATS namespace, then ``veiviser``
    (``log_level="DEBUG"`` is ``VEIVISER_LOG_LEVEL=DEBUG``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEIVISER_")}
    env |= {
        "VEIVISER_DATABASE_URL": settings.database_url,
        "VEIVISER_DATABASE_PREFIX": settings.database_prefix,
        "VEIVISER_NATS_URL": settings.nats_url,
        "VEIVISER_NAMESPACE": settings.namespace,
    }
    return env | {f"VEIVISER_{name.upper()}": value for name, value in veiviser.items()}


async def python_module(
    settings: Settings, module: str, *args: str, stdout: Any, stderr: Any, **veiviser: str
) -> asyncio.subprocess.Process:
    """``python -m module args`` from the repository, in :func:`child_environment`."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *args,
        cwd=REPO,
        env=child_environment(settings, **veiviser),
        stdout=stdout,
        stderr=stderr,
    )


async def veiviser_command(
    settings: Settings, *args: str, timeout: float | None = None, **veiviser: str
) -> tuple[int, str, str]:
    """``veiviser <args>`` (``python -m deploy.cli``) against the test's databases and NATS,
    in development; its exit code, standard output and standard error."""
    process = await python_module(
        settings,
        "deploy.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env="development",
        **veiviser,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def registration(
    born: date, ident: str | None = None, *, given: str = "Test", family: str = "Person"
) -> dict[str, str]:
    """The body of ``POST /participants`` for someone born on ``born`` (with a fresh
    D-number unless ``ident`` is given)."""
    return {
        "given_name": given,
        "family_name": family,
        "birth_date": born.isoformat(),
        "national_id": ident or national_id(born, d_number=True),
    }


@asynccontextmanager
async def private_environment(
    database_url: str, nats_url: str, templates: dict[str, str], label: str
) -> AsyncIterator[Settings]:
    """Settings of a fresh environment on the given servers: every service's database
    copied from its migrated template under a prefix of its own (``vt_<label>_<token>``),
    and a NATS namespace of its own; the databases and streams are removed after."""
    token = uuid.uuid4().hex[:8]
    prefix = f"vt_{label}_{token}"
    settings = Settings(
        database_url=database_url,
        nats_url=nats_url,
        database_prefix=prefix,
        namespace=f"t{label}{token}",
        env="development",
        relay_idle_seconds=0.02,
        consumer_fetch_timeout_seconds=0.5,
        log_json=True,
        log_level="WARNING",
    )
    conn = await asyncpg.connect(settings.server_database_url())
    try:
        for service, template in templates.items():
            await conn.execute(
                f'CREATE DATABASE "{settings.database_name(service)}" TEMPLATE "{template}"'
            )
    finally:
        await conn.close()
    try:
        yield settings
    finally:
        await drop_databases(settings.server_database_url(), prefix + "_")
        # A test may leave NATS stopped or unreachable; then there is nothing to delete.
        with contextlib.suppress(Exception):
            await delete_streams(settings)


async def drop_databases(server_url: str, prefix: str) -> None:
    """Drop every database whose name starts with ``prefix``, connections or not."""
    conn = await asyncpg.connect(server_url)
    try:
        names = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1",
            prefix.replace("_", r"\_") + "%",
        )
        for row in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await conn.close()


async def delete_streams(settings: Settings) -> None:
    """Delete every service's JetStream stream in ``settings``' namespace; one that is not
    there is no error."""
    nc = await nats.connect(settings.nats_url, connect_timeout=2, max_reconnect_attempts=1)
    try:
        js = nc.jetstream()
        for service in SERVICES:
            with contextlib.suppress(Exception):
                await js.delete_stream(settings.stream_name(service))
    finally:
        await nc.close()
