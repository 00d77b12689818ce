"""The bot's feed scheduler: a task on the event loop that only waits and hands work out.

Every :data:`TICK_SECONDS` it checks the feeds that are due, in the files of this process's servers (and,
in the process running shard 0, the shared file's, so no two processes check a shared feed). Nothing runs
on the event loop itself: fetches go to the scheduler's own thread pool, parsing feed XML and reading
entry pages to the reader worker processes (at most :data:`READER_JOBS` of their slots at a time, so
an admin's ``/article add`` always finds one free), database work to the engine's writer threads.
When each file is next due is kept in memory, so a tick with nothing due costs nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Optional

from corpus.feeds import records
from corpus.feeds.fetching import fetch_feed
from corpus.feeds.poll import AddedFeed, PollResult, Poller
from corpus.feeds.schedule import Timing
from corpus.storage.store import SHARED_SCOPE

if TYPE_CHECKING:
    from .engine import Engine

log = logging.getLogger("articlebot.feeds")

FETCH_THREADS = 4        # feed and page fetches in flight at once (each host still one at a time)
READER_JOBS = 2          # reader worker slots feeds may use at once, of bot.engine.READER_WORKERS (3): one
                         # is always left for /article add
TICK_SECONDS = 5.0
RESCAN_SECONDS = 300.0   # every file's next due time read again (feeds added by `articlebot feed add`)

Announce = Callable[[PollResult], Any]


class BotRunner:
    """Where the bot's feed work runs (corpus.feeds.poll.Runner)."""

    def __init__(self, engine: "Engine") -> None:
        self.engine = engine
        self._fetches = ThreadPoolExecutor(FETCH_THREADS, thread_name_prefix="articlebot-feed-fetch")
        self._reader_jobs = asyncio.Semaphore(READER_JOBS)

    async def fetch(self, url: str, headers: dict[str, str]):
        return await asyncio.get_running_loop().run_in_executor(self._fetches, partial(fetch_feed, url, headers))

    async def parse(self, body: bytes, url: str, content_type: Optional[str]):
        async with self._reader_jobs:
            return await self.engine.read_feed(body, url, content_type)

    async def read_page(self, url: str):
        async with self._reader_jobs:
            return await self.engine.read_page(url)

    async def store_article(self, doc, guild_id: Optional[str], added_by: str):
        return await self.engine.store_document(doc, guild_id=guild_id, added_by=added_by)

    async def call(self, fn, *args: Any, **kwargs: Any) -> Any:
        return await self.engine.write(fn, *args, **kwargs)

    def close(self) -> None:
        self._fetches.shutdown(wait=False, cancel_futures=True)


