"""The household aggregate (stream ``household-<id>``): applications and placements."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import reduce
from typing import Any

from services.housing.domain import allocation
from services.housing.domain.calendar import happened, not_before
from services.housing.domain.dwelling import Dwelling
from services.housing.domain.rules import (
    APPLICATION_DECIDED,
    APPLICATION_NOT_ACCEPTED,
    APPLICATION_OPEN,
    BEFORE_SETTLEMENT,
    DWELLING_NOT_VACANT,
    DWELLING_OCCUPIED,
    END_REASON_ENDPOINT,
    HOUSEHOLD_HOUSED,
    HOUSEHOLD_LEFT,
    MEMBER_AGES,
    OCCUPANCY_NORM,
    PLACEMENT_ENDED,
    TENANCY_OVERLAP,
    UNKNOWN_REFERENCE,
)
from services.housing.events import (
    ChangeCause,
    Decision,
    DwellingChanged,
    DwellingStatus,
    EndReason,
    EvictionGrounds,
    EvictionRecorded,
    HouseholdBecameOwner,
    HousingApplicationDecided,
    HousingApplicationNeedsRecorded,
    HousingApplicationReceived,
    MemberNeedsRecorded,
    OwnershipRoute,
    PlacementEnded,
    PlacementStarted,
    RentToOwnAgreed,
    StartLoanApplied,
    StartLoanDecided,
    StartLoanDisbursed,
    Urgency,
)
from shared.events import Event


@dataclass(frozen=True)
class HouseholdFacts:
    """What housing knows about the household from the participants service (read model)."""

    settled_on: date | None = None
    left_on: date | None = None
    left_reason: str | None = None
    departures: tuple[date, ...] = ()
    """The days members left (moved away, died, emigrated, left the household)."""
    members: tuple[tuple[uuid.UUID, date | None], ...] = ()
    """Every settled member and the day they left (None while they live there)."""
    forgotten: bool = False
    """Every member was erased: housing no longer knows who the household was."""

    def present_on(self, on: date) -> frozenset[uuid.UUID]:
        return frozenset(pid for pid, gone in self.members if gone is None or gone > on)

    def check_members(self, needs: tuple[MemberNeeds, ...], on: date) -> None:
        """Needs are recorded for members who live in the household on ``on``."""
        present = self.present_on(on)
        for need in needs:
            if need.participant_id not in present:
                raise UNKNOWN_REFERENCE.violation(
                    f"Participant {need.participant_id} is not a member of the household on "
                    f"{on.isoformat()} (from participant.settled, less those who left).",
                    "members",
                    participant_id=str(need.participant_id),
                )

    def size_for(self, applied_size: int, received_on: date, on: date) -> int:
        """The application's size on ``on``: one member fewer for each who left since."""
        gone = sum(1 for day in self.departures if received_on < day <= on)
        return max(applied_size - gone, 0)

    def check_present(self, field: str, on: date) -> None:
        if self.forgotten:
            raise HOUSEHOLD_LEFT.violation(
                "Every member of the household was erased; nothing new is recorded for it.",
                field,
                **{field: on, "reason": "erased"},
            )
        if self.left_on is not None and on >= self.left_on:
            raise HOUSEHOLD_LEFT.violation(
                f"The household left on {self.left_on.isoformat()} ({self.left_reason}); "
                f"{field} {on.isoformat()} is on or after that.",
                field,
                **{field: on, "left_on": self.left_on, "reason": self.left_reason},
            )


@dataclass(frozen=True)
class MemberNeeds:
    """One member's accessibility needs, recorded for an application (health data)."""

    participant_id: uuid.UUID
    needs_wheelchair_access: bool = False
    needs_step_free: bool = False


NOTHING_KNOWN = HouseholdFacts()
"""No settlement facts yet (the participants events have not arrived)."""


