"""The competence profile (kartlegging): owned by the person, shared only as consented."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from services.participants import events as ev
from shared.codes import LanguageCode, LicenceClass, MunicipalityCode
from shared.problems import InvalidInput, field_error
from shared.taxonomy import load as taxonomy

MAX_ITEMS = 100
"""Cap on every list in a profile: what is published must fit a NATS message."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Education(_In):
    level: ev.EducationLevel
    field_code: str | None = Field(
        default=None, pattern=r"^\d{2,4}$", description="ISCED-F field code, e.g. '0913'"
    )
    field_description: str | None = Field(default=None, max_length=300)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2")
    years: float | None = Field(default=None, ge=0, le=30)
    recognised: bool = Field(default=False, description="Recognised in Norway (e.g. by NOKUT)")


class WorkExperience(_In):
    isco_code: str = Field(pattern=r"^\d{4}$", description="ISCO-08 / STYRK-08 four-digit code")
    years: float = Field(ge=0, le=60)
    description: str | None = Field(default=None, max_length=1000)


class Language(_In):
    language: LanguageCode = Field(description="ISO 639 code, e.g. 'ar', 'ti', 'uk'")
    level: ev.NorwegianLevel


class Wishes(_In):
    occupations: list[str] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="ISCO-08 codes"
    )
    hours_per_week: float | None = Field(default=None, ge=1, le=60)
    municipalities: list[MunicipalityCode] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Kommunenummer (valid today)"
    )


class Consent(_In):
    """Which parts employers (through matching) may see. Nothing is shared by default."""

    education: bool = False
    work_experience: bool = False
    skills: bool = False
    languages: bool = False
    norwegian: bool = False
    driving_licences: bool = False
    wishes: bool = False


class CompetenceProfile(_In):
    education: list[Education] = Field(default_factory=list, max_length=MAX_ITEMS)
    work_experience: list[WorkExperience] = Field(default_factory=list, max_length=MAX_ITEMS)
    skills: list[str] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="ESCO skill URIs"
    )
    free_text_skills: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Skills ESCO lacks; never shared"
    )
    languages: list[Language] = Field(default_factory=list, max_length=MAX_ITEMS)
    driving_licences: list[LicenceClass] = Field(
        default_factory=list, max_length=20, description="Førerkortklasser, e.g. B, C1, D"
    )
    wishes: Wishes = Wishes()
    constraints: str | None = Field(
        default=None, max_length=2000, description="Health or other constraints; never shared"
    )
    consent: Consent = Consent()


def validate_codes(profile: CompetenceProfile) -> None:
    """Unknown ESCO skill URIs or occupation codes: 422 listing every one of them."""
    tax = taxonomy()
    errors = []
    for uri in tax.unknown_skills(profile.skills):
        errors.append(field_error("skills", f"unknown ESCO skill URI: {uri}"))
    for index, item in enumerate(profile.work_experience):
        if not tax.is_occupation_code(item.isco_code):
            errors.append(
                field_error(
                    f"work_experience.{index}.isco_code",
                    f"unknown occupation code {item.isco_code}",
                )
            )
    for code in tax.unknown_occupation_codes(profile.wishes.occupations):
        errors.append(field_error("wishes.occupations", f"unknown occupation code {code}"))
    if errors:
        raise InvalidInput("Unknown codes in the competence profile.", errors)


def shared_parts(
    participant: Any,
    profile: CompetenceProfile,
    norwegian: dict[ev.NorwegianSubTest, ev.NorwegianLevel],
) -> ev.CompetenceProfileUpdated:
    """The event matching receives: consented parts only, codes only, never free text.

    It replaces the previous shared profile whole; ``consent`` says which parts are
    shared, so a part withdrawn shows as empty and not shared.
    """
    consent = profile.consent
    return ev.CompetenceProfileUpdated(
        participant_id=participant,
        consent=ev.SharedConsent(
            occupations=consent.work_experience,
            education=consent.education,
            skills=consent.skills,
            languages=consent.languages,
            norwegian=consent.norwegian,
            driving_licences=consent.driving_licences,
            wishes=consent.wishes,
        ),
        occupations=tuple(
            ev.SharedOccupation(isco_code=w.isco_code, years=w.years)
            for w in profile.work_experience
        )
        if consent.work_experience
        else (),
        education=tuple(
            ev.SharedEducation(
                level=e.level,
                field_code=e.field_code,
                country=e.country,
                years=e.years,
                recognised=e.recognised,
            )
            for e in profile.education
        )
        if consent.education
        else (),
        skills=tuple(profile.skills) if consent.skills else (),
        languages=tuple(
            ev.SharedLanguage(language=lang.language, level=lang.level)
            for lang in profile.languages
        )
        if consent.languages
        else (),
        norwegian=ev.NorwegianLevels(**{k.value: v for k, v in norwegian.items()})
        if consent.norwegian
        else ev.NorwegianLevels(),
        driving_licences=tuple(profile.driving_licences) if consent.driving_licences else (),
        wishes=ev.SharedWishes(
            occupations=tuple(profile.wishes.occupations),
            hours_per_week=profile.wishes.hours_per_week,
            municipalities=tuple(profile.wishes.municipalities),
        )
        if consent.wishes
        else ev.SharedWishes(),
    )


def presentation(profile: dict[str, Any], lang: str = "nb") -> dict[str, Any]:
    """The profile with labels for codes, as the person presents it."""
    tax = taxonomy()
    return {
        **profile,
        "work_experience": [
            {**w, "occupation": tax.occupation_title(w["isco_code"], lang)}
            for w in profile.get("work_experience", [])
        ],
        "skills": [{"uri": uri, "label": tax.skills.get(uri)} for uri in profile.get("skills", [])],
        "wishes": {
            **profile.get("wishes", {}),
            "occupations": [
                {"code": code, "label": tax.occupation_title(code, lang)}
                for code in profile.get("wishes", {}).get("occupations", [])
            ],
        },
    }
