"""Events of the housing service."""

from __future__ import annotations

from shared.events import EventRegistry

registry = EventRegistry()
