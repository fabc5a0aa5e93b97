"""Matches: from proposal to placement or job, with the participant's timeline."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from services.matching.domain.openings import Opening, OpeningStatus
from services.matching.domain.rules import (
    CANDIDATE_ERASED,
    CANDIDATE_LEFT,
    HARD_REQUIREMENT,
    JOB_TERMS_WITHOUT_JOB,
    MATCH_STEP,
    MENTOR_CAPACITY,
    NOT_RECORDED,
    OPENING_CLOSED,
    OPENING_FILLED,
)
from services.matching.domain.streams import fold
from services.matching.events import (
    PRACTICE_KINDS,
    Band,
    DeclinedBy,
    DeclineReason,
    EmployerInterested,
    InterviewScheduled,
    JobObtained,
    MatchDeclined,
    MatchProposed,
    OfferMade,
    OpeningKind,
    PlacementOutcome,
    PracticePlacementEnded,
    PracticePlacementStarted,
)
from shared.dates import check_window, not_in_future
from shared.events import Event
from shared.rules import DATE_ORDER, MISSING_FIELD


class MatchStatus(StrEnum):
    proposed = "proposed"
    interested = "interested"
    interview = "interview"
    offered = "offered"
    in_placement = "in_placement"
    placement_ended = "placement_ended"
    employed = "employed"
    declined = "declined"


ACTIVE_MATCH_STATUSES = frozenset(
    {
        MatchStatus.proposed,
        MatchStatus.interested,
        MatchStatus.interview,
        MatchStatus.offered,
        MatchStatus.in_placement,
        MatchStatus.employed,
    }
)
"""A participant has at most one match in these statuses per opening."""

ENGAGED_STATUSES = frozenset({MatchStatus.in_placement, MatchStatus.employed})
"""The candidate is in a placement or a job."""


@dataclass(frozen=True)
class Offer:
    on: date
    starts_on: date
    hours_per_week: float
    permanent: bool | None


@dataclass(frozen=True)
class Match:
    match_id: uuid.UUID | None = None
    participant_id: uuid.UUID | None = None
    opening_id: uuid.UUID | None = None
    employer_id: uuid.UUID | None = None
    kind: OpeningKind | None = None
    status: MatchStatus | None = None
    offer: Offer | None = None
    placement_id: uuid.UUID | None = None
    started_on: date | None = None


def takes_mentor(kind: OpeningKind) -> bool:
    """A practice placement takes one of the employer's mentors for as long as it runs."""
    return kind in PRACTICE_KINDS


STATUS_AFTER: dict[type[Event], MatchStatus] = {
    MatchProposed: MatchStatus.proposed,
    EmployerInterested: MatchStatus.interested,
    InterviewScheduled: MatchStatus.interview,
    OfferMade: MatchStatus.offered,
    MatchDeclined: MatchStatus.declined,
    PracticePlacementStarted: MatchStatus.in_placement,
    PracticePlacementEnded: MatchStatus.placement_ended,
    JobObtained: MatchStatus.employed,
}
"""The status a match has after each of its events (the read model follows the same)."""


def evolve_match(state: Match, event: Event) -> Match:
    status = STATUS_AFTER.get(type(event))
    if status is None:
        return state
    if isinstance(event, MatchProposed):
        return Match(
            match_id=event.match_id,
            participant_id=event.participant_id,
            opening_id=event.opening_id,
            employer_id=event.employer_id,
            kind=event.kind,
            status=status,
        )
    if isinstance(event, OfferMade):
        offer = Offer(event.on, event.starts_on, event.hours_per_week, event.permanent)
        return replace(state, status=status, offer=offer)
    if isinstance(event, PracticePlacementStarted):
        return replace(
            state, status=status, placement_id=event.placement_id, started_on=event.starts_on
        )
    if isinstance(event, JobObtained):
        return replace(state, status=status, started_on=state.started_on or event.starts_on)
    return replace(state, status=status)


def fold_match(events: Iterable[Event]) -> Match:
    return fold(Match(), evolve_match, events)


@dataclass(frozen=True)
class Participant:
    """What matching knows of the person's timeline, from the participants service."""

    settled_on: date | None = None
    erased: bool = False
    left_on: date | None = None
    left_because: str | None = None


@dataclass(frozen=True)
class MentorLoad:
    """An employer's mentors: how many it can give, how many placements hold one now."""

    employer_id: uuid.UUID
    capacity: int
    taken: int


