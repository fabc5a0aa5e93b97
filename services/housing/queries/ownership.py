"""Rent-to-own agreements, start loans and owner households."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import tables as t
from services.housing.queries.rows import view_at


async def agreement_view(
    conn: AsyncConnection, agreement_id: uuid.UUID, municipality: str
) -> dict[str, Any]:
    return await view_at(
        conn, t.rent_to_own, "agreement_id", agreement_id, municipality, "rent-to-own agreement"
    )


async def loan_view(conn: AsyncConnection, loan_id: uuid.UUID, municipality: str) -> dict[str, Any]:
    view = await view_at(conn, t.start_loans, "loan_id", loan_id, municipality, "start loan")
    view["assessment"] = {
        "assessed_income_per_year": view.pop("assessed_income"),
        "of_which_introduction_benefit": view.pop("introduction_benefit"),
        "note": "Introduction benefit (introduksjonsstønad) counts as income in the "
        "assessment: assessed income = employment income + introduction benefit + other income.",
    }
    return view


async def ownership_view(
    conn: AsyncConnection, household_id: uuid.UUID, municipality: str
) -> dict[str, Any]:
    return await view_at(
        conn, t.ownerships, "household_id", household_id, municipality, "owner household"
    )
