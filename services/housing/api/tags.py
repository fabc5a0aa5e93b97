"""The housing service's OpenAPI tags: one per resource, described in bokmål / English."""

from __future__ import annotations

TAGS: tuple[dict[str, str], ...] = (
    {
        "name": "dwellings",
        "description": "Utleieboligene, kostnadsdekkende husleie, forslag til husstander. / "
        "The rental stock, cost-covering rent, suggested households.",
    },
    {
        "name": "settings",
        "description": "Kommunens innstillinger med historikk (husleiesatser). / The "
        "municipality's settings with history (rent rates).",
    },
    {
        "name": "waiting list",
        "description": "Søknader og ventelisten. / Applications and the waiting list.",
    },
    {
        "name": "placements",
        "description": "Tildeling, utflytting, utkastelser. / Allocation, moving out, evictions.",
    },
    {
        "name": "rent to own",
        "description": "Leie til eie. / Rent to own.",
    },
    {
        "name": "start loans",
        "description": "Startlån fra Husbanken. / Husbanken start loans.",
    },
    {
        "name": "households",
        "description": "En husstands boligkarriere. / A household's housing history.",
    },
    {
        "name": "economy",
        "description": "Eie eller leie over årene. / Owning vs renting over the years.",
    },
    {
        "name": "reports",
        "description": "MRS-målene for bolig. / The MRS housing measures.",
    },
    {
        "name": "settlement planning",
        "description": "Bosettingsplan per år: anmodning, vedtak, månedsplan, tiltak, "
        "prognose, integreringstilskudd. / The settlement plan per year: request, decision, "
        "monthly plan, measures, forecast, integration grant.",
    },
    {
        "name": "shared homes",
        "description": "Bofellesskap for enslige mindreårige: plasser og opphold. / Shared "
        "homes for unaccompanied minors: places and stays.",
    },
    {
        "name": "housing school",
        "description": "Boskolen: kurs, økter, hjemmebesøk, hendelser, utfall. / The housing "
        "school: courses, sessions, home visits, incidents, outcomes.",
    },
)
