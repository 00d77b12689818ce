"""Filling in paragraph vectors after the text is stored: text is searchable lexically the moment it is
added; its vectors follow (at the end of `articlebot ingest`, by `articlebot embed`, or the bot's
background worker), and a paragraph without one is simply ranked without it.

A text already embedded (the same article in fifty guilds, or in the shared scope) is not encoded again:
its vector is reused from a bounded in-memory cache keyed by the text's hash, or from the same file.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

import numpy as np

from ..storage import vectors

BATCH = 32                 # paragraphs encoded and written at a time
REUSE_CACHE = 100_000      # vectors kept for reuse by text hash (~40 MB)


class Embedder:
    def __init__(self, encoder, *, model: str, batch: int = BATCH) -> None:
        self.encoder = encoder
        self.model = model  # name@version, stored with the vectors
        self.batch = batch
        self._reuse: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._lock = threading.Lock()  # one fill at a time: encoding already uses the cores it is given
        self.encoded = 0               # paragraphs actually encoded (the rest were reused)

    def prepare(self, store) -> None:
        """Give the file its vectors table; drop vectors another model made (they are made again)."""
        with store.connection() as conn:  # read first: a file already prepared takes no write lock
            if vectors.has_schema(conn) and vectors.stored_model(conn) == self.model:
                return
        with store._write() as conn:
            vectors.claim_for_model(conn, self.model)

    def pending(self, store) -> int:
        with store.connection() as conn:
            if not vectors.has_schema(conn) or vectors.stored_model(conn) != self.model:
                return conn.execute("SELECT count(*) FROM paragraphs").fetchone()[0]
            return conn.execute("SELECT count(*) FROM paragraphs p WHERE NOT EXISTS "
                                "(SELECT 1 FROM embeddings e WHERE e.paragraph_id = p.id)").fetchone()[0]

    def fill(self, store, *, progress: Callable[[int], None] | None = None,
             should_stop: Callable[[], bool] | None = None) -> int:
        """Embed every paragraph of the file that has no vector; returns how many were stored."""
        stored = 0
        while not (should_stop and should_stop()):
            done = self.fill_batch(store)
            if not done:
                break
            stored += done
            if progress:
                progress(done)
        return stored

    def fill_batch(self, store) -> int:
        """Embed one batch of the file's paragraphs that have no vector; returns how many were stored (0:
        none was missing). The bot's worker takes one batch from each file with work in turn."""
        with self._lock:
            self.prepare(store)
            with store.connection() as conn:
                rows = conn.execute(
                    "SELECT p.id, p.text FROM paragraphs p WHERE NOT EXISTS "
                    "(SELECT 1 FROM embeddings e WHERE e.paragraph_id = p.id) ORDER BY p.id LIMIT ?",
                    (self.batch,)).fetchall()
                if not rows:
                    return 0
                found = self._vectors_for(conn, [text for _, text in rows])
            with store._write() as conn:
                live = {r[0] for r in conn.execute(
                    f"SELECT id FROM paragraphs WHERE id IN ({','.join('?' * len(rows))})", [r[0] for r in rows])}
                conn.executemany(
                    "INSERT OR REPLACE INTO embeddings (paragraph_id, text_hash, scale, vec) VALUES (?, ?, ?, ?)",
                    [(pid, h, scale, vec) for (pid, _), (h, vec, scale) in zip(rows, found) if pid in live])
                conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'embedding_generation'")
            return len(rows)

    def _vectors_for(self, conn, texts: list[str]) -> list[tuple[str, bytes, float]]:
        hashes = [vectors.text_hash(t) for t in texts]
        known: dict[str, tuple[bytes, float]] = {}
        for h in hashes:
            if h in self._reuse:
                known[h] = self._reuse[h]
            else:
                row = conn.execute("SELECT vec, scale FROM embeddings WHERE text_hash = ? LIMIT 1", (h,)).fetchone()
                if row:
                    known[h] = (row[0], row[1])
        missing = [i for i, h in enumerate(hashes) if h not in known]
        if missing:
            encoded = self.encoder.encode_passages([texts[i] for i in missing])
            q, scales = vectors.quantize(np.asarray(encoded, dtype=np.float32))
            self.encoded += len(missing)
            for row, i in enumerate(missing):
                known[hashes[i]] = (q[row].tobytes(), float(scales[row]))
        for h in hashes:
            self._remember(h, known[h])
        return [(h, *known[h]) for h in hashes]

    def _remember(self, h: str, value: tuple[bytes, float]) -> None:
        self._reuse[h] = value
        self._reuse.move_to_end(h)
        while len(self._reuse) > REUSE_CACHE:
            self._reuse.popitem(last=False)
