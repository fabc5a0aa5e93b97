"""Comparison figures from the service's own ``indicators.comparisons.imported.v1``."""

from __future__ import annotations

from services.indicators import tables as t
from services.indicators.events import ComparisonsImported, registry
from services.indicators.projections.facts import insert
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Batch, Projection, each


async def _apply(batch: Batch, envelope: Envelope) -> None:
    if envelope.type_name != ComparisonsImported.type_name:
        return
    event = registry.decode(envelope.type_name, envelope.data)
    assert isinstance(event, ComparisonsImported)
    for row, figure in enumerate(event.figures):
        insert(
            batch,
            t.comparison_values,
            {
                **figure.model_dump(),
                "event_id": envelope.id,
                "row": row,
                "imported_by": envelope.municipality,
                "recorded_at": envelope.recorded_at,
            },
        )


COMPARISONS = Projection(
    "comparisons", OWN_EVENTS, (t.comparison_values,), apply_batch=each(_apply)
)
