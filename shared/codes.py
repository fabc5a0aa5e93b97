"""Closed code lists: kommunenummer with validity periods, ISO 639 languages, licence classes.

A code from a closed list is either one the list holds or a refusal naming the field:
domains call the ``check_*`` functions (an ``unknown-code`` rule violation, 422) and
request models use the Annotated types (a pydantic error, 422 naming the field).

Kommunenummer come from ``shared/data/kommunenummer.csv``, derived from Statistics
Norway's classification 131 (Standard for kommuneinndeling) for 2024 onwards and from
Kartverket's administrative units for the 2020–2023 division; the file's header and
the README ("Codes, CSV, paging") say exactly where each part comes from. A number is valid on
a date when a row holds it with ``valid_from <= date < valid_to`` (an empty
``valid_to`` is still valid). The list starts on 2020-01-01: a date before that is
judged by the earliest division, since older divisions are not shipped.

Languages are ISO 639 through ``pycountry``: two-letter ISO 639-1 codes and
three-letter ISO 639-3 or ISO 639-2/B codes, normalised to lower case.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Annotated

import pycountry
from pydantic import AfterValidator, Field

from shared.dates import today as _today
from shared.rules import UNKNOWN_CODE

_FOUR_DIGITS = re.compile(r"[0-9]{4}")


@dataclass(frozen=True)
class Municipality:
    """One row of the list: a number, its name, and the days it was valid."""

    code: str
    name: str
    valid_from: date
    valid_to: date | None
    """First day no longer valid (exclusive, as in SSB KLASS); None while still valid."""

    def valid_on(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on < self.valid_to)


@cache
def municipalities() -> tuple[Municipality, ...]:
    """Every kommunenummer row the kit ships, oldest division first."""
    text = resources.files("shared.data").joinpath("kommunenummer.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    rows = [
        Municipality(
            code=row["code"],
            name=row["name"],
            valid_from=date.fromisoformat(row["valid_from"]),
            valid_to=date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
        )
        for row in csv.DictReader(lines)
    ]
    return tuple(sorted(rows, key=lambda m: (m.valid_from, m.code)))


@cache
def _by_code() -> dict[str, tuple[Municipality, ...]]:
    grouped: dict[str, list[Municipality]] = {}
    for row in municipalities():
        grouped.setdefault(row.code, []).append(row)
    return {code: tuple(rows) for code, rows in grouped.items()}


def first_division() -> date:
    """The first day the shipped list covers; earlier dates use that division."""
    return municipalities()[0].valid_from


def _municipality(code: object, on: date | None) -> Municipality | None:
    if not isinstance(code, str) or not _FOUR_DIGITS.fullmatch(code):
        return None
    day = _today() if on is None else max(on, first_division())
    for row in _by_code().get(code, ()):
        if row.valid_on(day):
            return row
    return None


def municipality_valid(code: str, on: date | None = None) -> bool:
    """Whether ``code`` is a kommunenummer on ``on`` (today when None).

    Only four ASCII digits can be valid; a date before the first shipped division
    is judged by that division.
    """
    return _municipality(code, on) is not None


def municipality_known(code: str) -> bool:
    """Whether ``code`` is a kommunenummer in any shipped division, whatever the date."""
    return isinstance(code, str) and _FOUR_DIGITS.fullmatch(code) is not None and code in _by_code()


def municipality_name(code: str, on: date | None = None) -> str | None:
    """The municipality's name on ``on`` (today when None), None if not valid then."""
    row = _municipality(code, on)
    return None if row is None else row.name


def _validity(code: str) -> str:
    spans = [
        f"{row.valid_from.isoformat()}–{row.valid_to.isoformat() if row.valid_to else ''}"
        for row in _by_code().get(code, ())
    ]
    return f" (valid {', '.join(spans)})" if spans else ""


def check_municipality(field: str, code: str, on: date | None = None) -> str:
    """``code`` if it is a kommunenummer on ``on`` (today when None), else ``unknown-code``."""
    if municipality_valid(code, on):
        return code
    day = _today() if on is None else on
    raise UNKNOWN_CODE.violation(
        f"{field} {code!r} is not a kommunenummer on {day.isoformat()}{_validity(code)}.",
        field,
        **{field: code, "on": day},
    )


