"""The dwelling aggregate (stream ``dwelling-<id>``): attributes, status and its tenancies,
and the basis of its cost rent on any date."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import reduce
from typing import Any

from services.housing.domain import allocation
from services.housing.domain.calendar import happened, not_before
from services.housing.domain.rules import DWELLING_OCCUPIED, DWELLING_SOLD, OCCUPIED_BY_ALLOCATION
from services.housing.events import (
    ChangeCause,
    DwellingAddressRecorded,
    DwellingChanged,
    DwellingRegistered,
    DwellingStatus,
    Ownership,
    Standard,
)
from shared.events import Event


@dataclass(frozen=True)
class Tenancy:
    """One household's stay in the dwelling: [starts_on, ends_on), open while ends_on is None."""

    placement_id: uuid.UUID
    starts_on: date
    ends_on: date | None = None

    def overlaps_from(self, starts_on: date) -> bool:
        """Does a new open-ended tenancy from ``starts_on`` overlap this one?

        The day one household moves out another may move in, so periods are half-open.
        """
        return self.ends_on is None or self.ends_on > starts_on

    def period(self) -> str:
        end = self.ends_on.isoformat() if self.ends_on else "open"
        return f"{self.starts_on.isoformat()} – {end}"


@dataclass(frozen=True)
class Dwelling:
    dwelling_id: uuid.UUID | None = None
    district: str = ""
    rooms: int = 1
    size_m2: float = 0.0
    floor: int = 0
    has_lift: bool = False
    accessible: bool = False
    ownership: Ownership = Ownership.municipal
    standard: Standard = Standard.normal
    status: DwellingStatus = DwellingStatus.vacant
    valuation: int | None = None
    registered_on: date | None = None
    status_since: date | None = None
    placement_id: uuid.UUID | None = None
    tenancies: tuple[Tenancy, ...] = ()

    @property
    def exists(self) -> bool:
        return self.dwelling_id is not None

    def facts(self) -> allocation.DwellingFacts:
        return allocation.DwellingFacts(
            rooms=self.rooms,
            floor=self.floor,
            has_lift=self.has_lift,
            accessible=self.accessible,
            district=self.district,
        )


ATTRIBUTES = (
    "district",
    "rooms",
    "size_m2",
    "floor",
    "has_lift",
    "accessible",
    "ownership",
    "standard",
    "valuation",
)


def evolve_dwelling(state: Dwelling, event: Event) -> Dwelling:
    match event:
        case DwellingRegistered():
            return Dwelling(
                dwelling_id=event.dwelling_id,
                district=event.district,
                rooms=event.rooms,
                size_m2=event.size_m2,
                floor=event.floor,
                has_lift=event.has_lift,
                accessible=event.accessible,
                ownership=event.ownership,
                standard=event.standard,
                status=event.status,
                valuation=event.valuation,
                registered_on=event.registered_on,
                status_since=event.registered_on,
            )
        case DwellingChanged():
            changes: dict[str, Any] = {
                name: getattr(event, name)
                for name in ATTRIBUTES
                if getattr(event, name) is not None
            }
            if event.status is not None:
                changes["status"] = event.status
                changes["status_since"] = event.changed_on
                changes["placement_id"] = (
                    event.placement_id if event.status is DwellingStatus.occupied else None
                )
            if event.cause is ChangeCause.placement_started and event.placement_id is not None:
                changes["tenancies"] = (
                    *state.tenancies,
                    Tenancy(event.placement_id, event.changed_on),
                )
            elif event.placement_id is not None and event.cause in (
                ChangeCause.placement_ended,
                ChangeCause.sold_to_tenant,
            ):
                changes["tenancies"] = tuple(
                    replace(t, ends_on=event.changed_on)
                    if t.placement_id == event.placement_id
                    else t
                    for t in state.tenancies
                )
            return replace(state, **changes)
    return state


def fold_dwelling(events: Iterable[Event]) -> Dwelling:
    return reduce(evolve_dwelling, events, Dwelling())


