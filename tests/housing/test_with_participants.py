"""Across services: every participants event the households read model follows, recorded
in the participants service, then visible in housing over HTTP."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from services.housing.app import create_app as housing_app
from services.participants.app import create_app as participants_app
from shared.dates import today
from shared.settings import Settings
from tests.housing.helpers import (
    accepted_application,
    dwelling,
    officer,
    rows,
    wait_for_application,
    wait_for_household,
)
from tests.support import auth, national_id, running

SETTLED_ON = "2024-03-01"


async def _register(participants: httpx.AsyncClient, settings: Settings, born: date) -> str:
    registered = await participants.post(
        "/participants",
        headers=auth(settings),
        json={
            "given_name": "Amina",
            "family_name": "Yusuf",
            "birth_date": born.isoformat(),
            "national_id": national_id(born, d_number=True),
        },
    )
    assert registered.status_code == 201, registered.text
    return str(registered.json()["id"])


async def _household(
    participants: httpx.AsyncClient, settings: Settings, births: list[date]
) -> tuple[uuid.UUID, list[str]]:
    """Register and settle the people in one household (the first one founds it)."""
    household_id: str | None = None
    members = []
    for born in births:
        person = await _register(participants, settings, born)
        body: dict[str, Any] = {
            "settled_on": SETTLED_ON,
            "arrival_category": "resettlement_refugee",
        }
        if household_id is not None:
            body["household_id"] = household_id
        settled = await participants.post(
            f"/participants/{person}/settlement", headers=auth(settings), json=body
        )
        assert settled.status_code == 201, settled.text
        household_id = str(settled.json()["household_id"])
        members.append(person)
    assert household_id is not None
    return uuid.UUID(household_id), members


async def _record(
    participants: httpx.AsyncClient,
    settings: Settings,
    person: str,
    path: str,
    body: dict[str, Any],
) -> None:
    response = await participants.post(
        f"/participants/{person}/{path}", headers=auth(settings), json=body
    )
    assert response.status_code == 201, response.text


async def _waiting(housing: httpx.AsyncClient, settings: Settings, on: date) -> set[str]:
    response = await housing.get(
        f"/housing/waiting-list?on={on.isoformat()}", headers=officer(settings)
    )
    assert response.status_code == 200, response.text
    return {entry["household_id"] for entry in response.json()["entries"]}


async def test_size_and_ages_follow_settlement_correction_and_leaving_the_household(
    settings: Settings,
) -> None:
    year = today().year
    async with (
        running(participants_app(settings)) as participants,
        running(housing_app(settings)) as housing,
    ):
        household_id, (mother, father, son) = await _household(
            participants, settings, [date(1985, 4, 12), date(1988, 1, 3), date(2004, 6, 1)]
        )
        # participant.settled (size, members) and participant.registered (birth years).
        found = await wait_for_household(housing, settings, household_id, household_size=3)
        assert found["settlement"]["members_present"] == 3
        assert found["settlement"]["member_ages"] == [year - 1985, year - 1988, year - 2004]
        application = await accepted_application(
            housing, settings, household_id, received_on="2024-04-01", household_size=3
        )

        # participant.birth_year_corrected: the father was born a year earlier.
        corrected = await participants.patch(
            f"/participants/{father}/personal-details",
            headers=auth(settings),
            json={
                "birth_date": "1987-01-03",
                "national_id": national_id(date(1987, 1, 3), d_number=True),
            },
        )
        assert corrected.status_code == 200, corrected.text
        found = await wait_for_household(
            housing, settings, household_id, member_ages=[year - 1985, year - 1987, year - 2004]
        )

        # The son needs a wheelchair: only accessible dwellings fit the household.
        needs = await housing.put(
            f"/housing/applications/{application['application_id']}/needs",
            headers=officer(settings),
            json={"members": [{"participant_id": son, "needs_wheelchair_access": True}]},
        )
        assert needs.status_code == 200, needs.text
        flat = await dwelling(
            housing,
            settings,
            address="Bakken 2",
            rooms=3,
            size_m2=70,
            floor=3,
            valuation=None,
            registered_on="2020-01-01",
        )

        async def suggested() -> list[str]:
            response = await housing.get(
                f"/housing/dwellings/{flat['dwelling_id']}/suggestions",
                headers=officer(settings),
            )
            return [s["household_id"] for s in response.json()["suggestions"]]

        assert str(household_id) not in await suggested()
        stranger = await housing.put(
            f"/housing/applications/{application['application_id']}/needs",
            headers=officer(settings),
            json={"members": [{"participant_id": str(uuid.uuid4()), "needs_step_free": True}]},
        )
        assert stranger.status_code == 422 and stranger.json()["code"] == "unknown-reference"

        # participant.left_household: the grown-up son gets his own flat.
        await _record(participants, settings, son, "household-departure", {"left_on": "2025-01-10"})
        found = await wait_for_household(housing, settings, household_id, household_size=2)
        assert found["settlement"]["member_ages"] == [year - 1985, year - 1987]
        # His need left with him: the third-floor flat without a lift now fits.
        assert str(household_id) in await suggested()
        assert found["settlement"]["left"] is False
        listed = await housing.get("/housing/waiting-list", headers=officer(settings))
        entry = next(
            e
            for e in listed.json()["entries"]
            if e["application_id"] == application["application_id"]
        )
        assert entry["household_size"] == 2
        view = await wait_for_application(housing, settings, application["application_id"])
        assert view["household_size"] == 2 and view["applied_household_size"] == 3
        # Before the son left, the list of that day still counted him.
        before = await housing.get("/housing/waiting-list?on=2025-01-09", headers=officer(settings))
        assert [
            e["household_size"]
            for e in before.json()["entries"]
            if e["household_id"] == str(household_id)
        ] == [3]
        assert mother


async def test_a_household_that_moves_away_leaves_the_waiting_list_on_the_day_it_moves(
    settings: Settings,
) -> None:
    ahead = today() + timedelta(days=60)
    async with (
        running(participants_app(settings)) as participants,
        running(housing_app(settings)) as housing,
    ):
        leaving, (person,) = await _household(participants, settings, [date(1990, 2, 2)])
        gone, (other,) = await _household(participants, settings, [date(1991, 3, 3)])
        await wait_for_household(housing, settings, leaving, household_size=1)
        await wait_for_household(housing, settings, gone, household_size=1)
        announced = await accepted_application(housing, settings, leaving, received_on="2024-04-01")
        moved = await accepted_application(housing, settings, gone, received_on="2024-04-01")

        # participant.moved_out announced 60 days ahead: nothing changes before the date.
        await _record(
            participants,
            settings,
            person,
            "move-out",
            {"moved_on": ahead.isoformat(), "to_municipality": "0301"},
        )
        view = await wait_for_application(
            housing,
            settings,
            announced["application_id"],
            waiting_end_reason="moved_away",
        )
        assert view["waiting_until"] == ahead.isoformat()
        assert view["left_to_municipality"] == "0301"
        assert str(leaving) in await _waiting(housing, settings, today())
        assert str(leaving) in await _waiting(housing, settings, ahead - timedelta(days=1))
        assert str(leaving) not in await _waiting(housing, settings, ahead)
        history = await wait_for_household(housing, settings, leaving, household_size=1)
        assert history["situation"] == "waiting" and history["settlement"]["left"] is False

        # A move already made: off today's list, with the reason, and no new placement.
        await _record(
            participants,
            settings,
            other,
            "move-out",
            {"moved_on": "2025-02-01", "to_municipality": "4601"},
        )
        view = await wait_for_application(
            housing, settings, moved["application_id"], waiting_end_reason="moved_away"
        )
        assert view["waiting_until"] == "2025-02-01"
        assert str(gone) not in await _waiting(housing, settings, today())
        assert str(gone) in await _waiting(housing, settings, date(2025, 1, 31))
        history = await wait_for_household(housing, settings, gone, household_size=0)
        assert history["situation"] == "left"
        assert history["settlement"]["left_reason"] == "moved_away"
        assert history["settlement"]["left_to_municipality"] == "4601"
        flat = await dwelling(
            housing,
            settings,
            address="Elvegata 4",
            rooms=2,
            size_m2=50,
            registered_on="2020-01-01",
            valuation=1_500_000,
        )
        refused = await housing.post(
            "/housing/placements",
            headers=officer(settings),
            json={
                "application_id": moved["application_id"],
                "dwelling_id": flat["dwelling_id"],
                "starts_on": "2025-03-01",
            },
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "household-left"
        assert refused.json()["facts"]["left_on"] == "2025-02-01"


async def test_death_and_emigration_take_the_household_off_the_waiting_list(
    settings: Settings,
) -> None:
    async with (
        running(participants_app(settings)) as participants,
        running(housing_app(settings)) as housing,
    ):
        died, (widow,) = await _household(participants, settings, [date(1950, 5, 5)])
        emigrated, (traveller,) = await _household(participants, settings, [date(1993, 7, 7)])
        applications = {}
        for household_id in (died, emigrated):
            await wait_for_household(housing, settings, household_id, household_size=1)
            applications[household_id] = await accepted_application(
                housing, settings, household_id, received_on="2024-04-01"
            )
        # participant.died
        await _record(participants, settings, widow, "death", {"died_on": "2025-05-01"})
        view = await wait_for_application(
            housing,
            settings,
            applications[died]["application_id"],
            waiting_end_reason="deceased",
        )
        assert view["waiting_until"] == "2025-05-01"
        # participant.emigrated
        await _record(
            participants, settings, traveller, "emigration", {"emigrated_on": "2025-06-01"}
        )
        view = await wait_for_application(
            housing,
            settings,
            applications[emigrated]["application_id"],
            waiting_end_reason="emigrated",
        )
        assert view["waiting_until"] == "2025-06-01"
        waiting = await _waiting(housing, settings, today())
        assert str(died) not in waiting and str(emigrated) not in waiting
        assert {str(died), str(emigrated)} <= await _waiting(housing, settings, date(2025, 4, 30))
        months = await housing.get(
            "/housing/waiting-list/month-ends?from=2025-04&to=2025-06",
            headers=officer(settings),
        )
        assert months.status_code == 200, months.text
        counts = [m["households_waiting"] for m in months.json()["months"]]
        assert counts == [2, 1, 0]


async def test_erasure_removes_the_persons_application_data_from_housing(
    settings: Settings,
) -> None:
    async with (
        running(participants_app(settings)) as participants,
        running(housing_app(settings)) as housing,
    ):
        household_id, (erased, stays) = await _household(
            participants, settings, [date(1979, 8, 8), date(1982, 9, 9)]
        )
        await wait_for_household(housing, settings, household_id, household_size=2)
        application = await accepted_application(
            housing,
            settings,
            household_id,
            received_on="2024-04-01",
            idempotency_key="apply-once",
            member_ages=[46, 43],
            needs_wheelchair_access=True,
            members=[
                {"participant_id": erased, "needs_wheelchair_access": True},
                {"participant_id": stays, "needs_step_free": True},
            ],
        )
        assert application["member_ages"] == [46, 43]
        assert application["needs_wheelchair_access"] is True
        assert {m["participant_id"]: m["needs_step_free"] for m in application["members"]} == {
            erased: False,
            stays: True,
        }
        # In housing's own event store the ages and needs are sealed, never in clear.
        stored = await rows(
            settings,
            "SELECT type, data::text FROM events WHERE type LIKE '%needs%'",
        )
        assert sorted(t for t, _ in stored) == [
            "housing.housing_application.member_needs_sealed.v1",
            "housing.housing_application.member_needs_sealed.v1",
            "housing.housing_application.needs_sealed.v1",
        ]
        assert not any(
            "member_ages" in d or "wheelchair" in d or "step_free" in d for _, d in stored
        )

        # participant.erased
        response = await participants.delete(
            f"/participants/{erased}/personal-data", headers=auth(settings, ["privacy_officer"])
        )
        assert response.status_code in (200, 201, 204), response.text
        view = await wait_for_application(
            housing, settings, application["application_id"], needs_erased=True
        )
        assert view["member_ages"] == [] and view["needs_wheelchair_access"] is False
        # The erased member's own needs leave with them; the other member's stay.
        assert view["members"] == [
            {"participant_id": stays, "needs_wheelchair_access": False, "needs_step_free": True}
        ]
        assert await rows(
            settings, f"SELECT count(*) FROM person_keys WHERE participant_id = '{erased}'"
        ) == [(0,)]
        assert await rows(
            settings, f"SELECT count(*) FROM person_keys WHERE participant_id = '{stays}'"
        ) == [(1,)]
        found = await wait_for_household(housing, settings, household_id, members_settled=1)
        assert found["settlement"]["members_present"] == 1
        assert found["settlement"]["member_ages"] == [today().year - 1982]

        # Nothing about the erased person is left in housing's read models or inbox.
        for table in ("household_members", "participant_birth_years", "application_member_needs"):
            assert (
                await rows(
                    settings, f"SELECT count(*) FROM {table} WHERE participant_id = '{erased}'"
                )
            ) == [(0,)]
        # The stored answer to the keyed application showed the needs: gone with the erasure.
        assert await rows(settings, "SELECT count(*) FROM idempotency_keys") == [(0,)]
        # Every housing table: the erased id is left only beside their shredded needs in the
        # event store (pseudonymous, and the sealed blob no longer opens).
        tables = await rows(
            settings,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        )
        for (table,) in tables:
            hits = await rows(
                settings, f"SELECT count(*) FROM {table} t WHERE t::text LIKE '%{erased}%'"
            )
            expected = 1 if table == "events" else 0  # member_needs_sealed, now noise
            assert hits == [(expected,)], (table, hits)
        inbox = await rows(settings, "SELECT payload::text FROM received_events")
        assert not any(erased in payload for (payload,) in inbox)
        assert any(stays in payload for (payload,) in inbox)
        # The sealed needs no longer open: the household's key is gone.
        assert await rows(
            settings, f"SELECT count(*) FROM household_keys WHERE household_id = '{household_id}'"
        ) == [(0,)]
        # What the inbox keeps of a participants event is only what the read model needs.
        kept = [json.loads(payload) for (payload,) in inbox]
        settled = [p for p in kept if p.get("type", "").endswith("participant.settled.v1")]
        assert settled and all(
            set(p["data"])
            <= {
                "participant_id",
                "household_id",
                "household_size",
                "settled_on",
                "unaccompanied_minor",
            }
            for p in settled
        )
        assert all("arrival_category" not in p.get("data", {}) for p in kept)

        # The officer records the remaining member's needs again; the place in the queue stays.
        again = await housing.put(
            f"/housing/applications/{application['application_id']}/needs",
            headers=officer(settings),
            json={"member_ages": [43], "needs_step_free": True},
        )
        assert again.status_code == 422 and again.json()["code"] == "member-ages"
        # The erased member was part of the size the application was made for; the size
        # follows departures (left, moved, died, emigrated), so two ages are still expected.
        again = await housing.put(
            f"/housing/applications/{application['application_id']}/needs",
            headers=officer(settings),
            json={"member_ages": [43, 12], "needs_step_free": True},
        )
        assert again.status_code == 200, again.text
        renewed = again.json()
        assert renewed["needs_erased"] is False and renewed["member_ages"] == [43, 12]
        assert renewed["received_on"] == "2024-04-01" and renewed["status"] == "accepted"
