"""Use cases of the indicators service: change the plan, and answer questions about it.

Commands validate everything first and then append one event in the command's
transaction, so bad input leaves nothing behind. Queries load the plan and a
snapshot as of the question's moment and hand them to the pure scoring code.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.indicators import tables as t
from services.indicators.commands import (
    ApprovalIn,
    CommentIn,
    GoalChange,
    IndicatorChange,
    ManualValueIn,
    SettingsIn,
    ThresholdsIn,
)
from services.indicators.domain.asof import AsOf
from services.indicators.domain.catalogue import BUILT_INS
from services.indicators.domain.facts import Snapshot
from services.indicators.domain.invariants import check_children_within, check_goal_within_parent
from services.indicators.domain.periods import Granularity, Period, PeriodError
from services.indicators.domain.plan import PLAN_LEVELS, Definition, Plan
from services.indicators.domain.rules import RULES
from services.indicators.domain.scoring import (
    IndicatorValue,
    ManualValue,
    ManualValues,
    Scorecard,
    compute,
    scorecard,
)
from services.indicators.domain.suppression import check_min_n
from services.indicators.domain.thresholds import Band, Direction, Level
from services.indicators.domain.thresholds import validate as validate_bands
from services.indicators.events import (
    BandData,
    CommentRecorded,
    GoalDefined,
    GoalRevised,
    IndicatorDefined,
    IndicatorRedefined,
    ManualValueRecorded,
    PlanApproved,
    PlanSettingsChanged,
    ThresholdsSet,
)
from services.indicators.loader import SnapshotCache, latest_approval, load_plan, plan_changes
from shared.commands import CommandResult
from shared.events import Event, Metadata
from shared.eventstore import NO_STREAM
from shared.problems import Conflict, InvalidInput, field_error
from shared.service import Runtime


def indicator_stream(municipality: str, key: str) -> str:
    return f"indicator-{municipality}-{key}"


def goal_stream(municipality: str, key: str) -> str:
    return f"goal-{municipality}-{key}"


def plan_stream(municipality: str) -> str:
    """The plan as a whole: its settings and approvals."""
    return f"plan-{municipality}"


async def lock_plan(conn: AsyncConnection, municipality: str) -> None:
    """Serialise the changes and approvals of one municipality's plan (until commit).

    Why: an approval approves the plan as recorded by its last change's time; a change
    committing after the approval with an earlier time would slip in unapproved. Under
    this lock changes commit in the order of their times, and the approval sees them all.
    """
    await conn.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
        {"key": f"indicators-plan-{municipality}"},
    )


async def draft_plan(conn: AsyncConnection, municipality: str) -> Plan:
    """The plan as recorded now, approved or not: what a change is checked against."""
    await lock_plan(conn, municipality)
    return await load_plan(conn, municipality, None, draft=True)


def level_stream(municipality: str, key: str, period: str) -> str:
    return f"level-{municipality}-{key}-{period}"


def parse_period(raw: str, field: str = "period") -> Period:
    try:
        return Period.parse(raw)
    except PeriodError as exc:
        raise InvalidInput(f"{field}: {exc}.", [field_error(field, str(exc))]) from exc


def unknown_indicator(key: str, plan: Plan, field: str = "key") -> InvalidInput:
    known = ", ".join(sorted(plan.definitions)) or "none defined yet"
    return InvalidInput(
        f"Unknown indicator key {key!r} in municipality {plan.municipality}.",
        [field_error(field, f"no indicator {key!r}; defined: {known}", "unknown_indicator")],
    )


async def _append(
    runtime: Runtime,
    conn: AsyncConnection,
    stream_id: str,
    stream_type: str,
    event: Event,
    metadata: Metadata,
    expected: int | None,
) -> int:
    current = await runtime.store.current_version(conn, stream_id)
    envelopes = await runtime.append(
        conn,
        stream_id,
        stream_type,
        [event],
        expected_version=current if expected is None else expected,
        metadata=metadata,
    )
    return envelopes[-1].stream_version


async def _defined(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    stream_id: str,
    stream_type: str,
    event: Event,
    key: str,
    again: bool,
    expected: int | None,
) -> CommandResult:
    """Append a definition (201; its stream must not exist yet) or a change of it (200)."""
    version = await _append(
        runtime, conn, stream_id, stream_type, event, metadata, expected if again else NO_STREAM
    )
    return CommandResult(200 if again else 201, {"key": key, "version": version})


# -- indicator definitions -----------------------------------------------------------------


def resolve_definition(
    key: str, change: IndicatorChange, existing: Definition | None
) -> dict[str, Any]:
    """The complete, validated fields of a definition; InvalidInput names every problem."""
    errors: list[dict[str, Any]] = []
    fields: dict[str, Any] = {}
    if change.from_catalogue is not None:
        built_in = BUILT_INS.get(change.from_catalogue)
        if built_in is None:
            raise InvalidInput(
                f"Unknown built-in indicator {change.from_catalogue!r}.",
                [
                    field_error(
                        "from_catalogue",
                        f"known: {', '.join(sorted(BUILT_INS))}",
                        "unknown_indicator",
                    )
                ],
            )
        fields = {
            "title_nb": built_in.title_nb,
            "title_en": built_in.title_en,
            "unit": built_in.unit.value,
            "direction": built_in.direction.value,
            "granularity": built_in.granularity.value,
            "method": "computed",
            "source": None,
            "rule": built_in.rule,
            "parameters": dict(built_in.parameters),
            "decimals": built_in.decimals,
        }
    elif existing is not None:
        fields = {
            "title_nb": existing.title_nb,
            "title_en": existing.title_en,
            "unit": existing.unit.value,
            "direction": existing.direction.value,
            "granularity": existing.granularity.value,
            "method": existing.method,
            "source": existing.source,
            "rule": existing.rule,
            "parameters": dict(existing.parameters),
            "decimals": existing.decimals,
        }
    given = change.model_dump(exclude_unset=True, exclude={"from_catalogue", "method"})
    if given.get("parameters") is not None and fields.get("parameters"):
        given["parameters"] = {**fields["parameters"], **given["parameters"]}
    fields.update({k: v for k, v in given.items() if v is not None})
    if change.method is not None:
        fields["method"] = change.method.kind
        fields["source"] = change.method.source
    fields.setdefault("decimals", 1)
    fields.setdefault("parameters", {})
    for required in ("title_nb", "title_en", "direction", "granularity", "method"):
        if fields.get(required) is None:
            errors.append(field_error(required, "required", "missing"))
    method = fields.get("method")
    if method == "computed":
        rule = RULES.get(fields.get("rule") or "")
        if rule is None:
            errors.append(
                field_error(
                    "rule",
                    f"a computed indicator needs a built-in rule; known: {', '.join(sorted(RULES))}",
                    "unknown_rule",
                )
            )
        else:
            try:
                params = rule.parse(fields.get("parameters"))
            except ValidationError as exc:
                for error in exc.errors():
                    where = ".".join(str(p) for p in error["loc"])
                    errors.append(
                        field_error(
                            f"parameters.{where}" if where else "parameters",
                            error["msg"],
                            error["type"],
                        )
                    )
            else:
                fields["parameters"] = params.model_dump(mode="json")
                unit = rule.unit_for(fields["parameters"]).value
                if "unit" in given and given["unit"] not in (None, unit):
                    errors.append(
                        field_error("unit", f"rule {rule.name} with these parameters gives {unit}")
                    )
                fields["unit"] = unit
    elif method in ("manual", "imported"):
        if fields.get("rule") is not None and change.from_catalogue is None:
            errors.append(field_error("rule", f"a {method} indicator has no rule"))
        fields["rule"] = None
        fields["parameters"] = {}
        if fields.get("unit") is None:
            errors.append(field_error("unit", "required for manual and imported indicators"))
        if method == "imported" and not fields.get("source"):
            errors.append(
                field_error(
                    "method.source", "name the source of an imported indicator (IMDi, SSB …)"
                )
            )
    if errors:
        names = ", ".join(sorted({e["field"] for e in errors}))
        raise InvalidInput(f"Invalid indicator definition: {names}.", errors)
    return fields


async def define_indicator(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    key: str,
    change: IndicatorChange,
    *,
    redefine: bool,
    expected: int | None,
) -> CommandResult:
    plan = await draft_plan(conn, metadata.municipality)
    existing = plan.definitions.get(key)
    if redefine and existing is None:
        raise unknown_indicator(key, plan)
    if not redefine and existing is not None:
        raise Conflict(
            f"Indicator {key!r} is already defined (version {existing.version}); "
            f"PUT /indicators/definitions/{key} changes it."
        )
    fields = resolve_definition(key, change, existing)
    if existing is not None and existing.direction.value != fields["direction"]:
        stale = [year for (k, year) in plan.thresholds if k == key]
        if stale:
            raise InvalidInput(
                "Changing the direction would contradict thresholds already set.",
                [
                    field_error(
                        "direction",
                        f"thresholds for {sorted(stale)} assume {existing.direction}; "
                        "set new thresholds under a new indicator key instead",
                    )
                ],
            )
    model = IndicatorRedefined if redefine else IndicatorDefined
    event = model(indicator_key=key, **fields)
    stream = indicator_stream(metadata.municipality, key)
    return await _defined(
        runtime, conn, metadata, stream, "indicator", event, key, redefine, expected
    )


# -- thresholds, comments, manual values ----------------------------------------------------


async def set_thresholds(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    key: str,
    body: ThresholdsIn,
    expected: int | None,
) -> CommandResult:
    plan = await draft_plan(conn, metadata.municipality)
    definition = plan.definitions.get(key)
    if definition is None:
        raise unknown_indicator(key, plan)
    errors: list[dict[str, Any]] = []
    to_year = body.to_year if body.to_year is not None else body.from_year
    if to_year < body.from_year:
        errors.append(field_error("to_year", "must not be before from_year"))
    elif to_year - body.from_year > 20:
        errors.append(field_error("to_year", "at most 21 years at a time"))
    for i, band in enumerate(body.bands):
        for end in ("lower", "upper"):
            if getattr(band, end) is not None and getattr(band, f"{end}_inclusive") is None:
                errors.append(
                    field_error(
                        f"bands.{i}.{end}_inclusive",
                        f"say whether {getattr(band, end):g} itself belongs to {band.level} "
                        "(true) or not (false)",
                        "missing",
                    )
                )
    if errors:
        raise InvalidInput("Invalid thresholds.", errors)
    bands = [
        Band(
            Level(b.level),
            b.lower,
            bool(b.lower_inclusive),
            b.upper,
            bool(b.upper_inclusive),
        )
        for b in body.bands
    ]
    problems = validate_bands(bands, Direction(definition.direction))
    if problems:
        raise InvalidInput(
            "Overlapping or contradictory thresholds: "
            + "; ".join(problem.message for problem in problems)
            + ".",
            [field_error(p.field, p.message, "invalid_thresholds") for p in problems],
        )
    years = tuple(range(body.from_year, to_year + 1))
    event = ThresholdsSet(
        indicator_key=key,
        years=years,
        bands=tuple(
            BandData(
                level=b.level.value,
                lower=b.lower,
                lower_inclusive=b.lower_inclusive,
                upper=b.upper,
                upper_inclusive=b.upper_inclusive,
            )
            for b in bands
        ),
        gap_policy=body.gap_policy,
    )
    version = await _append(
        runtime,
        conn,
        indicator_stream(metadata.municipality, key),
        "indicator",
        event,
        metadata,
        expected,
    )
    return CommandResult(200, {"key": key, "version": version, "years": list(years)})


async def record_comment(
    runtime: Runtime, conn: AsyncConnection, metadata: Metadata, key: str, body: CommentIn
) -> CommandResult:
    period = parse_period(body.period)
    plan = await draft_plan(conn, metadata.municipality)
    if key not in plan.definitions:
        raise unknown_indicator(key, plan)
    version = await _append(
        runtime,
        conn,
        indicator_stream(metadata.municipality, key),
        "indicator",
        CommentRecorded(indicator_key=key, period=str(period), text=body.text, level=body.level),
        metadata,
        None,
    )
    return CommandResult(201, {"key": key, "version": version, "period": str(period)})


async def record_manual_value(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    key: str,
    raw_period: str,
    body: ManualValueIn,
) -> CommandResult:
    period = parse_period(raw_period)
    plan = await draft_plan(conn, metadata.municipality)
    definition = plan.definitions.get(key)
    if definition is None:
        raise unknown_indicator(key, plan)
    if definition.method == "computed":
        raise InvalidInput(
            f"Indicator {key!r} is computed from events; only manual and imported "
            "indicators take registered values.",
            [field_error("key", "computed indicator", "computed_indicator")],
        )
    if period.granularity is not definition.granularity:
        raise InvalidInput(
            f"Indicator {key!r} is measured per {definition.granularity}, not per "
            f"{period.granularity}.",
            [
                field_error(
                    "period",
                    f"give a {definition.granularity} such as "
                    f"{Period.containing(period.start, definition.granularity)}",
                )
            ],
        )
    version = await _append(
        runtime,
        conn,
        indicator_stream(metadata.municipality, key),
        "indicator",
        ManualValueRecorded(
            indicator_key=key,
            period=str(period),
            value=body.value,
            source=body.source or definition.source,
        ),
        metadata,
        None,
    )
    return CommandResult(200, {"key": key, "version": version, "period": str(period)})


# -- goals ----------------------------------------------------------------------------------


async def define_goal(
    runtime: Runtime,
    conn: AsyncConnection,
    metadata: Metadata,
    key: str,
    body: GoalChange,
    *,
    revise: bool,
    expected: int | None,
) -> CommandResult:
    plan = await draft_plan(conn, metadata.municipality)
    existing = plan.goals.get(key)
    if revise and existing is None:
        raise InvalidInput(
            f"Unknown goal {key!r}.", [field_error("key", "no such goal", "unknown_goal")]
        )
    if not revise and existing is not None:
        raise Conflict(f"Goal {key!r} already exists; PUT /indicators/goals/{key} changes it.")
    errors: list[dict[str, Any]] = []
    if body.to_year < body.from_year:
        errors.append(field_error("to_year", "must not be before from_year"))
    level = PLAN_LEVELS.index(body.plan_level)
    if body.parent_key is None:
        if level > 0:
            errors.append(
                field_error(
                    "parent_key",
                    f"a {body.plan_level} goal hangs under a goal one plan level up",
                )
            )
    else:
        parent = plan.goals.get(body.parent_key)
        if parent is None:
            errors.append(field_error("parent_key", f"no goal {body.parent_key!r}"))
        elif PLAN_LEVELS.index(parent.plan_level) >= level:
            errors.append(
                field_error(
                    "parent_key",
                    f"{body.parent_key} is a {parent.plan_level} goal; a {body.plan_level} goal "
                    "hangs under a higher plan level (kommuneplan → økonomiplan → "
                    "virksomhetsplan)",
                )
            )
    for i, indicator in enumerate(body.indicator_keys):
        if indicator not in plan.definitions:
            errors.append(
                field_error(
                    f"indicator_keys.{i}",
                    f"unknown indicator key {indicator!r}",
                    "unknown_indicator",
                )
            )
    if len(set(body.indicator_keys)) != len(body.indicator_keys):
        errors.append(field_error("indicator_keys", "an indicator is listed twice"))
    if errors:
        names = ", ".join(sorted({e["field"] for e in errors}))
        raise InvalidInput(f"Invalid goal: {names}.", errors)
    if body.parent_key is not None:
        parent = plan.goals[body.parent_key]
        check_goal_within_parent(
            key, body.from_year, body.to_year, body.parent_key, (parent.from_year, parent.to_year)
        )
    if revise:
        check_children_within(
            key,
            body.from_year,
            body.to_year,
            (
                (child.key, child.from_year, child.to_year)
                for child in plan.goals.values()
                if child.parent_key == key
            ),
        )
    model = GoalRevised if revise else GoalDefined
    event = model(
        goal_key=key,
        plan_level=body.plan_level,
        parent_key=body.parent_key,
        title_nb=body.title_nb,
        title_en=body.title_en,
        owner_unit=body.owner_unit,
        from_year=body.from_year,
        to_year=body.to_year,
        indicator_keys=tuple(body.indicator_keys),
    )
    stream = goal_stream(metadata.municipality, key)
    return await _defined(runtime, conn, metadata, stream, "goal", event, key, revise, expected)


# -- the plan as a whole: settings and approval ---------------------------------------------


async def change_settings(
    runtime: Runtime, conn: AsyncConnection, metadata: Metadata, body: SettingsIn
) -> CommandResult:
    check_min_n(body.suppression_min_n)
    plan = await draft_plan(conn, metadata.municipality)
    if plan.settings.suppression_min_n == body.suppression_min_n:
        return CommandResult(200, {**plan.settings.describe(), "changed": False})
    version = await _append(
        runtime,
        conn,
        plan_stream(metadata.municipality),
        "plan",
        PlanSettingsChanged(suppression_min_n=body.suppression_min_n),
        metadata,
        None,
    )
    return CommandResult(
        200,
        {"suppression_min_n": body.suppression_min_n, "version": version, "changed": True},
    )


async def plan_status(conn: AsyncConnection, municipality: str) -> dict[str, Any]:
    """The plan's versions: the current one, the one approved, and the draft changes."""
    changes = await plan_changes(conn, municipality)
    approval = await latest_approval(conn, municipality, None)
    approved = approval.plan_version if approval is not None else 0
    pa = t.plan_approvals
    approvals = (
        await conn.execute(
            sa.select(pa).where(pa.c.municipality == municipality).order_by(pa.c.version)
        )
    ).all()
    return {
        "municipality": municipality,
        "current_version": len(changes),
        "approved_version": approved if approval is not None else None,
        "status": "approved" if approval is not None and approved == len(changes) else "draft",
        "approved": approval.describe() if approval is not None else None,
        "draft_changes": [c.describe() for c in changes[approved:]],
        "changes": [c.describe() for c in changes],
        "approvals": [
            {
                "plan_version": row.plan_version,
                "approved_by": row.approved_by,
                "approved_at": row.recorded_at.isoformat(),
            }
            for row in approvals
        ],
    }