@cache
def _languages() -> frozenset[str]:
    codes: set[str] = set()
    for language in pycountry.languages:
        for attribute in ("alpha_2", "alpha_3", "bibliographic"):
            value = getattr(language, attribute, None)
            if value:
                codes.add(value.lower())
    return frozenset(codes)


def language_valid(code: str) -> bool:
    """Whether ``code`` (any case, surrounding spaces ignored) is an ISO 639 code."""
    return isinstance(code, str) and code.strip().lower() in _languages()


def check_language(field: str, code: str) -> str:
    """``code`` as a lower-case ISO 639 code, else an ``unknown-code`` violation."""
    if language_valid(code):
        return code.strip().lower()
    raise UNKNOWN_CODE.violation(
        f"{field} {code!r} is not an ISO 639 language code (two letters like 'ar', or "
        "three like 'tir').",
        field,
        **{field: code},
    )


DRIVING_LICENCE_CLASSES: frozenset[str] = frozenset(
    {"AM", "A1", "A2", "A", "B", "BE", "C1", "C1E", "C", "CE", "D1", "D1E", "D", "DE", "T", "S"}
)
"""Norwegian førerkortklasser (førerkortforskriften): the closed list of licence classes."""


def licence_class_valid(code: str) -> bool:
    return isinstance(code, str) and code.strip().upper() in DRIVING_LICENCE_CLASSES


def check_licence_class(field: str, code: str) -> str:
    """``code`` as an upper-case førerkortklasse, else an ``unknown-code`` violation."""
    if licence_class_valid(code):
        return code.strip().upper()
    raise UNKNOWN_CODE.violation(
        f"{field} {code!r} is not a driving licence class "
        f"({', '.join(sorted(DRIVING_LICENCE_CLASSES))}).",
        field,
        **{field: code},
    )


def _current_municipality(code: str) -> str:
    if not municipality_valid(code):
        raise ValueError(
            f"{code!r} is not a kommunenummer today (four digits from SSB's list){_validity(code)}"
        )
    return code


def _any_municipality(code: str) -> str:
    if not municipality_known(code):
        raise ValueError(f"{code!r} is not a kommunenummer (four digits from SSB's list)")
    return code


def _language(code: str) -> str:
    if not language_valid(code):
        raise ValueError(f"{code!r} is not an ISO 639 language code")
    return code.strip().lower()


def _licence(code: str) -> str:
    if not licence_class_valid(code):
        raise ValueError(
            f"{code!r} is not a driving licence class "
            f"({', '.join(sorted(DRIVING_LICENCE_CLASSES))})"
        )
    return code.strip().upper()


MunicipalityCode = Annotated[
    str,
    Field(
        min_length=4,
        max_length=4,
        pattern=r"^[0-9]{4}$",
        description="Kommunenummer valid today (SSB classification 131), e.g. 0301 or 3301.",
        examples=["0301"],
    ),
    AfterValidator(_current_municipality),
]
"""A request's kommunenummer that exists today: anything else is a 422 naming the field."""

AnyMunicipalityCode = Annotated[
    str,
    Field(
        min_length=4,
        max_length=4,
        pattern=r"^[0-9]{4}$",
        description="Kommunenummer from any shipped division (2020– ), e.g. 3005 or 3301; "
        "the domain checks it against the fact's date.",
        examples=["0301"],
    ),
    AfterValidator(_any_municipality),
]
"""For backdated facts: a number that existed at some time; pair with check_municipality."""

LanguageCode = Annotated[
    str,
    Field(
        min_length=2,
        max_length=3,
        description="ISO 639 language code: ISO 639-1 (two letters) or ISO 639-3/639-2 "
        "(three letters), e.g. 'ar', 'tir'.",
        examples=["ar"],
    ),
    AfterValidator(_language),
]
"""A request's language: an ISO 639 code, returned in lower case."""

LicenceClass = Annotated[
    str,
    Field(
        min_length=1,
        max_length=3,
        description="Norwegian driving licence class (førerkortklasse): "
        + ", ".join(sorted(DRIVING_LICENCE_CLASSES))
        + ".",
        examples=["B"],
    ),
    AfterValidator(_licence),
]
"""A request's driving licence class, returned in upper case."""
