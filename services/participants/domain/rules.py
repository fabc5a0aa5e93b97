"""Every invariant the participant aggregate enforces, each with a stable code.

409: the participant's recorded facts forbid the command; 422: the command's own
values are impossible. Kit-wide rules (``future-fact``, ``date-order``,
``date-out-of-range``, ``unknown-code``, ``missing-field``) come from :mod:`shared.rules`.
"""

from __future__ import annotations

from shared.rules import DATE_ORDER, DATE_OUT_OF_RANGE, FUTURE_FACT, MISSING_FIELD, UNKNOWN_CODE
from shared.rules import rule as _rule

__all__ = [
    "DATE_ORDER",
    "DATE_OUT_OF_RANGE",
    "FUTURE_FACT",
    "MISSING_FIELD",
    "UNKNOWN_CODE",
]

S = "participants"

NOT_REGISTERED = _rule(
    "not-registered", 409, "Not registered", S, "The participant does not exist."
)
ERASED = _rule(
    "erased",
    409,
    "Personal data erased",
    S,
    "The participant's personal data was erased; nothing more can be recorded.",
)
BIRTH_DATE_MISMATCH = _rule(
    "birth-date-mismatch",
    422,
    "Birth date contradicts the national id",
    S,
    "The birth date must be the one the fødselsnummer or D-number encodes.",
)
NOT_A_MINOR = _rule(
    "not-a-minor",
    422,
    "Not a minor at settlement",
    S,
    "Unaccompanied minor (enslig mindreårig) only for a person under 18 on the settlement date.",
)
AFTER_DEATH = _rule(
    "after-death",
    409,
    "Recorded after death",
    S,
    "Nothing can be recorded after a participant's death except correcting personal details "
    "or erasing them; a death cannot be dated before facts already recorded.",
)
MOVED_AWAY = _rule(
    "moved-away",
    409,
    "The participant has left the municipality",
    S,
    "From the day of a move to another municipality or an emigration, the case belongs "
    "elsewhere: facts dated on or after it are refused.",
)
BEFORE_BIRTH = _rule(
    "before-birth", 422, "Dated before birth", S, "No fact about a person precedes their birth."
)
BEFORE_SETTLEMENT = _rule(
    "before-settlement",
    422,
    "Dated before settlement",
    S,
    "A programme starts on or after the settlement (bosetting); a settlement may not be "
    "corrected to after it.",
)
BEFORE_PROGRAMME_START = _rule(
    "before-programme-start",
    422,
    "Dated before the programme started",
    S,
    "Plans, activities, leaves, absences and follow-up conversations fall within the "
    "programme they belong to.",
)
AFTER_PROGRAMME_END = _rule(
    "after-programme-end",
    422,
    "Dated after the programme ended",
    S,
    "Absences, leaves and follow-up conversations fall within the programme; a programme "
    "cannot end before facts already recorded in it.",
)
ABSENCE_OVER_24H = _rule(
    "absence-over-24h",
    409,
    "More than 24 hours of absence on one day",
    S,
    "The absences recorded for one person on one day add up to at most 24 hours.",
)
OVERLAPPING_LEAVE = _rule(
    "overlapping-leave",
    409,
    "Overlapping leave or interruption",
    S,
    "Leaves (permisjon) and interruptions (avbrudd) of a programme never overlap; the planned "
    "end moves by the union of their days, once.",
)
NOVEMBER_NOT_BEGUN = _rule(
    "november-not-begun",
    409,
    "The reference November has not begun",
    S,
    "The status in November of the year after the programme is recorded from 1 November of "
    "that year on.",
)
LEFT_THE_BASE = _rule(
    "left-the-base",
    409,
    "The participant left the result base",
    S,
    "No November status for a participant who died, emigrated or moved to another "
    "municipality (or whose outcome says so) unless the outcome is corrected first.",
)
ALREADY_SETTLED = _rule("already-settled", 409, "Already settled", S, "A person is settled once.")
NOT_SETTLED = _rule(
    "not-settled", 409, "Not settled", S, "Record the settlement before starting a programme."
)
PROGRAMME_RUNNING = _rule(
    "programme-running",
    409,
    "A programme is running",
    S,
    "One programme at a time: complete the running (or planned) one first.",
)
NO_PROGRAMME = _rule(
    "no-programme",
    409,
    "No programme",
    S,
    "The command needs a running programme (or an ended one, for outcomes and statuses).",
)
PROGRAMME_ENDED = _rule(
    "programme-ended", 409, "Programme already ended", S, "An ended programme stays ended."
)
ALREADY_PAUSED = _rule(
    "already-paused", 409, "Already paused", S, "Resume the open pause before another one."
)
NOT_PAUSED = _rule("not-paused", 409, "Not paused", S, "Only an open pause can be resumed.")
OUTCOME_RECORDED = _rule(
    "outcome-recorded",
    409,
    "Outcome already recorded",
    S,
    "An outcome is recorded once; send `correction: true` to correct it.",
)
FINAL_STATUS_RECORDED = _rule(
    "final-status-recorded",
    409,
    "Final status already recorded",
    S,
    "A preliminary November status cannot replace a final one.",
)
OUTCOME_HOURS = _rule(
    "outcome-hours",
    422,
    "Hours do not fit the outcome",
    S,
    "Full-time work is at least 30 h/week, part-time below; hours belong to work outcomes only.",
)
SAME_MUNICIPALITY = _rule(
    "same-municipality",
    422,
    "Move within the municipality",
    S,
    "A move-out goes to another municipality.",
)
NOT_IN_HOUSEHOLD = _rule(
    "not-in-household",
    409,
    "Not in a household",
    S,
    "Only a settled member of a household can leave it, once.",
)
