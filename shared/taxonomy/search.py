"""Typo-tolerant search over ESCO skills and occupations in bokmål and English.

Pure: the indexes are built once per process on first use (about a second, so a
service builds them off the event loop at start-up with :func:`warm`) and never change.

A label is cut into words (case and the letters æ, ø, å folded, so ``losning``
finds *løsning*); each word of a query is matched against the index's vocabulary,
exactly, as the start of a word (autocomplete), inside a word (Norwegian compounds:
``sveis`` finds *elektronstrålesveisemaskin*), or fuzzily with ``rapidfuzz``
(Indel similarity, on the whole word and on the word's start). A label scores by how
much of the query it covers, weighted by how well each word matched, and a little by
how much of the label the query covers, so the closest label of each concept wins.

Skills are searched over ESCO's preferred and alternative English labels and our
bokmål labels; occupations over ESCO occupations (English preferred and alternative
labels) and the STYRK-08/ISCO-08 unit groups (their bokmål and English titles), the
four-digit codes a competence profile holds.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process

from shared.taxonomy.labels import Labels, Lang, labels

Kind = Literal["skill", "occupation", "unit_group"]

MAX_QUERY_LENGTH = 100
"""Longest query the search endpoints accept (characters)."""

_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u"})
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

STOPWORDS = frozenset(
    "a an and as at by for from in into of on or the to with without "
    "og i pa av for med til en et ei som a er eller om fra ved under mot".split()
)
"""Function words (English and bokmål, folded) that never make a label match by themselves."""

GENERIC_WORDS = frozenset(
    "use apply perform operate manage provide carry out ensure work make maintain handle "
    "yte gi bruke utfore betjene arbeide lage sikre ha holde folge sorge gjennomfore "
    "handtere ta drive".split()
)
"""Verbs that carry little of a skill label's meaning (folded): in free text, a label
counts them at a third of a word, so *yte førstehjelp* is found from *førstehjelp*."""
_GENERIC_WEIGHT = 1 / 3


_SUFFIXES = tuple(
    sorted(
        "ingen inger ende ene ane ing ert ete het et te de er en ar a e r".split(),
        key=len,
        reverse=True,
    )
)


def stem(word: str) -> str:
    """A light bokmål stem: one inflectional ending off (``slaktet``, ``slakte`` → ``slakt``),
    never shorter than three letters. English words lose a plural or verb ``-s``/``-ed``
    the same way; that is close enough for matching, not a grammar."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def words(text: str) -> list[str]:
    """The folded content words of ``text`` (stop words left out), in order."""
    found = [w.translate(_FOLD) for w in _WORD.findall(text.casefold())]
    return [w for w in found if w not in STOPWORDS]


@dataclass(frozen=True)
class Entry:
    """One label of one concept, as the index holds it."""

    kind: Kind
    key: str
    """The ESCO URI of a skill or occupation, the four-digit code of a unit group."""
    label: str
    lang: Lang
    preferred: bool
    words: tuple[str, ...]


@dataclass(frozen=True)
class Hit:
    """A concept found, with the label that matched it and how well (0–1)."""

    kind: Kind
    key: str
    code: str | None
    """ISCO-08/STYRK-08 unit group: the code itself, or an ESCO occupation's group."""
    label_nb: str
    label_en: str
    matched_label: str
    matched_lang: Lang
    matched_preferred: bool
    score: float

    @property
    def uri(self) -> str | None:
        return None if self.kind == "unit_group" else self.key


# Weights of the ways a query word can meet a label word; an exact word outranks a
# completion, which outranks a compound part, which outranks a typo.
_EXACT, _PREFIX, _INFIX, _TYPO = 1.0, 0.92, 0.8, 0.85
_MIN_SCORE = 0.35


