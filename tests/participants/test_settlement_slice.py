"""The first slice: register and settle over HTTP; indicators count the settlement."""

from __future__ import annotations

from datetime import date

from services.indicators.app import create_app as indicators_app
from services.participants.app import create_app as participants_app
from shared.settings import Settings
from tests.support import auth, eventually, national_id, running


async def test_settled_participant_is_counted_by_indicators(settings: Settings) -> None:
    headers = auth(settings)
    async with (
        running(participants_app(settings)) as participants,
        running(indicators_app(settings)) as indicators,
    ):
        registered = await participants.post(
            "/participants",
            headers=headers,
            json={
                "given_name": "Amina",
                "family_name": "Haile",
                "birth_date": "1990-04-12",
                "national_id": national_id(date(1990, 4, 12), d_number=True),
            },
        )
        assert registered.status_code == 201, registered.text
        participant_id = registered.json()["id"]
        settled = await participants.post(
            f"/participants/{participant_id}/settlement",
            headers=headers,
            json={"settled_on": "2025-03-01", "arrival_category": "resettlement_refugee"},
        )
        assert settled.status_code == 201, settled.text

        async def counted() -> bool:
            response = await indicators.get("/indicators/settlements?year=2025", headers=headers)
            return bool(response.json()["settled"] == 1)

        await eventually(counted)
        again = await participants.post(
            f"/participants/{participant_id}/settlement",
            headers=headers,
            json={"settled_on": "2025-03-02", "arrival_category": "resettlement_refugee"},
        )
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
