"""The batch of every opening's top candidates gives the very scores of scoring everyone.

The batch scores each opening against only its related candidates, gathering the
candidates' rows (``scoring._cells``) instead of whole tables; on generated data every part
of every scored pair equals, bit for bit, the same pair scored among all candidates, and the
top lists are those of sorting every score.
"""

from __future__ import annotations

import numpy as np

from services.matching.domain.scoring import (
    OpeningBatch,
    Segment,
    Vocabulary,
    iter_parts,
    related_rows,
    score_block,
    top_candidates_per_opening,
)
from services.matching.settings import MatchingSettings
from tests.matching.test_scoring import _world

SETTINGS = MatchingSettings()


def test_scoring_some_rows_gives_exactly_their_scores_among_everyone() -> None:
    candidates, specs = _world(11, 1500, 30)
    skills, tokens = Vocabulary(), Vocabulary()
    segment = Segment(candidates, skills, tokens)
    batch = OpeningBatch(specs, skills, tokens)
    rng = np.random.default_rng(11)
    for j in range(len(specs)):
        column = np.array([j], dtype=np.int64)
        everyone = dict(iter_parts(segment, None, batch, column, SETTINGS))
        for rows in (related_rows(segment, batch, j), np.sort(rng.choice(1500, 40, False))):
            some = dict(iter_parts(segment, rows, batch, column, SETTINGS))
            for name, values in some.items():
                assert np.array_equal(values, everyone[name][rows]), name
    # Several openings at once (the dense path of the batch): the same rows' values.
    cols = np.arange(len(specs), dtype=np.int64)
    rows = np.sort(rng.choice(1500, 300, False))
    everyone = dict(iter_parts(segment, None, batch, cols, SETTINGS))
    for name, values in iter_parts(segment, rows, batch, cols, SETTINGS):
        assert np.allclose(values, everyone[name][rows], atol=1e-6), name


def test_every_openings_top_list_is_the_top_of_all_its_scores() -> None:
    candidates, specs = _world(12, 2500, 60)
    skills, tokens = Vocabulary(), Vocabulary()
    segment = Segment(candidates, skills, tokens)
    batch = OpeningBatch(specs, skills, tokens)
    best_rows, best_scores = top_candidates_per_opening(segment, batch, SETTINGS, 20)
    for j in range(len(specs)):
        block = score_block(
            segment, None, batch, np.array([j], dtype=np.int64), SETTINGS, keep_parts=False
        )
        total = np.where(block.excluded[:, 0], -np.inf, block.total[:, 0])
        total[segment.engaged | ~segment.alive] = -np.inf
        expected = np.sort(total)[::-1][:20]
        assert np.array_equal(best_scores[:, j], expected)
        found = best_rows[:, j][best_rows[:, j] >= 0]
        assert np.array_equal(total[found], expected[np.isfinite(expected)])
