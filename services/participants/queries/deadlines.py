"""Deadline lists: the caseworker's four lists, the Act's deadlines and the municipality's.

The four lists (``programmes_ending``, ``plans_below_full_time``, ``no_recent_follow_up``,
``ended_without_outcome``) read the participant summary. The Act's deadlines and the
municipality's own need the whole folded state (decision, mapping, guidance, plan,
contract, end reason), so they fold each participant's stream: a report, not a hot path.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participants import domain
from services.participants.domain import deadlines as rules
from services.participants.queries.journey import (
    RUNNING,
    _details,
    _ending,
    _rows_with_keys,
    as_of,
    summary_view,
)
from services.participants.tables import municipal_deadline_rules, participant_summary
from shared.eventstore import EventStore
from shared.i18n import catalog

TEXTS = ("shared", "services.participants")


async def lists(
    conn: AsyncConnection,
    municipality: str,
    today: date,
    ending_within_days: int,
    follow_up_days: int,
    with_personal: bool,
) -> dict[str, list[dict[str, Any]]]:
    """The four lists caseworkers act on (IMDi's most common data fault is the last).

    Every list is as of ``today``: a planned start, a scheduled leave or a move-out
    announced ahead changes them only from its date.
    """
    rows = await _rows_with_keys(
        conn,
        [
            participant_summary.c.municipality == municipality,
            participant_summary.c.programme_id.is_not(None),
            participant_summary.c.erased.is_(False),
        ],
    )
    since = today - timedelta(days=follow_up_days)
    chosen: dict[str, list[Any]] = {
        "programmes_ending": [],
        "plans_below_full_time": [],
        "no_recent_follow_up": [],
        "ended_without_outcome": [],
    }
    for row in rows:
        now = as_of(row, today)
        if now.status in RUNNING:
            if _ending(now, today, ending_within_days):
                chosen["programmes_ending"].append(row)
            if not row.plan_full_time or row.plan_revision == 0:
                chosen["plans_below_full_time"].append(row)
            if row.last_follow_up_on is None or row.last_follow_up_on < since:
                chosen["no_recent_follow_up"].append(row)
        elif now.status == "programme_ended" and row.outcome is None:
            chosen["ended_without_outcome"].append(row)
    return {
        name: [
            summary_view(row, _details(row) if with_personal else None, with_personal, today)
            for row in found
        ]
        for name, found in chosen.items()
    }


async def participant_states(
    conn: AsyncConnection, store: EventStore, municipality: str
) -> list[tuple[domain.Participant, dict[str, Any] | None]]:
    """Every participant of the municipality not erased, folded from its stream, with
    its personal details (``None`` when not readable), oldest registration first."""
    rows = await _rows_with_keys(
        conn,
        [
            participant_summary.c.municipality == municipality,
            participant_summary.c.erased.is_(False),
        ],
    )
    rows.sort(key=lambda r: (r.registered_at, r.participant_id))
    folded = []
    for row in rows:
        envelopes = await store.load(conn, str(row.participant_id))
        state = domain.fold(store.decode(e) for e in envelopes)
        folded.append((state, _details(row)))
    return folded


async def municipal_rules(conn: AsyncConnection, municipality: str) -> list[rules.MunicipalRule]:
    """The municipality's own deadlines in force, by code."""
    table = municipal_deadline_rules
    result = await conn.execute(
        sa.select(table).where(table.c.municipality == municipality).order_by(table.c.code)
    )
    return [
        rules.MunicipalRule(r.code, r.after, r.met_by, r.days, r.label_nb, r.label_en)
        for r in result
    ]


def label(code: str, locale: str) -> str:
    return catalog(*TEXTS).text(f"deadline.{code}", locale)


def fact_label(fact: str | None, locale: str) -> str | None:
    return None if fact is None else catalog(*TEXTS).text(f"deadline_fact.{fact}", locale)


def deadline_view(
    state: domain.Participant,
    details: dict[str, Any] | None,
    deadline: rules.Deadline,
    today: date,
    locale: str,
    with_personal: bool,
) -> dict[str, Any]:
    """One deadline as the lists show it: codes with labels, days left (negative when
    overdue), and the participant's name for those allowed to see it."""
    view = {"participant_id": str(state.participant_id), **deadline.view(today)}
    if deadline.label is not None:
        view["label"] = deadline.label.get(locale) or deadline.label["nb"]
    else:
        view["label"] = label(deadline.code, locale)
    view["after"]["label"] = fact_label(deadline.after, locale)
    view["met_by_label"] = fact_label(deadline.met_by, locale)
    if with_personal:
        view["personal_data"] = (
            None
            if details is None
            else {k: details.get(k) for k in ("given_name", "family_name", "birth_date")}
        )
    return view


def sorted_views(views: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Most urgent first: fewest days left, then by deadline and participant."""
    return sorted(views, key=lambda v: (v["days_left"], v["deadline"], v["participant_id"]))


async def act_and_municipal(
    conn: AsyncConnection,
    store: EventStore,
    municipality: str,
    today: date,
    locale: str,
    with_personal: bool,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The Act's open deadlines and the municipality's own, every participant, as of
    ``today``, most urgent first."""
    own = await municipal_rules(conn, municipality)
    act: list[dict[str, Any]] = []
    municipal: list[dict[str, Any]] = []
    for state, details in await participant_states(conn, store, municipality):
        for found in rules.act_deadlines(state, today):
            act.append(deadline_view(state, details, found, today, locale, with_personal))
        for found in rules.municipal_deadlines(state, today, own):
            municipal.append(deadline_view(state, details, found, today, locale, with_personal))
    return sorted_views(act), sorted_views(municipal)


def shown_ids(views: Iterable[dict[str, Any]]) -> set[uuid.UUID]:
    return {uuid.UUID(v["participant_id"]) for v in views}
