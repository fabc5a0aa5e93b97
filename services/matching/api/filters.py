"""Query filters of the ranked lists, and the refusal of any the list does not know."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Literal

from fastapi import Query, Request

from services.matching.domain.filters import Commute, RankingFilters, unknown_filters
from services.matching.events import NorwegianLevel
from shared.codes import DRIVING_LICENCE_CLASSES, MunicipalityCode
from shared.dates import Day
from shared.problems import InvalidInput, field_error
from shared.query_params import refuses_unknown_query

Band = Annotated[
    list[Literal["strong", "partial", "weak"]] | None,
    Query(description="Pairs in one of these bands"),
]

FILTERS = (
    "norwegian_oral",
    "norwegian_written",
    "norwegian_reading",
    "norwegian_listening",
    "driving_licence",
    "min_hours",
    "max_hours",
    "municipality",
    "commute",
    "available_from",
    "band",
)
"""Filters both lists take; an opening's candidates also take the days waiting."""
WAITING_FILTERS = ("min_waited_days", "max_waited_days")


def _filters(
    norwegian_oral: NorwegianLevel | None,
    norwegian_written: NorwegianLevel | None,
    norwegian_reading: NorwegianLevel | None,
    norwegian_listening: NorwegianLevel | None,
    driving_licence: list[str] | None,
    min_hours: float | None,
    max_hours: float | None,
    municipality: list[MunicipalityCode] | None,
    commute: Commute | None,
    available_from: Day | None,
    band: Sequence[str] | None,
    min_waited_days: int | None = None,
    max_waited_days: int | None = None,
) -> RankingFilters:
    levels = {
        "oral": norwegian_oral,
        "written": norwegian_written,
        "reading": norwegian_reading,
        "listening": norwegian_listening,
    }
    classes = [c.strip().upper() for c in driving_licence or ()]
    unknown = [c for c in classes if c not in DRIVING_LICENCE_CLASSES]
    if unknown:
        raise InvalidInput(
            f"Unknown driving licence class {', '.join(unknown)}.",
            [
                field_error(f"query.driving_licence.{i}", f"unknown class {c}", "unknown_licence")
                for i, c in enumerate(unknown)
            ],
        )
    if min_hours is not None and max_hours is not None and min_hours > max_hours:
        raise InvalidInput(
            "min_hours is above max_hours.",
            [field_error("query.min_hours", "above max_hours", "range")],
        )
    return RankingFilters(
        norwegian={sub: level for sub, level in levels.items() if level is not None},
        driving_licences=tuple(classes),
        min_hours=min_hours,
        max_hours=max_hours,
        municipalities=tuple(str(m) for m in municipality or ()),
        commute=commute,
        available_from=available_from,
        bands=tuple(band or ()),
        min_waited_days=min_waited_days,
        max_waited_days=max_waited_days,
    )


def _refuse_unknown(request: Request, known: Iterable[str]) -> None:
    unknown_filters(request.query_params.keys(), known)


def opening_candidates_filters(*other: str) -> Callable[..., RankingFilters]:
    """The filters of ``GET /openings/{id}/candidates`` (``other``: its own parameters)."""
    known = (*FILTERS, *WAITING_FILTERS, *other)

    @refuses_unknown_query
    def dependency(
        request: Request,
        norwegian_oral: Annotated[
            NorwegianLevel | None, Query(description="Candidates speaking at least this")
        ] = None,
        norwegian_written: Annotated[
            NorwegianLevel | None, Query(description="Candidates writing at least this")
        ] = None,
        norwegian_reading: Annotated[
            NorwegianLevel | None, Query(description="Candidates reading at least this")
        ] = None,
        norwegian_listening: Annotated[
            NorwegianLevel | None, Query(description="Candidates understanding at least this")
        ] = None,
        driving_licence: Annotated[
            list[str] | None,
            Query(max_length=5, description="Candidates holding every class given"),
        ] = None,
        min_hours: Annotated[
            float | None, Query(ge=0, le=60, description="Wished hours per week at least")
        ] = None,
        max_hours: Annotated[
            float | None, Query(ge=0, le=60, description="Wished hours per week at most")
        ] = None,
        municipality: Annotated[
            list[MunicipalityCode] | None, Query(description="Candidates living in one of these")
        ] = None,
        commute: Annotated[
            Commute | None,
            Query(
                description="`local`: lives or wishes to work where the work is; `county`: "
                "that or commuting within the county; `any`: the work is within reach"
            ),
        ] = None,
        available_from: Annotated[
            Day | None,
            Query(description="Free that day: no placement or job, not leaving by then"),
        ] = None,
        band: Band = None,
        min_waited_days: Annotated[
            int | None, Query(ge=0, le=100_000, description="Days since settlement at least")
        ] = None,
        max_waited_days: Annotated[
            int | None, Query(ge=0, le=100_000, description="Days since settlement at most")
        ] = None,
    ) -> RankingFilters:
        _refuse_unknown(request, known)
        return _filters(
            norwegian_oral,
            norwegian_written,
            norwegian_reading,
            norwegian_listening,
            driving_licence,
            min_hours,
            max_hours,
            municipality,
            commute,
            available_from,
            band,
            min_waited_days,
            max_waited_days,
        )

    return dependency


def candidate_openings_filters(*other: str) -> Callable[..., RankingFilters]:
    """The filters of ``GET /candidates/{id}/openings`` (``other``: its own parameters)."""
    known = (*FILTERS, *other)

    @refuses_unknown_query
    def dependency(
        request: Request,
        norwegian_oral: Annotated[
            NorwegianLevel | None, Query(description="Openings asking at most this spoken")
        ] = None,
        norwegian_written: Annotated[
            NorwegianLevel | None, Query(description="Openings asking at most this written")
        ] = None,
        norwegian_reading: Annotated[
            NorwegianLevel | None, Query(description="Openings asking at most this reading")
        ] = None,
        norwegian_listening: Annotated[
            NorwegianLevel | None, Query(description="Openings asking at most this listening")
        ] = None,
        driving_licence: Annotated[
            list[str] | None,
            Query(max_length=5, description="Openings needing no class beyond these"),
        ] = None,
        min_hours: Annotated[
            float | None, Query(ge=0, le=60, description="Offered hours per week at least")
        ] = None,
        max_hours: Annotated[
            float | None, Query(ge=0, le=60, description="Offered hours per week at most")
        ] = None,
        municipality: Annotated[
            list[MunicipalityCode] | None, Query(description="Work in one of these")
        ] = None,
        commute: Annotated[
            Commute | None,
            Query(
                description="`local`: the work is where the person lives or wishes to work; "
                "`county`: that or commuting within the county; `any`: within reach"
            ),
        ] = None,
        available_from: Annotated[
            Day | None, Query(description="Openings starting on or after this day")
        ] = None,
        band: Band = None,
    ) -> RankingFilters:
        _refuse_unknown(request, known)
        return _filters(
            norwegian_oral,
            norwegian_written,
            norwegian_reading,
            norwegian_listening,
            driving_licence,
            min_hours,
            max_hours,
            municipality,
            commute,
            available_from,
            band,
        )

    return dependency