async def approve_plan(
    runtime: Runtime, conn: AsyncConnection, metadata: Metadata, body: ApprovalIn
) -> CommandResult:
    await lock_plan(conn, metadata.municipality)
    changes = await plan_changes(conn, metadata.municipality)
    current = len(changes)
    if current == 0:
        raise InvalidInput(
            "The plan has no goals, indicators, thresholds or settings yet: nothing to approve.",
            [field_error("version", "no plan version to approve", "nothing_to_approve")],
        )
    if body.version != current:
        raise Conflict(
            f"The plan is now at version {current}, not {body.version}: review the changes "
            f"since and approve version {current}.",
            current_version=current,
        )
    approval = await latest_approval(conn, metadata.municipality, None)
    if approval is not None and approval.plan_version == current:
        raise Conflict(
            f"Plan version {current} is already approved ({approval.approved_by}, "
            f"{approval.approved_at:%Y-%m-%d %H:%M} UTC).",
            current_version=current,
        )
    version = await _append(
        runtime,
        conn,
        plan_stream(metadata.municipality),
        "plan",
        PlanApproved(plan_version=current, approved_through=changes[-1].recorded_at),
        metadata,
        None,
    )
    return CommandResult(200, {"plan_version": current, "version": version, "status": "approved"})


# -- questions --------------------------------------------------------------------------------


