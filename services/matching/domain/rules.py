"""Every refusal of the matching service, declared once.

The HTTP kit renders each as problem details with the rule's code, and the catalogue
lists them in the OpenAPI document.
"""

from __future__ import annotations

from shared.rules import rule

NOT_RECORDED = rule(
    "not-recorded",
    409,
    "Nothing recorded yet",
    service="matching",
    description="The opening or match has no history (the application answers 404 first).",
)
ORGANISATION_NUMBER_TAKEN = rule(
    "organisation-number-taken",
    409,
    "Employer already registered",
    service="matching",
    description="An organisation number is registered once per municipality.",
)
OPENING_CLOSED = rule(
    "opening-closed",
    409,
    "Opening closed",
    service="matching",
    description="A closed opening cannot change, take candidates or close again.",
)
OPENING_FILLED = rule(
    "opening-filled",
    409,
    "Opening filled",
    service="matching",
    description="Every place of the opening is taken by a started placement or job.",
)
PLACES_BELOW_TAKEN = rule(
    "places-below-taken",
    409,
    "Fewer places than taken",
    service="matching",
    description="An opening's places cannot go below the places already taken.",
)
PLACE_ALREADY_HELD = rule(
    "place-already-held",
    409,
    "Place already held",
    service="matching",
    description="A match holds at most one place of its opening.",
)
MATCH_STEP = rule(
    "match-step-not-allowed",
    409,
    "Step not allowed in the match's status",
    service="matching",
    description="The workflow runs proposed → interested → interview → offered → started → "
    "ended; a declined match takes no further step.",
)
HARD_REQUIREMENT = rule(
    "hard-requirement",
    409,
    "Hard requirement not met",
    service="matching",
    description="The candidate lacks a driving licence class or qualification the opening "
    "requires (or has not shared it).",
)
LIVE_MATCH_EXISTS = rule(
    "live-match-exists",
    409,
    "Live match exists",
    service="matching",
    description="A participant has at most one live match per opening.",
)
MENTOR_CAPACITY = rule(
    "mentor-capacity",
    409,
    "Employer's mentor capacity reached",
    service="matching",
    description="Every participant in a practice placement (started or scheduled, not ended) "
    "takes one of the employer's mentors; a placement cannot start beyond the capacity.",
)
CANDIDATE_ERASED = rule(
    "candidate-erased",
    409,
    "Participant's data erased",
    service="matching",
    description="The participant's data was erased; the match cannot go on.",
)
CANDIDATE_LEFT = rule(
    "candidate-left",
    409,
    "Participant left the municipality",
    service="matching",
    description="The participant moved to another municipality, emigrated or died on or "
    "before the day the placement or job would start.",
)
JOB_TERMS_WITHOUT_JOB = rule(
    "job-terms-without-job",
    422,
    "Job terms for an outcome that is not a job",
    service="matching",
    description="`job` is given exactly when a placement ends with `turned_into_job`.",
)
