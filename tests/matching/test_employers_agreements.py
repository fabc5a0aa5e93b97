"""The employer's agreements: recorded as facts on the employer, followed up with a
status computed from matching's outcomes (met / on track / behind, with the numbers)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.matching.app import create_app
from services.matching.domain.employers import (
    PRACTICE_KINDS,
    EmployerAgreement,
    Placement,
    agreement_status,
)
from services.matching.events import AgreementMeasure
from shared.settings import Settings
from tests.matching.support import (
    coach,
    cook_candidate,
    end_placement,
    propose,
    publish_opening,
    register_employer,
    wait_for_candidates,
)
from tests.support import auth, running


async def test_agreements_recorded_and_followed_up_from_outcomes(settings: Settings) -> None:
    headers = coach(settings)
    cook, person = await cook_candidate(settings)
    async with running(create_app(settings)) as client:
        employer = await register_employer(client, headers)
        base = f"/employers/{employer}/agreements"
        first = (await client.get(base, headers=headers)).json()["results"]
        assert [(a["measure"], a["status"], a["target_share"]) for a in first] == [
            ("placement_to_job", "no_outcomes", 0.7)
        ]
        assert first[0]["status_label"] == "Ingen resultater ennå"

        jobs = await client.post(
            base,
            headers=headers,
            json={
                "measure": "jobs",
                "description": "Samarbeidsavtale: to faste jobber i 2025–2026",
                "target_count": 2,
                "valid_from": "2025-01-01",
                "valid_until": "2026-12-31",
            },
        )
        assert jobs.status_code == 201, jobs.text
        short = await client.post(
            base,
            headers=headers,
            json={
                "measure": "jobs",
                "description": "One job in 2025",
                "target_count": 1,
                "valid_from": "2025-01-01",
                "valid_until": "2025-12-31",
            },
        )
        assert short.status_code == 201
        for wrong, code in (
            ({"measure": "jobs", "target_share": 0.5}, "agreement-target"),
            ({"measure": "placement_to_job", "target_count": 3}, "agreement-target"),
            (
                {"measure": "jobs", "target_count": 1, "valid_until": "2024-12-31"},
                "date-order",
            ),
        ):
            refused = await client.post(
                base,
                headers=headers,
                json={"description": "x", "valid_from": "2025-01-01", **wrong},
            )
            assert refused.status_code == 422, refused.text
            assert refused.json()["code"] == code
        elsewhere = auth(settings, ["job_coach"], "0301")
        assert (await client.get(base, headers=elsewhere)).status_code == 404
        assert (
            await client.post(
                base,
                headers=elsewhere,
                json={
                    "measure": "jobs",
                    "description": "x",
                    "target_count": 1,
                    "valid_from": "2025-01-01",
                },
            )
        ).status_code == 404

        # One practice placement that turned into a job (started 2025-09-01, job 2026-01-05).
        opening = await publish_opening(client, headers, employer, occupation=cook, places=1)
        await wait_for_candidates(client, headers, person)
        match = await propose(client, headers, person, opening)
        for step, body in (
            ("interest", {"on": "2025-08-20"}),
            (
                "offer",
                {"on": "2025-08-25", "starts_on": "2025-09-01", "hours_per_week": 15},
            ),
            ("start", {}),
        ):
            answer = await client.post(f"/matches/{match}/{step}", headers=headers, json=body)
            assert answer.status_code == 200, answer.text
        running_now = {
            a["measure"] + str(a["target_count"]): a
            for a in (await client.get(base, headers=headers)).json()["results"]
        }
        share = running_now["placement_to_jobNone"]
        assert (share["status"], share["ended"], share["running"]) == ("on_track", 0, 1)
        ended = await end_placement(client, headers, match)
        assert ended.status_code == 200, ended.text
        english = await client.get(base, headers={**headers, "Accept-Language": "en"})
        after = {a["measure"] + str(a["target_count"]): a for a in english.json()["results"]}
        share = after["placement_to_jobNone"]
        assert (share["status"], share["ended"], share["turned_into_job"], share["share"]) == (
            "met",
            1,
            1,
            1.0,
        )
        assert share["status_label"] == "Met"
        assert after["jobs2"]["jobs"] == 1
        assert after["jobs1"]["jobs"] == 0 and after["jobs1"]["status"] == "behind"
        assert after["jobs1"]["period_over"] is True


_DAY0 = date(2025, 1, 1)
_placements = st.lists(
    st.builds(
        lambda kind, start, length, outcome: Placement(
            kind=kind,
            started_on=_DAY0 + timedelta(days=start),
            ended_on=_DAY0 + timedelta(days=start + length) if length is not None else None,
            outcome=outcome if length is not None else None,
            job_started_on=_DAY0 + timedelta(days=start + (length or 0) + 14)
            if outcome == "turned_into_job" and length is not None
            else (_DAY0 + timedelta(days=start) if kind == "job" else None),
        ),
        st.sampled_from(["language_practice", "work_training", "job"]),
        st.integers(0, 400),
        st.one_of(st.none(), st.integers(0, 200)),
        st.sampled_from(["completed", "broke_off", "turned_into_job"]),
    ),
    max_size=15,
)


@given(_placements, st.integers(1, 100), st.integers(0, 700), st.booleans())
def test_a_share_agreement_is_met_exactly_when_the_share_reaches_the_target(
    placements: list[Placement], target: int, today_offset: int, bounded: bool
) -> None:
    """``met`` exactly when the ended placements' share that turned into a job reaches the
    target; ``behind`` never while the target is still reachable in an open period; the
    numbers are the counts of the placements themselves."""
    today = _DAY0 + timedelta(days=today_offset)
    agreement = EmployerAgreement(
        agreement_id=uuid.uuid4(),
        measure=AgreementMeasure.placement_to_job,
        description="x",
        target_share=target / 100,
        valid_from=_DAY0,
        valid_until=_DAY0 + timedelta(days=365) if bounded else None,
    )
    status = agreement_status(agreement, placements, today)
    end = min(today, agreement.valid_until) if agreement.valid_until else today
    ended = [
        p
        for p in placements
        if p.kind in PRACTICE_KINDS and p.ended_on is not None and _DAY0 <= p.ended_on <= end
    ]
    to_job = [p for p in ended if p.outcome == "turned_into_job"]
    assert status["ended"] == len(ended) and status["turned_into_job"] == len(to_job)
    reached = bool(ended) and len(to_job) / len(ended) >= target / 100
    assert (status["status"] == "met") == reached
    over = agreement.valid_until is not None and agreement.valid_until < today
    if status["status"] == "behind" and not over:
        best = (len(to_job) + status["running"]) / (len(ended) + status["running"])
        assert best < target / 100
    if status["status"] == "no_outcomes":
        assert not ended and status["running"] == 0


@given(_placements, st.integers(1, 10), st.integers(0, 800))
def test_a_count_agreement_is_met_exactly_when_enough_jobs_started(
    placements: list[Placement], target: int, today_offset: int
) -> None:
    today = _DAY0 + timedelta(days=today_offset)
    agreement = EmployerAgreement(
        agreement_id=uuid.uuid4(),
        measure=AgreementMeasure.jobs,
        description="x",
        target_count=target,
        valid_from=_DAY0,
        valid_until=_DAY0 + timedelta(days=364),
    )
    status = agreement_status(agreement, placements, today)
    end = min(today, agreement.valid_until or today)
    jobs = [
        p for p in placements if p.job_started_on is not None and _DAY0 <= p.job_started_on <= end
    ]
    assert status["jobs"] == len(jobs)
    assert (status["status"] == "met") == (len(jobs) >= target)
    if today > (agreement.valid_until or today) and len(jobs) < target:
        assert status["status"] == "behind"