class Index:
    """Labels of one kind of concept, searchable by query or by free text."""

    def __init__(self, entries: Sequence[Entry], catalogue: Labels) -> None:
        self._entries = tuple(entries)
        self._labels = catalogue
        postings: dict[str, list[int]] = {}
        for number, entry in enumerate(self._entries):
            for word in set(entry.words):
                postings.setdefault(word, []).append(number)
        self._postings = {w: tuple(ids) for w, ids in postings.items()}
        self._arrays = {w: np.array(ids, dtype=np.int64) for w, ids in postings.items()}
        self._vocabulary = sorted(self._postings)
        self._joined = "\n".join(self._vocabulary)
        self._offsets: list[int] = []
        offset = 0
        for word in self._vocabulary:
            self._offsets.append(offset)
            offset += len(word) + 1
        self._word_counts = np.array([len(set(e.words)) for e in self._entries], dtype=float)
        self._langs = {
            lang: np.array([e.lang == lang for e in self._entries], dtype=bool)
            for lang in ("nb", "en")
        }
        self._starts: dict[int, tuple[list[str], dict[str, list[str]]]] = {}
        self._matched: dict[tuple[str, bool], dict[str, float]] = {}
        self._by_stem: dict[str, list[str]] = {}
        self._stems = [(word, stem(word)) for word in self._vocabulary]
        for word, its_stem in self._stems:
            self._by_stem.setdefault(its_stem, []).append(word)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def vocabulary(self) -> Sequence[str]:
        return self._vocabulary

    def forget_matches(self) -> None:
        """Drop the per-word match cache (benchmarks time searches without it)."""
        self._matched.clear()

    def _containing(self, part: str) -> list[str]:
        """Vocabulary words with ``part`` inside them (a search of one joined string)."""
        found = []
        position = self._joined.find(part)
        while position != -1:
            number = bisect.bisect_right(self._offsets, position) - 1
            found.append(self._vocabulary[number])
            following = number + 1
            if following >= len(self._offsets):
                break
            position = self._joined.find(part, self._offsets[following])
        return found

    def _words_starting(self, length: int) -> tuple[list[str], dict[str, list[str]]]:
        if length not in self._starts:
            by_start: dict[str, list[str]] = {}
            for word in self._vocabulary:
                if len(word) > length:
                    by_start.setdefault(word[:length], []).append(word)
            self._starts[length] = (list(by_start), by_start)
        return self._starts[length]

    def word_matches(self, word: str, completion: bool = True) -> dict[str, float]:
        """Vocabulary words ``word`` may stand for, each with a weight (0–1).

        With ``completion`` (a query being typed) ``word`` may be the start of a
        longer word; without it (free text, whole words) only inflected forms count:
        a word that starts with the other and differs by at most three letters.
        """
        known = self._matched.get((word, completion))
        if known is not None:
            return known
        found = self._word_matches(word, completion)
        if len(self._matched) > 100_000:
            self._matched.clear()
        self._matched[(word, completion)] = found
        return found

    def _word_matches(self, word: str, completion: bool) -> dict[str, float]:
        found: dict[str, float] = {}

        def note(candidate: str, weight: float) -> None:
            if weight > found.get(candidate, 0.0):
                found[candidate] = weight

        if word in self._postings:
            note(word, _EXACT)
        start = bisect.bisect_left(self._vocabulary, word)
        for candidate in self._vocabulary[start:]:
            if not candidate.startswith(word):
                break
            if completion or len(candidate) - len(word) <= 3:
                note(candidate, _PREFIX + 0.08 * len(word) / len(candidate))
        if not completion and len(word) >= 4:
            for cut in range(max(4, len(word) - 3), len(word)):
                if word[:cut] in self._postings:
                    note(word[:cut], _PREFIX)
            for candidate in self._by_stem.get(stem(word), ()):
                note(candidate, _PREFIX)
        if len(word) >= 4:
            for candidate in self._containing(word):
                if candidate != word:
                    note(candidate, _INFIX)
            if not completion:
                for candidate, its_stem in self._stems:
                    if len(its_stem) >= 4 and its_stem in word and candidate != word:
                        note(candidate, _INFIX * 0.9)
        # A word the labels hold is spelt right: looking for typos would only add noise.
        if len(word) >= 3 and word not in self._postings:
            cutoff = 80 if len(word) <= 5 else 75
            for candidate, similarity, _ in process.extract(
                word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff, limit=25
            ):
                note(candidate, _TYPO * similarity / 100)
            if completion:
                starts, by_start = self._words_starting(len(word))
                for prefix, similarity, _ in process.extract(
                    word, starts, scorer=fuzz.ratio, score_cutoff=cutoff, limit=25
                ):
                    for candidate in by_start[prefix]:
                        note(candidate, _TYPO * 0.95 * similarity / 100)
        return found

    def _hit(self, entry: Entry, score: float) -> Hit:
        catalogue = self._labels
        if entry.kind == "skill":
            code = None
            nb = catalogue.skill_label(entry.key, "nb") or entry.label
            en = catalogue.skill_label(entry.key, "en") or entry.label
        elif entry.kind == "occupation":
            occupation = catalogue.taxonomy.occupations[entry.key]
            code = occupation.isco_code
            nb = catalogue.occupation_label(occupation, "nb")
            en = occupation.label
        else:
            code = entry.key
            nb = catalogue.unit_group_label(entry.key, "nb") or entry.label
            en = catalogue.unit_group_label(entry.key, "en") or entry.label
        return Hit(
            kind=entry.kind,
            key=entry.key,
            code=code,
            label_nb=nb,
            label_en=en,
            matched_label=entry.label,
            matched_lang=entry.lang,
            matched_preferred=entry.preferred,
            score=round(min(score, 1.0), 4),
        )

    def _best(
        self, scored: dict[int, float], lang: Lang | None, limit: int, min_score: float
    ) -> list[Hit]:
        best: dict[tuple[Kind, str], tuple[tuple[float, int, int, str], float, int]] = {}
        for number, score in scored.items():
            entry = self._entries[number]
            if score < min_score or (lang is not None and entry.lang != lang):
                continue
            concept = (entry.kind, entry.key)
            rank = _rank(score, entry)
            if concept not in best or rank < best[concept][0]:
                best[concept] = (rank, score, number)
        ordered = sorted(best.values())[:limit]
        return [self._hit(self._entries[number], score) for _, score, number in ordered]

    def search(self, query: str, lang: Lang | None = None, limit: int = 10) -> list[Hit]:
        """The concepts whose labels best match ``query`` (as typed), best first.

        ``lang`` restricts the labels searched (a hit still carries both labels).
        """
        asked = words(query)
        if not asked:
            return []
        total = np.zeros(len(self._entries))
        covered = np.zeros(len(self._entries))
        unique_asked = list(dict.fromkeys(asked))
        for word in unique_asked:
            best = np.zeros(len(self._entries))
            for candidate, weight in self.word_matches(word).items():
                ids = self._arrays[candidate]
                best[ids] = np.maximum(best[ids], weight)
            total += best
            covered += best > 0
        label_share = np.minimum(1.0, covered / self._word_counts)
        score = (total / len(unique_asked)) * (0.8 + 0.2 * label_share)
        keep = score >= _MIN_SCORE
        if lang is not None:
            keep &= self._langs[lang]
        numbers = np.flatnonzero(keep)
        # Only the best few hundred labels can hold the best ``limit`` concepts; ties at
        # the cut are all kept, so the order among equal scores stays the documented one.
        shortlist = max(limit * 40, 200)
        if len(numbers) > shortlist:
            cut = np.partition(score[numbers], -shortlist)[-shortlist]
            numbers = numbers[score[numbers] >= cut]
        scored = {int(n): float(score[n]) for n in numbers}
        return self._best(scored, lang, limit, _MIN_SCORE)

    def match_text(
        self, text: str, lang: Lang | None = None, limit: int = 10, min_score: float = 0.6
    ) -> list[Hit]:
        """The concepts whose labels the free ``text`` best covers, best first.

        A label scores by the share of its words found in the text, each weighted by
        how well it was found (inflections and compound parts count a little less,
        typos less still) and generic verbs (:data:`GENERIC_WORDS`) counting a third;
        a label of one word needs it found exactly or inflected.
        """
        found: dict[str, float] = {}
        for word in dict.fromkeys(words(text)):
            if len(word) < 3:
                continue
            for candidate, weight in self.word_matches(word, completion=False).items():
                if weight > found.get(candidate, 0.0):
                    found[candidate] = weight
        touched: set[int] = set()
        for candidate in found:
            touched.update(self._postings[candidate])
        scored: dict[int, float] = {}
        for number in touched:
            entry = self._entries[number]
            unique = set(entry.words)
            if len(unique) == 1 and found.get(entry.words[0], 0.0) < _PREFIX:
                continue
            weights = {w: _GENERIC_WEIGHT if w in GENERIC_WORDS else 1.0 for w in unique}
            if all(found.get(w, 0.0) == 0.0 for w in unique if weights[w] == 1.0):
                continue
            covered = sum(weights[w] * found.get(w, 0.0) for w in unique)
            scored[number] = covered / sum(weights.values())
        return self._best(scored, lang, limit, min_score)


