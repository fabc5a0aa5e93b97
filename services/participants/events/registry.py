"""The participants service's event registry and the base of the parts events carry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shared.events import EventRegistry

registry = EventRegistry()
"""Every event type of the service, by type name, with its upcasters."""


class Part(BaseModel):
    """A frozen value carried inside an event (an activity, a language, a goal)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
