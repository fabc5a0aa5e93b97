"""The event streams of the matching service: one per employer, opening and match."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable
from typing import TypeVar

from shared.events import Event

State = TypeVar("State")

EMPLOYER = "employer"
OPENING = "opening"
MATCH = "match"


def stream_id(stream_type: str, entity_id: uuid.UUID) -> str:
    return f"{stream_type}-{entity_id}"


def fold(initial: State, evolve: Callable[[State, Event], State], events: Iterable[Event]) -> State:
    """The state after ``events``, each applied by ``evolve`` in turn, from ``initial``."""
    return functools.reduce(evolve, events, initial)
