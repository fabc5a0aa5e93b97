"""Labels of ESCO skills and occupations in bokmål and English, with where each comes from.

Read once per process on first use from the CSV files beside this module (see
``README.md``): ESCO's English preferred and alternative labels, Veiviser's own bokmål
translations of the skills the shipped occupations use, and bokmål occupation titles
from STYRK-08 (the unit group's title), or, for the few ISCO-08 unit groups STYRK-08
lacks, Veiviser's own translation of the ISCO-08 title.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from shared.taxonomy import EscoOccupation, Taxonomy
from shared.taxonomy import load as load_taxonomy

Lang = Literal["nb", "en"]
LANGS: tuple[Lang, ...] = ("nb", "en")

LabelSource = Literal["esco", "veiviser", "styrk08", "isco08"]
"""``esco``: ESCO v1.1.1 (English); ``veiviser``: our own bokmål translation;
``styrk08``: the STYRK-08 title of the unit group; ``isco08``: the English ISCO-08 title."""


@dataclass(frozen=True)
class Labels:
    """Bokmål and English labels for the shipped taxonomy."""

    taxonomy: Taxonomy
    skills_nb: Mapping[str, str]
    """ESCO skill URI -> Veiviser's own bokmål translation."""
    skill_alternatives: Mapping[str, tuple[str, ...]]
    """ESCO skill URI -> ESCO's English alternative labels."""
    occupation_alternatives: Mapping[str, tuple[str, ...]]
    """ESCO occupation URI -> ESCO's English alternative labels."""
    unit_groups_nb: Mapping[str, str]
    """Four-digit code -> bokmål title (STYRK-08, or ours where STYRK-08 has none)."""
    own_unit_groups_nb: frozenset[str]
    """Four-digit codes whose bokmål title is Veiviser's translation, not STYRK-08's."""
    unit_group_alternatives_nb: Mapping[str, tuple[str, ...]]
    """Four-digit code -> everyday bokmål job titles (Veiviser's own list, ``isco_nb_alt.csv``)."""

    def skill_label(self, uri: str, lang: Lang = "nb") -> str | None:
        """The skill's label in ``lang``; bokmål falls back to ESCO's English label."""
        english = self.taxonomy.skills.get(uri)
        if lang == "en" or english is None:
            return english
        return self.skills_nb.get(uri, english)

    def skill_label_source(self, uri: str, lang: Lang = "nb") -> LabelSource | None:
        if uri not in self.taxonomy.skills:
            return None
        return "veiviser" if lang == "nb" and uri in self.skills_nb else "esco"

    def unit_group_label(self, code: str, lang: Lang = "nb") -> str | None:
        if lang == "en":
            return self.taxonomy.isco_groups.get(code) or self.unit_groups_nb.get(code)
        return self.unit_groups_nb.get(code) or self.taxonomy.isco_groups.get(code)

    def unit_group_label_source(self, code: str, lang: Lang = "nb") -> LabelSource | None:
        if lang == "en":
            return "isco08" if code in self.taxonomy.isco_groups else None
        if code in self.own_unit_groups_nb:
            return "veiviser"
        return "styrk08" if code in self.unit_groups_nb else None

    def occupation_label(self, occupation: EscoOccupation, lang: Lang = "nb") -> str:
        """ESCO's English label; in bokmål the title of the occupation's unit group.

        ESCO occupations are finer than STYRK-08 unit groups, so several share one
        bokmål title (``welder`` and ``laser beam welder`` are both *Sveisere*).
        """
        if lang == "en":
            return occupation.label
        return self.unit_groups_nb.get(occupation.isco_code, occupation.label)


def _rows(name: str) -> list[dict[str, str]]:
    text = (resources.files("shared.taxonomy") / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _alternatives(name: str, key: str = "uri") -> dict[str, tuple[str, ...]]:
    return {row[key]: tuple(row["alt_labels"].split("|")) for row in _rows(name)}


@functools.cache
def labels() -> Labels:
    """The labels, read from the package data once per process."""
    tax = load_taxonomy()
    own = {row["code"]: row["label_nb"] for row in _rows("isco_nb.csv")}
    unit_groups = {**own, **tax.styrk_titles}
    return Labels(
        taxonomy=tax,
        skills_nb={row["uri"]: row["label_nb"] for row in _rows("skills_nb.csv")},
        skill_alternatives=_alternatives("skill_alt_labels.csv"),
        occupation_alternatives=_alternatives("occupation_alt_labels.csv"),
        unit_groups_nb=unit_groups,
        own_unit_groups_nb=frozenset(own) - frozenset(tax.styrk_titles),
        unit_group_alternatives_nb={
            code: alternatives
            for code, alternatives in _alternatives("isco_nb_alt.csv", key="code").items()
            if code in tax.unit_groups
        },
    )
