"""Comparison figures (national, county, KOSTRA group) imported from SSB or IMDi CSV."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import Depends, Query, Request, Response
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from services.indicators import application, queries
from services.indicators import tables as t
from services.indicators.api.common import (
    AsOfDep,
    KeyPath,
    MunicipalityQuery,
    PeriodQuery,
    Reader,
    StateDep,
    resource_router,
    scope,
)
from services.indicators.domain import comparisons as domain
from services.indicators.domain import suppression
from services.indicators.domain.breakdowns import ACT_CATEGORY, categories_on
from services.indicators.events import ComparisonFigure, ComparisonsImported
from shared.auth import Principal, require_roles
from shared.codes import municipality_known
from shared.commands import CommandResult
from shared.deps import IdempotencyKeyHeader, RuntimeDep
from shared.http import problem_responses
from shared.i18n import catalog
from shared.problems import InvalidInput, field_error
from shared.service import Runtime

router = resource_router()

Importer = Annotated[Principal, Depends(require_roles("agency", "manager"))]
MAX_BYTES = 2_000_000
"""The largest comparison file taken (SSB exports for every municipality and year fit)."""

CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "UTF-8 CSV, `;`-separated, in the layout named by `layout` "
        "(docs/mrs/comparisons.md).",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


TEXTS = catalog("shared", "services.indicators")


def refusal(problems: list[domain.LineProblem]) -> InvalidInput:
    """The 422 for a refused file: every bad line as an error naming ``body.line.N``."""
    return InvalidInput(
        f"The comparison file was refused, nothing stored: {len(problems)} problem(s), "
        + "; ".join(f"line {p.line}: {p.message}" for p in problems[:5]),
        [
            {
                **field_error(p.field if p.line else "layout", p.message, p.code),
                "message_nb": TEXTS.text(f"comparison.problem.{p.code}", "nb"),
            }
            for p in problems
        ],
    )


@router.post(
    "/comparisons/import",
    status_code=201,
    summary="Importer sammenligningstall (landet, fylket, KOSTRA-gruppen) fra SSB eller IMDi. / "
    "Import comparison figures (national, county, KOSTRA group) from SSB or IMDi.",
    description="Hele filen eller ingenting: en ukjent kommunenummer, en uleselig linje eller "
    "en dobbel rad gir 422 med linjenumrene, og ingenting lagres. Roller: agency og manager "
    "(tallene er nasjonale og like for alle kommuner). / The whole file or nothing: an "
    "unknown kommunenummer, an unreadable line or a duplicate row is a 422 naming the "
    "`body.line.N`, and nothing is stored. Roles: agency and manager (the figures are "
    "national data, the same for every municipality). A later import of the same key, "
    "period and region replaces the earlier figure.",
    responses=problem_responses(401, 403, 422),
    openapi_extra=CSV_BODY,
)
async def import_comparisons(
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Importer,
    layout: Annotated[str, Query(description="ssb or imdi")],
    indicator: Annotated[
        str,
        Query(
            pattern=r"^[a-z0-9_]{1,100}$",
            description="The indicator key the file's figures compare with",
        ),
    ],
    source: Annotated[
        str | None,
        Query(max_length=300, description="Where the file came from (table, date)"),
    ] = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    if layout not in domain.LAYOUTS:
        raise InvalidInput(
            f"layout {layout!r} is not ssb or imdi.",
            [field_error("layout", "ssb or imdi", "comparison-layout")],
        )
    raw = await request.body()
    if len(raw) > MAX_BYTES:
        raise InvalidInput(
            "The file is too large.", [field_error("body", f"at most {MAX_BYTES} bytes")]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("The file is not UTF-8.", [field_error("body", "not UTF-8")]) from exc
    default_source = "SSB" if layout == "ssb" else "IMDi"
    try:
        rows = domain.parse(layout, text, indicator, source or default_source, municipality_known)
    except domain.ComparisonFileError as exc:
        raise refusal(exc.problems) from exc
    chosen: Literal["ssb", "imdi"] = "ssb" if layout == "ssb" else "imdi"
    event = ComparisonsImported(
        layout=chosen,
        figures=tuple(
            ComparisonFigure(
                indicator_key=r.indicator_key,
                period=r.period,
                region_kind=r.region_kind,
                region_code=r.region_code,
                value=r.value,
                source=r.source,
            )
            for r in rows
        ),
    )
    metadata = runtime.metadata(principal, request)

    async def work(conn: AsyncConnection) -> CommandResult:
        stream = f"comparisons-{indicator}"
        current = await runtime.store.current_version(conn, stream)
        await runtime.append(
            conn, stream, "comparisons", [event], expected_version=current, metadata=metadata
        )
        kinds: dict[str, int] = {}
        for row in rows:
            kinds[row.region_kind] = kinds.get(row.region_kind, 0) + 1
        return CommandResult(
            201, {"indicator_key": indicator, "layout": layout, "rows": len(rows), "by_kind": kinds}
        )

    result = await runtime.command(
        work,
        principal=principal,
        request=request,
        body={"layout": layout, "indicator": indicator, "source": source, "csv": text},
    )
    response.status_code = result.status_code
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return result.body


_GROUPS: dict[str, domain.KostraMembership] | None = None


def kostra_groups() -> dict[str, domain.KostraMembership]:
    global _GROUPS
    if _GROUPS is None:
        _GROUPS = domain.kostra_groups()
    return _GROUPS


async def comparisons_for(
    runtime: Runtime,
    municipality: str,
    wanted: list[tuple[str, str]],
    known_by: datetime | None = None,
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The latest imported national, county and KOSTRA-group figures beside
    ``municipality`` for each (indicator key, period) of ``wanted``, as imported by
    ``known_by`` (the as-of moment; None: now), in one query."""
    if not wanted:
        return {}
    regions = domain.regions_for(municipality, kostra_groups())
    c = t.comparison_values.c
    query = (
        sa.select(c.indicator_key, c.period, c.region_kind, c.region_code, c.value, c.source)
        .ext(pg.distinct_on(c.indicator_key, c.period, c.region_kind, c.region_code))
        .where(
            sa.tuple_(c.indicator_key, c.period).in_(sorted(set(wanted))),
            sa.tuple_(c.region_kind, c.region_code).in_(regions),
            *([c.recorded_at <= known_by] if known_by is not None else []),
        )
        .order_by(
            c.indicator_key, c.period, c.region_kind, c.region_code, c.recorded_at.desc(), c.row
        )
    )
    async with runtime.db.snapshot() as conn:
        found = (await conn.execute(query)).all()
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    order = {kind: i for i, kind in enumerate(domain.REGION_KINDS)}
    for row in sorted(found, key=lambda r: order[r.region_kind]):
        label = f"comparison.region.{row.region_kind}"
        out.setdefault((row.indicator_key, row.period), []).append(
            {
                "region_kind": row.region_kind,
                "region_code": row.region_code,
                "period": row.period,
                "value": row.value,
                "source": row.source,
                "label_nb": TEXTS.text(label, "nb", code=row.region_code),
                "label_en": TEXTS.text(label, "en", code=row.region_code),
            }
        )
    return out


