"""Use cases of the housing service: lock, load, decide, append — in one transaction.

One module per resource, as in ``api/``; :mod:`.aggregates` holds how each use case
locks, loads and appends the dwelling and household streams (and why the locks).
"""

from services.housing.application.aggregates import (
    domain_rules,
    household_facts,
    load_dwelling,
    load_household,
    lock_streams,
    visible,
)
from services.housing.application.applications import (
    decide_application,
    receive_application,
    record_needs,
)
from services.housing.application.dwellings import change_dwelling, register_dwelling, rent_basis
from services.housing.application.households import household_timeline
from services.housing.application.ownership import (
    agree_rent_to_own,
    apply_start_loan,
    complete_rent_to_own,
    decide_start_loan,
    disburse_start_loan,
    purchase_with_start_loan,
)
from services.housing.application.placements import allocate, end_placement, record_eviction
from services.housing.application.settings import rates_known, set_rent_rates

__all__ = [
    "agree_rent_to_own",
    "allocate",
    "apply_start_loan",
    "change_dwelling",
    "complete_rent_to_own",
    "decide_application",
    "decide_start_loan",
    "disburse_start_loan",
    "domain_rules",
    "end_placement",
    "household_facts",
    "household_timeline",
    "load_dwelling",
    "load_household",
    "lock_streams",
    "purchase_with_start_loan",
    "rates_known",
    "receive_application",
    "record_eviction",
    "record_needs",
    "register_dwelling",
    "rent_basis",
    "set_rent_rates",
    "visible",
]
