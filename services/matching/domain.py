"""Employers, openings and matches: pure decisions and state folding, no I/O."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from services.matching.events import (
    PRACTICE_KINDS,
    Agreement,
    Band,
    CloseReason,
    DeclinedBy,
    DeclineReason,
    EmployerContactErased,
    EmployerContactRecorded,
    EmployerDetailsRecorded,
    EmployerInterested,
    EmployerRegistered,
    EmployerRegisteredV1,
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
from shared.dates import check_window, not_in_future
from shared.events import Event
from shared.rules import DATE_ORDER, MISSING_FIELD, rule

EMPLOYER = "employer"
OPENING = "opening"
MATCH = "match"


# Every refusal of this service, declared once; the HTTP kit renders each as problem
# details with the rule's code, and the catalogue lists them in the OpenAPI document.
NOT_RECORDED = rule(
    "not-recorded",
    409,
    "Nothing recorded yet",
    service="matching",
    description="The opening or match has no history (the application answers 404 first).",
)
ORGANISATION_NUMBER_TAKEN = rule(
    "organisation-number-taken",
    409,
    "Employer already registered",
    service="matching",
    description="An organisation number is registered once per municipality.",
)
OPENING_CLOSED = rule(
    "opening-closed",
    409,
    "Opening closed",
    service="matching",
    description="A closed opening cannot change, take candidates or close again.",
)
OPENING_FILLED = rule(
    "opening-filled",
    409,
    "Opening filled",
    service="matching",
    description="Every place of the opening is taken by a started placement or job.",
)
PLACES_BELOW_TAKEN = rule(
    "places-below-taken",
    409,
    "Fewer places than taken",
    service="matching",
    description="An opening's places cannot go below the places already taken.",
)
PLACE_ALREADY_HELD = rule(
    "place-already-held",
    409,
    "Place already held",
    service="matching",
    description="A match holds at most one place of its opening.",
)
MATCH_STEP = rule(
    "match-step-not-allowed",
    409,
    "Step not allowed in the match's status",
    service="matching",
    description="The workflow runs proposed → interested → interview → offered → started → "
    "ended; a declined match takes no further step.",
)
HARD_REQUIREMENT = rule(
    "hard-requirement",
    409,
    "Hard requirement not met",
    service="matching",
    description="The candidate lacks a driving licence class or qualification the opening "
    "requires (or has not shared it).",
)
LIVE_MATCH_EXISTS = rule(
    "live-match-exists",
    409,
    "Live match exists",
    service="matching",
    description="A participant has at most one live match per opening.",
)
MENTOR_CAPACITY = rule(
    "mentor-capacity",
    409,
    "Employer's mentor capacity reached",
    service="matching",
    description="Every participant in a practice placement (started or scheduled, not ended) "
    "takes one of the employer's mentors; a placement cannot start beyond the capacity.",
)
CANDIDATE_ERASED = rule(
    "candidate-erased",
    409,
    "Participant's data erased",
    service="matching",
    description="The participant's data was erased; the match cannot go on.",
)
CANDIDATE_LEFT = rule(
    "candidate-left",
    409,
    "Participant left the municipality",
    service="matching",
    description="The participant moved to another municipality, emigrated or died on or "
    "before the day the placement or job would start.",
)
JOB_TERMS_WITHOUT_JOB = rule(
    "job-terms-without-job",
    422,
    "Job terms for an outcome that is not a job",
    service="matching",
    description="`job` is given exactly when a placement ends with `turned_into_job`.",
)


def stream_id(stream_type: str, entity_id: uuid.UUID) -> str:
    return f"{stream_type}-{entity_id}"


# --- employers -------------------------------------------------------------------------


@dataclass(frozen=True)
class SealedContact:
    """An employer's contact person, sealed under the contact's own key (see application)."""

    contact_id: uuid.UUID
    sealed: str


@dataclass(frozen=True)
class Employer:
    employer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    contact_in_clear: bool = False
    """A contact recorded before contacts were sealed (in ``details_recorded``)."""


def evolve_employer(state: Employer, event: Event) -> Employer:
    if isinstance(event, EmployerRegistered | EmployerRegisteredV1):
        return replace(state, employer_id=event.employer_id)
    if isinstance(event, EmployerContactRecorded):
        return replace(state, contact_id=event.contact_id)
    if isinstance(event, EmployerContactErased):
        return replace(state, contact_id=None, contact_in_clear=False)
    if isinstance(event, EmployerDetailsRecorded) and event.contact is not None:
        return replace(state, contact_in_clear=True)
    return state


def fold_employer(events: Iterable[Event]) -> Employer:
    state = Employer()
    for event in events:
        state = evolve_employer(state, event)
    return state


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
    opening_id = _existing(state)
    if state.closed:
        raise OPENING_CLOSED.violation(
            "The opening is closed; publish a new one instead.", "opening_id"
        )
    if terms.places < len(state.taken):
        raise PLACES_BELOW_TAKEN.violation(
            f"{len(state.taken)} places are taken; places cannot go below that.",
            "places",
            places=terms.places,
            places_taken=len(state.taken),
        )
    events: list[Event] = []
    if terms != state.terms:
        events.append(OpeningChanged(opening_id=opening_id, **terms.model_dump()))
    if details is not None:
        title, description, other_skills = details
        events.append(
            OpeningDetailsRecorded(
                opening_id=opening_id,
                title=title,
                description=description,
                other_skills=other_skills,
            )
        )
    return events


def _existing(state: Opening) -> uuid.UUID:
    if state.opening_id is None or state.terms is None:
        raise NOT_RECORDED.violation("The opening does not exist.", "opening_id")
    return state.opening_id


def close_opening(
    state: Opening, closed_on: date, reason: CloseReason, *, today: date
) -> list[Event]:
    opening_id = _existing(state)
    not_in_future("closed_on", closed_on, today, "Closing an opening")
    if state.closed:
        raise OPENING_CLOSED.violation("The opening is already closed.", "opening_id")
    return [OpeningClosed(opening_id=opening_id, closed_on=closed_on, reason=reason)]


def take_place(state: Opening, match_id: uuid.UUID) -> list[Event]:
    opening_id = _existing(state)
    assert state.terms is not None
    if state.closed:
        raise OPENING_CLOSED.violation("The opening is closed.", "opening_id")
    if match_id in state.taken:
        raise PLACE_ALREADY_HELD.violation(
            "This match already holds a place of the opening.", "match_id"
        )
    if len(state.taken) >= state.terms.places:
        raise OPENING_FILLED.violation(
            f"The opening is filled: all {state.terms.places} places are taken.",
            "opening_id",
            places=state.terms.places,
            places_taken=len(state.taken),
        )
    return [OpeningPlaceTaken(opening_id=opening_id, match_id=match_id)]


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
        offer = Offer(event.on, event.starts_on, event.hours_per_week, event.permanent)
        return replace(state, status=MatchStatus.offered, offer=offer)
    if isinstance(event, MatchDeclined):
        return replace(state, status=MatchStatus.declined)
    if isinstance(event, PracticePlacementStarted):
        return replace(
            state,
            status=MatchStatus.in_placement,
            placement_id=event.placement_id,
            started_on=event.starts_on,
        )
    if isinstance(event, PracticePlacementEnded):
        return replace(state, status=MatchStatus.placement_ended)
    if isinstance(event, JobObtained):
        return replace(
            state, status=MatchStatus.employed, started_on=state.started_on or event.starts_on
        )
    return state


def fold_match(events: Iterable[Event]) -> Match:
    state = Match()
    for event in events:
        state = evolve_match(state, event)
    return state


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
