"""The plan's versions and approval, its suppression threshold, and who may edit it —
over HTTP on real PostgreSQL and NATS (docs/mrs/plan-editing.md)."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from pydantic import ValidationError

from services.indicators import application
from services.indicators.app import create_app
from services.indicators.commands import ApprovalIn, IndicatorChange, SettingsIn, ThresholdsIn
from services.indicators.domain.suppression import check_min_n
from services.indicators.loader import load_plan
from shared.events import Metadata
from shared.problems import Conflict
from shared.rules import RuleViolation
from shared.settings import Settings
from tests.indicators.approval import approve
from tests.indicators.feeder import EventFeeder, Participants
from tests.support import auth, running

KEY = "exit_work_or_education"


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))


async def _six_people(p: Participants, m: str) -> None:
    """Six programmes ending in 2016, four in full-time work: 66.7 % on n = 6."""
    for i, outcome in enumerate(["work_full_time"] * 4 + ["other"] * 2):
        person, programme = uuid.uuid4(), uuid.uuid4()
        on = date(2014, 1 + i, 1)
        await p.registered(person, 1985, "female", on=on, m=m)
        await p.settled(person, on, m=m)
        await p.started(person, programme, date(2014, 6, 1), m=m)
        await p.completed(person, programme, date(2016, 6, 1), outcome, m=m)


async def _exported(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, str]:
    got = await client.get(
        "/indicators/scorecard?period=2016&format=csv&headers=codes", headers=headers
    )
    assert got.status_code == 200, got.text
    (row,) = [r for r in _rows(got.text) if r["indicator_key"] == KEY]
    return row


async def _seen_by_agency(client: httpx.AsyncClient, agency: dict[str, str]) -> dict[str, Any]:
    got = await client.get(
        f"/indicators/values/{KEY}",
        params={"period": "2016", "municipality": "3301"},
        headers=agency,
    )
    assert got.status_code == 200, got.text
    return dict(got.json())


async def test_a_value_on_six_people_is_hidden_once_the_plan_says_seven(
    settings: Settings,
) -> None:
    manager = auth(settings, ["manager"], "3301")
    analyst = auth(settings, ["analyst"], "3301")
    agency = auth(settings, ["agency"], "0301")
    async with running(create_app(settings)) as client, EventFeeder(settings) as feeder:
        await _six_people(Participants(feeder), "3301")
        await feeder.wait_applied()
        adopted = await client.post(
            "/indicators/definitions", json={"key": KEY, "from_catalogue": KEY}, headers=manager
        )
        assert adopted.status_code == 201, adopted.text
        await approve(client, manager)

        # The floor (5): six people are enough to leave the municipality.
        row = await _exported(client, manager)
        assert (row["value_shown"], row["n"], row["suppressed"]) == ("66,7", "6", "False")
        assert (await _seen_by_agency(client, agency))["suppressed"] is False
        shown = (await client.get("/indicators/settings", headers=manager)).json()
        assert (shown["suppression_min_n"], shown["suppression_floor"]) == (5, 5)

        # Suppression cannot be turned off or lowered below the floor; only a manager sets it.
        for low in (4, 1):
            refused = await client.put(
                "/indicators/settings", json={"suppression_min_n": low}, headers=manager
            )
            assert refused.status_code == 422, refused.text
            assert refused.json()["code"] == "suppression-below-floor"
        off = await client.put(
            "/indicators/settings", json={"suppression_min_n": 0}, headers=manager
        )
        assert off.status_code == 422, off.text
        forbidden = await client.put(
            "/indicators/settings", json={"suppression_min_n": 7}, headers=analyst
        )
        assert forbidden.status_code == 403, forbidden.text
        assert (await client.get("/indicators/plan", headers=manager)).json()["status"] == (
            "approved"
        )

        # The plan says 7: hidden in the CSV and from the agency at once (stricter wins
        # before approval), still shown inside the municipality.
        stricter = await client.put(
            "/indicators/settings", json={"suppression_min_n": 7}, headers=manager
        )
        assert stricter.status_code == 200, stricter.text
        status = (await client.get("/indicators/plan", headers=manager)).json()
        assert status["status"] == "draft"
        (change,) = status["draft_changes"]
        assert (change["kind"], change["changed_by"]) == ("settings_changed", "tester")
        assert (await client.get("/indicators/settings", headers=manager)).json()[
            "suppression_min_n"
        ] == 7
        row = await _exported(client, manager)
        assert all(row[c] == ":" for c in ("value", "value_shown", "numerator", "n"))
        assert row["level"] == "suppressed"
        seen = await _seen_by_agency(client, agency)
        assert seen["suppressed"] is True and seen["value_shown"] is None and seen["n"] is None
        inside = await client.get(f"/indicators/values/{KEY}?period=2016", headers=manager)
        assert inside.json()["value_shown"] == 66.7 and inside.json()["suppressed"] is False
        await approve(client, manager)
        assert (await _exported(client, manager))["value"] == ":"

        # Lowering it again waits for approval: until then the stricter 7 holds.
        lower = await client.put(
            "/indicators/settings", json={"suppression_min_n": 5}, headers=manager
        )
        assert lower.status_code == 200, lower.text
        assert (await client.get("/indicators/settings", headers=manager)).json()[
            "suppression_min_n"
        ] == 7
        assert (await _exported(client, manager))["value"] == ":"
        draft = await client.get("/indicators/settings?draft=true", headers=manager)
        assert draft.json()["suppression_min_n"] == 5
        await approve(client, manager)
        assert (await _exported(client, manager))["value_shown"] == "66,7"
        assert (await _seen_by_agency(client, agency))["suppressed"] is False


async def _settled(feeder: EventFeeder, m: str, count: int) -> None:
    p = Participants(feeder)
    for _ in range(count):
        pid = uuid.uuid4()
        await p.registered(pid, 1990, "female", on=date(2019, 1, 10), m=m)
        await p.settled(pid, date(2019, 1, 10), m=m)


def _bands(desired_from: float) -> list[dict[str, Any]]:
    return [
        {"level": "desired", "lower": desired_from, "lower_inclusive": True, "upper": None},
        {"level": "not_approved", "lower": None, "upper": desired_from, "upper_inclusive": False},
    ]


async def test_a_plan_version_is_a_draft_until_a_manager_approves_it(settings: Settings) -> None:
    manager = auth(settings, ["manager"], "3301")
    analyst = auth(settings, ["analyst"], "3301")
    async with running(create_app(settings)) as client, EventFeeder(settings) as feeder:
        await _settled(feeder, "3301", 3)
        await feeder.wait_applied()

        async def card(**params: str) -> list[dict[str, Any]]:
            got = await client.get(
                "/indicators/scorecard", params={"period": "2019", **params}, headers=manager
            )
            assert got.status_code == 200, got.text
            return list(got.json()["goals"])

        empty = (await client.get("/indicators/plan", headers=manager)).json()
        assert (empty["current_version"], empty["approved_version"]) == (0, None)
        nothing = await client.post(
            "/indicators/plan/approve", json={"version": 1}, headers=manager
        )
        assert nothing.status_code == 422, nothing.text

        for path, body in (
            ("/indicators/definitions", {"key": "persons_settled", "from_catalogue": "persons_settled"}),
            ("/indicators/goals", {
                "key": "kp-bosetting", "plan_level": "kommuneplan", "title_nb": "Bosetting",
                "title_en": "Settlement", "owner_unit": "Flyktningtjenesten",
                "from_year": 2019, "to_year": 2019, "indicator_keys": ["persons_settled"],
            }),
        ):  # fmt: skip
            created = await client.post(path, json=body, headers=manager)
            assert created.status_code == 201, created.text
        put = await client.put(
            "/indicators/definitions/persons_settled/thresholds",
            json={"from_year": 2019, "bands": _bands(2)},
            headers=manager,
        )
        assert put.status_code == 200, put.text

        # A draft: not on the scorecard, not among the goals in force; managers see it.
        assert await card() == []
        assert (await client.get("/indicators/goals", headers=manager)).json()["results"] == []
        drafted = await client.get("/indicators/goals?draft=true", headers=manager)
        assert [g["key"] for g in drafted.json()["results"]] == ["kp-bosetting"]
        hidden = await client.get("/indicators/goals?draft=true", headers=analyst)
        assert hidden.status_code == 403, hidden.text
        status = (await client.get("/indicators/plan", headers=analyst)).json()
        assert status["current_version"] == 3 and status["status"] == "draft"
        assert [c["kind"] for c in status["draft_changes"]] == [
            "indicator_defined",
            "goal_defined",
            "thresholds_set",
        ]
        assert {c["changed_by"] for c in status["draft_changes"]} == {"tester"}

        # Only a manager approves, and only the version they reviewed.
        refused = await client.post(
            "/indicators/plan/approve", json={"version": 3}, headers=analyst
        )
        assert refused.status_code == 403, refused.text
        stale = await client.post("/indicators/plan/approve", json={"version": 2}, headers=manager)
        assert stale.status_code == 409, stale.text
        assert stale.json()["current_version"] == 3
        before_approval = datetime.now(UTC)
        await asyncio.sleep(0.05)
        approved = await client.post(
            "/indicators/plan/approve", json={"version": 3}, headers=manager
        )
        assert approved.status_code == 200, approved.text
        twice = await client.post("/indicators/plan/approve", json={"version": 3}, headers=manager)
        assert twice.status_code == 409 and twice.json()["current_version"] == 3
        (goal,) = await card()
        assert (goal["key"], goal["level"]) == ("kp-bosetting", "desired")

        # A new draft leaves the plan in force alone until it is approved.
        await asyncio.sleep(0.05)
        between = datetime.now(UTC)
        await asyncio.sleep(0.05)
        put = await client.put(
            "/indicators/definitions/persons_settled/thresholds",
            json={"from_year": 2019, "bands": _bands(10)},
            headers=manager,
        )
        assert put.status_code == 200, put.text
        assert (await card())[0]["level"] == "desired"
        (pending,) = (await client.get("/indicators/plan", headers=manager)).json()["draft_changes"]
        assert (pending["plan_version"], pending["subject"], pending["years"]) == (
            4,
            "persons_settled",
            [2019],
        )
        await approve(client, manager)
        assert (await card())[0]["level"] == "not_approved"
        # As of a moment, the version approved by then: reproducible later.
        assert await card(as_of=before_approval.isoformat()) == []
        assert (await card(as_of=between.isoformat()))[0]["level"] == "desired"
        history = (await client.get("/indicators/plan", headers=manager)).json()
        assert [a["plan_version"] for a in history["approvals"]] == [3, 4]
        assert all(a["approved_by"] == "tester" for a in history["approvals"])

        # Comments: the manager explains a deviation (tied to indicator, period, level);
        # an analyst reads only.
        said = {"period": "2019", "text": "Færre bosatt enn vedtatt.", "level": "not_approved"}
        no = await client.post(
            "/indicators/definitions/persons_settled/comments", json=said, headers=analyst
        )
        assert no.status_code == 403, no.text
        yes = await client.post(
            "/indicators/definitions/persons_settled/comments", json=said, headers=manager
        )
        assert yes.status_code == 201, yes.text
        (comment,) = (
            await client.get("/indicators/definitions/persons_settled/comments", headers=analyst)
        ).json()["results"]
        assert (comment["level"], comment["author"], comment["period"]) == (
            "not_approved",
            "tester",
            "2019",
        )
        # Comments are not plan versions: nothing new to approve.
        assert (await client.get("/indicators/plan", headers=manager)).json()["status"] == (
            "approved"
        )


_municipalities = itertools.count(5001)

Step = tuple[str, int]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("set"), st.integers(1, 60)),
        st.tuples(st.just("approve"), st.just(0)),
        st.tuples(st.just("stale"), st.just(0)),
        st.tuples(st.just("settings"), st.integers(5, 12)),
    ),
    max_size=8,
)


@examples(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=steps)
async def test_the_plan_in_force_is_the_plan_as_of_the_latest_approved_version(
    plan_runtime: Any, history: list[Step]
) -> None:
    """Whatever the order of changes and approvals: the plan in force has exactly the
    thresholds of the last approval; the draft has the last ones recorded; a stale
    approval is refused with the current version; suppression in force is the stricter
    of approved and recorded and never below 5."""
    runtime = plan_runtime
    municipality = str(next(_municipalities))
    metadata = Metadata(actor="prop", municipality=municipality, correlation_id="p")

    async def run(work: Any) -> Any:
        async with runtime.db.transaction() as conn:
            return await work(conn)

    await run(
        lambda conn: application.define_indicator(
            runtime, conn, metadata, "persons_settled",
            IndicatorChange(from_catalogue="persons_settled"), redefine=False, expected=None,
        )
    )  # fmt: skip

    async def approve_version(version: int) -> None:
        await run(
            lambda conn: application.approve_plan(
                runtime, conn, metadata, ApprovalIn(version=version)
            )
        )

    versions, approved_version = 1, 0
    recorded: float | None = None
    approved: float | None = None
    recorded_n, approved_n = 5, 5
    for kind, number in history:
        if kind == "set":
            body = ThresholdsIn.model_validate({"from_year": 2019, "bands": _bands(number)})
            await run(
                lambda conn, body=body: application.set_thresholds(
                    runtime, conn, metadata, "persons_settled", body, None
                )
            )
            recorded, versions = float(number), versions + 1
        elif kind == "settings":
            await run(
                lambda conn, n=number: application.change_settings(
                    runtime, conn, metadata, SettingsIn(suppression_min_n=n)
                )
            )
            if number != recorded_n:
                recorded_n, versions = number, versions + 1
        elif kind == "stale" and versions > 1:
            with pytest.raises(Conflict) as stale:
                await approve_version(versions - 1)
            assert stale.value.extensions["current_version"] == versions
        elif kind == "approve":
            if approved_version == versions:
                with pytest.raises(Conflict):
                    await approve_version(versions)
            else:
                await approve_version(versions)
                approved, approved_n, approved_version = recorded, recorded_n, versions
        async with runtime.db.connect() as conn:
            in_force = await load_plan(conn, municipality, None)
            draft = await load_plan(conn, municipality, None, draft=True)
            status = await application.plan_status(conn, municipality)

        def lower(plan: Any) -> float | None:
            found = plan.thresholds.get(("persons_settled", 2019))
            return None if found is None else found.set.bands[0].lower

        assert lower(in_force) == approved
        assert lower(draft) == recorded
        assert status["current_version"] == versions
        assert (status["approved_version"] or 0) == approved_version
        assert in_force.settings.suppression_min_n == max(approved_n, recorded_n) >= 5
        assert ("persons_settled" in in_force.definitions) == (approved_version > 0)


@given(st.integers(-1000, 2000))
def test_no_setting_below_the_floor_is_accepted(n: int) -> None:
    """What PUT /indicators/settings checks: 5 up to 1000 people, nothing lower."""
    try:
        check_min_n(SettingsIn(suppression_min_n=n).suppression_min_n)
        accepted = True
    except (ValidationError, RuleViolation):
        accepted = False
    assert accepted == (5 <= n <= 1000)
