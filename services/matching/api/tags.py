"""The matching service's OpenAPI tags: one per resource, described in bokmål / English."""

from __future__ import annotations

TAGS: tuple[dict[str, str], ...] = (
    {
        "name": "employers",
        "description": "Arbeidsgivere, avtaler og mentorkapasitet. / Employers, agreements "
        "and mentor capacity.",
    },
    {
        "name": "openings",
        "description": "Ledige plasser og stillinger og de beste kandidatene. / Openings and "
        "their best candidates.",
    },
    {
        "name": "candidates",
        "description": "Profiler med samtykke, beste muligheter og råd. / Consented profiles, "
        "best openings and advice.",
    },
    {
        "name": "matches",
        "description": "Forløpet fra forslag til start og slutt, og pakken til "
        "arbeidsgiveren. / The workflow from proposal to start and end, and the employer's "
        "package.",
    },
    {
        "name": "allocations",
        "description": "Optimal fordeling av knappe plasser. / Optimal allocation of scarce "
        "places.",
    },
    {
        "name": "taxonomy",
        "description": "Søk i ferdigheter og yrker (ESCO/STYRK). / Searching skills and "
        "occupations (ESCO/STYRK).",
    },
    {
        "name": "volunteers",
        "description": "Frivillige: politiattest, godkjenning, kontakt, oppdrag, samlinger, "
        "behov. / Volunteers: police certificate, approval, contact, assignments, "
        "gatherings, needs.",
    },
)
