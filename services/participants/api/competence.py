"""The competence profile: recorded whole (sealed), shared with matching only as consented."""

from __future__ import annotations

import html
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import application, audit, domain, personal_data
from services.participants import events as ev
from services.participants.api.common import Caseworker, ChangeAccepted, respond, today
from services.participants.domain import competence
from shared.commands import CommandResult
from shared.deps import ExpectedVersionDep, IdempotencyKeyHeader, RuntimeDep
from shared.http import problem_responses
from shared.problems import Conflict, NotFound

router = APIRouter(
    prefix="/participants/{participant_id}/competence-profile", tags=["competence profile"]
)


@router.put(
    "",
    status_code=201,
    response_model=ChangeAccepted,
    summary="Record the competence profile (kartlegging) and the consent",
    description="The whole profile is sealed with the participant's key. "
    "`competence_profile.updated` is published with the consented parts only — never free-text "
    "skills, descriptions or constraints. Unknown ESCO skill URIs or occupation codes → 422 "
    "listing them.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def record_profile(
    participant_id: uuid.UUID,
    body: competence.CompetenceProfile,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: Caseworker,
    expected: ExpectedVersionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    metadata = runtime.metadata(principal, request)

    async def work(conn: AsyncConnection) -> CommandResult:
        await application.load(runtime, conn, participant_id, metadata.municipality)
        competence.validate_codes(body)
        key = await application.key_for(conn, participant_id)
        sealed = personal_data.seal(key, participant_id, body.model_dump(mode="json"))

        def build(state: Any) -> list[Any]:
            domain.record_profile(state, today())
            return [
                ev.CompetenceProfileRecorded(participant_id=participant_id, sealed=sealed),
                competence.shared_parts(participant_id, body, state.norwegian),
            ]

        _, result = await application.change(
            runtime, conn, metadata, participant_id, build, expected
        )
        return result

    return await respond(runtime, request, response, principal, body, work, participant_id)


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
    "",
    summary="The competence profile as the person presents it",
    description="Codes come with labels (Norwegian STYRK-08 titles by default, `lang=en` for "
    "English ISCO/ESCO labels); `format=html` gives a printable page the person can own and "
    "show. Each read is audited.",
    responses=problem_responses(401, 403, 404, 409),
)
async def read_profile(
    participant_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    principal: Caseworker,
    lang: Annotated[str, Query(pattern="^(nb|en)$")] = "nb",
    format: Annotated[str, Query(pattern="^(json|html)$")] = "json",
) -> Any:
    async with runtime.db.transaction() as conn:
        profile = await _latest_profile(runtime, conn, participant_id, principal.municipality)
        await audit.record_reads(conn, principal, request, [participant_id], "competence_profile")
    shown = competence.presentation(profile, lang)
    if format == "html":
        return HTMLResponse(_html(shown, lang))
    return shown


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
