"""The indicators service fed by the real participants service, the seed CLI, the docs."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import date
from pathlib import Path

import asyncpg

from services.indicators.app import create_app as indicators_app
from services.indicators.docs import rules_markdown
from services.participants.app import create_app as participants_app
from shared.settings import Settings
from tests.indicators.approval import adopt
from tests.support import auth, eventually, national_id, running

ROOT = Path(__file__).resolve().parents[2]


async def test_settlements_registered_over_http_reach_the_indicator(settings: Settings) -> None:
    headers = auth(settings, ["caseworker", "manager"], "3301")
    async with (
        running(participants_app(settings)) as participants,
        running(indicators_app(settings)) as indicators,
    ):
        await adopt(indicators, headers, "persons_settled")
        for n, category in enumerate(["resettlement_refugee", "family_reunification", "other"]):
            born = date(1980 + n, 3, 1 + n)
            created = await participants.post(
                "/participants",
                headers=headers,
                json={
                    "given_name": f"G{n}",
                    "family_name": f"F{n}",
                    "birth_date": born.isoformat(),
                    "national_id": national_id(born, d_number=True),
                },
            )
            assert created.status_code == 201, created.text
            settled = await participants.post(
                f"/participants/{created.json()['id']}/settlement",
                headers=headers,
                json={"settled_on": f"2025-0{n + 1}-10", "arrival_category": category},
            )
            assert settled.status_code == 201, settled.text

        async def counted() -> bool:
            value = await indicators.get(
                "/indicators/values/persons_settled?period=2025", headers=headers
            )
            return bool(value.json()["value"] == 3.0)

        await eventually(counted)
        quarter = await indicators.get(
            "/indicators/values/persons_settled?period=2025-Q1", headers=headers
        )
        assert quarter.json()["value"] == 3.0
        march = await indicators.get(
            "/indicators/values/persons_settled?period=2025-03", headers=headers
        )
        assert march.json()["value"] == 1.0
        drill = await indicators.get(
            "/indicators/values/persons_settled/drilldown?period=2025", headers=headers
        )
        assert {m["reason_code"] for m in drill.json()["members"]} == {"settled"}
        legacy = await indicators.get("/indicators/settlements?year=2025", headers=headers)
        assert legacy.json() == {"municipality": "3301", "year": 2025, "settled": 3}


async def test_seed_command_loads_the_drammen_plan_once(settings: Settings) -> None:
    env = {
        **os.environ,
        "VEIVISER_DATABASE_URL": settings.database_url,
        "VEIVISER_DATABASE_PREFIX": settings.database_prefix,
        "VEIVISER_NATS_URL": settings.nats_url,
        "VEIVISER_LOG_LEVEL": "WARNING",
        "VEIVISER_ENV": "development",
    }
    veiviser = str(Path(sys.executable).parent / "veiviser")

    async def run(*args: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            veiviser,
            *args,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        return proc.returncode or 0, out.decode()

    code, out = await run("seed", "drammen", "--municipality", "3301")
    assert code == 0, out
    assert "35 created, 0 changed" in out  # 20 indicators, 9 threshold sets, 6 goals
    code, out = await run("seed", "drammen", "--municipality", "3301")
    assert code == 0, out
    assert "0 created, 0 changed" in out
    code, out = await run("seed", "oslo")
    assert code != 0 and "unknown example plan" in out

    conn = await asyncpg.connect(settings.service_database_url("indicators", driver="postgresql"))
    try:
        assert (
            await conn.fetchval("SELECT count(DISTINCT indicator_key) FROM indicator_versions")
            == 20
        )
        assert await conn.fetchval("SELECT count(*) FROM goal_versions") == 6
        bands = await conn.fetchval(
            "SELECT bands FROM threshold_versions WHERE indicator_key = "
            "'long_term_social_assistance_with_dependants' AND year = 2016"
        )
    finally:
        await conn.close()
    acceptable, not_approved = (
        next(b for b in json.loads(bands) if b["level"] == level)
        for level in ("acceptable", "not_approved")
    )
    assert (acceptable["upper"], acceptable["upper_inclusive"]) == (450, False)
    assert (not_approved["lower"], not_approved["lower_inclusive"]) == (450, True)


def test_rules_markdown_is_current() -> None:
    committed = (ROOT / "services" / "indicators" / "RULES.md").read_text()
    assert committed == rules_markdown(), (
        "regenerate: python -m services.indicators.docs > services/indicators/RULES.md"
    )
    readme = (ROOT / "README.md").read_text()
    assert committed.strip() in readme, "paste services/indicators/RULES.md into README.md"
