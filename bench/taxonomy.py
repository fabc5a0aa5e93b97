"""Taxonomy search latency, warm, over the whole shipped taxonomy.

``python -m bench.taxonomy`` builds both indexes (timed: that is the cold start a
service pays once, off the event loop), then times :meth:`Index.search` for queries
drawn with a fixed seed from the labels themselves: the whole label, its first 3–8
letters (autocomplete), and the label with two neighbouring letters swapped (a typo),
in bokmål and English, plus every keystroke of a few labels typed out. The per-word
match cache is emptied before each search, so no query profits from an earlier one.
It writes
``bench/taxonomy_results.md``. The target (issue 14) is under 20 ms per search.
"""

from __future__ import annotations

import gc
import platform
import random
import time
from collections.abc import Callable
from pathlib import Path

from shared.taxonomy import search
from shared.taxonomy.labels import labels

RESULTS = Path(__file__).with_name("taxonomy_results.md")
SEED = 14
PER_KIND = 150


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 2)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _queries(pool: list[str], rng: random.Random) -> dict[str, list[str]]:
    chosen = rng.sample(pool, min(PER_KIND, len(pool)))
    return {
        "whole label": [label[:100] for label in chosen],
        "prefix (3–8 letters)": [label[: rng.randint(3, 8)] for label in chosen],
        "typo": [_typo(label, rng)[:100] for label in chosen],
    }


def _keystrokes(words: list[str]) -> list[str]:
    return [word[:n] for word in words for n in range(1, len(word) + 1)]


def _time(run: Callable[[str], object], queries: list[str]) -> list[float]:
    timings = []
    for query in queries:
        for index in (search.skill_index(), search.occupation_index()):
            index.forget_matches()
        started = time.perf_counter()
        run(query)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    rng = random.Random(SEED)
    started = time.perf_counter()
    search.warm()
    built = time.perf_counter() - started
    catalogue = labels()
    skills, occupations = search.skill_index(), search.occupation_index()
    pools = {
        ("skills", "nb"): sorted(catalogue.skills_nb.values()),
        ("skills", "en"): sorted(catalogue.taxonomy.skills.values()),
        ("occupations", "nb"): sorted(set(catalogue.unit_groups_nb.values())),
        ("occupations", "en"): sorted(o.label for o in catalogue.taxonomy.occupations.values()),
    }
    rows = []
    every: list[float] = []
    gc.collect()
    for (kind, lang), pool in pools.items():
        index = skills if kind == "skills" else occupations
        for shape, queries in _queries(pool, rng).items():
            if not [q for q in queries if search.words(q)]:
                continue
            timings = _time(lambda q, index=index: index.search(q, limit=10), queries)
            every += timings
            rows.append((f"{kind}, {lang}, {shape}", timings))
    typed = _keystrokes(["kommunisere med kunder", "sykepleier", "communicate with customers"])
    typed = [q for q in typed if search.words(q)]
    timings = _time(lambda q: skills.search(q, limit=10), typed)
    every += timings
    rows.append(("skills, typed out key by key", timings))
    lines = [
        "# Taxonomy search latency (`python -m bench.taxonomy`)",
        "",
        f"Python {platform.python_version()} on {platform.machine()}, one process, warm "
        f"indexes. Skill index: {len(skills):,} labels ({len(skills.vocabulary):,} words); "
        f"occupation index: {len(occupations):,} labels ({len(occupations.vocabulary):,} "
        f"words). Building both: {built:.2f} s (once per process, off the event loop). "
        f"Seed {SEED}; limit 10. Target: under 20 ms per search.",
        "",
        "| queries | n | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|",
    ]
    for name, values in [*rows, ("all", every)]:
        lines.append(
            f"| {name} | {len(values)} | {_percentile(values, 0.5):.1f} | "
            f"{_percentile(values, 0.95):.1f} | {max(values):.1f} |"
        )
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
