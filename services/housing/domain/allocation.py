"""Which households may live in a dwelling, and how well they fit it. Pure; no I/O.

Occupancy norm (Veiviser's, documented here and in the API)
-----------------------------------------------------------
Rooms are counted the Norwegian way: rooms other than kitchen and bathroom, so a
"3-room" flat is a living room and two bedrooms.

* **Bedrooms** of a dwelling: ``rooms - 1`` (one room is the living room); a 1-room
  flat (studio) counts as one sleeping room.
* **Hard limit** — never broken, neither by suggestions nor by an allocation: at
  most two persons per bedroom, i.e. ``household_size <= 2 * bedrooms``. A 1- or
  2-room flat takes at most 2 persons, a 3-room 4, a 4-room 6, a 5-room 8. A family
  of six therefore needs at least four rooms.
* **Ideal bedrooms** (the bedroom standard used to score the fit): one bedroom for
  the first two adults (18 or older), one for each further adult, and one for every
  two children. Without members' ages: one bedroom per two persons, rounded up.

Other hard constraints: a household that needs wheelchair access gets only an
accessible dwelling; one that needs step-free access gets an accessible dwelling, a
ground-floor one (floor 0) or one with a lift.

Fit score (0–100) and its parts
-------------------------------
========== ====== =====================================================================
part        max    points
========== ====== =====================================================================
size        40     40 at the ideal number of bedrooms; −15 per bedroom short of the ideal
                   (still within the hard limit); −10 per bedroom more than the ideal
access      10     10 unless an accessible dwelling would go to a household that does not
                   need it (0): accessible dwellings are kept for those who need them
district    15     15 when the dwelling's district is among the household's wishes, 10
                   when it stated none, 0 when it wished for other districts
waiting     20     20 × days waiting / 730, capped at 20 (two years)
urgency     15     acute 15, high 8, normal 0
========== ====== =====================================================================

Ties are broken by the waiting-list order: urgency, then the earliest received date,
then the application id.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

ADULT_AGE = 18
MAX_PERSONS_PER_BEDROOM = 2
WAITING_CAP_DAYS = 730

SIZE_MAX = 40.0
SIZE_SHORT_PENALTY = 15.0
SIZE_SURPLUS_PENALTY = 10.0
ACCESS_MAX = 10.0
DISTRICT_MAX = 15.0
DISTRICT_NO_WISH = 10.0
WAITING_MAX = 20.0
URGENCY_POINTS = {"acute": 15.0, "high": 8.0, "normal": 0.0}
URGENCY_MAX = 15.0
URGENCY_RANK = {"acute": 0, "high": 1, "normal": 2}


@dataclass(frozen=True)
class DwellingFacts:
    rooms: int
    floor: int
    has_lift: bool
    accessible: bool
    district: str


class Candidate(NamedTuple):
    """One accepted application on the waiting list (a tuple: thousands are built per query)."""

    application_id: uuid.UUID
    household_id: uuid.UUID
    household_size: int
    member_ages: tuple[int, ...]
    needs_wheelchair_access: bool
    needs_step_free: bool
    district_wishes: tuple[str, ...]
    urgency: str
    received_on: date


def bedrooms(rooms: int) -> int:
    """Sleeping rooms of a dwelling with ``rooms`` rooms (a studio counts as one)."""
    return max(rooms - 1, 1)


def capacity(rooms: int) -> int:
    """Most persons a dwelling may house under the norm (two per bedroom)."""
    return MAX_PERSONS_PER_BEDROOM * bedrooms(rooms)


def minimum_rooms(household_size: int) -> int:
    """Fewest rooms a household of ``household_size`` may be given."""
    needed_bedrooms = math.ceil(household_size / MAX_PERSONS_PER_BEDROOM)
    return 1 if needed_bedrooms <= 1 else needed_bedrooms + 1


def ideal_bedrooms(household_size: int, member_ages: Sequence[int] = ()) -> int:
    """Bedrooms under the bedroom standard (see the module docstring)."""
    if len(member_ages) != household_size:
        return max(1, math.ceil(household_size / 2))
    adults = sum(1 for age in member_ages if age >= ADULT_AGE)
    children = household_size - adults
    adult_rooms = 1 + (adults - 2) if adults > 2 else (1 if adults else 0)
    return max(1, adult_rooms + math.ceil(children / 2))


def violations(dwelling: DwellingFacts, candidate: Candidate) -> list[str]:
    """Hard constraints ``candidate`` breaks for ``dwelling``, as machine-readable codes."""
    found = []
    if candidate.household_size > capacity(dwelling.rooms):
        found.append("too_small")
    if candidate.needs_wheelchair_access and not dwelling.accessible:
        found.append("needs_wheelchair_access")
    if candidate.needs_step_free and not (
        dwelling.accessible or dwelling.floor == 0 or dwelling.has_lift
    ):
        found.append("needs_step_free")
    return found


VIOLATION_TEXT = {
    "too_small": "the household is larger than the occupancy norm allows "
    "(at most two persons per bedroom)",
    "needs_wheelchair_access": "the household needs wheelchair access and the dwelling is "
    "not accessible",
    "needs_step_free": "the household needs step-free access and the dwelling is above the "
    "ground floor without a lift",
}


def explain_violations(dwelling: DwellingFacts, candidate: Candidate, codes: list[str]) -> str:
    parts = []
    for code in codes:
        if code == "too_small":
            parts.append(
                f"a {dwelling.rooms}-room dwelling houses at most {capacity(dwelling.rooms)} "
                f"persons under the occupancy norm (two per bedroom), and the household has "
                f"{candidate.household_size}; it needs at least "
                f"{minimum_rooms(candidate.household_size)} rooms"
            )
        else:
            parts.append(VIOLATION_TEXT[code])
    return "; ".join(parts)


@dataclass(frozen=True)
class Part:
    factor: str
    points: float
    max_points: float
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "factor": self.factor,
            "points": round(self.points, 2),
            "max_points": self.max_points,
            "reason": self.reason,
        }


def _size_points(dwelling: DwellingFacts, candidate: Candidate) -> tuple[float, int, int]:
    have = bedrooms(dwelling.rooms)
    ideal = ideal_bedrooms(candidate.household_size, candidate.member_ages)
    if have >= ideal:
        points = SIZE_MAX - SIZE_SURPLUS_PENALTY * (have - ideal)
    else:
        points = SIZE_MAX - SIZE_SHORT_PENALTY * (ideal - have)
    return max(points, 0.0), have, ideal


def _access_points(dwelling: DwellingFacts, candidate: Candidate) -> float:
    needs = candidate.needs_wheelchair_access or candidate.needs_step_free
    return 0.0 if dwelling.accessible and not needs else ACCESS_MAX


def _district_points(dwelling: DwellingFacts, candidate: Candidate) -> float:
    if not candidate.district_wishes:
        return DISTRICT_NO_WISH
    return DISTRICT_MAX if dwelling.district in candidate.district_wishes else 0.0


def _waiting_points(days: int) -> float:
    return WAITING_MAX * min(max(days, 0), WAITING_CAP_DAYS) / WAITING_CAP_DAYS


def score(dwelling: DwellingFacts, candidate: Candidate, today: date) -> float:
    """The fit score alone (cheap; used to rank thousands of candidates)."""
    days = (today - candidate.received_on).days
    return (
        _size_points(dwelling, candidate)[0]
        + _access_points(dwelling, candidate)
        + _district_points(dwelling, candidate)
        + _waiting_points(days)
        + URGENCY_POINTS[candidate.urgency]
    )


def explain(dwelling: DwellingFacts, candidate: Candidate, today: date) -> list[Part]:
    """The score's parts, each with its reason in words."""
    size, have, ideal = _size_points(dwelling, candidate)
    ages = (
        f" (ages {', '.join(str(a) for a in candidate.member_ages)})"
        if len(candidate.member_ages) == candidate.household_size
        else ""
    )
    size_reason = (
        f"{dwelling.rooms}-room dwelling = {have} bedroom(s); {candidate.household_size} "
        f"person(s){ages} ideally need {ideal}"
    )
    if have > ideal:
        size_reason += f": {have - ideal} more than needed"
    elif have < ideal:
        size_reason += f": {ideal - have} short of the ideal, within the norm's limit"
    needs = candidate.needs_wheelchair_access or candidate.needs_step_free
    if needs:
        access_reason = "the household's access needs are met"
    elif dwelling.accessible:
        access_reason = "accessible dwelling, but the household does not need one"
    else:
        access_reason = "no access needs"
    if not candidate.district_wishes:
        district_reason = "no district wishes"
    elif dwelling.district in candidate.district_wishes:
        district_reason = f"{dwelling.district} is a wished district"
    else:
        district_reason = (
            f"{dwelling.district} is not among the wishes ({', '.join(candidate.district_wishes)})"
        )
    days = (today - candidate.received_on).days
    return [
        Part("size", size, SIZE_MAX, size_reason),
        Part("access", _access_points(dwelling, candidate), ACCESS_MAX, access_reason),
        Part("district", _district_points(dwelling, candidate), DISTRICT_MAX, district_reason),
        Part(
            "waiting",
            _waiting_points(days),
            WAITING_MAX,
            f"waiting {days} days since {candidate.received_on.isoformat()} "
            f"(full points at {WAITING_CAP_DAYS})",
        ),
        Part(
            "urgency",
            URGENCY_POINTS[candidate.urgency],
            URGENCY_MAX,
            f"urgency {candidate.urgency}",
        ),
    ]


