"""Candidates: the consented competence profile as the matching service keeps it.

A candidate is built only from ``participants.competence_profile.updated`` (the parts
the participant consented to share with employers), plus the settlement date for
waiting time and the engagement that follows from this service's own matches. The
incoming data is read leniently (unknown fields are ignored) because it belongs to
another service's contract, which may grow.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from services.matching.events import (
    EDUCATION_ORDER,
    NORWEGIAN_ORDER,
    EducationLevel,
    NorwegianLevel,
)

NORWEGIAN_SUB_SKILLS = ("oral", "written", "reading", "listening")


class _Lenient(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class _Occupation(_Lenient):
    isco_code: str = Field(pattern=r"^\d{4}$")
    years: float = Field(default=0, ge=0)


class _Education(_Lenient):
    level: EducationLevel
    field_code: str | None = None
    country: str | None = None
    years: float | None = None
    recognised: bool = False


class _Language(_Lenient):
    language: str
    level: NorwegianLevel


class _Norwegian(_Lenient):
    oral: NorwegianLevel | None = None
    written: NorwegianLevel | None = None
    reading: NorwegianLevel | None = None
    listening: NorwegianLevel | None = None


class _Suggested(_Lenient):
    uri: str
    similarity: float = Field(ge=0, le=1)


class _Wishes(_Lenient):
    occupations: tuple[str, ...] = ()
    hours_per_week: float | None = None
    municipalities: tuple[str, ...] = ()


PROFILE_PARTS = (
    "occupations",
    "education",
    "skills",
    "languages",
    "norwegian",
    "driving_licences",
    "wishes",
)
"""The parts of a competence profile a participant consents to share, one by one."""

FREE_TEXT_FIELDS = ("skills_from_free_text", "suggested_skills")
"""Fields of the shared profile about skills from free text (URIs and similarities only),
shared with ``skills``: an inbox keeping the profile keeps these too."""


class _Consent(_Lenient):
    """Which parts the participant shares; ``occupations`` is also called work experience."""

    occupations: bool = Field(
        default=False, validation_alias=AliasChoices("occupations", "work_experience")
    )
    education: bool = False
    skills: bool = False
    languages: bool = False
    norwegian: bool = False
    driving_licences: bool = False
    wishes: bool = False


class ConsentedProfile(_Lenient):
    """The data of ``participants.competence_profile.updated.v1`` as this service reads it.

    ``consent`` is absent on events from before it was published: then whatever parts
    are present were shared.
    """

    participant_id: uuid.UUID
    occupations: tuple[_Occupation, ...] = ()
    education: tuple[_Education, ...] = ()
    skills: tuple[str, ...] = ()
    languages: tuple[_Language, ...] = ()
    norwegian: _Norwegian = _Norwegian()
    driving_licences: tuple[str, ...] = ()
    wishes: _Wishes = _Wishes()
    consent: _Consent | None = None
    skills_from_free_text: tuple[str, ...] = ()
    suggested_skills: tuple[_Suggested, ...] = ()

    def shared_parts(self) -> frozenset[str]:
        if self.consent is not None:
            return frozenset(p for p in PROFILE_PARTS if getattr(self.consent, p))
        present = {
            "occupations": bool(self.occupations),
            "education": bool(self.education),
            "skills": bool(self.skills),
            "languages": bool(self.languages),
            "norwegian": any(getattr(self.norwegian, s) for s in NORWEGIAN_SUB_SKILLS),
            "driving_licences": bool(self.driving_licences),
            "wishes": self.wishes != _Wishes(),
        }
        return frozenset(p for p, shown in present.items() if shown)


def norwegian_shared(data: dict[str, Any]) -> bool:
    """Whether a profile document lets this service keep Norwegian results."""
    return "norwegian" in ConsentedProfile.model_validate(data).shared_parts()


def best_level(*levels: str | None) -> str | None:
    """The highest CEFR level among ``levels`` (None when there is none)."""
    known = [NorwegianLevel(level) for level in levels if level]
    return max(known, key=NORWEGIAN_ORDER.index).value if known else None


@dataclass(frozen=True)
class EducationEntry:
    level: EducationLevel
    field_code: str | None
    country: str | None
    years: float | None
    recognised: bool

    def document(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "field_code": self.field_code,
            "country": self.country,
            "years": self.years,
            "recognised": self.recognised,
        }


@dataclass(frozen=True)
class Candidate:
    """One participant as a candidate for openings."""

    participant_id: uuid.UUID
    municipality: str
    occupations: tuple[tuple[str, float], ...] = ()
    education: tuple[EducationEntry, ...] = ()
    skills: frozenset[str] = frozenset()
    free_text_skills: frozenset[str] = frozenset()
    """Skills a caseworker confirmed from the participant's free text (a subset of ``skills``)."""
    suggested_skills: Mapping[str, float] = field(default_factory=dict, hash=False)
    """Unconfirmed free-text suggestions: skill URI → similarity (0–1), not in ``skills``."""
    languages: tuple[tuple[str, str], ...] = ()
    norwegian: tuple[tuple[str, str | None], ...] = ()
    driving_licences: frozenset[str] = frozenset()
    wished_occupations: tuple[str, ...] = ()
    wished_hours: float | None = None
    wished_municipalities: tuple[str, ...] = ()
    settled_on: date | None = None
    shared: frozenset[str] = frozenset(PROFILE_PARTS)
    """Parts the participant shares; a part not shared is unknown, not empty."""
    engagement: str | None = field(default=None, compare=False)
    leaves_on: date | None = field(default=None, compare=False)
    """A move or departure announced ahead: a candidate until the day before."""

    def norwegian_rank(self, sub_skill: str) -> int | None:
        level = dict(self.norwegian).get(sub_skill)
        return NORWEGIAN_ORDER.index(NorwegianLevel(level)) if level else None

    def with_engagement(self, engagement: str | None) -> Candidate:
        return replace(self, engagement=engagement)

    def profile_document(self) -> dict[str, Any]:
        """The consented profile as stored in the ``candidates`` table (JSON)."""
        return {
            "occupations": [{"isco_code": c, "years": y} for c, y in self.occupations],
            "education": [e.document() for e in self.education],
            "skills": sorted(self.skills),
            "languages": [{"language": lang, "level": lvl} for lang, lvl in self.languages],
            "norwegian": dict(self.norwegian),
            "driving_licences": sorted(self.driving_licences),
            "wishes": {
                "occupations": list(self.wished_occupations),
                "hours_per_week": self.wished_hours,
                "municipalities": list(self.wished_municipalities),
            },
            "consent": {part: part in self.shared for part in PROFILE_PARTS},
            "skills_from_free_text": sorted(self.free_text_skills),
            "suggested_skills": [
                {"uri": uri, "similarity": similarity}
                for uri, similarity in sorted(self.suggested_skills.items())
            ],
        }


