"""The index is built off the event loop: nothing waits for it but the index's own answers."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest

from services.matching import index as index_module
from services.matching.app import create_app
from services.matching.index import MatchingEngine, MatchingIndex, read_models_loader
from services.matching.settings import MatchingSettings
from shared.settings import Settings
from tests.matching.support import (
    Participants,
    coach,
    publish_opening,
    register_employer,
    wait_for_candidates,
)
from tests.support import eventually, running


class GatedLoader:
    """The real loader, held at the gate until the test opens it."""

    def __init__(self, settings: Settings) -> None:
        self.load = read_models_loader(settings)
        self.entered = threading.Event()
        self.gate = threading.Event()

    def __call__(self, engine: MatchingEngine, stop: threading.Event) -> None:
        self.entered.set()
        while not self.gate.wait(0.05):
            if stop.is_set():
                return
        self.load(engine, stop)


async def test_during_the_first_build_the_service_answers_and_index_queries_say_retry_later(
    settings: Settings,
) -> None:
    headers = coach(settings)
    person = uuid.uuid4()
    await Participants(settings).profile(person, skills=[])
    loader = GatedLoader(settings)
    index = MatchingIndex(MatchingSettings(index_wait_seconds=0), loader)
    try:
        async with running(create_app(settings, index=index)) as client:
            assert await asyncio.to_thread(loader.entered.wait, 10)

            assert (await client.get("/healthz")).status_code == 200
            employer = await register_employer(client, headers)
            opening = await publish_opening(client, headers, employer)
            assert (await client.get(f"/employers/{employer}", headers=headers)).status_code == 200
            for path in (f"/openings/{opening}/candidates", f"/candidates/{person}", "/candidates"):
                waiting = await client.get(path, headers=headers)
                assert waiting.status_code == 503, waiting.text
                assert waiting.headers["retry-after"] == "5"
                assert waiting.headers["content-type"] == "application/problem+json"
                assert waiting.json()["code"] == "index-building"
            assert index.engine is None

            loader.gate.set()
            await wait_for_candidates(client, headers, person)
            ranked = await client.get(f"/openings/{opening}/candidates", headers=headers)
            assert ranked.status_code == 200, ranked.text
            assert [c["participant_id"] for c in ranked.json()["candidates"]] == [str(person)]
            assert index.builds == 1
    finally:
        loader.gate.set()


async def test_changes_after_the_build_reach_the_index_without_another_build(
    settings: Settings,
) -> None:
    headers = coach(settings)
    participants = Participants(settings)
    first, second = uuid.uuid4(), uuid.uuid4()
    await participants.profile(first, skills=[])
    index = MatchingIndex(MatchingSettings())
    async with running(create_app(settings, index=index)) as client:
        employer = await register_employer(client, headers)
        opening = await publish_opening(client, headers, employer)
        await wait_for_candidates(client, headers, first)
        built = index.engine
        assert built is not None and index.builds == 1

        await participants.profile(second, skills=[])
        await wait_for_candidates(client, headers, second)
        other = await publish_opening(client, headers, employer, title="Second kitchen")

        async def ranked_both() -> bool:
            response = await client.get(f"/openings/{other}/candidates", headers=headers)
            found = {c["participant_id"] for c in response.json()["candidates"]}
            return response.status_code == 200 and found == {str(first), str(second)}

        await eventually(ranked_both)
        before = await client.get(f"/openings/{opening}/candidates", headers=headers)
        assert {c["participant_id"] for c in before.json()["candidates"]} == {
            str(first),
            str(second),
        }
        assert index.engine is built and index.builds == 1


async def test_a_backlog_is_rebuilt_off_the_loop_while_the_previous_index_answers(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = coach(settings)
    participants = Participants(settings)
    early, late = uuid.uuid4(), [uuid.uuid4(), uuid.uuid4()]
    await participants.profile(early, skills=[])
    loader = GatedLoader(settings)
    loader.gate.set()
    index = MatchingIndex(MatchingSettings(), loader)
    try:
        async with running(create_app(settings, index=index)) as client:
            employer = await register_employer(client, headers)
            opening = await publish_opening(client, headers, employer)
            await wait_for_candidates(client, headers, early)
            previous, builds = index.engine, index.builds
            loader.gate.clear()
            loader.entered.clear()
            monkeypatch.setattr(index_module, "_CATCH_UP_ROWS", 0)
            for person in late:
                await participants.profile(person, skills=[])

            async def rebuilding() -> bool:
                await client.get(f"/candidates/{early}", headers=headers)
                return loader.entered.is_set()

            await eventually(rebuilding)
            ranked = await client.get(f"/openings/{opening}/candidates", headers=headers)
            assert ranked.status_code == 200, ranked.text
            assert [c["participant_id"] for c in ranked.json()["candidates"]] == [str(early)]
            assert index.engine is previous

            monkeypatch.undo()
            loader.gate.set()
            await wait_for_candidates(client, headers, *late)
            assert index.engine is not previous and index.builds == builds + 1
    finally:
        loader.gate.set()
