"""Texts a person reads: bokmål by default, English or nynorsk on request.

Texts live in gettext catalogs (``.po`` files, read with Babel) beside the code that
shows them: a package's ``locale/<locale>/LC_MESSAGES/<domain>.po``, one domain per
concept, so each part of a service keeps its own texts. Message ids are stable keys,
not English sentences: ``<vocabulary>.<code>`` for the label of a code
(``outcome.work_full_time``), ``<area>.<name>`` for other texts (``csv.settled_on``).
Codes stay codes in data and events; only what a person reads is translated.

A missing text falls back: nynorsk to bokmål, bokmål to English, English to bokmål, and
last to the key itself, so a screen never breaks; the test suite checks that no key
lacks a bokmål text (:meth:`Catalog.missing`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Annotated, Any

from babel.messages.pofile import read_po
from fastapi import Depends, Request

BOKMAL = "nb"
NYNORSK = "nn"
ENGLISH = "en"
LOCALES = (BOKMAL, NYNORSK, ENGLISH)
"""Every locale served; the first is the default."""
DEFAULT = BOKMAL

_FALLBACK = {
    NYNORSK: (NYNORSK, BOKMAL, ENGLISH),
    BOKMAL: (BOKMAL, ENGLISH),
    ENGLISH: (ENGLISH, BOKMAL),
}
_ALIASES = {"no": BOKMAL, "nb": BOKMAL, "nob": BOKMAL, "nn": NYNORSK, "nno": NYNORSK, "en": ENGLISH}
_RANGE = re.compile(
    r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$"
)


def negotiate(accept_language: str | None) -> str:
    """The served locale an ``Accept-Language`` header asks for most; bokmål otherwise.

    ``no`` and ``nb`` are bokmål, ``nn`` nynorsk, any ``en-*`` English; ranges the
    service does not serve are passed over, and a malformed header means the default.
    """
    if not accept_language:
        return DEFAULT
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:32]):
        match = _RANGE.match(part)
        if match is None:
            continue
        try:
            quality = float(match.group(2)) if match.group(2) is not None else 1.0
        except ValueError:
            continue
        primary = match.group(1).split("-")[0].lower()
        locale = _ALIASES.get(primary)
        if locale is not None and quality > 0:
            wanted.append((-quality, position, locale))
    return min(wanted)[2] if wanted else DEFAULT


def request_locale(request: Request) -> str:
    """The locale of a request (its ``Accept-Language``), for routes and problem details.

    The locale is remembered on the request (``request.state.locale``) so that the HTTP
    kit's middleware answers with ``Content-Language`` and ``Vary: Accept-Language``:
    any route that asks for the locale is a route whose answer depends on it.
    """
    locale = negotiate(request.headers.get("accept-language"))
    request.state.locale = locale
    return locale


def language_headers(locale: str) -> dict[str, str]:
    """The headers of a response translated into ``locale``."""
    return {"Content-Language": locale, "Vary": "Accept-Language"}


def format_date(day: date | str | None, locale: str = DEFAULT) -> str:
    """A date as a person reads it: ``01.02.2025`` in Norwegian, ``2025-02-01`` in English.

    An ISO date string (as rule violations carry their facts) is read first; anything
    else is returned unchanged.
    """
    if day is None:
        return ""
    if isinstance(day, str):
        try:
            parsed = date.fromisoformat(day)
        except ValueError:
            return day
    else:
        parsed = day
    if locale == ENGLISH:
        return parsed.isoformat()
    return parsed.strftime("%d.%m.%Y")


class _Params(dict[str, Any]):
    """Template parameters; a field nobody gave stays ``{name}`` instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, params: Mapping[str, Any]) -> str:
    """``template`` with its ``{name}`` fields filled from ``params``.

    A field ``params`` lacks is left as written, and a template that is not a valid
    format string is returned as it is, so a translator's slip never breaks a response.
    """
    if not params:
        return template
    try:
        return template.format_map(_Params(params))
    except (ValueError, IndexError, AttributeError, TypeError):
        return template


