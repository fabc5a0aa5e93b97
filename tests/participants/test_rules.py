"""Every participants rule over HTTP: the problem's code and fields, and nothing written.

Each case builds a participant up to the point where the rule matters, sends one
representative command that breaks it, and checks the answer (status, ``code``,
``type``, the fields named) and that the participant's event stream is unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from services.participants.app import create_app
from shared.dates import today as norway_today
from shared.settings import Settings
from tests.participants.conftest import person
from tests.support import auth, eventually, national_id, stream_messages

TODAY = norway_today()
AHEAD = (TODAY + timedelta(days=60)).isoformat()
START = {"kind": "introduction", "starts_on": "2024-02-01", "adviser": "adviser-7"}


async def _events(settings: Settings, pid: str) -> list[tuple[str, Any]]:
    conn = await asyncpg.connect(settings.service_database_url("participants", driver="postgresql"))
    try:
        rows = await conn.fetch(
            "SELECT type, data FROM events WHERE stream_id = $1 ORDER BY version", pid
        )
    finally:
        await conn.close()
    return [(row["type"], row["data"]) for row in rows]


class Journey:
    """A participant built step by step over HTTP; each step must be accepted."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.client, self.headers, self.pid = client, headers, ""

    async def send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return await self.client.request(
            method, f"/participants/{self.pid}{path}", headers=self.headers, json=body
        )

    async def ok(self, method: str, path: str, body: Any = None) -> Journey:
        answer = await self.send(method, path, body)
        assert answer.status_code in (200, 201), answer.text
        return self

    async def register(self, birth: date = date(1991, 6, 14), **extra: Any) -> Journey:
        created = await self.client.post(
            "/participants", headers=self.headers, json=person(birth, **extra)
        )
        assert created.status_code == 201, created.text
        self.pid = created.json()["id"]
        return self

    async def settle(self, on: str = "2024-01-10", **extra: Any) -> Journey:
        body = {"settled_on": on, "arrival_category": "resettlement_refugee", **extra}
        return await self.ok("POST", "/settlement", body)

    async def start(self, **extra: Any) -> Journey:
        return await self.ok("POST", "/programme", START | extra)


Setup = Callable[[Journey], Awaitable[Journey]]


async def registered(j: Journey) -> Journey:
    return await j.register()


async def settled(j: Journey) -> Journey:
    return await (await j.register()).settle()


async def in_programme(j: Journey) -> Journey:
    return await (await settled(j)).start()


async def _completed(j: Journey, ended_on: str, outcome: str) -> Journey:
    await in_programme(j)
    body = {"ended_on": ended_on, "reason": "completed", "outcome": outcome}
    return await j.ok("POST", "/programme/completion", body)


async def ended(j: Journey) -> Journey:
    return await _completed(j, "2025-06-30", "education_higher")


async def ended_this_year(j: Journey) -> Journey:
    return await _completed(j, TODAY.isoformat(), "other")


async def _interrupted(j: Journey, **leave: str) -> Journey:
    await in_programme(j)
    return await j.ok("POST", "/programme/interruption", {"kind": "leave", **leave})


async def paused(j: Journey) -> Journey:
    return await _interrupted(j, from_date="2024-05-01")


async def on_leave_in_autumn(j: Journey) -> Journey:
    return await _interrupted(j, from_date="2024-09-01", to_date="2024-10-01")


async def dead(j: Journey) -> Journey:
    await in_programme(j)
    return await j.ok("POST", "/death", {"died_on": "2024-08-01"})


async def moved(j: Journey) -> Journey:
    await in_programme(j)
    return await j.ok("POST", "/move-out", {"moved_on": "2024-08-01", "to_municipality": "0301"})


async def emigrated_outcome(j: Journey) -> Journey:
    await in_programme(j)
    return await j.ok(
        "POST",
        "/programme/completion",
        {"ended_on": "2025-06-30", "reason": "interrupted", "outcome": "emigrated"},
    )


async def absent_20h(j: Journey) -> Journey:
    await in_programme(j)
    return await j.ok("POST", "/absences", {"on": "2024-03-05", "hours": 20, "valid_reason": True})


async def final_status(j: Journey) -> Journey:
    await ended(j)
    return await j.ok("POST", "/follow-up-status", {"status": "employed", "preliminary": False})