@dataclass(frozen=True)
class Ranked:
    rank: int
    candidate: Candidate
    score: float
    parts: list[Part]


@dataclass(frozen=True)
class Suggestions:
    considered: int
    excluded: dict[str, int]
    ranked: list[Ranked]
    eligible: int


def suggest(
    dwelling: DwellingFacts, candidates: Iterable[Candidate], today: date, limit: int
) -> Suggestions:
    """Eligible candidates ranked by fit; explanations only for the ``limit`` shown."""
    excluded = {"too_small": 0, "needs_wheelchair_access": 0, "needs_step_free": 0}
    scored: list[tuple[float, int, date, str, Candidate]] = []
    considered = 0
    for candidate in candidates:
        considered += 1
        broken = violations(dwelling, candidate)
        if broken:
            for code in broken:
                excluded[code] += 1
            continue
        scored.append(
            (
                -score(dwelling, candidate, today),
                URGENCY_RANK[candidate.urgency],
                candidate.received_on,
                str(candidate.application_id),
                candidate,
            )
        )
    scored.sort(key=lambda item: item[:4])
    ranked = [
        Ranked(rank, item[4], round(-item[0], 2), explain(dwelling, item[4], today))
        for rank, item in enumerate(scored[:limit], start=1)
    ]
    return Suggestions(considered, excluded, ranked, len(scored))
