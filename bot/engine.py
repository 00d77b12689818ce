"""The engine, off the event loop: every call runs in a worker thread (``asyncio.to_thread``).

SQLite queries and article extraction can take from milliseconds to seconds; on the event loop they would
delay gateway heartbeats and the 3-second interaction acknowledgements. ``corpus.Corpus`` is safe to share
across threads (one connection per thread, writes serialized), so one instance serves the whole bot.
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional

from corpus import Corpus, ingest


class Engine:
    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus

    @classmethod
    async def open(cls, path: Optional[str] = None) -> "Engine":
        return cls(await asyncio.to_thread(Corpus.open, path))

    async def close(self) -> None:
        await asyncio.to_thread(self.corpus.close)

    async def _run(self, fn, /, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(fn, *args, **kwargs)

    # -- asking

    async def ask(self, question: str, *, guild_id: Optional[int], limit: int, offset: int = 0,
                  article_id: Optional[int] = None):
        return await self._run(self.corpus.ask, question, guild_id=guild_id, limit=limit, offset=offset,
                               article_id=article_id)

    async def context(self, article_id: int, paragraph: int, *, guild_id: Optional[int], radius: int = 1):
        return await self._run(self.corpus.context, article_id, paragraph, guild_id=guild_id, radius=radius)

    async def suggest_titles(self, text: str, *, guild_id: Optional[int], limit: int = 3):
        return await self._run(self.corpus.suggest_titles, text, guild_id=guild_id, limit=limit)

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
        return await self._run(self.corpus.remove, article_id, guild_id=guild_id)

    async def purge_guild(self, guild_id: int) -> int:
        """Remove every article the guild added (shared articles stay); returns how many."""
        return await self._run(self.corpus.purge_guild, guild_id)

    async def stats(self, guild_id: Optional[int]) -> dict:
        return await self._run(self.corpus.stats, guild_id)

    # -- adding (extraction and storage together, in one worker thread)

    async def add_bytes(self, data: bytes, filename: str, *, guild_id: Optional[int], added_by: Optional[str]):
        def work():
            doc = ingest.document_from_bytes(data, filename)
            return self.corpus.add(doc, guild_id=guild_id, added_by=added_by)

        return await self._run(work)

    async def add_text(self, text: str, *, title: Optional[str], guild_id: Optional[int], added_by: Optional[str]):
        def work():
            doc = ingest.document_from_text(text, title=title)
            return self.corpus.add(doc, guild_id=guild_id, added_by=added_by)

        return await self._run(work)

    async def add_url(self, url: str, *, guild_id: Optional[int], added_by: Optional[str]):
        def work():
            doc = ingest.document_from_url(url)
            return self.corpus.add(doc, guild_id=guild_id, added_by=added_by)

        return await self._run(work)
