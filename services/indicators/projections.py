"""Read models of the indicators service.

Facts come from the participants, housing and matching feeds: one row per event with
the source's ``recorded_at`` (CloudEvent ``recordedtime``), never updated, so any
as-of question reads the rows recorded by then. The exception is erasure: on
``participant.erased`` the person's pseudonymous id is replaced everywhere — in these
tables and in the kit's inbox (``received_events``) — by an alias derived from the
erasure event's id, so counts stay reproducible while nothing links back to the
person. Configuration tables are versions of the service's own events.

Every applied fact or configuration change bumps the municipality's ``data_version``:
the level evaluator and the snapshot cache key on it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.indicators import tables as t
from services.indicators.domain.facts import EDUCATION_LEVELS
from services.indicators.events import (
    CommentRecorded,
    GoalDefined,
    GoalRevised,
    IndicatorDefined,
    IndicatorRedefined,
    LevelChanged,
    ManualValueRecorded,
    ThresholdsSet,
    registry,
)
from shared.events import Envelope
from shared.inbox import Keep, keep_fields
from shared.projection import OWN_EVENTS, Projection

PARTICIPANTS_FEED = "participants"
HOUSING_FEED = "housing"
MATCHING_FEED = "matching"

SETTLED = "participants.participant.settled.v1"
ERASED = "participants.participant.erased.v1"
BIRTH_YEAR_CORRECTED = "participants.participant.birth_year_corrected.v1"
BASE_EXITS = {
    "participants.participant.died.v1": ("died", "died_on"),
    "participants.participant.emigrated.v1": ("emigrated", "emigrated_on"),
}
"""Events after which a person leaves the base, with the reason and the date field."""
ERASURE_ALIASES = uuid.UUID("6f1c1c8e-3f43-4c47-9a57-0d5a3cbb1e59")
"""Namespace of the aliases that replace an erased participant's id."""


