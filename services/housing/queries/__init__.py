"""Read side of the housing service: views and reports over the projections.

Every query is scoped to the caller's municipality; ids of another municipality
answer 404 like ids that do not exist. One module per resource, as in ``api/``.
"""

from services.housing.queries.applications import (
    application_view,
    candidates,
    month_end,
    month_end_counts,
    waiting_list,
)
from services.housing.queries.dwellings import STATUSES, dwelling_view, list_dwellings, stock
from services.housing.queries.households import (
    gone_by,
    household_history,
    household_on,
    left_by,
    settled_household,
    size_on,
)
from services.housing.queries.ownership import agreement_view, loan_view, ownership_view
from services.housing.queries.placements import active_placement_dwelling, placement_view
from services.housing.queries.reports import (
    CAREER_REASONS,
    evictions_per_year,
    moved_out_within,
    owners_per_year,
    time_to_first_placement,
)
from services.housing.queries.rows import jsonable
from services.housing.queries.settings import rates_on, rent_rates_view

__all__ = [
    "CAREER_REASONS",
    "STATUSES",
    "active_placement_dwelling",
    "agreement_view",
    "application_view",
    "candidates",
    "dwelling_view",
    "evictions_per_year",
    "gone_by",
    "household_history",
    "household_on",
    "jsonable",
    "left_by",
    "list_dwellings",
    "loan_view",
    "month_end",
    "month_end_counts",
    "moved_out_within",
    "owners_per_year",
    "ownership_view",
    "placement_view",
    "rates_on",
    "rent_rates_view",
    "settled_household",
    "size_on",
    "stock",
    "time_to_first_placement",
    "waiting_list",
]
