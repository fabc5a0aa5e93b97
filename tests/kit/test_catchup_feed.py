"""The catch-up feed (``GET /events``): service identities only, paged in global order,
the very CloudEvents the relay publishes, a stream's events in version order, and stable
problem codes for a bad cursor or limit."""

from __future__ import annotations

import base64
import uuid
from datetime import date
from typing import Any

import httpx
import orjson
import pytest

from services.participants.app import create_app as participants_app
from shared.auth import issue_dev_token, issue_service_token
from shared.catchup import CatchUpClient, CatchUpUnavailable
from shared.eventstore import PREVIOUS_VERSION
from shared.settings import Settings
from tests.kit.catchup_support import (
    append,
    feed_client,
    outbox_payloads,
    service_headers,
    source_app,
)
from tests.kit.helpers import NoteTaken, PrivateNoteTaken
from tests.support import national_id, registration, running, token

pytestmark = pytest.mark.timeout(120)


async def _write_notes(settings: Settings) -> tuple[list[str], list[uuid.UUID]]:
    """Three streams; one with an unpublished note between two published ones.

    Returns the stream ids and the published event ids in the order appended."""
    first, second, third = (f"note-{uuid.uuid4()}" for _ in range(3))
    published: list[uuid.UUID] = []
    for stream, events, version in [
        (first, [NoteTaken(text="a1"), PrivateNoteTaken(text="secret"), NoteTaken(text="a3")], 0),
        (second, [NoteTaken(text="b1")], 0),
        (first, [NoteTaken(text="a4")], 3),
        (third, [PrivateNoteTaken(text="only private")], 0),
        (second, [NoteTaken(text="b2"), NoteTaken(text="b3")], 1),
    ]:
        appended = await append(settings, stream, events, version)
        published += [e.id for e, ev in zip(appended, events, strict=True) if ev.published]
    return [first, second, third], published


async def _walk(client: Any, headers: dict[str, str], limit: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"after": cursor} if cursor else {})
        answer = await client.get("/events", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert len(page["events"]) <= limit
        events += page["events"]
        cursor = page["next"]
        if not page["more"]:
            return events


async def test_the_feed_pages_every_published_event_in_order_as_the_relay_publishes_it(
    settings: Settings,
) -> None:
    streams, published = await _write_notes(settings)
    payloads = await outbox_payloads(settings, streams)
    async with source_app(settings) as app, feed_client(app) as client:
        headers = service_headers(settings)
        events = await _walk(client, headers, limit=2)
        assert [uuid.UUID(e["id"]) for e in events] == published
        # Byte for byte what the relay sends, no more: unpublished notes never appear.
        assert events == [orjson.loads(payloads[uuid.UUID(e["id"])]) for e in events]
        assert "secret" not in str(events) and "only private" not in str(events)
        # Each published event names the previous *published* version of its stream.
        chain = {(e["streamid"], e["streamversion"]): e[PREVIOUS_VERSION] for e in events}
        first, second, _ = streams
        assert chain == {
            (first, 1): 0,
            (first, 3): 1,
            (first, 4): 3,
            (second, 1): 0,
            (second, 2): 1,
            (second, 3): 2,
        }
        # One page of everything ends where the walk ended; after the end, nothing more.
        whole = (await client.get("/events", params={"limit": 1000}, headers=headers)).json()
        assert [e["id"] for e in whole["events"]] == [e["id"] for e in events]
        assert whole["more"] is False and whole["service"] == "participants"
        assert whole["namespace"] == settings.namespace
        after_end = (
            await client.get("/events", params={"after": whole["next"]}, headers=headers)
        ).json()
        assert after_end["events"] == [] and after_end["next"] == whole["next"]
        assert after_end["more"] is False


async def test_a_stream_page_holds_that_streams_published_events_in_version_order(
    settings: Settings,
) -> None:
    streams, _ = await _write_notes(settings)
    first, _, third = streams
    async with source_app(settings) as app, feed_client(app) as client:
        headers = service_headers(settings)
        page = (
            await client.get(
                "/events", params={"stream": first, "after_version": 1}, headers=headers
            )
        ).json()
        assert [(e["streamversion"], e["data"]["text"]) for e in page["events"]] == [
            (3, "a3"),
            (4, "a4"),
        ]
        assert page["next_version"] == 4 and page["more"] is False and page["next"] is None
        short = (
            await client.get("/events", params={"stream": first, "limit": 1}, headers=headers)
        ).json()
        assert [e["streamversion"] for e in short["events"]] == [1]
        assert short["more"] is True and short["next_version"] == 1
        private = (await client.get("/events", params={"stream": third}, headers=headers)).json()
        assert private["events"] == [] and private["next_version"] == 0


@pytest.mark.parametrize(
    "params",
    [
        {"after": "not-a-cursor"},
        {"after": base64.urlsafe_b64encode(b"v1:x:1").decode()},
        {"after": base64.urlsafe_b64encode(b"v1:99999999999999999999:1").decode()},
        {"after": "", "stream": "note-1"},
    ],
)
async def test_a_cursor_the_feed_never_gave_out_is_a_422_bad_cursor_naming_after(
    settings: Settings, params: dict[str, str]
) -> None:
    async with source_app(settings) as app, feed_client(app) as client:
        answer = await client.get("/events", params=params, headers=service_headers(settings))
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        problem = answer.json()
        assert problem["code"] == "bad-cursor"
        assert [(e["field"], e["location"]) for e in problem["errors"]] == [("after", "query")]


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 1001}, {"stream": "note-1", "after_version": -1}],
)
async def test_a_limit_or_version_out_of_range_is_a_422_naming_it(
    settings: Settings, params: dict[str, Any]
) -> None:
    async with source_app(settings) as app, feed_client(app) as client:
        answer = await client.get("/events", params=params, headers=service_headers(settings))
        assert answer.status_code == 422, answer.text
        problem = answer.json()
        assert problem["code"] == "validation-error"
        assert {e["field"] for e in problem["errors"]} <= set(params)


