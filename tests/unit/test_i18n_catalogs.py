"""No text a person reads lacks bokmål: every catalog key, enum value and rule code.

Walks every catalog of the kit and the four services, every user-facing enum (the
shared vocabularies, the participants' journey, matching's), and every rule the four
services declare (imported through their apps), and asserts a bokmål and an English
text for each; nynorsk for the journey's labels and the kit's problem texts.
"""

from __future__ import annotations

import importlib
from enum import Enum
from importlib import resources

import pytest
from babel.messages.pofile import read_po

from shared import placement_vocabulary, vocabulary
from shared.i18n import BOKMAL, ENGLISH, LOCALES, NYNORSK, catalog, vocabulary_name
from shared.rules import catalogue

SERVICES = ("participants", "housing", "matching", "indicators")
PACKAGES = ("shared", *(f"services.{s}" for s in SERVICES))

for _service in SERVICES:
    importlib.import_module(f"services.{_service}.app")

from services.housing import events as housing_events  # noqa: E402
from services.housing.domain import money as housing_money  # noqa: E402
from services.matching import events as matching_events  # noqa: E402
from services.matching.domain.matches import MatchStatus  # noqa: E402
from services.matching.domain.openings import OpeningStatus  # noqa: E402
from services.participants.events import journey as journey_events  # noqa: E402


def _enums(module: object) -> list[type[Enum]]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Enum)
        and value.__module__ == getattr(module, "__name__", "")
    ]


USER_FACING: list[tuple[str, type[Enum]]] = [
    *(("shared", e) for e in _enums(vocabulary)),
    *(("shared", e) for e in _enums(placement_vocabulary)),
    *(("services.participants", e) for e in _enums(journey_events)),
    *(("services.housing", e) for e in _enums(housing_events)),
    *(("services.housing", e) for e in _enums(housing_money)),
    *(
        ("services.matching", e)
        for e in (
            matching_events.OpeningKind,
            matching_events.Band,
            matching_events.CloseReason,
            matching_events.DeclinedBy,
            matching_events.DeclineReason,
            MatchStatus,
            OpeningStatus,
        )
    ),
]
"""Enums whose codes a person sees, with the package whose catalog labels them."""

JOURNEY = (
    "shared:vocabulary",
    "services.participants:journey",
    "services.indicators:dashboard",
    "services.indicators:csv",
    "services.housing:housing",
    "shared:rules",
    *(f"services.{s}:rules" for s in ("participants", "housing", "matching", "indicators")),
)
"""Catalog domains that must have nynorsk too (the journey's labels, the dashboard)."""


def _domain(package: str, domain: str) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for locale in LOCALES:
        path = resources.files(package) / "locale" / locale / "LC_MESSAGES" / f"{domain}.po"
        texts: dict[str, str] = {}
        if path.is_file():
            with path.open("rb") as handle:
                texts = {str(m.id): str(m.string) for m in read_po(handle) if m.id and m.string}
        found[locale] = texts
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_every_key_of_every_catalog_has_bokmal_and_english(package: str) -> None:
    texts = catalog(package)
    assert texts.keys(), f"{package} has no texts"
    assert texts.missing(BOKMAL) == [], f"{package}: keys without bokmål"
    assert texts.missing(ENGLISH) == [], f"{package}: keys without English"


@pytest.mark.parametrize("where", JOURNEY)
def test_the_journeys_labels_have_nynorsk(where: str) -> None:
    package, domain = where.split(":")
    texts = _domain(package, domain)
    assert texts[BOKMAL], where
    assert sorted(set(texts[BOKMAL]) - set(texts[NYNORSK])) == [], f"{where}: no nynorsk"


def test_every_housing_event_has_a_timeline_label() -> None:
    texts = catalog("shared", "services.housing")
    for model in housing_events.registry.models():
        key = f"event.{model.type_name}"
        assert texts.has(key, BOKMAL) and texts.has(key, ENGLISH), key


def test_the_kits_problem_texts_have_nynorsk() -> None:
    texts = _domain("shared", "problems")
    assert sorted(set(texts[BOKMAL]) - set(texts[NYNORSK])) == []


@pytest.mark.parametrize(("package", "enum"), USER_FACING, ids=[e.__name__ for _, e in USER_FACING])
def test_every_user_facing_code_has_a_label(package: str, enum: type[Enum]) -> None:
    texts = catalog("shared", package)
    vocab = vocabulary_name(enum)
    for member in enum:
        key = f"{vocab}.{member.value}"
        for locale in (BOKMAL, ENGLISH):
            assert texts.has(key, locale), f"{key} has no {locale} text"
        assert texts.text(key, BOKMAL) != key


def _rule_cases() -> list[tuple[str, str]]:
    cases = []
    for code, rule in sorted(catalogue.rules.items()):
        if rule.service == "kit":
            cases.append((code, "shared"))
        for service in sorted(catalogue.declared_by.get(code, ())):
            if service in SERVICES:
                cases.append((code, f"services.{service}"))
    return cases


@pytest.mark.parametrize(("code", "package"), _rule_cases())
def test_every_rule_has_a_title_and_a_detail_in_bokmal_and_english(code: str, package: str) -> None:
    texts = catalog("shared", package)
    for part in ("title", "detail"):
        for locale in (BOKMAL, ENGLISH):
            assert texts.has(f"rule.{code}.{part}", locale), f"rule.{code}.{part} ({locale})"
    rule = catalogue.rules[code]
    assert rule.title_in(BOKMAL, texts) != rule.title, f"{code}: bokmål title is the English one"


def test_the_services_know_their_catalogs() -> None:
    from shared.settings import Settings

    for service in SERVICES:
        app = importlib.import_module(f"services.{service}.app").create_app(
            Settings(env="development")
        )
        assert app.state.locale_packages == ("shared", f"services.{service}")
