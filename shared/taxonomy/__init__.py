"""ESCO skills and ISCO-08 / STYRK-08 occupation codes shipped with the kit.

Loaded on first use (not at import) and cached for the life of the process.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Taxonomy:
    skills: dict[str, str]
    """ESCO skill URI -> preferred label."""
    isco_groups: dict[str, str]
    """ISCO-08 code (1-4 digits) -> label."""
    styrk_titles: dict[str, str]
    """STYRK-08 four-digit code -> Norwegian title."""

    def is_occupation(self, code: str) -> bool:
        """A four-digit ISCO-08 unit group or STYRK-08 code."""
        return len(code) == 4 and (code in self.isco_groups or code in self.styrk_titles)

    def occupation_label(self, code: str, lang: str = "nb") -> str | None:
        if lang == "nb" and code in self.styrk_titles:
            return self.styrk_titles[code]
        return self.isco_groups.get(code) or self.styrk_titles.get(code)

    def unknown_skills(self, uris: list[str] | tuple[str, ...]) -> list[str]:
        return [uri for uri in uris if uri not in self.skills]

    def unknown_occupations(self, codes: list[str] | tuple[str, ...]) -> list[str]:
        return [code for code in codes if not self.is_occupation(code)]


def _rows(name: str, delimiter: str) -> list[dict[str, str]]:
    text = (resources.files(__name__) / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


@cache
def taxonomy() -> Taxonomy:
    """The shipped taxonomy (read once per process)."""
    skills = {row["uri"]: row["label"] for row in _rows("esco_skills.csv", ",")}
    isco = {row["code"]: row["label"] for row in _rows("isco08_groups.csv", ",")}
    styrk = {row["Styrk code"]: row["Styrk description"] for row in _rows("styrk08.csv", ";")}
    styrk.pop("0000", None)
    return Taxonomy(skills, isco, styrk)