@dataclass(frozen=True)
class Application:
    application_id: uuid.UUID
    household_size: int
    urgency: Urgency
    received_on: date
    member_ages: tuple[int, ...] = ()
    needs_wheelchair_access: bool = False
    needs_step_free: bool = False
    district_wishes: tuple[str, ...] = ()
    status: str = "pending"
    decided_on: date | None = None
    placement_id: uuid.UUID | None = None
    member_needs: tuple[MemberNeeds, ...] = ()

    @property
    def open(self) -> bool:
        return self.status in ("pending", "accepted")

    def candidate(
        self, household_id: uuid.UUID, present: frozenset[uuid.UUID] | None = None
    ) -> allocation.Candidate:
        """The application as a candidate; a member's needs count while they live there."""
        members = [n for n in self.member_needs if present is None or n.participant_id in present]
        return allocation.Candidate(
            application_id=self.application_id,
            household_id=household_id,
            household_size=self.household_size,
            member_ages=self.member_ages,
            needs_wheelchair_access=self.needs_wheelchair_access
            or any(n.needs_wheelchair_access for n in members),
            needs_step_free=self.needs_step_free or any(n.needs_step_free for n in members),
            district_wishes=self.district_wishes,
            urgency=self.urgency.value,
            received_on=self.received_on,
        )


@dataclass(frozen=True)
class Placement:
    placement_id: uuid.UUID
    dwelling_id: uuid.UUID
    application_id: uuid.UUID
    starts_on: date
    ends_on: date | None = None
    reason: EndReason | None = None

    @property
    def active(self) -> bool:
        return self.ends_on is None


@dataclass(frozen=True)
class Agreement:
    agreement_id: uuid.UUID
    dwelling_id: uuid.UUID
    placement_id: uuid.UUID
    agreed_on: date
    rent_period_years: int
    price: int
    purchase_from: date
    status: str = "active"
    closed_on: date | None = None


@dataclass(frozen=True)
class Loan:
    loan_id: uuid.UUID
    applied_on: date
    purchase_price: int
    status: str = "applied"
    decided_on: date | None = None
    loan_amount: int = 0
    grant_amount: int = 0
    disbursed_on: date | None = None


@dataclass(frozen=True)
class Household:
    household_id: uuid.UUID | None = None
    applications: dict[uuid.UUID, Application] = field(default_factory=dict)
    placements: dict[uuid.UUID, Placement] = field(default_factory=dict)
    agreements: dict[uuid.UUID, Agreement] = field(default_factory=dict)
    loans: dict[uuid.UUID, Loan] = field(default_factory=dict)
    owner_since: date | None = None
    owner_route: OwnershipRoute | None = None

    @property
    def open_application(self) -> Application | None:
        return next((a for a in self.applications.values() if a.open), None)

    @property
    def active_placement(self) -> Placement | None:
        return next((p for p in self.placements.values() if p.active), None)

    @property
    def active_agreement(self) -> Agreement | None:
        return next((a for a in self.agreements.values() if a.status == "active"), None)


def _with(mapping: dict[uuid.UUID, Any], key: uuid.UUID, value: Any) -> dict[uuid.UUID, Any]:
    return {**mapping, key: value}


