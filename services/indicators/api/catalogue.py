"""The built-in rules, documented, and the catalogue of indicators built on them."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from services.indicators.api.common import Reader, resource_router
from services.indicators.domain.catalogue import BUILT_INS
from services.indicators.domain.rules import RULES
from shared.http import problem_responses
from shared.paging import MAX_LIMIT, Limit, Offset, Page, page_of

router = resource_router()


@router.get(
    "/rules",
    response_model=Page[dict[str, Any]],
    summary="De innebygde beregningsreglene, dokumentert / The built-in computed rules, documented",
    description="For each rule: what the value is, its numerator, denominator, exclusions, "
    "the date that places an event in a period, how as-of works, and its parameters "
    "(JSON Schema with defaults). The same text is in services/indicators/RULES.md. "
    "Rekkefølge: som i RULES.md. / Order: as in RULES.md.",
    responses=problem_responses(401, 403, 422),
)
async def list_rules(
    request: Request, principal: Reader, limit: Limit = MAX_LIMIT, offset: Offset = 0
) -> dict[str, Any]:
    return page_of(request, [rule.describe() for rule in RULES.values()], limit, offset)


@router.get(
    "/catalogue",
    response_model=Page[dict[str, Any]],
    summary="De innebygde indikatorene en kommune kan ta i bruk / The built-in indicators a "
    "municipality can adopt",
    description="Each is a rule with parameters, titles, unit, direction and granularity. "
    'Adopt one with `POST /indicators/definitions {"key": …, "from_catalogue": …}`. '
    "Rekkefølge: katalogens. / Order: the catalogue's.",
    responses=problem_responses(401, 403, 422),
)
async def list_catalogue(
    request: Request, principal: Reader, limit: Limit = MAX_LIMIT, offset: Offset = 0
) -> dict[str, Any]:
    built_ins = [
        {
            "key": b.key,
            "title_nb": b.title_nb,
            "title_en": b.title_en,
            "rule": b.rule,
            "parameters": b.full_parameters(),
            "unit": b.unit.value,
            "direction": b.direction.value,
            "granularity": b.granularity.value,
            "decimals": b.decimals,
        }
        for b in BUILT_INS.values()
    ]
    return page_of(request, built_ins, limit, offset)