def propose_match(
    match_id: uuid.UUID,
    participant_id: uuid.UUID,
    opening: Opening,
    *,
    score: float,
    band: Band | str,
    exclusion_reasons: Sequence[str] = (),
) -> list[Event]:
    if opening.opening_id is None or opening.employer_id is None or opening.kind is None:
        raise NOT_RECORDED.violation("The opening does not exist.", "opening_id")
    if opening.status is OpeningStatus.closed:
        raise OPENING_CLOSED.violation(
            "The opening is closed; nobody can be proposed.", "opening_id"
        )
    if opening.status is OpeningStatus.filled:
        raise OPENING_FILLED.violation(
            "The opening is filled; nobody can be proposed.", "opening_id"
        )
    if exclusion_reasons:
        raise HARD_REQUIREMENT.violation(
            "The candidate fails a hard requirement of the opening: "
            + "; ".join(exclusion_reasons),
            "participant_id",
            exclusion_reasons=list(exclusion_reasons),
        )
    return [
        MatchProposed(
            match_id=match_id,
            participant_id=participant_id,
            opening_id=opening.opening_id,
            employer_id=opening.employer_id,
            kind=opening.kind,
            score=score,
            band=Band(band),
        )
    ]


def _require(state: Match, allowed: set[MatchStatus], doing: str) -> uuid.UUID:
    if state.match_id is None or state.status is None:
        raise NOT_RECORDED.violation("The match does not exist.", "match_id")
    if state.status is MatchStatus.declined:
        raise MATCH_STEP.violation(
            f"The match was declined; it cannot be {doing}.", "match_id", status="declined"
        )
    if state.status not in allowed:
        raise MATCH_STEP.violation(
            f"The match is {state.status.value}; it can be {doing} only when "
            f"{' or '.join(sorted(s.value for s in allowed))}.",
            "match_id",
            status=state.status.value,
        )
    return state.match_id


def employer_interested(state: Match, on: date, *, today: date) -> list[Event]:
    match_id = _require(state, {MatchStatus.proposed}, "marked as interesting")
    not_in_future("on", on, today, "The employer's interest")
    return [EmployerInterested(match_id=match_id, on=on)]


def schedule_interview(state: Match, on: date) -> list[Event]:
    match_id = _require(state, {MatchStatus.interested, MatchStatus.interview}, "interviewed")
    check_window("on", on)
    return [InterviewScheduled(match_id=match_id, on=on)]


def make_offer(
    state: Match,
    on: date,
    starts_on: date,
    hours_per_week: float,
    permanent: bool | None,
    *,
    today: date,
) -> list[Event]:
    match_id = _require(state, {MatchStatus.interested, MatchStatus.interview}, "offered")
    not_in_future("on", on, today, "The offer")
    check_window("starts_on", starts_on)
    if starts_on < on:
        raise DATE_ORDER.violation(
            f"The offered start {starts_on.isoformat()} (starts_on) lies before the offer "
            f"{on.isoformat()} (on).",
            "starts_on",
            "on",
            starts_on=starts_on,
            on=on,
        )
    return [
        OfferMade(
            match_id=match_id,
            on=on,
            starts_on=starts_on,
            hours_per_week=hours_per_week,
            permanent=permanent,
        )
    ]


def decline(
    state: Match, by: DeclinedBy, on: date, reason: DeclineReason | None, *, today: date
) -> list[Event]:
    match_id = _require(
        state,
        {MatchStatus.proposed, MatchStatus.interested, MatchStatus.interview, MatchStatus.offered},
        "declined",
    )
    not_in_future("on", on, today, "Declining")
    assert state.participant_id is not None and state.opening_id is not None
    return [
        MatchDeclined(
            match_id=match_id,
            participant_id=state.participant_id,
            opening_id=state.opening_id,
            declined_by=by,
            on=on,
            reason=reason,
        )
    ]


def _check_participant(participant: Participant, starts: date, field: str) -> None:
    """A placement or job starts after settlement and before the person leaves."""
    if participant.erased:
        raise CANDIDATE_ERASED.violation(
            "The participant's data was erased; the match cannot be started.", "match_id"
        )
    if participant.settled_on is not None and starts < participant.settled_on:
        raise DATE_ORDER.violation(
            f"The start {starts.isoformat()} ({field}) lies before the settlement "
            f"{participant.settled_on.isoformat()} (settled_on).",
            field,
            **{field: starts, "settled_on": participant.settled_on},
        )
    if participant.left_on is not None and starts >= participant.left_on:
        raise CANDIDATE_LEFT.violation(
            f"The participant left on {participant.left_on.isoformat()} "
            f"({participant.left_because}); nothing can start on {starts.isoformat()} "
            f"({field}).",
            field,
            **{field: starts, "left_on": participant.left_on, "left": participant.left_because},
        )


