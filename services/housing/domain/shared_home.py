"""The shared home (bofellesskap) for unaccompanied minors: a dwelling of places, not
rooms (stream ``shared-home-<id>``).

A shared home has a number of places, which may change from a date; each unaccompanied
minor placed there holds one place over a half-open stay ``[starts_on, ends_on)`` (the
day one youth moves out another may move in). On no day may more youths live there
than it has places that day, and a youth holds at most one place at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import reduce

from services.housing.domain.calendar import happened, not_before
from services.housing.domain.rules import _housing
from services.housing.events import (
    MinorLeftSharedHome,
    MinorPlacedInSharedHome,
    SharedHomePlacesChanged,
    SharedHomeRegistered,
)
from shared.events import Event

SHARED_HOME = "shared_home"

SHARED_HOME_FULL = _housing(
    "shared-home-full",
    409,
    "The shared home has no free place",
    "On some day of the stay every place of the shared home would be taken.",
)
SHARED_HOME_PLACES_TAKEN = _housing(
    "shared-home-places-taken",
    409,
    "More youths than places",
    "The places of a shared home cannot fall below the youths living there from that day.",
)
MINOR_ALREADY_PLACED = _housing(
    "minor-already-placed",
    409,
    "The youth already has a place",
    "A youth holds at most one place in a shared home at a time; end that stay first.",
)
# Shared with the participants service's rule of the same code (same status and title).
NOT_UNACCOMPANIED_MINOR = _housing(
    "not-unaccompanied-minor",
    409,
    "Not settled as an unaccompanied minor",
    "A place in a shared home is for a participant settled in the municipality as an "
    "unaccompanied minor (participant.settled with unaccompanied_minor).",
)
SHARED_HOME_STAY_UNKNOWN = _housing(
    "shared-home-stay-unknown",
    409,
    "No such open stay",
    "Only an open stay in this shared home can end, once.",
)


def shared_home_stream(shared_home_id: uuid.UUID) -> str:
    return f"shared-home-{shared_home_id}"


@dataclass(frozen=True)
class Stay:
    placement_id: uuid.UUID
    participant_id: uuid.UUID
    starts_on: date
    ends_on: date | None = None

    def covers(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day < self.ends_on)


@dataclass(frozen=True)
class SharedHome:
    shared_home_id: uuid.UUID | None = None
    district: str = ""
    registered_on: date | None = None
    places: tuple[tuple[date, int], ...] = ()
    """``(from, places)``, in date order."""
    stays: tuple[Stay, ...] = ()

    def places_on(self, day: date) -> int:
        found = 0
        for since, places in self.places:
            if since <= day:
                found = places
        return found

    def occupied_on(self, day: date) -> int:
        return sum(stay.covers(day) for stay in self.stays)

    def _days_from(self, day: date, stays: Iterable[Stay]) -> list[date]:
        # Occupancy changes only on a stay's start and places only on a change: checking
        # those days (and the first) checks every day.
        days = {day, *(s.starts_on for s in stays), *(since for since, _ in self.places)}
        return sorted(d for d in days if d >= day)


def apply(state: SharedHome, event: Event) -> SharedHome:
    match event:
        case SharedHomeRegistered():
            return SharedHome(
                event.shared_home_id,
                event.district,
                event.registered_on,
                ((event.registered_on, event.places),),
            )
        case SharedHomePlacesChanged():
            places = tuple(sorted((*state.places, (event.changed_on, event.places))))
            return replace(state, places=places)
        case MinorPlacedInSharedHome():
            stay = Stay(event.placement_id, event.participant_id, event.starts_on)
            return replace(state, stays=(*state.stays, stay))
        case MinorLeftSharedHome():
            stays = tuple(
                replace(s, ends_on=event.ends_on) if s.placement_id == event.placement_id else s
                for s in state.stays
            )
            return replace(state, stays=stays)
    return state


def fold_shared_home(events: Iterable[Event]) -> SharedHome:
    return reduce(apply, events, SharedHome())


def register(
    shared_home_id: uuid.UUID, district: str, places: int, registered_on: date, today: date
) -> list[Event]:
    happened("registered_on", registered_on, today, "A registration")
    return [
        SharedHomeRegistered(
            shared_home_id=shared_home_id,
            district=district,
            places=places,
            registered_on=registered_on,
        )
    ]


def _registered(state: SharedHome) -> tuple[uuid.UUID, date]:
    assert state.shared_home_id is not None and state.registered_on is not None
    return state.shared_home_id, state.registered_on


def change_places(state: SharedHome, places: int, changed_on: date, today: date) -> list[Event]:
    home_id, registered_on = _registered(state)
    happened("changed_on", changed_on, today, "A change of places")
    not_before("changed_on", changed_on, "registered_on", registered_on, "the registration")
    later = [since for since, _ in state.places if since > changed_on]
    for day in state._days_from(changed_on, state.stays):
        if later and day >= later[0]:
            break
        taken = state.occupied_on(day)
        if taken > places:
            raise SHARED_HOME_PLACES_TAKEN.violation(
                f"{taken} youths live in the shared home on {day.isoformat()}; it cannot have "
                f"{places} places from {changed_on.isoformat()}.",
                "places",
                occupied=taken,
                on=day,
            )
    return [SharedHomePlacesChanged(shared_home_id=home_id, places=places, changed_on=changed_on)]


def place(
    state: SharedHome,
    placement_id: uuid.UUID,
    participant_id: uuid.UUID,
    starts_on: date,
    today: date,
) -> list[Event]:
    """Give the youth a place from ``starts_on`` (open-ended) if one is free on every day."""
    home_id, registered_on = _registered(state)
    happened("starts_on", starts_on, today, "A placement")
    not_before("starts_on", starts_on, "registered_on", registered_on, "the registration")
    mine = [s for s in state.stays if s.participant_id == participant_id]
    for stay in mine:
        if stay.ends_on is None or stay.ends_on > starts_on:
            raise MINOR_ALREADY_PLACED.violation(
                f"The youth has a place here since {stay.starts_on.isoformat()}.",
                "participant_id",
                placement_id=str(stay.placement_id),
            )
    for day in state._days_from(starts_on, state.stays):
        places = state.places_on(day)
        if state.occupied_on(day) + 1 > places:
            raise SHARED_HOME_FULL.violation(
                f"All {places} places are taken on {day.isoformat()}.",
                "starts_on",
                places=places,
                on=day,
            )
    return [
        MinorPlacedInSharedHome(
            shared_home_id=home_id,
            placement_id=placement_id,
            participant_id=participant_id,
            starts_on=starts_on,
        )
    ]


def leave(state: SharedHome, placement_id: uuid.UUID, ends_on: date, today: date) -> list[Event]:
    home_id, _ = _registered(state)
    stay = next((s for s in state.stays if s.placement_id == placement_id), None)
    if stay is None or stay.ends_on is not None:
        raise SHARED_HOME_STAY_UNKNOWN.violation(
            f"No open stay {placement_id} in this shared home.", "placement_id"
        )
    happened("ends_on", ends_on, today, "A move out")
    not_before("ends_on", ends_on, "starts_on", stay.starts_on, "the stay's start")
    return [
        MinorLeftSharedHome(
            shared_home_id=home_id,
            placement_id=placement_id,
            participant_id=stay.participant_id,
            ends_on=ends_on,
        )
    ]