async def load_manual_values(
    conn: AsyncConnection, municipality: str, at: datetime | None
) -> ManualValues:
    mv = t.manual_values
    query = sa.select(mv).where(mv.c.municipality == municipality).order_by(mv.c.recorded_at)
    if at is not None:
        query = query.where(mv.c.recorded_at <= at)
    found: ManualValues = {}
    for row in (await conn.execute(query)).all():
        found[(row.indicator_key, row.period)] = ManualValue(row.value, row.source, row.recorded_at)
    return found


async def load_comments(
    conn: AsyncConnection,
    municipality: str,
    at: datetime | None,
    key: str | None = None,
    period: str | None = None,
) -> list[dict[str, Any]]:
    c = t.comments
    # The event id breaks ties so the comments page in one order.
    query = (
        sa.select(c).where(c.c.municipality == municipality).order_by(c.c.recorded_at, c.c.event_id)
    )
    if at is not None:
        query = query.where(c.c.recorded_at <= at)
    if key is not None:
        query = query.where(c.c.indicator_key == key)
    if period is not None:
        query = query.where(c.c.period == period)
    return [
        {
            "id": str(row.event_id),
            "indicator_key": row.indicator_key,
            "period": row.period,
            "text": row.text,
            "level": row.level,
            "author": row.author,
            "recorded_at": row.recorded_at.isoformat(),
        }
        for row in (await conn.execute(query)).all()
    ]


