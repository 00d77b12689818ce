"""Paragraph vectors in each scope's own file, and the nearest paragraphs to a question.

A vector is stored as int8 with a per-vector scale (384 bytes a paragraph; int8 changed top-1 on 2 of
1,500 SQuAD questions), keyed by the paragraph and by a hash of its text, so that a text held by many
guilds is embedded once (see corpus.embedding). The file records which model made its vectors: vectors
of another model are dropped and made again. In memory, a file's vectors are one int8 matrix, loaded on
first use and reloaded when the file's vectors change.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


NEAREST = 20          # paragraphs by cosine per visible file, beside the FTS5 candidates
_CHUNK = 2048         # rows multiplied at a time

SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    paragraph_id INTEGER PRIMARY KEY REFERENCES paragraphs(id) ON DELETE CASCADE,
    text_hash TEXT NOT NULL, scale REAL NOT NULL, vec BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS embeddings_hash ON embeddings(text_hash);
INSERT OR IGNORE INTO meta VALUES ('embedding_model', '');
INSERT OR IGNORE INTO meta VALUES ('embedding_generation', '0');
"""


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def quantize(vectors: "np.ndarray") -> tuple["np.ndarray", "np.ndarray"]:
    """float32 rows -> int8 rows and one scale a row (the row's largest magnitude maps to 127)."""
    import numpy as np

    scales = np.abs(vectors).max(axis=1) / 127.0
    scales[scales == 0] = 1.0
    return np.round(vectors / scales[:, None]).astype(np.int8), scales.astype(np.float32)


def ensure_schema(conn: sqlite3.Connection) -> None:
    for statement in SCHEMA.strip().split(";"):
        if statement.strip():
            conn.execute(statement)


def has_schema(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'embeddings'").fetchone() is not None


def vector_generation(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'embedding_generation'").fetchone()
    return int(row[0]) if row else 0


def stored_model(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = 'embedding_model'").fetchone()
    return row[0] if row else ""


def counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """Paragraphs with a vector, and all paragraphs, in this file."""
    total = conn.execute("SELECT count(*) FROM paragraphs").fetchone()[0]
    done = conn.execute("SELECT count(*) FROM embeddings").fetchone()[0] if has_schema(conn) else 0
    return done, total


@dataclass
class Matrix:
    """One file's vectors in memory."""
    ids: "np.ndarray"     # paragraph ids
    vecs: np.ndarray      # int8, rows x dim
    scales: np.ndarray    # float32
    generation: int
    model: str

    def similarities(self, query: np.ndarray) -> "Similarities":
        """The cosine of every paragraph of the file to the question, computed once a question."""
        import numpy as np

        # einsum over the int8 rows directly: no float copy of the matrix, and no BLAS call (an OpenBLAS
        # tuned for another core can be 20x slower on a matrix-vector product than this loop).
        sims = np.empty(len(self.ids), dtype=np.float32)
        for start in range(0, len(self.ids), _CHUNK):  # a float copy of a block at a time, kept in cache
            sims[start:start + _CHUNK] = np.einsum("ij,j->i", self.vecs[start:start + _CHUNK], query,
                                                   dtype=np.float32)
        sims *= self.scales
        return Similarities(self, sims)


@dataclass
class Similarities:
    """A question's cosines to one file's paragraphs."""
    matrix: Matrix
    sims: "np.ndarray"

    def nearest(self, k: int = NEAREST, among: set[int] | None = None) -> dict[int, float]:
        """Cosine of the `k` nearest paragraphs ({paragraph id: cosine}); `among` limits to those ids."""
        import numpy as np

        ids, sims = self.matrix.ids, self.sims
        if not len(ids):
            return {}
        if among is not None:
            mask = np.isin(ids, np.fromiter(among, dtype=np.int64, count=len(among)))
            sims = np.where(mask, sims, -np.inf)
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        return {int(ids[i]): float(sims[i]) for i in top if np.isfinite(sims[i])}

    def cosines(self, pids: list[int]) -> dict[int, float]:
        """Cosine of given paragraphs (those that have a vector)."""
        import numpy as np

        ids = self.matrix.ids
        rows = np.searchsorted(ids, pids)  # ids are sorted (loaded in paragraph order)
        return {int(p): float(self.sims[r]) for p, r in zip(pids, rows) if r < len(ids) and ids[r] == p}


_load_lock = threading.Lock()


def matrix_of(store, conn: sqlite3.Connection, model: str) -> Matrix | None:
    """The store's vectors made by `model`, cached on the store, reloaded after they change."""
    import numpy as np

    if not has_schema(conn) or stored_model(conn) != model:
        return None
    generation = vector_generation(conn)
    m = store.matrix_cache
    if m is not None and m.generation == generation and m.model == model:
        return m
    with _load_lock:
        m = store.matrix_cache
        if m is None or m.generation != generation or m.model != model:
            rows = conn.execute("SELECT paragraph_id, scale, vec FROM embeddings ORDER BY paragraph_id").fetchall()
            dim = len(rows[0][2]) if rows else 0
            vecs = (np.frombuffer(b"".join(r[2] for r in rows), dtype=np.int8).reshape(len(rows), dim)
                    if rows else np.zeros((0, 0), dtype=np.int8))
            m = store.matrix_cache = Matrix(np.array([r[0] for r in rows], dtype=np.int64), vecs,
                                            np.array([r[1] for r in rows], dtype=np.float32), generation, model)
    return m
