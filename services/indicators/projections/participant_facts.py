"""Facts from the participants service: registrations, competence, programmes, tests,
follow-up statuses, moves, deaths and emigrations, birth-year corrections, the category
under the Integration Act, an unaccompanied minor's phases, outcomes and services' end,
erasures."""

from __future__ import annotations

from typing import Any

from services.indicators import tables as t
from services.indicators.domain.facts import EDUCATION_LEVELS
from services.indicators.projections.erasure import ERASED, erase
from services.indicators.projections.facts import (
    PARTICIPANTS_FEED,
    FactRow,
    day,
    fact_handler,
    flag,
    hours,
    ident,
    insert,
    keep,
    number,
    optional,
    required,
    required_day,
    truth,
    whole,
)
from services.indicators.projections.settlements import SETTLED, SETTLEMENT
from shared.events import Envelope
from shared.inbox import Keep, keep_fields
from shared.projection import Batch, Projection

BIRTH_YEAR_CORRECTED = "participants.participant.birth_year_corrected.v1"
COMPETENCE_PROFILE_UPDATED = "participants.competence_profile.updated.v1"
RESEARCH_RESERVATION_CHANGED = "participants.participant.research_reservation_changed.v1"
ACT_CATEGORY_RECORDED = "participants.act.category_recorded.v1"
MINOR_PHASE_ENTERED = "participants.minor.phase_entered.v1"
MINOR_OUTCOME_RECORDED = "participants.minor.outcome_recorded.v1"
MINOR_SERVICES_ENDED = "participants.minor.services_ended.v1"
PARTICIPANT = {"participant_id": ("participant_id", ident)}
PROGRAMME = {**PARTICIPANT, "programme_id": ("programme_id", ident)}

_STARTED = FactRow(
    t.programme_starts,
    {
        **PROGRAMME,
        "kind": ("kind", required),
        "starts_on": ("starts_on", day),
        "planned_end": ("planned_end", day),
    },
)
_REVISED = FactRow(
    t.plan_revisions,
    {
        **PROGRAMME,
        "revision": ("revision", whole),
        "valid_from": ("valid_from", day),
        "hours_per_week": ("hours_per_week", hours),
        "full_time": ("full_time", flag),
    },
)


def _base_exit(reason: str, date_field: str) -> FactRow:
    """Deaths and emigrations: the person leaves the base on the event's date."""
    return FactRow(
        t.base_exits,
        {**PARTICIPANT, "left_on": (date_field, day)},
        {"reason": reason},
    )


