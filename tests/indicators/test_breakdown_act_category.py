"""Breakdown by the participant's category under the Integration Act (``by=act_category``):
participants' ``act.category_recorded`` reaches the indicators' facts, dated and
bitemporal (real PostgreSQL and NATS), plus the pure rule that picks the category on a day."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from services.indicators.app import create_app
from services.indicators.domain.breakdowns import ACT_CATEGORIES, categories_on
from services.indicators.seed import seed_drammen
from shared.settings import Settings
from tests.indicators.feeder import EventFeeder, Participants, at
from tests.support import auth, running

CATEGORY_RECORDED = "participants.act.category_recorded.v1"


async def test_breakdown_by_act_category_on_the_periods_last_day_as_known(
    settings: Settings,
) -> None:
    manager = auth(settings, ["manager"], "3301")
    agency = auth(settings, ["agency"], "0301")
    app = create_app(settings, evaluation_interval=3600)
    async with running(app) as client, EventFeeder(settings) as feeder:
        await seed_drammen(app.state.runtime, "3301")
        people = Participants(feeder)
        pids = [uuid.uuid4() for _ in range(9)]
        for n, pid in enumerate(pids):
            await people.registered(pid, 1990, "female", on=date(2024, 1, 2 + n))
            await people.settled(pid, date(2024, 2, 1 + n))

        async def category(pid: uuid.UUID, name: str, valid_from: date, recorded: date) -> None:
            await feeder.publish(
                CATEGORY_RECORDED,
                {
                    "participant_id": pid,
                    "category": name,
                    "valid_from": valid_from,
                    "permit_granted_on": None,
                },
                recorded_at=at(recorded),
            )

        # By hand: P0–P5 refugees from 1 January; P5 collective protection from 1 June;
        # P6 refugee family from 1 February but recorded only in September; P7's category
        # starts in 2025 (unknown in 2024); P8 has none.
        for pid in pids[:6]:
            await category(pid, "refugee", date(2024, 1, 1), date(2024, 1, 5))
        await category(pids[5], "collective_protection", date(2024, 6, 1), date(2024, 6, 2))
        await category(pids[6], "refugee_family", date(2024, 2, 1), date(2024, 9, 1))
        await category(pids[7], "ukraine_temporary", date(2025, 3, 1), date(2025, 3, 1))
        await feeder.wait_applied()

        async def cells(headers: dict[str, str], extra: str = "") -> list[Any]:
            response = await client.get(
                f"/indicators/values/persons_settled/breakdown?period=2024&by=act_category{extra}",
                headers=headers,
            )
            assert response.status_code == 200, response.text
            assert response.json()["by"] == "act_category"
            return [(c["category"], c["numerator"]) for c in response.json()["cells"]]

        # The category on 31.12.2024 as known now: 5 + 1 + 1 + 2 unknown = 9 settled.
        assert await cells(manager) == [
            ("collective_protection", 1),
            ("refugee", 5),
            ("refugee_family", 1),
            ("unknown", 2),
        ]
        # As known on 1 May 2024: P5 still a refugee (the day is the as-of date), P6's
        # category not yet recorded.
        assert await cells(manager, "&as_of=2024-05-01") == [("refugee", 6), ("unknown", 3)]
        # Outside the municipality every cell under 5 is hidden.
        outside = dict(await cells(agency, "&municipality=3301"))
        assert set(outside) == {"collective_protection", "refugee", "refugee_family", "unknown"}
        assert outside["collective_protection"] is outside["refugee_family"] is None
        assert outside["unknown"] is None

        bad = await client.get(
            "/indicators/values/persons_settled/breakdown?period=2024&by=act_categoryx",
            headers=manager,
        )
        assert bad.status_code == 422 and "act_category" in bad.text


_days = st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 31))
_facts = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(ACT_CATEGORIES),
        _days,
        st.integers(min_value=0, max_value=10_000).map(
            lambda s: datetime(2020, 1, 1, tzinfo=UTC) + timedelta(minutes=s)
        ),
    ),
    max_size=12,
)


@given(_facts, _days)
def test_category_on_a_day_is_the_latest_valid_by_then(facts: list[Any], day: date) -> None:
    chosen = categories_on(facts, day)
    for pid in {f[0] for f in facts}:
        valid = [f for f in facts if f[0] == pid and f[2] <= day]
        if not valid:
            assert pid not in chosen
            continue
        latest = max((f[2], f[3]) for f in valid)
        assert chosen[pid] in {f[1] for f in valid if (f[2], f[3]) == latest}
    # A category that starts after the day changes nothing.
    later = [(pid, "other", day + timedelta(days=1), at(day)) for pid in ("a", "b")]
    assert categories_on([*facts, *later], day) == chosen
