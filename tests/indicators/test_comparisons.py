"""Comparison figures over HTTP on real PostgreSQL: imported whole or not at all, shown
beside the municipality's own value and on the scorecard."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg

from services.indicators.app import create_app
from services.indicators.seed import seed_drammen
from shared.settings import Settings
from tests.indicators.feeder import MUNICIPALITY, EventFeeder, Participants
from tests.support import auth, running

KEY = "follow_up_work_or_education"
EXAMPLE = (
    Path(__file__).parents[2] / "services/indicators/data/comparisons/ssb_introinnv_national.csv"
).read_bytes()
CSV = {"Content-Type": "text/csv"}
SSB_2023 = (
    '"region";"statistikkvariabel";"år";"Andel (prosent)"\n'
    '"F-33 Buskerud";"Andel";"2023";"61,5"\n'
    '"EKG12 KOSTRA-gruppe 12";"Andel";"2023";"63,0"\n'
    '"EKG07 KOSTRA-gruppe 7";"Andel";"2023";"40"\n'
    '"F-03 Oslo";"Andel";"2023";"70"\n'
)


async def _stored(settings: Settings) -> int:
    conn = await asyncpg.connect(settings.service_database_url("indicators", driver="postgresql"))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM comparison_values"))
    finally:
        await conn.close()


def _comparisons(value: dict[str, Any]) -> list[tuple[str, str, float | None]]:
    return [(c["region_kind"], c["region_code"], c["value"]) for c in value["comparisons"]]


async def test_comparisons_import_and_show_beside_the_value(settings: Settings) -> None:
    app = create_app(settings, evaluation_interval=3600)
    manager = auth(settings, ["manager"], "3301")
    agency = auth(settings, ["agency"], "0301")
    analyst = auth(settings, ["analyst"], "3301")
    async with running(app) as client:
        await seed_drammen(app.state.runtime, "3301")

        # Before any import: an empty list.
        before = await client.get(f"/indicators/values/{KEY}?period=2023", headers=manager)
        assert before.status_code == 200, before.text
        assert before.json()["comparisons"] == []

        # Refused whole: a duplicate row, an unknown kommunenummer; nothing stored.
        bad = SSB_2023 + '"F-33 Buskerud";"Andel";"2023";"62"\n"K-9999 X";"Andel";"2023";"1"\n'
        refused = await client.post(
            f"/indicators/comparisons/import?layout=ssb&indicator={KEY}",
            content=bad.encode(),
            headers={**manager, **CSV},
        )
        assert refused.status_code == 422, refused.text
        errors = [(e["field"], e["type"]) for e in refused.json()["errors"]]
        assert errors == [
            ("body.line.6", "comparison-duplicate"),
            ("body.line.7", "unknown-code"),
        ]
        assert refused.json()["errors"][0]["message_nb"] == "Samme region og år står to ganger"
        wrong = await client.post(
            f"/indicators/comparisons/import?layout=imdi&indicator={KEY}",
            content=EXAMPLE,
            headers={**agency, **CSV},
        )
        assert wrong.status_code == 422
        assert wrong.json()["errors"][0]["type"] == "comparison-layout"
        unknown = await client.post(
            f"/indicators/comparisons/import?layout=kostra&indicator={KEY}",
            content=EXAMPLE,
            headers={**agency, **CSV},
        )
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["field"] == "layout"
        assert await _stored(settings) == 0

        # Analysts do not import national data; agencies and managers do.
        denied = await client.post(
            f"/indicators/comparisons/import?layout=ssb&indicator={KEY}",
            content=EXAMPLE,
            headers={**analyst, **CSV},
        )
        assert denied.status_code == 403
        national = await client.post(
            f"/indicators/comparisons/import?layout=ssb&indicator={KEY}&source=SSB+introinnv",
            content=EXAMPLE,
            headers={**agency, **CSV},
        )
        assert national.status_code == 201, national.text
        assert national.json()["by_kind"] == {"national": 2}
        regional = await client.post(
            f"/indicators/comparisons/import?layout=ssb&indicator={KEY}",
            content=SSB_2023.encode(),
            headers={**manager, **CSV},
        )
        assert regional.status_code == 201, regional.text
        # IMDi's layout; a later import of the same region and year replaces it.
        imdi = await client.post(
            f"/indicators/comparisons/import?layout=imdi&indicator={KEY}",
            content=b"kommunenummer;kommune;\xc3\xa5r;verdi\n33;Buskerud;2023;60,5\n",
            headers={**manager, **CSV},
        )
        assert imdi.status_code == 201, imdi.text
        assert await _stored(settings) == 7

        # SSB and IMDi label this statistic with the year the programme ended; its status
        # is taken in November of the next year, which is the indicator's period.
        ended = await client.get(f"/indicators/values/{KEY}?period=2023", headers=manager)
        assert _comparisons(ended.json()) == [], "filed under the November reference year"
        value = await client.get(f"/indicators/values/{KEY}?period=2024", headers=manager)
        assert value.status_code == 200, value.text
        assert _comparisons(value.json()) == [
            ("national", "0", 65.0),
            ("county", "33", 60.5),
            ("kostra_group", "12", 63.0),
        ], "only Drammen's county and KOSTRA group; the latest import holds"
        labels = [(c["label_nb"], c["label_en"]) for c in value.json()["comparisons"]]
        assert labels == [
            ("Hele landet", "Norway"),
            ("Fylke 33", "County 33"),
            ("KOSTRA-gruppe 12", "KOSTRA group 12"),
        ]
        sources = [c["source"] for c in value.json()["comparisons"]]
        assert sources[0].startswith("SSB introinnv: ")
        assert sources[0].endswith("(avsluttet 2023)"), sources[0]
        older = await client.get(f"/indicators/values/{KEY}?period=2018", headers=manager)
        assert _comparisons(older.json()) == [("national", "0", 62.0)]

        # An agency looking at Drammen sees the same figures.
        seen = await client.get(
            f"/indicators/values/{KEY}?period=2024&municipality=3301", headers=agency
        )
        assert _comparisons(seen.json()) == _comparisons(value.json())

        # The scorecard: persons_settled is on a 2015–2018 goal (a test figure).
        settled = await client.post(
            "/indicators/comparisons/import?layout=imdi&indicator=persons_settled",
            content=b"kommunenummer;kommune;\xc3\xa5r;verdi\n0000;Hele landet;2017;100\n",
            headers={**agency, **CSV},
        )
        assert settled.status_code == 201, settled.text
        card = await client.get("/indicators/scorecard?period=2017", headers=manager)
        assert card.status_code == 200, card.text
        shown = {v["indicator_key"]: v for g in card.json()["goals"] for v in g["indicators"]} | {
            v["indicator_key"]: v for v in card.json()["ungrouped"]
        }
        assert _comparisons(shown["persons_settled"]) == [("national", "0", 100.0)]
        assert all(v["comparisons"] == [] for k, v in shown.items() if k != "persons_settled")


async def test_breakdown_by_gender_and_age_is_suppressed_outside(settings: Settings) -> None:
    manager = auth(settings, ["manager"], "3301")
    agency = auth(settings, ["agency"], "0301")
    app = create_app(settings, evaluation_interval=3600)
    async with running(app) as client, EventFeeder(settings) as feeder:
        await seed_drammen(app.state.runtime, MUNICIPALITY)
        people = Participants(feeder)
        for n, (gender, born) in enumerate([("female", 1990)] * 7 + [("male", 2000)] * 2):
            pid = uuid.uuid4()
            await people.registered(pid, born, gender, on=date(2024, 1, 2 + n))
            await people.settled(pid, date(2024, 2, 1 + n))
        await feeder.wait_applied()

        async def cells(by: str, headers: dict[str, str], extra: str = "") -> list[Any]:
            response = await client.get(
                f"/indicators/values/persons_settled/breakdown?period=2024&by={by}{extra}",
                headers=headers,
            )
            assert response.status_code == 200, response.text
            return [(c["category"], c["numerator"]) for c in response.json()["cells"]]

        assert await cells("gender", manager) == [("female", 7), ("male", 2)]
        assert await cells("age_group", manager) == [("18-25", 2), ("26-35", 7)]
        assert await cells("settlement_cohort", manager) == [("2024", 9)]
        # Outside the municipality the small cell is hidden, and the other with it (else
        # the total would give it away).
        assert await cells("gender", agency, "&municipality=3301") == [
            ("female", None),
            ("male", None),
        ]
        bad = await client.get(
            "/indicators/values/persons_settled/breakdown?period=2024&by=shoe_size",
            headers=manager,
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "by"
