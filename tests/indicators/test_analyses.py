"""National comparison (agency) and survival analysis over events of several municipalities."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

import pytest

from services.indicators.app import create_app
from shared.settings import Settings
from tests.indicators.feeder import EventFeeder, Matching, Participants, at
from tests.support import auth, running


async def _settle(p: Participants, m: str, count: int, year: int = 2014) -> list[uuid.UUID]:
    people = []
    for i in range(count):
        pid = uuid.uuid4()
        on = date(year, 1 + i % 12, 1 + i % 28)
        await p.registered(pid, 1985, "female", on=on, m=m)
        await p.settled(pid, on, m=m)
        people.append(pid)
    return people


async def test_national_comparison_ranks_every_municipality_with_size_peers(
    settings: Settings,
) -> None:
    async with running(create_app(settings)) as client, EventFeeder(settings) as feeder:
        p = Participants(feeder)
        # Sizes (settled 2012–2016): 3301 55 and 0301 60 are medium; 4601 10 and 1103 5 small.
        # Each value rests on at least 5 completed programmes (fewer would be suppressed).
        outcomes = {
            "3301": (
                55,
                ["work_full_time", "education_higher", "work_and_education", "nav_measure"] * 2,
            ),
            "0301": (60, ["work_full_time", "other"] * 3),
            "4601": (10, ["education_upper_secondary", "work_full_time"] * 3),
            "1103": (5, []),
        }
        for m, (size, ends) in outcomes.items():
            people = await _settle(p, m, size)
            for person, outcome in zip(people, ends, strict=False):
                programme = uuid.uuid4()
                await p.started(person, programme, date(2014, 6, 1), m=m)
                await p.completed(person, programme, date(2016, 6, 1), outcome, m=m)
        await feeder.wait_applied()

        agency = auth(settings, ["agency"], "0301")
        response = await client.get(
            "/indicators/national/exit_work_or_education",
            params={"period": "2016", "municipality": "3301"},
            headers=agency,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        ranked = [
            (
                e["municipality"],
                e["value_shown"],
                e["rank"],
                e["peer_group"],
                e["peer_rank"],
                e["size"],
            )
            for e in body["entries"]
        ]
        assert ranked == [
            ("4601", 100.0, 1, "small", 1, 10),
            ("3301", 75.0, 2, "medium", 1, 55),
            ("0301", 50.0, 3, "medium", 2, 60),
            ("1103", None, None, "small", None, 5),
        ]
        assert body["focus"]["municipality"] == "3301"
        assert [e["municipality"] for e in body["peers"]] == ["0301"]

        csv = await client.get(
            "/indicators/national/exit_work_or_education",
            params={"period": "2016", "format": "csv"},
            headers=agency,
        )
        assert csv.headers["content-type"].startswith("text/csv")
        assert (
            csv.text.lstrip("\ufeff")
            .splitlines()[1]
            .startswith("4601;100,0;100,0;6;6;10;small;1;1")
        )

        # An agency may read any municipality's scorecard and values; a manager may not.
        assert (
            await client.get("/indicators/scorecard?period=2016&municipality=0301", headers=agency)
        ).status_code == 200


async def test_survival_curves_and_expected_vs_observed(settings: Settings) -> None:
    async with running(create_app(settings)) as client, EventFeeder(settings) as feeder:
        p, m = Participants(feeder), Matching(feeder)
        # Kaplan–Meier by hand for Drammen's 2016 cohort (as of 2018-01-01):
        # A: job after 100 days (event); B: moved out after 150 days (censored);
        # C: programme ended in higher education after 200 days (event);
        # D: nothing (censored at the as-of date, 731 days).
        start = date(2016, 1, 1)
        a, b, c, d = (uuid.uuid4() for _ in range(4))
        for person in (a, b, c, d):
            await p.registered(person, 1990, "male", on=start)
            await p.settled(person, start)
        await m.job(a, start + timedelta(days=100))
        await p.moved_out(b, start + timedelta(days=150))
        programme = uuid.uuid4()
        await p.started(c, programme, start + timedelta(days=20))
        await p.completed(c, programme, start + timedelta(days=200), "education_higher")

        # Two municipalities for the Cox model: 4601 moves people into work fast, 1103 slowly.
        rng = random.Random(7)
        for municipality, share, low, high in (("4601", 0.8, 40, 250), ("1103", 0.35, 200, 900)):
            for _ in range(40):
                person = uuid.uuid4()
                settled_on = date(2015, 1, 1) + timedelta(days=rng.randrange(0, 300))
                await p.registered(person, rng.choice([1970, 1985, 1995, 2000]),
                                   rng.choice(["female", "male"]), on=settled_on, m=municipality)  # fmt: skip
                await p.settled(person, settled_on,
                                rng.choice(["resettlement_refugee", "family_reunification"]),
                                m=municipality)  # fmt: skip
                if rng.random() < share:
                    job_on = settled_on + timedelta(days=rng.randrange(low, high))
                    await feeder.publish(
                        "matching.job.obtained.v1",
                        {"participant_id": str(person), "employer_id": str(uuid.uuid4()),
                         "opening_id": str(uuid.uuid4()), "match_id": str(uuid.uuid4()),
                         "starts_on": job_on.isoformat(), "hours_per_week": 37.5,
                         "permanent": True},
                        recorded_at=at(job_on),
                        municipality=municipality,
                    )  # fmt: skip
        await feeder.wait_applied()

        manager = auth(settings, ["manager"], "3301")
        km = await client.get(
            "/indicators/survival/kaplan-meier",
            params={"from_year": 2016, "to_year": 2016, "as_of": "2018-01-01"},
            headers=manager,
        )
        assert km.status_code == 200, km.text
        (curve,) = km.json()["cohorts"]
        assert (curve["persons"], curve["events"], curve["censored"]) == (4, 2, 2)
        survival = {point["day"]: point["survival"] for point in curve["points"]}
        assert survival[100.0] == 0.75  # 3 of 4 at risk remain
        assert survival[150.0] == 0.75  # a censoring does not move the curve
        assert survival[200.0] == 0.375  # 0.75 × (1 − 1/2): B left the risk set at 150
        assert survival[731.0] == 0.375
        assert curve["median_days"] == 200.0

        agency = auth(settings, ["agency"], "0301")
        model = await client.get(
            "/indicators/survival/expected-vs-observed",
            params={"from_year": 2015, "to_year": 2016},
            headers=agency,
        )
        assert model.status_code == 200, model.text
        body = model.json()
        rows = {r["municipality"]: r for r in body["municipalities"]}
        assert set(rows) == {"3301", "4601", "1103"}
        assert rows["4601"]["observed_to_expected"] > 1 > rows["1103"]["observed_to_expected"]
        # Drammen's 4 persons (2 transitions) are below its threshold (the floor, 5): the
        # agency sees the row hidden whole, and the national totals too (they minus the two
        # shown rows would give the 4 and the 2 back).
        assert rows["3301"]["suppressed"] is True
        assert all(
            v is None for k, v in rows["3301"].items() if k not in ("municipality", "suppressed")
        )
        assert (body["persons"], body["transitions"]) == (None, None)
        assert body["suppression"] == {"rows_hidden": 1, "totals_hidden": True, "symbol": ":"}
        shown = [rows["4601"], rows["1103"]]
        assert all(r["suppressed"] is False and r["persons"] >= 5 for r in shown)
        # The fitted model's expected transitions add up to the observed ones (Breslow);
        # Drammen's 2 are left out of both sides here, so only roughly.
        observed = sum(r["observed_transitions"] for r in shown)
        expected = sum(r["expected_transitions"] for r in shown)
        assert expected == pytest.approx(observed, rel=0.1)
        assert {c["covariate"].split("=")[0] for c in body["coefficients"]} <= {
            "age_group", "gender", "arrival_category", "education", "norwegian",
        }  # fmt: skip

        own = await client.get(
            "/indicators/survival/expected-vs-observed",
            params={"from_year": 2015, "to_year": 2016},
            headers=manager,
        )
        assert [r["municipality"] for r in own.json()["municipalities"]] == ["3301"]
        # Inside Drammen its own row is shown whole; the others' persons (those of programme
        # age of the 80 settled) together are
        # above every threshold, so the national totals stay.
        (mine,) = own.json()["municipalities"]
        assert (mine["persons"], mine["observed_transitions"], mine["suppressed"]) == (4, 2, False)
        assert own.json()["persons"] > mine["persons"]
        assert own.json()["suppression"]["totals_hidden"] is False
        nobody = await client.get(
            "/indicators/survival/expected-vs-observed",
            params={"from_year": 2015, "to_year": 2016},
            headers=auth(settings, ["manager"], "5001"),
        )
        assert nobody.status_code == 422
        assert "nothing to compare" in nobody.json()["detail_en"]
        too_few = await client.get(
            "/indicators/survival/expected-vs-observed",
            params={"from_year": 2016, "to_year": 2016},
            headers=agency,
        )
        assert too_few.status_code == 422
        assert "at least 30 persons" in too_few.json()["detail_en"]
        # Only Drammen's 4 settled in 2016: the country's counts would be Drammen's.
        assert "4 persons" not in too_few.text and "2 transitions" not in too_few.text
