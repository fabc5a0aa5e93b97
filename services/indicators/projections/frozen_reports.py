"""Locked reports from the service's own ``indicators.report.locked.v1``: the list, the
values as locked and the rendered files, decoded from the event byte for byte (a replay
gives the same bytes and the same SHA-256)."""

from __future__ import annotations

import base64
import uuid
from datetime import date, datetime

from services.indicators import tables as t
from services.indicators.events import ReportLocked, registry
from services.indicators.projections.facts import insert
from shared.events import Envelope
from shared.projection import OWN_EVENTS, Batch, Projection, each


async def _apply(batch: Batch, envelope: Envelope) -> None:
    if envelope.type_name != ReportLocked.type_name:
        return
    event = registry.decode(envelope.type_name, envelope.data)
    assert isinstance(event, ReportLocked)
    files = {name: base64.b64decode(content) for name, content in event.files.items()}
    insert(
        batch,
        t.frozen_reports,
        {
            "report_id": uuid.UUID(event.report_id),
            "municipality": envelope.municipality,
            "period": event.period,
            "kind": event.kind,
            "reported_to": event.reported_to,
            "reported_on": date.fromisoformat(event.reported_on),
            "title": event.title,
            "lang": event.lang,
            "known_as_of": datetime.fromisoformat(event.known_as_of),
            "snapshot": event.snapshot,
            "html": files["html"],
            "xlsx": files["xlsx"],
            "pdf": files["pdf"],
            "sha256": event.sha256,
            "drilldown_sha256": event.drilldown_sha256,
            "drilldown_members": event.drilldown_members,
            "recorded_at": envelope.recorded_at,
        },
    )


FROZEN_REPORTS = Projection(
    "frozen_reports", OWN_EVENTS, (t.frozen_reports,), apply_batch=each(_apply)
)
