"""A command on another municipality's aggregate answers exactly like one on an unknown
id — 404 — before any Idempotency-Key is looked up, so no stored answer or key conflict
tells a caller that an id they may not see exists."""

from __future__ import annotations

import uuid

from shared.settings import Settings
from tests.kit.helpers import database, scalar
from tests.kit.minimal_service import create_app as kit_app
from tests.support import auth, running


async def test_another_municipalitys_id_and_an_unknown_id_get_the_same_404_before_the_key(
    settings: Settings,
) -> None:
    drammen, oslo = auth(settings, municipality="3301"), auth(settings, municipality="0301")
    async with running(kit_app(settings)) as client, database(settings, "housing") as db:
        theirs = (await client.post("/notes", json={"text": "d"}, headers=drammen)).json()["id"]
        # Oslo's user has used key K for a note of their own.
        used = await client.post(
            "/notes", json={"text": "o"}, headers=oslo | {"Idempotency-Key": "K"}
        )
        assert used.status_code == 201, used.text
        before = await scalar(db, "SELECT count(*) FROM events")

        targets = {"theirs": theirs, "unknown": str(uuid.uuid4())}
        answers: dict[tuple[str, str | None], dict[str, object]] = {}
        for name, target in targets.items():
            for key in (None, "K", "fresh"):
                headers = oslo | ({"Idempotency-Key": key} if key else {})
                response = await client.post(
                    "/notes", json={"text": "x", "stream_id": target}, headers=headers
                )
                assert response.status_code == 404, (name, key, response.text)
                body = response.json()
                body["detail"] = str(body["detail"]).replace(target, "<id>")
                body["detail_en"] = str(body["detail_en"]).replace(target, "<id>")
                answers[(name, key)] = body
        # Word for word the same, but for the id the caller sent.
        for key in (None, "K", "fresh"):
            assert answers[("theirs", key)] == answers[("unknown", key)]
            assert answers[("theirs", key)]["code"] == "not-found"
        assert await scalar(db, "SELECT count(*) FROM events") == before
        # Nothing was stored under the keys: a fresh key is still free for Oslo's own use.
        assert await scalar(db, "SELECT count(*) FROM idempotency_keys WHERE key = 'fresh'") == 0

        # The owner is not affected: Drammen appends to its own note.
        own = await client.post("/notes", json={"text": "d2", "stream_id": theirs}, headers=drammen)
        assert own.status_code == 201, own.text
