"""Query filters of the ranked lists, and the refusal of any the list does not know."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from fastapi import Query, Request

from services.matching.domain.filters import Commute, RankingFilters, unknown_filters
from services.matching.events import NorwegianLevel
from shared.codes import DRIVING_LICENCE_CLASSES, MunicipalityCode
from shared.dates import Day
from shared.problems import InvalidInput, field_error
from shared.query_params import refuses_unknown_query

_PARAMETERS: tuple[tuple[str, Any, dict[str, Any]], ...] = (
    ("norwegian_oral", NorwegianLevel | None, {}),
    ("norwegian_written", NorwegianLevel | None, {}),
    ("norwegian_reading", NorwegianLevel | None, {}),
    ("norwegian_listening", NorwegianLevel | None, {}),
    ("driving_licence", list[str] | None, {"max_length": 5}),
    ("min_hours", float | None, {"ge": 0, "le": 60}),
    ("max_hours", float | None, {"ge": 0, "le": 60}),
    ("municipality", list[MunicipalityCode] | None, {}),
    ("commute", Commute | None, {}),
    ("available_from", Day | None, {}),
    ("band", list[Literal["strong", "partial", "weak"]] | None, {}),
    ("min_waited_days", int | None, {"ge": 0, "le": 100_000}),
    ("max_waited_days", int | None, {"ge": 0, "le": 100_000}),
)
"""Every filter of the ranked lists: name, type and bounds, in the documents' order."""
_BAND = "Pairs in one of these bands"


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


def _filters_dependency(
    descriptions: dict[str, str], other: tuple[str, ...]
) -> Callable[..., RankingFilters]:
    """A dependency taking the filters ``descriptions`` names, described for its list.

    The two lists take the same filters with the same checks, but each filter means
    something else from either side (a candidate speaking at least B1, an opening
    asking at most B1), so only the descriptions differ; FastAPI reads them from the
    signature built here.
    """
    parameters = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[kind, Query(description=descriptions[name], **bounds)],
        )
        for name, kind, bounds in _PARAMETERS
        if name in descriptions
    ]
    known = (*(p.name for p in parameters), *other)

    @refuses_unknown_query
    def dependency(request: Request, **given: Any) -> RankingFilters:
        unknown_filters(request.query_params.keys(), known)
        return _filters(**given)

    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request
            ),
            *parameters,
        ],
        return_annotation=RankingFilters,
    )
    return dependency


def opening_candidates_filters(*other: str) -> Callable[..., RankingFilters]:
    """The filters of ``GET /openings/{id}/candidates`` (``other``: its own parameters)."""
    return _filters_dependency(
        {
            "norwegian_oral": "Candidates speaking at least this",
            "norwegian_written": "Candidates writing at least this",
            "norwegian_reading": "Candidates reading at least this",
            "norwegian_listening": "Candidates understanding at least this",
            "driving_licence": "Candidates holding every class given",
            "min_hours": "Wished hours per week at least",
            "max_hours": "Wished hours per week at most",
            "municipality": "Candidates living in one of these",
            "commute": "`local`: lives or wishes to work where the work is; `county`: "
            "that or commuting within the county; `any`: the work is within reach",
            "available_from": "Free that day: no placement or job, not leaving by then",
            "band": _BAND,
            "min_waited_days": "Days since settlement at least",
            "max_waited_days": "Days since settlement at most",
        },
        other,
    )


def candidate_openings_filters(*other: str) -> Callable[..., RankingFilters]:
    """The filters of ``GET /candidates/{id}/openings`` (``other``: its own parameters)."""
    return _filters_dependency(
        {
            "norwegian_oral": "Openings asking at most this spoken",
            "norwegian_written": "Openings asking at most this written",
            "norwegian_reading": "Openings asking at most this reading",
            "norwegian_listening": "Openings asking at most this listening",
            "driving_licence": "Openings needing no class beyond these",
            "min_hours": "Offered hours per week at least",
            "max_hours": "Offered hours per week at most",
            "municipality": "Work in one of these",
            "commute": "`local`: the work is where the person lives or wishes to work; "
            "`county`: that or commuting within the county; `any`: within reach",
            "available_from": "Openings starting on or after this day",
            "band": _BAND,
        },
        other,
    )
