"""``municipal_deadline_rules``: each municipality's own deadlines in force, from its
deadline-rules stream (``deadlines.municipal_rule_created`` / ``_retired``)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.participants import events as ev
from services.participants.tables import municipal_deadline_rules
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Batch, Projection

FOLLOWS = frozenset(
    {ev.MunicipalDeadlineRuleCreated.type_name, ev.MunicipalDeadlineRuleRetired.type_name}
)


async def fold_rules(batch: Batch, envelopes: Sequence[Envelope]) -> None:
    for envelope in envelopes:
        if envelope.type_name not in FOLLOWS:
            continue
        event = ev.registry.decode(envelope.type_name, envelope.data)
        table = municipal_deadline_rules
        if isinstance(event, ev.MunicipalDeadlineRuleCreated):
            values = {
                "after": event.after,
                "met_by": event.met_by,
                "days": event.days,
                "label_nb": event.label_nb,
                "label_en": event.label_en,
                "created_at": envelope.recorded_at,
            }
            await batch.execute(
                insert(table)
                .values(municipality=envelope.municipality, code=event.code, **values)
                .on_conflict_do_update(
                    index_elements=[table.c.municipality, table.c.code], set_=values
                )
            )
        elif isinstance(event, ev.MunicipalDeadlineRuleRetired):
            await batch.execute(
                sa.delete(table).where(
                    table.c.municipality == envelope.municipality, table.c.code == event.code
                )
            )


MUNICIPAL_DEADLINES = Projection(
    "municipal_deadline_rules", OWN_EVENTS, (municipal_deadline_rules,), apply_batch=fold_rules
)
