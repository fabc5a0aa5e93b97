"""An unaccompanied minor's record (pure): the phases, primary contacts, measures plans,
bedsit tenancy, follow-up team contacts, outcomes and the services' end, as folded from
the participant's stream.

Apart from the decisions (:mod:`.minor`) so the participant's state can hold it: its dates
are among the participant's dated facts, which a death, a move or a birth-date
correction is checked against.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from services.participants import events as ev
from shared.events import Event

PHASES = tuple(ev.MinorPhase)
"""The phases in the order they are lived."""


@dataclass(frozen=True)
class MinorRecord:
    phases: tuple[tuple[ev.MinorPhase, date], ...] = ()
    primary_contacts: tuple[tuple[uuid.UUID, date], ...] = ()
    plans: tuple[tuple[uuid.UUID, date, tuple[ev.MeasuresGoal, ...]], ...] = ()
    bedsit_contract: tuple[uuid.UUID, date, date] | None = None
    """``(contract_id, signed_on, moves_in_on)``."""
    follow_up_contacts: tuple[tuple[uuid.UUID, ev.FollowUpContactKind, date], ...] = ()
    outcomes: tuple[tuple[ev.MinorOutcome, date], ...] = ()
    ended: tuple[ev.ServicesEndReason, date, int | None] | None = None

    @property
    def phase(self) -> tuple[ev.MinorPhase, date] | None:
        return self.phases[-1] if self.phases else None

    def next_phase(self) -> ev.MinorPhase | None:
        return PHASES[len(self.phases)] if len(self.phases) < len(PHASES) else None


def apply(record: MinorRecord, event: Event) -> MinorRecord:
    """Fold one event into the record; the same record when the event does not touch it."""
    match event:
        case ev.MinorPhaseEntered():
            return replace(record, phases=(*record.phases, (event.phase, event.entered_on)))
        case ev.MinorPrimaryContactAssigned():
            contact = (event.contact_id, event.assigned_on)
            return replace(record, primary_contacts=(*record.primary_contacts, contact))
        case ev.MinorMeasuresPlanAgreed():
            plan = (event.plan_id, event.agreed_on, event.goals)
            return replace(record, plans=(*record.plans, plan))
        case ev.MinorBedsitContractSigned():
            contract = (event.contract_id, event.signed_on, event.moves_in_on)
            return replace(record, bedsit_contract=contract)
        case ev.MinorFollowUpContactRecorded():
            contact_ = (event.contact_id, event.kind, event.on)
            return replace(record, follow_up_contacts=(*record.follow_up_contacts, contact_))
        case ev.MinorOutcomeRecorded():
            return replace(record, outcomes=(*record.outcomes, (event.outcome, event.on)))
        case ev.MinorServicesEnded():
            return replace(record, ended=(event.reason, event.ended_on, event.age_limit))
    return record


def fold_minor(events: Iterable[Event], known: MinorRecord | None = None) -> MinorRecord:
    """The record after ``events`` (``known``: the record folded before them)."""
    record = known or MinorRecord()
    for event in events:
        record = apply(record, event)
    return record
