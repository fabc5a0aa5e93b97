"""The employer package across both services: a name only with the participant's consent
for this employer, the follow-up plan from the facts, financing as dated data, PDF."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pypdf import PdfReader

from services.matching.app import create_app as matching_app
from services.matching.package.participants import ParticipantsClient
from services.participants.app import create_app as participants_app
from shared.settings import Settings
from tests.matching.support import esco_occupation, publish_opening, register_employer
from tests.participants.test_act import Person
from tests.participants.test_contract import START, plan
from tests.support import auth, eventually, running

T = TypeVar("T")
NAME = ("Amina", "Haile")  # tests.participants.conftest.person


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def _participant_with_plan(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    """Registered, settled, mapped, guided, in a programme with a plan, and a shared profile."""
    p = await (await (await Person(client, headers).register()).settle()).category()
    await p.map("2024-01-20", education_level="primary")
    await p.ok("POST", "/career-guidance", {"guided_on": "2024-01-25"})
    await p.ok("POST", "/programme", START)
    await p.ok("PUT", "/plan", plan())
    cook = esco_occupation()[0]
    await p.ok(
        "PUT",
        "/competence-profile",
        {
            "work_experience": [{"isco_code": cook.isco_code, "years": 4}],
            "skills": list(cook.essential_skills),
            "consent": {"work_experience": True, "skills": True},
        },
    )
    return p.pid


@asynccontextmanager
async def _both_with_a_candidate(
    settings: Settings, headers: dict[str, str]
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, str]]:
    """Participants and matching running, matching reading packages from participants,
    and a participant with a plan whom matching knows as a candidate: (participants
    client, matching client, the participant's id)."""
    participants = participants_app(settings)
    matching = matching_app(settings)
    async with running(participants) as people, running(matching) as jobs:
        matching.state.participants_client = ParticipantsClient(
            settings, transport=httpx.ASGITransport(app=participants)
        )
        pid = await _participant_with_plan(people, headers)

        async def candidate() -> bool:
            return (await jobs.get(f"/candidates/{pid}", headers=headers)).status_code == 200

        await eventually(candidate)
        yield people, jobs, pid


async def test_a_name_reaches_a_package_only_with_consent_for_that_employer(
    settings: Settings,
) -> None:
    headers = auth(settings, ["caseworker", "job_coach"])
    cook = esco_occupation()[0]
    async with _both_with_a_candidate(settings, headers) as (people, jobs, pid):
        employer = await register_employer(jobs, headers, name="Fjordkjøkkenet AS")
        other_employer = uuid.uuid4()
        opening = await publish_opening(jobs, headers, employer, occupation=cook, places=1)
        proposed = await jobs.post(
            "/matches", headers=headers, json={"participant_id": pid, "opening_id": opening}
        )
        assert proposed.status_code == 201, proposed.text
        match = proposed.json()["id"]
        path = f"/matches/{match}/package"

        # Without consent: the reference, contact through the job coach, and 422 on asking.
        plain = await jobs.get(path, headers=headers)
        assert plain.status_code == 200, plain.text
        document = plain.json()
        assert document["language"] == "nb"
        assert document["person"] == {
            "reference": pid,
            "named": False,
            "contact_through": document["person"]["contact_through"],
        }
        assert "jobbkonsulenten" in document["person"]["contact_through"]
        refused = await jobs.get(path, headers=headers, params={"with_contact": "true"})
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "contact-without-consent"
        assert "with_contact" in [e["field"] for e in refused.json()["errors"]]

        # The follow-up plan from the facts: the job coach, the start, dated meetings, and
        # the participant's plan read from participants (Norwegian training beside it).
        follow = document["follow_up_plan"]
        assert follow["job_coach"] == "tester"
        assert follow["starts_on"] == "2025-09-01" and follow["start_from"] == "opening"
        assert follow["meetings"][0] == {
            "code": "start_up",
            "on": "2025-08-29",
            "what": follow["meetings"][0]["what"],
        }
        assert [m["on"] for m in follow["meetings"]] == sorted(m["on"] for m in follow["meetings"])
        assert follow["meetings"][-1]["code"] == "final"
        assert follow["participant_plan"]["known"] is True
        assert follow["participant_plan"]["programme"]["starts_on"] == "2024-02-01"
        assert [a["kind"] for a in follow["participant_plan"]["other_activities"]] == [
            "norwegian_training",
            "work_training",
        ]
        assert follow["mentor"]["needed"] is True

        # Financing as dated data: the introduction benefit for language practice, 2 G.
        schemes = {f["code"]: f for f in document["financing"]}
        benefit = schemes["introduction_benefit"]
        assert benefit["applies"] and benefit["amounts"][0]["value"] == 2
        assert benefit["amounts"][0]["shown"] == "2 G i året"
        assert "integreringsloven § 20" in benefit["source"]
        assert not schemes["wage_subsidy"]["applies"]
        assert schemes["wage_subsidy"]["verified"] is False
        assert all(f["source"] and f["conditions"] for f in document["financing"])

        # The agreements from the registration, followed up.
        assert document["agreements"][0]["status"] == "no_outcomes"
        assert document["agreements"][0]["status_label"] == "Ingen resultater ennå"

        # Consent for another employer does not open this one.
        other = await people.post(
            f"/participants/{pid}/employer-consents",
            headers=headers,
            json={"employer_id": str(other_employer)},
        )
        assert other.status_code == 201
        assert (
            await jobs.get(path, headers=headers, params={"with_contact": "true"})
        ).status_code == 422

        given_consent = await people.post(
            f"/participants/{pid}/employer-consents",
            headers=headers,
            json={"employer_id": employer},
        )
        assert given_consent.status_code == 201, given_consent.text
        named = await jobs.get(path, headers=headers, params={"with_contact": "true"})
        assert named.status_code == 200, named.text
        person = named.json()["person"]
        assert person["named"] and person["name"] == " ".join(NAME)
        assert person["consent"]["consent_id"] == given_consent.json()["consent_id"]
        # Without asking, still the reference only.
        assert " ".join(NAME) not in (await jobs.get(path, headers=headers)).text

        pdf = await jobs.get(
            path, headers=headers, params={"with_contact": "true", "format": "pdf"}
        )
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        text = _pdf_text(pdf.content)
        assert " ".join(NAME) in text and "Finansiering" in text and "Fjordkjøkkenet AS" in text
        assert "2 G i året" in text
        english = await jobs.get(
            path, headers={**headers, "Accept": "application/pdf", "Accept-Language": "en"}
        )
        assert english.status_code == 200
        english_text = _pdf_text(english.content)
        assert "Financing" in english_text and " ".join(NAME) not in english_text
        html = await jobs.get(path, headers=headers, params={"format": "html"})
        assert html.status_code == 200 and " ".join(NAME) not in html.text
        assert pid in html.text

        withdrawn = await people.post(
            f"/participants/{pid}/employer-consent-withdrawals",
            headers=headers,
            json={"consent_id": given_consent.json()["consent_id"]},
        )
        assert withdrawn.status_code == 200, withdrawn.text
        gone = await jobs.get(path, headers=headers, params={"with_contact": "true"})
        assert gone.status_code == 422 and NAME[0] not in gone.text


def _run_on(loop: asyncio.AbstractEventLoop, work: Coroutine[Any, Any, T]) -> T:
    return asyncio.run_coroutine_threadsafe(work, loop).result(timeout=120)


async def test_no_consent_history_puts_a_name_in_a_package_without_consent(
    settings: Settings,
) -> None:
    """Over random histories of consents given and withdrawn, for this employer and
    another: the package names the person exactly when a consent for *this* employer is
    in force and the name was asked for; in every other case no form of the package
    (JSON, HTML, PDF) holds the name."""
    headers = auth(settings, ["caseworker", "job_coach"])
    cook = esco_occupation()[0]
    async with _both_with_a_candidate(settings, headers) as (people, jobs, pid):
        employer = await register_employer(jobs, headers)
        opening = await publish_opening(jobs, headers, employer, occupation=cook, places=1)
        proposed = await jobs.post(
            "/matches", headers=headers, json={"participant_id": pid, "opening_id": opening}
        )
        assert proposed.status_code == 201, proposed.text
        path = f"/matches/{proposed.json()['id']}/package"
        employers = {"this": employer, "other": str(uuid.uuid4())}
        open_consents: dict[str, str] = {}
        loop = asyncio.get_running_loop()
        name = " ".join(NAME)

        async def step(action: str, which: str) -> None:
            if action == "give":
                answer = await people.post(
                    f"/participants/{pid}/employer-consents",
                    headers=headers,
                    json={"employer_id": employers[which]},
                )
                if which in open_consents:
                    assert answer.json()["code"] == "employer-consent-exists"
                else:
                    assert answer.status_code == 201, answer.text
                    open_consents[which] = answer.json()["consent_id"]
            elif which in open_consents:
                answer = await people.post(
                    f"/participants/{pid}/employer-consent-withdrawals",
                    headers=headers,
                    json={"consent_id": open_consents.pop(which)},
                )
                assert answer.status_code == 200, answer.text

        async def check(form: str) -> None:
            asked = await jobs.get(path, headers=headers, params={"with_contact": "true"})
            if "this" in open_consents:
                assert asked.status_code == 200 and asked.json()["person"]["name"] == name
            else:
                assert asked.status_code == 422 and name not in asked.text
            plain = await jobs.get(path, headers=headers, params={"format": form})
            assert plain.status_code == 200
            shown = _pdf_text(plain.content) if form == "pdf" else plain.text
            assert name not in shown and NAME[1] not in shown

        @hypothesis_settings(
            max_examples=12,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(
            st.lists(
                st.tuples(
                    st.sampled_from(["give", "withdraw"]), st.sampled_from(["this", "other"])
                ),
                max_size=4,
            ),
            st.sampled_from(["json", "html", "pdf"]),
        )
        @example([("give", "this"), ("give", "other"), ("withdraw", "this")], "pdf")
        @example([("give", "other"), ("give", "this"), ("withdraw", "other")], "html")
        def history(steps: list[tuple[str, str]], form: str) -> None:
            for action, which in steps:
                _run_on(loop, step(action, which))
                _run_on(loop, check(form))

        await asyncio.to_thread(history)