def erasure_alias(erasure_event_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(ERASURE_ALIASES, str(erasure_event_id))


def _date(data: dict[str, Any], key: str) -> date | None:
    raw = data.get(key)
    return date.fromisoformat(str(raw)) if raw else None


def _uuid(data: dict[str, Any], key: str) -> uuid.UUID | None:
    raw = data.get(key)
    return uuid.UUID(str(raw)) if raw else None


def _float(data: dict[str, Any], key: str) -> float | None:
    raw = data.get(key)
    return float(raw) if raw is not None else None


async def bump(conn: AsyncConnection, municipality: str) -> None:
    """Mark the municipality's data as changed (evaluator and caches look at this)."""
    table = t.municipality_data
    await conn.execute(
        pg.insert(table)
        .values(municipality=municipality, data_version=1)
        .on_conflict_do_update(
            index_elements=["municipality"], set_={"data_version": table.c.data_version + 1}
        )
    )


async def _insert(conn: AsyncConnection, table: sa.Table, **values: Any) -> None:
    await conn.execute(pg.insert(table).values(**values).on_conflict_do_nothing())


# -- participants ------------------------------------------------------------------------


async def _apply_settlement(conn: AsyncConnection, envelope: Envelope) -> None:
    if envelope.type_name != SETTLED:
        return
    data = envelope.data
    await _insert(
        conn,
        t.settlements,
        participant_id=data["participant_id"],
        municipality=envelope.municipality,
        settled_on=date.fromisoformat(data["settled_on"]),
        arrival_category=data["arrival_category"],
        recorded_at=envelope.recorded_at,
        household_id=_uuid(data, "household_id"),
        household_size=data.get("household_size"),
        unaccompanied_minor=bool(data.get("unaccompanied_minor", False)),
        event_id=envelope.id,
    )


def _highest_education(data: dict[str, Any]) -> str | None:
    levels = [e.get("level") for e in data.get("education") or () if isinstance(e, dict)]
    known = [level for level in levels if level in EDUCATION_LEVELS]
    return max(known, key=EDUCATION_LEVELS.index) if known else None


async def _apply_participant_fact(conn: AsyncConnection, envelope: Envelope) -> None:
    data = envelope.data
    kind = envelope.type_name
    common = {"municipality": envelope.municipality, "recorded_at": envelope.recorded_at}
    pid = _uuid(data, "participant_id")
    if kind == "participants.participant.registered.v1":
        await _insert(
            conn,
            t.registrations,
            participant_id=pid,
            birth_year=data.get("birth_year"),
            gender=data.get("gender"),
            **common,
        )
    elif kind == SETTLED:
        pass  # the settlements projection holds it
    elif kind == "participants.competence_profile.updated.v1":
        norwegian = data.get("norwegian") or {}
        await _insert(
            conn,
            t.competence_profiles,
            event_id=envelope.id,
            participant_id=pid,
            education_level=_highest_education(data),
            norwegian_oral=norwegian.get("oral"),
            norwegian_written=norwegian.get("written"),
            norwegian_reading=norwegian.get("reading"),
            norwegian_listening=norwegian.get("listening"),
            **common,
        )
    elif kind in ("participants.programme.started.v1", "participants.programme.started.v2"):
        await _insert(
            conn,
            t.programme_starts,
            event_id=envelope.id,
            participant_id=pid,
            programme_id=_uuid(data, "programme_id"),
            kind=data["kind"],
            starts_on=_date(data, "starts_on"),
            planned_end=_date(data, "planned_end"),
            **common,
        )
    elif kind == "participants.programme.interrupted.v1":
        await _insert(
            conn,
            t.programme_pauses,
            event_id=envelope.id,
            participant_id=pid,
            programme_id=_uuid(data, "programme_id"),
            change="interrupted",
            pause_kind=data.get("kind"),
            on_date=_date(data, "from_date"),
            **common,
        )
    elif kind == "participants.programme.resumed.v1":
        await _insert(
            conn,
            t.programme_pauses,
            event_id=envelope.id,
            participant_id=pid,
            programme_id=_uuid(data, "programme_id"),
            change="resumed",
            on_date=_date(data, "resumed_on"),
            planned_end=_date(data, "planned_end"),
            **common,
        )
    elif kind in ("participants.plan.revised.v1", "participants.plan.revised.v2"):
        await _insert(
            conn,
            t.plan_revisions,
            event_id=envelope.id,
            participant_id=pid,
            programme_id=_uuid(data, "programme_id"),
            revision=int(data["revision"]),
            valid_from=_date(data, "valid_from"),
            hours_per_week=float(data["hours_per_week"]),
            full_time=bool(data.get("full_time", False)),
            **common,
        )
    elif kind == "participants.programme.completed.v1":
        await _insert(
            conn,
            t.programme_completions,
            event_id=envelope.id,
            participant_id=pid,
            programme_id=_uuid(data, "programme_id"),
            ended_on=_date(data, "ended_on"),
            reason=data["reason"],
            outcome=data.get("outcome"),
            hours_per_week=_float(data, "hours_per_week"),
            **common,
        )
    elif kind == "participants.norwegian_test.recorded.v1":
        await _insert(
            conn,
            t.norwegian_tests,
            event_id=envelope.id,
            participant_id=pid,
            sub_test=data["sub_test"],
            level=data["level"],
            taken_on=_date(data, "taken_on"),
            **common,
        )
    elif kind == "participants.follow_up_status.recorded.v1":
        await _insert(
            conn,
            t.follow_up_statuses,
            event_id=envelope.id,
            participant_id=pid,
            programme_id=_uuid(data, "programme_id"),
            reference_year=int(data["reference_year"]),
            status=data["status"],
            preliminary=bool(data["preliminary"]),
            **common,
        )
    elif kind == "participants.participant.moved_out.v1":
        await _insert(
            conn,
            t.moves_out,
            event_id=envelope.id,
            participant_id=pid,
            moved_on=_date(data, "moved_on"),
            to_municipality=data.get("to_municipality"),
            **common,
        )
    elif kind in BASE_EXITS:
        reason, date_field = BASE_EXITS[kind]
        await _insert(
            conn,
            t.base_exits,
            event_id=envelope.id,
            participant_id=pid,
            left_on=_date(data, date_field),
            reason=reason,
            **common,
        )
    elif kind == BIRTH_YEAR_CORRECTED:
        await _insert(
            conn,
            t.birth_year_corrections,
            event_id=envelope.id,
            participant_id=pid,
            birth_year=int(data["birth_year"]),
            **common,
        )
    elif kind == ERASED:
        assert pid is not None
        await _erase(conn, envelope, pid)
    else:
        return
    await bump(conn, envelope.municipality)


async def _erase(conn: AsyncConnection, envelope: Envelope, participant_id: uuid.UUID) -> None:
    """Replace the participant's id by an unlinkable alias in facts and in the inbox.

    Why the inbox too: replay rebuilds from ``received_events``; if the payloads kept
    the id, a rebuild would bring it back. A replayed erasure finds its own alias
    and changes nothing, so replay still equals the incremental result.
    """
    alias = erasure_alias(envelope.id)
    await _insert(
        conn,
        t.erasures,
        event_id=envelope.id,
        alias=alias,
        municipality=envelope.municipality,
        recorded_at=envelope.recorded_at,
    )
    if participant_id == alias:
        return
    for table in t.PARTICIPANT_KEYED:
        await conn.execute(
            sa.update(table)
            .where(table.c.participant_id == participant_id)
            .values(participant_id=alias)
        )
    await conn.execute(
        sa.text(
            """
            UPDATE received_events
            SET payload = jsonb_set(payload, '{data,participant_id}', to_jsonb(CAST(:alias AS text)))
                || CASE WHEN payload->>'streamid' = :pid
                        THEN jsonb_build_object('streamid', CAST(:alias AS text),
                                                'subject', CAST(:alias AS text))
                        ELSE '{}'::jsonb END
            WHERE consumer IN (:participants, :matching)
              AND payload->'data'->>'participant_id' = :pid
            """
        ),
        {
            "alias": str(alias),
            "pid": str(participant_id),
            "participants": PARTICIPANTS_FEED,
            "matching": MATCHING_FEED,
        },
    )


# -- housing -------------------------------------------------------------------------------


async def _apply_housing_fact(conn: AsyncConnection, envelope: Envelope) -> None:
    data = envelope.data
    kind = envelope.type_name
    common = {"municipality": envelope.municipality, "recorded_at": envelope.recorded_at}
    if kind == "housing.housing_application.received.v1":
        await _insert(
            conn,
            t.housing_applications,
            event_id=envelope.id,
            application_id=_uuid(data, "application_id"),
            household_id=_uuid(data, "household_id"),
            household_size=data.get("household_size"),
            received_on=_date(data, "received_on"),
            urgency=data.get("urgency"),
            **common,
        )
    elif kind == "housing.housing_application.decided.v1":
        await _insert(
            conn,
            t.housing_decisions,
            event_id=envelope.id,
            application_id=_uuid(data, "application_id"),
            household_id=_uuid(data, "household_id"),
            decision=data["decision"],
            decided_on=_date(data, "decided_on"),
            **common,
        )
    elif kind == "housing.placement.started.v1":
        await _insert(
            conn,
            t.placements,
            event_id=envelope.id,
            placement_id=_uuid(data, "placement_id"),
            household_id=_uuid(data, "household_id"),
            change="started",
            dwelling_id=_uuid(data, "dwelling_id"),
            application_id=_uuid(data, "application_id"),
            on_date=_date(data, "starts_on"),
            **common,
        )
    elif kind == "housing.placement.ended.v1":
        await _insert(
            conn,
            t.placements,
            event_id=envelope.id,
            placement_id=_uuid(data, "placement_id"),
            household_id=_uuid(data, "household_id"),
            change="ended",
            dwelling_id=_uuid(data, "dwelling_id"),
            on_date=_date(data, "ends_on"),
            reason=data.get("reason"),
            **common,
        )
    elif kind == "housing.eviction.recorded.v1":
        await _insert(
            conn,
            t.evictions,
            event_id=envelope.id,
            placement_id=_uuid(data, "placement_id"),
            household_id=_uuid(data, "household_id"),
            evicted_on=_date(data, "evicted_on"),
            grounds=data.get("grounds"),
            **common,
        )
    elif kind == "housing.household.became_owner.v1":
        await _insert(
            conn,
            t.ownerships,
            event_id=envelope.id,
            household_id=_uuid(data, "household_id"),
            became_owner_on=_date(data, "became_owner_on"),
            route=data["route"],
            dwelling_id=_uuid(data, "dwelling_id"),
            price=data.get("price"),
            **common,
        )
    else:
        return
    await bump(conn, envelope.municipality)


# -- matching ------------------------------------------------------------------------------


async def _apply_matching_fact(conn: AsyncConnection, envelope: Envelope) -> None:
    data = envelope.data
    kind = envelope.type_name
    common = {"municipality": envelope.municipality, "recorded_at": envelope.recorded_at}
    if kind == "matching.job.obtained.v1":
        await _insert(
            conn,
            t.jobs,
            event_id=envelope.id,
            participant_id=_uuid(data, "participant_id"),
            employer_id=_uuid(data, "employer_id"),
            match_id=_uuid(data, "match_id"),
            starts_on=_date(data, "starts_on"),
            hours_per_week=_float(data, "hours_per_week"),
            permanent=data.get("permanent"),
            **common,
        )
    elif kind == "matching.practice_placement.started.v1":
        await _insert(
            conn,
            t.practice_placements,
            event_id=envelope.id,
            placement_id=_uuid(data, "placement_id"),
            participant_id=_uuid(data, "participant_id"),
            change="started",
            kind=data.get("kind"),
            on_date=_date(data, "starts_on"),
            hours_per_week=_float(data, "hours_per_week"),
            **common,
        )
    elif kind == "matching.practice_placement.ended.v1":
        await _insert(
            conn,
            t.practice_placements,
            event_id=envelope.id,
            placement_id=_uuid(data, "placement_id"),
            participant_id=_uuid(data, "participant_id"),
            change="ended",
            on_date=_date(data, "ends_on"),
            outcome=data.get("outcome"),
            **common,
        )
    else:
        return
    await bump(conn, envelope.municipality)


# -- own events: the plan and the published levels -------------------------------------------


async def _apply_plan(conn: AsyncConnection, envelope: Envelope) -> None:
    if envelope.type_name not in registry or envelope.type_name == LevelChanged.type_name:
        return
    event = registry.decode(envelope.type_name, envelope.data)
    municipality = envelope.municipality
    at = envelope.recorded_at
    version = envelope.stream_version
    if isinstance(event, GoalDefined | GoalRevised):
        await _insert(
            conn,
            t.goal_versions,
            municipality=municipality,
            goal_key=event.goal_key,
            version=version,
            recorded_at=at,
            plan_level=event.plan_level,
            parent_key=event.parent_key,
            title_nb=event.title_nb,
            title_en=event.title_en,
            owner_unit=event.owner_unit,
            from_year=event.from_year,
            to_year=event.to_year,
            indicator_keys=list(event.indicator_keys),
        )
    elif isinstance(event, IndicatorDefined | IndicatorRedefined):
        await _insert(
            conn,
            t.indicator_versions,
            municipality=municipality,
            indicator_key=event.indicator_key,
            version=version,
            recorded_at=at,
            title_nb=event.title_nb,
            title_en=event.title_en,
            unit=event.unit,
            direction=event.direction,
            granularity=event.granularity,
            method=event.method,
            source=event.source,
            rule=event.rule,
            parameters=event.parameters,
            decimals=event.decimals,
        )
    elif isinstance(event, ThresholdsSet):
        bands = [band.model_dump(mode="json") for band in event.bands]
        for year in event.years:
            await _insert(
                conn,
                t.threshold_versions,
                municipality=municipality,
                indicator_key=event.indicator_key,
                year=year,
                version=version,
                recorded_at=at,
                bands=bands,
                gap_policy=event.gap_policy,
            )
    elif isinstance(event, CommentRecorded):
        await _insert(
            conn,
            t.comments,
            event_id=envelope.id,
            municipality=municipality,
            indicator_key=event.indicator_key,
            period=event.period,
            text=event.text,
            author=envelope.actor,
            recorded_at=at,
        )
    elif isinstance(event, ManualValueRecorded):
        await _insert(
            conn,
            t.manual_values,
            event_id=envelope.id,
            municipality=municipality,
            indicator_key=event.indicator_key,
            period=event.period,
            value=event.value,
            source=event.source,
            recorded_at=at,
        )
    else:
        return
    await bump(conn, municipality)


async def _apply_level(conn: AsyncConnection, envelope: Envelope) -> None:
    if envelope.type_name != LevelChanged.type_name:
        return
    event = registry.decode(envelope.type_name, envelope.data)
    assert isinstance(event, LevelChanged)
    values = {
        "level": event.level,
        "value": event.value,
        "preliminary": event.preliminary,
        "version": envelope.stream_version,
        "recorded_at": envelope.recorded_at,
    }
    await conn.execute(
        pg.insert(t.indicator_levels)
        .values(
            municipality=event.municipality,
            indicator_key=event.indicator_key,
            period=event.period,
            **values,
        )
        .on_conflict_do_update(
            index_elements=["municipality", "indicator_key", "period"], set_=values
        )
    )


# -- what the inbox keeps: exactly the fields the handlers above read ----------------------


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
            for sub in ("oral", "written", "reading", "listening")
            if isinstance(norwegian, dict) and norwegian.get(sub) is not None
        },
    }