def start(
    state: Match,
    placement_id: uuid.UUID,
    *,
    starts_on: date | None,
    hours_per_week: float | None,
    permanent: bool | None,
    participant: Participant,
    mentors: MentorLoad,
) -> list[Event]:
    """Start the offered placement (practice kinds) or job (job, apprenticeship).

    A start dated ahead is recorded as scheduled: it holds its place and its mentor
    from now on, and counts as being in a placement or job only from its date.
    """
    match_id = _require(state, {MatchStatus.offered}, "started")
    assert state.offer is not None and state.kind is not None
    assert state.participant_id and state.opening_id and state.employer_id
    starts = check_window("starts_on", starts_on or state.offer.starts_on)
    hours = hours_per_week or state.offer.hours_per_week
    if starts < state.offer.on:
        raise DATE_ORDER.violation(
            f"The start {starts.isoformat()} (starts_on) lies before the offer "
            f"{state.offer.on.isoformat()}.",
            "starts_on",
            starts_on=starts,
            offered_on=state.offer.on,
        )
    chosen = permanent if permanent is not None else state.offer.permanent
    if not takes_mentor(state.kind) and chosen is None:
        raise MISSING_FIELD.violation(
            "Say whether the job is permanent or temporary (permanent: true or false), in the "
            "offer or when starting it.",
            "permanent",
        )
    _check_participant(participant, starts, "starts_on")
    if takes_mentor(state.kind):
        if mentors.taken >= mentors.capacity:
            raise MENTOR_CAPACITY.violation(
                f"The employer can mentor {mentors.capacity} participant(s) at once "
                f"(mentor_capacity) and {mentors.taken} practice placement(s) hold a mentor "
                "now; end one or raise the capacity first.",
                "match_id",
                employer_id=str(mentors.employer_id),
                mentor_capacity=mentors.capacity,
                mentors_taken=mentors.taken,
            )
        return [
            PracticePlacementStarted(
                placement_id=placement_id,
                match_id=match_id,
                participant_id=state.participant_id,
                employer_id=state.employer_id,
                opening_id=state.opening_id,
                kind=state.kind,
                starts_on=starts,
                hours_per_week=hours,
            )
        ]
    assert chosen is not None
    return [
        JobObtained(
            participant_id=state.participant_id,
            employer_id=state.employer_id,
            opening_id=state.opening_id,
            match_id=match_id,
            starts_on=starts,
            hours_per_week=hours,
            permanent=chosen,
        )
    ]


@dataclass(frozen=True)
class JobTerms:
    starts_on: date
    hours_per_week: float
    permanent: bool


def end_placement(
    state: Match,
    ends_on: date,
    outcome: PlacementOutcome,
    job: JobTerms | None,
    *,
    today: date,
) -> list[Event]:
    """End a practice placement; turning into a job also records the job obtained."""
    match_id = _require(state, {MatchStatus.in_placement}, "ended")
    assert state.placement_id and state.participant_id and state.opening_id and state.employer_id
    if outcome is PlacementOutcome.turned_into_job and job is None:
        raise MISSING_FIELD.violation(
            "A placement that turned into a job needs the job's terms (job).", "job"
        )
    if outcome is not PlacementOutcome.turned_into_job and job is not None:
        raise JOB_TERMS_WITHOUT_JOB.violation(
            f"The outcome is {outcome.value}; give job only with turned_into_job.",
            "job",
            "outcome",
        )
    not_in_future("ends_on", ends_on, today, "The end of a placement")
    if state.started_on is not None and ends_on < state.started_on:
        raise DATE_ORDER.violation(
            f"The end {ends_on.isoformat()} (ends_on) lies before the placement's start "
            f"{state.started_on.isoformat()}.",
            "ends_on",
            ends_on=ends_on,
            starts_on=state.started_on,
        )
    if job is not None:
        check_window("job.starts_on", job.starts_on)
        if job.starts_on < ends_on:
            raise DATE_ORDER.violation(
                f"The job starts {job.starts_on.isoformat()} (job.starts_on), before the "
                f"placement it follows ends {ends_on.isoformat()} (ends_on).",
                "job.starts_on",
                "ends_on",
                job_starts_on=job.starts_on,
                ends_on=ends_on,
            )
    events: list[Event] = [
        PracticePlacementEnded(
            placement_id=state.placement_id,
            match_id=match_id,
            participant_id=state.participant_id,
            employer_id=state.employer_id,
            opening_id=state.opening_id,
            ends_on=ends_on,
            outcome=outcome,
        )
    ]
    if job is not None:
        events.append(
            JobObtained(
                participant_id=state.participant_id,
                employer_id=state.employer_id,
                opening_id=state.opening_id,
                match_id=match_id,
                starts_on=job.starts_on,
                hours_per_week=job.hours_per_week,
                permanent=job.permanent,
            )
        )
    return events


def engagement_on(status: MatchStatus, started_on: date | None, today: date) -> str | None:
    """What a match makes of its candidate today: in a placement or job, or scheduled.

    A start dated ahead counts only from its date; until then the candidate is
    committed (``placement_scheduled``/``job_scheduled``) but not yet in it.
    """
    if status not in ENGAGED_STATUSES:
        return None
    scheduled = started_on is not None and started_on > today
    if status is MatchStatus.in_placement:
        return "placement_scheduled" if scheduled else MatchStatus.in_placement.value
    return "job_scheduled" if scheduled else MatchStatus.employed.value
