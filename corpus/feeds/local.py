"""Where the command line's feed work runs (corpus.feeds.poll.Runner): fetches and page reads in threads
of this process, as ``articlebot ingest URL`` reads a page; feeds parsed here too, once their DOCTYPE is
gone (corpus/feeds/parse.py). The bot runs the same steps in its worker processes (bot/feeds.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from ..reading.ingest import document_from_url
from .fetching import fetch_feed
from .parse import read_feed


class LocalRunner:
    def __init__(self, corpus) -> None:
        self.corpus = corpus
        self.added = 0  # articles stored, so the command knows whether to embed

    async def fetch(self, url: str, headers: dict[str, str]):
        return await asyncio.to_thread(fetch_feed, url, headers)

    async def parse(self, body: bytes, url: str, content_type: str | None):
        return await asyncio.to_thread(read_feed, body, url, content_type)

    async def read_page(self, url: str):
        return await asyncio.to_thread(document_from_url, url)

    async def store_article(self, doc, guild_id: str | None, added_by: str):
        result = await asyncio.to_thread(self.corpus.add, doc, guild_id=guild_id, added_by=added_by)
        self.added += result.status == "added"
        return result

    async def call(self, fn, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(fn, *args, **kwargs)