PARTICIPANTS_KEEP: Keep = {
    "participants.participant.registered.v1": keep_fields("participant_id", "birth_year", "gender"),
    SETTLED: keep_fields(
        "participant_id",
        "settled_on",
        "arrival_category",
        "household_id",
        "household_size",
        "unaccompanied_minor",
    ),
    "participants.competence_profile.updated.v1": _profile_fields,
    "participants.programme.started.v1": keep_fields(
        "participant_id", "programme_id", "kind", "starts_on", "planned_end"
    ),
    "participants.programme.started.v2": keep_fields(
        "participant_id", "programme_id", "kind", "starts_on", "planned_end"
    ),
    "participants.programme.interrupted.v1": keep_fields(
        "participant_id", "programme_id", "kind", "from_date"
    ),
    "participants.programme.resumed.v1": keep_fields(
        "participant_id", "programme_id", "resumed_on", "planned_end"
    ),
    "participants.plan.revised.v1": keep_fields(
        "participant_id", "programme_id", "revision", "valid_from", "hours_per_week", "full_time"
    ),
    "participants.plan.revised.v2": keep_fields(
        "participant_id", "programme_id", "revision", "valid_from", "hours_per_week", "full_time"
    ),
    "participants.programme.completed.v1": keep_fields(
        "participant_id", "programme_id", "ended_on", "reason", "outcome", "hours_per_week"
    ),
    "participants.norwegian_test.recorded.v1": keep_fields(
        "participant_id", "sub_test", "level", "taken_on"
    ),
    "participants.follow_up_status.recorded.v1": keep_fields(
        "participant_id", "programme_id", "reference_year", "status", "preliminary"
    ),
    "participants.participant.moved_out.v1": keep_fields(
        "participant_id", "moved_on", "to_municipality"
    ),
    "participants.participant.died.v1": keep_fields("participant_id", "died_on"),
    "participants.participant.emigrated.v1": keep_fields("participant_id", "emigrated_on"),
    BIRTH_YEAR_CORRECTED: keep_fields("participant_id", "birth_year"),
    ERASED: keep_fields("participant_id"),
}
"""The participants events the indicators follow, and the fields kept of each.

``participant.left_household`` is not followed: no indicator reads household
composition after settlement (households are counted by ``household_id`` from the
settlement and housing's applications and placements)."""

