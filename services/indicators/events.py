"""Events of the indicators service."""

from __future__ import annotations

from shared.events import EventRegistry

registry = EventRegistry()