FACT_ROWS: dict[str, FactRow] = {
    "participants.participant.registered.v1": FactRow(
        t.registrations,
        {
            **PARTICIPANT,
            "birth_year": ("birth_year", optional),
            "gender": ("gender", optional),
        },
    ),
    "participants.programme.started.v1": _STARTED,
    "participants.programme.started.v2": _STARTED,
    "participants.programme.interrupted.v1": FactRow(
        t.programme_pauses,
        {**PROGRAMME, "pause_kind": ("kind", optional), "on_date": ("from_date", day)},
        {"change": "interrupted"},
    ),
    "participants.programme.resumed.v1": FactRow(
        t.programme_pauses,
        {**PROGRAMME, "on_date": ("resumed_on", day), "planned_end": ("planned_end", day)},
        {"change": "resumed"},
    ),
    "participants.plan.revised.v1": _REVISED,
    "participants.plan.revised.v2": _REVISED,
    "participants.programme.completed.v1": FactRow(
        t.programme_completions,
        {
            **PROGRAMME,
            "ended_on": ("ended_on", day),
            "reason": ("reason", required),
            "outcome": ("outcome", optional),
            "hours_per_week": ("hours_per_week", number),
        },
    ),
    "participants.norwegian_test.recorded.v1": FactRow(
        t.norwegian_tests,
        {
            **PARTICIPANT,
            "sub_test": ("sub_test", required),
            "level": ("level", required),
            "taken_on": ("taken_on", day),
        },
    ),
    "participants.follow_up_status.recorded.v1": FactRow(
        t.follow_up_statuses,
        {
            **PROGRAMME,
            "reference_year": ("reference_year", whole),
            "status": ("status", required),
            "preliminary": ("preliminary", truth),
        },
    ),
    "participants.participant.moved_out.v1": FactRow(
        t.moves_out,
        {
            **PARTICIPANT,
            "moved_on": ("moved_on", day),
            "to_municipality": ("to_municipality", optional),
        },
    ),
    "participants.participant.died.v1": _base_exit("died", "died_on"),
    "participants.participant.emigrated.v1": _base_exit("emigrated", "emigrated_on"),
    BIRTH_YEAR_CORRECTED: FactRow(
        t.birth_year_corrections, {**PARTICIPANT, "birth_year": ("birth_year", whole)}
    ),
    RESEARCH_RESERVATION_CHANGED: FactRow(
        t.research_reservations, {**PARTICIPANT, "reserved": ("reserved", truth)}
    ),
    ACT_CATEGORY_RECORDED: FactRow(
        t.act_categories,
        {
            **PARTICIPANT,
            "category": ("category", required),
            "valid_from": ("valid_from", required_day),
        },
    ),
    MINOR_PHASE_ENTERED: FactRow(
        t.minor_facts,
        {**PARTICIPANT, "kind": ("phase", required), "on_date": ("entered_on", required_day)},
        {"family": "phase"},
    ),
    MINOR_OUTCOME_RECORDED: FactRow(
        t.minor_facts,
        {**PARTICIPANT, "kind": ("outcome", required), "on_date": ("on", required_day)},
        {"family": "outcome"},
    ),
    MINOR_SERVICES_ENDED: FactRow(
        t.minor_facts,
        {**PARTICIPANT, "kind": ("reason", required), "on_date": ("ended_on", required_day)},
        {"family": "services_ended"},
    ),
}

_NORWEGIAN_SUB_TESTS = ("oral", "written", "reading", "listening")


def _highest_education(data: dict[str, Any]) -> str | None:
    levels = [e.get("level") for e in data.get("education") or () if isinstance(e, dict)]
    known = [level for level in levels if level in EDUCATION_LEVELS]
    return max(known, key=EDUCATION_LEVELS.index) if known else None


async def _competence_profile(batch: Batch, envelope: Envelope) -> None:
    data = envelope.data
    norwegian = data.get("norwegian") or {}
    insert(
        batch,
        t.competence_profiles,
        {
            "event_id": envelope.id,
            "participant_id": ident(data, "participant_id"),
            "education_level": _highest_education(data),
            **{f"norwegian_{sub}": norwegian.get(sub) for sub in _NORWEGIAN_SUB_TESTS},
            "municipality": envelope.municipality,
            "recorded_at": envelope.recorded_at,
        },
    )


async def _settled(batch: Batch, envelope: Envelope) -> None:
    """The settlements projection holds the row; the municipality's data still changed."""


def _profile_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Education levels and Norwegian levels only: no free strings, no other parts."""
    norwegian = data.get("norwegian") or {}
    return {
        "participant_id": data.get("participant_id"),
        "education": [
            {"level": e.get("level")} for e in data.get("education") or () if isinstance(e, dict)
        ],
        "norwegian": {
            sub: norwegian.get(sub)
            for sub in _NORWEGIAN_SUB_TESTS
            if isinstance(norwegian, dict) and norwegian.get(sub) is not None
        },
    }


PARTICIPANTS_KEEP: Keep = {
    **keep({SETTLED: SETTLEMENT, **FACT_ROWS}),
    COMPETENCE_PROFILE_UPDATED: _profile_fields,
    ERASED: keep_fields("participant_id"),
}
"""The participants events the indicators follow, and the fields kept of each.

``participant.left_household`` is not followed: no indicator reads household
composition after settlement (households are counted by ``household_id`` from the
settlement and housing's applications and placements)."""

PARTICIPANT_FACTS = Projection(
    "participant_facts",
    PARTICIPANTS_FEED,
    t.PARTICIPANT_FACTS,
    apply_batch=fact_handler(
        FACT_ROWS,
        {SETTLED: _settled, COMPETENCE_PROFILE_UPDATED: _competence_profile, ERASED: erase},
    ),
)
