"""Facts from the housing service: applications and decisions, placements, evictions,
households becoming owners, the housing school and tenancy incidents."""

from __future__ import annotations

import uuid
from typing import Any

from services.indicators import tables as t
from services.indicators.projections.facts import (
    HOUSING_FEED,
    FactRow,
    day,
    fact_handler,
    ident,
    keep,
    optional,
    required,
)
from shared.inbox import Keep
from shared.projection import Projection

APPLICATION = {
    "application_id": ("application_id", ident),
    "household_id": ("household_id", ident),
}
PLACEMENT = {
    "placement_id": ("placement_id", ident),
    "household_id": ("household_id", ident),
}


def households(data: dict[str, Any], key: str) -> list[uuid.UUID]:
    return [uuid.UUID(str(raw)) for raw in data.get(key) or ()]


COURSE = {"course_id": ("course_id", ident)}

FACT_ROWS: dict[str, FactRow] = {
    "housing.housing_application.received.v1": FactRow(
        t.housing_applications,
        {
            **APPLICATION,
            "household_size": ("household_size", optional),
            "received_on": ("received_on", day),
            "urgency": ("urgency", optional),
        },
    ),
    "housing.housing_application.decided.v1": FactRow(
        t.housing_decisions,
        {
            **APPLICATION,
            "decision": ("decision", required),
            "decided_on": ("decided_on", day),
        },
    ),
    "housing.placement.started.v1": FactRow(
        t.placements,
        {
            **PLACEMENT,
            "dwelling_id": ("dwelling_id", ident),
            "application_id": ("application_id", ident),
            "on_date": ("starts_on", day),
        },
        {"change": "started"},
    ),
    "housing.placement.ended.v1": FactRow(
        t.placements,
        {
            **PLACEMENT,
            "dwelling_id": ("dwelling_id", ident),
            "on_date": ("ends_on", day),
            "reason": ("reason", optional),
        },
        {"change": "ended"},
    ),
    "housing.eviction.recorded.v1": FactRow(
        t.evictions,
        {
            **PLACEMENT,
            "evicted_on": ("evicted_on", day),
            "grounds": ("grounds", optional),
        },
    ),
    "housing.household.became_owner.v1": FactRow(
        t.ownerships,
        {
            "household_id": ("household_id", ident),
            "became_owner_on": ("became_owner_on", day),
            "route": ("route", required),
            "dwelling_id": ("dwelling_id", ident),
            "price": ("price", optional),
        },
    ),
    "housing.housing_school.course_planned.v1": FactRow(
        t.housing_school,
        {
            **COURSE,
            "on_date": ("starts_on", day),
            "required_sessions": ("required_sessions", optional),
        },
        {"change": "planned"},
    ),
    "housing.housing_school.session_held.v1": FactRow(
        t.housing_school,
        {
            **COURSE,
            "on_date": ("held_on", day),
            "session": ("session", optional),
            "attended": ("attended", households),
        },
        {"change": "held"},
    ),
    "housing.tenancy.incident_recorded.v1": FactRow(
        t.tenancy_incidents,
        {
            "household_id": ("household_id", ident),
            "kind": ("kind", required),
            "occurred_on": ("occurred_on", day),
        },
    ),
}

HOUSING_KEEP: Keep = keep(FACT_ROWS)
"""The housing events the indicators follow, and the fields kept of each."""

HOUSING_FACTS = Projection(
    "housing_facts", HOUSING_FEED, t.HOUSING_FACTS, apply_batch=fact_handler(FACT_ROWS)
)
