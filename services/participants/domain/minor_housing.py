"""Where the minor's phases and housing's shared-home stays must agree (pure).

Two services record the same stretch of a youth's life. The housing service owns the
places: which shared home, from which day to which (``housing.shared_home.minor_placed``
/ ``minor_left``, half-open stays). The participants service owns the method's phases:
intake, moving in (innflytting, the move *into* the shared home), life in the shared
home (bofellesskap), own bedsit (hybel). What must hold between them:

1. **No stay before moving in.** A stay begins on or after the day the youth entered the
   ``moving_in`` phase (the move into the shared home is that phase).
2. **No stay after the shared home.** From the day the youth entered the ``bedsit`` phase
   (or the services ended) the youth holds no place: every stay has ended by that day.
3. **No shared-home phase without a place.** Every day of the ``shared_home`` phase, up to
   today, is covered by a stay.

Neither service can refuse on the other's facts: they arrive by events, later, and in
practice either office records first. So the rule lives here, once, and is *flagged*: the
participants service folds housing's stays into a read model
(``minor_shared_home_stays``) and :func:`contradictions` says, on every read of the
minor's record, which of the three is broken, with the dates on both sides.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from services.participants import events as ev
from services.participants.domain.minor_record import MinorRecord

STAY_BEFORE_MOVING_IN = "shared-home-stay-before-moving-in"
STAY_AFTER_SHARED_HOME = "shared-home-stay-after-shared-home"
PHASE_WITHOUT_STAY = "shared-home-phase-without-stay"

TEXTS = {
    STAY_BEFORE_MOVING_IN: "Boligtjenesten har et opphold i bofellesskap før fasen "
    "innflytting. / Housing has a shared-home stay before the moving-in phase.",
    STAY_AFTER_SHARED_HOME: "Boligtjenesten har et opphold i bofellesskap etter at ungdommen "
    "flyttet på hybel (eller tjenestene ble avsluttet). / Housing has a shared-home stay "
    "after the youth moved to an own bedsit (or the services ended).",
    PHASE_WITHOUT_STAY: "Fasen bofellesskap har dager uten plass i et bofellesskap hos "
    "boligtjenesten. / The shared-home phase has days without a place in a shared home in "
    "housing.",
}
"""What each contradiction says, bokmål / English."""


@dataclass(frozen=True)
class HousingStay:
    """A place in a shared home as housing published it: ``[starts_on, ends_on)``."""

    placement_id: uuid.UUID
    shared_home_id: uuid.UUID
    starts_on: date
    ends_on: date | None = None

    def covers(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day < self.ends_on)


@dataclass(frozen=True)
class Contradiction:
    code: str
    placement_id: uuid.UUID | None
    facts: dict[str, date | None] = field(default_factory=dict)
    """The dates on both sides, by field (a missing phase is ``None``)."""

    @property
    def detail(self) -> str:
        return TEXTS[self.code]


def _entered(record: MinorRecord, phase: ev.MinorPhase) -> date | None:
    return next((on for p, on in record.phases if p is phase), None)


def shared_home_ends(record: MinorRecord) -> tuple[str, date] | None:
    """The day the youth may hold no place any more, and which fact says so."""
    bedsit = _entered(record, ev.MinorPhase.bedsit)
    if bedsit is not None:
        return "bedsit_on", bedsit
    if record.ended is not None:
        return "services_ended_on", record.ended[1]
    return None


def first_uncovered(stays: Iterable[HousingStay], start: date, end: date) -> date | None:
    """The first day of ``[start, end)`` no stay covers, if any."""
    day = start
    ordered = sorted(stays, key=lambda s: s.starts_on)
    while day < end:
        reach = next((s for s in ordered if s.covers(day)), None)
        if reach is None:
            return day
        if reach.ends_on is None:
            return None
        day = reach.ends_on
    return None


def contradictions(
    record: MinorRecord, stays: Iterable[HousingStay], today: date
) -> list[Contradiction]:
    """What the phases and the stays known today contradict, oldest stay first."""
    # A stay ended on the day it began holds no day: it is how housing takes back a
    # placement recorded on the wrong day, so it contradicts nothing.
    stays = sorted(
        (s for s in stays if s.ends_on is None or s.ends_on > s.starts_on),
        key=lambda s: (s.starts_on, s.placement_id),
    )
    found: list[Contradiction] = []
    moving_in = _entered(record, ev.MinorPhase.moving_in)
    out = shared_home_ends(record)
    for stay in stays:
        if stay.starts_on > today:
            continue
        if moving_in is None or stay.starts_on < moving_in:
            found.append(
                Contradiction(
                    STAY_BEFORE_MOVING_IN,
                    stay.placement_id,
                    {"starts_on": stay.starts_on, "moving_in_on": moving_in},
                )
            )
        if out is not None and out[1] <= today:
            name, day = out
            if stay.ends_on is None or stay.ends_on > day:
                found.append(
                    Contradiction(
                        STAY_AFTER_SHARED_HOME,
                        stay.placement_id,
                        {"starts_on": stay.starts_on, "ends_on": stay.ends_on, name: day},
                    )
                )
    shared_home = _entered(record, ev.MinorPhase.shared_home)
    if shared_home is not None and shared_home <= today:
        end = today + timedelta(days=1)
        if out is not None:
            end = min(end, out[1])
        gap = first_uncovered(stays, shared_home, end)
        if gap is not None:
            found.append(
                Contradiction(
                    PHASE_WITHOUT_STAY,
                    None,
                    {"shared_home_on": shared_home, "uncovered_from": gap},
                )
            )
    return found
