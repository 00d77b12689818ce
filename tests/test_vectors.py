"""Vectors in memory: a text held by many files is held once, and the vectors a file's questions read stay
right while other files' vectors come and go."""

from __future__ import annotations

import numpy as np

from corpus.storage.vectors import _Pool


def _rows(texts: list[str], seed: int = 0) -> list[tuple]:
    rng = np.random.default_rng(seed)
    return [(f"hash-{t}", 0.01, rng.integers(-127, 127, 8, dtype=np.int8).tobytes()) for t in texts]


def test_files_holding_the_same_texts_share_their_vectors():
    pool = _Pool()
    first = _rows(["a", "b", "c"])
    a = pool.take(first)
    b = pool.take(first[:2] + _rows(["d"], seed=1))
    assert pool.in_use() == 4  # a, b, c, d: one copy each
    assert list(a[:2]) == list(b[:2])


def test_a_dropped_files_rows_are_reused_without_touching_the_others():
    pool = _Pool()
    kept_rows = _rows(["a", "b"])
    kept = pool.take(kept_rows)
    dropped = pool.take(_rows(["b", "x", "y"], seed=2)[1:] + [kept_rows[1]])
    pool.give_back(dropped)  # x and y go; b stays, the first file still uses it
    assert pool.in_use() == 2
    pool.take(_rows(["p", "q"], seed=3))  # takes the freed rows
    for row, (_, _, blob) in zip(kept, kept_rows):
        assert pool.vecs[row].tobytes() == blob


def test_a_text_given_back_and_taken_again_is_held_once_with_its_vector():
    pool = _Pool()
    rows = _rows(["a"])
    first = pool.take(rows)
    pool.give_back(first)  # queued, as from a garbage-collected matrix; settled by the next take
    again = pool.take(rows)
    assert pool.in_use() == 1
    assert pool.vecs[again[0]].tobytes() == rows[0][2]
