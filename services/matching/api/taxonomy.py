"""Search and autocomplete over ESCO skills and occupations, in bokmål and English."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from services.matching.domain.filters import refuse_unknown
from shared.auth import Principal, require_roles
from shared.http import problem_responses
from shared.query_params import refuses_unknown_query
from shared.rules import rule
from shared.taxonomy import search

router = APIRouter(prefix="/taxonomy", tags=["taxonomy"])

Searcher = Annotated[
    Principal, Depends(require_roles("job_coach", "manager", "caseworker", "analyst"))
]
"""Anyone who fills in or reads competence profiles and openings."""

SEARCH_QUERY_EMPTY = rule(
    "search-query-empty",
    422,
    "Empty search query",
    service="matching",
    description="A taxonomy search needs `q` with at least one word that is not a stop word.",
)
SEARCH_QUERY_TOO_LONG = rule(
    "search-query-too-long",
    422,
    "Search query too long",
    service="matching",
    description=f"A taxonomy search query is at most {search.MAX_QUERY_LENGTH} characters.",
)
UNKNOWN_SEARCH_PARAMETER = rule(
    "unknown-search-parameter",
    422,
    "Unknown search parameter",
    service="matching",
    description="A taxonomy search was sent a query parameter it does not know; the problem "
    "names each one and lists the parameters there are.",
)

MAX_LIMIT = 50


class TaxonomyHit(BaseModel):
    kind: Literal["skill", "occupation", "unit_group"] = Field(
        description="`unit_group`: a STYRK-08/ISCO-08 four-digit group, the code a competence "
        "profile holds; `occupation`: an ESCO occupation within one"
    )
    uri: str | None = Field(description="ESCO URI (none for a unit group)")
    code: str | None = Field(description="The four-digit STYRK-08/ISCO-08 code (occupations)")
    label_nb: str = Field(description="Bokmål label (see the taxonomy README for its source)")
    label_en: str
    matched_label: str = Field(description="The label the query matched")
    matched_lang: Literal["nb", "en"]
    matched_preferred: bool = Field(description="Whether it is the preferred label")
    score: float = Field(ge=0, le=1, description="How well the query matched that label")


class TaxonomyAnswer(BaseModel):
    q: str
    lang: Literal["nb", "en"] | None
    hits: list[TaxonomyHit]


def _checked(q: str | None) -> str:
    text = (q or "").strip()
    if len(text) > search.MAX_QUERY_LENGTH:
        raise SEARCH_QUERY_TOO_LONG.violation(
            f"The query is {len(text)} characters; at most {search.MAX_QUERY_LENGTH}.",
            "q",
            length=len(text),
            maximum=search.MAX_QUERY_LENGTH,
        )
    if not search.words(text):
        raise SEARCH_QUERY_EMPTY.violation("The query has no word to search for.", "q")
    return text


async def _answer(
    request: Request,
    build: Callable[[], search.Index],
    q: str | None,
    lang: Literal["nb", "en"] | None,
    limit: int,
) -> dict[str, Any]:
    refuse_unknown(
        UNKNOWN_SEARCH_PARAMETER, "search parameter", request.query_params, ("q", "lang", "limit")
    )
    text = _checked(q)
    # Building an index takes about a second the first time: never on the event loop.
    index = await asyncio.to_thread(build)
    hits = index.search(text, lang=lang, limit=limit)
    return {
        "q": text,
        "lang": lang,
        "hits": [
            {
                "kind": hit.kind,
                "uri": hit.uri,
                "code": hit.code,
                "label_nb": hit.label_nb,
                "label_en": hit.label_en,
                "matched_label": hit.matched_label,
                "matched_lang": hit.matched_lang,
                "matched_preferred": hit.matched_preferred,
                "score": hit.score,
            }
            for hit in hits
        ],
    }


Q = Annotated[
    str | None,
    Query(description=f"What is typed, 1–{search.MAX_QUERY_LENGTH} characters; typos tolerated"),
]
LangQ = Annotated[
    Literal["nb", "en"] | None,
    Query(description="Search only bokmål or only English labels (both by default)"),
]
LimitQ = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def _search(build: Callable[[], search.Index]) -> Callable[..., Awaitable[dict[str, Any]]]:
    """The autocomplete endpoint over the index ``build`` makes (the two searches differ
    only in the index and the words of their documentation)."""

    @refuses_unknown_query
    async def endpoint(
        request: Request,
        principal: Searcher,
        q: Q = None,
        lang: LangQ = None,
        limit: LimitQ = 10,
    ) -> dict[str, Any]:
        return await _answer(request, build, q, lang, limit)

    return endpoint


router.get(
    "/skills",
    name="search_skills",
    response_model=TaxonomyAnswer,
    summary="Søk i ESCO-ferdigheter (autofullføring) / Search ESCO skills (autocomplete)",
    description="Over ESCO's English preferred and alternative labels and Veiviser's bokmål "
    "labels, tolerant of typos and of a word typed half-way. Each hit carries both labels, the "
    "label that matched and a score (0–1). Empty or too long `q`, or an unknown parameter → 422 "
    "(`search-query-empty`, `search-query-too-long`, `unknown-search-parameter`).",
    responses=problem_responses(401, 403, 422),
)(_search(search.skill_index))

router.get(
    "/occupations",
    name="search_occupations",
    response_model=TaxonomyAnswer,
    summary="Søk i yrker: STYRK-08-yrkesgrupper og ESCO-yrker (autofullføring) / Search "
    "occupations: STYRK-08 unit groups and ESCO occupations (autocomplete)",
    description="Over the STYRK-08 bokmål titles and ISCO-08 English titles of the four-digit "
    "unit groups, and ESCO occupations' English preferred and alternative labels (an ESCO "
    "occupation's bokmål label is its unit group's title). `code` is what a competence "
    "profile's work experience and wishes hold. Same 422s as the skill search.",
    responses=problem_responses(401, 403, 422),
)(_search(search.occupation_index))
