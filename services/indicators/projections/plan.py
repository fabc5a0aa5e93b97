"""The plan as versions of the service's own events: goals, indicator definitions,
thresholds per year, settings, approvals, comments and manual values (read back by
``loader.load_plan``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.indicators import tables as t
from services.indicators.events import (
    CommentRecorded,
    GoalDefined,
    GoalRevised,
    IndicatorDefined,
    IndicatorRedefined,
    LevelChanged,
    ManualValueRecorded,
    PlanApproved,
    PlanSettingsChanged,
    ThresholdsSet,
    registry,
)
from services.indicators.projections.facts import bump, insert
from shared.events import Envelope, Event
from shared.projection import OWN_EVENTS, Batch, Projection, each


def _row(table: sa.Table, event: Event, **given: Any) -> dict[str, Any]:
    """The table's columns that the event carries under the same name, and ``given``."""
    fields = type(event).model_fields
    carried = {c.name: getattr(event, c.name) for c in table.c if c.name in fields}
    return {**carried, **given}


async def _apply(batch: Batch, envelope: Envelope) -> None:
    if envelope.type_name not in registry or envelope.type_name == LevelChanged.type_name:
        return
    event = registry.decode(envelope.type_name, envelope.data)
    version = {
        "municipality": envelope.municipality,
        "version": envelope.stream_version,
        "recorded_at": envelope.recorded_at,
    }
    own = {
        "event_id": envelope.id,
        "municipality": envelope.municipality,
        "recorded_at": envelope.recorded_at,
    }
    if isinstance(event, GoalDefined | GoalRevised):
        row = _row(t.goal_versions, event, **version, indicator_keys=list(event.indicator_keys))
        insert(batch, t.goal_versions, row)
    elif isinstance(event, IndicatorDefined | IndicatorRedefined):
        insert(batch, t.indicator_versions, _row(t.indicator_versions, event, **version))
    elif isinstance(event, ThresholdsSet):
        bands = [band.model_dump(mode="json") for band in event.bands]
        for year in event.years:
            row = _row(t.threshold_versions, event, **version, year=year, bands=bands)
            insert(batch, t.threshold_versions, row)
    elif isinstance(event, CommentRecorded):
        row = _row(t.comments, event, **own, author=envelope.actor)
        insert(batch, t.comments, row)
    elif isinstance(event, ManualValueRecorded):
        insert(batch, t.manual_values, _row(t.manual_values, event, **own))
    elif isinstance(event, PlanSettingsChanged):
        insert(batch, t.plan_settings, _row(t.plan_settings, event, **version))
    elif isinstance(event, PlanApproved):
        row = _row(t.plan_approvals, event, **version, approved_by=envelope.actor)
        insert(batch, t.plan_approvals, row)
    else:
        return
    bump(batch, envelope.municipality)


PLAN = Projection(
    "plan",
    OWN_EVENTS,
    (
        t.goal_versions,
        t.indicator_versions,
        t.threshold_versions,
        t.comments,
        t.manual_values,
        t.plan_settings,
        t.plan_approvals,
    ),
    apply_batch=each(_apply),
)
