"""Openings: publication, changes, closure and the places they offer."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from services.matching.domain.rules import (
    NOT_RECORDED,
    OPENING_CLOSED,
    OPENING_FILLED,
    PLACE_ALREADY_HELD,
    PLACES_BELOW_TAKEN,
)
from services.matching.domain.streams import fold
from services.matching.events import (
    CloseReason,
    OpeningChanged,
    OpeningClosed,
    OpeningDetailsRecorded,
    OpeningKind,
    OpeningPlaceReleased,
    OpeningPlaceTaken,
    OpeningPublished,
    OpeningTerms,
)
from shared.dates import not_in_future
from shared.events import Event


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
    return fold(Opening(), evolve_opening, events)


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
