"""ESCO occupations and skills, ISCO-08 groups and STYRK-08 titles shipped with the kit.

Read once per process on first use (never at import time) and immutable after. See
``README.md`` beside this file for where the data comes from and its licence.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources


@dataclass(frozen=True)
class EscoOccupation:
    uri: str
    isco_code: str
    label: str
    essential_skills: tuple[str, ...] = ()
    optional_skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    isco_groups: dict[str, str]
    """ISCO-08 code (1-4 digits) -> English label."""
    styrk_titles: dict[str, str]
    """STYRK-08 four-digit code -> Norwegian title."""
    skills: dict[str, str]
    """ESCO skill URI -> preferred label."""
    occupations: dict[str, EscoOccupation]
    """ESCO occupation URI -> occupation with its essential and optional skills."""
    unit_groups: frozenset[str] = field(default_factory=frozenset)

    def is_occupation_code(self, code: str) -> bool:
        """A four-digit ISCO-08 unit group or STYRK-08 code (0000 is not one)."""
        return code in self.unit_groups

    def occupation_title(self, code: str, lang: str = "nb") -> str | None:
        """Norwegian STYRK-08 title by default, the English ISCO-08 label with ``lang='en'``."""
        if lang == "en":
            return self.isco_groups.get(code) or self.styrk_titles.get(code)
        return self.styrk_titles.get(code) or self.isco_groups.get(code)

    def group_label(self, code: str) -> str | None:
        return self.isco_groups.get(code) or self.styrk_titles.get(code)

    def skill_label(self, uri: str) -> str | None:
        return self.skills.get(uri)

    def unknown_skills(self, uris: Iterable[str]) -> list[str]:
        return sorted({uri for uri in uris if uri not in self.skills})

    def unknown_occupation_codes(self, codes: Iterable[str]) -> list[str]:
        return sorted({code for code in codes if not self.is_occupation_code(code)})

    def unit_group_essentials(self, code: str) -> list[str]:
        """Essential skills shared by ESCO occupations of one unit group (most common first)."""
        counts: dict[str, int] = {}
        for occupation in self.occupations.values():
            if occupation.isco_code == code:
                for uri in occupation.essential_skills:
                    counts[uri] = counts.get(uri, 0) + 1
        return sorted(counts, key=lambda uri: (-counts[uri], uri))


def _rows(name: str, delimiter: str = ",") -> list[dict[str, str]]:
    text = (resources.files(__name__) / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


@functools.cache
def load() -> Taxonomy:
    """The taxonomy, read from the package data once per process."""
    isco = {row["code"]: row["label"] for row in _rows("isco_groups.csv")}
    styrk = {
        row["Styrk code"]: row["Styrk description"]
        for row in _rows("styrk08.csv", delimiter=";")
        if row["Styrk code"] != "0000"
    }
    skills = {row["uri"]: row["label"] for row in _rows("skills.csv")}
    essential: dict[str, list[str]] = {}
    optional: dict[str, list[str]] = {}
    for row in _rows("occupation_skills.csv"):
        target = essential if row["relation"] == "essential" else optional
        target.setdefault(row["occupation_uri"], []).append(row["skill_uri"])
    occupations = {
        row["uri"]: EscoOccupation(
            uri=row["uri"],
            isco_code=row["isco_code"],
            label=row["label"],
            essential_skills=tuple(sorted(essential.get(row["uri"], ()))),
            optional_skills=tuple(sorted(optional.get(row["uri"], ()))),
        )
        for row in _rows("occupations.csv")
    }
    units = frozenset({code for code in isco if len(code) == 4} | set(styrk))
    return Taxonomy(isco, styrk, skills, occupations, units)
