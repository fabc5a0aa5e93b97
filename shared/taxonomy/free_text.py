"""Free text to ESCO skills and occupations: suggestions with a similarity score.

Pure and lexical: each text (a free-text skill, a work-experience description) is
matched against the labels of :mod:`shared.taxonomy.search` in bokmål and English, a
label scoring by the share of its words the text holds (see
:meth:`~shared.taxonomy.search.Index.match_text`). A concept found in several texts
keeps its best similarity and names every text it came from. A local sentence-embedding
model was measured on Norwegian text and did not pay (``docs/matching/free-text.md``,
``bench/free_text_eval.py``), so none is used.

The texts are personal data: this module neither logs nor keeps them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from shared.taxonomy.search import Hit, Index, occupation_index, skill_index

MIN_SIMILARITY = 0.5
"""Below this a label shares too little with the text to be worth a caseworker's look."""


@dataclass(frozen=True)
class Suggestion:
    """An ESCO skill or an occupation a text suggests."""

    kind: Literal["skill", "occupation", "unit_group"]
    uri: str | None
    """ESCO URI (none for a unit group)."""
    code: str | None
    """Four-digit STYRK-08/ISCO-08 code of an occupation or unit group."""
    label_nb: str
    label_en: str
    matched_label: str
    similarity: float
    sources: tuple[str, ...]
    """Which texts suggested it, as the caller named them (e.g. ``free_text_skills.0``)."""


@dataclass(frozen=True)
class Suggestions:
    skills: tuple[Suggestion, ...]
    occupations: tuple[Suggestion, ...]


def _gather(
    index: Index, texts: Sequence[tuple[str, str]], per_text: int, min_similarity: float
) -> dict[str, tuple[Hit, list[str]]]:
    found: dict[str, tuple[Hit, list[str]]] = {}
    for source, text in texts:
        for hit in index.match_text(text, limit=per_text, min_score=min_similarity):
            known = found.get(hit.key)
            if known is None:
                found[hit.key] = (hit, [source])
                continue
            best, sources = known
            sources.append(source)
            if hit.score > best.score:
                found[hit.key] = (hit, sources)
    return found


def _ranked(found: dict[str, tuple[Hit, list[str]]], limit: int) -> tuple[Suggestion, ...]:
    ordered = sorted(found.values(), key=lambda item: (-item[0].score, item[0].label_en))
    return tuple(
        Suggestion(
            kind=hit.kind,
            uri=hit.uri,
            code=hit.code,
            label_nb=hit.label_nb,
            label_en=hit.label_en,
            matched_label=hit.matched_label,
            similarity=hit.score,
            sources=tuple(dict.fromkeys(sources)),
        )
        for hit, sources in ordered[:limit]
    )


def suggest(
    texts: Iterable[tuple[str, str]],
    *,
    exclude_skills: Iterable[str] = (),
    skills: int = 20,
    occupations: int = 10,
    min_similarity: float = MIN_SIMILARITY,
) -> Suggestions:
    """Skills and occupations that ``texts`` — (source name, text) pairs — suggest.

    ``exclude_skills`` (URIs already held, or already rejected) are left out. At most
    ``skills`` skills and ``occupations`` occupations, best first.
    """
    named = [(source, text) for source, text in texts if text and text.strip()]
    excluded = set(exclude_skills)
    found_skills = {
        uri: item
        for uri, item in _gather(skill_index(), named, skills, min_similarity).items()
        if uri not in excluded
    }
    found_occupations = _gather(occupation_index(), named, occupations, min_similarity)
    return Suggestions(_ranked(found_skills, skills), _ranked(found_occupations, occupations))
