"""The competence profile: recorded whole (sealed), shared with matching only as consented."""

from __future__ import annotations

import asyncio
import html
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import application, audit, domain, personal_data
from services.participants import events as ev
from services.participants.api.common import (
    Asked,
    Caseworker,
    CaseworkerAsks,
    ChangeAccepted,
    perform_on,
    today,
)
from services.participants.domain import competence
from shared.commands import CommandResult
from shared.deps import ExpectedVersionDep, IdempotencyKeyHeader, RuntimeDep
from shared.events import Metadata
from shared.http import problem_responses
from shared.problems import Conflict, NotFound
from shared.rules import MISSING_FIELD
from shared.service import Runtime
from shared.taxonomy import free_text

# One router for the profile and its free-text suggestions (two path roots).
router = APIRouter(prefix="/participants/{participant_id}", tags=["competence profile"])


@router.put(
    "/competence-profile",
    status_code=201,
    response_model=ChangeAccepted,
    summary="Registrer kompetanseprofilen (kartlegging) og samtykket / Record the competence "
    "profile (kartlegging) and the consent",
    description="The whole profile is sealed with the participant's key. "
    "`competence_profile.updated` is published with the consented parts only — never free-text "
    "skills, descriptions or constraints. With skills shared, it says which skills came from "
    "free text and carries the free text's unconfirmed skill suggestions as URIs with their "
    "similarity. Unknown ESCO skill URIs or occupation codes, or `skills_from_free_text` not "
    "among `skills` → 422 listing them.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def record_competence_profile(
    participant_id: uuid.UUID,
    body: competence.CompetenceProfile,
    asked: CaseworkerAsks,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    async def given(runtime: Runtime, conn: AsyncConnection) -> competence.CompetenceProfile:
        return body

    return await _record_profile(asked, participant_id, body, expected, given)


NewProfile = Callable[[Runtime, AsyncConnection], Awaitable[competence.CompetenceProfile]]
"""The profile a command records, worked out once the participant is known to exist."""


async def _record_profile(
    asked: Asked,
    participant_id: uuid.UUID,
    body: BaseModel,
    expected: int | None,
    new_profile: NewProfile,
) -> dict[str, Any]:
    """The command that records a whole profile: the participant must exist here, the
    profile's codes must be known, and its free text's suggestions go with it."""

    async def record(
        runtime: Runtime, conn: AsyncConnection, metadata: Metadata, participant_id: uuid.UUID
    ) -> CommandResult:
        await application.load(runtime, conn, participant_id, metadata.municipality)
        profile = await new_profile(runtime, conn)
        competence.validate_codes(profile)
        suggested = await asyncio.to_thread(competence.suggestions, profile)
        return await _record(runtime, conn, metadata, participant_id, profile, suggested, expected)

    return await perform_on(asked, participant_id, body, record)


async def _record(
    runtime: Any,
    conn: AsyncConnection,
    metadata: Any,
    participant_id: uuid.UUID,
    profile: competence.CompetenceProfile,
    suggested: free_text.Suggestions,
    expected: int | None,
) -> CommandResult:
    """Seal the whole profile and publish its consented parts with the suggestions."""
    key = await application.key_for(conn, participant_id)
    sealed = personal_data.seal(key, participant_id, profile.model_dump(mode="json"))

    def build(state: Any) -> list[Any]:
        domain.record_profile(state, today())
        return [
            ev.CompetenceProfileRecorded(participant_id=participant_id, sealed=sealed),
            competence.shared_parts(participant_id, profile, state.norwegian, suggested),
        ]

    _, result = await application.change(runtime, conn, metadata, participant_id, build, expected)
    return result


async def _latest_profile(
    runtime: Any, conn: AsyncConnection, participant_id: uuid.UUID, municipality: str
) -> dict[str, Any]:
    if await runtime.store.stream_municipality(conn, str(participant_id)) != municipality:
        raise NotFound(f"No participant {participant_id} in municipality {municipality}.")
    key = await personal_data.load_key(conn, participant_id)
    if key is None:
        raise Conflict("The participant's personal data was erased.")
    envelopes = await runtime.store.load(conn, str(participant_id))
    recorded = [e for e in envelopes if e.type_name == ev.CompetenceProfileRecorded.type_name]
    if not recorded:
        raise NotFound("No competence profile is recorded yet.")
    return personal_data.unseal(key, participant_id, recorded[-1].data["sealed"])


@router.get(
    "/competence-profile",
    summary="Kompetanseprofilen slik personen presenterer den / The competence profile as the "
    "person presents it",
    description="Codes come with labels (Norwegian STYRK-08 titles by default, `lang=en` for "
    "English ISCO/ESCO labels); `format=html` gives a printable page the person can own and "
    "show. Each read is audited.",
    responses=problem_responses(401, 403, 404, 409),
)
async def get_competence_profile(
    participant_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    principal: Caseworker,
    lang: Annotated[str, Query(pattern="^(nb|en)$")] = "nb",
    format: Annotated[str, Query(pattern="^(json|html)$")] = "json",
) -> Any:
    async with runtime.db.snapshot() as conn:
        profile = await _latest_profile(runtime, conn, participant_id, principal.municipality)
        await audit.record_reads(conn, principal, request, [participant_id], "competence_profile")
    shown = competence.presentation(profile, lang)
    if format == "html":
        return HTMLResponse(_html(shown, lang))
    return shown


class SuggestionView(BaseModel):
    kind: str = Field(description="`skill`, `occupation` (ESCO) or `unit_group` (STYRK-08)")
    uri: str | None = Field(description="ESCO URI (none for a unit group)")
    code: str | None = Field(description="Four-digit STYRK-08/ISCO-08 code of an occupation")
    label_nb: str
    label_en: str
    matched_label: str = Field(description="The label the text matched")
    similarity: float = Field(ge=0, le=1)
    sources: list[str] = Field(
        description="Where in the profile the text stands: `free_text_skills.<i>` or "
        "`work_experience.<i>.description`"
    )


class SuggestionsView(BaseModel):
    skills: list[SuggestionView]
    occupations: list[SuggestionView]


class SuggestionDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confirm: list[str] = Field(
        default_factory=list,
        max_length=competence.MAX_ITEMS,
        description="Suggested ESCO skill URIs that become skills, marked as from free text",
    )
    reject: list[str] = Field(
        default_factory=list,
        max_length=competence.MAX_ITEMS,
        description="Suggested ESCO skill URIs not to suggest again",
    )


def _view(suggestions: free_text.Suggestions) -> dict[str, Any]:
    def one(s: free_text.Suggestion) -> dict[str, Any]:
        return {
            "kind": s.kind,
            "uri": s.uri,
            "code": s.code,
            "label_nb": s.label_nb,
            "label_en": s.label_en,
            "matched_label": s.matched_label,
            "similarity": s.similarity,
            "sources": list(s.sources),
        }

    return {
        "skills": [one(s) for s in suggestions.skills],
        "occupations": [one(s) for s in suggestions.occupations],
    }


@router.get(
    "/competence/suggestions",
    response_model=SuggestionsView,
    summary="ESCO-ferdigheter og -yrker som fritekst i profilen peker på / ESCO skills and "
    "occupations the profile's free text suggests",
    description="From the free-text skills and the work-experience descriptions, matched "
    "lexically against the ESCO labels in bokmål and English, each with a similarity (0–1) and "
    "where in the profile it came from. Skills already held or rejected are left out. For the "
    "caseworker to confirm or reject; each read is audited.",
    responses=problem_responses(401, 403, 404, 409),
)
async def get_competence_suggestions(
    participant_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    principal: Caseworker,
) -> dict[str, Any]:
    async with runtime.db.snapshot() as conn:
        stored = await _latest_profile(runtime, conn, participant_id, principal.municipality)
        await audit.record_reads(
            conn, principal, request, [participant_id], "competence_suggestions"
        )
    profile = competence.CompetenceProfile.model_validate(stored)
    return _view(await asyncio.to_thread(competence.suggestions, profile))


@router.post(
    "/competence/suggestions/confirm",
    status_code=201,
    response_model=ChangeAccepted,
    summary="Bekreft eller avvis forslag fra fritekst / Confirm or reject free-text suggestions",
    description="Confirmed skills join the profile's skills, marked as coming from free text "
    "(`skills_from_free_text`); rejected ones are not suggested again. The profile is recorded "
    "anew and `competence_profile.updated` published as for a PUT. A URI that is not a current "
    "suggestion → 422 `not-a-suggestion`; one both confirmed and rejected → 422 "
    "`suggestion-decided-twice`; neither list given → 422 `missing-field`.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def decide_competence_suggestions(
    participant_id: uuid.UUID,
    body: SuggestionDecision,
    asked: CaseworkerAsks,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    municipality = asked.principal.municipality

    async def decided(runtime: Runtime, conn: AsyncConnection) -> competence.CompetenceProfile:
        if not body.confirm and not body.reject:
            raise MISSING_FIELD.violation(
                "Confirm or reject at least one suggestion.", "confirm", "reject"
            )
        stored = await _latest_profile(runtime, conn, participant_id, municipality)
        profile = competence.CompetenceProfile.model_validate(stored)
        current = await asyncio.to_thread(competence.suggestions, profile)
        return competence.decide_suggestions(profile, current, body.confirm, body.reject)

    return await _record_profile(asked, participant_id, body, expected, decided)


def _html(profile: dict[str, Any], lang: str) -> str:
    t = {
        "nb": (
            "Kompetanseprofil",
            "Utdanning",
            "Arbeidserfaring",
            "Ferdigheter",
            "Språk",
            "Førerkort",
            "Ønsker",
        ),
        "en": (
            "Competence profile",
            "Education",
            "Work experience",
            "Skills",
            "Languages",
            "Driving licence",
            "Wishes",
        ),
    }[lang]
    e = html.escape
    education = "".join(
        f"<li>{e(str(item['level']))} {e(str(item.get('field_description') or item.get('field_code') or ''))}"
        f" {e(str(item.get('country') or ''))}</li>"
        for item in profile.get("education", [])
    )
    work = "".join(
        f"<li>{e(str(w.get('occupation') or w['isco_code']))} — {w['years']:g} år/years</li>"
        for w in profile.get("work_experience", [])
    )
    skills = "".join(
        f"<li>{e(str(s['label'] or s['uri']))}</li>" for s in profile.get("skills", [])
    )
    skills += "".join(f"<li>{e(s)}</li>" for s in profile.get("free_text_skills", []))
    languages = "".join(
        f"<li>{e(lang_['language'])}: {e(lang_['level'])}</li>"
        for lang_ in profile.get("languages", [])
    )
    wishes = "".join(
        f"<li>{e(str(w['label'] or w['code']))}</li>"
        for w in profile.get("wishes", {}).get("occupations", [])
    )
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{t[0]}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;line-height:1.4}}
h1{{border-bottom:2px solid #333}}@media print{{body{{margin:0}}}}</style></head><body>
<h1>{t[0]}</h1><h2>{t[1]}</h2><ul>{education}</ul><h2>{t[2]}</h2><ul>{work}</ul>
<h2>{t[3]}</h2><ul>{skills}</ul><h2>{t[4]}</h2><ul>{languages}</ul>
<h2>{t[5]}</h2><p>{e(", ".join(profile.get("driving_licences", [])))}</p>
<h2>{t[6]}</h2><ul>{wishes}</ul></body></html>"""
