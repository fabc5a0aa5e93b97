"""The rule codes a service can answer, published in its OpenAPI document and at /problems.

A front-end translates and reacts to a refusal by its ``code``; this is where it learns
every code a service may send, with the status, a title and what the rule means.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from shared.i18n import Catalog, Locale, catalog
from shared.problems import PROBLEM_BASE
from shared.rules import Rule, catalogue


def describe(rule: Rule, locale: str = "en", texts: Catalog | None = None) -> dict[str, Any]:
    return {
        "code": rule.code,
        "type": PROBLEM_BASE + rule.code,
        "status": rule.status,
        "title": rule.title_in(locale, texts),
        "description": rule.description_in(locale, texts),
        "service": rule.service,
    }


def service_rules(
    service: str, locale: str = "en", texts: Catalog | None = None
) -> list[dict[str, Any]]:
    """Every rule ``service`` (or the kit) declares, sorted by code (in ``locale``)."""
    return [describe(rule, locale, texts) for rule in catalogue.for_service(service)]


def install_problem_catalogue(app: FastAPI, service: str) -> None:
    """``GET /problems``; the OpenAPI lists the same codes (``x-problem-codes``, see
    :mod:`shared.openapi`)."""

    @app.get(
        "/problems",
        tags=["operations"],
        summary="Alle regelkoder tjenesten kan svare med. / Every rule code this service can "
        "answer with.",
        description="Tittel og beskrivelse på bokmål, eller på nynorsk eller engelsk etter "
        "`Accept-Language`; kodene er de samme på alle språk. / Title and description in "
        "bokmål, or nynorsk or English by `Accept-Language`; the codes are the same in every "
        "language.",
        operation_id="list_problem_codes",
    )
    async def problems(locale: Locale) -> list[dict[str, Any]]:
        packages = getattr(app.state, "locale_packages", ("shared",))
        return service_rules(service, locale, catalog(*packages))


def markdown_table(services: list[str]) -> str:
    """The problem codes of ``services`` as one Markdown table (for the README)."""
    rows = ["| code | status | title | where |", "| --- | --- | --- | --- |"]
    by_code: dict[str, tuple[Rule, set[str]]] = {}
    for service in services:
        for rule in catalogue.for_service(service):
            where = "every service" if rule.service == "kit" else service
            by_code.setdefault(rule.code, (rule, set()))[1].add(where)
    for code in sorted(by_code):
        rule, places = by_code[code]
        rows.append(f"| `{code}` | {rule.status} | {rule.title} | {', '.join(sorted(places))} |")
    return "\n".join(rows) + "\n"
