"""Skill and occupation search over HTTP: both languages, typos, and the 422s with codes."""

from __future__ import annotations

import httpx
import pytest

from services.matching.app import create_app
from shared.settings import Settings
from shared.taxonomy import load
from shared.taxonomy.labels import labels
from tests.matching.support import coach
from tests.support import auth, running

CUSTOMERS = next(
    uri for uri, label in load().skills.items() if label == "communicate with customers"
)


async def _get(client: httpx.AsyncClient, headers: dict[str, str], path: str) -> httpx.Response:
    return await client.get(path, headers=headers)


async def test_skills_are_found_in_bokmal_and_english_with_typos(settings: Settings) -> None:
    headers = coach(settings)
    async with running(create_app(settings)) as client:
        norwegian = await _get(client, headers, "/taxonomy/skills?q=kommunisere med kunder")
        english = await _get(client, headers, "/taxonomy/skills?q=comunicate with custmers")
        typed = await _get(client, headers, "/taxonomy/skills?q=kommunisere med kund&lang=nb")
        alternative = await _get(client, headers, "/taxonomy/skills?q=talk with customers")
    for answer in (norwegian, english, typed, alternative):
        assert answer.status_code == 200, answer.text
        assert answer.json()["hits"][0]["uri"] == CUSTOMERS, answer.json()
    best = norwegian.json()["hits"][0]
    assert best["label_nb"] == "kommunisere med kunder"
    assert best["label_en"] == "communicate with customers"
    assert (best["matched_lang"], best["matched_preferred"], best["score"]) == ("nb", True, 1.0)
    assert english.json()["hits"][0]["matched_lang"] == "en"
    assert 0 < english.json()["hits"][0]["score"] < 1
    assert typed.json()["lang"] == "nb"
    assert all(h["matched_lang"] == "nb" for h in typed.json()["hits"])
    assert alternative.json()["hits"][0]["matched_label"] == "talk with customers"
    assert alternative.json()["hits"][0]["matched_preferred"] is False


async def test_occupations_answer_with_the_profile_code(settings: Settings) -> None:
    headers = auth(settings, ["caseworker"], "3301")
    async with running(create_app(settings)) as client:
        cook = await _get(client, headers, "/taxonomy/occupations?q=kokk")
        welder = await _get(client, headers, "/taxonomy/occupations?q=welder&limit=3")
        typo = await _get(client, headers, "/taxonomy/occupations?q=sykeplier&lang=nb")
    assert cook.status_code == 200, cook.text
    first = cook.json()["hits"][0]
    assert (first["kind"], first["code"], first["uri"], first["label_nb"]) == (
        "unit_group",
        "5120",
        None,
        "Kokker",
    )
    assert first["label_en"] == load().isco_groups["5120"]
    hits = welder.json()["hits"]
    assert len(hits) == 3
    assert hits[0]["kind"] == "occupation" and hits[0]["matched_label"] == "welder"
    assert hits[0]["code"] == "7212"
    assert hits[0]["label_nb"] == labels().unit_groups_nb["7212"]
    assert typo.json()["hits"][0]["code"] == "2223", typo.json()


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "search-query-empty"),
        ("q=", "search-query-empty"),
        ("q=%20%20", "search-query-empty"),
        ("q=og i", "search-query-empty"),
        ("q=" + "a" * 101, "search-query-too-long"),
        ("q=kokk&sort=score", "unknown-search-parameter"),
    ],
)
async def test_bad_searches_are_refused_with_a_code(
    settings: Settings, query: str, code: str
) -> None:
    headers = coach(settings)
    async with running(create_app(settings)) as client:
        for path in ("/taxonomy/skills", "/taxonomy/occupations"):
            answer = await client.get(f"{path}?{query}", headers=headers)
            assert answer.status_code == 422, answer.text
            assert answer.json()["code"] == code
            assert answer.headers["content-type"].startswith("application/problem+json")


async def test_unknown_parameters_are_named_and_limits_enforced(settings: Settings) -> None:
    headers = coach(settings)
    async with running(create_app(settings)) as client:
        unknown = await client.get("/taxonomy/skills?q=kokk&offset=2&sort=x", headers=headers)
        too_many = await client.get("/taxonomy/skills?q=kokk&limit=51", headers=headers)
        bad_lang = await client.get("/taxonomy/skills?q=kokk&lang=de", headers=headers)
        anonymous = await client.get("/taxonomy/skills?q=kokk")
    assert unknown.status_code == 422
    body = unknown.json()
    assert body["code"] == "unknown-search-parameter"
    assert "offset" in body["detail_en"] and "sort" in body["detail_en"]
    assert too_many.status_code == 422 and bad_lang.status_code == 422
    assert anonymous.status_code == 401
