"""An unaccompanied minor's facts and the employer consents are dated facts of the
participant like the journey's and the Integration Act's: a death, an emigration or a
move dated before them is refused (and a birth date after them, by the same list).

The property (hypothesis, in the style of ``tests/unit/test_participants_journeys.py``)
drives the pure decisions with generated commands and dates and checks, with an oracle
that reads the minor's record and the consents directly (not through
:func:`facts_dated`), that no accepted sequence leaves one of their facts dated after
the death or on or after the day the participant left. The HTTP tests check the
refusal's problem: its code and the two facts it names.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.participants import domain
from services.participants import events as ev
from services.participants.domain import employer_consent, minor
from services.participants.domain.invariants import broken_invariants
from shared.dates import EARLIEST, LATEST, today
from shared.events import Event
from shared.settings import Settings
from tests.participants.test_minors import minor_participant
from tests.support import (
    Journey,
    attempt,
    auth,
    id_for_birth,
    near_days,
    settled_participant,
)

SETTLED = date(2024, 3, 1)
EMPLOYERS = [uuid.UUID(int=n) for n in range(1, 4)]


def own_dates(state: domain.Participant, today: date) -> list[tuple[str, date]]:
    """The oracle: every date the minor's record and the consents hold as having happened
    by ``today``, read from the records themselves."""
    record = state.minor
    found = [("phase", on) for _, on in record.phases]
    found += [("primary contact", on) for _, on in record.primary_contacts]
    found += [("measures plan", on) for _, on, _ in record.plans]
    if record.bedsit_contract is not None:
        _, signed_on, moves_in_on = record.bedsit_contract
        found.append(("bedsit signed", signed_on))
        if moves_in_on <= today:
            found.append(("bedsit move-in", moves_in_on))
    found += [("follow-up contact", on) for _, _, on in record.follow_up_contacts]
    found += [("outcome", on) for _, on in record.outcomes]
    if record.ended is not None:
        found.append(("services ended", record.ended[1]))
    found += [("consent given", c.given_on) for c in state.employer_consents]
    return found


def anchors(state: domain.Participant, today: date) -> list[date]:
    """Today, the settlement, every date already recorded and the exits."""
    points = [today, SETTLED, *(on for _, on in own_dates(state, today))]
    points += [d for d in (state.died_on, state.left_on) if d is not None]
    return points


def days(around: list[date], today: date) -> st.SearchStrategy[date]:
    """A day near one of ``around``, mostly not after today."""
    near = near_days(around, today, st.one_of(st.integers(-30, 60), st.integers(-400, 400)))
    return st.one_of(near, near, near, st.sampled_from([today, EARLIEST, LATEST]))


FACTS = [
    *("phase", "phase", "phase", "contact", "plan", "bedsit", "bedsit"),
    *("follow_up", "follow_up", "outcome", "outcome", "end", "consent", "consent", "withdraw"),
]
EXITS = ["die", "move_out", "emigrate", "correct_birth", "erase"]


@st.composite
def command(draw: st.DrawFn, state: domain.Participant, today: date) -> tuple[str, dict[str, Any]]:
    d = days(anchors(state, today), today)
    name = (
        draw(st.sampled_from(EXITS))
        if draw(st.integers(0, 5)) == 0
        else draw(st.sampled_from(FACTS))
    )
    args: dict[str, Any] = {"on": draw(d)}
    if name == "phase":
        expected = state.minor.next_phase()
        args["phase"] = draw(
            st.one_of(st.sampled_from(list(ev.MinorPhase)), *([st.just(expected)] * 3))
            if expected is not None
            else st.sampled_from(list(ev.MinorPhase))
        )
    elif name == "bedsit":
        args["moves_in_on"] = draw(d)
    elif name == "follow_up":
        args["kind"] = draw(st.sampled_from(list(ev.FollowUpContactKind)))
    elif name == "outcome":
        args["outcome"] = draw(st.sampled_from(list(ev.MinorOutcome)))
    elif name == "end":
        args["reason"] = draw(st.sampled_from(list(ev.ServicesEndReason)))
        args["basis"] = draw(
            st.sampled_from([None, "child_welfare_aftercare", "settlement_follow_up"])
        )
    elif name == "consent":
        args["employer"] = draw(st.sampled_from(EMPLOYERS))
    elif name == "withdraw":
        consents = state.employer_consents
        args["consent"] = (
            draw(st.sampled_from([c.consent_id for c in consents])) if consents else uuid.uuid4()
        )
    elif name == "plan":
        args["due"] = draw(st.one_of(st.none(), d))
    return name, args


def decide(youth: Journey, name: str, args: dict[str, Any]) -> list[Event]:
    state, today_ = youth.state(), youth.today
    record, on = state.minor, args["on"]
    match name:
        case "phase":
            return minor.enter_phase(state, record, args["phase"], on, today_)
        case "contact":
            return minor.assign_primary_contact(state, record, uuid.uuid4(), on, today_)
        case "plan":
            goal = ev.MeasuresGoal(area=ev.MeasuresGoalArea.school, due_on=args["due"])
            return minor.agree_measures_plan(state, record, uuid.uuid4(), on, (goal,), today_)
        case "bedsit":
            return minor.sign_bedsit_contract(
                state, record, uuid.uuid4(), on, args["moves_in_on"], today_
            )
        case "follow_up":
            return minor.record_follow_up_contact(
                state, record, uuid.uuid4(), args["kind"], on, today_
            )
        case "outcome":
            return minor.record_outcome(state, record, args["outcome"], on, today_)
        case "end":
            return minor.end_services(state, record, args["reason"], on, args["basis"], today_)
        case "consent":
            return employer_consent.give(
                state, state.employer_consents, uuid.uuid4(), args["employer"], on, today_
            )
        case "withdraw":
            return employer_consent.withdraw(
                state, state.employer_consents, args["consent"], on, today_
            )
        case "die":
            return domain.die(state, on, today_)
        case "move_out":
            return domain.move_out(state, on, "0301", "3301", today_)
        case "emigrate":
            return domain.emigrate(state, on, today_)
        case "correct_birth":
            changed = domain.change_personal_details(state, "sealed", on, id_for_birth(on), today_)
            youth.birth = on
            return changed
        case "erase":
            return domain.erase(state)
    raise AssertionError(name)


def _exits_respected(state: domain.Participant, today: date) -> list[str]:
    wrong = []
    for what, day in own_dates(state, today):
        if state.died_on is not None and day > state.died_on:
            wrong.append(f"{what} {day} after death {state.died_on}")
        if state.left_on is not None and day >= state.left_on:
            wrong.append(f"{what} {day} on or after leaving {state.left_on}")
        if day < state.born_on:
            wrong.append(f"{what} {day} before birth {state.born_on}")
    return wrong


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.integers(0, 3650), st.integers(1, 17 * 365), st.data())
def test_no_accepted_sequence_leaves_a_minors_fact_or_a_consent_after_death_or_leaving(
    days_after: int, age_at_settlement: int, data: st.DataObject
) -> None:
    today_ = SETTLED + timedelta(days=days_after)
    youth = Journey(today_, SETTLED - timedelta(days=age_at_settlement))
    youth.events = domain.register(
        youth.pid, youth.birth, id_for_birth(youth.birth), ev.Gender.unknown, "sealed", today_
    )
    youth.events += domain.settle(
        youth.state(),
        SETTLED,
        ev.ArrivalCategory.resettlement_refugee,
        today_,
        household_id=uuid.uuid4(),
        unaccompanied_minor=True,
    )
    for _ in range(data.draw(st.integers(10, 40), label="length")):
        before = youth.state()
        name, args = data.draw(command(before, today_))
        after = attempt(youth, before, decide, name, args)
        if after is None:
            continue
        assert _exits_respected(after, today_) == [], (name, args)
        assert broken_invariants(after, today_) == [], (name, args)


def _on(days_: int) -> str:
    return (SETTLED + timedelta(days=days_)).isoformat()


Post = Callable[[str, dict[str, object]], Awaitable[httpx.Response]]


@pytest.fixture
async def post(client: httpx.AsyncClient, settings: Settings) -> Post:
    """POST a caseworker's body to a path under a new minor participant's."""
    cw = auth(settings, ["caseworker"])
    pid = await minor_participant(client, cw)

    async def post(path: str, body: dict[str, object]) -> httpx.Response:
        return await client.post(f"/participants/{pid}{path}", headers=cw, json=body)

    return post


async def test_a_death_or_move_before_a_minors_fact_is_refused_with_both_dates(
    post: Post,
) -> None:
    for phase, day in (("intake", 0), ("moving_in", 5), ("shared_home", 40)):
        entered = await post("/minor/phases", {"phase": phase, "entered_on": _on(day)})
        assert entered.status_code == 201, entered.text

    died = await post("/death", {"died_on": _on(20)})
    assert died.status_code == 409, died.text
    problem = died.json()
    assert problem["code"] == "after-death"
    assert problem["facts"] == {"died_on": _on(20), "phase_entered_on": _on(40)}
    moved = await post("/move-out", {"moved_on": _on(40), "to_municipality": "0301"})
    assert moved.status_code == 409, moved.text
    assert moved.json()["code"] == "moved-away"
    assert moved.json()["facts"] == {"moved_on": _on(40), "phase_entered_on": _on(40)}
    emigrated = await post("/emigration", {"emigrated_on": _on(30)})
    assert emigrated.status_code == 409, emigrated.text
    assert emigrated.json()["code"] == "moved-away"

    # On or after the last fact the exit is accepted, and the fact was not the problem.
    assert (await post("/death", {"died_on": _on(40)})).status_code == 201


async def test_a_death_before_an_outcome_or_the_services_end_is_refused(
    post: Post,
) -> None:
    assert (await post("/minor/phases", {"phase": "intake", "entered_on": _on(0)})).is_success
    outcome = await post("/minor/outcomes", {"outcome": "working_life_contact", "on": _on(100)})
    assert outcome.status_code == 201, outcome.text
    ended = await post("/minor/services-end", {"reason": "cooperation_ended", "ended_on": _on(200)})
    assert ended.status_code == 201, ended.text
    before_outcome = await post("/death", {"died_on": _on(50)})
    assert before_outcome.status_code == 409
    assert before_outcome.json()["code"] == "after-death"
    assert before_outcome.json()["facts"] == {"died_on": _on(50), "minor_outcome_on": _on(100)}
    before_end = await post("/move-out", {"moved_on": _on(150), "to_municipality": "0301"})
    assert before_end.status_code == 409 and before_end.json()["code"] == "moved-away"
    assert before_end.json()["facts"] == {"moved_on": _on(150), "services_ended_on": _on(200)}


async def test_a_death_or_move_before_an_employer_consent_is_refused_but_not_before_a_withdrawal(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    cw = auth(settings, ["caseworker"])
    pid = await settled_participant(client, cw)
    given_on = (today() - timedelta(days=10)).isoformat()
    given = await client.post(
        f"/participants/{pid}/employer-consents",
        headers=cw,
        json={"employer_id": str(uuid.uuid4()), "given_on": given_on},
    )
    assert given.status_code == 201, given.text
    earlier = (today() - timedelta(days=20)).isoformat()
    died = await client.post(f"/participants/{pid}/death", headers=cw, json={"died_on": earlier})
    assert died.status_code == 409, died.text
    assert died.json()["code"] == "after-death"
    assert died.json()["facts"] == {"died_on": earlier, "consent_given_on": given_on}
    moved = await client.post(
        f"/participants/{pid}/move-out",
        headers=cw,
        json={"moved_on": given_on, "to_municipality": "0301"},
    )
    assert moved.status_code == 409 and moved.json()["code"] == "moved-away"
    assert moved.json()["facts"] == {"moved_on": given_on, "consent_given_on": given_on}

    # A withdrawal stops sharing whenever it is dated: it does not hold a death back.
    withdrawn = await client.post(
        f"/participants/{pid}/employer-consent-withdrawals",
        headers=cw,
        json={"consent_id": given.json()["consent_id"], "withdrawn_on": today().isoformat()},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    later = (today() - timedelta(days=5)).isoformat()
    assert (
        await client.post(f"/participants/{pid}/death", headers=cw, json={"died_on": later})
    ).status_code == 201