class FeedScheduler:
    def __init__(self, engine: "Engine", scopes: Callable[[], list[str]], announce: Announce,
                 timing: Optional[Timing] = None) -> None:
        self.engine = engine
        self.timing = timing or Timing.from_settings()
        self.runner = BotRunner(engine)
        self.poller = Poller(engine.corpus, self.runner, self.timing)
        self._scopes = scopes          # the scopes this process polls: its servers' ids, and "shared" on shard 0
        self._announce = announce
        self._due: dict[str, float] = {}
        self._scanned = 0.0
        self._known: set[str] = set()  # scopes whose due time has been read
        self._wake = asyncio.Event()
        self._task: Optional[asyncio.Task] = None
        self._first_checks: set[asyncio.Task] = set()

    @property
    def tick_seconds(self) -> float:
        return min(TICK_SECONDS, max(0.2, self.timing.interval / 4))

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="articlebot-feeds")

    async def stop(self) -> None:
        tasks = [t for t in [self._task, *self._first_checks] if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self._task = None
        if self.poller.interrupted:  # due again at the next start, not when their claim runs out
            try:
                await self.runner.call(records.release, self.poller.interrupted)
            except Exception:
                log.warning("could not release the feeds whose check was interrupted", exc_info=True)
        self.runner.close()

    # -- commands ----------------------------------------------------------------------------------
    async def add(self, url: str, *, guild_id: int, channel: Optional[str], keywords: str,
                  added_by: str) -> AddedFeed:
        """Follow a feed; its first check (the newest entries indexed, none announced) starts now."""
        added = await self.poller.add(url, guild_id=guild_id, channel=channel, keywords=keywords, added_by=added_by)
        task = asyncio.create_task(self._first_check(str(guild_id), added))
        self._first_checks.add(task)
        task.add_done_callback(self._first_checks.discard)
        return added

    async def _first_check(self, scope: str, added: AddedFeed) -> None:
        store = None
        try:
            store = await self.runner.call(self.engine.corpus.store, scope)
            if store is not None:
                result = await self.poller.poll_feed(store, added.feed, prefetched=added.prefetched)
                await self._announce(result)
        except asyncio.CancelledError:
            if store is not None:
                self.poller.interrupted.append((store, added.feed.id))
            raise
        except Exception:
            log.exception("the first check of feed #%s failed", added.feed.id)
        await self.refresh(scope)

    async def feeds(self, guild_id: int) -> list[records.FeedRow]:
        return await self.runner.call(self._feeds_of, str(guild_id))

    def _feeds_of(self, scope: str) -> list[records.FeedRow]:
        store = self.engine.corpus.store(scope)
        return records.feeds(store) if store is not None else []

    async def remove(self, guild_id: int, feed_id: int) -> Optional[records.FeedRow]:
        def remove() -> Optional[records.FeedRow]:
            store = self.engine.corpus.store(str(guild_id))
            return records.remove(store, feed_id) if store is not None else None

        removed = await self.runner.call(remove)
        await self.refresh(str(guild_id))
        return removed

    # -- the loop ----------------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("a feed check pass failed")
            try:
                await asyncio.wait_for(self._wake.wait(), self.tick_seconds)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    async def tick(self) -> list[PollResult]:
        """One pass: the due feeds of this process's files checked, each result announced."""
        scopes = set(self._scopes())
        now = time.time()
        if now - self._scanned >= RESCAN_SECONDS:
            await self._scan(scopes)
        elif scopes - self._known:  # servers that became available, or joined, since
            self._due.update(await self.runner.call(self._next_due, scopes - self._known))
            self._known |= scopes
        due = [s for s in scopes if self._due.get(s, float("inf")) <= now]
        if not due:
            return []
        stores = [s for s in await self.runner.call(self._stores, due) if s is not None]
        targets = await self.poller.due(stores)
        results = await self.poller.poll(targets, on_result=self._announce)
        for scope in due:
            await self.refresh(scope)
        return results

    async def _scan(self, scopes: set[str]) -> None:
        self._scanned = time.time()
        self._due = await self.runner.call(self._next_due, scopes)
        self._known = set(scopes)

    def _stores(self, scopes: list[str]):
        return [self.engine.corpus.store(None if s == SHARED_SCOPE else s) for s in scopes]

    def _next_due(self, scopes) -> dict[str, float]:
        out: dict[str, float] = {}
        for scope in scopes:
            try:
                store = self.engine.corpus.store(None if scope == SHARED_SCOPE else scope)
                when = records.next_due(store) if store is not None else None
            except Exception:  # a file being deleted, a damaged one: the others go on
                log.warning("could not read the feeds of %s", scope, exc_info=True)
                continue
            if when is not None:
                out[scope] = when
        return out

    async def refresh(self, scope: str) -> None:
        """Read a file's next due time again (after a check, an add, a remove) and wake the loop."""
        found = await self.runner.call(self._next_due, [scope])
        if scope in found:
            self._due[scope] = found[scope]
        else:
            self._due.pop(scope, None)
        self._wake.set()

    def forget(self, scope: str) -> None:
        self._due.pop(scope, None)