def _rank(score: float, entry: Entry) -> tuple[float, int, int, str]:
    return (-score, 0 if entry.preferred else 1, len(entry.label), entry.label)


def _entries(kind: Kind, key: str, labelled: Iterable[tuple[str, Lang, bool]]) -> list[Entry]:
    made = []
    seen: set[tuple[str, Lang]] = set()
    for label, lang, preferred in labelled:
        folded = (label.casefold(), lang)
        content = tuple(words(label))
        if folded in seen or not content:
            continue
        seen.add(folded)
        made.append(Entry(kind, key, label, lang, preferred, content))
    return made


@functools.cache
def skill_index() -> Index:
    """Every shipped ESCO skill, by its English and bokmål labels."""
    catalogue = labels()
    entries: list[Entry] = []
    for uri, english in catalogue.taxonomy.skills.items():
        labelled: list[tuple[str, Lang, bool]] = [(english, "en", True)]
        if uri in catalogue.skills_nb:
            labelled.append((catalogue.skills_nb[uri], "nb", True))
        labelled += [(alt, "en", False) for alt in catalogue.skill_alternatives.get(uri, ())]
        entries += _entries("skill", uri, labelled)
    return Index(entries, catalogue)


@functools.cache
def occupation_index() -> Index:
    """Every ESCO occupation (English labels) and unit group (bokmål and English titles,
    and the everyday bokmål job titles Veiviser lists for the common ones)."""
    catalogue = labels()
    entries: list[Entry] = []
    for code in sorted(catalogue.taxonomy.unit_groups):
        labelled: list[tuple[str, Lang, bool]] = []
        nb = catalogue.unit_groups_nb.get(code)
        en = catalogue.taxonomy.isco_groups.get(code)
        if nb:
            labelled.append((nb, "nb", True))
        if en:
            labelled.append((en, "en", True))
        labelled += [
            (alt, "nb", False) for alt in catalogue.unit_group_alternatives_nb.get(code, ())
        ]
        entries += _entries("unit_group", code, labelled)
    for uri, occupation in catalogue.taxonomy.occupations.items():
        labelled = [(occupation.label, "en", True)]
        labelled += [(alt, "en", False) for alt in catalogue.occupation_alternatives.get(uri, ())]
        entries += _entries("occupation", uri, labelled)
    return Index(entries, catalogue)


def warm() -> None:
    """Build both indexes now (a service calls this at start-up, off the event loop)."""
    for index in (skill_index(), occupation_index()):
        for length in range(3, 1 + max(map(len, index.vocabulary))):
            index._words_starting(length)
