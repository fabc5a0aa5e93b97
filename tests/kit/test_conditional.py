"""Representation ETags and If-None-Match → 304 on every JSON resource; If-Match keeps
meaning the stream version (quoted or not); Deprecation and Sunset on a deprecated route."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest

from shared.commands import expected_version
from shared.conditional import matches, representation_tag
from shared.problems import InvalidInput
from shared.settings import Settings
from tests.kit.minimal_service import OLD_THINGS_SINCE, OLD_THINGS_SUNSET
from tests.kit.minimal_service import create_app as kit_app
from tests.support import auth, running


async def test_a_resource_carries_an_etag_and_an_unchanged_one_answers_304(
    settings: Settings,
) -> None:
    async with running(kit_app(settings)) as client:
        headers = auth(settings)
        first = await client.get("/things/a", params={"q": "x"}, headers=headers)
        assert first.status_code == 200
        tag = first.headers["etag"]
        assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
        assert tag == representation_tag(first.content)
        assert first.headers["cache-control"] == "private, no-cache"
        again = await client.get("/things/a", params={"q": "x"}, headers=headers)
        assert again.headers["etag"] == tag

        for asked in (tag, f"W/{tag}", f'"other", {tag}', "*"):
            same = await client.get(
                "/things/a", params={"q": "x"}, headers=headers | {"If-None-Match": asked}
            )
            assert same.status_code == 304, asked
            assert same.content == b""
            assert same.headers["etag"] == tag
            assert same.headers["x-correlation-id"]
            assert "content-length" not in same.headers or same.headers["content-length"] == "0"

        changed = await client.get(
            "/things/a", params={"q": "y"}, headers=headers | {"If-None-Match": tag}
        )
        assert changed.status_code == 200
        assert changed.json() == {"thing_id": "a", "q": "y"}
        assert changed.headers["etag"] != tag


async def test_each_language_of_a_resource_has_its_own_etag(settings: Settings) -> None:
    async with running(kit_app(settings)) as client:
        bokmal = await client.get("/problems")
        english = await client.get("/problems", headers={"Accept-Language": "en"})
        assert bokmal.headers["content-language"] == "nb"
        assert english.headers["content-language"] == "en"
        assert "Accept-Language" in english.headers["vary"]
        assert bokmal.headers["etag"] != english.headers["etag"]
        # The English tag does not validate the bokmål answer.
        asked = await client.get("/problems", headers={"If-None-Match": english.headers["etag"]})
        assert asked.status_code == 200 and asked.headers["content-language"] == "nb"


async def test_errors_commands_and_other_media_carry_no_etag(settings: Settings) -> None:
    async with running(kit_app(settings)) as client:
        missing = await client.get("/nowhere", headers={"If-None-Match": "*"})
        assert missing.status_code == 404 and "etag" not in missing.headers
        created = await client.post("/notes", json={"text": "t"}, headers=auth(settings))
        assert created.status_code == 201 and "etag" not in created.headers
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200 and "etag" not in metrics.headers


def test_if_none_match_uses_the_weak_comparison() -> None:
    assert matches('W/"a"', '"a"') and matches('"a"', '"a"') and matches(' "b" , "a"', '"a"')
    assert not matches('"ab"', '"a"') and not matches("", '"a"')


@pytest.mark.parametrize("given", ["3", '"3"', 'W/"3"', ' "3" '])
async def test_if_match_is_the_stream_version_quoted_or_not(given: str) -> None:
    assert await expected_version(given) == 3


@pytest.mark.parametrize("given", ['"abc"', "W/3x", '"e1f0c2"'])
async def test_if_match_that_is_not_a_version_is_422(given: str) -> None:
    with pytest.raises(InvalidInput):
        await expected_version(given)


async def test_a_deprecated_route_says_so_in_headers_and_in_openapi(settings: Settings) -> None:
    async with running(kit_app(settings)) as client:
        old = await client.get("/old-things")
        assert old.status_code == 200
        since = datetime(2026, 12, 1, tzinfo=UTC)
        assert OLD_THINGS_SINCE == since.date()
        assert old.headers["deprecation"] == f"@{int(since.timestamp())}"
        assert parsedate_to_datetime(old.headers["sunset"]) == datetime(2027, 6, 30, tzinfo=UTC)
        assert old.headers["sunset"] == "Wed, 30 Jun 2027 00:00:00 GMT"
        assert OLD_THINGS_SUNSET.isoformat() == "2027-06-30"
        links = old.headers["link"]
        assert '<https://veiviser.no/changelog#old-things>; rel="deprecation"' in links
        assert 'rel="sunset"' in links
        # A 304 of it says so too.
        again = await client.get("/old-things", headers={"If-None-Match": old.headers["etag"]})
        assert (
            again.status_code == 304 and again.headers["deprecation"] == old.headers["deprecation"]
        )

        current = await client.get("/things/a")
        assert "deprecation" not in current.headers and "sunset" not in current.headers

        document = (await client.get("/openapi.json")).json()
        operation = document["paths"]["/old-things"]["get"]
        assert operation["deprecated"] is True
        assert operation["x-sunset"] == "2027-06-30"
        assert "deprecated" not in document["paths"]["/things/{thing_id}"]["get"]