# -- breakdowns ----------------------------------------------------------------------------


async def _attributes(runtime: Runtime, municipality: str, by: str, year: int) -> dict[str, str]:
    """The breakdown's category per participant id of the municipality (one query)."""
    reg, settled = t.registrations.c, t.settlements.c
    if by in ("gender", "age_group"):
        query = sa.select(reg.participant_id, reg.gender, reg.birth_year).where(
            reg.municipality == municipality
        )
    else:
        query = sa.select(
            settled.participant_id, settled.arrival_category, settled.settled_on
        ).where(settled.municipality == municipality)
    async with runtime.db.snapshot() as conn:
        rows = (await conn.execute(query)).all()
    out: dict[str, str] = {}
    for pid, first, second in rows:
        if by == "gender":
            out[str(pid)] = first or domain.UNKNOWN
        elif by == "age_group":
            out[str(pid)] = domain.age_group(None if second is None else year - second)
        elif by == "arrival_category":
            out[str(pid)] = first or domain.UNKNOWN
        else:
            out[str(pid)] = str(second.year) if second else domain.UNKNOWN
    return out


BREAKDOWNS = (*domain.BREAKDOWNS, ACT_CATEGORY)


async def _act_categories(
    runtime: Runtime, municipality: str, day: date, known_by: datetime | None
) -> dict[str, str]:
    """The category under the Integration Act per participant id on ``day``, as recorded
    by ``known_by`` (the as-of moment; None: now)."""
    c = t.act_categories.c
    query = sa.select(c.participant_id, c.category, c.valid_from, c.recorded_at).where(
        c.municipality == municipality,
        c.valid_from <= day,
        *([c.recorded_at <= known_by] if known_by is not None else []),
    )
    async with runtime.db.snapshot() as conn:
        rows = (await conn.execute(query)).all()
    return categories_on(((str(r[0]), r[1], r[2], r[3]) for r in rows), day)


