"""ESCO occupations and skills, ISCO-08 groups and STYRK-08 titles (shipped in ``data/``).

Loaded once per process on first use (never at import time) and immutable after.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources

ISCO_LEVELS = ("unit_group", "minor_group", "sub_major_group", "major_group")
"""ISCO-08 hierarchy levels, finest first: 4, 3, 2 and 1 digits."""


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
    styrk_titles: dict[str, str]
    skills: dict[str, str]
    occupations: dict[str, EscoOccupation]
    unit_groups: frozenset[str] = field(default_factory=frozenset)

    def is_occupation_code(self, code: str) -> bool:
        """A four-digit ISCO-08 unit group or STYRK-08 code (0000 is not one)."""
        return code in self.unit_groups

    def occupation_title(self, code: str) -> str | None:
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
    text = (resources.files("services.matching") / "data" / name).read_text(encoding="utf-8")
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


def isco_prefixes(code: str) -> tuple[str, str, str, str]:
    """The unit, minor, sub-major and major group of a four-digit code."""
    return code[:4], code[:3], code[:2], code[:1]


def isco_skill_level(code: str) -> int:
    """ISCO-08 skill level (1–4) a unit group usually needs, from its major group.

    Major groups 2 → 4 (professionals), 1 and 3 → 3, 4–8 → 2, 9 → 1 and 0 (armed
    forces, mixed) → 2. ILO, ISCO-08 vol. 1, table 3.
    """
    return {"1": 3, "2": 4, "3": 3, "9": 1}.get(code[:1], 2)
