"""Needs for a volunteer, and matching volunteers to them (pure, no I/O).

Explained like job matching (``docs/matching/scoring.md``): hard constraints exclude,
each with its rule code; the soft parts give ``score = 100 × Π (1 − weight × (1 −
value))`` and every part says why. The same hard constraints refuse an assignment, so
a volunteer the matching excludes can never be assigned.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from services.matching.domain.volunteers import (
    NEED_SUBJECT,
    POLICE_CERTIFICATE,
    VOLUNTEER_AVAILABILITY,
    VOLUNTEER_CAPACITY,
    VOLUNTEER_ERASED,
    VOLUNTEER_LANGUAGE,
    VOLUNTEER_NOT_APPROVED,
    VOLUNTEER_ROLE,
    Interval,
    Volunteer,
    peak_load,
)
from services.matching.events import (
    ROLES_WITH_MINORS,
    Gender,
    TimeSlot,
    VolunteerAssigned,
    VolunteerNeedRegistered,
    VolunteerRole,
)
from shared.dates import check_window
from shared.events import Event
from shared.rules import DATE_ORDER, Rule

WEIGHTS = {"location": 0.4, "gender": 0.3, "skills": 0.3}
"""How much of the score each soft part can take away."""

STRONG, PARTIAL = 75.0, 50.0
"""Band thresholds on the score, as job matching's defaults."""


@dataclass(frozen=True)
class Need:
    need_id: uuid.UUID
    role: VolunteerRole
    language: str
    municipality_code: str
    area: str | None
    slots: frozenset[TimeSlot]
    starts_on: date
    ends_on: date | None
    involves_minors: bool
    preferred_gender: Gender | None
    skills: frozenset[str]
    participant_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None

    @property
    def with_minors(self) -> bool:
        return self.involves_minors or self.role in ROLES_WITH_MINORS

    @property
    def interval(self) -> Interval:
        return Interval(self.starts_on, self.ends_on)


_DESCRIBED = tuple(f.name for f in fields(Need) if f.name not in {"need_id", "slots", "skills"})


def need_described(need_id: uuid.UUID, description: Any) -> Need:
    """The need ``description`` gives: a registration request or the event it became.

    Both carry the need's fields under the same names (slots and skills as sequences).
    """
    return Need(
        need_id=need_id,
        slots=frozenset(description.slots),
        skills=frozenset(description.skills),
        **{name: getattr(description, name) for name in _DESCRIBED},
    )


def need_from(event: VolunteerNeedRegistered) -> Need:
    return need_described(event.need_id, event)


def fold_need(events: Iterable[Event]) -> Need | None:
    found = None
    for event in events:
        if isinstance(event, VolunteerNeedRegistered):
            found = need_from(event)
    return found


def register_need(need: Need) -> list[Event]:
    if (need.participant_id is None) == (need.household_id is None):
        raise NEED_SUBJECT.violation(
            "A need names exactly one of participant_id and household_id.",
            "participant_id",
            "household_id",
        )
    check_window("starts_on", need.starts_on)
    if need.ends_on is not None:
        check_window("ends_on", need.ends_on)
        if need.ends_on < need.starts_on:
            raise DATE_ORDER.violation(
                f"ends_on {need.ends_on} is before starts_on {need.starts_on}.",
                "ends_on",
                starts_on=need.starts_on,
                ends_on=need.ends_on,
            )
    return [
        VolunteerNeedRegistered(
            need_id=need.need_id,
            participant_id=need.participant_id,
            household_id=need.household_id,
            role=need.role,
            language=need.language,
            municipality_code=need.municipality_code,
            area=need.area,
            slots=tuple(sorted(need.slots, key=lambda s: (s.weekday, s.part))),
            starts_on=need.starts_on,
            ends_on=need.ends_on,
            involves_minors=need.involves_minors,
            preferred_gender=need.preferred_gender,
            skills=tuple(sorted(need.skills)),
        )
    ]


@dataclass(frozen=True)
class Failure:
    """One hard constraint not met: the rule it breaks and why, in English."""

    rule: Rule
    message: str
    facts: dict[str, Any]


