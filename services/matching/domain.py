"""Employers, openings and matches: pure decisions and state folding, no I/O."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from services.matching.events import (
    PRACTICE_KINDS,
    Agreement,
    CloseReason,
    Contact,
    DeclinedBy,
    DeclineReason,
    EmployerDetailsRecorded,
    EmployerInterested,
    EmployerRegistered,
    InterviewScheduled,
    JobObtained,
    MatchDeclined,
    MatchProposed,
    OfferMade,
    OpeningChanged,
    OpeningClosed,
    OpeningDetailsRecorded,
    OpeningKind,
    OpeningPlaceReleased,
    OpeningPlaceTaken,
    OpeningPublished,
    OpeningTerms,
    PlacementOutcome,
    PracticePlacementEnded,
    PracticePlacementStarted,
)
from shared.events import Event

EMPLOYER = "employer"
OPENING = "opening"
MATCH = "match"


class DomainRuleViolation(Exception):
    """A command the aggregate's current state does not allow (answered with 409)."""


def stream_id(stream_type: str, entity_id: uuid.UUID) -> str:
    return f"{stream_type}-{entity_id}"


# --- employers -------------------------------------------------------------------------


def register_employer(
    employer_id: uuid.UUID,
    *,
    organisation_number: str,
    name: str,
    industry: str,
    municipality_code: str,
    mentor_capacity: int,
    contact: Contact | None,
    agreements: Iterable[Agreement],
) -> list[Event]:
    return [
        EmployerRegistered(
            employer_id=employer_id,
            organisation_number=organisation_number,
            industry=industry,
            municipality_code=municipality_code,
            mentor_capacity=mentor_capacity,
        ),
        EmployerDetailsRecorded(
            employer_id=employer_id, name=name, contact=contact, agreements=tuple(agreements)
        ),
    ]


# --- openings --------------------------------------------------------------------------


class OpeningStatus(StrEnum):
    open = "open"
    filled = "filled"
    closed = "closed"


@dataclass(frozen=True)
class Opening:
    opening_id: uuid.UUID | None = None
    employer_id: uuid.UUID | None = None
    kind: OpeningKind | None = None
    terms: OpeningTerms | None = None
    taken: frozenset[uuid.UUID] = frozenset()
    closed: bool = False

    @property
    def status(self) -> OpeningStatus:
        if self.closed:
            return OpeningStatus.closed
        if self.terms is not None and len(self.taken) >= self.terms.places:
            return OpeningStatus.filled
        return OpeningStatus.open


def evolve_opening(state: Opening, event: Event) -> Opening:
    if isinstance(event, OpeningPublished):
        return replace(
            state,
            opening_id=event.opening_id,
            employer_id=event.employer_id,
            kind=event.kind,
            terms=event.terms(),
        )
    if isinstance(event, OpeningChanged):
        return replace(state, terms=event.terms())
    if isinstance(event, OpeningClosed):
        return replace(state, closed=True)
    if isinstance(event, OpeningPlaceTaken):
        return replace(state, taken=state.taken | {event.match_id})
    if isinstance(event, OpeningPlaceReleased):
        return replace(state, taken=state.taken - {event.match_id})
    return state


def fold_opening(events: Iterable[Event]) -> Opening:
    state = Opening()
    for event in events:
        state = evolve_opening(state, event)
    return state


def publish_opening(
    opening_id: uuid.UUID,
    employer_id: uuid.UUID,
    kind: OpeningKind,
    terms: OpeningTerms,
    *,
    title: str,
    description: str,
    other_skills: Iterable[str],
) -> list[Event]:
    return [
        OpeningPublished(
            opening_id=opening_id, employer_id=employer_id, kind=kind, **terms.model_dump()
        ),
        OpeningDetailsRecorded(
            opening_id=opening_id,
            title=title,
            description=description,
            other_skills=tuple(other_skills),
        ),
    ]


def change_opening(
    state: Opening,
    terms: OpeningTerms,
    details: tuple[str, str, tuple[str, ...]] | None,
) -> list[Event]:
    if state.opening_id is None or state.terms is None:
        raise DomainRuleViolation("The opening does not exist.")
    if state.closed:
        raise DomainRuleViolation("The opening is closed; publish a new one instead.")
    if terms.places < len(state.taken):
        raise DomainRuleViolation(
            f"{len(state.taken)} places are taken; places cannot go below that."
        )
    events: list[Event] = []
    if terms != state.terms:
        events.append(OpeningChanged(opening_id=state.opening_id, **terms.model_dump()))
    if details is not None:
        title, description, other_skills = details
        events.append(
            OpeningDetailsRecorded(
                opening_id=state.opening_id,
                title=title,
                description=description,
                other_skills=other_skills,
            )
        )
    return events


def close_opening(state: Opening, closed_on: date, reason: CloseReason) -> list[Event]:
    if state.opening_id is None:
        raise DomainRuleViolation("The opening does not exist.")
    if state.closed:
        raise DomainRuleViolation("The opening is already closed.")
    return [OpeningClosed(opening_id=state.opening_id, closed_on=closed_on, reason=reason)]


def take_place(state: Opening, match_id: uuid.UUID) -> list[Event]:
    if state.opening_id is None or state.terms is None:
        raise DomainRuleViolation("The opening does not exist.")
    if state.closed:
        raise DomainRuleViolation("The opening is closed.")
    if match_id in state.taken:
        raise DomainRuleViolation("This match already holds a place of the opening.")
    if len(state.taken) >= state.terms.places:
        raise DomainRuleViolation(
            f"The opening is filled: all {state.terms.places} places are taken."
        )
    return [OpeningPlaceTaken(opening_id=state.opening_id, match_id=match_id)]


