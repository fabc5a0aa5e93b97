"""The person under the Integration Act over HTTP: category, rights and duties on a day,
the decision (vedtak) and its complaint (klage), every bad input refused with its rule."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx

from shared.settings import Settings
from tests.participants.conftest import person
from tests.support import auth, eventually, stream_messages


def intro_decision(legal_basis: str, **more: Any) -> dict[str, Any]:
    """A decision (vedtak) on the introduction programme on 25 January 2024, granted unless
    ``more`` says otherwise."""
    return {
        "scheme": "introduction_programme",
        "decided_on": "2024-01-25",
        "legal_basis": legal_basis,
        "granted": True,
    } | more


class Person:
    """A participant built over HTTP; ``ok`` asserts each step was accepted."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.client, self.headers, self.pid = client, headers, ""

    async def send(
        self, method: str, path: str, body: Any = None, **headers: str
    ) -> httpx.Response:
        return await self.client.request(
            method,
            f"/participants/{self.pid}{path}",
            headers=self.headers | headers,
            json=body,
        )

    async def ok(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        answer = await self.send(method, path, body)
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())

    async def register(self, birth: date = date(1991, 6, 14)) -> Person:
        created = await self.client.post("/participants", headers=self.headers, json=person(birth))
        assert created.status_code == 201, created.text
        self.pid = created.json()["id"]
        return self

    async def settle(self, on: str = "2024-01-10") -> Person:
        await self.ok(
            "POST", "/settlement", {"settled_on": on, "arrival_category": "resettlement_refugee"}
        )
        return self

    async def category(self, category: str = "refugee", on: str = "2023-12-01") -> Person:
        await self.ok(
            "POST",
            "/act/categories",
            {"category": category, "valid_from": on, "permit_granted_on": on},
        )
        return self

    async def map(self, on: str = "2024-01-20", **extra: Any) -> Person:
        await self.ok("POST", "/competence-mapping", {"mapped_on": on, **extra})
        return self

    async def rights(self, on: str, **headers: str) -> dict[str, Any]:
        answer = await self.client.get(
            f"/participants/{self.pid}/rights", params={"on": on}, headers=self.headers | headers
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


def refused(answer: httpx.Response, status: int, code: str, *fields: str) -> dict[str, Any]:
    """The answer is the rule's problem details, naming the fields."""
    assert answer.status_code == status, answer.text
    problem = dict(answer.json())
    assert problem["code"] == code, problem
    named = [e["field"] for e in problem.get("errors", [])]
    for field in fields:
        assert field in named, (field, problem)
    return problem


def by_scheme(rights: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["scheme"]: r for r in rights["rights"]}


async def test_category_rights_decision_and_complaint_over_time(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    p = await (await (await Person(client, caseworker).register()).settle()).category()
    on_start = await p.rights("2024-02-01")
    assert on_start["category"]["code"] == "refugee"
    assert on_start["category"]["label"] == "Flyktning"
    assert on_start["age_at_permit"] == 32
    rights = by_scheme(on_start)
    programme = rights["introduction_programme"]
    assert programme["status"] == "right_and_duty"
    assert programme["status_label"] == "Rett og plikt"
    assert programme["legal_basis"]["code"] == "il-8-1"
    assert programme["legal_basis"]["section"] == "integreringsloven § 8 første ledd, jf. § 9"
    assert (programme["hours_per_week"], programme["weeks_per_year"]) == (37.5, 47)
    assert programme["hours"] == 37.5 * 47
    assert programme["age_limits"] == {"min": 18, "max": 55}
    assert rights["social_studies"]["hours"] == 75
    assert rights["norwegian_training"]["hours"] is None  # a level, not hours
    assert on_start["programme_decision_before"] == "2026-01-10"
    english = await p.rights("2024-02-01", **{"Accept-Language": "en"})
    assert english["category"]["label"] == "Refugee"
    assert by_scheme(english)["introduction_programme"]["label"] == "Introduction programme"

    await p.map("2024-01-20", education_level="primary")
    decision_id = str(uuid.uuid4())
    grounds = "Begrunnelse med navn Amina Haile"
    await p.ok(
        "POST",
        "/act/decisions",
        intro_decision("il-8-1", decision_id=decision_id, grounds=grounds),
    )
    complaint_id = str(uuid.uuid4())
    await p.ok(
        "POST",
        "/act/complaints",
        {
            "complaint_id": complaint_id,
            "decision_id": decision_id,
            "lodged_on": "2024-03-01",
            "grounds": "Klagen sier: Amina vil ha lengre program",
        },
    )
    await p.ok(
        "POST",
        "/act/complaints/resolution",
        {
            "complaint_id": complaint_id,
            "resolved_on": "2024-04-02",
            "outcome": "partly_upheld",
            "resolved_by": "county_governor",
        },
    )
    await p.category("other", "2025-01-01")

    later = await p.rights("2025-02-01")
    assert later["category"]["code"] == "other"
    assert by_scheme(later)["introduction_programme"]["status"] == "may_offer"
    assert by_scheme(later)["introduction_programme"]["legal_basis"]["code"] == "il-8-3"
    assert by_scheme(later)["social_studies"] == by_scheme(later)["social_studies"] | {
        "status": "duty",
        "hours": 50,
    }
    assert [(c["code"], c["valid_from"], c["valid_to"]) for c in later["categories"]] == [
        ("refugee", "2023-12-01", "2024-12-31"),
        ("other", "2025-01-01", None),
    ]
    assert (await p.rights("2024-12-31"))["category"]["code"] == "refugee"
    before = await p.rights("2023-11-30")
    assert before["category"] is None
    assert {r["status"] for r in before["rights"]} == {"none"}

    [decision] = later["decisions"]
    assert decision["decision_id"] == decision_id
    assert decision["legal_basis"]["label"] == "Integreringsloven § 8 første ledd, jf. § 9"
    assert decision["granted"] is True and decision["category"] == "refugee"
    [complaint] = decision["complaints"]
    assert complaint["outcome"] == "partly_upheld"
    assert complaint["outcome_label"] == "Klagen delvis tatt til følge"
    assert complaint["resolved_by_label"] == "Statsforvalteren"
    assert complaint["late"] is True  # 36 days after the decision; 21 allowed (fvl. § 29)

    timeline = await client.get(f"/participants/{p.pid}/timeline", headers=caseworker)
    texts = [e["text"] for e in timeline.json()["entries"]]
    assert "Vedtak om deltakelse registrert" in texts and "Klage avgjort" in texts
    assert "Begrunnelse for vedtaket registrert" in texts

    rules = await client.get("/integration-act/rules", headers=caseworker)
    assert rules.status_code == 200
    tables = {t["name"]: t for t in rules.json()["tables"]}
    assert tables["programme_age"]["entries"][0]["value"] == {"min": 18, "max": 55}
    assert "§ 8" in tables["programme_age"]["entries"][0]["source"]
    assert all(e["source"] for t in tables.values() for e in t["entries"])

    async def published() -> list[dict[str, Any]]:
        messages = [
            m
            for m in await stream_messages(settings, "participants")
            if m.get("data", {}).get("participant_id") == p.pid
        ]
        return messages if any("complaint_resolved" in m["type"] for m in messages) else []

    messages = await eventually(published)
    types = [m["type"].removeprefix("no.veiviser.participants.") for m in messages]
    assert [t for t in types if t.startswith("act.")] == [
        "act.category_recorded.v1",
        "act.participation_decided.v1",
        "act.complaint_lodged.v1",
        "act.complaint_resolved.v1",
        "act.category_recorded.v1",
    ]
    wire = str(messages)
    for secret in ("Begrunnelse", "Klagen sier", "Amina", "Haile", "grounds", "sealed"):
        assert secret not in wire
    decided = next(m for m in messages if m["type"].endswith("participation_decided.v1"))
    assert set(decided["data"]) == {
        "participant_id",
        "decision_id",
        "scheme",
        "decided_on",
        "legal_basis",
        "granted",
        "category",
    }


async def test_rights_follow_age_at_permit_and_end_at_67(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    p = await (await Person(client, caseworker).register(date(1960, 3, 1))).settle()
    await p.category("refugee", "2023-12-01")
    rights = by_scheme(await p.rights("2024-02-01"))
    assert rights["introduction_programme"]["status"] == "may_offer"
    assert rights["introduction_programme"]["reason"] == "above_age"
    assert rights["norwegian_training"]["status"] == "right_and_duty"
    at_67 = by_scheme(await p.rights("2027-03-01"))
    assert at_67["norwegian_training"]["status"] == "may_offer"
    assert at_67["norwegian_training"]["reason"] == "above_age"
    assert by_scheme(await p.rights("2027-02-28"))["norwegian_training"]["status"] == (
        "right_and_duty"
    )
    await p.map("2024-01-20")
    without_right = await p.send("POST", "/act/decisions", intro_decision("il-8-1"))
    problem = refused(without_right, 409, "decision-without-right", "legal_basis", "granted")
    assert problem["title"] == "Ingen rett etter denne hjemmelen"  # bokmål by default
    assert "24.01.2024" not in problem["detail"] and "25.01.2024" in problem["detail"]
    assert problem["facts"]["expected_legal_basis"] == "il-8-3"
    # The municipality may offer the programme under § 8 tredje ledd.
    await p.ok("POST", "/act/decisions", intro_decision("il-8-3"))


async def test_ukraine_temporary_rules_give_a_right_without_a_duty(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    p = await (await Person(client, caseworker).register()).settle()
    too_early = await p.send(
        "POST",
        "/act/categories",
        {
            "category": "ukraine_temporary",
            "valid_from": "2022-04-01",
            "permit_granted_on": "2022-03-01",
        },
    )
    refused(too_early, 422, "ukraine-rules-not-in-force", "category", "permit_granted_on")
    await p.category("ukraine_temporary", "2023-11-01")
    rights = by_scheme(await p.rights("2024-02-01"))
    assert {r["status"] for r in rights.values()} == {"right"}
    assert rights["introduction_programme"]["legal_basis"]["code"] == "il-kap6a"
    # Decided without a mapping: kapittel 6A has its own rules on mapping.
    await p.ok("POST", "/act/decisions", intro_decision("il-kap6a", decided_on="2024-01-15"))


async def test_every_bad_input_is_refused_with_its_rule_and_changes_nothing(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    unsettled = await Person(client, caseworker).register()
    refused(
        await unsettled.send("POST", "/act/decisions", intro_decision("il-8-1")),
        409,
        "no-category",
        "decided_on",
    )
    await unsettled.category()
    refused(
        await unsettled.send("POST", "/act/decisions", intro_decision("il-8-1", granted=False)),
        409,
        "not-settled",
    )

    p = await (await Person(client, caseworker).register()).settle()
    category = {"category": "refugee", "valid_from": "2023-12-01"}
    refused(
        await p.send("POST", "/act/categories", category | {"valid_from": "2199-01-01"}),
        422,
        "future-fact",
        "valid_from",
    )
    refused(
        await p.send("POST", "/act/categories", category | {"permit_granted_on": "2023-12-02"}),
        422,
        "date-order",
        "permit_granted_on",
    )
    refused(
        await p.send("POST", "/act/categories", category | {"category": "stateless"}),
        422,
        "validation-error",
        "category",
    )
    await p.category()
    refused(
        await p.send("POST", "/act/categories", {"category": "other", "valid_from": "2023-12-01"}),
        409,
        "category-date-order",
        "valid_from",
    )
    refused(
        await p.send("POST", "/act/categories", category | {"valid_from": "2024-05-01"}),
        409,
        "category-unchanged",
        "category",
    )
    decision = intro_decision("il-8-1")
    refused(
        await p.send("POST", "/act/decisions", decision | {"legal_basis": "§ 8"}),
        422,
        "validation-error",
        "legal_basis",
    )
    refused(
        await p.send("POST", "/act/decisions", decision | {"legal_basis": "il-26-1"}),
        422,
        "legal-basis-scheme",
        "legal_basis",
    )
    refused(await p.send("POST", "/act/decisions", decision), 409, "decision-before-mapping")
    await p.map("2024-01-20")
    refused(
        await p.send("POST", "/act/decisions", decision | {"decided_on": "2026-01-10"}),
        409,
        "programme-residence-limit",
        "decided_on",
    )
    refused(
        await p.send("POST", "/act/decisions", decision | {"decided_on": "2024-01-05"}),
        422,
        "before-settlement",
        "decided_on",
    )
    decision_id = str(uuid.uuid4())
    await p.ok("POST", "/act/decisions", decision | {"decision_id": decision_id})
    refused(
        await p.send("POST", "/act/decisions", decision | {"decision_id": decision_id}),
        409,
        "id-taken",
        "decision_id",
    )
    complaint = {"decision_id": decision_id, "lodged_on": "2024-02-01"}
    refused(
        await p.send("POST", "/act/complaints", complaint | {"decision_id": str(uuid.uuid4())}),
        409,
        "unknown-decision",
        "decision_id",
    )
    refused(
        await p.send("POST", "/act/complaints", complaint | {"lodged_on": "2024-01-24"}),
        422,
        "date-order",
        "lodged_on",
    )
    complaint_id = str(uuid.uuid4())
    await p.ok("POST", "/act/complaints", complaint | {"complaint_id": complaint_id})
    refused(await p.send("POST", "/act/complaints", complaint), 409, "complaint-open")
    resolution = {"complaint_id": complaint_id, "resolved_on": "2024-02-10", "outcome": "rejected"}
    refused(
        await p.send(
            "POST",
            "/act/complaints/resolution",
            resolution | {"complaint_id": str(uuid.uuid4())},
        ),
        409,
        "unknown-complaint",
        "complaint_id",
    )
    refused(
        await p.send(
            "POST", "/act/complaints/resolution", resolution | {"resolved_on": "2024-01-31"}
        ),
        422,
        "date-order",
        "resolved_on",
    )
    await p.ok("POST", "/act/complaints/resolution", resolution)
    refused(
        await p.send("POST", "/act/complaints/resolution", resolution),
        409,
        "complaint-resolved",
        "complaint_id",
    )
    # Nothing refused was recorded: one category, one decision, one resolved complaint.
    view = await p.rights("2024-03-01")
    assert [c["code"] for c in view["categories"]] == ["refugee"]
    [kept] = view["decisions"]
    assert [c["outcome"] for c in kept["complaints"]] == ["rejected"]
    # The problem texts follow Accept-Language; the codes stay.
    english = await p.send(
        "POST", "/act/complaints/resolution", resolution, **{"Accept-Language": "en"}
    )
    assert english.json()["code"] == "complaint-resolved"


async def test_a_foreign_and_an_unknown_participant_are_the_same_404(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    foreign = await (
        await Person(client, auth(settings, ["caseworker"], "4601")).register()
    ).settle()
    bodies = {
        "/act/categories": {"category": "refugee", "valid_from": "2023-12-01"},
        "/act/decisions": {
            "scheme": "social_studies",
            "decided_on": "2024-01-25",
            "legal_basis": "il-26-1",
            "granted": True,
        },
        "/act/complaints": {"decision_id": str(uuid.uuid4()), "lodged_on": "2024-02-01"},
        "/act/complaints/resolution": {
            "complaint_id": str(uuid.uuid4()),
            "resolved_on": "2024-02-01",
            "outcome": "upheld",
        },
        "/competence-mapping": {"mapped_on": "2024-01-20"},
        "/career-guidance": {"guided_on": "2024-01-20"},
        "/contract": {"agreed_on": "2024-02-10", "content": "x"},
        "/contract/signature": {"revision": 1, "signed_on": "2024-02-10"},
        "/contract/revisions": {"revised_on": "2024-02-10", "content": "x"},
    }
    for path, body in bodies.items():
        answers = [
            await client.post(f"/participants/{pid}{path}", headers=caseworker, json=body)
            for pid in (foreign.pid, str(uuid.uuid4()))
        ]
        assert [a.status_code for a in answers] == [404, 404], (path, answers[0].text)
    for path in ("/rights", "/contract"):
        answers = [
            await client.get(f"/participants/{pid}{path}", headers=caseworker)
            for pid in (foreign.pid, str(uuid.uuid4()))
        ]
        assert [a.status_code for a in answers] == [404, 404], path


async def test_a_death_or_move_cannot_be_dated_before_the_acts_recorded_facts(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    """The Act's facts are dated like the journey's: a leaving before them is refused."""
    p = await (await (await Person(client, caseworker).register()).settle()).category()
    await p.ok("POST", "/competence-mapping", {"mapped_on": "2024-03-01"})
    died = await p.send("POST", "/death", {"died_on": "2024-02-01"})
    assert died.status_code == 409, died.text
    assert died.json()["code"] == "after-death"
    moved = await p.send("POST", "/move-out", {"moved_on": "2024-02-01", "to_municipality": "0301"})
    assert moved.status_code == 409, moved.text
    assert moved.json()["code"] == "moved-away"