def fields_of(template: str) -> set[str]:
    """The names of the ``{name}`` fields of ``template`` (empty for a malformed one)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:
        return set()


Locale = Annotated[str, Depends(request_locale)]
"""A route parameter holding the request's locale (``nb``, ``nn`` or ``en``)."""


@dataclass(frozen=True)
class Catalog:
    """Every text of some packages, per locale, key to text."""

    texts: Mapping[str, Mapping[str, str]]

    def text(self, key: str, locale: str = DEFAULT, **params: Any) -> str:
        """The text of ``key`` in ``locale`` (with fallbacks), ``{name}`` fields filled in."""
        found = self.find(key, locale)
        return key if found is None else fill(found, params)

    def find(
        self, key: str, locale: str = DEFAULT, fallback: Iterable[str] | None = None
    ) -> str | None:
        """The raw text of ``key`` in ``locale`` or its fallbacks, ``None`` if none has it.

        ``fallback`` replaces the usual chain (``(locale,)`` asks for that locale alone).
        """
        chain = _FALLBACK.get(locale, _FALLBACK[DEFAULT]) if fallback is None else fallback
        for candidate in chain:
            found = self.texts.get(candidate, {}).get(key)
            if found:
                return found
        return None

    def has(self, key: str, locale: str = DEFAULT) -> bool:
        """Whether ``key`` has a text of its own in ``locale`` (no fallback)."""
        return bool(self.texts.get(locale, {}).get(key))

    def label(self, vocabulary: str, code: str | None, locale: str = DEFAULT) -> str | None:
        """The label of a code of ``vocabulary`` (``None`` stays ``None``)."""
        if code is None:
            return None
        return self.text(f"{vocabulary}.{code}", locale)

    def keys(self) -> frozenset[str]:
        """Every key any locale holds."""
        return frozenset(key for texts in self.texts.values() for key in texts)

    def missing(self, locale: str = BOKMAL) -> list[str]:
        """Keys some locale has that ``locale`` lacks (the completeness test's list)."""
        return sorted(key for key in self.keys() if not self.has(key, locale))


def _read(folder: Traversable) -> dict[str, str]:
    texts: dict[str, str] = {}
    messages = folder / "LC_MESSAGES"
    if not messages.is_dir():
        return texts
    for entry in sorted(messages.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as handle:
            for message in read_po(handle):
                if message.id and isinstance(message.id, str) and message.string:
                    texts[message.id] = str(message.string)
    return texts


@cache
def catalog(*packages: str) -> Catalog:
    """The texts of ``packages`` (each with a ``locale`` folder); later packages win a key."""
    merged: dict[str, dict[str, str]] = {locale: {} for locale in LOCALES}
    for package in packages:
        try:
            root = resources.files(package) / "locale"
        except ModuleNotFoundError:
            continue
        if not root.is_dir():
            continue
        for locale in LOCALES:
            folder = root / locale
            if folder.is_dir():
                merged[locale].update(_read(folder))
    return Catalog({locale: dict(texts) for locale, texts in merged.items()})


def labelled(
    codes: Iterable[str], vocabulary: str, locale: str, texts: Catalog
) -> list[dict[str, str]]:
    """Codes with their labels, ``[{"code": …, "label": …}]``, in the order given."""
    return [{"code": code, "label": texts.text(f"{vocabulary}.{code}", locale)} for code in codes]


def vocabulary_name(enum: type[Enum]) -> str:
    """The catalog prefix of an enum's labels: ``FollowUpStatus`` → ``follow_up_status``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum.__name__).lower()


def code_label(member: Enum, locale: str, texts: Catalog) -> str:
    """The label of an enum member (``<vocabulary>.<value>``) in ``locale``."""
    return texts.text(f"{vocabulary_name(type(member))}.{member.value}", locale)


def fallback_chain(locale: str) -> tuple[str, ...]:
    """The locales whose texts stand in for ``locale``'s, most wanted first."""
    return _FALLBACK.get(locale, _FALLBACK[DEFAULT])


def norwegian_chain(locale: str) -> tuple[str, ...]:
    """``locale``'s fallbacks without English: where a Norwegian reader gets Norwegian."""
    return tuple(c for c in fallback_chain(locale) if c != ENGLISH or locale == ENGLISH)
