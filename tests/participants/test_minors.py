"""An unaccompanied minor's four phases over HTTP: their order, the bedsit and follow-up
team, the outcomes and the services' end, and who can have them at all."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from services.participants import domain
from services.participants import events as ev
from services.participants.domain import minor
from shared.rules import RuleViolation
from shared.settings import Settings
from tests.support import auth, settled_participant

SETTLED = date(2024, 3, 1)


async def minor_participant(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    born: date = date(2008, 2, 10),
    settled_on: date = SETTLED,
) -> str:
    return await settled_participant(
        client,
        headers,
        given_name="Yonas",
        family_name="Berhe",
        born=born,
        settled_on=settled_on.isoformat(),
        unaccompanied_minor=True,
    )


def _on(days: int) -> str:
    return (SETTLED + timedelta(days=days)).isoformat()


async def test_the_four_phases_in_order_with_bedsit_and_follow_up_team(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    cw = auth(settings, ["caseworker"])
    pid = await minor_participant(client, cw)

    async def post(path: str, body: dict[str, object]) -> httpx.Response:
        return await client.post(f"/participants/{pid}/minor/{path}", headers=cw, json=body)

    first = await post("phases", {"phase": "intake", "entered_on": _on(0)})
    assert first.status_code == 201, first.text
    skipped = await post("phases", {"phase": "shared_home", "entered_on": _on(10)})
    assert skipped.status_code == 409 and skipped.json()["code"] == "minor-phase-out-of-order"
    assert skipped.json()["current_version"] == first.json()["version"]
    backwards = await post("phases", {"phase": "moving_in", "entered_on": "2024-02-01"})
    assert backwards.status_code == 422 and backwards.json()["code"] == "date-order"
    assert (await post("phases", {"phase": "moving_in", "entered_on": _on(7)})).status_code == 201
    contact = uuid.uuid4()
    assert (
        await post("primary-contacts", {"contact_id": str(contact), "assigned_on": _on(7)})
    ).status_code == 201
    plan = await post(
        "measures-plans",
        {
            "agreed_on": _on(20),
            "goals": [{"area": "school", "due_on": _on(300)}, {"area": "housing"}],
        },
    )
    assert plan.status_code == 201, plan.text
    early = await post("bedsit-contract", {"signed_on": _on(20), "moves_in_on": _on(30)})
    assert early.status_code == 409 and early.json()["code"] == "minor-no-bedsit-contract"
    assert (
        await post("phases", {"phase": "shared_home", "entered_on": _on(14)})
    ).status_code == 201
    unsigned = await post("phases", {"phase": "bedsit", "entered_on": _on(380)})
    assert unsigned.status_code == 409 and unsigned.json()["code"] == "minor-no-bedsit-contract"
    team_early = await post("follow-up-contacts", {"kind": "doctor", "on": _on(100)})
    assert team_early.status_code == 409 and team_early.json()["code"] == "minor-no-follow-up-team"
    assert (
        await post("bedsit-contract", {"signed_on": _on(370), "moves_in_on": _on(380)})
    ).status_code == 201
    assert (await post("phases", {"phase": "bedsit", "entered_on": _on(380)})).status_code == 201
    again = await post("phases", {"phase": "bedsit", "entered_on": _on(390)})
    assert again.status_code == 409 and again.json()["code"] == "minor-phase-out-of-order"
    for kind in ("doctor", "school_meeting", "practical_help", "course"):
        assert (await post("follow-up-contacts", {"kind": kind, "on": _on(400)})).status_code == 201
    assert (
        await post("outcomes", {"outcome": "working_life_contact", "on": _on(200)})
    ).status_code == 201

    record = await client.get(f"/participants/{pid}/minor", headers=cw)
    assert record.status_code == 200, record.text
    body = record.json()
    assert [(p["phase"], p["entered_on"]) for p in body["phases"]] == [
        ("intake", _on(0)),
        ("moving_in", _on(7)),
        ("shared_home", _on(14)),
        ("bedsit", _on(380)),
    ]
    assert body["next_phase"] is None
    assert body["primary_contact_id"] == str(contact)
    assert [g["area"] for g in body["measures_plans"][0]["goals"]] == ["school", "housing"]
    assert body["bedsit_contract"]["moves_in_on"] == _on(380)
    assert sorted(c["kind"] for c in body["follow_up_contacts"]) == [
        "course",
        "doctor",
        "practical_help",
        "school_meeting",
    ]
    assert body["outcomes"] == [{"outcome": "working_life_contact", "on": _on(200)}]
    assert {limit["basis"] for limit in body["age_limits"]} == {
        "child_welfare_aftercare",
        "settlement_follow_up",
    }
    assert all(limit["source"] for limit in body["age_limits"])

    # Published events carry ids, dates and codes; the team's contacts stay inside.
    runtime = client._transport.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.db.connect() as conn:
        envelopes = await runtime.store.load(conn, pid)
    mine = [e for e in envelopes if e.type_name.startswith("participants.minor.")]
    assert "Yonas" not in str([e.data for e in mine]) and "Berhe" not in str([e.data for e in mine])
    assert not ev.MinorFollowUpContactRecorded.published
    assert ev.MinorPhaseEntered.published


async def test_only_an_unaccompanied_minor_has_phases(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    cw = auth(settings, ["caseworker"])
    adult = await settled_participant(client, cw)
    refused = await client.post(
        f"/participants/{adult}/minor/phases",
        headers=cw,
        json={"phase": "intake", "entered_on": "2024-03-02"},
    )
    assert refused.status_code == 409 and refused.json()["code"] == "not-unaccompanied-minor"
    read = await client.get(f"/participants/{adult}/minor", headers=cw)
    assert read.status_code == 409 and read.json()["code"] == "not-unaccompanied-minor"
    unknown = await client.get(f"/participants/{uuid.uuid4()}/minor", headers=cw)
    assert unknown.status_code == 404


async def test_the_services_end_at_an_age_limit_or_by_the_end_of_cooperation(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    cw = auth(settings, ["caseworker"])
    # Born 2004-06-01: 20 on 2024-06-01, settled at 19 years would not be a minor, so
    # the youth is settled at 17 (2021-07-01) and reaches the limits later.
    pid = await minor_participant(client, cw, date(2004, 6, 1), settled_on=date(2021, 7, 1))

    async def post(path: str, body: dict[str, object]) -> httpx.Response:
        return await client.post(f"/participants/{pid}/minor/{path}", headers=cw, json=body)

    assert (
        await post("phases", {"phase": "intake", "entered_on": "2021-07-01"})
    ).status_code == 201
    young = await post(
        "services-end",
        {"reason": "age_limit", "ended_on": "2024-05-31", "basis": "settlement_follow_up"},
    )
    assert young.status_code == 409 and young.json()["code"] == "minor-below-age-limit"
    aftercare = await post(
        "services-end",
        {"reason": "age_limit", "ended_on": "2024-06-01", "basis": "child_welfare_aftercare"},
    )
    assert aftercare.status_code == 409 and aftercare.json()["code"] == "minor-below-age-limit"
    no_basis = await post("services-end", {"reason": "age_limit", "ended_on": "2024-06-01"})
    assert no_basis.status_code == 422 and no_basis.json()["code"] == "missing-field"
    early_aid = await post(
        "outcomes", {"outcome": "supplementary_social_assistance", "on": "2024-05-31"}
    )
    assert early_aid.status_code == 409
    assert early_aid.json()["code"] == "minor-assistance-before-twenty"
    ended = await post(
        "services-end",
        {"reason": "age_limit", "ended_on": "2024-06-01", "basis": "settlement_follow_up"},
    )
    assert ended.status_code == 201, ended.text
    after = await post("phases", {"phase": "moving_in", "entered_on": "2024-07-01"})
    assert after.status_code == 409 and after.json()["code"] == "minor-services-ended"
    twice = await post("services-end", {"reason": "cooperation_ended", "ended_on": "2024-07-01"})
    assert twice.status_code == 409 and twice.json()["code"] == "minor-services-ended"
    aid = await post("outcomes", {"outcome": "supplementary_social_assistance", "on": "2024-09-01"})
    assert aid.status_code == 201, aid.text
    body = (await client.get(f"/participants/{pid}/minor", headers=cw)).json()
    assert body["services_ended"] == {
        "reason": "age_limit",
        "ended_on": "2024-06-01",
        "age_limit": 20,
    }

    other = await minor_participant(client, cw)
    cooperation = await client.post(
        f"/participants/{other}/minor/services-end",
        headers=cw,
        json={"reason": "cooperation_ended", "ended_on": _on(30)},
    )
    assert cooperation.status_code == 201, cooperation.text


def test_the_age_limits_are_dated_with_their_source() -> None:
    before = minor.age_limit_on("child_welfare_aftercare", date(2020, 12, 31))
    after = minor.age_limit_on("child_welfare_aftercare", date(2021, 1, 1))
    assert before is not None and before["age"] == 23 and before["to_be_verified"]
    assert after is not None and after["age"] == 25 and "barnevernloven" in after["source"]
    assert not after["to_be_verified"]
    first = minor.age_limit_on("child_welfare_aftercare", date(1995, 1, 1))
    assert first is not None and first["age"] == 20
    assert minor.age_limit_on("settlement_follow_up", date(2020, 1, 1)) is None


_MINOR = domain.Participant(
    participant_id=uuid.UUID(int=7),
    birth_year=2008,
    birth_date=date(2008, 2, 10),
    settled_on=SETTLED,
    unaccompanied_minor=True,
)


@hypothesis_settings(max_examples=300)
@given(st.lists(st.sampled_from(list(ev.MinorPhase)), max_size=10), st.booleans())
def test_any_order_of_phases_keeps_exactly_the_ordered_prefix(
    attempts: list[ev.MinorPhase], sign: bool
) -> None:
    """Whatever phases are attempted, in whatever order: a phase is accepted exactly when
    it is the next of intake → moving in → shared home → bedsit (the bedsit once its
    tenancy is signed), every refusal is ``minor-phase-out-of-order`` or
    ``minor-no-bedsit-contract``, and the record is always a prefix of the order."""
    record = minor.MinorRecord()
    today = date(2026, 1, 1)
    for n, phase in enumerate(attempts):
        on = SETTLED + timedelta(days=10 * n)
        if sign and record.phase is not None and record.phase[0] is ev.MinorPhase.shared_home:
            if record.bedsit_contract is None:
                record = minor.fold_minor(
                    minor.sign_bedsit_contract(_MINOR, record, uuid.uuid4(), on, on, today),
                    record,
                )
        expected = record.next_phase()
        try:
            events = minor.enter_phase(_MINOR, record, phase, on, today)
        except RuleViolation as refused:
            needs_contract = phase is expected is ev.MinorPhase.bedsit and not sign
            assert refused.rule.code == (
                "minor-no-bedsit-contract" if needs_contract else "minor-phase-out-of-order"
            )
            continue
        assert phase is expected
        record = minor.fold_minor(events, record)
        assert tuple(p for p, _ in record.phases) == minor.PHASES[: len(record.phases)]
    assert [d for _, d in record.phases] == sorted(d for _, d in record.phases)
