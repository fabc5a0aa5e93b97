"""Employers: registration, the erasable contact person, and the agreements followed up."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from services.matching.domain.rules import NOT_RECORDED
from services.matching.domain.streams import fold
from services.matching.events import (
    Agreement,
    AgreementMeasure,
    EmployerAgreementRecorded,
    EmployerContactErased,
    EmployerContactRecorded,
    EmployerDetailsRecorded,
    EmployerRegistered,
    EmployerRegisteredV1,
)
from shared.dates import check_window
from shared.events import Event
from shared.rules import DATE_ORDER, rule

AGREEMENT_TARGET = rule(
    "agreement-target",
    422,
    "The agreement's target does not fit what it measures",
    service="matching",
    description="`placement_to_job` takes a `target_share` (0–1), `jobs` a `target_count`; "
    "exactly the one that fits.",
)


@dataclass(frozen=True)
class SealedContact:
    """An employer's contact person, sealed under the contact's own key (see application)."""

    contact_id: uuid.UUID
    sealed: str


@dataclass(frozen=True)
class EmployerAgreement:
    """A target the employer agreed to, over a period (open-ended without ``valid_until``)."""

    agreement_id: uuid.UUID
    measure: AgreementMeasure | None
    """None: an agreement recorded at registration without a target (nothing to count)."""
    description: str
    target_share: float | None = None
    target_count: int | None = None
    valid_from: date | None = None
    valid_until: date | None = None


@dataclass(frozen=True)
class Employer:
    employer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    contact_in_clear: bool = False
    """A contact recorded before contacts were sealed (in ``details_recorded``)."""
    agreements: tuple[EmployerAgreement, ...] = ()


def _registered_agreement(
    employer_id: uuid.UUID, index: int, agreement: Agreement
) -> EmployerAgreement:
    """An agreement given at registration: its id is derived, so it stays the same on
    every fold; with a ``target_share`` it counts placements that turned into jobs."""
    return EmployerAgreement(
        agreement_id=uuid.uuid5(employer_id, f"agreement-{index}"),
        measure=AgreementMeasure.placement_to_job if agreement.target_share is not None else None,
        description=agreement.description,
        target_share=agreement.target_share,
        valid_until=agreement.valid_until,
    )


def evolve_employer(state: Employer, event: Event) -> Employer:
    if isinstance(event, EmployerRegistered | EmployerRegisteredV1):
        return replace(state, employer_id=event.employer_id)
    if isinstance(event, EmployerContactRecorded):
        return replace(state, contact_id=event.contact_id)
    if isinstance(event, EmployerContactErased):
        return replace(state, contact_id=None, contact_in_clear=False)
    if isinstance(event, EmployerDetailsRecorded):
        registered = tuple(
            _registered_agreement(event.employer_id, i, a) for i, a in enumerate(event.agreements)
        )
        ids = {a.agreement_id for a in registered}
        kept = tuple(a for a in state.agreements if a.agreement_id not in ids)
        return replace(
            state,
            contact_in_clear=state.contact_in_clear or event.contact is not None,
            agreements=registered + kept,
        )
    if isinstance(event, EmployerAgreementRecorded):
        return replace(
            state,
            agreements=(
                *state.agreements,
                EmployerAgreement(
                    agreement_id=event.agreement_id,
                    measure=event.measure,
                    description=event.description,
                    target_share=event.target_share,
                    target_count=event.target_count,
                    valid_from=event.valid_from,
                    valid_until=event.valid_until,
                ),
            ),
        )
    return state


def fold_employer(events: Iterable[Event]) -> Employer:
    return fold(Employer(), evolve_employer, events)


def register_employer(
    employer_id: uuid.UUID,
    *,
    organisation_number: str,
    name: str,
    industry: str,
    municipality_code: str,
    mentor_capacity: int,
    contact: SealedContact | None,
    agreements: Iterable[Agreement],
) -> list[Event]:
    events: list[Event] = [
        EmployerRegistered(
            employer_id=employer_id,
            organisation_number=organisation_number,
            municipality_code=municipality_code,
            mentor_capacity=mentor_capacity,
        ),
        EmployerDetailsRecorded(
            employer_id=employer_id,
            name=name,
            industry=industry,
            agreements=tuple(agreements),
        ),
    ]
    if contact is not None:
        events.append(
            EmployerContactRecorded(
                employer_id=employer_id, contact_id=contact.contact_id, sealed=contact.sealed
            )
        )
    return events


def erase_contact(state: Employer) -> list[Event]:
    """Forget the employer's contact person (nothing to do when there is none)."""
    if state.employer_id is None:
        raise NOT_RECORDED.violation("The employer does not exist.", "employer_id")
    if state.contact_id is None and not state.contact_in_clear:
        return []
    return [EmployerContactErased(employer_id=state.employer_id, contact_id=state.contact_id)]


