"""Examples in the matching service's OpenAPI document (see :mod:`shared.examples`).

Drammen (3301): a hotel registers as an employer with a mentor and an agreement, publishes
a cook's opening (STYRK 5120, ESCO «cook» with its essential skill «comply with food
safety and hygiene»), a participant is matched, interviewed and offered the job; a
volunteer guide who speaks Tigrinya and Arabic is checked, approved and assigned.
"""

from __future__ import annotations

from typing import Any

from shared.examples import (
    COOK_ESCO,
    COOK_STYRK,
    FOOD_SAFETY_ESCO,
    Examples,
    OperationExample,
    example_id,
)

_OPENING_TERMS: dict[str, Any] = {
    "isco_code": COOK_STYRK,
    "esco_occupation": COOK_ESCO,
    "essential_skills": [FOOD_SAFETY_ESCO],
    "norwegian": {"oral": "B1", "reading": "A2"},
    "places": 2,
    "hours_per_week": 37.5,
    "starts_on": "2024-10-01",
    "municipality_code": "3301",
    "title": "Kokk i hotellkjøkken / Cook in a hotel kitchen",
    "description": "Språkpraksis som kan gå over i fast stilling. / Language practice that "
    "can become a permanent position.",
}
_VOLUNTEER = {"id": example_id("volunteer_id"), "version": 3}

EXAMPLES = Examples(
    values={"industry": "hospitality"},
    schemas={
        "RegisterEmployer": {
            "name": "Fjordhotellet AS",
            "industry": "hospitality",
            "mentor_capacity": 3,
            "contact": {"name": "Ingrid Berg", "email": "personal@fjordhotellet.example.com"},
        },
        "ContactIn": {"name": "Ingrid Berg"},
        "RecordAgreement": {
            "measure": "placement_to_job",
            "description": "Seks språkpraksisplasser i året, halvparten til fast jobb. / Six "
            "language practice places a year, half of them into a job.",
            "target_share": 0.5,
            "valid_from": "2024-01-01",
            "valid_until": "2025-12-31",
        },
        "PublishOpening": {**_OPENING_TERMS, "kind": "language_practice"},
        "OpeningTermsIn": {**_OPENING_TERMS, "places": 3},
        "CloseOpening": {"closed_on": "2024-11-15", "reason": "filled"},
        "OnDate": {"on": "2024-09-10"},
        "Interview": {"on": "2024-09-17"},
        "Offer": {
            "on": "2024-09-20",
            "starts_on": "2024-10-01",
            "hours_per_week": 37.5,
            "permanent": False,
        },
        "Decline": {"declined_by": "participant", "on": "2024-09-12", "reason": "hours"},
        "Start": {"starts_on": "2024-10-01", "hours_per_week": 37.5, "permanent": False},
        "End": {
            "ends_on": "2025-03-31",
            "outcome": "turned_into_job",
            "job": {"starts_on": "2025-04-01", "hours_per_week": 37.5, "permanent": True},
        },
        "Allocate": {"kinds": ["language_practice", "job"], "min_score": 40, "propose": False},
        "RegisterVolunteer": {
            "consent": True,
            "consented_on": "2024-02-01",
            "personal": {"name": "Marte Olsen", "gender": "female"},
            "roles": ["guide"],
            "languages": ["ti", "ar", "no"],
            "municipality_code": "3301",
            "areas": ["Strømsø"],
            "slots": [{"weekday": 2, "part": "afternoon"}],
            "available_from": "2024-02-15",
            "available_until": "2025-02-14",
            "capacity": 2,
        },
        "Personal": {"name": "Marte Olsen"},
        "CheckCertificate": {
            "checked_on": "2024-02-05",
            "checked_by": "frivillighetskoordinator",
            "expires_on": "2027-02-05",
        },
        "Approve": {"approved_on": "2024-02-10"},
        "RecordContact": {"contacted_on": "2024-03-01", "kind": "call"},
        "Assign": {"starts_on": "2024-03-15", "ends_on": "2024-09-15"},
        "FollowUp": {"followed_up_on": "2024-05-15", "status": "going_well"},
        "EndAssignment": {"ended_on": "2024-09-15"},
        "HoldGathering": {"kind": "course", "held_on": "2024-04-18"},
        "RegisterNeed": {
            "household_id": example_id("household_id"),
            "role": "guide",
            "language": "ti",
            "area": "Strømsø",
            "starts_on": "2024-03-15",
            "ends_on": "2024-09-15",
        },
    },
    operations={
        "POST /employers": OperationExample(rules={409: "organisation-number-taken"}),
        "POST /employers/{employer_id}/agreements": OperationExample(
            rules={422: "agreement-target"}
        ),
        "POST /openings": OperationExample(rules={422: "missing-field"}),
        "POST /matches/{match_id}/offer": OperationExample(rules={409: "match-step-not-allowed"}),
        "POST /volunteer-needs": OperationExample(rules={422: "need-subject"}),
        "PUT /openings/{opening_id}": OperationExample(
            response={"id": example_id("opening_id"), "version": 2, "changed": True}
        ),
        "POST /openings/{opening_id}/closure": OperationExample(
            response={"id": example_id("opening_id"), "status": "closed", "version": 3}
        ),
        "POST /matches": OperationExample(
            response={
                "id": example_id("match_id"),
                "status": "proposed",
                "score": 72,
                "band": "good",
            }
        ),
        "DELETE /volunteers/{volunteer_id}": OperationExample(response=_VOLUNTEER),
        "POST /volunteers/{volunteer_id}/certificate": OperationExample(response=_VOLUNTEER),
        "POST /volunteers/{volunteer_id}/approval": OperationExample(response=_VOLUNTEER),
        "POST /volunteers/{volunteer_id}/contacts": OperationExample(response=_VOLUNTEER),
        "POST /volunteers/{volunteer_id}/assignments": OperationExample(
            response={
                "id": example_id("assignment_id"),
                "volunteer_id": example_id("volunteer_id"),
                "version": 4,
            }
        ),
        "POST /volunteers/{volunteer_id}/assignments/{assignment_id}/follow-ups": (
            OperationExample(response=_VOLUNTEER)
        ),
        "POST /volunteers/{volunteer_id}/assignments/{assignment_id}/end": OperationExample(
            response=_VOLUNTEER
        ),
    },
)
