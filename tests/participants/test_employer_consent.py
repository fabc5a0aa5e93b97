"""Consent to share name and contact with one employer: recorded as dated facts, and
the only way the matching service ever reads a name."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from services.participants.domain import employer_consent as consent
from shared.auth import issue_service_token
from shared.dates import today
from shared.settings import Settings
from tests.support import auth, settled_participant


def _service(settings: Settings, service: str = "matching") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_service_token(settings, service)}"}


async def _contact(
    client: httpx.AsyncClient, settings: Settings, pid: str, employer: uuid.UUID
) -> httpx.Response:
    return await client.get(
        f"/participants/{pid}/employer-contact",
        params={"employer_id": str(employer), "municipality": "3301"},
        headers=_service(settings),
    )


async def test_consent_given_read_and_withdrawn(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    caseworker = auth(settings, ["caseworker"])
    pid = await settled_participant(client, caseworker, given_name="Selam", family_name="Tesfaye")
    employer, other = uuid.uuid4(), uuid.uuid4()

    refused = await _contact(client, settings, pid, employer)
    assert refused.status_code == 409 and refused.json()["code"] == "no-employer-consent"

    given = await client.post(
        f"/participants/{pid}/employer-consents",
        headers=caseworker,
        json={"employer_id": str(employer)},
    )
    assert given.status_code == 201, given.text
    consent_id = given.json()["consent_id"]
    again = await client.post(
        f"/participants/{pid}/employer-consents",
        headers=caseworker,
        json={"employer_id": str(employer)},
    )
    assert again.status_code == 409 and again.json()["code"] == "employer-consent-exists"
    assert again.json()["current_version"] == given.json()["version"]
    ahead = await client.post(
        f"/participants/{pid}/employer-consents",
        headers=caseworker,
        json={"employer_id": str(other), "given_on": (today() + timedelta(days=1)).isoformat()},
    )
    assert ahead.status_code == 422 and ahead.json()["code"] == "future-fact"

    listed = await client.get(f"/participants/{pid}/employer-consents", headers=caseworker)
    assert listed.status_code == 200
    assert [(c["employer_id"], c["in_force"]) for c in listed.json()["results"]] == [
        (str(employer), True)
    ]

    answer = await _contact(client, settings, pid, employer)
    assert answer.status_code == 200, answer.text
    assert answer.json()["given_name"] == "Selam" and answer.json()["family_name"] == "Tesfaye"
    assert answer.json()["consent_id"] == consent_id
    assert (await _contact(client, settings, pid, other)).status_code == 409

    # Only the matching service, only as a service, only in the participant's municipality.
    assert (
        await client.get(
            f"/participants/{pid}/employer-contact",
            params={"employer_id": str(employer), "municipality": "3301"},
            headers=_service(settings, "housing"),
        )
    ).status_code == 403
    assert (
        await client.get(
            f"/participants/{pid}/employer-contact",
            params={"employer_id": str(employer), "municipality": "3301"},
            headers=caseworker,
        )
    ).status_code == 403
    elsewhere = await client.get(
        f"/participants/{pid}/employer-contact",
        params={"employer_id": str(employer), "municipality": "0301"},
        headers=_service(settings),
    )
    assert elsewhere.status_code == 404

    officer = auth(settings, ["privacy_officer"])
    audit = await client.get(f"/participants/{pid}/audit", headers=officer)
    assert audit.status_code == 200, audit.text
    assert "employer_contact" in audit.text

    unknown = await client.post(
        f"/participants/{pid}/employer-consent-withdrawals",
        headers=caseworker,
        json={"consent_id": str(uuid.uuid4())},
    )
    assert unknown.status_code == 409 and unknown.json()["code"] == "employer-consent-unknown"
    early = await client.post(
        f"/participants/{pid}/employer-consent-withdrawals",
        headers=caseworker,
        json={"consent_id": consent_id, "withdrawn_on": "2000-01-01"},
    )
    assert early.status_code == 422 and early.json()["code"] == "date-order"
    withdrawn = await client.post(
        f"/participants/{pid}/employer-consent-withdrawals",
        headers=caseworker,
        json={"consent_id": consent_id},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    twice = await client.post(
        f"/participants/{pid}/employer-consent-withdrawals",
        headers=caseworker,
        json={"consent_id": consent_id},
    )
    assert twice.status_code == 409 and twice.json()["code"] == "employer-consent-withdrawn"
    gone = await _contact(client, settings, pid, employer)
    assert gone.status_code == 409 and "Selam" not in gone.text

    foreign = auth(settings, ["caseworker"], "0301")
    assert (
        await client.post(
            f"/participants/{pid}/employer-consents",
            headers=foreign,
            json={"employer_id": str(employer)},
        )
    ).status_code == 404


async def test_published_consent_events_carry_ids_and_dates_only(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    caseworker = auth(settings, ["caseworker"])
    pid = await settled_participant(client, caseworker, given_name="Hiwet", family_name="Kidane")
    given = await client.post(
        f"/participants/{pid}/employer-consents",
        headers=caseworker,
        json={"employer_id": str(uuid.uuid4())},
    )
    assert given.status_code == 201
    runtime = client._transport.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.db.connect() as conn:
        envelopes = await runtime.store.load(conn, pid)
    mine = [e for e in envelopes if e.type_name.startswith("participants.employer_consent.")]
    assert len(mine) == 1
    assert set(mine[0].data) == {"participant_id", "consent_id", "employer_id", "given_on"}
    assert "Hiwet" not in str(mine[0].data)


_DAY0 = date(2025, 1, 1)
_EMPLOYERS = [uuid.UUID(int=1), uuid.UUID(int=2)]
_step = st.tuples(
    st.sampled_from(["give", "withdraw"]), st.sampled_from(_EMPLOYERS), st.integers(0, 30)
)


@hypothesis_settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_step, max_size=12), st.integers(0, 40))
def test_a_consent_is_in_force_exactly_between_its_giving_and_withdrawal(
    steps: list[tuple[str, uuid.UUID, int]], asked: int
) -> None:
    """Over any history of consents given and withdrawn, for two employers: the fold
    says a consent is in force for an employer on a day exactly when the plain model
    (the last open consent for *that* employer, given on or before the day) says so."""
    from services.participants import events as ev

    pid = uuid.uuid4()
    events: list[ev.EmployerConsentGiven | ev.EmployerConsentWithdrawn] = []
    model: dict[uuid.UUID, list[tuple[date, date | None, uuid.UUID]]] = {e: [] for e in _EMPLOYERS}
    day = _DAY0
    for action, employer, gap in steps:
        day = day + timedelta(days=gap)
        periods = model[employer]
        open_one = periods[-1] if periods and periods[-1][1] is None else None
        if action == "give" and open_one is None:
            cid = uuid.uuid4()
            events.append(
                ev.EmployerConsentGiven(
                    participant_id=pid, consent_id=cid, employer_id=employer, given_on=day
                )
            )
            periods.append((day, None, cid))
        elif action == "withdraw" and open_one is not None:
            events.append(
                ev.EmployerConsentWithdrawn(
                    participant_id=pid,
                    consent_id=open_one[2],
                    employer_id=employer,
                    withdrawn_on=day,
                )
            )
            periods[-1] = (open_one[0], day, open_one[2])
    folded = consent.fold_consents(events)
    on = _DAY0 + timedelta(days=asked * 5)
    for employer in _EMPLOYERS:
        expected = any(
            start <= on and (end is None or on < end) for start, end, _ in model[employer]
        )
        found = consent.in_force(folded, employer, on)
        assert (found is not None) == expected
        assert found is None or found.employer_id == employer


async def test_consent_commands_answer_the_same_404_for_a_foreign_and_an_unknown_id(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """What tests/participants/test_rules.py checks for every command, for these two
    (listed there as well once its COMMANDS include them)."""
    foreign = await settled_participant(client, auth(settings, ["caseworker"], "0301"))
    here = auth(settings, ["caseworker"]) | {"Idempotency-Key": str(uuid.uuid4())}
    for path, body in (
        ("/employer-consents", {"employer_id": str(uuid.uuid4())}),
        ("/employer-consent-withdrawals", {"consent_id": str(uuid.uuid4())}),
    ):
        answers = [
            await client.post(f"/participants/{pid}{path}", headers=here, json=body)
            for pid in (foreign, str(uuid.uuid4()))
        ]
        assert [a.status_code for a in answers] == [404, 404], answers[0].text
        bodies = [
            {k: v for k, v in a.json().items() if k not in ("detail", "detail_en", "instance")}
            for a in answers
        ]
        assert bodies[0] == bodies[1]
