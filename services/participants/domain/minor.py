"""An unaccompanied minor's four phases in Drammen's method, and the services' end (pure).

Only a participant settled as an unaccompanied minor (enslig mindreårig: the settlement's
``unaccompanied_minor``, which the settlement refuses for anyone 18 or older) has these
facts. The phases come in one order — intake (mottak), moving in (innflytting), the
shared home (bofellesskap), an own bedsit (hybel) — each entered once, on or after the
one before; the bedsit needs the tenancy the youth signed first, and the follow-up team
works with the youth from the bedsit on. The services end once, at an age limit in force
that day (dated rule data, ``data/minor_age_limits.json``) or by the formal end of the
cooperation; afterwards only outcomes are recorded (supplementary social assistance
after 20 comes after the services, by its nature).

:class:`MinorRecord` (module :mod:`.minor_record`) is folded into the participant's state
(``Participant.minor``), so its dates count among the participant's dated facts.
"""

from __future__ import annotations

import uuid
from datetime import date
from functools import cache
from typing import Any

from services.participants import events as ev
from services.participants.domain import rules as r
from services.participants.domain.decisions import _present
from services.participants.domain.minor_record import PHASES as PHASES
from services.participants.domain.minor_record import MinorRecord as MinorRecord
from services.participants.domain.minor_record import apply as apply
from services.participants.domain.minor_record import fold_minor as fold_minor
from services.participants.domain.state import Participant
from shared.date_order import refuse_before
from shared.dated import DatedTable, load
from shared.dates import age_on, not_in_future
from shared.events import Event
from shared.rules import rule

S = "participants"

SUPPLEMENTARY_ASSISTANCE_AGE = 20
"""Drammen counts supplementary social assistance from the youth's 20th birthday."""

AGE_LIMITS_RESOURCE = "minor_age_limits.json"
AGE_LIMIT_TABLES = {
    "child_welfare_aftercare": "child_welfare_aftercare_age",
    "settlement_follow_up": "settlement_follow_up_age",
}
"""The basis an age-limit end names → the dated table holding the limit."""

NOT_UNACCOMPANIED_MINOR = rule(
    "not-unaccompanied-minor",
    409,
    "Not settled as an unaccompanied minor",
    S,
    "The phases, measures plan, follow-up team and services' end are recorded only for a "
    "participant settled as an unaccompanied minor (enslig mindreårig).",
)
MINOR_PHASE_ORDER = rule(
    "minor-phase-out-of-order",
    409,
    "Phase out of order",
    S,
    "The phases come in the order intake, moving in, shared home, own bedsit, each once; "
    "only the next phase can be entered.",
)
MINOR_NO_BEDSIT_CONTRACT = rule(
    "minor-no-bedsit-contract",
    409,
    "No bedsit contract signed",
    S,
    "The youth moves to an own bedsit once they have signed its tenancy (found on the "
    "private market), on or before the day they move in; and the tenancy is signed from the "
    "shared home, once.",
)
MINOR_NO_FOLLOW_UP_TEAM = rule(
    "minor-no-follow-up-team",
    409,
    "No follow-up team yet",
    S,
    "The follow-up team's contacts begin when the youth has moved to an own bedsit.",
)
MINOR_SERVICES_ENDED = rule(
    "minor-services-ended",
    409,
    "The services have ended",
    S,
    "After the services for the youth ended, only outcomes are recorded.",
)
MINOR_BELOW_AGE_LIMIT = rule(
    "minor-below-age-limit",
    409,
    "Below the age limit",
    S,
    "An end at an age limit needs the youth to have reached the limit in force that day; "
    "end the cooperation formally otherwise.",
)
MINOR_ASSISTANCE_BEFORE_TWENTY = rule(
    "minor-assistance-before-twenty",
    409,
    "Supplementary social assistance before 20",
    S,
    "The outcome counts supplementary social assistance received on or after the youth's "
    "20th birthday.",
)


@cache
def age_limit_tables() -> dict[str, DatedTable]:
    """The dated age limits (checked once; a bad file stops the service)."""
    return load("services.participants.data", AGE_LIMITS_RESOURCE)


