"""NIR: end reasons, the research reservation, the dataset and the data-quality report."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import httpx

from services.participants.domain.deadlines import add_months
from shared import dates
from shared.settings import Settings
from tests.participants.conftest import event_types, person
from tests.support import auth

TODAY = dates.today()
SETTLED = TODAY - timedelta(days=300)
STARTS = TODAY - timedelta(days=250)
ENDED = TODAY - timedelta(days=20)
YEAR = ENDED.year
"""The reporting year the seeded programmes ended in (and ran in)."""


class Case:
    """One participant built over HTTP, each step required to succeed."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.client, self.headers, self.pid = client, headers, ""

    async def send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return await self.client.request(
            method, f"/participants/{self.pid}{path}", headers=self.headers, json=body
        )

    async def ok(self, method: str, path: str, body: Any = None) -> Case:
        answer = await self.send(method, path, body)
        assert answer.status_code in (200, 201), answer.text
        return self

    async def build(
        self,
        *,
        decision: bool = True,
        plan: bool = True,
        contract: bool = True,
        complete: dict[str, Any] | None = None,
    ) -> Case:
        created = await self.client.post("/participants", headers=self.headers, json=person())
        assert created.status_code == 201, created.text
        self.pid = created.json()["id"]
        await self.ok(
            "POST",
            "/settlement",
            {"settled_on": SETTLED.isoformat(), "arrival_category": "resettlement_refugee"},
        )
        await self.ok(
            "POST",
            "/act/categories",
            {"category": "refugee", "valid_from": SETTLED.isoformat()},
        )
        await self.ok(
            "POST",
            "/competence-mapping",
            {"mapped_on": (SETTLED + timedelta(days=10)).isoformat()},
        )
        await self.ok(
            "POST", "/career-guidance", {"guided_on": (SETTLED + timedelta(days=20)).isoformat()}
        )
        if decision:
            await self.ok(
                "POST",
                "/act/decisions",
                {
                    "scheme": "introduction_programme",
                    "decided_on": (SETTLED + timedelta(days=30)).isoformat(),
                    "legal_basis": "il-8-1",
                    "granted": True,
                },
            )
        await self.ok(
            "POST",
            "/programme",
            {
                "kind": "introduction",
                "starts_on": STARTS.isoformat(),
                "planned_end": (STARTS + timedelta(days=730)).isoformat(),
                "adviser": "adviser-1",
            },
        )
        if plan:
            await self.ok(
                "PUT",
                "/plan",
                {
                    "valid_from": STARTS.isoformat(),
                    "end_goal": "work",
                    "norwegian_goal": "B1",
                    "goal_description": "Hemmelig mål om sykepleie",
                    "activities": [
                        {
                            "kind": "norwegian_training",
                            "hours_per_week": 15,
                            "starts_on": STARTS.isoformat(),
                            "provider": "Voksenopplæringen Sentrum",
                        },
                        {
                            "kind": "language_practice",
                            "hours_per_week": 22.5,
                            "starts_on": STARTS.isoformat(),
                        },
                    ],
                },
            )
        if contract and plan:
            await self.ok(
                "POST",
                "/contract",
                {"agreed_on": STARTS.isoformat(), "content": "Kontraktens innhold"},
            )
        if complete is not None:
            await self.ok(
                "POST",
                "/programme/completion",
                {"ended_on": ENDED.isoformat(), "reason": "completed", **complete},
            )
        return self


def _settings(client: httpx.AsyncClient) -> Settings:
    app = client._transport.app  # type: ignore[attr-defined]
    return app.state.runtime.settings  # type: ignore[no-any-return]


