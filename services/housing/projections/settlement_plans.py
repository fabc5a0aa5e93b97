"""``settlement_plans`` and ``settlement_measures``: the year's request, decision, monthly
plan and the preparedness plan's measures, as the last event left each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.housing import tables as t
from services.housing.events import (
    PreparednessMeasureAdded,
    PreparednessMeasureWithdrawn,
    SettlementDecided,
    SettlementPlanned,
    SettlementRequested,
)
from services.housing.projections.rows import decode_all, insert_new, update
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Batch, Projection

PLAN_EVENTS = (SettlementRequested, SettlementDecided, SettlementPlanned)
MEASURE_EVENTS = (PreparednessMeasureAdded, PreparednessMeasureWithdrawn)
YEAR_EVENTS = (*PLAN_EVENTS, *MEASURE_EVENTS)


def _counts(counts: Sequence[Any]) -> dict[str, int]:
    return {str(c.size): c.households for c in counts}


async def _apply(batch: Batch, envelopes: Sequence[Envelope]) -> None:
    events = decode_all(envelopes)
    await batch.load(
        t.settlement_plans,
        {(e.municipality, ev.year) for e, ev in events if isinstance(ev, YEAR_EVENTS)},
    )
    await batch.load(
        t.settlement_measures,
        {(ev.measure_id,) for _, ev in events if isinstance(ev, MEASURE_EVENTS)},
    )
    for envelope, event in events:
        if isinstance(event, MEASURE_EVENTS):
            # The plan's version is its stream's: a measure moves it on too.
            plan = batch.row(t.settlement_plans, (envelope.municipality, event.year))
            if plan is not None:
                batch.put(t.settlement_plans, plan | {"version": envelope.stream_version})
        if isinstance(event, PLAN_EVENTS):
            key = (envelope.municipality, event.year)
            row = batch.row(t.settlement_plans, key) or {
                column.name: None for column in t.settlement_plans.c
            }
            row = {
                **row,
                "municipality": envelope.municipality,
                "year": event.year,
                "version": envelope.stream_version,
            }
            if isinstance(event, SettlementRequested):
                row |= {
                    "requested_on": event.requested_on,
                    "request": {
                        "singles": event.singles,
                        "families": _counts(event.families),
                        "unaccompanied_minors": event.unaccompanied_minors,
                    },
                    "requested_persons": event.persons,
                }
            elif isinstance(event, SettlementDecided):
                row |= {
                    "decided_on": event.decided_on,
                    "decided_persons": event.persons,
                    "decided_unaccompanied_minors": event.unaccompanied_minors,
                }
            else:
                row |= {
                    "planned_on": event.planned_on,
                    "plan": [
                        {
                            "month": m.month,
                            "households": _counts(m.households),
                            "unaccompanied_minors": m.unaccompanied_minors,
                        }
                        for m in event.months
                    ],
                }
            batch.put(t.settlement_plans, row)
        elif isinstance(event, PreparednessMeasureAdded):
            insert_new(batch, t.settlement_measures, event, envelope)
        elif isinstance(event, PreparednessMeasureWithdrawn):
            update(batch, t.settlement_measures, event.measure_id, withdrawn_on=event.withdrawn_on)


SETTLEMENT_PLANS = Projection(
    "settlement_plans",
    OWN_EVENTS,
    (t.settlement_plans, t.settlement_measures),
    apply_batch=_apply,
)
