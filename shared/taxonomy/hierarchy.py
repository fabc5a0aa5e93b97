"""Related ESCO skills: the same skill group, or a broader and a narrower skill.

Pure and read once per process from ``skill_hierarchy.csv`` beside this file (ESCO
v1.1.1 ``skills_hierarchy.csv`` cut to the direct parent of each shipped skill; see the
README). Two different skills are *related* when they share their direct skill group
(for example two skills of "cooking"), or when one is the other's broader skill in
ESCO's skill-to-skill hierarchy. Matching gives related skills partial credit.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Literal

RelationKind = Literal["same_group", "broader", "narrower"]
"""``broader``: the related skill is the broader one; ``narrower``: it is the narrower one."""


@dataclass(frozen=True)
class Relation:
    """How ``related`` stands to the skill it was looked up for, and through what."""

    related: str
    kind: RelationKind
    via: str
    """The shared skill group's URI, or the broader skill's URI."""
    via_label: str


@dataclass(frozen=True)
class SkillHierarchy:
    """Direct parents of ESCO skills and the relations that follow from them."""

    groups: Mapping[str, tuple[str, ...]]
    """Skill URI -> URIs of its direct skill groups (a few skills sit in two; skills without
    a group are absent)."""
    broader: Mapping[str, tuple[str, ...]]
    """Skill URI -> URIs of its broader skills (from the 43 skill-to-skill links)."""
    labels: Mapping[str, str]
    """Group or skill URI -> English preferred label of the parent."""
    members: Mapping[str, tuple[str, ...]]
    """Skill group URI -> its skills, sorted."""
    narrower: Mapping[str, tuple[str, ...]]
    """Skill URI -> its narrower skills, sorted."""

    def related(self, uri: str) -> dict[str, Relation]:
        """Every other skill related to ``uri``, by URI; parent-child before same group."""
        found: dict[str, Relation] = {}
        for group in self.groups.get(uri, ()):
            label = self.labels.get(group, "")
            for other in self.members.get(group, ()):
                if other != uri and other not in found:
                    found[other] = Relation(other, "same_group", group, label)
        for parent in self.broader.get(uri, ()):
            found[parent] = Relation(parent, "broader", parent, self.labels.get(parent, ""))
        for child in self.narrower.get(uri, ()):
            found[child] = Relation(child, "narrower", uri, self.labels.get(uri, ""))
        return found

    def related_to_any(self, uris: Iterable[str]) -> set[str]:
        """Skills related to at least one of ``uris`` (``uris`` themselves left out)."""
        wanted = set(uris)
        out: set[str] = set()
        for uri in wanted:
            out.update(self.related(uri))
        return out - wanted

    def relation(self, held: str, wanted: str) -> Relation | None:
        """How a held skill relates to a wanted one, or None (the same skill is no relation)."""
        if held == wanted:
            return None
        return self.related(wanted).get(held)


def _rows(name: str) -> list[dict[str, str]]:
    text = (resources.files(__package__ or "shared.taxonomy") / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def from_rows(rows: Iterable[Mapping[str, str]]) -> SkillHierarchy:
    """A hierarchy from rows of ``parent_uri, parent_type (group|skill), parent_label,
    skill_uri`` (the data file's layout; tests build small ones)."""
    groups: dict[str, list[str]] = {}
    broader: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    narrower: dict[str, list[str]] = {}
    for row in rows:
        parent, skill = row["parent_uri"], row["skill_uri"]
        labels[parent] = row.get("parent_label", "")
        if row["parent_type"] == "group":
            groups.setdefault(skill, []).append(parent)
            members.setdefault(parent, []).append(skill)
        else:
            broader.setdefault(skill, []).append(parent)
            narrower.setdefault(parent, []).append(skill)
    return SkillHierarchy(
        groups={s: tuple(sorted(g)) for s, g in groups.items()},
        broader={s: tuple(sorted(p)) for s, p in broader.items()},
        labels=labels,
        members={g: tuple(sorted(s)) for g, s in members.items()},
        narrower={p: tuple(sorted(s)) for p, s in narrower.items()},
    )


@functools.cache
def load() -> SkillHierarchy:
    """The shipped hierarchy, read once per process (never at import time)."""
    return from_rows(_rows("skill_hierarchy.csv"))
