"""The plan's own suppression threshold in every output that leaves the municipality, over
HTTP on real PostgreSQL and NATS: the multi-year series (with its change against last
year), the national comparison, breakdowns and Kaplan–Meier curves seen by an agency.
"""

from __future__ import annotations

from typing import Any

import httpx

from services.indicators.app import create_app
from shared.settings import Settings
from tests.indicators.approval import approve, settled_and_approved
from tests.indicators.feeder import EventFeeder, Participants
from tests.indicators.people import programme_leavers
from tests.support import auth, running

KEY = "exit_work_or_education"
SMALL = "4601"
LARGE = "3301"


async def _ok(client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any) -> Any:
    response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_series_hides_small_values_and_the_change_that_would_reveal_them(
    settings: Settings,
) -> None:
    async with running(create_app(settings)) as client, EventFeeder(settings) as feeder:
        manager, agency = await settled_and_approved(
            client, feeder, settings, SMALL, {2023: 3, 2024: 8}
        )
        path = "/indicators/series/persons_settled"
        query = {"from": 2023, "to": 2024, "period": "year"}

        inside = await _ok(client, path, manager, **query)
        own = {pt["period"]: pt for pt in inside["points"]}
        assert (own["2023"]["value"], own["2023"]["n"], own["2023"]["suppressed"]) == (3, 3, False)
        assert (own["2024"]["previous"], own["2024"]["change"], own["2024"]["trend"]) == (
            3,
            5,
            "up",
        )

        outside = await _ok(client, path, agency, municipality=SMALL, **query)
        seen = {pt["period"]: pt for pt in outside["points"]}
        # 3 people: below the floor of 5, hidden with its change.
        small = seen["2023"]
        assert small["suppressed"] is True
        assert (small["value"], small["value_shown"], small["n"], small["numerator"]) == (
            None,
            None,
            None,
            None,
        )
        assert (small["change"], small["trend"], small["arrow"], small["previous"]) == (
            None,
            None,
            None,
            None,
        )
        # 8 people is shown, but 8 − 5 would give last year's hidden 3 back.
        shown = seen["2024"]
        assert (shown["value"], shown["n"], shown["suppressed"]) == (8, 8, False)
        assert (shown["previous"], shown["change"], shown["change_percent"]) == (None, None, None)
        assert (shown["trend"], shown["assessment"], shown["trend_label"]) == (None, None, None)
        assert "3" not in {str(v) for v in shown.values()}

        # The plan asks for 9: the 8 is hidden from the agency at once, not from the manager.
        raised = await client.put(
            "/indicators/settings", json={"suppression_min_n": 9}, headers=manager
        )
        assert raised.status_code == 200, raised.text
        later = await _ok(client, path, agency, municipality=SMALL, **query)
        assert [pt["suppressed"] for pt in later["points"]] == [True, True]
        assert all(pt["value"] is None and pt["change"] is None for pt in later["points"])
        again = await _ok(client, path, manager, **query)
        assert [pt["value"] for pt in again["points"]] == [3, 8]


async def test_national_breakdown_and_curves_use_each_municipalitys_threshold(
    settings: Settings,
) -> None:
    async with running(create_app(settings)) as client, EventFeeder(settings) as feeder:
        p = Participants(feeder)
        await programme_leavers(p, SMALL, ["work_full_time"] * 4 + ["other"] * 2)  # 4 of 6
        await programme_leavers(p, LARGE, ["work_full_time"] * 6 + ["other"] * 4)  # 6 of 10
        await feeder.wait_applied()
        agency = auth(settings, ["agency"], "0301")
        for m in (SMALL, LARGE):
            manager = auth(settings, ["manager"], m)
            adopted = await client.post(
                "/indicators/definitions",
                json={"key": KEY, "from_catalogue": KEY},
                headers=manager,
            )
            assert adopted.status_code == 201, adopted.text
            await approve(client, manager)
        small_manager = auth(settings, ["manager"], SMALL)
        national = f"/indicators/national/{KEY}"
        breakdown = f"/indicators/values/{KEY}/breakdown"
        curves = "/indicators/survival/kaplan-meier"

        # By the floor of 5 the 6 people are shown everywhere.
        entries = {
            e["municipality"]: e
            for e in (await _ok(client, national, agency, period="2016"))["entries"]
        }
        assert (entries[SMALL]["n"], entries[SMALL]["rank"], entries[LARGE]["rank"]) == (6, 1, 2)
        cells = await _ok(client, breakdown, agency, period="2016", by="gender", municipality=SMALL)
        assert {c["category"]: c["denominator"] for c in cells["cells"]} == {"female": 6}
        km = await _ok(client, curves, agency, from_year=2014, to_year=2014, municipality=SMALL)
        assert [c["suppressed"] for c in km["cohorts"]] == [False]
        assert km["suppression"]["min_n"] == 5

        # 4601's plan asks for 7; 3301 keeps the floor.
        raised = await client.put(
            "/indicators/settings", json={"suppression_min_n": 7}, headers=small_manager
        )
        assert raised.status_code == 200, raised.text

        body = await _ok(client, national, agency, period="2016")
        entries = {e["municipality"]: e for e in body["entries"]}
        small, large = entries[SMALL], entries[LARGE]
        assert small["suppressed"] is True and small["rank"] is None
        assert all(small[k] is None for k in ("value", "value_shown", "numerator", "n", "size"))
        assert (large["suppressed"], large["n"], large["rank"]) == (False, 10, 1)
        assert body["suppression"]["plan_thresholds"] == {SMALL: 7}
        table = await client.get(
            national, params={"period": "2016", "format": "csv", "headers": "codes"}, headers=agency
        )
        assert table.status_code == 200, table.text
        (row,) = [line for line in table.text.splitlines() if line.startswith(SMALL)]
        assert ";6;" not in row and ":" in row

        cells = await _ok(client, breakdown, agency, period="2016", by="gender", municipality=SMALL)
        assert {c["category"]: c["denominator"] for c in cells["cells"]} == {"female": None}
        assert cells["cells"][0]["numerator"] is None and cells["cells"][0]["share"] is None
        own = await _ok(client, breakdown, small_manager, period="2016", by="gender")
        assert {c["category"]: c["denominator"] for c in own["cells"]} == {"female": 6}

        km = await _ok(client, curves, agency, from_year=2014, to_year=2014, municipality=SMALL)
        (cohort,) = km["cohorts"]
        assert cohort["suppressed"] is True and cohort["points"] == []
        assert cohort["persons"] is None and km["suppression"]["min_n"] == 7
        exported = await client.get(
            curves,
            params={"from_year": 2014, "to_year": 2014, "format": "csv"},
            headers=small_manager,
        )
        assert exported.status_code == 200, exported.text
        assert exported.text.strip().splitlines()[1].split(";")[1] == ":"
        # Inside the municipality the curve is whole.
        inside = await _ok(client, curves, small_manager, from_year=2014, to_year=2014)
        assert inside["cohorts"][0]["persons"] == 6 and inside["cohorts"][0]["points"]
