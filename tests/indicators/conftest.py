"""Fixtures of the indicators service's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.indicators.app import create_app
from shared.service import Runtime
from shared.settings import Settings


@pytest.fixture
async def plan_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """The service's runtime without its servers, for running the plan's use cases directly
    (one per test, so a property's examples share it)."""
    runtime: Runtime = create_app(settings).state.runtime
    yield runtime
    await runtime.db.dispose()