async def erased(j: Journey) -> Journey:
    await settled(j)
    officer = {**j.headers, **_officer}
    answer = await j.client.delete(f"/participants/{j.pid}/personal-data", headers=officer)
    assert answer.status_code == 200, answer.text
    return j


_officer: dict[str, str] = {}


@dataclass(frozen=True)
class Case:
    setup: Setup
    method: str
    path: str
    body: Any
    status: int
    code: str
    fields: tuple[str, ...] = ()


CASES = {
    "future-fact": Case(
        registered,
        "POST",
        "/settlement",
        {"settled_on": AHEAD, "arrival_category": "other"},
        422,
        "future-fact",
        ("settled_on",),
    ),
    "date-order": Case(
        settled,
        "POST",
        "/programme",
        START | {"planned_end": "2024-01-31"},
        422,
        "date-order",
        ("planned_end", "starts_on"),
    ),
    "date-out-of-range": Case(
        settled,
        "POST",
        "/programme",
        START | {"starts_on": "2199-06-01"},
        422,
        "date-out-of-range",
        ("planned_end",),
    ),
    "unknown-code": Case(
        in_programme,
        "POST",
        "/move-out",
        {"moved_on": "2024-08-01", "to_municipality": "9999"},
        422,
        "unknown-code",
        ("to_municipality",),
    ),
    "missing-field": Case(
        in_programme,
        "POST",
        "/programme/completion",
        {"ended_on": "2024-06-30", "reason": "completed", "outcome": "work_full_time"},
        422,
        "missing-field",
        ("hours_per_week",),
    ),
    "outcome-hours": Case(
        in_programme,
        "POST",
        "/programme/completion",
        {
            "ended_on": "2024-06-30",
            "reason": "completed",
            "outcome": "work_part_time",
            "hours_per_week": 35,
        },
        422,
        "outcome-hours",
        ("hours_per_week",),
    ),
    "birth-date-mismatch (change)": Case(
        registered,
        "PATCH",
        "/personal-details",
        {"birth_date": "1991-06-15"},
        422,
        "birth-date-mismatch",
        ("birth_date", "national_id"),
    ),
    "not-a-minor": Case(
        registered,
        "POST",
        "/settlement",
        {"settled_on": "2024-01-10", "arrival_category": "other", "unaccompanied_minor": True},
        422,
        "not-a-minor",
        ("unaccompanied_minor", "settled_on"),
    ),
    "before-birth": Case(
        registered,
        "POST",
        "/settlement",
        {"settled_on": "1991-06-13", "arrival_category": "other"},
        422,
        "before-birth",
        ("settled_on",),
    ),
    "before-settlement": Case(
        settled,
        "POST",
        "/programme",
        START | {"starts_on": "2024-01-09"},
        422,
        "before-settlement",
        ("starts_on",),
    ),
    "before-programme-start": Case(
        in_programme,
        "POST",
        "/absences",
        {"on": "2024-01-31", "hours": 2, "valid_reason": True},
        422,
        "before-programme-start",
        ("on",),
    ),
    "after-programme-end": Case(
        ended,
        "POST",
        "/absences",
        {"on": "2025-07-01", "hours": 2, "valid_reason": True},
        422,
        "after-programme-end",
        ("on",),
    ),
    "absence-over-24h": Case(
        absent_20h,
        "POST",
        "/absences",
        {"on": "2024-03-05", "hours": 5, "valid_reason": False},
        409,
        "absence-over-24h",
        ("hours", "on"),
    ),
    "overlapping-leave": Case(
        on_leave_in_autumn,
        "POST",
        "/programme/interruption",
        {"kind": "interruption", "from_date": "2024-08-15", "to_date": "2024-09-10"},
        409,
        "overlapping-leave",
        ("from_date", "to_date"),
    ),
    "november-not-begun": Case(
        ended_this_year,
        "POST",
        "/follow-up-status",
        {"status": "employed", "preliminary": True},
        409,
        "november-not-begun",
        ("status",),
    ),
    "left-the-base": Case(
        emigrated_outcome,
        "POST",
        "/follow-up-status",
        {"status": "employed", "preliminary": True},
        409,
        "left-the-base",
        ("status",),
    ),
    "after-death": Case(
        dead,
        "POST",
        "/norwegian-tests",
        {"sub_test": "oral", "level": "B1", "taken_on": "2024-07-01"},
        409,
        "after-death",
    ),
    "moved-away": Case(
        moved,
        "POST",
        "/norwegian-tests",
        {"sub_test": "oral", "level": "B1", "taken_on": "2024-09-01"},
        409,
        "moved-away",
        ("taken_on",),
    ),
    "already-settled": Case(
        settled,
        "POST",
        "/settlement",
        {"settled_on": "2024-01-11", "arrival_category": "other"},
        409,
        "already-settled",
    ),
    "not-settled": Case(registered, "POST", "/programme", START, 409, "not-settled"),
    "programme-running": Case(in_programme, "POST", "/programme", START, 409, "programme-running"),
    "no-programme": Case(
        settled,
        "POST",
        "/programme/interruption",
        {"kind": "leave", "from_date": "2024-05-01"},
        409,
        "no-programme",
    ),
    "programme-ended": Case(
        ended,
        "POST",
        "/programme/interruption",
        {"kind": "leave", "from_date": "2025-05-01"},
        409,
        "programme-ended",
    ),
    "already-paused": Case(
        paused,
        "POST",
        "/programme/interruption",
        {"kind": "leave", "from_date": "2024-06-01"},
        409,
        "already-paused",
    ),
    "not-paused": Case(
        in_programme,
        "POST",
        "/programme/resumption",
        {"resumed_on": "2024-03-01"},
        409,
        "not-paused",
    ),
    "outcome-recorded": Case(
        ended,
        "PUT",
        "/programme/outcome",
        {"outcome": "other"},
        409,
        "outcome-recorded",
        ("outcome",),
    ),
    "final-status-recorded": Case(
        final_status,
        "POST",
        "/follow-up-status",
        {"status": "employed", "preliminary": True},
        409,
        "final-status-recorded",
        ("preliminary",),
    ),
    "same-municipality": Case(
        in_programme,
        "POST",
        "/move-out",
        {"moved_on": "2024-08-01", "to_municipality": "3301"},
        422,
        "same-municipality",
        ("to_municipality",),
    ),
    "not-in-household": Case(
        registered,
        "POST",
        "/household-departure",
        {"left_on": "2024-05-01"},
        409,
        "not-in-household",
    ),
    "erased": Case(
        erased,
        "POST",
        "/norwegian-tests",
        {"sub_test": "oral", "level": "B1", "taken_on": "2024-07-01"},
        409,
        "erased",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_each_rule_answers_its_code_names_its_fields_and_writes_nothing(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings, case: Case
) -> None:
    _officer.update(auth(settings, ["privacy_officer"]))
    journey = await case.setup(Journey(client, caseworker))
    before = await _events(settings, journey.pid)
    answer = await journey.send(case.method, case.path, case.body)
    assert answer.status_code == case.status, answer.text
    problem = answer.json()
    assert problem["code"] == case.code
    assert problem["type"] == f"https://veiviser.no/problems/{case.code}"
    assert tuple(e["field"] for e in problem["errors"]) == case.fields
    if case.status == 409:
        assert problem["current_version"] == len(before)
    assert await _events(settings, journey.pid) == before


async def test_registration_with_a_birth_date_the_id_contradicts_is_refused(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    body = person(date(1991, 6, 14)) | {"birth_date": "1991-06-15"}
    answer = await client.post("/participants", headers=caseworker, json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "birth-date-mismatch"
    assert answer.json()["facts"]["encoded_birth_date"] == "1991-06-14"
    found = await client.get(f"/participants?national_id={body['national_id']}", headers=caseworker)
    assert found.json()["count"] == 0
    year_9999 = await client.post(
        "/participants", headers=caseworker, json=person() | {"birth_date": "9999-01-01"}
    )
    assert year_9999.status_code == 422
    assert year_9999.json()["errors"][0]["field"] == "birth_date"


async def test_a_birth_date_correction_publishes_the_new_birth_year(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    journey = await settled(Journey(client, caseworker))
    corrected = date(1992, 6, 14)
    await journey.ok(
        "PATCH",
        "/personal-details",
        {"birth_date": corrected.isoformat(), "national_id": national_id(corrected)},
    )
    view = (await journey.send("GET", "")).json()
    assert view["birth_year"] == 1992
    assert view["personal_data"]["birth_date"] == "1992-06-14"

    async def published() -> bool:
        return any(
            m["type"].endswith("participant.birth_year_corrected.v1")
            and m["data"] == {"participant_id": journey.pid, "birth_year": 1992}
            for m in await stream_messages(settings, "participants")
        )

    await eventually(published)
    # A birth date after the settlement contradicts the recorded journey.
    late = date(2024, 2, 1)
    refused = await journey.send(
        "PATCH",
        "/personal-details",
        {"birth_date": late.isoformat(), "national_id": national_id(late)},
    )
    assert refused.status_code == 422 and refused.json()["code"] == "before-birth"


async def test_facts_dated_ahead_change_nothing_today(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    planned = await settled(Journey(client, caseworker))
    await planned.start(starts_on=AHEAD)
    assert (await planned.send("GET", "")).json()["status"] == "settled"
    assert (await client.get("/participants?status=settled", headers=caseworker)).json()[
        "count"
    ] == 1

    running = await in_programme(Journey(client, caseworker))
    before = (await running.send("GET", "")).json()["programme"]["planned_end"]
    await running.ok(
        "POST",
        "/programme/interruption",
        {"kind": "leave", "from_date": AHEAD, "to_date": (TODAY + timedelta(days=90)).isoformat()},
    )
    view = (await running.send("GET", "")).json()
    assert view["status"] == "in_programme"
    assert view["programme"]["planned_end"] == before  # the leave has not begun
    assert (
        view["programme"]["planned_end_after_scheduled_leaves"]
        == (date.fromisoformat(before) + timedelta(days=30)).isoformat()
    )

    moving = Journey(client, caseworker)
    await moving.register(date(1985, 2, 2))
    await moving.settle()
    await moving.start(starts_on=(TODAY - timedelta(days=100)).isoformat())
    await moving.ok("POST", "/move-out", {"moved_on": AHEAD, "to_municipality": "0301"})
    view = (await moving.send("GET", "")).json()
    assert view["status"] == "in_programme" and view["programme"]["ended_on"] == AHEAD
    lists = (await client.get("/deadlines", headers=caseworker)).json()
    assert moving.pid in [p["id"] for p in lists["no_recent_follow_up"]["participants"]]
    assert moving.pid not in [p["id"] for p in lists["ended_without_outcome"]["participants"]]
    # Until the day, facts before it are still recorded here.
    await moving.ok(
        "POST", "/absences", {"on": TODAY.isoformat(), "hours": 2, "valid_reason": True}
    )


async def test_the_planned_end_moves_by_the_union_of_leaves_once(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    journey = await in_programme(Journey(client, caseworker))
    await journey.ok(
        "POST", "/programme/interruption", {"kind": "leave", "from_date": "2024-03-01"}
    )
    await journey.ok("POST", "/programme/resumption", {"resumed_on": "2024-03-11"})
    overlapping = await journey.send(
        "POST",
        "/programme/interruption",
        {"kind": "interruption", "from_date": "2024-03-05", "to_date": "2024-03-20"},
    )
    assert overlapping.status_code == 409
    await journey.ok(
        "POST",
        "/programme/interruption",
        {"kind": "interruption", "from_date": "2024-03-11", "to_date": "2024-03-21"},
    )
    view = (await journey.send("GET", "")).json()
    assert view["programme"]["planned_end"] == "2026-02-21"  # 2026-02-01 + 10 + 10 days


async def test_death_and_emigration_end_the_programme_and_are_published(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    died = await dead(Journey(client, caseworker))
    view = (await died.send("GET", "")).json()
    assert view["status"] == "deceased" and view["programme"]["outcome"] == "deceased"
    assert view["programme"]["ended_on"] == "2024-08-01"
    # Correcting personal details is still allowed after death.
    await died.ok("PATCH", "/personal-details", {"family_name": "Haile-Berhe"})
    emigrant = await in_programme(Journey(client, caseworker))
    await emigrant.ok("POST", "/emigration", {"emigrated_on": "2024-09-01"})
    leaver = await settled(Journey(client, caseworker))
    await leaver.ok("POST", "/household-departure", {"left_on": "2024-10-01"})

    async def published() -> bool:
        seen = {
            (m["type"].removeprefix("no.veiviser."), m["subject"])
            for m in await stream_messages(settings, "participants")
        }
        return {
            ("participants.participant.died.v1", died.pid),
            ("participants.participant.emigrated.v1", emigrant.pid),
            ("participants.participant.left_household.v1", leaver.pid),
        } <= seen

    await eventually(published)


async def test_an_outcome_correction_reopens_the_november_status(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    journey = await emigrated_outcome(Journey(client, caseworker))
    status = {"status": "employed", "preliminary": False}
    assert (await journey.send("POST", "/follow-up-status", status)).status_code == 409
    await journey.ok(
        "PUT", "/programme/outcome", {"outcome": "education_higher", "correction": True}
    )
    await journey.ok("POST", "/follow-up-status", status)


COMMANDS = [
    ("PATCH", "/personal-details", {"family_name": "X"}),
    ("POST", "/settlement", {"settled_on": "2024-01-10", "arrival_category": "other"}),
    ("POST", "/move-out", {"moved_on": "2024-08-01", "to_municipality": "0301"}),
    ("POST", "/death", {"died_on": "2024-08-01"}),
    ("POST", "/emigration", {"emigrated_on": "2024-08-01"}),
    ("POST", "/household-departure", {"left_on": "2024-08-01"}),
    ("POST", "/programme", START),
    ("POST", "/programme/interruption", {"kind": "leave", "from_date": "2024-05-01"}),
    ("POST", "/programme/resumption", {"resumed_on": "2024-06-01"}),
    ("POST", "/programme/completion", {"ended_on": "2024-06-30", "reason": "completed"}),
    ("PUT", "/programme/outcome", {"outcome": "other"}),
    ("POST", "/follow-up-status", {"status": "employed", "preliminary": True}),
    ("POST", "/norwegian-tests", {"sub_test": "oral", "level": "B1", "taken_on": "2024-07-01"}),
    (
        "PUT",
        "/plan",
        {
            "valid_from": "2024-02-05",
            "end_goal": "work",
            "activities": [
                {"kind": "norwegian_training", "hours_per_week": 15, "starts_on": "2024-02-05"}
            ],
        },
    ),
    ("POST", "/follow-ups", {"held_on": "2024-03-04", "adviser": "a"}),
    ("POST", "/absences", {"on": "2024-03-05", "hours": 3, "valid_reason": False}),
    ("PUT", "/competence-profile", {"skills": ["http://data.europa.eu/esco/skill/unknown"]}),
    (
        "POST",
        "/competence/suggestions/confirm",
        {"confirm": ["http://data.europa.eu/esco/skill/unknown"]},
    ),
    ("POST", "/employer-consents", {"employer_id": "00000000-0000-4000-8000-000000000001"}),
    (
        "POST",
        "/employer-consent-withdrawals",
        {"consent_id": "00000000-0000-4000-8000-000000000002"},
    ),
    ("POST", "/minor/phases", {"phase": "intake", "entered_on": "2024-03-01"}),
    (
        "POST",
        "/minor/primary-contacts",
        {"contact_id": "00000000-0000-4000-8000-000000000003", "assigned_on": "2024-03-01"},
    ),
    ("POST", "/minor/measures-plans", {"agreed_on": "2024-03-01", "goals": [{"area": "school"}]}),
    ("POST", "/minor/bedsit-contract", {"signed_on": "2024-03-01", "moves_in_on": "2024-04-01"}),
    ("POST", "/minor/follow-up-contacts", {"kind": "doctor", "on": "2024-03-01"}),
    ("POST", "/minor/outcomes", {"outcome": "school_dropout", "on": "2024-03-01"}),
    ("POST", "/minor/services-end", {"reason": "cooperation_ended", "ended_on": "2024-03-01"}),
    ("PUT", "/programme/end-reason", {"end_reason": "work"}),
    ("PUT", "/research-reservation", {"reserved": True}),
    ("POST", "/act/categories", {"category": "refugee", "valid_from": "2023-12-01"}),
    (
        "POST",
        "/act/decisions",
        {
            "scheme": "social_studies",
            "decided_on": "2024-01-25",
            "legal_basis": "il-26-1",
            "granted": True,
        },
    ),
    ("POST", "/act/complaints", {"decision_id": str(uuid.uuid4()), "lodged_on": "2024-02-01"}),
    (
        "POST",
        "/act/complaints/resolution",
        {"complaint_id": str(uuid.uuid4()), "resolved_on": "2024-02-01", "outcome": "upheld"},
    ),
    ("POST", "/competence-mapping", {"mapped_on": "2024-01-20"}),
    ("POST", "/career-guidance", {"guided_on": "2024-01-20"}),
    ("POST", "/contract", {"agreed_on": "2024-02-10", "content": "x"}),
    ("POST", "/contract/signature", {"revision": 1, "signed_on": "2024-02-10"}),
    ("POST", "/contract/revisions", {"revised_on": "2024-02-10", "content": "x"}),
    (
        "POST",
        "/benefit/children",
        {"child_id": str(uuid.uuid4()), "born_on": "2020-01-01", "supported_from": "2024-02-05"},
    ),
    (
        "POST",
        "/benefit/child-endings",
        {"child_id": str(uuid.uuid4()), "supported_until": "2024-07-01"},
    ),
    ("POST", "/benefit/living-situation", {"from_date": "2024-04-01", "lives_with_parent": False}),
    (
        "POST",
        "/benefit/couple-situation",
        {"from_date": "2024-04-01", "partner_in_programme": True},
    ),
    (
        "POST",
        "/benefit/leave-decisions",
        {"leave_from": "2024-04-01", "with_benefit": False, "ground": "other"},
    ),
    ("PUT", "/adviser", {"adviser": "kari"}),
    ("POST", "/transfer", {"to_municipality": "0301", "moved_on": "2024-08-01"}),
    ("DELETE", "/personal-data", None),
]


async def test_every_command_answers_the_same_404_for_a_foreign_and_an_unknown_id(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    """Before any Idempotency-Key lookup or rule, so nothing tells the ids apart."""
    foreign = await in_programme(Journey(client, auth(settings, ["caseworker"], "4601")))
    own = await settled(Journey(client, caseworker))
    key = str(uuid.uuid4())
    used = await client.patch(
        f"/participants/{own.pid}/personal-details",
        headers=caseworker | {"Idempotency-Key": key},
        json={"family_name": "Y"},
    )
    assert used.status_code == 200
    registered_paths = {
        (method.upper(), path)
        for path, operations in create_app(settings).openapi()["paths"].items()
        for method in operations
        if method in {"post", "put", "patch", "delete"}
        and path.startswith("/participants/{participant_id}")
    }
    tested = {(m, "/participants/{participant_id}" + p) for m, p, _ in COMMANDS}
    assert registered_paths == tested, "a participants command route is not covered"
    officer = auth(settings, ["caseworker", "privacy_officer"])
    for method, path, body in COMMANDS:
        answers = []
        for pid in (foreign.pid, str(uuid.uuid4())):
            answer = await client.request(
                method,
                f"/participants/{pid}{path}",
                headers=officer | {"Idempotency-Key": key},
                json=body,
            )
            answers.append(answer)
        statuses = [a.status_code for a in answers]
        assert statuses == [404, 404], (method, path, statuses, answers[0].text)
        bodies = [
            {k: v for k, v in a.json().items() if k not in ("detail", "detail_en", "instance")}
            for a in answers
        ]
        assert bodies[0] == bodies[1], (method, path)
        assert set(answers[0].headers) - {"content-length", "x-correlation-id"} == set(
            answers[1].headers
        ) - {"content-length", "x-correlation-id"}


async def test_a_household_is_one_member_smaller_after_someone_leaves_it(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    mother = await settled(Journey(client, caseworker))
    household = (await mother.send("GET", "")).json()["household_id"]
    son = Journey(client, caseworker)
    await son.register(date(2004, 3, 3))
    joined = await son.send(
        "POST",
        "/settlement",
        {"settled_on": "2024-01-10", "arrival_category": "other", "household_id": household},
    )
    assert joined.json()["household_size"] == 2
    await son.ok("POST", "/household-departure", {"left_on": "2025-01-10"})
    again = await son.send("POST", "/household-departure", {"left_on": "2025-02-10"})
    assert again.status_code == 409 and again.json()["code"] == "not-in-household"
    daughter = Journey(client, caseworker)
    await daughter.register(date(2006, 5, 5))
    settled_daughter = await daughter.send(
        "POST",
        "/settlement",
        {
            "settled_on": "2025-03-01",
            "arrival_category": "family_reunification",
            "household_id": household,
        },
    )
    assert settled_daughter.json()["household_size"] == 2
