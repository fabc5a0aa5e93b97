"""Uncertainty and small-number suppression over HTTP (real PostgreSQL and NATS).

A municipality whose share rests on 3 people sees it on its own scorecard, marked
uncertain with its Wilson interval; the CSV export and the national comparison (agency)
hide it behind the suppression marker; suppression cannot be lowered below the floor.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from services.indicators.app import create_app
from shared.settings import Settings
from tests.indicators.approval import approve
from tests.indicators.feeder import EventFeeder, Participants
from tests.indicators.people import programme_leavers
from tests.indicators.test_levels import _published as level_events
from tests.support import auth, eventually, running

KEY = "exit_work_or_education"
BANDS = [
    {"level": "desired", "lower": 55, "lower_inclusive": False, "upper": None},
    {
        "level": "acceptable",
        "lower": 50,
        "lower_inclusive": True,
        "upper": 55,
        "upper_inclusive": True,
    },
    {"level": "not_approved", "lower": None, "upper": 50, "upper_inclusive": False},
]


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))


async def test_small_values_are_hidden_outside_and_marked_uncertain_inside(
    settings: Settings,
) -> None:
    async with running(create_app(settings)) as client, EventFeeder(settings) as feeder:
        p = Participants(feeder)
        await programme_leavers(p, "4601", ["work_full_time", "work_full_time", "other"])  # 2 of 3
        await programme_leavers(p, "3301", ["work_full_time"] * 6 + ["other"] * 4)  # 6 of 10
        await feeder.wait_applied()

        manager = auth(settings, ["manager"], "4601")
        adopted = await client.post(
            "/indicators/definitions", json={"key": KEY, "from_catalogue": KEY}, headers=manager
        )
        assert adopted.status_code == 201, adopted.text
        await approve(client, manager)

        # Inside: the municipality's own scorecard shows the value, uncertain, with bounds.
        card = await client.get("/indicators/scorecard?period=2016", headers=manager)
        assert card.status_code == 200, card.text
        (own,) = [v for v in card.json()["ungrouped"] if v["indicator_key"] == KEY]
        assert own["value_shown"] == 66.7 and own["n"] == 3
        assert own["uncertain"] is True and own["suppressed"] is False
        # Wilson 95 % for 2 of 3: [20.77, 93.85] percent.
        assert round(own["lower"], 2) == 20.77 and round(own["upper"], 2) == 93.85
        assert own["confidence"] == 0.95

        # Outside: the CSV export hides every figure behind ":".
        exported = await client.get(
            "/indicators/scorecard?period=2016&format=csv&headers=codes", headers=manager
        )
        assert exported.status_code == 200, exported.text
        (row,) = [r for r in _rows(exported.text) if r["indicator_key"] == KEY]
        for column in ("value", "value_shown", "numerator", "denominator", "n", "lower", "upper"):
            assert row[column] == ":", (column, row)
        assert row["level"] == "suppressed"
        assert "66" not in exported.text.split(KEY, 2)[-1]

        # The national comparison: 4601 hidden and unranked, 3301 shown with its interval.
        agency = auth(settings, ["agency"], "0301")
        national = await client.get(
            f"/indicators/national/{KEY}", params={"period": "2016"}, headers=agency
        )
        assert national.status_code == 200, national.text
        entries = {e["municipality"]: e for e in national.json()["entries"]}
        small, large = entries["4601"], entries["3301"]
        assert small["suppressed"] is True and small["rank"] is None
        assert all(
            small[k] is None
            for k in ("value", "value_shown", "numerator", "denominator", "n", "lower", "upper")
        )
        assert small["size"] is None  # 3 settled: the size would tell it too
        assert large["value_shown"] == 60.0 and large["n"] == 10 and large["rank"] == 1
        assert large["lower"] < 60.0 < large["upper"]

        # The agency looking at 4601's own scorecard sees the same: hidden, not the value.
        seen = await client.get(
            "/indicators/scorecard",
            params={"period": "2016", "municipality": "4601"},
            headers=agency,
        )
        assert seen.status_code == 200, seen.text
        (outside,) = [v for v in seen.json()["ungrouped"] if v["indicator_key"] == KEY]
        assert outside["suppressed"] is True
        assert outside["value_shown"] is None and outside["n"] is None

        national_csv = await client.get(
            f"/indicators/national/{KEY}",
            params={"period": "2016", "format": "csv", "headers": "codes"},
            headers=agency,
        )
        by_m = {r["municipality"]: r for r in _rows(national_csv.text)}
        assert by_m["4601"]["value"] == ":" and by_m["4601"]["n"] == ":"
        assert by_m["4601"]["suppressed"].lower() in ("true", "sann", "1")
        assert by_m["3301"]["value_shown"] == "60,0"

        # A plan may ask for more …
        stricter = await client.get(
            f"/indicators/national/{KEY}", params={"period": "2016", "min_n": 11}, headers=agency
        )
        assert {e["municipality"]: e["suppressed"] for e in stricter.json()["entries"]} == {
            "4601": True,
            "3301": True,
        }
        # … but suppression cannot be turned off.
        refused = await client.get(
            f"/indicators/national/{KEY}", params={"period": "2016", "min_n": 0}, headers=agency
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "suppression-below-floor"

        settings_body = (await client.get("/indicators/settings", headers=manager)).json()
        assert settings_body["suppression_min_n"] == 5
        assert settings_body["suppression_floor"] == 5


async def test_a_level_resting_on_few_people_is_not_published(settings: Settings) -> None:
    """Level events leave the municipality: 4601's level on 3 people never goes out."""
    async with running(create_app(settings)) as client, EventFeeder(settings) as feeder:
        p = Participants(feeder)
        await programme_leavers(p, "4601", ["work_full_time", "work_full_time", "other"])
        await programme_leavers(p, "3301", ["work_full_time"] * 6 + ["other"] * 4)
        await feeder.wait_applied()
        for municipality in ("4601", "3301"):
            manager = auth(settings, ["manager"], municipality)
            adopted = await client.post(
                "/indicators/definitions",
                json={"key": KEY, "from_catalogue": KEY},
                headers=manager,
            )
            assert adopted.status_code == 201, adopted.text
            bands = await client.put(
                f"/indicators/definitions/{KEY}/thresholds",
                json={"from_year": 2016, "bands": BANDS},
                headers=manager,
            )
            assert bands.status_code in (200, 201), bands.text
            await approve(client, manager)

        async def published_for_3301() -> list[dict[str, Any]] | None:
            found = [e for e in await level_events(settings) if e["data"]["period"] == "2016"]
            return found if any(e["data"]["municipality"] == "3301" for e in found) else None

        events = await eventually(published_for_3301)
        assert {e["data"]["municipality"] for e in events} == {"3301"}
        (large,) = [e["data"] for e in events if e["data"]["indicator_key"] == KEY]
        assert large["value"] == 60.0 and large["level"] == "desired"
