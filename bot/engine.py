"""The engine, off the event loop. ``bot/`` calls the engine only through this class.

Three places, so that no kind of work waits behind another:

- questions and other reads run in their own thread pool (SQLite releases the GIL while it searches);
- reading an added article (decoding, Markdown and HTML parsing) runs in worker processes
  (:mod:`bot.workers`): it handles text anyone who can add an article controls, and a slow regex or
  parser holds the GIL, which in a thread would freeze the event loop. Each job has a time limit after
  which its process is killed. Fetching a URL's page only waits on the network, so it runs in threads
  of its own (:mod:`bot.fetching`), and the page is then parsed in a worker like a file. Both serve
  waiting adds server by server in turn (:mod:`bot.fair`);
- storing (``corpus.add``), removing and purging run in a small writer thread pool (SQLite takes one
  writer at a time anyway).

``corpus.Corpus`` is safe to share across threads (one connection per thread, writes serialized), so
one instance serves the whole bot.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional

from corpus import Corpus
from corpus.feeds.parse import read_feed
from corpus.reading import ingest
from corpus.storage import feedback

from . import titles
from .fetching import PageFetcher
from .vectors import VectorWorker
from .workers import ReaderPool

READ_THREADS = min(32, (os.cpu_count() or 1) + 4)  # questions, lists, autocomplete
WRITE_THREADS = 2  # adds' database writes, removals, purges
READER_WORKERS = 3  # processes reading added articles at once, across all servers
READER_MAX_WAITING = 16  # adds waiting for a reader beyond which a server with one waiting already is refused
FETCHES_AT_ONCE = 32  # URL fetches under way at once, across all servers (a thread and up to 5 MB each)
FETCH_MAX_WAITING = 64  # fetches waiting beyond those before a server with one waiting already is refused
READ_SECONDS = 30.0  # time limit for extracting one file, pasted text or fetched page


class Engine:
    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self._reads = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="articlebot-read")
        self._writes = ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="articlebot-write")
        self.readers = ReaderPool(READER_WORKERS, max_waiting=READER_MAX_WAITING)
        self.fetcher = PageFetcher(FETCHES_AT_ONCE, max_waiting=FETCH_MAX_WAITING)
        self.vectors = VectorWorker(str(corpus.path))  # sentence vectors, filled in after each add

    @classmethod
    async def open(cls, path: Optional[str] = None) -> "Engine":
        corpus = await asyncio.to_thread(Corpus.open, path)
        # The model that encodes questions is loaded now, before the bot takes its first interaction:
        # loading holds the GIL for seconds, which later would stop the event loop.
        await asyncio.to_thread(corpus.semantic.encoder)
        await asyncio.to_thread(corpus.semantic.cross_encoder)  # and the cross-encoder, for the same reason
        engine = cls(corpus)
        if corpus.semantic.encoder() is not None:
            engine.vectors.start()
        return engine

    async def close(self) -> None:
        await asyncio.to_thread(self.vectors.stop)
        self.readers.close()
        self.fetcher.close()
        await asyncio.to_thread(self._reads.shutdown)
        await asyncio.to_thread(self._writes.shutdown)
        await asyncio.to_thread(self.corpus.close)

    async def _run(self, fn, /, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._reads, lambda: fn(*args, **kwargs))

    async def _write(self, fn, /, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._writes, lambda: fn(*args, **kwargs))

    # -- asking

    async def ask(self, question: str, *, guild_id: Optional[int], limit: int, offset: int = 0,
                  article_id: Optional[int] = None):
        return await self._run(self.corpus.ask, question, guild_id=guild_id, limit=limit, offset=offset,
                               article_id=article_id)

    async def context(self, article_id: int, paragraph: int, *, guild_id: Optional[int], radius: int = 1):
        return await self._run(self.corpus.context, article_id, paragraph, guild_id=guild_id, radius=radius)

    async def suggest_titles(self, text: str, *, guild_id: Optional[int], limit: int = 3):
        return await self._run(self.corpus.suggest_titles, text, guild_id=guild_id, limit=limit)

    async def match_title(self, text: str, *, guild_id: Optional[int]) -> titles.TitleMatch:
        """The article a title typed by hand names, or the close titles (:mod:`bot.titles`)."""
        return await self._run(lambda: titles.match(self.corpus.articles(guild_id, limit=titles.MAX_TITLES), text))

    async def count_articles(self, guild_id: Optional[int]) -> int:
        return await self._run(self.corpus.count_articles, guild_id)

    # -- articles

    async def articles(self, guild_id: Optional[int], *, limit: Optional[int] = None, offset: int = 0):
        return await self._run(self.corpus.articles, guild_id, limit=limit, offset=offset)

    async def article(self, article_id: int, *, guild_id: Optional[int]):
        return await self._run(self.corpus.article, article_id, guild_id=guild_id)

    async def paragraphs(self, article_id: int, *, guild_id: Optional[int]) -> list[str]:
        return await self._run(self.corpus.paragraphs, article_id, guild_id=guild_id)

    async def remove(self, article_id: int, *, guild_id: Optional[int]) -> bool:
        return await self._write(self.corpus.remove, article_id, guild_id=guild_id)

    async def purge_guild(self, guild_id: int) -> int:
        """Remove every article the guild added (shared articles stay); returns how many."""
        return await self._write(self.corpus.purge_guild, guild_id)

    async def record_vote(self, guild_id: Optional[int], question: str, passages, vote: str) -> None:
        """A 👍 or 👎 on an answer, counted in the guild's own file (:mod:`corpus.storage.feedback`)."""
        await self._write(feedback.record, self.corpus, guild_id, question, passages, vote)

    async def stats(self, guild_id: Optional[int]) -> dict:
        return await self._run(self.corpus.stats, guild_id)

    # -- adding: read the source in a worker process, then store it from a writer thread

    async def add_bytes(self, data: bytes, filename: str, *, guild_id: Optional[int], added_by: Optional[str]):
        doc = await self.readers.run_for(guild_id, READ_SECONDS, ingest.document_from_bytes, data, filename)
        return await self._store(doc, guild_id=guild_id, added_by=added_by)

    async def add_text(self, text: str, *, title: Optional[str], guild_id: Optional[int], added_by: Optional[str]):
        doc = await self.readers.run_for(guild_id, READ_SECONDS, ingest.document_from_text, text, title=title)
        return await self._store(doc, guild_id=guild_id, added_by=added_by)

    async def add_url(self, url: str, *, guild_id: Optional[int], added_by: Optional[str]):
        doc = await self.read_page(url, guild_id=guild_id)
        return await self._store(doc, guild_id=guild_id, added_by=added_by)

    async def read_page(self, url: str, *, guild_id: Optional[int] = None):
        """A web page's article (``/article add url``, feed entries): fetched in a thread (network waits need
        no process, :mod:`bot.fetching`), then read in a worker process, each in the guild's turn."""
        page = await self.fetcher.fetch(guild_id, url)
        return await self.readers.run_for(guild_id, READ_SECONDS, ingest.document_from_page, page)

    async def read_feed(self, body: bytes, url: str, content_type: Optional[str]):
        """A feed's bytes parsed in a worker process: feed XML is untrusted (corpus/feeds/parse.py)."""
        return await self.readers.run(READ_SECONDS, read_feed, body, url, content_type)

    async def store_document(self, doc, *, guild_id, added_by: Optional[str]):
        return await self._store(doc, guild_id=guild_id, added_by=added_by)

    async def write(self, fn, /, *args: Any, **kwargs: Any) -> Any:
        """Blocking database work on the writer threads (the feed scheduler's bookkeeping)."""
        return await self._write(fn, *args, **kwargs)

    async def _store(self, doc, *, guild_id: Optional[int], added_by: Optional[str]):
        result = await self._write(self.corpus.add, doc, guild_id=guild_id, added_by=added_by)
        if result.status == "added":
            self.vectors.schedule(guild_id)
        return result