@dataclass(frozen=True)
class Knowledge:
    """Everything a question needs: the plan, the facts and manual values as of a moment."""

    plan: Plan
    snapshot: Snapshot
    manual: ManualValues
    as_of: AsOf

    def value(self, definition: Definition, period: Period) -> IndicatorValue:
        """``definition``'s value for ``period``, as known then."""
        return compute(
            definition,
            period,
            self.snapshot,
            self.plan,
            self.manual,
            self.as_of.known_on,
            complete_through=self.as_of.last_complete_day,
        )

    def scorecard(self, period: Period) -> Scorecard:
        """The plan's goals with their indicators' values for ``period``, as known then."""
        return scorecard(
            self.plan,
            self.snapshot,
            self.manual,
            period,
            self.as_of.known_on,
            self.as_of.last_complete_day,
        )


async def knowledge(
    conn: AsyncConnection,
    cache: SnapshotCache,
    municipality: str,
    as_of: AsOf,
    *,
    draft: bool = False,
) -> Knowledge:
    """What was known at ``as_of``: the plan in force then (``draft``: the plan as recorded,
    approved or not, for editors' previews), facts and manual values."""
    return Knowledge(
        plan=await load_plan(conn, municipality, as_of.moment, draft=draft),
        snapshot=await cache.get(conn, municipality, as_of.moment),
        manual=await load_manual_values(conn, municipality, as_of.moment),
        as_of=as_of,
    )


def require_definition(plan: Plan, key: str, field: str = "key") -> Definition:
    definition = plan.definition(key)
    if definition is None:
        raise unknown_indicator(key, plan, field)
    return definition


def granularity_periods(definition: Definition, from_year: int, to_year: int) -> list[Period]:
    periods: list[Period] = []
    for year in range(from_year, to_year + 1):
        periods.extend(Period.year_of(year).periods_within(Granularity(definition.granularity)))
    return periods


def new_id() -> str:
    return str(uuid.uuid4())
