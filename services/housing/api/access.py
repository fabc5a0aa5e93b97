"""What housing stores about one participant, for the access export (innsyn, GDPR art. 15).

Served to service identities only: the participants service gathers the four parts for
the municipality's privacy officer (see ``services/participants/api/access.py``).
Housing holds the keys of the needs it seals (a household's, a member's), so it opens
them here; the keys themselves are never shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.housing import events as ev
from services.housing import personal_data
from services.housing.tables import dwellings, household_keys, metadata, person_keys
from shared.access import Related, access_router

PURPOSE = "housing.municipal_housing"
LEGAL_BASIS = (
    "personvernforordningen art. 6 nr. 1 bokstav e og art. 9 nr. 2 bokstav h",
    "boligsosialloven (lov 20. desember 2022 nr. 121 om kommunenes ansvar på det "
    "boligsosiale feltet) §§ 5 og 6",
    "husbankloven (personopplysninger ved startlån og tilskudd)",
)


async def open_sealed(
    conn: AsyncConnection, source: str, sealed: str, record: Mapping[str, Any]
) -> Any | None:
    """Open the needs housing sealed: the household's with its key, a member's with theirs."""
    if source == f"events:{ev.HousingApplicationNeedsSealed.type_name}":
        return await personal_data.open_needs(conn, uuid.UUID(str(record["household_id"])), sealed)
    if source == f"events:{ev.MemberNeedsSealed.type_name}":
        return await personal_data.open_member_needs(
            conn, uuid.UUID(str(record["participant_id"])), sealed
        )
    return None


router = access_router(
    "housing",
    metadata,
    purpose=PURPOSE,
    legal_basis=LEGAL_BASIS,
    pseudonymous=True,
    opener=open_sealed,
    exclude=(person_keys, household_keys),
    related=(
        Related(
            dwellings,
            "dwelling_id",
            ("dwelling_id", "address", "district", "rooms", "size_m2", "floor", "ownership"),
        ),
    ),
    summary="Det boligkontoret lagrer om en deltaker (innsyn). / What housing stores about a "
    "participant (access export).",
    description="Rader i lesemodellene, mottatte hendelser og egne hendelser som nevner "
    "deltakeren eller husstanden; forseglede behov åpnes med boligtjenestens egne nøkler. "
    "Bare for tjenesteidentiteter. / Read-model rows, received events and own events naming "
    "the participant or their household; sealed needs opened with housing's own keys. "
    "Service identities only.",
)