def candidate_from_profile(
    data: dict[str, Any],
    municipality: str,
    settled_on: date | None = None,
    norwegian_tests: dict[str, str] | None = None,
) -> Candidate:
    """Read a profile document (event data or stored profile) into a candidate.

    A part the participant does not share is left empty whatever the document holds,
    and Norwegian levels (the profile's and tests recorded after it, the best per
    sub-skill) only when Norwegian is shared.
    """
    profile = ConsentedProfile.model_validate(data)
    shared = profile.shared_parts()
    tests = norwegian_tests or {}
    skills = frozenset(profile.skills) if "skills" in shared else frozenset()

    def norwegian(sub: str) -> str | None:
        if "norwegian" not in shared:
            return None
        level = getattr(profile.norwegian, sub)
        return best_level(level.value if level else None, tests.get(sub))

    return Candidate(
        participant_id=profile.participant_id,
        municipality=municipality,
        occupations=tuple((o.isco_code, float(o.years)) for o in profile.occupations)
        if "occupations" in shared
        else (),
        education=tuple(
            EducationEntry(e.level, e.field_code, e.country, e.years, e.recognised)
            for e in profile.education
        )
        if "education" in shared
        else (),
        skills=skills,
        free_text_skills=skills & frozenset(profile.skills_from_free_text),
        suggested_skills={
            s.uri: s.similarity for s in profile.suggested_skills if s.uri not in skills
        }
        if "skills" in shared
        else {},
        languages=tuple((lang.language, lang.level.value) for lang in profile.languages)
        if "languages" in shared
        else (),
        norwegian=tuple((sub, norwegian(sub)) for sub in NORWEGIAN_SUB_SKILLS),
        driving_licences=frozenset(c.strip().upper() for c in profile.driving_licences)
        if "driving_licences" in shared
        else frozenset(),
        wished_occupations=tuple(c for c in profile.wishes.occupations if len(c) == 4)
        if "wishes" in shared
        else (),
        wished_hours=profile.wishes.hours_per_week if "wishes" in shared else None,
        wished_municipalities=tuple(profile.wishes.municipalities) if "wishes" in shared else (),
        settled_on=settled_on,
        shared=shared,
    )


