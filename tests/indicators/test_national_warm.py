"""The national facts folded at start-up (off the request path) over HTTP on real
PostgreSQL and NATS: the fold happens without a question, a question uses it while
nothing moved, and a fact applied after the fold is in the next answer (never stale).
"""

from __future__ import annotations

from services.indicators import queries
from services.indicators.app import create_app
from shared.settings import Settings
from tests.indicators.feeder import EventFeeder, Participants
from tests.indicators.people import programme_leaver
from tests.support import auth, eventually, running

KEY = "exit_work_or_education"


async def test_the_national_facts_are_folded_at_start_and_never_served_stale(
    settings: Settings,
) -> None:
    app = create_app(settings)
    state: queries.IndicatorsState = app.state.indicators
    async with running(app) as client, EventFeeder(settings) as feeder:
        p = Participants(feeder)
        # Folded by the lifespan, before any question.
        assert await eventually(lambda: _held(state))
        agency = auth(settings, ["agency"], "0301")
        url = f"/indicators/national/{KEY}"

        for i in range(6):
            await programme_leaver(p, "3301", "work_full_time" if i < 3 else "other", i)
        await feeder.wait_applied()
        first = await client.get(url, params={"period": "2016"}, headers=agency)
        assert first.status_code == 200, first.text
        (entry,) = [e for e in first.json()["entries"] if e["municipality"] == "3301"]
        assert (entry["n"], entry["value_shown"]) == (6, 50.0)
        held = state.national_facts
        assert held is not None and "3301" in held.snapshots

        # Nothing moved: the next question (another period) reuses the same held facts.
        other = await client.get(url, params={"period": "2017"}, headers=agency)
        assert other.status_code == 200, other.text
        assert state.national_facts is held

        # A fact applied after the fold is in the next answer.
        await programme_leaver(p, "3301", "work_full_time", 6)
        await feeder.wait_applied()
        later = await client.get(url, params={"period": "2016"}, headers=agency)
        (entry,) = [e for e in later.json()["entries"] if e["municipality"] == "3301"]
        assert (entry["n"], entry["value_shown"]) == (7, 57.1)
        assert state.national_facts is not held


async def _held(state: queries.IndicatorsState) -> bool:
    return state.national_facts is not None
