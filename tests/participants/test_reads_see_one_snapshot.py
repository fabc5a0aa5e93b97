"""A read of several statements answers from one snapshot: a commit made between its
statements shows in none of them (tests/unit/test_reads_see_one_snapshot.py holds every
GET route to ``db.snapshot()``)."""

from __future__ import annotations

import asyncio
from datetime import date

import asyncpg
import httpx

from shared.settings import Settings
from tests.participants.conftest import person, registered_and_settled
from tests.support import auth, eventually

# The household members' view reads the household's count first, then its members'
# summaries; a transaction holding this lock stops the view between the two.
_WAITING_FOR_SUMMARIES = """
SELECT count(*) FROM pg_locks
WHERE relation = 'participant_summary'::regclass AND NOT granted
"""


async def test_a_households_members_are_read_from_one_snapshot(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    caseworker = auth(settings, ["caseworker"])
    mother = await registered_and_settled(client, caseworker)
    found = await client.get(f"/participants/{mother}/household", headers=caseworker)
    household = found.json()["household_id"]
    son_details = person(date(2012, 2, 3), d_number=True, given_name="Yonas")
    son = await registered_and_settled(client, caseworker, son_details, household_id=household)

    writer = await asyncpg.connect(
        settings.service_database_url("participants", driver="postgresql")
    )
    try:
        transaction = writer.transaction()
        await transaction.start()
        await writer.execute("LOCK TABLE participant_summary IN ACCESS EXCLUSIVE MODE")
        reading = asyncio.create_task(client.get(f"/households/{household}", headers=caseworker))
        await eventually(lambda: writer.fetchval(_WAITING_FOR_SUMMARIES), interval=0.01)
        # What the son's departure commits, as its projections write it: the household
        # counts one member fewer, and his summary says he left.
        await writer.execute(
            "UPDATE households SET members = members - 1 WHERE household_id = $1::text::uuid",
            household,
        )
        await writer.execute(
            "UPDATE participant_summary SET left_household_on = $1 "
            "WHERE participant_id = $2::text::uuid",
            date(2024, 6, 1),
            son,
        )
        await transaction.commit()
        answer = await reading
    finally:
        await writer.close()

    # Under READ COMMITTED the count was read before the commit and the members after:
    # two counted, one of them gone.
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["members_counted"] == 2
    assert {m["participant_id"]: m["in_household"] for m in body["members"]} == {
        mother: True,
        son: True,
    }
    assert all(m["left_household_on"] is None for m in body["members"])

    after = (await client.get(f"/households/{household}", headers=caseworker)).json()
    assert after["members_counted"] == 1
    assert {m["participant_id"]: m["in_household"] for m in after["members"]} == {
        mother: True,
        son: False,
    }
