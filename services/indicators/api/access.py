"""What indicators stores about one participant, for the access export (innsyn, GDPR art. 15).

Served to service identities only: the participants service gathers the four parts for
the municipality's privacy officer. Indicators keeps pseudonymous facts (dates, codes)
to count; an erasure replaces the id by an unlinkable alias, after which nothing here is
found for the person.
"""

from __future__ import annotations

from services.indicators.tables import metadata
from shared.access import access_router

PURPOSE = "indicators.goal_and_result_management"
LEGAL_BASIS = (
    "personvernforordningen art. 6 nr. 1 bokstav e og art. 89",
    "integreringsloven § 41 (behandling av personopplysninger)",
    "kommuneloven § 14-4 (økonomiplan: mål og resultater)",
)

router = access_router(
    "indicators",
    metadata,
    purpose=PURPOSE,
    legal_basis=LEGAL_BASIS,
    pseudonymous=True,
    summary="Det indikatortjenesten lagrer om en deltaker (innsyn). / What indicators stores "
    "about a participant (access export).",
    description="Faktarader (datoer og koder) og mottatte hendelser som nevner deltakeren "
    "eller husstanden. Bare for tjenesteidentiteter. / Fact rows (dates and codes) and "
    "received events naming the participant or their household. Service identities only.",
)
