"""Memory a bot in many servers holds: what one guild's file costs beside others holding the same words."""

from __future__ import annotations

import tracemalloc

from conftest import FIXTURES

from corpus import Corpus
from corpus.answering.vocabulary import vocabulary_of
from corpus.reading.ingest import document_from_path


def _held_by_vocabulary(corpus: Corpus, guild: int) -> tuple[int, object]:
    """Bytes newly held once the guild file's words are in memory (and the vocabulary, to keep it alive)."""
    store = corpus._guild_store(str(guild))
    with store.connection() as conn:
        before = tracemalloc.get_traced_memory()[0]
        vocabulary = vocabulary_of(store, conn)
        return tracemalloc.get_traced_memory()[0] - before, vocabulary


def test_guilds_that_added_the_same_articles_hold_each_word_once(tmp_path):
    """Fifty servers that added the same news hold fifty vocabularies: the words' strings are shared, so a
    vocabulary beyond the first costs its table only (at N = 50 on BBC: ~1.7 MB a file instead of 3)."""
    docs = [document_from_path(p) for p in sorted(FIXTURES.glob("bbc-*.txt"))]
    corpus = Corpus.open(tmp_path / "bot.db", load_samples=False)
    try:
        for guild in (1, 2, 3):
            for doc in docs:
                corpus.add(doc, guild_id=guild)
        tracemalloc.start()
        try:
            first, kept1 = _held_by_vocabulary(corpus, 1)
            second, kept2 = _held_by_vocabulary(corpus, 2)
            third, kept3 = _held_by_vocabulary(corpus, 3)
        finally:
            tracemalloc.stop()
        assert len(kept1.df) == len(kept2.df) == len(kept3.df) > 2000
        assert max(second, third) < 0.7 * first, (first, second, third)
    finally:
        corpus.close()
