"""Wiring of the indicators service (uvicorn: ``services.indicators.app:create_app``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.indicators.api import ROUTERS
from services.indicators.api.examples import EXAMPLES
from services.indicators.api.tags import TAGS
from services.indicators.dashboard import install_dashboard
from services.indicators.evaluator import LevelEvaluator
from services.indicators.events import registry
from services.indicators.projections import FEEDS, PROJECTIONS
from services.indicators.queries import IndicatorsState, keep_national_facts_warm
from shared.service import Runtime, ServiceDefinition, build_app, resource
from shared.settings import Settings

DESCRIPTION = """\
Mål- og resultatstyring (MRS) på levende hendelser.

* **Plan**: mål (kommuneplan → økonomiplan → virksomhetsplan) med eierenhet og
  periode; indikatorer (beregnet av en innebygd regel, registrert for hånd eller
  importert fra en navngitt kilde) med terskler per år for ønsket / akseptabelt /
  ikke godkjent.
* **Verdier** for enhver kommune og periode (år, kvartal, måned) **slik de var kjent
  på en gitt dato**, med drilling ned til de pseudonyme deltakerne og husstandene bak.
* **Overlevelseskurver** og forventet mot observert tid til arbeid eller utdanning;
  **nasjonal sammenligning** for nasjonale roller; `indicator.level_changed`-hendelser.
* Et **dashbord** på `/dashboard` (bokmål som standard, `?lang=nn` eller `?lang=en`).

Svar og feilmeldinger er på bokmål; send `Accept-Language: nn` eller `en`.

---

Goal and result management (mål- og resultatstyring, MRS) on live events.

* **Plan**: goals (kommuneplan → økonomiplan → virksomhetsplan) with owner unit and
  period; indicators (computed by a built-in rule, registered by hand, or imported
  from a named source) with thresholds per year for desired / acceptable / not approved.
* **Values** for any municipality and period (year, quarter, month) **as known on any
  date**, with drill-down to the pseudonymous participants and households behind them.
* **Survival curves** and expected vs observed time to work or education; a **national
  comparison** for national roles; `indicator.level_changed` events for agencies.
* A **dashboard** at `/dashboard` (bokmål by default, `?lang=en` for English).

Facts come from the participants, housing and matching services' published events
(every fact keeps its source's `recordedtime`); the rules are documented at
`GET /indicators/rules`. Texts and problem details are in bokmål by default; send
`Accept-Language: nn` or `en`.
"""


RESOURCES = {
    "indicator": resource("/indicators/definitions/{key}", r"indicator-\d{4}-(?P<key>.+)"),
    "plan": resource("/indicators/plan", ".+"),
}
"""Where a command's ``Location`` points, by the type of the stream it changed."""


def create_app(
    settings: Settings | None = None,
    *,
    evaluation_interval: float = 1.0,
    national_refresh: float = 60.0,
) -> FastAPI:
    """The service; ``national_refresh``: seconds between refolds of the national facts
    (only when facts were applied since), so a national comparison rarely folds cold."""
    app = build_app(
        ServiceDefinition(
            name="indicators",
            title="Veiviser — indikatorer / indicators (MRS)",
            description=DESCRIPTION,
            locale_packages=("services.indicators",),
            examples=EXAMPLES,
            registry=registry,
            resources=RESOURCES,
            routers=ROUTERS,
            projections=PROJECTIONS,
            feeds=FEEDS,
            extra_routes=install_dashboard,
            openapi_tags=TAGS,
        ),
        settings,
    )
    runtime: Runtime = app.state.runtime
    state = IndicatorsState()
    evaluator = LevelEvaluator(runtime, state.cache, evaluation_interval)
    app.state.indicators = state
    app.state.evaluator = evaluator
    kit_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        # The kit's lifespan starts the runtime (relay, consumers); the level evaluator
        # and the national warm-up run beside them and stop first. The warm-up does not
        # hold readiness back: until it is done a national question folds (or waits for
        # the fold under way) and answers the same, only slower.
        async with kit_lifespan(application):
            stop = asyncio.Event()
            task = asyncio.create_task(evaluator.run(stop), name="level-evaluator")
            warm = asyncio.create_task(
                keep_national_facts_warm(runtime, state, stop, national_refresh),
                name="national-warm-up",
            )
            try:
                yield
            finally:
                stop.set()
                warm.cancel()
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(task, timeout=10)
                with contextlib.suppress(asyncio.CancelledError, TimeoutError, Exception):
                    await asyncio.wait_for(warm, timeout=10)

    app.router.lifespan_context = lifespan
    return app
