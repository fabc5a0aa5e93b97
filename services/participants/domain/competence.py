"""The competence profile (kartlegging): owned by the person, shared only as consented."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from services.participants import events as ev
from shared.codes import LanguageCode, LicenceClass, MunicipalityCode
from shared.problems import InvalidInput, field_error
from shared.rules import rule
from shared.taxonomy import free_text
from shared.taxonomy import load as taxonomy
from shared.taxonomy.labels import Lang, labels

MAX_ITEMS = 100
"""Cap on every list in a profile: what is published must fit a NATS message."""

MAX_PUBLISHED_SUGGESTIONS = 20
"""Unconfirmed free-text suggestions published with the profile, best first."""

NOT_A_SUGGESTION = rule(
    "not-a-suggestion",
    422,
    "Not a current suggestion",
    service="participants",
    description="Only skills the participant's free text suggests now (and not yet held or "
    "rejected) can be confirmed or rejected.",
)
SUGGESTION_DECIDED_TWICE = rule(
    "suggestion-decided-twice",
    422,
    "Suggestion both confirmed and rejected",
    service="participants",
    description="A suggested skill is either confirmed or rejected, not both in one request.",
)


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
    skills_from_free_text: list[str] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Of `skills`, those a caseworker confirmed from the free text (ESCO URIs)",
    )
    rejected_suggestions: list[str] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="ESCO skill URIs a caseworker rejected as suggestions from the free text",
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
    for name in ("skills", "skills_from_free_text", "rejected_suggestions"):
        for uri in tax.unknown_skills(getattr(profile, name)):
            errors.append(field_error(name, f"unknown ESCO skill URI: {uri}"))
    for uri in sorted(set(profile.skills_from_free_text) - set(profile.skills)):
        errors.append(
            field_error("skills_from_free_text", f"{uri} is not among the profile's skills")
        )
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


def free_texts(profile: CompetenceProfile) -> list[tuple[str, str]]:
    """The profile's free text, each named by where it stands (``free_text_skills.0``)."""
    named = [(f"free_text_skills.{i}", text) for i, text in enumerate(profile.free_text_skills)]
    named += [
        (f"work_experience.{i}.description", item.description)
        for i, item in enumerate(profile.work_experience)
        if item.description
    ]
    return named


def suggestions(profile: CompetenceProfile) -> free_text.Suggestions:
    """Skills and occupations the free text suggests; skills held or rejected left out.

    CPU-bound (tens of milliseconds per text): call it off the event loop.
    """
    return free_text.suggest(
        free_texts(profile),
        exclude_skills=[*profile.skills, *profile.rejected_suggestions],
    )


def decide_suggestions(
    profile: CompetenceProfile,
    current: free_text.Suggestions,
    confirmed: Iterable[str],
    rejected: Iterable[str],
) -> CompetenceProfile:
    """The profile with ``confirmed`` suggestions as skills marked as coming from free
    text, and ``rejected`` ones remembered so they are not suggested again."""
    confirm, reject = list(dict.fromkeys(confirmed)), list(dict.fromkeys(rejected))
    both = sorted(set(confirm) & set(reject))
    if both:
        raise SUGGESTION_DECIDED_TWICE.violation(
            f"Both confirmed and rejected: {', '.join(both)}.", "confirm", "reject", uris=both
        )
    suggested = {s.uri for s in current.skills}
    unknown = [uri for uri in (*confirm, *reject) if uri not in suggested]
    if unknown:
        raise NOT_A_SUGGESTION.violation(
            f"Not among the current suggestions: {', '.join(unknown)}.",
            *(
                f
                for f, uris in (("confirm", confirm), ("reject", reject))
                if set(uris) & set(unknown)
            ),
            uris=unknown,
        )
    skills = [*profile.skills, *(uri for uri in confirm if uri not in profile.skills)]
    if len(skills) > MAX_ITEMS:
        raise InvalidInput(
            f"A profile holds at most {MAX_ITEMS} skills.",
            [field_error("confirm", f"{len(skills)} skills would exceed {MAX_ITEMS}")],
        )
    return profile.model_copy(
        update={
            "skills": skills,
            "skills_from_free_text": [
                *profile.skills_from_free_text,
                *(uri for uri in confirm if uri not in profile.skills_from_free_text),
            ],
            "rejected_suggestions": [
                *profile.rejected_suggestions,
                *(uri for uri in reject if uri not in profile.rejected_suggestions),
            ],
        }
    )


def shared_parts(
    participant: Any,
    profile: CompetenceProfile,
    norwegian: dict[ev.NorwegianSubTest, ev.NorwegianLevel],
    suggested: free_text.Suggestions | None = None,
) -> ev.CompetenceProfileUpdated:
    """The event matching receives: consented parts only, codes only, never free text.

    It replaces the previous shared profile whole; ``consent`` says which parts are
    shared, so a part withdrawn shows as empty and not shared. With skills shared, it
    also says which skills came from free text and carries the unconfirmed
    ``suggested`` skills as URIs with their similarity — what the text suggests,
    never the text.
    """
    consent = profile.consent
    from_free_text = [uri for uri in profile.skills_from_free_text if uri in profile.skills]
    unconfirmed = [
        ev.SuggestedSkill(uri=s.uri, similarity=s.similarity)
        for s in (suggested.skills if suggested is not None else ())
        if s.uri is not None and s.uri not in profile.skills
    ][:MAX_PUBLISHED_SUGGESTIONS]
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
        skills_from_free_text=tuple(from_free_text) if consent.skills else (),
        suggested_skills=tuple(unconfirmed) if consent.skills else (),
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
    catalogue = labels()
    language: Lang = "en" if lang == "en" else "nb"
    from_free_text = set(profile.get("skills_from_free_text", []))
    return {
        **profile,
        "work_experience": [
            {**w, "occupation": tax.occupation_title(w["isco_code"], lang)}
            for w in profile.get("work_experience", [])
        ],
        "skills": [
            {
                "uri": uri,
                "label": catalogue.skill_label(uri, language),
                "from_free_text": uri in from_free_text,
            }
            for uri in profile.get("skills", [])
        ],
        "wishes": {
            **profile.get("wishes", {}),
            "occupations": [
                {"code": code, "label": tax.occupation_title(code, lang)}
                for code in profile.get("wishes", {}).get("occupations", [])
            ],
        },
    }
