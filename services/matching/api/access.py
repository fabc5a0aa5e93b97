"""What matching stores about one participant, for the access export (innsyn, GDPR art. 15).

Served to service identities only: the participants service gathers the four parts for
the municipality's privacy officer. Matching knows a participant by the pseudonymous id
and the competence profile parts they consented to share; it seals nothing of theirs.
"""

from __future__ import annotations

from services.matching.domain.streams import MATCH
from services.matching.tables import contact_keys, employers, metadata, openings
from shared.access import Related, access_router

PURPOSE = "matching.work_and_practice"
LEGAL_BASIS = (
    "personvernforordningen art. 6 nr. 1 bokstav e",
    "integreringsloven § 41 (behandling av personopplysninger), jf. § 13 (programmets innhold)",
    "personvernforordningen art. 6 nr. 1 bokstav a (samtykke til deling med arbeidsgivere)",
)

router = access_router(
    "matching",
    metadata,
    purpose=PURPOSE,
    legal_basis=LEGAL_BASIS,
    pseudonymous=True,
    exclude=(contact_keys,),
    # The openings and employers of the person's matches, without the employer's contact
    # person (someone else's personal data).
    related=(
        Related(openings, "opening_id", ("opening_id", "employer_id", "kind", "title", "status")),
        Related(
            employers,
            "employer_id",
            ("employer_id", "name", "organisation_number", "industry", "municipality_code"),
        ),
    ),
    # A match is one participant's: its later events (interest, offer, start) name only it.
    person_streams=lambda stream: stream.startswith(f"{MATCH}-"),
    summary="Det matchingtjenesten lagrer om en deltaker (innsyn). / What matching stores "
    "about a participant (access export).",
    description="Kandidatprofil, forslag og plasseringer, mottatte og egne hendelser som "
    "nevner deltakeren. Bare for tjenesteidentiteter. / Candidate profile, matches and "
    "placements, received and own events naming the participant. Service identities only.",
)
