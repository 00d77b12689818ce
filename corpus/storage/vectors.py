"""Paragraph vectors in each scope's own file, and the nearest paragraphs to a question.

A vector is stored as int8 with a per-vector scale (384 bytes a paragraph; int8 changed top-1 on 2 of
1,500 SQuAD questions), keyed by the paragraph and by a hash of its text, so that a text held by many
guilds is embedded once (see corpus.sentence_model.embedding). The file records which model made its vectors: vectors
of another model are dropped and made again. In memory, a file's vectors are one int8 matrix, loaded on
first use and reloaded when the file's vectors change.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import deque
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


def claim_for_model(conn: sqlite3.Connection, model: str) -> None:
    """Make the file's vectors `model`'s: the table made if missing, another model's vectors dropped (they
    are made again). Inside the caller's write transaction."""
    ensure_schema(conn)
    if stored_model(conn) != model:
        conn.execute("DELETE FROM embeddings")
        conn.execute("UPDATE meta SET value = ? WHERE key = 'embedding_model'", (model,))
        conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'embedding_generation'")


def adopt(store, model: str, by_hash: dict[str, tuple[float, bytes]]) -> int:
    """Store vectors that `model` made elsewhere (a bundled sample's, keyed by text hash) for the file's
    paragraphs whose text they were made from; returns how many paragraphs got one."""
    with store._write() as conn:
        claim_for_model(conn, model)
        rows = [(pid, h, *by_hash[h]) for pid, text in conn.execute("SELECT id, text FROM paragraphs")
                if (h := text_hash(text)) in by_hash]
        conn.executemany("INSERT OR REPLACE INTO embeddings (paragraph_id, text_hash, scale, vec) "
                         "VALUES (?, ?, ?, ?)", rows)
        conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'embedding_generation'")
    return len(rows)


def counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """Paragraphs with a vector, and all paragraphs, in this file."""
    total = conn.execute("SELECT count(*) FROM paragraphs").fetchone()[0]
    done = conn.execute("SELECT count(*) FROM embeddings").fetchone()[0] if has_schema(conn) else 0
    return done, total


class _Pool:
    """Each distinct vector in memory once, however many files hold its text: fifty guilds that added the
    same article cost the memory of one (keyed by the text's hash, one pool a model). A row is counted by
    the matrices that use it and given back when the last of them is dropped."""

    def __init__(self) -> None:
        import numpy as np

        self.lock = threading.Lock()
        self.vecs = np.zeros((0, 0), dtype=np.int8)
        self.scales = np.zeros(0, dtype=np.float32)
        self.refs = np.zeros(0, dtype=np.int64)
        self.row_of: dict[str, int] = {}
        self.hash_of: list[str] = []
        self.free: list[int] = []
        self.returned: deque = deque()  # rows of dropped matrices, not yet settled

    def take(self, rows: list[tuple]) -> "np.ndarray":
        """Pool rows for (text hash, scale, vec) rows; each is counted until `give_back`."""
        import numpy as np

        out = np.empty(len(rows), dtype=np.int64)
        with self.lock:
            self._settle()
            for i, (h, scale, blob) in enumerate(rows):
                row = self.row_of.get(h)
                if row is None:
                    row = self._new_row(len(blob))
                    self.vecs[row] = np.frombuffer(blob, dtype=np.int8)
                    self.scales[row] = scale
                    self.row_of[h] = row
                    self.hash_of[row] = h
                out[i] = row
            np.add.at(self.refs, out, 1)
        return out

    def give_back(self, rows: "np.ndarray") -> None:
        """Called as a matrix is dropped, which the garbage collector may do anywhere, even inside `take`
        on this thread: the rows wait in a queue, settled under the lock by the next `take`."""
        self.returned.append(rows)

    def _settle(self) -> None:
        import numpy as np

        while self.returned:
            rows = self.returned.popleft()
            np.subtract.at(self.refs, rows, 1)
            for row in np.unique(rows[self.refs[rows] == 0]):
                del self.row_of[self.hash_of[row]]
                self.free.append(int(row))

    def _new_row(self, dim: int) -> int:
        import numpy as np

        if self.free:
            return self.free.pop()
        row = len(self.hash_of)
        if row == len(self.vecs):  # grown by half into new arrays: a reader keeps the arrays it started with
            size = max(1024, row + row // 2)
            vecs = np.zeros((size, dim), dtype=np.int8)
            if row:
                vecs[:row] = self.vecs[:row]
            self.vecs = vecs
            self.scales = np.concatenate([self.scales, np.zeros(size - row, dtype=np.float32)])
            self.refs = np.concatenate([self.refs, np.zeros(size - row, dtype=np.int64)])
        self.hash_of.append("")
        return row

    def in_use(self) -> int:
        """Distinct vectors held."""
        with self.lock:
            self._settle()
            return len(self.row_of)


_pools: dict[str, _Pool] = {}
_pools_lock = threading.Lock()


def pool_of(model: str) -> _Pool:
    with _pools_lock:
        return _pools.setdefault(model, _Pool())


class Matrix:
    """One file's vectors in memory: rows of its model's pool, in paragraph id order."""

    def __init__(self, ids: "np.ndarray", rows: "np.ndarray", pool: _Pool, generation: int, model: str) -> None:
        self.ids, self.rows, self.pool = ids, rows, pool
        self.generation, self.model = generation, model

    def __del__(self) -> None:  # no question reads it any more: its rows may go
        self.pool.give_back(self.rows)

    def similarities(self, query: np.ndarray) -> "Similarities":
        """The cosine of every paragraph of the file to the question, computed once a question."""
        import numpy as np

        # The pool's arrays as they are now: rows in use are never moved or rewritten, and a grown pool
        # is new arrays, so a file loaded beside this question changes nothing it reads.
        vecs, scales = self.pool.vecs, self.pool.scales
        # einsum over the int8 rows directly: no float copy of the matrix, and no BLAS call (an OpenBLAS
        # tuned for another core can be 20x slower on a matrix-vector product than this loop).
        sims = np.empty(len(self.ids), dtype=np.float32)
        for start in range(0, len(self.ids), _CHUNK):  # a block of rows at a time, kept in cache
            rows = self.rows[start:start + _CHUNK]
            sims[start:start + _CHUNK] = np.einsum("ij,j->i", vecs[rows], query, dtype=np.float32)
        sims *= scales[self.rows]
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
            rows = conn.execute("SELECT paragraph_id, text_hash, scale, vec FROM embeddings "
                                "ORDER BY paragraph_id").fetchall()
            pool = pool_of(model)
            m = store.matrix_cache = Matrix(np.array([r[0] for r in rows], dtype=np.int64),
                                            pool.take([r[1:] for r in rows]), pool, generation, model)
    return m
