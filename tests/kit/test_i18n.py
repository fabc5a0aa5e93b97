"""shared.i18n: negotiation, fallbacks, templates that never break, dates, headers."""

from __future__ import annotations

from datetime import date

import httpx
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from hypothesis import given
from hypothesis import strategies as st

from shared.http import CorrelationAndMetrics
from shared.i18n import Catalog, Locale, fill, format_date, negotiate, vocabulary_name
from shared.metrics import Metrics
from shared.vocabulary import FollowUpStatus


def test_bokmal_unless_the_client_asks_for_a_served_language() -> None:
    assert negotiate(None) == "nb"
    assert negotiate("") == "nb"
    assert negotiate("en") == "en"
    assert negotiate("en-GB,en;q=0.9") == "en"
    assert negotiate("nn-NO") == "nn"
    assert negotiate("no") == "nb"
    assert negotiate("de, fr;q=0.9") == "nb"
    assert negotiate("de, en;q=0.5, nn;q=0.8") == "nn"
    assert negotiate("en;q=0, nn;q=0.1") == "nn"
    assert negotiate("*") == "nb"


@given(st.text(max_size=200))
def test_any_header_negotiates_to_a_served_locale(header: str) -> None:
    assert negotiate(header) in {"nb", "nn", "en"}


TEXTS = Catalog(
    {
        "nb": {"a": "bokmål {n}", "only.nb": "bare bokmål"},
        "nn": {"a": "nynorsk {n}"},
        "en": {"a": "English {n}", "only.en": "English only"},
    }
)


def test_fallbacks_end_in_the_key_itself() -> None:
    assert TEXTS.text("a", "nn", n=1) == "nynorsk 1"
    assert TEXTS.text("only.nb", "nn") == "bare bokmål"
    assert TEXTS.text("only.nb", "en") == "bare bokmål"
    assert TEXTS.text("only.en", "nb") == "English only"
    assert TEXTS.text("nowhere", "nb") == "nowhere"
    assert TEXTS.find("only.en", "nb", ("nb",)) is None
    assert TEXTS.missing("nb") == ["only.en"]
    assert TEXTS.missing("nn") == ["only.en", "only.nb"]


def test_a_template_with_a_slip_never_breaks() -> None:
    assert fill("{a} and {b}", {"a": 1}) == "1 and {b}"
    assert fill("{unclosed", {"a": 1}) == "{unclosed"
    assert fill("{0}", {"a": 1}) == "{0}"
    assert fill("plain", {}) == "plain"


def test_dates_as_a_reader_reads_them() -> None:
    assert format_date(date(2025, 2, 1), "nb") == "01.02.2025"
    assert format_date("2025-02-01", "nn") == "01.02.2025"
    assert format_date("2025-02-01", "en") == "2025-02-01"
    assert format_date("soon", "nb") == "soon"
    assert format_date(None) == ""


def test_an_enums_vocabulary_is_its_snake_case_name() -> None:
    assert vocabulary_name(FollowUpStatus) == "follow_up_status"


async def test_a_route_that_takes_the_locale_says_so_in_its_headers() -> None:
    app = FastAPI()

    @app.get("/said")
    async def said(locale: Locale) -> dict[str, str]:
        return {"locale": locale}

    @app.get("/plain")
    async def plain(locale: Locale) -> PlainTextResponse:
        return PlainTextResponse(locale, headers={"Vary": "Origin"})

    @app.get("/untranslated")
    async def untranslated() -> dict[str, str]:
        return {}

    wrapped = CorrelationAndMetrics(app, Metrics("i18n-test"))
    transport = httpx.ASGITransport(app=wrapped)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        said_nb = await client.get("/said")
        said_en = await client.get("/said", headers={"Accept-Language": "en-US"})
        plain_nn = await client.get("/plain", headers={"Accept-Language": "nn"})
        neither = await client.get("/untranslated")
    assert said_nb.json() == {"locale": "nb"} and said_nb.headers["content-language"] == "nb"
    assert said_nb.headers["vary"] == "Accept-Language"
    assert said_en.headers["content-language"] == "en"
    assert plain_nn.text == "nn" and plain_nn.headers["content-language"] == "nn"
    assert plain_nn.headers["vary"] == "Origin, Accept-Language"
    assert "content-language" not in neither.headers and "vary" not in neither.headers


def test_a_violation_reads_its_facts_into_the_norwegian_message_or_names_its_fields() -> None:
    from shared.rules import Rule

    texts = Catalog(
        {
            "nb": {
                "rule.x-overlap.title": "Overlapper",
                "rule.x-overlap.detail": "Periodene overlapper.",
                "rule.x-overlap.message": "Perioden fra {starts_on} overlapper én som slutter "
                "{ends_on}.",
                "rule.fields": "(Felt: {fields}.)",
            },
            "en": {"rule.x-overlap.title": "Overlaps"},
        }
    )
    rule = Rule("x-overlap", 409, "Overlaps")
    full = rule.violation(
        "Starts 2025-01-02, overlaps one ending 2025-02-01.",
        "starts_on",
        starts_on=date(2025, 1, 2),
        ends_on=date(2025, 2, 1),
    )
    assert full.detail_in("nb", texts) == (
        "Perioden fra 02.01.2025 overlapper én som slutter 01.02.2025."
    )
    assert full.detail_in("nn", texts) == full.detail_in("nb", texts)
    assert full.detail_in("en", texts) == "Starts 2025-01-02, overlaps one ending 2025-02-01."
    assert full.title_in("nb", texts) == "Overlapper" and full.title_in("en", texts) == "Overlaps"
    # Without every fact the message names, the rule's general text names the fields.
    partial = rule.violation("Overlaps.", "starts_on", starts_on=date(2025, 1, 2))
    assert partial.detail_in("nb", texts) == "Periodene overlapper. (Felt: starts_on.)"
    # A rule nobody wrote texts for still says what happened.
    bare = Rule("x-new", 422, "New rule").violation("The English sentence.")
    assert bare.detail_in("nb", texts) == "The English sentence."
    assert bare.title_in("nb", texts) == "New rule"