def release_place(state: Opening, match_id: uuid.UUID) -> list[Event]:
    if state.opening_id is None or match_id not in state.taken:
        return []
    return [OpeningPlaceReleased(opening_id=state.opening_id, match_id=match_id)]


# --- matches ---------------------------------------------------------------------------


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


def evolve_match(state: Match, event: Event) -> Match:
    if isinstance(event, MatchProposed):
        return Match(
            match_id=event.match_id,
            participant_id=event.participant_id,
            opening_id=event.opening_id,
            employer_id=event.employer_id,
            kind=event.kind,
            status=MatchStatus.proposed,
        )
    if isinstance(event, EmployerInterested):
        return replace(state, status=MatchStatus.interested)
    if isinstance(event, InterviewScheduled):
        return replace(state, status=MatchStatus.interview)
    if isinstance(event, OfferMade):
        offer = Offer(event.starts_on, event.hours_per_week, event.permanent)
        return replace(state, status=MatchStatus.offered, offer=offer)
    if isinstance(event, MatchDeclined):
        return replace(state, status=MatchStatus.declined)
    if isinstance(event, PracticePlacementStarted):
        return replace(state, status=MatchStatus.in_placement, placement_id=event.placement_id)
    if isinstance(event, PracticePlacementEnded):
        return replace(state, status=MatchStatus.placement_ended)
    if isinstance(event, JobObtained):
        return replace(state, status=MatchStatus.employed)
    return state


def fold_match(events: Iterable[Event]) -> Match:
    state = Match()
    for event in events:
        state = evolve_match(state, event)
    return state


def propose_match(
    match_id: uuid.UUID,
    participant_id: uuid.UUID,
    opening: Opening,
    *,
    score: float,
    band: str,
) -> list[Event]:
    if opening.opening_id is None or opening.employer_id is None or opening.kind is None:
        raise DomainRuleViolation("The opening does not exist.")
    if opening.status is not OpeningStatus.open:
        raise DomainRuleViolation(f"The opening is {opening.status.value}; nobody can be proposed.")
    return [
        MatchProposed(
            match_id=match_id,
            participant_id=participant_id,
            opening_id=opening.opening_id,
            employer_id=opening.employer_id,
            kind=opening.kind,
            score=score,
            band=band,
        )
    ]


def _require(state: Match, allowed: set[MatchStatus], doing: str) -> uuid.UUID:
    if state.match_id is None or state.status is None:
        raise DomainRuleViolation("The match does not exist.")
    if state.status is MatchStatus.declined:
        raise DomainRuleViolation(f"The match was declined; it cannot be {doing}.")
    if state.status not in allowed:
        raise DomainRuleViolation(
            f"The match is {state.status.value}; it can be {doing} only when "
            f"{' or '.join(sorted(s.value for s in allowed))}."
        )
    return state.match_id


def employer_interested(state: Match, on: date) -> list[Event]:
    match_id = _require(state, {MatchStatus.proposed}, "marked as interesting")
    return [EmployerInterested(match_id=match_id, on=on)]


def schedule_interview(state: Match, on: date) -> list[Event]:
    match_id = _require(state, {MatchStatus.interested, MatchStatus.interview}, "interviewed")
    return [InterviewScheduled(match_id=match_id, on=on)]


def make_offer(
    state: Match, on: date, starts_on: date, hours_per_week: float, permanent: bool | None
) -> list[Event]:
    match_id = _require(state, {MatchStatus.interested, MatchStatus.interview}, "offered")
    if starts_on < on:
        raise ValueError("starts_on is before the offer")
    return [
        OfferMade(
            match_id=match_id,
            on=on,
            starts_on=starts_on,
            hours_per_week=hours_per_week,
            permanent=permanent,
        )
    ]


def decline(state: Match, by: DeclinedBy, on: date, reason: DeclineReason | None) -> list[Event]:
    match_id = _require(
        state,
        {MatchStatus.proposed, MatchStatus.interested, MatchStatus.interview, MatchStatus.offered},
        "declined",
    )
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


def start(
    state: Match,
    placement_id: uuid.UUID,
    *,
    starts_on: date | None,
    hours_per_week: float | None,
    permanent: bool | None,
) -> list[Event]:
    """Start the offered placement (practice kinds) or job (job, apprenticeship)."""
    match_id = _require(state, {MatchStatus.offered}, "started")
    assert state.offer is not None and state.kind is not None
    assert state.participant_id and state.opening_id and state.employer_id
    starts = starts_on or state.offer.starts_on
    hours = hours_per_week or state.offer.hours_per_week
    if state.kind in PRACTICE_KINDS:
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
    chosen = permanent if permanent is not None else state.offer.permanent
    if chosen is None:
        raise DomainRuleViolation(
            "Say whether the job is permanent (in the offer or when starting it)."
        )
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
    state: Match, ends_on: date, outcome: PlacementOutcome, job: JobTerms | None
) -> list[Event]:
    """End a practice placement; turning into a job also records the job obtained."""
    match_id = _require(state, {MatchStatus.in_placement}, "ended")
    assert state.placement_id and state.participant_id and state.opening_id and state.employer_id
    if (outcome is PlacementOutcome.turned_into_job) != (job is not None):
        raise ValueError("job terms are required exactly when the outcome is turned_into_job")
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