def age_limit_on(basis: str, day: date) -> dict[str, Any] | None:
    """The limit for ``basis`` in force on ``day`` with its source; None before any."""
    try:
        entry = age_limit_tables()[AGE_LIMIT_TABLES[basis]].entry_on(day)
    except LookupError:
        return None
    return {
        "basis": basis,
        "age": int(entry.value["age"]),
        "to_be_verified": bool(entry.value.get("to_be_verified", False)),
        "valid_from": entry.valid_from,
        "source": entry.source,
    }


def _minor(state: Participant, today: date, field: str, on: date, what: str) -> uuid.UUID:
    pid = _present(state, today, field, on)
    if not state.unaccompanied_minor:
        raise NOT_UNACCOMPANIED_MINOR.violation(
            "The participant was not settled as an unaccompanied minor.", "participant_id"
        )
    not_in_future(field, on, today, what)
    if state.settled_on is not None:
        settled = state.settled_on
        refuse_before(r.DATE_ORDER, field, on, "the settlement", settled, "settled_on")
    return pid


def _open(record: MinorRecord) -> None:
    if record.ended is not None:
        reason, ended_on, _ = record.ended
        raise MINOR_SERVICES_ENDED.violation(
            f"The services ended on {ended_on.isoformat()} ({reason.value}).",
            ended_on=ended_on,
            reason=reason.value,
        )


def _not_before(field: str, on: date, what: str, since: date) -> None:
    if on < since:
        raise r.DATE_ORDER.violation(
            f"{field} {on.isoformat()} is before {what} ({since.isoformat()}).",
            field,
            **{field: on},
        )


def enter_phase(
    state: Participant, record: MinorRecord, phase: ev.MinorPhase, entered_on: date, today: date
) -> list[Event]:
    """Enter the next phase; any other phase is out of order."""
    pid = _minor(state, today, "entered_on", entered_on, "A phase")
    _open(record)
    expected = record.next_phase()
    if phase != expected:
        current = record.phase
        raise MINOR_PHASE_ORDER.violation(
            f"The youth is in phase {current[0].value if current else 'none'}; the next phase "
            f"is {expected.value if expected else 'none (all four were entered)'}, not "
            f"{phase.value}.",
            "phase",
            current=current[0].value if current else None,
            expected=expected.value if expected else None,
        )
    if record.phase is not None:
        _not_before("entered_on", entered_on, f"phase {record.phase[0].value}", record.phase[1])
    if phase is ev.MinorPhase.bedsit:
        contract = record.bedsit_contract
        if contract is None or contract[1] > entered_on:
            raise MINOR_NO_BEDSIT_CONTRACT.violation(
                "The youth has signed no bedsit tenancy by "
                f"{entered_on.isoformat()}; record the contract first.",
                "entered_on",
            )
    return [ev.MinorPhaseEntered(participant_id=pid, phase=phase, entered_on=entered_on)]


def assign_primary_contact(
    state: Participant, record: MinorRecord, contact_id: uuid.UUID, assigned_on: date, today: date
) -> list[Event]:
    pid = _minor(state, today, "assigned_on", assigned_on, "A primary contact")
    _open(record)
    if record.primary_contacts:
        _not_before(
            "assigned_on", assigned_on, "the last primary contact", record.primary_contacts[-1][1]
        )
    return [
        ev.MinorPrimaryContactAssigned(
            participant_id=pid, contact_id=contact_id, assigned_on=assigned_on
        )
    ]


def agree_measures_plan(
    state: Participant,
    record: MinorRecord,
    plan_id: uuid.UUID,
    agreed_on: date,
    goals: tuple[ev.MeasuresGoal, ...],
    today: date,
) -> list[Event]:
    pid = _minor(state, today, "agreed_on", agreed_on, "A measures plan")
    _open(record)
    for goal in goals:
        if goal.due_on is not None:
            _not_before("due_on", goal.due_on, "the plan's agreement", agreed_on)
    return [
        ev.MinorMeasuresPlanAgreed(
            participant_id=pid, plan_id=plan_id, agreed_on=agreed_on, goals=goals
        )
    ]


