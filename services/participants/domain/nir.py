"""What IMDi's register (NIR) needs beyond the journey: end reason, research reservation.

:class:`NirRecord` is folded from the participant's stream (``participant.nir``):

- ``end_reasons``: the end reason (avslutningsårsak) of each ended programme, by
  programme id, as the caseworker registered it (a code of NIR's list, ``data/nir.json``);
- ``research_reserved``: the reservation against research use of directly identifying
  data (reservasjon mot bruk til forskning, integreringsloven kapittel 9; Prop. 89 L
  (2019–2020) punkt 11.4.4);
- ``reported``: the last NIR record submitted per reporting year (what
  ``nir.year_reported`` carried), so a submission publishes only what changed.

Decisions (pure, ``today`` passed in) refuse with the rules below.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

from services.participants.events import journey as ev_journey
from services.participants.events import nir as ev_nir
from shared.dated import DatedTable, load
from shared.events import Event
from shared.rules import rule

if TYPE_CHECKING:
    from services.participants.domain.state import Participant

S = "participants"

UNKNOWN_END_REASON = rule(
    "unknown-end-reason",
    422,
    "Not an end reason in NIR's code list",
    S,
    "The end reason (avslutningsårsak) must be a code of NIR's list in force on the day the "
    "programme ended (GET /nir/end-reasons); integreringsloven kapittel 9 (Nasjonalt introduksjonsregister).",
)
END_REASON_MISFITS = rule(
    "end-reason-misfits",
    422,
    "End reason does not fit how the programme ended",
    S,
    "Some end reasons fit only a completed programme (end goal reached, time used), others "
    "only an interrupted one (illness, own wish); NIR rejects the others. "
    "Integreringsloven kapittel 9 (NIR).",
)
END_REASON_RECORDED = rule(
    "end-reason-recorded",
    409,
    "End reason already recorded",
    S,
    "An end reason is recorded once per programme; send `correction: true` to correct it "
    "(integreringsloven kapittel 9, NIR).",
)
NO_ENDED_PROGRAMME = rule(
    "no-ended-programme",
    409,
    "No ended programme",
    S,
    "An end reason belongs to an ended programme: complete the programme first "
    "(integreringsloven kapittel 9, NIR).",
)
RESERVATION_UNCHANGED = rule(
    "reservation-unchanged",
    409,
    "Research reservation unchanged",
    S,
    "The participant's reservation against research use (integreringsloven kapittel 9; Prop. 89 L (2019–2020) punkt 11.4.4) already "
    "has this value.",
)
PARTICIPANT_GONE = rule(
    "participant-gone",
    409,
    "The participant's data is erased",
    S,
    "Nothing can be registered for NIR about an erased participant.",
)


@dataclass(frozen=True)
class EndReason:
    """One code of NIR's end-reason list (``data/nir.json``, table ``end_reasons``)."""

    code: str
    group: str
    fits: frozenset[str]
    """The completion reasons (``completed``, ``interrupted``) it fits."""
    outcomes: frozenset[str] | None
    """The outcomes it agrees with; ``None``: any outcome."""


@cache
def tables() -> dict[str, DatedTable]:
    """NIR's dated tables (end reasons, registration deadline, late registration)."""
    return load("services.participants.data", "nir.json")


def end_reasons_on(day: date) -> dict[str, EndReason]:
    """NIR's end-reason list in force on ``day``, by code (empty before the first entry)."""
    try:
        raw: list[dict[str, Any]] = tables()["end_reasons"].on(day)
    except LookupError:
        return {}
    return {
        item["code"]: EndReason(
            item["code"],
            item["group"],
            frozenset(item["fits"]),
            frozenset(item["outcomes"]) if item.get("outcomes") is not None else None,
        )
        for item in raw
    }


DERIVED_END_REASONS = {
    "moved_municipality": "moved_municipality",
    "emigrated": "emigrated",
    "deceased": "deceased",
}
"""Outcomes that name the end reason by themselves (the journey records them on a move,
an emigration or a death, which end the programme)."""


