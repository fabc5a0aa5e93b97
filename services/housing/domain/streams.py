"""Stream ids and types of the housing aggregates."""

from __future__ import annotations

import uuid

DWELLING = "dwelling"
HOUSEHOLD = "household"
RENT_RATES = "rent_rates"


def dwelling_stream(dwelling_id: uuid.UUID) -> str:
    return f"dwelling-{dwelling_id}"


def household_stream(household_id: uuid.UUID) -> str:
    return f"household-{household_id}"


def rent_rates_stream(municipality: str) -> str:
    return f"rent-rates-{municipality}"