def sign_bedsit_contract(
    state: Participant,
    record: MinorRecord,
    contract_id: uuid.UUID,
    signed_on: date,
    moves_in_on: date,
    today: date,
) -> list[Event]:
    """The youth signed an own bedsit's tenancy, from the shared home, once."""
    pid = _minor(state, today, "signed_on", signed_on, "A tenancy")
    _open(record)
    phase = record.phase
    if record.bedsit_contract is not None or phase is None or phase[0] != ev.MinorPhase.shared_home:
        raise MINOR_NO_BEDSIT_CONTRACT.violation(
            "A bedsit tenancy is signed once, while the youth lives in the shared home "
            f"(now: {phase[0].value if phase else 'no phase'}).",
            "signed_on",
            current=phase[0].value if phase else None,
        )
    _not_before("signed_on", signed_on, "the move into the shared home", phase[1])
    _not_before("moves_in_on", moves_in_on, "the signature", signed_on)
    # The move-in is a dated fact once its day comes: not on or after the youth left.
    _present(state, today, "moves_in_on", moves_in_on)
    return [
        ev.MinorBedsitContractSigned(
            participant_id=pid,
            contract_id=contract_id,
            signed_on=signed_on,
            moves_in_on=moves_in_on,
        )
    ]


def record_follow_up_contact(
    state: Participant,
    record: MinorRecord,
    contact_id: uuid.UUID,
    kind: ev.FollowUpContactKind,
    on: date,
    today: date,
) -> list[Event]:
    pid = _minor(state, today, "on", on, "A contact")
    _open(record)
    phase = record.phase
    if phase is None or phase[0] != ev.MinorPhase.bedsit or on < phase[1]:
        raise MINOR_NO_FOLLOW_UP_TEAM.violation(
            "The follow-up team works with the youth from the move to an own bedsit"
            + (
                f" ({phase[1].isoformat()})." if phase and phase[0] == ev.MinorPhase.bedsit else "."
            ),
            "on",
        )
    return [
        ev.MinorFollowUpContactRecorded(participant_id=pid, contact_id=contact_id, kind=kind, on=on)
    ]


def record_outcome(
    state: Participant, record: MinorRecord, outcome: ev.MinorOutcome, on: date, today: date
) -> list[Event]:
    """An outcome fact; supplementary social assistance only from the 20th birthday."""
    pid = _minor(state, today, "on", on, "An outcome")
    if (
        outcome is ev.MinorOutcome.supplementary_social_assistance
        and age_on(state.born_on, on) < SUPPLEMENTARY_ASSISTANCE_AGE
    ):
        raise MINOR_ASSISTANCE_BEFORE_TWENTY.violation(
            f"The youth is {age_on(state.born_on, on)} on {on.isoformat()}.", "on"
        )
    return [ev.MinorOutcomeRecorded(participant_id=pid, outcome=outcome, on=on)]


def end_services(
    state: Participant,
    record: MinorRecord,
    reason: ev.ServicesEndReason,
    ended_on: date,
    basis: str | None,
    today: date,
) -> list[Event]:
    """End the services once: at the age limit in force on ``ended_on`` for ``basis``, or
    by the formal end of the cooperation."""
    pid = _minor(state, today, "ended_on", ended_on, "An end")
    _open(record)
    if record.phase is not None:
        _not_before("ended_on", ended_on, f"phase {record.phase[0].value}", record.phase[1])
    limit: int | None = None
    if reason is ev.ServicesEndReason.age_limit:
        if basis is None:
            raise r.MISSING_FIELD.violation("An end at an age limit names its basis.", "basis")
        found = age_limit_on(basis, ended_on)
        age = age_on(state.born_on, ended_on)
        if found is None or age < found["age"]:
            raise MINOR_BELOW_AGE_LIMIT.violation(
                f"The youth is {age} on {ended_on.isoformat()}; the limit ({basis}) is "
                f"{found['age'] if found else 'not in force'}.",
                "ended_on",
                age=age,
                age_limit=found["age"] if found else None,
            )
        limit = found["age"]
    return [
        ev.MinorServicesEnded(participant_id=pid, reason=reason, ended_on=ended_on, age_limit=limit)
    ]
