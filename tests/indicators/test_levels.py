"""``indicators.indicator.level_changed.v1`` is published on JetStream when a level moves."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import nats

from services.indicators.app import create_app
from services.indicators.seed import seed_drammen
from shared.settings import Settings
from tests.indicators import cohort
from tests.indicators.feeder import seeded
from tests.support import auth, eventually, running

LEVEL_CHANGED = "no.veiviser.indicators.indicator.level_changed.v1"


async def _published(settings: Settings) -> list[dict[str, Any]]:
    """Every level_changed CloudEvent on the indicators stream, in order."""
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        try:
            info = await js.stream_info(settings.stream_name("indicators"))
        except Exception:
            return []
        found = []
        for seq in range(1, info.state.last_seq + 1):
            msg = await js.get_msg(settings.stream_name("indicators"), seq)
            found.append(json.loads(msg.data or b"{}"))
        return [e for e in found if e.get("type") == LEVEL_CHANGED]
    finally:
        await nc.close()


def _by_key(events: list[dict[str, Any]], key: str, period: str) -> list[dict[str, Any]]:
    return [
        e["data"]
        for e in events
        if e["data"]["indicator_key"] == key and e["data"]["period"] == period
    ]


async def test_level_changes_are_published_for_agencies(settings: Settings) -> None:
    manager = auth(settings, ["manager"], "3301")
    async with seeded(settings, evaluation_interval=0.2) as (client, feeder):
        await cohort.build(feeder)
        await feeder.wait_applied()

        # The background evaluator picks up the applied events by itself.
        async def exit_level_published() -> list[dict[str, Any]]:
            return _by_key(await _published(settings), "exit_work_or_education", "2016")

        async def settled_on_not_approved() -> list[dict[str, Any]] | None:
            found = await exit_level_published()
            return found if found and found[-1]["level"] == "not_approved" else None

        # While the cohort streams in, the level may pass through others first; the chain
        # of previous levels is unbroken and ends on the final value.
        chain = await eventually(settled_on_not_approved)
        assert chain[0]["previous_level"] is None
        for before, after in itertools.pairwise(chain):
            assert after["previous_level"] == before["level"] != after["level"]
        assert chain[-1] == {
            "indicator_key": "exit_work_or_education",
            "municipality": "3301",
            "period": "2016",
            "level": "not_approved",
            "previous_level": chain[-2]["level"] if len(chain) > 1 else None,
            "value": 42.9,
            "preliminary": False,
        }

        # A registered value moves a manual indicator from no data to acceptable and on.
        for value in (70, 120, 121):
            put = await client.put(
                "/indicators/definitions/homeless/values/2016",
                json={"value": value, "source": "NIBR"},
                headers=manager,
            )
            assert put.status_code == 200, put.text
            evaluated = await client.post("/indicators/evaluations", headers=manager)
            assert evaluated.status_code == 200

        async def homeless_published() -> list[dict[str, Any]] | None:
            found = _by_key(await _published(settings), "homeless", "2016")
            return found if len(found) >= 3 else None

        homeless = await eventually(homeless_published)
        assert [(e["previous_level"], e["level"], e["value"]) for e in homeless] == [
            (None, "no_data", None),
            ("no_data", "acceptable", 70.0),
            ("acceptable", "not_approved", 120.0),
        ], "the same level again (121) publishes nothing"

        levels = await client.get("/indicators/levels?period=2016", headers=manager)
        current = {row["indicator_key"]: row for row in levels.json()["results"]}
        assert current["homeless"]["level"] == "not_approved"
        assert current["exit_work"]["level"] == "not_approved"
        assert "follow_up_work_or_education" not in current, "no thresholds for 2016"

        envelope = next(
            e
            for e in await _published(settings)
            if e["data"]["indicator_key"] == "homeless" and e["data"]["period"] == "2016"
        )
        assert envelope["source"] == "/veiviser/indicators"
        assert envelope["municipality"] == "3301"
        assert envelope["subject"] == "level-3301-homeless-2016"


async def test_a_level_says_it_is_preliminary_until_its_period_has_passed(
    settings: Settings,
) -> None:
    app = create_app(settings, evaluation_interval=3600)
    manager = auth(settings, ["manager"], "3301")
    async with running(app) as client:
        await seed_drammen(app.state.runtime, "3301")
        await cohort.homeless_in_2016(client, manager)
        evaluator = app.state.evaluator

        async def homeless(now: datetime) -> list[tuple[str | None, str, bool]]:
            changes = await evaluator.evaluate("3301", now=now)
            return [
                (c.previous_level, c.level, c.preliminary)
                for c in changes
                if (c.indicator_key, c.period) == ("homeless", "2016")
            ]

        assert await homeless(datetime(2016, 6, 1, 12, tzinfo=UTC)) == [(None, "acceptable", True)]
        assert await homeless(datetime(2016, 12, 31, 12, tzinfo=UTC)) == [], "31 Dec not over"
        # Once the year has passed the same level is published again, final, once.
        assert await homeless(datetime(2017, 1, 2, 12, tzinfo=UTC)) == [
            ("acceptable", "acceptable", False)
        ]
        assert await homeless(datetime(2017, 3, 1, 12, tzinfo=UTC)) == []
