"""The event streams of the matching service: one per employer, opening and match."""

from __future__ import annotations

import uuid

EMPLOYER = "employer"
OPENING = "opening"
MATCH = "match"


def stream_id(stream_type: str, entity_id: uuid.UUID) -> str:
    return f"{stream_type}-{entity_id}"