def evolve_household(state: Household, event: Event) -> Household:
    match event:
        case HousingApplicationReceived():
            app = Application(
                event.application_id, event.household_size, event.urgency, event.received_on
            )
            return replace(
                state,
                household_id=event.household_id,
                applications=_with(state.applications, event.application_id, app),
            )
        case HousingApplicationNeedsRecorded():
            app = replace(
                state.applications[event.application_id],
                member_ages=event.member_ages,
                needs_wheelchair_access=event.needs_wheelchair_access,
                needs_step_free=event.needs_step_free,
                district_wishes=event.district_wishes,
                member_needs=(),
            )
            return replace(state, applications=_with(state.applications, app.application_id, app))
        case MemberNeedsRecorded():
            before = state.applications[event.application_id]
            need = MemberNeeds(
                event.participant_id, event.needs_wheelchair_access, event.needs_step_free
            )
            app = replace(
                before,
                member_needs=(
                    *(n for n in before.member_needs if n.participant_id != need.participant_id),
                    need,
                ),
            )
            return replace(state, applications=_with(state.applications, app.application_id, app))
        case HousingApplicationDecided():
            app = replace(
                state.applications[event.application_id],
                status=event.decision.value,
                decided_on=event.decided_on,
            )
            return replace(state, applications=_with(state.applications, app.application_id, app))
        case PlacementStarted():
            placement = Placement(
                event.placement_id, event.dwelling_id, event.application_id, event.starts_on
            )
            app = replace(
                state.applications[event.application_id],
                status="housed",
                placement_id=event.placement_id,
            )
            return replace(
                state,
                household_id=event.household_id,
                placements=_with(state.placements, event.placement_id, placement),
                applications=_with(state.applications, app.application_id, app),
            )
        case PlacementEnded():
            placement = replace(
                state.placements[event.placement_id], ends_on=event.ends_on, reason=event.reason
            )
            agreements = {
                key: (
                    replace(agreement, status="lapsed", closed_on=event.ends_on)
                    if agreement.placement_id == event.placement_id
                    and agreement.status == "active"
                    and event.reason is not EndReason.bought_home
                    else agreement
                )
                for key, agreement in state.agreements.items()
            }
            return replace(
                state,
                placements=_with(state.placements, event.placement_id, placement),
                agreements=agreements,
            )
        case RentToOwnAgreed():
            agreement = Agreement(
                event.agreement_id,
                event.dwelling_id,
                event.placement_id,
                event.agreed_on,
                event.rent_period_years,
                event.price,
                event.purchase_from,
            )
            return replace(state, agreements=_with(state.agreements, event.agreement_id, agreement))
        case StartLoanApplied():
            loan = Loan(event.loan_id, event.applied_on, event.purchase_price)
            return replace(
                state,
                household_id=event.household_id,
                loans=_with(state.loans, event.loan_id, loan),
            )
        case StartLoanDecided():
            loan = replace(
                state.loans[event.loan_id],
                status="approved" if event.approved else "rejected",
                decided_on=event.decided_on,
                loan_amount=event.loan_amount,
                grant_amount=event.grant_amount,
            )
            return replace(state, loans=_with(state.loans, event.loan_id, loan))
        case StartLoanDisbursed():
            loan = replace(
                state.loans[event.loan_id], status="disbursed", disbursed_on=event.disbursed_on
            )
            return replace(state, loans=_with(state.loans, event.loan_id, loan))
        case HouseholdBecameOwner():
            agreements = {
                key: (
                    replace(
                        agreement,
                        status="completed" if key == event.agreement_id else "lapsed",
                        closed_on=event.became_owner_on,
                    )
                    if agreement.status == "active"
                    else agreement
                )
                for key, agreement in state.agreements.items()
            }
            loans = state.loans
            if event.loan_id is not None:
                loans = _with(loans, event.loan_id, replace(loans[event.loan_id], status="used"))
            return replace(
                state,
                owner_since=event.became_owner_on,
                owner_route=event.route,
                agreements=agreements,
                loans=loans,
            )
    return state


def fold_household(events: Iterable[Event]) -> Household:
    return reduce(evolve_household, events, Household())


def _application(state: Household, application_id: uuid.UUID) -> Application:
    app = state.applications.get(application_id)
    if app is None:
        raise UNKNOWN_REFERENCE.violation(
            f"Application {application_id} is not this household's.",
            "application_id",
            application_id=str(application_id),
        )
    return app


def receive_application(
    state: Household,
    household_id: uuid.UUID,
    application_id: uuid.UUID,
    *,
    household_size: int,
    member_ages: tuple[int, ...],
    needs_wheelchair_access: bool,
    needs_step_free: bool,
    district_wishes: tuple[str, ...],
    urgency: Urgency,
    received_on: date,
    today: date,
    facts: HouseholdFacts = NOTHING_KNOWN,
    members: tuple[MemberNeeds, ...] = (),
) -> list[Event]:
    happened("received_on", received_on, today, "The application")
    facts.check_present("received_on", received_on)
    facts.check_members(members, received_on)
    if member_ages and len(member_ages) != household_size:
        raise MEMBER_AGES.violation(
            f"member_ages lists {len(member_ages)} ages for a household of {household_size}; "
            "give one age per member or none.",
            "member_ages",
            ages=len(member_ages),
            household_size=household_size,
        )
    current = state.open_application
    if current is not None:
        raise APPLICATION_OPEN.violation(
            f"The household already has an open application ({current.application_id}, "
            f"received {current.received_on.isoformat()}, {current.status}); decide or "
            "withdraw it before registering a new one.",
            application_id=str(current.application_id),
            received_on=current.received_on,
        )
    return [
        HousingApplicationReceived(
            application_id=application_id,
            household_id=household_id,
            household_size=household_size,
            received_on=received_on,
            urgency=urgency,
        ),
        HousingApplicationNeedsRecorded(
            application_id=application_id,
            household_id=household_id,
            member_ages=member_ages,
            needs_wheelchair_access=needs_wheelchair_access,
            needs_step_free=needs_step_free,
            district_wishes=district_wishes,
        ),
        *_member_needs(application_id, household_id, members),
    ]


