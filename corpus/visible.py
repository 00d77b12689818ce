"""What one question can see: the asker's guild file (when the guild has added articles) and the shared
file. Every search stage reads through a `Visible`, so a guild's question never touches another guild's
file: isolation is where the data lives, not a filter each query must remember.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .store import Store
from .vocabulary import VisibleVocabulary, vocabulary_of


@dataclass
class Part:
    store: Store
    conn: sqlite3.Connection  # borrowed for the question's duration


class Visible:
    def __init__(self, parts: list[Part], *, query=None, model: str = "") -> None:
        self.parts = parts
        self._vocabulary: VisibleVocabulary | None = None
        self._query = query  # the question's sentence vector (or the Future making it), by meaning
        self.model = model   # ...and the model that made it

    @property
    def query_vector(self):
        if self._query is not None and hasattr(self._query, "result"):
            self._query = self._query.result()
        return self._query

    def matrix(self, part: Part):
        """The part's paragraph vectors made by the question's model, or None (none yet, or words only)."""
        if self.query_vector is None:
            return None
        from .vectors import matrix_of

        return matrix_of(part.store, part.conn, self.model)

    def vocabulary(self) -> VisibleVocabulary:
        if self._vocabulary is None:
            self._vocabulary = VisibleVocabulary([vocabulary_of(p.store, p.conn) for p in self.parts])
        return self._vocabulary

    def matches(self, match: str, cap: int) -> int:
        """Paragraphs (up to `cap`) an FTS5 query finds: it stops at `cap`, so it costs the same in any corpus."""
        found = 0
        for part in self.parts:
            found += part.conn.execute(
                "SELECT count(*) FROM (SELECT 1 FROM paragraphs_fts WHERE paragraphs_fts MATCH ? LIMIT ?)",
                (match, cap - found)).fetchone()[0]
            if found >= cap:
                break
        return found

    def part_of(self, article_id: int) -> Part | None:
        """The file an article id lives in (guild ids are numbered above the shared ones)."""
        for part in self.parts:
            if part.store.owns(article_id):
                return part
        return None