@dataclass(frozen=True)
class NirRecord:
    """Folded from the participant's stream (see :func:`apply`)."""

    end_reasons: dict[uuid.UUID, str] = field(default_factory=dict)
    research_reserved: bool = False
    reported: dict[int, dict[str, Any]] = field(default_factory=dict)

    def end_reason(self, programme_id: uuid.UUID) -> str | None:
        return self.end_reasons.get(programme_id)


def apply(record: NirRecord, event: Event) -> NirRecord:
    """Fold one event into the record; the same record when the event does not touch it."""
    match event:
        case ev_nir.EndReasonRecorded():
            return replace(
                record, end_reasons={**record.end_reasons, event.programme_id: event.end_reason}
            )
        case ev_nir.ResearchReservationChanged():
            return replace(record, research_reserved=event.reserved)
        case ev_nir.NirYearReported():
            snapshot = event.model_dump(mode="json", exclude={"participant_id"})
            return replace(record, reported={**record.reported, event.year: snapshot})
    return record


def check_end_reason(
    code: str,
    ended_on: date,
    reason: ev_journey.CompletionReason,
    field_name: str = "end_reason",
) -> EndReason:
    """The code as NIR's list has it on ``ended_on``, or the rule it breaks."""
    known = end_reasons_on(ended_on)
    found = known.get(code)
    if found is None:
        raise UNKNOWN_END_REASON.violation(
            f"{field_name} {code!r} is not in NIR's end-reason list in force on "
            f"{ended_on.isoformat()} (GET /nir/end-reasons).",
            field_name,
            ended_on=ended_on,
        )
    if reason.value not in found.fits:
        raise END_REASON_MISFITS.violation(
            f"{field_name} {code!r} does not fit a programme that was {reason.value}.",
            field_name,
            reason=reason.value,
        )
    return found


def end_reason_at_completion(
    state: Participant,
    end_reason: str | None,
    ended_on: date,
    reason: ev_journey.CompletionReason,
) -> list[Event]:
    """The end-reason event that goes with a completion (none without an end reason).

    Checked before the completion's own events are appended, so a bad code refuses the
    whole command.
    """
    if end_reason is None:
        return []
    current = state.programme
    if current is None or state.participant_id is None:
        return []
    check_end_reason(end_reason, ended_on, reason)
    return [
        ev_nir.EndReasonRecorded(
            participant_id=state.participant_id,
            programme_id=current.programme_id,
            end_reason=end_reason,
        )
    ]


def record_end_reason(state: Participant, end_reason: str, correction: bool) -> list[Event]:
    """Register (or correct) the end reason of the latest, ended programme."""
    if state.erased or state.participant_id is None:
        raise PARTICIPANT_GONE.violation("The participant's data is erased.")
    current = state.programme
    if current is None or current.ended_on is None or current.reason is None:
        raise NO_ENDED_PROGRAMME.violation(
            "The participant has no ended programme; complete it first.", "end_reason"
        )
    previous = state.nir.end_reason(current.programme_id)
    if previous is not None and not correction:
        raise END_REASON_RECORDED.violation(
            f"The end reason {previous!r} is already recorded; send correction: true.",
            "end_reason",
            end_reason=previous,
        )
    check_end_reason(end_reason, current.ended_on, current.reason)
    if previous == end_reason:
        return []
    return [
        ev_nir.EndReasonRecorded(
            participant_id=state.participant_id,
            programme_id=current.programme_id,
            end_reason=end_reason,
            correction=previous is not None,
        )
    ]


def set_research_reservation(state: Participant, reserved: bool) -> list[Event]:
    """Set or withdraw the reservation against research use (integreringsloven kapittel 9; Prop. 89 L (2019–2020) punkt 11.4.4)."""
    if state.erased or state.participant_id is None:
        raise PARTICIPANT_GONE.violation("The participant's data is erased.")
    if state.nir.research_reserved == reserved:
        raise RESERVATION_UNCHANGED.violation(
            f"The research reservation is already {'set' if reserved else 'withdrawn'}.",
            "reserved",
        )
    return [
        ev_nir.ResearchReservationChanged(participant_id=state.participant_id, reserved=reserved)
    ]