def register_dwelling(
    dwelling_id: uuid.UUID,
    *,
    address: str,
    district: str,
    rooms: int,
    size_m2: float,
    floor: int,
    has_lift: bool,
    accessible: bool,
    ownership: Ownership,
    standard: Standard,
    status: DwellingStatus,
    valuation: int | None,
    registered_on: date,
    today: date,
) -> list[Event]:
    happened("registered_on", registered_on, today, "The registration")
    if status not in (DwellingStatus.vacant, DwellingStatus.under_renovation):
        raise OCCUPIED_BY_ALLOCATION.violation(
            "A new dwelling is vacant or under renovation; it becomes occupied only through "
            "an allocation (POST /housing/placements).",
            "status",
            status=status.value,
        )
    return [
        DwellingRegistered(
            dwelling_id=dwelling_id,
            district=district,
            rooms=rooms,
            size_m2=size_m2,
            floor=floor,
            has_lift=has_lift,
            accessible=accessible,
            ownership=ownership,
            standard=standard,
            status=status,
            valuation=valuation,
            registered_on=registered_on,
        ),
        DwellingAddressRecorded(dwelling_id=dwelling_id, address=address),
    ]


def change_dwelling(
    state: Dwelling,
    changed_on: date,
    *,
    today: date,
    address: str | None = None,
    **changes: Any,
) -> list[Event]:
    """An officer's edit. Status may go vacant ⇄ under renovation, or to sold from either.

    Attributes (valuation, size, standard) may be backdated: ``changed_on`` is the day they
    took effect, which is what cost rent on a past date reads. A status change cannot be
    dated before the current status began: the dwelling's status timeline has no gaps.
    """
    assert state.dwelling_id is not None
    happened("changed_on", changed_on, today, "The change")
    if state.status is DwellingStatus.sold:
        raise DWELLING_SOLD.violation(
            "This dwelling was sold and has left the rental stock; it can no longer be changed.",
            sold_on=state.status_since,
        )
    new_status = changes.get("status")
    if new_status is not None and new_status != state.status:
        if new_status is DwellingStatus.occupied:
            raise OCCUPIED_BY_ALLOCATION.violation(
                "A dwelling becomes occupied only by allocating it to a household "
                "(POST /housing/placements).",
                "status",
            )
        if state.status is DwellingStatus.occupied:
            raise DWELLING_OCCUPIED.violation(
                f"The dwelling is occupied (placement {state.placement_id}); end that "
                "placement before changing its status.",
                "status",
                placement_id=str(state.placement_id),
            )
        if state.status_since is not None:
            not_before(
                "changed_on",
                changed_on,
                "status_since",
                state.status_since,
                f"the dwelling became {state.status.value.replace('_', ' ')}",
            )
    if state.registered_on is not None:
        not_before(
            "changed_on", changed_on, "registered_on", state.registered_on, "the registration"
        )
    differing = {
        name: value
        for name, value in changes.items()
        if value is not None and getattr(state, name) != value
    }
    if new_status is not None and new_status == state.status:
        differing.pop("status", None)
    events: list[Event] = []
    if differing:
        events.append(
            DwellingChanged(
                dwelling_id=state.dwelling_id,
                changed_on=changed_on,
                cause=ChangeCause.edited,
                **differing,
            )
        )
    if address is not None:
        events.append(DwellingAddressRecorded(dwelling_id=state.dwelling_id, address=address))
    return events


@dataclass(frozen=True)
class RentBasis:
    """The dwelling's size, standard and valuation in force on one date (by effective date)."""

    size_m2: float
    standard: Standard
    valuation: int | None


def basis_on(events: Iterable[Event], on: date) -> RentBasis | None:
    """Size, standard and valuation in force on ``on``; None before the dwelling existed.

    A backdated change takes effect on its ``changed_on``; of two changes with the same
    effective date the later recorded wins.
    """
    registered: DwellingRegistered | None = None
    changes: list[tuple[date, int, DwellingChanged]] = []
    for position, event in enumerate(events):
        if isinstance(event, DwellingRegistered):
            registered = event
        elif isinstance(event, DwellingChanged):
            changes.append((event.changed_on, position, event))
    if registered is None or on < registered.registered_on:
        return None
    size, standard, valuation = registered.size_m2, registered.standard, registered.valuation
    for changed_on, _, change in sorted(changes, key=lambda c: (c[0], c[1])):
        if changed_on > on:
            break
        size = change.size_m2 if change.size_m2 is not None else size
        standard = change.standard if change.standard is not None else standard
        valuation = change.valuation if change.valuation is not None else valuation
    return RentBasis(size, standard, valuation)