def _member_needs(
    application_id: uuid.UUID, household_id: uuid.UUID, members: tuple[MemberNeeds, ...]
) -> list[Event]:
    return [
        MemberNeedsRecorded(
            application_id=application_id,
            household_id=household_id,
            participant_id=need.participant_id,
            needs_wheelchair_access=need.needs_wheelchair_access,
            needs_step_free=need.needs_step_free,
        )
        for need in members
    ]


def record_needs(
    state: Household,
    application_id: uuid.UUID,
    *,
    member_ages: tuple[int, ...],
    needs_wheelchair_access: bool,
    needs_step_free: bool,
    district_wishes: tuple[str, ...],
    today: date,
    facts: HouseholdFacts = NOTHING_KNOWN,
    members: tuple[MemberNeeds, ...] = (),
) -> list[Event]:
    """New ages, needs and wishes for an open application (e.g. after an erasure removed
    them, or a member left): they replace the recorded ones, the waiting time stays."""
    assert state.household_id is not None
    app = _application(state, application_id)
    if not app.open:
        raise APPLICATION_DECIDED.violation(
            f"The application is {app.status}; needs are recorded for a pending or accepted "
            "application.",
            status=app.status,
        )
    facts.check_present("today", today)
    facts.check_members(members, today)
    size = facts.size_for(app.household_size, app.received_on, today)
    if member_ages and len(member_ages) != size:
        raise MEMBER_AGES.violation(
            f"member_ages lists {len(member_ages)} ages for a household of {size} today; "
            "give one age per member or none.",
            "member_ages",
            ages=len(member_ages),
            household_size=size,
        )
    return [
        HousingApplicationNeedsRecorded(
            application_id=application_id,
            household_id=state.household_id,
            member_ages=member_ages,
            needs_wheelchair_access=needs_wheelchair_access,
            needs_step_free=needs_step_free,
            district_wishes=district_wishes,
        ),
        *_member_needs(application_id, state.household_id, members),
    ]


def decide_application(
    state: Household,
    application_id: uuid.UUID,
    decision: Decision,
    decided_on: date,
    *,
    today: date,
    facts: HouseholdFacts = NOTHING_KNOWN,
) -> list[Event]:
    assert state.household_id is not None
    happened("decided_on", decided_on, today, "The decision")
    if decision is Decision.accepted:
        facts.check_present("decided_on", decided_on)
    app = _application(state, application_id)
    if decision is Decision.withdrawn:
        if not app.open:
            raise APPLICATION_DECIDED.violation(
                f"The application is already {app.status}"
                + (f" (since {app.decided_on.isoformat()})" if app.decided_on else "")
                + "; only a pending or accepted application can be withdrawn.",
                status=app.status,
            )
    elif app.status != "pending":
        raise APPLICATION_DECIDED.violation(
            f"The application was already {app.status}"
            + (f" on {app.decided_on.isoformat()}" if app.decided_on else "")
            + "; a decision is made once.",
            status=app.status,
        )
    not_before("decided_on", decided_on, "received_on", app.received_on, "the application")
    if app.decided_on is not None:
        not_before("decided_on", decided_on, "accepted_on", app.decided_on, "the acceptance")
    return [
        HousingApplicationDecided(
            application_id=application_id,
            household_id=state.household_id,
            decision=decision,
            decided_on=decided_on,
        )
    ]