HOUSING_KEEP: Keep = {
    "housing.housing_application.received.v1": keep_fields(
        "application_id", "household_id", "household_size", "received_on", "urgency"
    ),
    "housing.housing_application.decided.v1": keep_fields(
        "application_id", "household_id", "decision", "decided_on"
    ),
    "housing.placement.started.v1": keep_fields(
        "placement_id", "household_id", "dwelling_id", "application_id", "starts_on"
    ),
    "housing.placement.ended.v1": keep_fields(
        "placement_id", "household_id", "dwelling_id", "ends_on", "reason"
    ),
    "housing.eviction.recorded.v1": keep_fields(
        "placement_id", "household_id", "evicted_on", "grounds"
    ),
    "housing.household.became_owner.v1": keep_fields(
        "household_id", "became_owner_on", "route", "dwelling_id", "price"
    ),
}

MATCHING_KEEP: Keep = {
    "matching.job.obtained.v1": keep_fields(
        "participant_id", "employer_id", "match_id", "starts_on", "hours_per_week", "permanent"
    ),
    "matching.practice_placement.started.v1": keep_fields(
        "placement_id", "participant_id", "kind", "starts_on", "hours_per_week"
    ),
    "matching.practice_placement.ended.v1": keep_fields(
        "placement_id", "participant_id", "ends_on", "outcome"
    ),
}


PROJECTIONS = [
    Projection("settlements", PARTICIPANTS_FEED, (t.settlements,), _apply_settlement),
    Projection(
        "participant_facts", PARTICIPANTS_FEED, t.PARTICIPANT_FACTS, _apply_participant_fact
    ),
    Projection("housing_facts", HOUSING_FEED, t.HOUSING_FACTS, _apply_housing_fact),
    Projection("matching_facts", MATCHING_FEED, t.MATCHING_FACTS, _apply_matching_fact),
    Projection(
        "plan",
        OWN_EVENTS,
        (t.goal_versions, t.indicator_versions, t.threshold_versions, t.comments, t.manual_values),
        _apply_plan,
    ),
    Projection("levels", OWN_EVENTS, (t.indicator_levels,), _apply_level),
]
