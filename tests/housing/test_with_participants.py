"""Across services: every participants event the households read model follows, recorded
in the participants service, then visible in housing over HTTP."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx

from services.housing.app import create_app as housing_app
from services.participants.app import create_app as participants_app
from shared.dates import today
from shared.settings import Settings
from tests.housing.helpers import (
    accepted_application,
    dwelling,
    officer,
    post,
    rows,
    wait_for_application,
    wait_for_household,
)
from tests.support import auth, eventually, national_id, running, settled_participant

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
    return {entry["household_id"] for entry in response.json()["results"]}


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
            for e in listed.json()["results"]
            if e["application_id"] == application["application_id"]
        )
        assert entry["household_size"] == 2
        view = await wait_for_application(housing, settings, application["application_id"])
        assert view["household_size"] == 2 and view["applied_household_size"] == 3
        # Before the son left, the list of that day still counted him.
        before = await housing.get("/housing/waiting-list?on=2025-01-09", headers=officer(settings))
        assert [
            e["household_size"]
            for e in before.json()["results"]
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


async def test_housings_shared_home_stays_change_what_the_minors_record_says(
    settings: Settings,
) -> None:
    """Both events participants follows of housing (a youth placed in a shared home, and
    leaving it) reach the minor's record, which says where they contradict the phases
    and stops saying so once housing's stays agree."""
    cw = auth(settings, ["caseworker"])
    async with (
        running(participants_app(settings)) as participants,
        running(housing_app(settings)) as housing,
    ):
        youth = await settled_participant(
            participants,
            cw,
            given_name="Yonas",
            family_name="Berhe",
            born=date(2008, 2, 10),
            settled_on=SETTLED_ON,
            unaccompanied_minor=True,
        )

        async def minor_post(path: str, body: dict[str, Any]) -> None:
            await _record(participants, settings, youth, f"minor/{path}", body)

        await minor_post("phases", {"phase": "intake", "entered_on": "2024-03-01"})
        await minor_post("phases", {"phase": "moving_in", "entered_on": "2024-03-05"})

        async def record() -> dict[str, Any]:
            read = await participants.get(f"/participants/{youth}/minor", headers=cw)
            assert read.status_code == 200, read.text
            body: dict[str, Any] = read.json()
            return body

        home = await post(
            housing,
            "/housing/shared-homes",
            officer(settings),
            {"district": "Strømsø", "places": 4, "registered_on": "2024-01-01"},
            201,
        )
        hid = home["shared_home_id"]

        async def placed(starts_on: str) -> str:
            # Housing learns of the settlement from participants' events: retry until then.
            async def answer() -> httpx.Response | None:
                response = await housing.post(
                    f"/housing/shared-homes/{hid}/placements",
                    headers=officer(settings),
                    json={"participant_id": youth, "starts_on": starts_on},
                )
                return response if response.status_code == 201 else None

            response = await eventually(answer)
            return str(response.json()["placement_id"])

        async def ended(placement: str, ends_on: str) -> None:
            await post(
                housing,
                f"/housing/shared-homes/{hid}/placements/{placement}/end",
                officer(settings),
                {"ends_on": ends_on},
                200,
            )

        # Housing places the youth two days before the moving-in phase: flagged.
        wrong_day = await placed("2024-03-03")

        async def flagged_early() -> dict[str, Any] | None:
            body = await record()
            return body if body["housing_contradictions"] else None

        body = await eventually(flagged_early)
        assert [s["starts_on"] for s in body["shared_home_stays"]] == ["2024-03-03"]
        assert body["housing_contradictions"] == [
            {
                "code": "shared-home-stay-before-moving-in",
                "detail": body["housing_contradictions"][0]["detail"],
                "placement_id": wrong_day,
                "facts": {"starts_on": "2024-03-03", "moving_in_on": "2024-03-05"},
            }
        ]

        # Housing takes the stay back (ended the day it began) and places from the
        # moving-in day: the two agree again.
        await ended(wrong_day, "2024-03-03")
        stay = await placed("2024-03-05")

        async def agreed() -> dict[str, Any] | None:
            body = await record()
            ready = len(body["shared_home_stays"]) == 2 and not body["housing_contradictions"]
            return body if ready else None

        await eventually(agreed)

        # The youth moves to an own bedsit in participants while housing keeps the place.
        await minor_post("phases", {"phase": "shared_home", "entered_on": "2024-03-20"})
        await minor_post(
            "bedsit-contract", {"signed_on": "2025-03-01", "moves_in_on": "2025-03-10"}
        )
        await minor_post("phases", {"phase": "bedsit", "entered_on": "2025-03-10"})
        body = await record()
        assert [
            (c["code"], c["placement_id"], c["facts"]) for c in body["housing_contradictions"]
        ] == [
            (
                "shared-home-stay-after-shared-home",
                stay,
                {"starts_on": "2024-03-05", "ends_on": None, "bedsit_on": "2025-03-10"},
            )
        ]

        # Housing ends the stay the day the youth moved: nothing left to flag.
        await ended(stay, "2025-03-10")

        async def left() -> dict[str, Any] | None:
            body = await record()
            ends = [s["ends_on"] for s in body["shared_home_stays"]]
            return body if "2025-03-10" in ends and not body["housing_contradictions"] else None

        await eventually(left)

        # What participants keeps of housing's stays is ids and dates only.
        conn = await asyncpg.connect(
            settings.service_database_url("participants", driver="postgresql")
        )
        try:
            kept = await conn.fetch(
                "SELECT t::text AS row FROM minor_shared_home_stays t WHERE participant_id = $1",
                uuid.UUID(youth),
            )
        finally:
            await conn.close()
        assert len(kept) == 2 and not any("Yonas" in r["row"] for r in kept)

        # Erased, the youth's stays go with the rest of what participants holds.
        erased = await participants.delete(
            f"/participants/{youth}/personal-data", headers=auth(settings, ["privacy_officer"])
        )
        assert erased.status_code == 200, erased.text
        conn = await asyncpg.connect(
            settings.service_database_url("participants", driver="postgresql")
        )
        try:
            assert (
                await conn.fetchval(
                    "SELECT count(*) FROM minor_shared_home_stays WHERE participant_id = $1",
                    uuid.UUID(youth),
                )
                == 0
            )
        finally:
            await conn.close()
