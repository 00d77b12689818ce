"""What one question can see: the asker's guild file (when the guild has added articles) and the shared
file. Every search stage reads through a `Visible`, so a guild's question never touches another guild's
file: isolation is where the data lives, not a filter each query must remember.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from typing import Callable

from ..reading.languages import DEFAULT, language
from ..reading.text import content_terms, index_text
from ..storage.store import Store
from .vocabulary import VisibleVocabulary, vocabulary_of

log = logging.getLogger("articlebot.semantic")


@dataclass
class Part:
    store: Store
    conn: sqlite3.Connection  # borrowed for the question's duration


class Visible:
    def __init__(self, parts: list[Part], *, query=None, model: str | Callable[[], str] = "",
                 cross_encoder=None) -> None:
        self.parts = parts
        self.cross_encoder = cross_encoder  # reads the question with its best passages (English), or None
        self._vocabulary: VisibleVocabulary | None = None
        self._query = query  # the question's sentence vector (or the Future making it), by meaning
        self._model = model  # ...and the model that made it (or what says it, once the Future is done)
        self._languages: list[str] | None = None

    @property
    def model(self) -> str:
        return self._model() if callable(self._model) else self._model

    @property
    def query_vector(self):
        if self._query is not None and hasattr(self._query, "result"):
            try:
                self._query = self._query.result()
            except Exception:  # the model failed on this question: answer it from the words alone
                log.exception("could not encode the question; answering from its words alone")
                self._query = None
        return self._query

    def matrix(self, part: Part):
        """The part's paragraph vectors made by the question's model, or None (none yet, or words only).
        Read while the question's vector is still being made when the model is known before it loads."""
        if self._query is None:
            return None
        model = self.model
        if not model:  # known only once the model is loaded: wait for it
            if self.query_vector is None:
                return None
            model = self.model
        from ..storage.vectors import matrix_of

        return matrix_of(part.store, part.conn, model)

    def vocabulary(self) -> VisibleVocabulary:
        if self._vocabulary is None:
            self._vocabulary = VisibleVocabulary([vocabulary_of(p.store, p.conn) for p in self.parts])
        return self._vocabulary

    def languages(self) -> list[str]:
        """The languages of the visible articles: a question is read in each of them."""
        if self._languages is None:
            found = set().union(*(p.store.languages(p.conn) for p in self.parts))
            self._languages = sorted(found) or [DEFAULT]
        return self._languages

    def stop_words(self, question: str) -> frozenset:
        """The stop words of the language a question is in, among the visible ones: the one whose stop words
        it uses most (all of those tied). "what did Blair say about the war" keeps "war", a German stop word,
        where English and German articles are visible; "¿qué ciudad es la capital?" drops "qué" and "la"."""
        codes = self.languages()
        if len(codes) == 1:
            return language(codes[0]).stop_words
        typed = content_terms(question, frozenset())
        hits = {code: sum(w in language(code).stop_words for w in typed) for code in codes}
        most = max(hits.values())
        return frozenset().union(*(language(code).stop_words for code in codes if hits[code] == most))

    def term(self, word: str) -> str:
        """A question word as an FTS5 query: as each visible language indexes it (its stem; pairs of
        characters in Chinese), the readings OR-ed. Always quoted: user text never reaches MATCH as syntax."""
        readings = [r for r in dict.fromkeys(index_text(word, code) for code in self.languages()) if r]
        if not readings:
            return fts_string(word)
        strings = [fts_string(r) for r in readings]
        return strings[0] if len(strings) == 1 else "(" + " OR ".join(strings) + ")"

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


def fts_string(text: str) -> str:
    """Text as an FTS5 string (a phrase when it holds several words), never as query syntax."""
    return '"' + text.replace('"', '""') + '"'
