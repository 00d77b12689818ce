"""The words a question can be corrected to, and how rare each is: from the scopes the asker sees, only.

Each database file (one scope) keeps its words with paragraph frequencies in its `words` table; a
`Vocabulary` is that table in memory, cached per file and reloaded when the file's generation moves. A
guild's question reads `VisibleVocabulary`, the guild's and the shared scope's together: no other
guild's word can be suggested, counted or weighed, because no other guild's file is read.
"""

from __future__ import annotations

import math
import re
import sys
import threading
import time

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from ..reading.text import STOP_WORDS, unspaced

VOCAB_REFRESH_SECONDS = 5.0
# "borrusia" and "borussia" are one word once every doubled letter is single.
_UNDOUBLE_RE = re.compile(r"(.)\1+")
_reload_lock = threading.Lock()


class Vocabulary:
    """One scope's words with paragraph frequencies."""

    def __init__(self) -> None:
        self.df: dict[str, int] = {}
        self.by_length: dict[int, list[str]] = {}
        self.total = 0
        self.generation = -1
        self.loaded_at = 0.0

    def load(self, conn, generation: int) -> "Vocabulary":
        # Interned: a word many files hold (the same article in fifty guilds) is one string in memory.
        df = {sys.intern(word): n for word, n in conn.execute("SELECT word, df FROM words WHERE df > 0")}
        by_length: dict[int, list[str]] = {}
        for word in df:
            by_length.setdefault(len(word), []).append(word)
        self.df, self.by_length = df, by_length
        self.total = conn.execute("SELECT count(*) FROM paragraphs").fetchone()[0]
        self.generation, self.loaded_at = generation, time.monotonic()
        return self


def vocabulary_of(store, conn) -> Vocabulary:
    """The store's vocabulary, reloaded after writes (at most every few seconds once it is large, so a
    bulk import does not reload it for every article)."""
    generation = store.generation(conn)
    v = store.vocabulary_cache
    if v is None or v.generation != generation:
        if v is None or time.monotonic() - v.loaded_at > VOCAB_REFRESH_SECONDS or v.total < 5000:
            with _reload_lock:
                v = store.vocabulary_cache
                if v is None or v.generation != generation:
                    v = store.vocabulary_cache = Vocabulary().load(conn, generation)
    return v


class _Frequencies:
    """Paragraph frequencies summed over the visible scopes, read like a dict."""

    def __init__(self, parts: list[dict[str, int]]) -> None:
        self.parts = parts

    def get(self, word: str, default: int = 0) -> int:
        found = [p[word] for p in self.parts if word in p]
        return sum(found) if found else default

    def __contains__(self, word: str) -> bool:
        return any(word in p for p in self.parts)


class VisibleVocabulary:
    """The vocabularies of the scopes one question can see, as one."""

    def __init__(self, parts: list[Vocabulary]) -> None:
        self.parts = parts
        self.df = parts[0].df if len(parts) == 1 else _Frequencies([p.df for p in parts])
        self.total = max(sum(p.total for p in parts), 1)

    def idf(self, word: str) -> float:
        n = self.df.get(word, 0)
        return math.log(1 + (self.total - n + 0.5) / (n + 0.5))

    def _pool(self, length: int) -> list[str]:
        words: list[str] = []
        for low in range(length - 2, length + 3):
            for part in self.parts:
                words.extend(part.by_length.get(low, ()))
        return list(dict.fromkeys(words)) if len(self.parts) > 1 else words

    def corrections(self, word: str) -> list[str]:
        """Visible words close to an unknown `word`, best first; the first few may be equally close."""
        if len(word) < 3 or word.isdigit() or unspaced(word):
            return []  # a pair of Chinese or Thai characters has no slip to correct
        pool = self._pool(len(word))
        if len(word) < 4:  # too short for a slip to be told from another word, but for a missed double letter
            return [w for w in self._doubled(word, pool) if len(w) > len(word)]
        # Chat typos are one slip a word: one edit ("englnd", "kolokolsev"; "subprime" is not
        # "surprise"), two in long words ("distrubution"), three in very long ones.
        max_edits = 1 if len(word) <= 10 else 2 if len(word) <= 14 else 3
        hits = process.extract(word, pool, scorer=OSA.distance, score_cutoff=max_edits, limit=12)
        hits = [h for h in hits if h[0] not in STOP_WORDS]  # "hass" is Haas, never "has"
        # Fewest edits; then the same first letter (slips are rarely there: "hass" is "haas", not
        # "ass"); then two letters swapped, the commonest slip ("wieght" is "weight", not "wight"); then the
        # closest shape ("frye" is "fry" rather than "free"); then the commoner.
        hits.sort(key=lambda h: (h[1], h[0][:1] != word[:1], sorted(h[0]) != sorted(word),
                                 -fuzz.ratio(word, h[0]), -self.df.get(h[0], 0)))
        return [h[0] for h in hits] or self._doubled(word, pool)

    def sounding_like(self, word: str, sound) -> list[str]:
        """Visible words two slips at most from `word`, with its first letter and its `sound(word)`: how a
        name is misspelt by ear ("blare" for Blair). Fewest slips first."""
        key = sound(word)
        found = [w for w in self._pool(len(word)) if w[:1] == word[:1] and w != word and w not in STOP_WORDS
                 and sound(w) == key]
        return sorted((w for w in found if OSA.distance(word, w) <= 2), key=lambda w: OSA.distance(word, w))

    def _doubled(self, word: str, pool: list[str]) -> list[str]:
        """Words that differ from `word` only in doubled letters: "debra hil" is Hill, "borrusia" Borussia
        (two edits, but one slip of the typing hand)."""
        single = _UNDOUBLE_RE.sub(r"\1", word)
        found = [w for w in pool if w != word and w not in STOP_WORDS and w[:1] == word[:1]
                 and _UNDOUBLE_RE.sub(r"\1", w) == single]
        return sorted(found, key=lambda w: -self.df.get(w, 0))

    @staticmethod
    def tied(word: str, candidates: list[str]) -> list[str]:
        """The candidates as close to `word` as the first one: only the question's context can choose."""
        def key(c: str) -> tuple:
            return OSA.distance(word, c), c[:1] != word[:1]
        return [c for c in candidates if key(c) == key(candidates[0])]
