"""The participation certificate (deltakerbevis): printable HTML in Norwegian."""

from __future__ import annotations

import uuid
from datetime import date
from functools import cache
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, StrictUndefined, Template, select_autoescape

from services.participants import audit, domain
from services.participants.api.common import Caseworker, today
from services.participants.domain import nir
from services.participants.queries import journey
from services.participants.queries.deadlines import TEXTS
from shared.deps import RuntimeDep
from shared.http import problem_responses
from shared.i18n import Locale, catalog
from shared.problems import NotFound

router = APIRouter(prefix="/participants/{participant_id}", tags=["nir"])


@cache
def _template() -> Template:
    source = (
        resources.files("services.participants") / "templates" / "certificate.html"
    ).read_text("utf-8")
    env = Environment(autoescape=select_autoescape(default=True), undefined=StrictUndefined)
    return env.from_string(source)


def _day(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value is not None else ""


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}".replace(".", ",")


@router.get(
    "/certificate",
    response_class=HTMLResponse,
    summary="Deltakerbevis / Participation certificate",
    description="Deltakerbevis for introduksjonsprogrammet som HTML for utskrift, på bokmål "
    "(nynorsk eller engelsk med `Accept-Language`). / The participation certificate "
    "(integreringsloven § 18 a) as printable HTML: the participant's name and birth date, "
    "the programme period, completed or interrupted with the end reason and the share "
    "completed, end goal and Norwegian goal, each element with its period and hours, "
    "absence hours and the best Norwegian result per sub-test. No notes, goal "
    "descriptions, providers or advisers. A programme not yet started is 404. Every read "
    "is audited.",
    responses=problem_responses(401, 403, 404),
)
async def get_certificate(
    participant_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    principal: Caseworker,
    locale: Locale,
) -> HTMLResponse:
    on = today()
    async with runtime.db.snapshot() as conn:
        view = await journey.participant(conn, participant_id, principal.municipality, True)
        envelopes = await runtime.store.load(conn, str(participant_id))
        state = domain.fold(runtime.store.decode(e) for e in envelopes)
        facts = nir.certificate_facts(state, on)
        if facts is None:
            raise NotFound(f"Participant {participant_id} has no programme that has started.")
        await audit.record_reads(conn, principal, request, [participant_id], "certificate")
    details = view.get("personal_data") or {}
    name = " ".join(p for p in (details.get("given_name"), details.get("family_name")) if p)
    birth = details.get("birth_date")
    texts = catalog(*TEXTS)
    html = _template().render(
        locale=locale,
        T=lambda key: texts.text(key, locale),
        D=_day,
        N=_number,
        name=name,
        birth_date=_day(date.fromisoformat(birth)) if birth else None,
        municipality=principal.municipality,
        facts=facts,
        issued_on=on,
    )
    return HTMLResponse(html)
