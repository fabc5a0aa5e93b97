"""Closed code lists: kommunenummer by validity period, ISO 639, førerkortklasser."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from shared import codes
from shared.codes import (
    DRIVING_LICENCE_CLASSES,
    AnyMunicipalityCode,
    LanguageCode,
    LicenceClass,
    MunicipalityCode,
    check_language,
    check_licence_class,
    check_municipality,
    municipality_name,
    municipality_valid,
)
from shared.rules import RuleViolation


def test_the_list_holds_both_divisions_with_their_sizes() -> None:
    on_2022 = {m.code for m in codes.municipalities() if m.valid_on(date(2022, 6, 1))}
    on_2024 = {m.code for m in codes.municipalities() if m.valid_on(date(2024, 1, 1))}
    assert len(on_2022) == 356
    assert len(on_2024) == 357


def test_drammen_changed_number_in_the_2024_reform() -> None:
    assert municipality_valid("3301", date(2024, 1, 1))
    assert not municipality_valid("3301", date(2019, 6, 1))
    assert not municipality_valid("3301", date(2023, 12, 31))
    assert municipality_valid("3005", date(2022, 3, 1))
    assert municipality_valid("3005", date(2023, 12, 31))
    assert not municipality_valid("3005", date(2024, 1, 1))
    assert municipality_name("3005", date(2022, 3, 1)) == "Drammen"
    assert municipality_name("3301", date(2025, 3, 1)) == "Drammen"
    assert municipality_name("3005", date(2025, 3, 1)) is None


def test_haram_is_re_established_in_2024_and_alesund_renumbered() -> None:
    assert municipality_valid("1580", date(2024, 1, 1))
    assert not municipality_valid("1580", date(2023, 1, 1))
    assert municipality_valid("1507", date(2023, 1, 1))
    assert municipality_valid("1508", date(2024, 1, 1))
    assert not municipality_valid("1507", date(2024, 1, 1))


def test_oslo_is_always_valid_and_dates_before_the_list_use_the_first_division() -> None:
    for day in (date(1950, 1, 1), date(2019, 12, 31), date(2020, 1, 1), date(2024, 1, 1)):
        assert municipality_valid("0301", day)
    assert municipality_valid("0301")
    assert municipality_valid("3005", date(2015, 1, 1))


@pytest.mark.parametrize(
    "code", ["9999", "0000", "abcd", "３３０１", "301", "03010", " 0301", "0301\n", ""]
)
def test_impossible_numbers_are_never_valid(code: str) -> None:
    assert not municipality_valid(code)
    assert not municipality_valid(code, date(2022, 1, 1))
    assert not codes.municipality_known(code)


def test_check_municipality_names_the_field_and_the_date() -> None:
    assert check_municipality("municipality", "3301", date(2024, 5, 1)) == "3301"
    with pytest.raises(RuleViolation) as caught:
        check_municipality("moved_to", "3005", date(2024, 5, 1))
    violation = caught.value
    assert violation.code == "unknown-code"
    assert violation.status == 422
    assert violation.fields == ("moved_to",)
    assert "2024-05-01" in violation.message
    assert "2020-01-01–2024-01-01" in violation.message
    assert violation.facts == {"moved_to": "3005", "on": "2024-05-01"}


@settings(max_examples=200, deadline=None)
@given(code=st.text(max_size=6), day=st.dates(date(1900, 1, 1), date(2199, 12, 31)))
def test_a_valid_number_is_four_ascii_digits_listed_on_that_day(code: str, day: date) -> None:
    valid = municipality_valid(code, day)
    if valid:
        assert len(code) == 4 and code.isascii() and code.isdigit()
        assert municipality_name(code, day) is not None
        assert check_municipality("f", code, day) == code
    else:
        with pytest.raises(RuleViolation):
            check_municipality("f", code, day)


@settings(max_examples=100, deadline=None)
@given(day=st.dates(date(1900, 1, 1), date(2199, 12, 31)))
def test_on_any_day_one_division_of_distinct_numbers_holds(day: date) -> None:
    valid = [m for m in codes.municipalities() if m.valid_on(max(day, codes.first_division()))]
    assert len(valid) == len({m.code for m in valid})
    assert len(valid) in (356, 357)


@pytest.mark.parametrize(
    ("given_code", "normalised"),
    [("ar", "ar"), ("AR", "ar"), ("tir", "tir"), ("nob", "nob"), ("prs", "prs"), ("ger", "ger")],
)
def test_iso_639_codes_are_accepted_in_lower_case(given_code: str, normalised: str) -> None:
    assert check_language("language", given_code) == normalised


@pytest.mark.parametrize("code", ["", "x", "zz", "qqq", "english", "ar-SY", "a1", "ﬀ"])
def test_other_language_codes_are_unknown(code: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        check_language("languages.0", code)
    assert caught.value.code == "unknown-code"
    assert caught.value.fields == ("languages.0",)


def test_licence_classes_are_the_norwegian_forerkortklasser() -> None:
    assert {"AM", "A1", "A2", "A", "B", "BE", "C1", "C1E", "C", "CE"} <= DRIVING_LICENCE_CLASSES
    assert {"D1", "D1E", "D", "DE", "T", "S"} <= DRIVING_LICENCE_CLASSES
    assert len(DRIVING_LICENCE_CLASSES) == 16
    assert check_licence_class("driving_licences.0", "be") == "BE"
    for code in ("E", "B1", "", "BB", "CDL"):
        with pytest.raises(RuleViolation) as caught:
            check_licence_class("driving_licences.0", code)
        assert caught.value.fields == ("driving_licences.0",)


class _Request(BaseModel):
    municipality: MunicipalityCode
    moved_to: AnyMunicipalityCode = "0301"
    language: LanguageCode = "ar"
    licence: LicenceClass = "B"


def test_annotated_types_normalise_valid_codes() -> None:
    request = _Request(municipality="3301", moved_to="3005", language="TIR", licence="c1e")
    assert (request.municipality, request.moved_to) == ("3301", "3005")
    assert (request.language, request.licence) == ("tir", "C1E")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"municipality": "3005"}, "municipality"),
        ({"municipality": "9999"}, "municipality"),
        ({"municipality": "３３０１"}, "municipality"),
        ({"municipality": "0301", "moved_to": "0000"}, "moved_to"),
        ({"municipality": "0301", "language": "qqq"}, "language"),
        ({"municipality": "0301", "licence": "E"}, "licence"),
    ],
)
def test_annotated_types_refuse_unknown_codes_naming_the_field(
    values: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _Request.model_validate(values)
    errors = caught.value.errors()
    assert [e["loc"] for e in errors] == [(field,)]