async def test_only_a_service_identity_reads_the_feed(settings: Settings) -> None:
    municipal = issue_dev_token(
        settings,
        sub="caseworker-1",
        roles=["caseworker", "manager", "privacy_officer", "analyst"],
        municipality="3301",
    )
    agency = issue_dev_token(
        settings, sub="imdi", roles=["agency"], municipality="0301", agency=True
    )
    async with source_app(settings) as app, feed_client(app) as client:
        assert (await client.get("/events")).status_code == 401
        assert (
            await client.get("/events", headers={"Authorization": "Bearer not-a-token"})
        ).status_code == 401
        for refused in (municipal, agency):
            answer = await client.get("/events", headers={"Authorization": f"Bearer {refused}"})
            assert answer.status_code == 403, answer.text
            assert answer.json()["code"] == "forbidden"
        service = issue_service_token(settings, "housing")
        answer = await client.get("/events", headers={"Authorization": f"Bearer {service}"})
        assert answer.status_code == 200, answer.text


def test_a_service_token_names_its_service_and_nothing_else(settings: Settings) -> None:
    with pytest.raises(ValueError, match="service claim"):
        issue_service_token(settings, "Not A Name")
    with pytest.raises(ValueError, match="identity provider"):
        issue_service_token(settings.model_copy(update={"jwks_url": "https://idp/jwks"}), "x")


async def test_a_token_that_mixes_the_service_role_with_others_is_refused(
    settings: Settings,
) -> None:
    import jwt

    base = {
        "sub": "service:housing",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "exp": 4102444800,
    }
    mixed = [
        {**base, "roles": ["service", "caseworker"], "service": "housing"},
        {**base, "roles": ["service"]},
        {**base, "roles": ["service"], "service": "housing", "municipality": "3301"},
        {**base, "roles": ["caseworker"], "service": "housing", "municipality": "3301"},
    ]
    async with source_app(settings) as app, feed_client(app) as client:
        for claims in mixed:
            signed = jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
            answer = await client.get("/events", headers={"Authorization": f"Bearer {signed}"})
            assert answer.status_code == 401, claims


async def test_a_service_token_opens_no_municipal_endpoint(settings: Settings) -> None:
    async with running(participants_app(settings)) as participants:
        answer = await participants.get(
            "/participants", headers=service_headers(settings, "housing")
        )
        assert answer.status_code == 403, answer.text


async def test_the_feed_of_a_real_service_carries_no_personal_data(settings: Settings) -> None:
    born = date(1991, 6, 14)
    nid = national_id(born)
    async with running(participants_app(settings)) as participants:
        caseworker = {"Authorization": f"Bearer {token(settings)}"}
        body = registration(born, nid, given="Amina", family="Haile")
        registered = await participants.post("/participants", json=body, headers=caseworker)
        assert registered.status_code == 201, registered.text
        participant_id = registered.json()["id"]
        settled = await participants.post(
            f"/participants/{participant_id}/settlement",
            json={"settled_on": "2025-03-01", "arrival_category": "resettlement_refugee"},
            headers=caseworker,
        )
        assert settled.status_code == 201, settled.text
        answer = await participants.get("/events", headers=service_headers(settings, "housing"))
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert {e["streamid"] for e in page["events"]} == {participant_id}
        assert len(page["events"]) >= 2
        for text in ("Amina", "Haile", nid, born.isoformat()):
            assert text not in answer.text


async def test_the_feed_is_in_every_services_openapi_with_its_problems(
    settings: Settings,
) -> None:
    async with source_app(settings) as app, feed_client(app) as client:
        document = (await client.get("/openapi.json")).json()
        operation = document["paths"]["/events"]["get"]
        assert operation["operationId"] == "readCatchUpFeed"
        assert {"200", "401", "403", "422"} <= set(operation["responses"])
        assert "400" not in operation["responses"]
        assert {p["name"] for p in operation["parameters"]} == {
            "after",
            "limit",
            "stream",
            "after_version",
        }


async def test_the_client_reads_pages_and_refuses_a_feed_of_another_deployment(
    settings: Settings,
) -> None:
    streams, published = await _write_notes(settings)
    async with source_app(settings) as app:
        ours = CatchUpClient(
            settings,
            "indicators",
            "participants",
            base_url="http://source",
            transport=httpx.ASGITransport(app=app),
        )
        page = await ours.page(None, 4)
        rest = await ours.page(page.next, 1000)
        assert [uuid.UUID(e["id"]) for e in page.events + rest.events] == published
        assert page.more and not rest.more
        stream = await ours.stream(streams[1], 1, 10)
        assert [e["streamversion"] for e in stream.events] == [2, 3]
        await ours.close()
        elsewhere = CatchUpClient(
            settings.model_copy(update={"namespace": "another"}),
            "indicators",
            "participants",
            base_url="http://source",
            transport=httpx.ASGITransport(app=app),
        )
        with pytest.raises(CatchUpUnavailable, match="not participants of this deployment"):
            await elsewhere.page(None, 10)
        await elsewhere.close()
        wrong_source = CatchUpClient(
            settings,
            "indicators",
            "housing",
            base_url="http://source",
            transport=httpx.ASGITransport(app=app),
        )
        with pytest.raises(CatchUpUnavailable):
            await wrong_source.page(None, 10)
        await wrong_source.close()