def record_agreement(
    state: Employer,
    *,
    agreement_id: uuid.UUID,
    measure: AgreementMeasure,
    description: str,
    target_share: float | None,
    target_count: int | None,
    valid_from: date,
    valid_until: date | None,
) -> list[Event]:
    """An agreement with a target that fits its measure, over a period in order."""
    if state.employer_id is None:
        raise NOT_RECORDED.violation("The employer does not exist.", "employer_id")
    check_window("valid_from", valid_from)
    if valid_until is not None:
        check_window("valid_until", valid_until)
        if valid_until < valid_from:
            raise DATE_ORDER.violation(
                f"valid_until {valid_until.isoformat()} is before valid_from "
                f"{valid_from.isoformat()}.",
                "valid_until",
                valid_from=valid_from,
                valid_until=valid_until,
            )
    share_fits = measure is AgreementMeasure.placement_to_job
    if (target_share is not None) != share_fits or (target_count is not None) == share_fits:
        wanted = "target_share" if share_fits else "target_count"
        raise AGREEMENT_TARGET.violation(
            f"An agreement measuring {measure.value} takes {wanted} and only that.",
            wanted,
            measure=measure.value,
        )
    return [
        EmployerAgreementRecorded(
            employer_id=state.employer_id,
            agreement_id=agreement_id,
            measure=measure,
            description=description,
            target_share=target_share,
            target_count=target_count,
            valid_from=valid_from,
            valid_until=valid_until,
        )
    ]


@dataclass(frozen=True)
class Placement:
    """What an agreement counts of one match with the employer (from the matches read model)."""

    kind: str
    started_on: date | None
    ended_on: date | None
    outcome: str | None
    job_started_on: date | None
    """A job: its start (a job itself, or the job a placement turned into)."""


PRACTICE_KINDS = frozenset({"language_practice", "work_training"})


def _within(day: date | None, agreement: EmployerAgreement, until: date) -> bool:
    if day is None or day > until:
        return False
    if agreement.valid_from is not None and day < agreement.valid_from:
        return False
    return agreement.valid_until is None or day <= agreement.valid_until


def agreement_status(
    agreement: EmployerAgreement, placements: Iterable[Placement], today: date
) -> dict[str, Any]:
    """The agreement followed up on ``today`` from the outcomes: ``met``, ``on_track``,
    ``behind`` or ``no_outcomes``, with the numbers it rests on.

    ``placement_to_job``: of the practice placements that ended in the period, the share
    that turned into a job, against ``target_share``. Placements still running count as
    what could still happen: *on track* when the target is reachable if they all turn
    into jobs, *behind* when it is not, or when the period is over without the target.

    ``jobs``: jobs started in the period against ``target_count``; *on track* while the
    count keeps pace with the share of the period gone by (an open-ended agreement is
    on track until met), *behind* otherwise.
    """
    found = list(placements)
    over = agreement.valid_until is not None and agreement.valid_until < today
    base: dict[str, Any] = {
        "agreement_id": str(agreement.agreement_id),
        "measure": agreement.measure.value if agreement.measure else None,
        "description": agreement.description,
        "target_share": agreement.target_share,
        "target_count": agreement.target_count,
        "valid_from": agreement.valid_from.isoformat() if agreement.valid_from else None,
        "valid_until": agreement.valid_until.isoformat() if agreement.valid_until else None,
        "period_over": over,
    }
    if agreement.measure is AgreementMeasure.placement_to_job:
        assert agreement.target_share is not None
        practice = [p for p in found if p.kind in PRACTICE_KINDS]
        ended = [p for p in practice if _within(p.ended_on, agreement, today)]
        to_job = [p for p in ended if p.outcome == "turned_into_job"]
        running = [
            p
            for p in practice
            if p.ended_on is None
            and p.started_on is not None
            and p.started_on <= today
            and not over
        ]
        share = len(to_job) / len(ended) if ended else None
        best = (
            (len(to_job) + len(running)) / (len(ended) + len(running)) if ended or running else None
        )
        if share is not None and share >= agreement.target_share:
            status = "met"
        elif best is None:
            status = "no_outcomes"
        elif not over and best >= agreement.target_share:
            status = "on_track"
        else:
            status = "behind"
        return {
            **base,
            "status": status,
            "ended": len(ended),
            "turned_into_job": len(to_job),
            "running": len(running),
            "share": round(share, 4) if share is not None else None,
        }
    if agreement.measure is AgreementMeasure.jobs:
        assert agreement.target_count is not None
        jobs = [p for p in found if _within(p.job_started_on, agreement, today)]
        expected: float | None = None
        if agreement.valid_from is not None and agreement.valid_until is not None:
            length = (agreement.valid_until - agreement.valid_from).days + 1
            gone = min(max((today - agreement.valid_from).days + 1, 0), length)
            expected = agreement.target_count * gone / length
        if len(jobs) >= agreement.target_count:
            status = "met"
        elif over or (expected is not None and len(jobs) < int(expected)):
            status = "behind"
        else:
            status = "on_track"
        return {
            **base,
            "status": status,
            "jobs": len(jobs),
            "expected_by_now": round(expected, 2) if expected is not None else None,
        }
    return {**base, "status": "no_outcomes"}
