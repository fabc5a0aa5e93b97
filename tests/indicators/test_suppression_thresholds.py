"""The national comparison's per-municipality thresholds (``loader.suppression_thresholds``,
two queries for the whole country) are exactly what each municipality's plan in force says
(``load_plan``), at every moment, whatever the order of settings and approvals — on real
PostgreSQL, through the plan's own use cases."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from services.indicators import application
from services.indicators.commands import ApprovalIn, IndicatorChange, SettingsIn
from services.indicators.domain.suppression import DEFAULT_MIN_N
from services.indicators.loader import load_plan, suppression_thresholds
from shared.events import Metadata, utcnow

_first = itertools.count(5101, 3)

steps = st.lists(
    st.one_of(
        st.tuples(st.just("settings"), st.integers(0, 2), st.integers(5, 12)),
        st.tuples(st.just("approve"), st.integers(0, 2), st.just(0)),
    ),
    max_size=10,
)


@examples(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=steps)
async def test_the_thresholds_of_all_municipalities_are_those_of_each_plan_in_force(
    plan_runtime: Any, history: list[tuple[str, int, int]]
) -> None:
    runtime = plan_runtime
    base = next(_first)
    municipalities = [str(base + i) for i in range(3)]

    async def run(m: str, work: Any) -> Any:
        metadata = Metadata(actor="prop", municipality=m, correlation_id="p")
        async with runtime.db.transaction() as conn:
            return await work(conn, metadata)

    for m in municipalities[:2]:  # the third has never had a plan
        await run(
            m,
            lambda conn, md: application.define_indicator(
                runtime, conn, md, "persons_settled",
                IndicatorChange(from_catalogue="persons_settled"), redefine=False, expected=None,
            ),
        )  # fmt: skip
    approved: dict[str, int] = {}
    moments: list[datetime] = [utcnow()]
    for kind, index, number in history:
        m = municipalities[index]
        if kind == "settings":
            await run(
                m,
                lambda conn, md, n=number: application.change_settings(
                    runtime, conn, md, SettingsIn(suppression_min_n=n)
                ),
            )
        else:
            async with runtime.db.connect() as conn:
                current = (await application.plan_status(conn, m))["current_version"]
            if current and approved.get(m) != current:
                await run(
                    m,
                    lambda conn, md, v=current: application.approve_plan(
                        runtime, conn, md, ApprovalIn(version=v)
                    ),
                )
                approved[m] = current
        moments.append(utcnow())

    async with runtime.db.connect() as conn:
        for at in [None, *moments]:
            found = await suppression_thresholds(conn, at)
            for m in municipalities:
                in_force = (await load_plan(conn, m, at)).settings.suppression_min_n
                assert found.get(m, DEFAULT_MIN_N) == in_force >= DEFAULT_MIN_N, (m, at)
