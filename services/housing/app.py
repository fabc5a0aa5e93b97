"""Wiring of the housing service (uvicorn: ``services.housing.app:create_app``)."""

from __future__ import annotations

from fastapi import FastAPI

from services.housing.api import ROUTERS, housing_school
from services.housing.api.examples import EXAMPLES
from services.housing.api.tags import TAGS
from services.housing.events import registry
from services.housing.projections import FEEDS, PROJECTIONS
from shared.service import ServiceDefinition, build_app, resource
from shared.settings import Settings

RESOURCES = {
    "dwelling": resource("/housing/dwellings/{id}", r"dwelling-(?P<id>.+)"),
    "household": resource("/housing/households/{id}", r"household-(?P<id>.+)"),
    "tenancy_follow_up": resource("/housing/households/{id}", r"tenancy_follow_up-(?P<id>.+)"),
    "rent_rates": resource("/housing/settings/rent-rates", ".+"),
    "settlement_plan": resource(
        "/housing/settlement-plans/{year}", r"settlement-plan-\d{4}-(?P<year>\d{4})"
    ),
    "shared_home": resource("/housing/shared-homes/{id}", r"shared-home-(?P<id>.+)"),
    "housing_school_course": resource(
        "/housing/school/courses/{id}", r"housing_school_course-(?P<id>.+)"
    ),
}
"""Where a command's ``Location`` points, by the type of the stream it changed."""


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(
        ServiceDefinition(
            name="housing",
            title="Veiviser — bolig / housing",
            description="Kommunale boliger, ventelisten, rangert tildeling og boligkarrieren "
            "fra leie til eie (leie til eie, startlån). Husstandene kommer fra "
            "deltakertjenestens bosettingshendelser. Hver endring er en hendelse; publiserte "
            "hendelser har bare pseudonyme husstands- og bolig-id-er, datoer, kategorier, "
            "størrelser og beløp. Bokmål som standard; `Accept-Language: nn` eller `en`.\n\n"
            "Municipal dwellings, the waiting list, ranked allocation, and the "
            "housing career from renting to owning (rent-to-own, start loans). Households come "
            "from the participants service's settlement events. Every change is an event; "
            "published events carry pseudonymous household and dwelling ids, dates, categories, "
            "sizes and amounts only. Bokmål by default; `Accept-Language: nn` or `en`.",
            registry=registry,
            resources=RESOURCES,
            locale_packages=("services.housing",),
            examples=EXAMPLES,
            routers=(*ROUTERS, housing_school.router),
            projections=PROJECTIONS,
            feeds=FEEDS,
            openapi_tags=TAGS,
        ),
        settings,
    )
