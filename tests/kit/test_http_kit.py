"""HTTP kit over a real service: problem details, auth, scoping, health, metrics, tracing."""

from __future__ import annotations

import json
from datetime import date, timedelta

import asyncpg
import jwt
import pytest

from services.indicators.app import create_app as indicators_app
from services.participants.app import create_app as participants_app
from shared.dates import today
from shared.events import utcnow
from shared.settings import Settings
from tests.support import auth, eventually, national_id, running

PERSON = {
    "given_name": "Yonas",
    "family_name": "Tesfay",
    "birth_date": "1988-11-02",
    "national_id": national_id(date(1988, 11, 2)),
}


async def _count(settings: Settings, table: str, service: str = "participants") -> int:
    conn = await asyncpg.connect(settings.service_database_url(service, driver="postgresql"))
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**PERSON, "national_id": "12345678901"}, "national_id"),
        ({**PERSON, "birth_date": "not-a-date"}, "birth_date"),
        ({**PERSON, "birth_date": (date.today() + timedelta(days=3)).isoformat()}, "birth_date"),
        ({**PERSON, "nickname": "Yoyo"}, "nickname"),
        ({k: v for k, v in PERSON.items() if k != "family_name"}, "family_name"),
        ({**PERSON, "given_name": 42}, "given_name"),
    ],
)
async def test_bad_registration_is_a_422_naming_the_field_and_changes_nothing(
    settings: Settings, body: dict[str, object], field: str
) -> None:
    async with running(participants_app(settings)) as client:
        response = await client.post("/participants", headers=auth(settings), json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert field in problem["detail"]
    assert field in [error["field"] for error in problem["errors"]]
    assert await _count(settings, "events") == 0
    assert await _count(settings, "outbox") == 0


async def test_malformed_json_is_a_422_problem(settings: Settings) -> None:
    async with running(participants_app(settings)) as client:
        response = await client.post(
            "/participants",
            headers={**auth(settings), "content-type": "application/json"},
            content=b'{"given_name": "A",',
        )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"
    assert await _count(settings, "events") == 0


async def test_settlement_in_the_future_is_refused_and_nothing_is_published(
    settings: Settings,
) -> None:
    async with running(participants_app(settings)) as client:
        created = await client.post("/participants", headers=auth(settings), json=PERSON)
        pid = created.json()["id"]
        before = await _count(settings, "events")
        tomorrow = (today() + timedelta(days=1)).isoformat()
        response = await client.post(
            f"/participants/{pid}/settlement",
            headers=auth(settings),
            json={"settled_on": tomorrow, "arrival_category": "other"},
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "settled_on"
        wrong_category = await client.post(
            f"/participants/{pid}/settlement",
            headers=auth(settings),
            json={"settled_on": "2024-05-01", "arrival_category": "tourist"},
        )
        assert wrong_category.status_code == 422
        assert wrong_category.json()["errors"][0]["field"] == "arrival_category"
    assert await _count(settings, "events") == before
    assert await _count(settings, "outbox WHERE subject LIKE '%settled'") == 0


async def test_tokens_are_required_checked_and_scoped(settings: Settings) -> None:
    async with running(participants_app(settings)) as client:
        missing = await client.post("/participants", json=PERSON)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"].startswith("Bearer")

        forged = jwt.encode(
            {"sub": "x", "roles": ["caseworker"], "municipality": "3301", "aud": "veiviser"},
            "not-the-development-key-but-long-enough-for-hs256",
            algorithm="HS256",
        )
        bad = await client.post(
            "/participants", headers={"Authorization": f"Bearer {forged}"}, json=PERSON
        )
        assert bad.status_code == 401

        expired = jwt.encode(
            {
                "sub": "x",
                "roles": ["caseworker"],
                "municipality": "3301",
                "aud": settings.jwt_audience,
                "iss": settings.jwt_issuer,
                "exp": int((utcnow() - timedelta(minutes=1)).timestamp()),
            },
            settings.jwt_secret,
            algorithm="HS256",
        )
        old = await client.post(
            "/participants", headers={"Authorization": f"Bearer {expired}"}, json=PERSON
        )
        assert old.status_code == 401
        assert "expired" in old.json()["detail_en"]

        analyst = await client.post(
            "/participants", headers=auth(settings, ["analyst"]), json=PERSON
        )
        assert analyst.status_code == 403

        created = await client.post("/participants", headers=auth(settings), json=PERSON)
        pid = created.json()["id"]
        elsewhere = auth(settings, municipality="4601")
        assert (await client.get(f"/participants/{pid}", headers=elsewhere)).status_code == 404
        settle_elsewhere = await client.post(
            f"/participants/{pid}/settlement",
            headers=elsewhere,
            json={"settled_on": "2024-05-01", "arrival_category": "other"},
        )
        assert settle_elsewhere.status_code == 404

        own = await client.get(f"/participants/{pid}", headers=auth(settings))
        assert own.json()["personal_data"]["family_name"] == "Tesfay"
        as_analyst = await client.get(f"/participants/{pid}", headers=auth(settings, ["analyst"]))
        assert as_analyst.status_code == 200
        assert "personal_data" not in as_analyst.json()


async def test_stale_if_match_is_a_409_with_the_current_version(settings: Settings) -> None:
    async with running(participants_app(settings)) as client:
        created = await client.post("/participants", headers=auth(settings), json=PERSON)
        pid, version = created.json()["id"], created.json()["version"]
        stale = await client.post(
            f"/participants/{pid}/settlement",
            headers={**auth(settings), "If-Match": f'"{version - 1}"'},
            json={"settled_on": "2024-05-01", "arrival_category": "other"},
        )
        assert stale.status_code == 409
        assert stale.json()["current_version"] == version
        fresh = await client.post(
            f"/participants/{pid}/settlement",
            headers={**auth(settings), "If-Match": f'"{version}"'},
            json={"settled_on": "2024-05-01", "arrival_category": "other"},
        )
        assert fresh.status_code == 201
        assert fresh.json()["version"] == version + 1


async def test_health_readiness_metrics_and_docs_need_no_token(settings: Settings) -> None:
    async with running(participants_app(settings)) as client:
        assert (await client.get("/healthz")).json()["status"] == "ok"

        async def ready() -> bool:
            return (await client.get("/readyz")).status_code == 200

        await eventually(ready)
        assert (await client.get("/readyz")).json()["checks"] == {"database": "ok", "nats": "ok"}
        await client.post("/participants", headers=auth(settings), json=PERSON)
        metrics = (await client.get("/metrics")).text
        assert "veiviser_http_request_duration_seconds_bucket" in metrics
        assert (
            'veiviser_events_appended_total{service="participants",type="participants.participant.registered.v1"} 1.0'
            in metrics
        )
        assert "veiviser_outbox_backlog" in metrics
        assert (
            'veiviser_event_loop_lag_seconds_count{cause="on_time",service="participants"}'
            in metrics
        )
        openapi = (await client.get("/openapi.json")).json()
        assert "/participants/{participant_id}/settlement" in openapi["paths"]
        assert (await client.get("/nowhere")).headers["content-type"] == "application/problem+json"


async def test_readiness_reports_an_unreachable_nats(settings: Settings) -> None:
    cut_off = settings.model_copy(update={"nats_url": "nats://127.0.0.1:9"})
    async with running(participants_app(cut_off)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["nats"] == "unreachable"
    assert response.json()["checks"]["database"] == "ok"


async def test_correlation_id_travels_from_request_to_event_to_consumer_log(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    debug = settings.model_copy(update={"log_level": "DEBUG"})
    async with (
        running(participants_app(debug)) as participants,
        running(indicators_app(debug)) as indicators,
    ):
        headers = {**auth(settings), "X-Correlation-ID": "trace-4711"}
        created = await participants.post("/participants", headers=headers, json=PERSON)
        assert created.headers["x-correlation-id"] == "trace-4711"
        await participants.post(
            f"/participants/{created.json()['id']}/settlement",
            headers=headers,
            json={"settled_on": "2024-05-01", "arrival_category": "other"},
        )

        async def counted() -> bool:
            r = await indicators.get("/indicators/settlements?year=2024", headers=auth(settings))
            return bool(r.json()["settled"] == 1)

        await eventually(counted)
    conn = await asyncpg.connect(settings.service_database_url("indicators", driver="postgresql"))
    try:
        payload = await conn.fetchval(
            "SELECT payload FROM received_events WHERE type LIKE '%settled.v1'"
        )
    finally:
        await conn.close()
    assert json.loads(payload)["correlationid"] == "trace-4711"
    lines = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    consumer_lines = [
        line
        for line in lines
        if line.get("service") == "indicators" and line.get("event") == "consumer.applied"
    ]
    assert any(line.get("correlation_id") == "trace-4711" for line in consumer_lines)
    everything = json.dumps(lines)
    assert "Tesfay" not in everything
    assert PERSON["national_id"] not in everything