def start_placement(
    household: Household,
    dwelling: Dwelling,
    placement_id: uuid.UUID,
    application_id: uuid.UUID,
    starts_on: date,
    *,
    today: date,
    facts: HouseholdFacts = NOTHING_KNOWN,
) -> tuple[list[Event], list[Event]]:
    """Allocate ``dwelling`` to the household: (household events, dwelling events).

    The one place that keeps a dwelling's tenancies apart and a household's placements
    after its settlement: a backdated placement is checked against every tenancy the
    dwelling ever had, not only its status today.
    """
    assert household.household_id is not None and dwelling.dwelling_id is not None
    happened("starts_on", starts_on, today, "The move-in")
    app = _application(household, application_id)
    if facts.settled_on is not None and starts_on < facts.settled_on:
        raise BEFORE_SETTLEMENT.violation(
            f"starts_on {starts_on.isoformat()} is before the household was settled "
            f"({facts.settled_on.isoformat()}); a placement starts on or after settlement.",
            "starts_on",
            starts_on=starts_on,
            settled_on=facts.settled_on,
        )
    facts.check_present("starts_on", starts_on)
    if dwelling.status is DwellingStatus.occupied:
        raise DWELLING_OCCUPIED.violation(
            f"The dwelling is already occupied (placement {dwelling.placement_id}, since "
            f"{dwelling.status_since.isoformat() if dwelling.status_since else 'unknown'}); "
            "end that placement before allocating it again.",
            "dwelling_id",
            placement_id=str(dwelling.placement_id),
            since=dwelling.status_since,
        )
    if dwelling.status is not DwellingStatus.vacant:
        raise DWELLING_NOT_VACANT.violation(
            f"The dwelling is {dwelling.status.value.replace('_', ' ')}; only a vacant "
            "dwelling can be allocated.",
            "dwelling_id",
            status=dwelling.status.value,
        )
    for tenancy in dwelling.tenancies:
        if tenancy.overlaps_from(starts_on):
            raise TENANCY_OVERLAP.violation(
                f"A tenancy from starts_on {starts_on.isoformat()} would overlap the "
                f"dwelling's tenancy {tenancy.period()} (placement {tenancy.placement_id}); "
                "a dwelling has one tenancy at a time.",
                "starts_on",
                starts_on=starts_on,
                other_placement_id=str(tenancy.placement_id),
                other_starts_on=tenancy.starts_on,
                other_ends_on=tenancy.ends_on,
            )
    if dwelling.status_since is not None:
        not_before(
            "starts_on", starts_on, "vacant_since", dwelling.status_since, "the dwelling's vacancy"
        )
    current = household.active_placement
    if current is not None:
        raise HOUSEHOLD_HOUSED.violation(
            f"The household already lives in dwelling {current.dwelling_id} (placement "
            f"{current.placement_id} since {current.starts_on.isoformat()}); a household has "
            "one placement at a time — end that one first (e.g. reason 'other' for a move "
            "between municipal dwellings).",
            placement_id=str(current.placement_id),
            since=current.starts_on,
        )
    last_end = max((p.ends_on for p in household.placements.values() if p.ends_on), default=None)
    if last_end is not None:
        not_before("starts_on", starts_on, "previous_ends_on", last_end, "its last move-out")
    if app.status == "pending":
        raise APPLICATION_NOT_ACCEPTED.violation(
            "The application is still pending; accept it before allocating a dwelling.",
            "application_id",
            status=app.status,
        )
    if app.status != "accepted":
        raise APPLICATION_NOT_ACCEPTED.violation(
            f"The application is {app.status}; only an accepted application on the waiting "
            "list can be given a dwelling.",
            "application_id",
            status=app.status,
        )
    candidate = app.candidate(
        household.household_id, facts.present_on(starts_on) if facts.members else None
    )
    size = facts.size_for(app.household_size, app.received_on, starts_on)
    if size != candidate.household_size:
        # Ages recorded for the earlier size no longer say who is left; the norm then
        # falls back to the size (ages recorded again for the new size still count).
        ages = candidate.member_ages if len(candidate.member_ages) == size else ()
        candidate = candidate._replace(household_size=max(size, 1), member_ages=ages)
    broken = allocation.violations(dwelling.facts(), candidate)
    if broken:
        raise OCCUPANCY_NORM.violation(
            "This dwelling does not fit the household: "
            + allocation.explain_violations(dwelling.facts(), candidate, broken)
            + ".",
            "dwelling_id",
            broken=list(broken),
        )
    not_before("starts_on", starts_on, "received_on", app.received_on, "the application")
    if dwelling.registered_on is not None:
        not_before(
            "starts_on", starts_on, "registered_on", dwelling.registered_on, "the registration"
        )
    return (
        [
            PlacementStarted(
                placement_id=placement_id,
                household_id=household.household_id,
                dwelling_id=dwelling.dwelling_id,
                starts_on=starts_on,
                application_id=application_id,
                household_size=candidate.household_size,
            )
        ],
        [
            DwellingChanged(
                dwelling_id=dwelling.dwelling_id,
                changed_on=starts_on,
                cause=ChangeCause.placement_started,
                placement_id=placement_id,
                status=DwellingStatus.occupied,
            )
        ],
    )


