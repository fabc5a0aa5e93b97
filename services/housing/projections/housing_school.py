"""``housing_school_courses``, ``housing_school_attendance`` and ``tenancy_follow_ups``:
the housing school's courses and who completed them, host-family visits and incidents."""

from __future__ import annotations

from collections.abc import Sequence

from services.housing import tables as t
from services.housing.domain.housing_school import completed
from services.housing.projections.rows import decode_all
from services.housing.school_events import (
    HostFamilyVisitRecorded,
    HousingSchoolCoursePlanned,
    HousingSchoolSessionHeld,
    TenancyIncidentRecorded,
)
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Batch, Projection


async def _apply(batch: Batch, envelopes: Sequence[Envelope]) -> None:
    events = decode_all(envelopes)
    courses = {
        (ev.course_id,)
        for _, ev in events
        if isinstance(ev, HousingSchoolCoursePlanned | HousingSchoolSessionHeld)
    }
    await batch.load(t.housing_school_courses, courses)
    await batch.load(
        t.housing_school_attendance,
        {
            (ev.course_id, household)
            for _, ev in events
            if isinstance(ev, HousingSchoolSessionHeld)
            for household in ev.attended
        },
    )
    for envelope, event in events:
        if isinstance(event, HousingSchoolCoursePlanned):
            batch.put(
                t.housing_school_courses,
                {
                    "course_id": event.course_id,
                    "municipality": envelope.municipality,
                    "starts_on": event.starts_on,
                    "sessions": event.sessions,
                    "required_sessions": event.required_sessions,
                    "held": [],
                    "version": envelope.stream_version,
                },
            )
        elif isinstance(event, HousingSchoolSessionHeld):
            course = batch.row(t.housing_school_courses, (event.course_id,))
            if course is None:
                continue
            held = {"session": event.session, "held_on": event.held_on.isoformat()}
            batch.put(
                t.housing_school_courses,
                course | {"held": [*course["held"], held], "version": envelope.stream_version},
            )
            for household in event.attended:
                row = batch.row(t.housing_school_attendance, (event.course_id, household)) or {
                    "course_id": event.course_id,
                    "household_id": household,
                    "municipality": envelope.municipality,
                    "sessions_attended": 0,
                    "completed_on": None,
                }
                attended = row["sessions_attended"] + 1
                done = row["completed_on"]
                if done is None and completed(attended, course["required_sessions"]):
                    done = event.held_on
                batch.put(
                    t.housing_school_attendance,
                    row | {"sessions_attended": attended, "completed_on": done},
                )
        elif isinstance(event, HostFamilyVisitRecorded):
            batch.put(
                t.tenancy_follow_ups,
                {
                    "record_id": envelope.id,
                    "municipality": envelope.municipality,
                    "household_id": event.household_id,
                    "kind": "visit",
                    "volunteer_id": event.volunteer_id,
                    "on": event.visited_on,
                },
            )
        elif isinstance(event, TenancyIncidentRecorded):
            batch.put(
                t.tenancy_follow_ups,
                {
                    "record_id": event.incident_id,
                    "municipality": envelope.municipality,
                    "household_id": event.household_id,
                    "kind": event.kind.value,
                    "volunteer_id": None,
                    "on": event.occurred_on,
                },
            )


HOUSING_SCHOOL = Projection(
    "housing_school",
    OWN_EVENTS,
    (t.housing_school_courses, t.housing_school_attendance, t.tenancy_follow_ups),
    apply_batch=_apply,
)
