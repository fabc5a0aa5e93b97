"""Changing a programme's adviser and moving a caseload, over HTTP on real PG + NATS."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx

from shared.settings import Settings
from tests.participants.conftest import person, registered_and_settled
from tests.support import auth


async def _in_programme(
    client: httpx.AsyncClient, headers: dict[str, str], adviser: str, born: date
) -> str:
    pid = await registered_and_settled(client, headers, person(born), settled_on="2024-12-02")
    started = await client.post(
        f"/participants/{pid}/programme",
        headers=headers,
        json={"kind": "introduction", "starts_on": "2025-01-06", "adviser": adviser},
    )
    assert started.status_code == 201, started.text
    return pid


async def _caseload(client: httpx.AsyncClient, headers: dict[str, str], adviser: str) -> set[str]:
    answer = await client.get(f"/advisers/{adviser}/caseload", headers=headers)
    assert answer.status_code == 200, answer.text
    return {p["id"] for p in answer.json()["results"]}


def _results(body: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {r["participant_id"]: (r["result"], r["code"]) for r in body["results"]}


async def test_changing_the_adviser_keeps_the_history(
    client: httpx.AsyncClient, caseworker: dict[str, str]
) -> None:
    pid = await _in_programme(client, caseworker, "ola", date(1990, 4, 2))
    changed = await client.put(
        f"/participants/{pid}/adviser", headers=caseworker, json={"adviser": "kari"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["adviser"] == "kari"
    again = await client.put(
        f"/participants/{pid}/adviser", headers=caseworker, json={"adviser": "kari"}
    )
    assert again.status_code == 409 and again.json()["code"] == "same-adviser"
    blank = await client.put(f"/participants/{pid}/adviser", headers=caseworker, json={})
    assert blank.status_code == 422
    assert await _caseload(client, caseworker, "kari") == {pid}
    assert await _caseload(client, caseworker, "ola") == set()
    history = await client.get(f"/participants/{pid}/advisers", headers=caseworker)
    assert history.status_code == 200, history.text
    advisers = history.json()["advisers"]
    assert [a["adviser"] for a in advisers] == ["ola", "kari"]
    assert advisers[0]["until"] == advisers[1]["assigned_at"] and advisers[1]["until"] is None

    unstarted = await client.post("/participants", headers=caseworker, json=person())
    none = await client.put(
        f"/participants/{unstarted.json()['id']}/adviser",
        headers=caseworker,
        json={"adviser": "kari"},
    )
    assert none.status_code == 409 and none.json()["code"] == "no-programme"


async def test_moving_a_caseload_reports_each_participant_and_is_idempotent(
    client: httpx.AsyncClient, caseworker: dict[str, str], settings: Settings
) -> None:
    ola = [await _in_programme(client, caseworker, "ola", date(1980 + i, 1, 9)) for i in range(3)]
    per = await _in_programme(client, caseworker, "per", date(1985, 5, 5))
    oslo = auth(settings, ["caseworker"], "0301")
    elsewhere = await _in_programme(client, oslo, "ola", date(1986, 6, 6))

    same = await client.post(
        "/advisers/ola/caseload/move", headers=caseworker, json={"to_adviser": "ola"}
    )
    assert same.status_code == 422 and same.json()["code"] == "caseload-to-self"

    keyed = {**caseworker, "Idempotency-Key": "move-ola"}
    moved = await client.post(
        "/advisers/ola/caseload/move", headers=keyed, json={"to_adviser": "kari"}
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["requested"], body["moved"], body["refused"]) == (3, 3, 0)
    assert set(_results(body)) == set(ola)
    replay = await client.post(
        "/advisers/ola/caseload/move", headers=keyed, json={"to_adviser": "kari"}
    )
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == body
    assert await _caseload(client, caseworker, "kari") == set(ola)
    assert await _caseload(client, caseworker, "ola") == set()
    # Oslo's adviser called ola is another municipality's caseload: untouched.
    assert await _caseload(client, oslo, "ola") == {elsewhere}

    # A chosen list: one of the caseload moves; the rest are refused, each with its rule.
    await client.post(
        f"/participants/{ola[2]}/move-out",
        headers=caseworker,
        json={"moved_on": "2025-02-03", "to_municipality": "0301"},
    )
    unknown = str(uuid.uuid4())
    chosen = [ola[0], per, unknown, elsewhere, ola[2], ola[0]]
    partial = await client.post(
        "/advisers/kari/caseload/move",
        headers=caseworker,
        json={"to_adviser": "liv", "participant_ids": chosen},
    )
    assert partial.status_code == 200, partial.text
    result = partial.json()
    assert (result["requested"], result["moved"], result["refused"]) == (5, 1, 4)
    assert _results(result) == {
        ola[0]: ("moved", None),
        per: ("refused", "not-in-caseload"),
        unknown: ("refused", "not-found"),
        elsewhere: ("refused", "not-found"),
        ola[2]: ("refused", "not-in-caseload"),
    }
    assert await _caseload(client, caseworker, "liv") == {ola[0]}
    assert await _caseload(client, caseworker, "kari") == {ola[1]}
    assert await _caseload(client, caseworker, "per") == {per}
    history = await client.get(f"/participants/{ola[0]}/advisers", headers=caseworker)
    assert [a["adviser"] for a in history.json()["advisers"]] == ["ola", "kari", "liv"]