@router.get(
    "/values/{key}/breakdown",
    summary="En indikators verdi fordelt på kjønn, aldersgruppe, ankomstkategori, "
    "bosettingskull eller kategori etter integreringsloven. / An indicator's value split by "
    "gender, age group, arrival category, settlement cohort or category under the "
    "Integration Act.",
    description="Telleren og nevneren per kategori for personene bak verdien. Utenfor kommunen "
    "skjules celler under terskelen (og en til, så de ikke kan regnes ut). / Numerator and "
    "denominator per category for the people behind the value (units without a participant, "
    "e.g. households, are `unknown`). Age is counted in the period's first year; the category "
    "under the Integration Act (`act_category`: refugee, refugee_family, "
    "collective_protection, ukraine_temporary, other) is the one valid on the period's last "
    "day (or the as-of date, if earlier), as recorded by the as-of moment. For a caller "
    "outside the municipality every cell resting on fewer people than the plan's threshold "
    "(`suppression_min_n`, at least 5) is hidden (null), with complementary suppression.",
    responses=problem_responses(401, 403, 422),
)
async def get_breakdown(
    key: KeyPath,
    period: PeriodQuery,
    runtime: RuntimeDep,
    state: StateDep,
    principal: Reader,
    as_of: AsOfDep,
    by: Annotated[
        str,
        Query(description="gender, age_group, arrival_category, settlement_cohort or act_category"),
    ],
    municipality: MunicipalityQuery = None,
) -> dict[str, Any]:
    if by not in BREAKDOWNS:
        raise InvalidInput(
            f"by {by!r} is not one of {', '.join(BREAKDOWNS)}.",
            [field_error("by", ", ".join(BREAKDOWNS), "breakdown-by")],
        )
    where = scope(principal, municipality)
    wanted = application.parse_period(period)
    known, value = await queries.value_for(runtime, state, where, key, wanted, as_of)
    members = value.result.members if value.result else ()
    if by == ACT_CATEGORY:
        day = min(value.period.last_day, as_of.known_on)
        category = await _act_categories(runtime, where, day, as_of.moment)
    else:
        category = await _attributes(runtime, where, by, wanted.start.year)
    cells = domain.split(
        (
            category.get(m.participant_id, domain.UNKNOWN) if m.participant_id else None,
            m.in_numerator,
            m.in_denominator,
        )
        for m in members
    )
    numerators: dict[str, float | None] = {k: c.numerator for k, c in cells.items()}
    denominators: dict[str, float | None] = {k: c.denominator for k, c in cells.items()}
    outside = principal.municipality != where
    if outside:
        min_n = known.plan.settings.suppression_min_n
        denominators = suppression.protect_breakdown(
            {k: c.denominator for k, c in cells.items()}, min_n
        )
        numerators = {
            k: None if denominators[k] is None else n
            for k, n in suppression.protect_breakdown(
                {k: c.numerator for k, c in cells.items()}, min_n
            ).items()
        }
    return {
        "municipality": where,
        "indicator_key": key,
        "period": str(value.period),
        "as_of": as_of.label,
        "by": by,
        "suppressed": outside,
        "cells": [
            {
                "category": k,
                "numerator": numerators[k],
                "denominator": denominators[k],
                "share": None
                if numerators[k] is None or not denominators[k]
                else round(100 * float(numerators[k] or 0) / float(denominators[k] or 1), 1),
            }
            for k in cells
        ],
    }
