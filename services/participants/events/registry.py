"""The participants service's event registry."""

from __future__ import annotations

from shared.events import EventRegistry

registry = EventRegistry()
"""Every event type of the service, by type name, with its upcasters."""