LEAVING_OUTCOMES = {"moved_municipality": "moved_out", "emigrated": "emigrated", "deceased": "died"}
"""Programme outcomes that take the person out of the municipality, as departures."""


def departure(
    left_on: date | None, left_because: str | None, programmes: dict[str, Any] | None
) -> tuple[date, str] | None:
    """The earliest way the person left: a move, emigration or death, or a programme that
    ended with such an outcome (a corrected outcome no longer counts)."""
    found: list[tuple[date, str]] = []
    if left_on is not None:
        found.append((left_on, left_because or "left"))
    for programme in (programmes or {}).values():
        because = LEAVING_OUTCOMES.get(str(programme.get("outcome")))
        if because is not None and programme.get("ended_on"):
            found.append((date.fromisoformat(str(programme["ended_on"])), because))
    return min(found) if found else None


# A licence class also entitles to the classes below it (Norwegian driving licence rules,
# førerkortforskriften § 3-2); only these well-known inclusions are applied.
LICENCE_IMPLIES: dict[str, tuple[str, ...]] = {
    "A": ("A2", "A1", "AM"),
    "A2": ("A1", "AM"),
    "A1": ("AM",),
    "B": ("AM",),
    "BE": ("B", "AM"),
    "C1": ("B", "AM"),
    "C1E": ("C1", "BE", "B", "AM"),
    "C": ("C1", "B", "AM"),
    "CE": ("C", "C1", "C1E", "BE", "B", "AM"),
    "D1": ("B", "AM"),
    "D1E": ("D1", "BE", "B", "AM"),
    "D": ("D1", "B", "AM"),
    "DE": ("D", "D1", "D1E", "BE", "B", "AM"),
}


def licences_held(classes: Iterable[str]) -> set[str]:
    held: set[str] = set()
    for licence in classes:
        held.add(licence)
        held.update(LICENCE_IMPLIES.get(licence, ()))
    return held


def licence_token(licence: str) -> str:
    return f"L:{licence.strip().upper()}"


def qualification_token(min_rank: int, field_code: str | None, recognised: bool) -> str:
    return f"Q:{min_rank}:{field_code or ''}:{int(recognised)}"


def requirement_tokens(candidate: Candidate) -> set[str]:
    """Tokens of every hard requirement the candidate meets.

    A requirement (licence class; education at least level L in field F, recognised
    or not) becomes one token; the candidate holds the token of every requirement they
    satisfy, so checking an opening's requirements is a lookup per token.
    """
    tokens = {licence_token(c) for c in licences_held(candidate.driving_licences)}
    for entry in candidate.education:
        rank = EDUCATION_ORDER.index(entry.level)
        field_code = entry.field_code or ""
        prefixes = [""] + [field_code[:n] for n in (2, 3, 4) if len(field_code) >= n]
        for level in range(rank + 1):
            for prefix in prefixes:
                tokens.add(qualification_token(level, prefix, False))
                if entry.recognised:
                    tokens.add(qualification_token(level, prefix, True))
    return tokens


def education_skill_level(candidate: Candidate) -> int:
    """ISCO skill level (1–4) the candidate's highest education reaches; 0 when none is known."""
    if not candidate.education:
        return 0
    best = max(EDUCATION_ORDER.index(e.level) for e in candidate.education)
    return _EDUCATION_SKILL_LEVEL[EDUCATION_ORDER[best]]


_EDUCATION_SKILL_LEVEL = {
    EducationLevel.none: 1,
    EducationLevel.primary: 1,
    EducationLevel.lower_secondary: 1,
    EducationLevel.upper_secondary: 2,
    EducationLevel.vocational: 2,
    EducationLevel.bachelor: 4,
    EducationLevel.master: 4,
    EducationLevel.doctorate: 4,
}
