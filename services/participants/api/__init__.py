"""HTTP routers of the participants service, one per resource."""

from services.participants.api import (
    access,
    act,
    benefit,
    casework,
    certificate,
    competence,
    contract,
    employer_consent,
    imports,
    minors,
    nir,
    participants,
    privacy,
    programme,
    transfer,
)

ROUTERS = [
    participants.router,
    programme.router,
    competence.router,
    casework.router,
    imports.router,
    privacy.router,
    access.router,
    transfer.router,
    act.router,
    act.rules_router,
    contract.router,
    nir.router,
    certificate.router,
    benefit.router,
    employer_consent.router,
    minors.router,
]
