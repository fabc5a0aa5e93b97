"""Shared homes (bofellesskap) for unaccompanied minors over HTTP: places, stays, and no
more youths than places on any day."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from services.housing.app import create_app as housing_app
from services.housing.domain import shared_home as home
from shared.rules import RuleViolation
from shared.settings import Settings
from tests.housing.helpers import officer, post, publish_participant_event
from tests.support import auth, eventually, running


async def test_a_shared_home_takes_no_more_youths_than_its_places(settings: Settings) -> None:
    headers = officer(settings)
    async with running(housing_app(settings)) as client:
        created = await post(
            client,
            "/housing/shared-homes",
            headers,
            {"district": "Strømsø", "places": 2, "registered_on": "2024-01-01"},
            201,
        )
        hid = created["shared_home_id"]
        youths = [str(uuid.uuid4()) for _ in range(3)]
        adult = str(uuid.uuid4())
        for pid in (*youths, adult):
            await publish_participant_event(
                settings,
                "participants.participant.settled.v1",
                {
                    "participant_id": pid,
                    "settled_on": "2024-01-15",
                    "arrival_category": "resettlement_refugee",
                    "household_id": str(uuid.uuid4()),
                    "household_size": 1,
                    "unaccompanied_minor": pid != adult,
                },
                stream_id=pid,
            )

        # Until the settlements arrive every youth is unknown here: refused the same way.
        async def arrived() -> bool:
            runtime = client._transport.app.state.runtime  # type: ignore[attr-defined]
            async with runtime.db.connect() as conn:
                rows = await conn.exec_driver_sql(
                    "SELECT count(*) FROM household_members WHERE municipality = '3301'"
                )
                return bool(rows.scalar() == 4)

        await eventually(arrived)

        async def placing(participant_id: str, starts_on: str) -> httpx.Response:
            """The officer asks for a place in the shared home for the youth from ``starts_on``."""
            return await client.post(
                f"/housing/shared-homes/{hid}/placements",
                headers=headers,
                json={"participant_id": participant_id, "starts_on": starts_on},
            )

        async def placed(participant_id: str, starts_on: str) -> dict[str, Any]:
            response = await placing(participant_id, starts_on)
            assert response.status_code == 201, response.text
            body: dict[str, Any] = response.json()
            return body

        not_minor = await placing(adult, "2024-02-01")
        assert not_minor.status_code == 409
        assert not_minor.json()["code"] == "not-unaccompanied-minor"
        unknown = await placing(str(uuid.uuid4()), "2024-02-01")
        assert unknown.status_code == 409 and unknown.json()["code"] == "not-unaccompanied-minor"
        first = await placed(youths[0], "2024-02-01")
        await placed(youths[1], "2024-03-01")
        full = await placing(youths[2], "2024-04-01")
        assert full.status_code == 409 and full.json()["code"] == "shared-home-full"
        assert full.json()["current_version"] == 3
        # A backdated stay before the second youth came in would still meet two later.
        backdated = await placing(youths[2], "2024-02-15")
        assert backdated.status_code == 409 and backdated.json()["code"] == "shared-home-full"
        twice = await placing(youths[0], "2024-05-01")
        assert twice.status_code == 409 and twice.json()["code"] == "minor-already-placed"
        shrink = await client.post(
            f"/housing/shared-homes/{hid}/places",
            headers=headers,
            json={"places": 1, "changed_on": "2024-06-01"},
        )
        assert shrink.status_code == 409 and shrink.json()["code"] == "shared-home-places-taken"

        # The first youth moves to a bedsit: the place is free that very day.
        ended = await post(
            client,
            f"/housing/shared-homes/{hid}/placements/{first['placement_id']}/end",
            headers,
            {"ends_on": "2025-01-31"},
            200,
        )
        assert ended["occupied"] == 1
        again = await client.post(
            f"/housing/shared-homes/{hid}/placements/{first['placement_id']}/end",
            headers=headers,
            json={"ends_on": "2025-02-01"},
        )
        assert again.status_code == 409 and again.json()["code"] == "shared-home-stay-unknown"
        await placed(youths[2], "2025-01-31")
        ahead = await client.post(
            f"/housing/shared-homes/{hid}/places",
            headers=headers,
            json={"places": 3, "changed_on": (date.today() + timedelta(days=30)).isoformat()},
        )
        assert ahead.status_code == 422 and ahead.json()["code"] == "future-fact"
        grown = await post(
            client,
            f"/housing/shared-homes/{hid}/places",
            headers,
            {"places": 3, "changed_on": "2025-03-01"},
            200,
        )
        assert (grown["places"], grown["occupied"], grown["free"]) == (3, 2, 1)

        read = await client.get(f"/housing/shared-homes/{hid}", headers=headers)
        assert read.status_code == 200
        assert [s["participant_id"] for s in read.json()["stays"]] == [
            youths[0],
            youths[1],
            youths[2],
        ]
        # Another municipality's shared home and an unknown one answer the same 404.
        foreign = officer(settings, "0301")
        for path in (f"/housing/shared-homes/{hid}", f"/housing/shared-homes/{uuid.uuid4()}"):
            assert (await client.get(path, headers=foreign)).status_code == 404
        for target in (hid, str(uuid.uuid4())):
            refused = await client.post(
                f"/housing/shared-homes/{target}/placements",
                headers=foreign,
                json={"participant_id": youths[0], "starts_on": "2025-03-01"},
            )
            assert refused.status_code == 404
        analyst = auth(settings, ["analyst"])
        assert (
            await client.post(
                "/housing/shared-homes",
                headers=analyst,
                json={"district": "X", "places": 1, "registered_on": "2024-01-01"},
            )
        ).status_code == 403

        runtime = client._transport.app.state.runtime  # type: ignore[attr-defined]
        async with runtime.db.connect() as conn:
            envelopes = await runtime.store.load(conn, home.shared_home_stream(uuid.UUID(hid)))
        assert {e.type_name for e in envelopes} == {
            "housing.shared_home.registered.v1",
            "housing.shared_home.minor_placed.v1",
            "housing.shared_home.minor_left.v1",
            "housing.shared_home.places_changed.v1",
        }


_DAY0 = date(2024, 1, 1)
_TODAY = date(2026, 1, 1)


@hypothesis_settings(deadline=None, max_examples=150)
@given(
    st.integers(1, 4),
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 400), st.sampled_from(["place", "leave"])),
        max_size=30,
    ),
)
def test_no_day_has_more_youths_than_places(places: int, steps: list[tuple[int, int, str]]) -> None:
    """Whatever placements and move-outs are attempted, on any dates: every accepted
    history has on every day at most the places, each youth in one stay at a time, and a
    placement is refused as full exactly when some day from its start is full."""
    state = home.fold_shared_home(home.register(uuid.UUID(int=1), "Sentrum", places, _DAY0, _TODAY))
    for youth, offset, action in steps:
        pid = uuid.UUID(int=100 + youth)
        on = _DAY0 + timedelta(days=offset)
        open_stay = next(
            (s for s in state.stays if s.participant_id == pid and s.ends_on is None), None
        )
        try:
            if action == "place":
                events = home.place(state, uuid.uuid4(), pid, on, _TODAY)
            elif open_stay is not None:
                events = home.leave(state, open_stay.placement_id, on, _TODAY)
            else:
                continue
        except RuleViolation as refused:
            if refused.rule.code == "shared-home-full":
                assert any(
                    state.occupied_on(d) >= places
                    for d in (on + timedelta(days=k) for k in range(0, 800))
                )
            continue
        for event in events:
            state = home.apply(state, event)
        for k in range(0, 800, 3):
            day = _DAY0 + timedelta(days=k)
            assert state.occupied_on(day) <= places
            for y in range(6):
                assert (
                    sum(
                        s.covers(day)
                        for s in state.stays
                        if s.participant_id == uuid.UUID(int=100 + y)
                    )
                    <= 1
                )