def hard_failures(volunteer: Volunteer, need: Need, interval: Interval) -> list[Failure]:
    """Every hard constraint ``volunteer`` fails for ``need`` over ``interval``."""
    failures: list[Failure] = []
    if volunteer.erased:
        return [Failure(VOLUNTEER_ERASED, "The volunteer's data was erased.", {})]
    if volunteer.approved_on is None:
        failures.append(
            Failure(VOLUNTEER_NOT_APPROVED, "No volunteer coordinator has approved them.", {})
        )
    if need.role not in volunteer.roles:
        failures.append(
            Failure(
                VOLUNTEER_ROLE,
                f"They do not take the role {need.role.value}.",
                {"role": need.role.value},
            )
        )
    if need.with_minors:
        certificate = volunteer.certificate
        if certificate is None:
            failures.append(
                Failure(
                    POLICE_CERTIFICATE,
                    "The need involves minors and no politiattest has been checked.",
                    {"certificate": "none"},
                )
            )
        elif certificate.expires_on < interval.starts_on or (
            interval.ends_on is not None and certificate.expires_on < interval.ends_on
        ):
            failures.append(
                Failure(
                    POLICE_CERTIFICATE,
                    f"The need involves minors and the politiattest expires on "
                    f"{certificate.expires_on.isoformat()}, before the assignment ends.",
                    {"expires_on": certificate.expires_on.isoformat()},
                )
            )
    if need.language not in volunteer.languages:
        failures.append(
            Failure(
                VOLUNTEER_LANGUAGE,
                f"They do not speak {need.language}.",
                {"language": need.language},
            )
        )
    outside = (
        volunteer.available_from is not None and interval.starts_on < volunteer.available_from
    ) or (
        volunteer.available_until is not None
        and (interval.ends_on is None or volunteer.available_until < interval.ends_on)
    )
    no_common_time = (
        bool(need.slots) and bool(volunteer.slots) and not (need.slots & volunteer.slots)
    )
    if outside or no_common_time:
        failures.append(
            Failure(
                VOLUNTEER_AVAILABILITY,
                "The need falls outside the period they are available."
                if outside
                else "They are free at none of the times the need falls on.",
                {"reason": "period" if outside else "times"},
            )
        )
    held = [a.interval for a in volunteer.assignments.values()]
    load = peak_load(held, interval)
    if load >= volunteer.capacity:
        failures.append(
            Failure(
                VOLUNTEER_CAPACITY,
                f"They already hold {load} assignment(s) on a day of this one; their capacity "
                f"is {volunteer.capacity}.",
                {"held": load, "capacity": volunteer.capacity},
            )
        )
    return failures


def _part(name: str, value: float, detail: dict[str, Any]) -> dict[str, Any]:
    weight = WEIGHTS[name]
    factor = round(1 - weight * (1 - value), 4)
    return {
        "part": name,
        "weight": weight,
        "value": round(value, 4),
        "factor": factor,
        "points": round(100 * factor, 2),
        "max_points": 100.0,
        "detail": detail,
    }


def explain(volunteer: Volunteer, need: Need, gender: Gender | None) -> dict[str, Any]:
    """The volunteer for the need: hard constraints, soft parts and the score they make.

    ``gender`` comes from the volunteer's sealed record (None: not stated or erased).
    """
    failures = hard_failures(volunteer, need, need.interval)
    same_municipality = volunteer.municipality_code == need.municipality_code
    in_area = need.area is None or need.area in volunteer.areas
    location = 1.0 if same_municipality and in_area else 0.7 if same_municipality else 0.3
    if need.preferred_gender is None:
        gender_value = 1.0
    elif gender is None:
        gender_value = 0.5
    else:
        gender_value = 1.0 if gender is need.preferred_gender else 0.0
    held = need.skills & volunteer.skills
    skills_value = len(held) / len(need.skills) if need.skills else 0.5
    parts = [
        _part(
            "location",
            location,
            {
                "same_municipality": same_municipality,
                "in_area": in_area,
                "area": need.area,
            },
        ),
        _part(
            "gender",
            gender_value,
            {
                "preferred": need.preferred_gender.value if need.preferred_gender else None,
                "stated": gender is not None,
            },
        ),
        _part(
            "skills",
            skills_value,
            {"wished": sorted(need.skills), "held": sorted(held)},
        ),
    ]
    score = 100.0
    for part in parts:
        score *= part["factor"]
    score = round(score, 2)
    band = (
        "excluded"
        if failures
        else "strong"
        if score >= STRONG
        else "partial"
        if score >= PARTIAL
        else "weak"
    )
    return {
        "volunteer_id": volunteer.volunteer_id,
        "need_id": need.need_id,
        "score": score,
        "band": band,
        "excluded": bool(failures),
        "exclusions": [
            {"rule": f.rule.code, "message": f.message, "facts": f.facts} for f in failures
        ],
        "parts": parts,
    }


def assign(
    volunteer: Volunteer,
    need: Need,
    *,
    assignment_id: uuid.UUID,
    starts_on: date,
    ends_on: date | None,
) -> list[Event]:
    """The volunteer takes the need, from ``starts_on`` to ``ends_on``: refused with the
    first hard constraint they fail (the same ones the matching explains)."""
    check_window("starts_on", starts_on)
    if ends_on is not None:
        check_window("ends_on", ends_on)
        if ends_on < starts_on:
            raise DATE_ORDER.violation(
                f"ends_on {ends_on} is before starts_on {starts_on}.",
                "ends_on",
                starts_on=starts_on,
                ends_on=ends_on,
            )
    failures = hard_failures(volunteer, need, Interval(starts_on, ends_on))
    if failures:
        first = failures[0]
        raise first.rule.violation(
            " ".join(f.message for f in failures),
            "volunteer_id",
            **first.facts,
        )
    assert volunteer.volunteer_id is not None
    return [
        VolunteerAssigned(
            volunteer_id=volunteer.volunteer_id,
            assignment_id=assignment_id,
            need_id=need.need_id,
            role=need.role,
            starts_on=starts_on,
            ends_on=ends_on,
        )
    ]