def _active_placement(household: Household, placement_id: uuid.UUID) -> Placement:
    placement = household.placements.get(placement_id)
    if placement is None:
        raise UNKNOWN_REFERENCE.violation(
            f"Placement {placement_id} is not this household's.", placement_id=str(placement_id)
        )
    if not placement.active:
        assert placement.ends_on is not None and placement.reason is not None
        raise PLACEMENT_ENDED.violation(
            f"The placement already ended on {placement.ends_on.isoformat()} "
            f"({placement.reason.value.replace('_', ' ')}).",
            ends_on=placement.ends_on,
            reason=placement.reason.value,
        )
    return placement


def placement_ended(
    household: Household, placement: Placement, on: date, reason: EndReason
) -> PlacementEnded:
    """The household moved out of the placement's dwelling on ``on``, for ``reason``."""
    assert household.household_id is not None
    return PlacementEnded(
        placement_id=placement.placement_id,
        household_id=household.household_id,
        dwelling_id=placement.dwelling_id,
        ends_on=on,
        reason=reason,
    )


def vacate(placement: Placement, on: date, status: DwellingStatus) -> DwellingChanged:
    return DwellingChanged(
        dwelling_id=placement.dwelling_id,
        changed_on=on,
        cause=(
            ChangeCause.sold_to_tenant
            if status is DwellingStatus.sold
            else ChangeCause.placement_ended
        ),
        placement_id=placement.placement_id,
        status=status,
    )


def check_move_out(household: Household, placement: Placement, field: str, on: date) -> None:
    """A move-out lies after the move-in and after what was agreed while living there."""
    not_before(field, on, "starts_on", placement.starts_on, "the placement started")
    for agreement in household.agreements.values():
        if agreement.placement_id == placement.placement_id and agreement.status == "active":
            not_before(field, on, "agreed_on", agreement.agreed_on, "the rent-to-own agreement")


def end_placement(
    household: Household,
    placement_id: uuid.UUID,
    ends_on: date,
    reason: EndReason,
    *,
    today: date,
) -> tuple[list[Event], list[Event]]:
    assert household.household_id is not None
    if reason is EndReason.eviction:
        raise END_REASON_ENDPOINT.violation(
            "Record an eviction with POST /housing/placements/{id}/eviction so its grounds are "
            "kept; that ends the placement too.",
            "reason",
        )
    if reason is EndReason.bought_home:
        raise END_REASON_ENDPOINT.violation(
            "A purchase ends the placement itself: complete the rent-to-own agreement or "
            "record the purchase with the start loan.",
            "reason",
        )
    happened("ends_on", ends_on, today, "The move-out")
    placement = _active_placement(household, placement_id)
    check_move_out(household, placement, "ends_on", ends_on)
    return (
        [placement_ended(household, placement, ends_on, reason)],
        [vacate(placement, ends_on, DwellingStatus.vacant)],
    )


def record_eviction(
    household: Household,
    placement_id: uuid.UUID,
    evicted_on: date,
    grounds: EvictionGrounds,
    *,
    today: date,
) -> tuple[list[Event], list[Event]]:
    assert household.household_id is not None
    happened("evicted_on", evicted_on, today, "The eviction")
    placement = _active_placement(household, placement_id)
    check_move_out(household, placement, "evicted_on", evicted_on)
    return (
        [
            EvictionRecorded(
                placement_id=placement_id,
                household_id=household.household_id,
                dwelling_id=placement.dwelling_id,
                evicted_on=evicted_on,
                grounds=grounds,
            ),
            placement_ended(household, placement, evicted_on, EndReason.eviction),
        ],
        [vacate(placement, evicted_on, DwellingStatus.vacant)],
    )
