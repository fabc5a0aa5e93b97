"""The waiting list at past days and the month-end history (the MRS measure)."""

from __future__ import annotations

from services.housing.app import create_app as housing_app
from shared.settings import Settings
from tests.housing.helpers import (
    accepted_application,
    apply_for_housing,
    decide_application,
    dwelling,
    officer,
    place,
    post,
    settled_households,
)
from tests.support import auth, running


async def test_month_end_counts_and_past_lists_follow_the_recorded_dates(
    settings: Settings,
) -> None:
    headers = officer(settings)
    async with running(housing_app(settings)) as client:
        a, b, c, d, e = await settled_households(client, settings, [2, 1, 3, 1, 2])
        flat = await dwelling(client, settings, rooms=2, registered_on="2011-01-01")
        # A: applied 10 Jan, accepted 20 Jan, moved in 15 Mar.
        app_a = await accepted_application(
            client, settings, a, received_on="2011-01-10", decided_on="2011-01-20"
        )
        # B: applied on 31 Jan (acute), rejected 10 Feb.
        app_b = await apply_for_housing(client, settings, b, "2011-01-31", urgency="acute")
        await decide_application(
            client, settings, app_b["application_id"], "rejected", "2011-02-10"
        )
        # C: applied 5 Feb (high), accepted 6 Feb, withdrew 30 Apr.
        app_c = await accepted_application(
            client, settings, c, received_on="2011-02-05", decided_on="2011-02-06", urgency="high"
        )
        await post(
            client,
            f"/housing/applications/{app_c['application_id']}/withdrawal",
            headers,
            {"withdrawn_on": "2011-04-30"},
            200,
        )
        # D: applied 1 Mar, accepted 2 Mar, still waiting.  E: applied 31 Dec, pending.
        await accepted_application(
            client, settings, d, received_on="2011-03-01", decided_on="2011-03-02"
        )
        await apply_for_housing(client, settings, e, "2011-12-31")
        await place(client, settings, app_a["application_id"], flat["dwelling_id"], "2011-03-15")

        manager = auth(settings, ["manager"])
        response = await client.get(
            "/housing/waiting-list/month-ends?from=2011-01&to=2012-03", headers=manager
        )
        assert response.status_code == 200, response.text
        history = response.json()
        counts = {m["month"]: m["households_waiting"] for m in history["months"]}
        # Jan: A, B · Feb: A, C · Mar: C, D · Apr (C withdrew on the 30th): D · May–Nov: D
        # · Dec: D, E · 2012: D, E
        assert counts == {
            "2011-01": 2,
            "2011-02": 2,
            "2011-03": 2,
            "2011-04": 1,
            **{f"2011-{m:02d}": 1 for m in range(5, 12)},
            "2011-12": 2,
            "2012-01": 2,
            "2012-02": 2,
            "2012-03": 2,
        }
        assert history["months"][1]["month_end"] == "2011-02-28"
        # 2011: (2 + 2 + 2 + 1 + 7 × 1 + 2) / 12 = 16 / 12 = 1.33; 2012 (three months): 2.0
        assert history["yearly_averages"] == [
            {"year": 2011, "months": 12, "average_households_waiting": 1.33},
            {"year": 2012, "months": 3, "average_households_waiting": 2.0},
        ]

        january = (await client.get("/housing/waiting-list?on=2011-01-31", headers=manager)).json()
        assert [
            (x["household_id"], x["status"], x["days_waiting"]) for x in january["results"]
        ] == [
            (str(b), "pending", 0),  # acute first
            (str(a), "accepted", 21),
        ]
        february = (await client.get("/housing/waiting-list?on=2011-02-28", headers=manager)).json()
        assert [
            (x["household_id"], x["urgency"], x["days_waiting"]) for x in february["results"]
        ] == [
            (str(c), "high", 23),
            (str(a), "normal", 49),
        ]
        assert [x["position"] for x in february["results"]] == [1, 2]

        bad = await client.get(
            "/housing/waiting-list/month-ends?from=2011-13&to=2012-01", headers=manager
        )
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "from"
        backwards = await client.get(
            "/housing/waiting-list/month-ends?from=2012-01&to=2011-01", headers=manager
        )
        assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "to"