async def test_the_data_quality_report_lists_each_seeded_fault_with_field_and_deadline(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    work = {"outcome": "work_full_time", "hours_per_week": 37.5}
    clean = await Case(client, caseworker).build(complete={**work, "end_reason": "work"})
    no_reason = await Case(client, caseworker).build(complete=work)
    contradicting = await Case(client, caseworker).build(
        complete={"outcome": "nav_measure", "end_reason": "work"}
    )
    no_plan = await Case(client, caseworker).build(plan=False)
    no_decision = await Case(client, caseworker).build(decision=False)
    running = await Case(client, caseworker).build()
    undecided = Case(client, caseworker)
    undecided.pid = (await client.post("/participants", headers=caseworker, json=person())).json()[
        "id"
    ]
    waiting_since = TODAY - timedelta(days=120)
    await undecided.ok(
        "POST",
        "/settlement",
        {"settled_on": waiting_since.isoformat(), "arrival_category": "resettlement_refugee"},
    )
    await undecided.ok(
        "POST", "/act/categories", {"category": "refugee", "valid_from": waiting_since.isoformat()}
    )

    answer = await client.get(f"/nir/data-quality?year={YEAR}", headers=caseworker)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["checked"] == 6
    found = {(p["participant_id"], p["field"], p["problem"]) for p in report["problems"]}
    assert found == {
        (no_reason.pid, "end_reason", "missing"),
        (contradicting.pid, "end_reason", "contradicts_outcome"),
        (no_plan.pid, "activities", "missing"),
        (no_plan.pid, "end_goal", "missing"),
        (no_plan.pid, "integration_contract", "missing"),
        (no_decision.pid, "decision", "missing"),
        (undecided.pid, "decision", "missing"),
    }
    reported = {p["participant_id"] for p in report["problems"]}
    assert clean.pid not in reported and running.pid not in reported

    by_key = {(p["participant_id"], p["field"]): p for p in report["problems"]}
    missing = by_key[(no_reason.pid, "end_reason")]
    due = date.fromisoformat(missing["due_on"])
    assert missing["fact_on"] == ENDED.isoformat()
    assert (due.year * 12 + due.month) - (ENDED.year * 12 + ENDED.month) == 2
    assert missing["days_left"] == (due - TODAY).days
    assert missing["overdue"] is (missing["days_left"] < 0)
    assert missing["late_registration_until"] == report["late_registration_until"]
    assert report["late_registration_until"].startswith(f"{YEAR + 1}-02-")
    assert missing["counts_as_not_registered"] is False
    assert missing["field_label"] == "Avslutningsårsak"
    waiting = by_key[(undecided.pid, "decision")]
    assert waiting["fact_on"] == add_months(waiting_since, 3).isoformat()
    started = by_key[(no_plan.pid, "end_goal")]
    assert started["fact_on"] == STARTS.isoformat() and started["overdue"] is True
    days = [p["days_left"] for p in report["problems"]]
    assert days == sorted(days)
    assert report["problems"][0]["personal_data"]["given_name"] == "Amina"

    # Registering the end reason takes the fault off the list; nothing else changes.
    await no_reason.ok("PUT", "/programme/end-reason", {"end_reason": "work"})
    again = (await client.get(f"/nir/data-quality?year={YEAR}", headers=caseworker)).json()
    assert (no_reason.pid, "end_reason") not in {
        (p["participant_id"], p["field"]) for p in again["problems"]
    }
    assert again["count"] == report["count"] - 1

    # A year long past: every fault there counts as not registered.
    analyst = auth(_settings(client), ["analyst"])
    past = (await client.get(f"/nir/data-quality?year={YEAR - 5}", headers=analyst)).json()
    assert past["count"] == 0 and past["checked"] == 0
    pseudonymous = (await client.get(f"/nir/data-quality?year={YEAR}", headers=analyst)).json()
    assert all("personal_data" not in p for p in pseudonymous["problems"])


async def test_end_reasons_are_checked_against_nirs_list_and_recorded_once(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    codes = (await client.get("/nir/end-reasons", headers=caseworker)).json()
    listed = {r["code"]: r for r in codes["end_reasons"]}
    assert listed["work"]["label"] == "Overgang til arbeid"
    assert {t["name"] for t in codes["tables"]} == {
        "end_reasons",
        "registration_months",
        "late_registration",
    }
    english = await client.get("/nir/end-reasons", headers={**caseworker, "Accept-Language": "en"})
    assert {r["code"]: r["label"] for r in english.json()["end_reasons"]}["work"] == "Into work"

    case = await Case(client, caseworker).build()
    unknown = await case.send(
        "POST",
        "/programme/completion",
        {"ended_on": ENDED.isoformat(), "reason": "completed", "end_reason": "holiday"},
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown-end-reason"
    misfit = await case.send(
        "POST",
        "/programme/completion",
        {"ended_on": ENDED.isoformat(), "reason": "completed", "end_reason": "illness"},
    )
    assert misfit.status_code == 422 and misfit.json()["code"] == "end-reason-misfits"
    bad_pattern = await case.send(
        "POST",
        "/programme/completion",
        {"ended_on": ENDED.isoformat(), "reason": "completed", "end_reason": "Work!"},
    )
    assert bad_pattern.status_code == 422
    view = (await case.send("GET", "")).json()
    assert view["programme"]["ended_on"] is None  # nothing was half-written

    early = await case.send("PUT", "/programme/end-reason", {"end_reason": "work"})
    assert early.status_code == 409 and early.json()["code"] == "no-ended-programme"
    await case.ok(
        "POST",
        "/programme/completion",
        {"ended_on": ENDED.isoformat(), "reason": "interrupted", "end_reason": "illness"},
    )
    twice = await case.send("PUT", "/programme/end-reason", {"end_reason": "own_wish"})
    assert twice.status_code == 409 and twice.json()["code"] == "end-reason-recorded"
    await case.ok("PUT", "/programme/end-reason", {"end_reason": "own_wish", "correction": True})
    types = await event_types(_settings(client), case.pid)
    assert types[-3:] == [
        "participants.programme.completed.v1",
        "participants.programme.end_reason_recorded.v1",
        "participants.programme.end_reason_recorded.v1",
    ]
    dataset = (await client.get(f"/nir/dataset?year={YEAR}", headers=caseworker)).json()
    (row,) = [r for r in dataset["records"] if r["participant_id"] == case.pid]
    assert row["end_reason"] == "own_wish" and row["completion_reason"] == "interrupted"


async def test_the_dataset_carries_the_research_reservation_as_json_csv_and_events(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    reserved = await Case(client, caseworker).build(
        complete={"outcome": "work_full_time", "hours_per_week": 37.5, "end_reason": "work"}
    )
    other = await Case(client, caseworker).build()
    await reserved.send(
        "POST",
        "/absences",
        {
            "on": max(STARTS + timedelta(days=3), date(YEAR, 1, 1)).isoformat(),
            "hours": 2,
            "valid_reason": False,
        },
    )
    await reserved.ok("PUT", "/research-reservation", {"reserved": True})
    same = await reserved.send("PUT", "/research-reservation", {"reserved": True})
    assert same.status_code == 409 and same.json()["code"] == "reservation-unchanged"

    answer = await client.get(f"/nir/dataset?year={YEAR}", headers=caseworker)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    rows = {r["participant_id"]: r for r in data["records"]}
    assert set(rows) == {reserved.pid, other.pid}
    mine = rows[reserved.pid]
    assert mine["research_reservation"] is True and rows[other.pid]["research_reservation"] is False
    assert mine["end_goal"] == "work" and mine["norwegian_goal"] == "B1"
    assert mine["decision_granted"] is True and mine["legal_basis"] == "il-8-1"
    assert mine["contract_agreed_on"] == STARTS.isoformat()
    assert mine["absence_invalid_hours"] == 2 and mine["absence_valid_hours"] == 0
    assert mine["end_reason"] == "work" and mine["ended_on"] == ENDED.isoformat()
    in_year = (ENDED - max(STARTS, date(YEAR, 1, 1))).days + 1
    assert mine["activities"]["norwegian_training"] == round(15 * in_year / 7, 1)
    text = str(data)
    for secret in ("Amina", "Haile", "Hemmelig", "Voksenopplæringen", "adviser-1", "Kontraktens"):
        assert secret not in text

    as_csv = await client.get(f"/nir/dataset?year={YEAR}&format=csv", headers=caseworker)
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig")), delimiter=";"))
    header, body = table[0], table[1:]
    assert "Reservert mot forskning" in header and "Avslutningsårsak" in header
    column = header.index("Reservert mot forskning")
    ids = header.index("Deltaker-id (pseudonym)")
    flags = {row[ids]: row[column] for row in body}
    assert flags[reserved.pid] != flags[other.pid]
    coded = await client.get(
        f"/nir/dataset?year={YEAR}&format=csv&headers=codes", headers=caseworker
    )
    first_row = coded.content.decode("utf-8-sig").splitlines()[0].split(";")
    assert first_row[0] == "participant_id" and "research_reservation" in first_row

    first = await client.post("/nir/submissions", headers=caseworker, json={"year": YEAR})
    assert first.status_code == 201, first.text
    assert {k: first.json()[k] for k in ("year", "reported", "unchanged")} == {
        "year": YEAR,
        "reported": 2,
        "unchanged": 0,
    }
    assert first.json()["counts_in_final_figures"] is True
    repeat = await client.post("/nir/submissions", headers=caseworker, json={"year": YEAR})
    assert (repeat.json()["reported"], repeat.json()["unchanged"]) == (0, 2)
    late = await client.post("/nir/submissions", headers=caseworker, json={"year": 2021})
    assert late.json()["late_registration_until"] == "2022-02-28"
    assert late.json()["counts_in_final_figures"] is False
    await reserved.ok("PUT", "/research-reservation", {"reserved": False})
    changed = await client.post("/nir/submissions", headers=caseworker, json={"year": YEAR})
    assert changed.json()["reported"] == 1
    types = await event_types(_settings(client), reserved.pid)
    assert types.count("participants.nir.year_reported.v1") == 2
    assert types.count("participants.participant.research_reservation_changed.v1") == 2


async def test_the_indicators_drill_down_carries_the_research_reservation(
    settings: Settings,
) -> None:
    from services.indicators.app import create_app as indicators_app
    from services.participants.app import create_app as participants_app
    from tests.support import eventually, running

    headers = auth(settings, ["caseworker", "manager"], "3301")
    async with (
        running(participants_app(settings)) as participants,
        running(indicators_app(settings)) as indicators,
    ):
        adopted = await indicators.post(
            "/indicators/definitions",
            json={"key": "persons_settled", "from_catalogue": "persons_settled"},
            headers=headers,
        )
        assert adopted.status_code == 201, adopted.text
        ids = []
        for _ in range(2):
            created = await participants.post("/participants", headers=headers, json=person())
            pid = created.json()["id"]
            settled = await participants.post(
                f"/participants/{pid}/settlement",
                headers=headers,
                json={"settled_on": "2025-03-10", "arrival_category": "resettlement_refugee"},
            )
            assert settled.status_code == 201, settled.text
            ids.append(pid)
        reserved = await participants.put(
            f"/participants/{ids[0]}/research-reservation", headers=headers, json={"reserved": True}
        )
        assert reserved.status_code == 201, reserved.text
        path = "/indicators/values/persons_settled/drilldown?period=2025"

        async def flagged() -> bool:
            members = (await indicators.get(path, headers=headers)).json().get("members", [])
            return {m["participant_id"]: m["research_reservation"] for m in members} == {
                ids[0]: True,
                ids[1]: False,
            }

        await eventually(flagged)
        exported = await indicators.get(path + "&format=csv&headers=codes", headers=headers)
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
        column = rows[0].index("research_reservation")
        ids_at = rows[0].index("participant_id")
        assert {row[ids_at]: row[column] for row in rows[1:]}[ids[0]] != {
            row[ids_at]: row[column] for row in rows[1:]
        }[ids[1]]
        withdrawn = await participants.put(
            f"/participants/{ids[0]}/research-reservation",
            headers=headers,
            json={"reserved": False},
        )
        assert withdrawn.status_code == 201

        async def cleared() -> bool:
            members = (await indicators.get(path, headers=headers)).json().get("members", [])
            return not any(m["research_reservation"] for m in members) and len(members) == 2

        await eventually(cleared)


async def test_a_decision_without_a_programme_is_in_the_years_dataset(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    refused = Case(client, caseworker)
    created = await client.post("/participants", headers=caseworker, json=person())
    refused.pid = created.json()["id"]
    settled_on = TODAY - timedelta(days=60)
    decided_on = max(settled_on + timedelta(days=20), date(TODAY.year, 1, 1))
    await refused.ok(
        "POST",
        "/settlement",
        {"settled_on": settled_on.isoformat(), "arrival_category": "family_reunification"},
    )
    await refused.ok(
        "POST", "/act/categories", {"category": "refugee", "valid_from": settled_on.isoformat()}
    )
    await refused.ok("POST", "/competence-mapping", {"mapped_on": settled_on.isoformat()})
    await refused.ok(
        "POST",
        "/act/decisions",
        {
            "scheme": "introduction_programme",
            "decided_on": decided_on.isoformat(),
            "legal_basis": "il-8-1",
            "granted": False,
            "grounds": "Begrunnelse som aldri publiseres",
        },
    )
    data = (await client.get(f"/nir/dataset?year={decided_on.year}", headers=caseworker)).json()
    (row,) = data["records"]
    assert row["participant_id"] == refused.pid
    assert row["decision_granted"] is False and row["programme_id"] is None
    assert row["activities"] == {} and row["end_reason"] is None
    assert "Begrunnelse" not in str(data)
    quality = (
        await client.get(f"/nir/data-quality?year={decided_on.year}", headers=caseworker)
    ).json()
    assert quality["count"] == 0 and quality["checked"] == 0
    earlier = (
        await client.get(f"/nir/dataset?year={decided_on.year - 1}", headers=caseworker)
    ).json()
    assert earlier["count"] == 0
