"""Checking feeds: fetch (conditional GET), parse, read each new entry's page as ``/article add url`` does,
store it, say what is new. The command line and the bot share this; each supplies a :class:`Runner` that
decides where the work runs (the bot: fetches on their own thread pool, parsing and page reading in its
worker processes, writes through its writer threads).

What a check does to a feed (see corpus/feeds/schedule.py for the times):

* 304 Not Modified: nothing is parsed or read; the next check is scheduled.
* 200: the entries this feed has not seen are read, the newest first: at most :data:`FIRST_POLL_ENTRIES`
  the first time (none announced), :data:`MAX_NEW_PER_POLL` later. An entry is seen once by its id,
  its link (normalised) or, stored, by its text: a feed whose ids change every check, an entry twice in
  one feed, an article another feed or an admin already added: each is stored once.
* 410 stops the feed; 429/503 wait for Retry-After; any other failure backs off, and the tenth in a row
  stops the feed.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Protocol

from ..errors import CorpusError, FetchError, HTTPStatusError, IngestError
from ..reading.fetch import Fetched
from ..reading.ingest import Document
from ..reading.text import sentences
from ..storage.store import SHARED_SCOPE, Store
from . import records
from .keywords import matches
from .parse import MAX_INDEXED, Discovered, Entry, FeedError, ParsedFeed
from .records import FeedRow
from .schedule import (MAX_FAILURES, HostGate, Timing, host_of, max_age_seconds, next_after_failure,
                       next_after_success, retry_after_seconds)

FIRST_POLL_ENTRIES = 20
MAX_NEW_PER_POLL = MAX_INDEXED
ANNOUNCE_AT_MOST = 5
LEASE_SECONDS = 600.0   # a claimed feed is not claimed again for this long (a process that died mid-check)
MIN_LEASE_SECONDS = 30.0
CHECKS_AT_ONCE = 8      # feeds checked at the same time by one process (each host still one at a time)


class Runner(Protocol):
    async def fetch(self, url: str, headers: dict[str, str]) -> Fetched: ...
    async def parse(self, body: bytes, url: str, content_type: str | None) -> ParsedFeed | Discovered: ...
    async def read_page(self, url: str) -> Document: ...
    async def store_article(self, doc: Document, guild_id: str | None, added_by: str) -> Any: ...
    async def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...


@dataclass
class NewArticle:
    article_id: int
    title: str
    url: str | None
    lead: str
    announce: bool


@dataclass
class PollResult:
    feed: FeedRow
    status: str                   # "new", "unchanged", "failed", "stopped" (now), "removed" (meanwhile)
    added: list[NewArticle] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    error: str | None = None
    first: bool = False
    not_modified: bool = False    # the server answered 304: nothing was parsed or read

    def announcements(self) -> tuple[list[NewArticle], int]:
        """What to post: at most :data:`ANNOUNCE_AT_MOST`, and how many more there were."""
        wanted = [a for a in self.added if a.announce]
        return wanted[:ANNOUNCE_AT_MOST], max(0, len(wanted) - ANNOUNCE_AT_MOST)


@dataclass
class AddedFeed:
    feed: FeedRow
    entries: int
    discovered_from: str | None   # the page whose <link rel="alternate"> named the feed
    prefetched: tuple[Fetched, ParsedFeed]


FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
               "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.5, */*;q=0.1")


def conditional_headers(feed: FeedRow) -> dict[str, str]:
    headers = {"Accept": FEED_ACCEPT}
    if feed.polls and feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.polls and feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    return headers


class Poller:
    def __init__(self, corpus, runner: Runner, timing: Timing, *, checks_at_once: int = CHECKS_AT_ONCE) -> None:
        self.corpus = corpus
        self.runner = runner
        self.timing = timing
        self.gate = HostGate(timing.host_spacing)
        self._checks = asyncio.Semaphore(checks_at_once)
        self.interrupted: list[tuple[Store, int]] = []  # checks cancelled midway (records.release)

    @property
    def lease(self) -> float:
        """How long a claimed feed stays claimed: longer than a check takes, shorter than its interval
        (shortened in tests with the interval)."""
        return min(LEASE_SECONDS, max(MIN_LEASE_SECONDS, 2 * self.timing.interval))

    # -- following a feed ------------------------------------------------------------------------
    async def add(self, url: str, *, guild_id=None, channel: str | None = None, keywords: str = "",
                  added_by: str | None = None) -> AddedFeed:
        """Find the feed (the URL, or the feed a page links), check it is one, and follow it. Raises
        FeedError / FetchError with a one-line reason."""
        store = await self.runner.call(self.corpus.store, guild_id, create=True)
        limit = None if store.scope == SHARED_SCOPE else records.MAX_FEEDS_PER_SERVER
        if limit is not None and await self.runner.call(records.count, store) >= limit:
            raise FeedError(f"this server already follows {limit} feeds, the most it can: remove one first")
        page, parsed = await self._fetch_and_parse(url.strip(), {"Accept": FEED_ACCEPT})
        discovered_from = None
        if isinstance(parsed, Discovered):
            if not parsed.feeds:
                raise FeedError("not a feed, and the page links no feed")
            discovered_from = page.url
            page, parsed = await self._fetch_and_parse(parsed.feeds[0], {"Accept": FEED_ACCEPT})
            if isinstance(parsed, Discovered):
                raise FeedError(f"the page links {page.url}, which is not a feed either")
        feed = await self.runner.call(records.create, store, page.url, parsed.title, channel=channel,
                                      keywords=keywords.strip(), added_by=added_by,
                                      asked_interval=parsed.asked_interval, limit=limit,
                                      claimed_until=time.time() + self.lease)
        return AddedFeed(feed, parsed.total_entries, discovered_from, (page, parsed))

    async def _fetch_and_parse(self, url: str, headers: dict[str, str]) -> tuple[Fetched, ParsedFeed | Discovered]:
        async with self.gate.hold(url):
            page = await self.runner.fetch(url, headers)
        return page, await self.runner.parse(page.body, page.url, page.content_type)

    # -- checking feeds --------------------------------------------------------------------------
    async def due(self, stores: list[Store], *, force: bool = False) -> list[tuple[Store, FeedRow]]:
        now = time.time()
        found: list[tuple[Store, FeedRow]] = []
        for store in stores:
            try:
                claimed = await self.runner.call(records.claim_due, store, now, self.lease, force=force)
            except CorpusError:  # the guild's file was just deleted (the bot left it)
                continue
            found.extend((store, feed) for feed in claimed)
        return found

    async def poll(self, targets: list[tuple[Store, FeedRow]],
                   on_result: Callable[[PollResult], Awaitable[None] | None] | None = None) -> list[PollResult]:
        """Check these feeds, several at once; ``on_result`` hears each as it finishes."""
        async def one(store: Store, feed: FeedRow) -> PollResult:
            async with self._checks:
                try:
                    result = await self.poll_feed(store, feed)
                except asyncio.CancelledError:
                    self.interrupted.append((store, feed.id))
                    raise
            if on_result is not None:
                maybe = on_result(result)
                if asyncio.iscoroutine(maybe):
                    await maybe
            return result

        return list(await asyncio.gather(*(one(s, f) for s, f in interleaved(targets))))

    async def poll_feed(self, store: Store, feed: FeedRow,
                        prefetched: tuple[Fetched, ParsedFeed] | None = None) -> PollResult:
        try:
            if prefetched is not None:
                page, parsed = prefetched
            else:
                page, parsed = await self._fetch_and_parse_checked(feed)
                if page.status == 304:
                    return await self._unchanged(store, feed, page)
            return await self._read_entries(store, feed, page, parsed)
        except HTTPStatusError as exc:
            if exc.status == 410:
                return await self._stop(store, feed, f"the feed is gone ({exc})")
            retry = retry_after_seconds(exc.retry_after) if exc.status in (429, 503) else None
            return await self._failed(store, feed, str(exc), retry)
        except IngestError as exc:  # fetch refusals, not a feed, a parse that ran over its time
            return await self._failed(store, feed, str(exc), None)
        except CorpusError as exc:  # the guild's file was deleted meanwhile
            return PollResult(feed, "removed", error=str(exc))

    async def _fetch_and_parse_checked(self, feed: FeedRow) -> tuple[Fetched, ParsedFeed]:
        async with self.gate.hold(feed.url):
            page = await self.runner.fetch(feed.url, conditional_headers(feed))
        if page.status == 304:
            return page, ParsedFeed(feed.title, [])
        parsed = await self.runner.parse(page.body, page.url, page.content_type)
        if isinstance(parsed, Discovered):
            raise FeedError("not a feed any more: the address now serves a web page")
        return page, parsed

    async def _unchanged(self, store: Store, feed: FeedRow, page: Fetched) -> PollResult:
        asked = max(feed.asked_interval, max_age_seconds(page.headers.get("cache-control")))
        saved = await self.runner.call(records.save, store, feed.id, last_checked=records.now_iso(),
                                       next_check=next_after_success(time.time(), self.timing, asked),
                                       failures=0, state="ok", error=None)
        return PollResult(feed, "unchanged" if saved else "removed", not_modified=True)

    async def _read_entries(self, store: Store, feed: FeedRow, page: Fetched, parsed: ParsedFeed) -> PollResult:
        first = feed.polls == 0
        result = PollResult(feed, "new", first=first)
        fresh, known = await self.runner.call(records.sort_entries, store, feed.id, parsed.entries)
        for entry, article_id in known:
            await self.runner.call(records.record, store, feed.id, entry.keys, article_id)
        limit = FIRST_POLL_ENTRIES if first else MAX_NEW_PER_POLL
        later = fresh[limit:]
        if later:
            await self.runner.call(records.record_many, store, feed.id, later)
            result.skipped.append(f"{len(later)} older entries not indexed (the first check indexes the newest "
                                  f"{FIRST_POLL_ENTRIES})" if first else
                                  f"{len(later)} entries not indexed: more than {limit} new in one check")
        for entry in fresh[:limit]:
            if not await self.runner.call(records.exists, store, feed.id):
                result.status = "removed"
                return result
            await self._index(store, feed, entry, result)
        if parsed.warning:
            result.skipped.append(parsed.warning)
        await self.runner.call(records.log, store, feed.id, result.skipped)
        asked = max(parsed.asked_interval, max_age_seconds(page.headers.get("cache-control")))
        fields: dict[str, Any] = dict(
            title=parsed.title or feed.title, etag=page.headers.get("etag"),
            last_modified=page.headers.get("last-modified"), last_checked=records.now_iso(),
            next_check=next_after_success(time.time(), self.timing, asked), asked_interval=parsed.asked_interval,
            failures=0, state="ok", error=None, polls=feed.polls + 1)
        if result.added:
            fields["last_new"] = records.now_iso()
        if not await self.runner.call(records.save, store, feed.id, **fields):
            result.status = "removed"
        elif not result.added:
            result.status = "unchanged"
        return result

    async def _index(self, store: Store, feed: FeedRow, entry: Entry, result: PollResult) -> None:
        doc = await self._read_entry(entry)
        if isinstance(doc, str):
            result.skipped.append(f"skipped {entry.title or entry.link or 'an entry'}: {doc}")
            await self.runner.call(records.record, store, feed.id, entry.keys, None)
            return
        try:
            added = await self.runner.store_article(doc, feed.guild, f"feed #{feed.id}")
        except IngestError as exc:  # a full disk, a file at its size limit
            result.skipped.append(f"skipped {entry.title or entry.link}: {exc}")
            return
        if not await self.runner.call(records.record, store, feed.id, entry.keys, added.article_id):
            return
        if added.status == "added":
            announce = not result.first and matches(doc, feed.keywords)
            lead = sentences(doc.paragraphs[0])[0] if doc.paragraphs and doc.paragraphs[0].strip() else ""
            result.added.append(NewArticle(added.article_id, added.title, doc.url or entry.link, lead, announce))

    async def _read_entry(self, entry: Entry) -> Document | str:
        """The entry's page, read as ``/article add url`` reads it; else its own text when article-length;
        else why it is skipped."""
        reason = None
        if entry.link:
            try:
                async with self.gate.hold(entry.link):
                    doc = await self.runner.read_page(entry.link)
                return _with_entry_metadata(doc, entry)
            except FetchError as exc:
                if str(exc).startswith("refused"):
                    return f"link refused: {exc}"
                reason = str(exc)
            except IngestError as exc:
                reason = str(exc)
        elif entry.refused_link:
            reason = f"link refused: only http and https links are read, not {entry.refused_link[:60]!r}"
        if entry.fallback is not None:
            return entry.fallback
        if reason:
            return f"{reason}; its own text ({entry.words} words) is too short to stand in"
        return f"no link, and its own text ({entry.words} words) is too short to be an article"

    async def _failed(self, store: Store, feed: FeedRow, reason: str, retry_after: float | None) -> PollResult:
        failures = feed.failures + 1
        if failures >= MAX_FAILURES:
            return await self._stop(store, feed, f"{MAX_FAILURES} failed checks in a row, the last: {reason}")
        saved = await self.runner.call(
            records.save, store, feed.id, last_checked=records.now_iso(), failures=failures, state="failing",
            error=reason, next_check=next_after_failure(time.time(), self.timing, failures, retry_after))
        await self.runner.call(records.log, store, feed.id, [f"check failed: {reason}"])
        return PollResult(feed, "failed" if saved else "removed", error=reason)

    async def _stop(self, store: Store, feed: FeedRow, reason: str) -> PollResult:
        saved = await self.runner.call(records.save, store, feed.id, last_checked=records.now_iso(),
                                       failures=feed.failures + 1, state="stopped", error=reason)
        await self.runner.call(records.log, store, feed.id, [f"stopped: {reason}"])
        return PollResult(feed, "stopped" if saved else "removed", error=reason)


def interleaved(targets: list[tuple[Store, FeedRow]]) -> list[tuple[Store, FeedRow]]:
    """The feeds host by host in turn, so the checks running at once go to different hosts instead of
    queueing for one (a server's feeds are often on one site)."""
    by_host: dict[str, list[tuple[Store, FeedRow]]] = {}
    for target in targets:
        by_host.setdefault(host_of(target[1].url), []).append(target)
    return [t for turn in itertools.zip_longest(*by_host.values()) for t in turn if t is not None]


def _with_entry_metadata(doc: Document, entry: Entry) -> Document:
    """Title and date from the entry (the page's own are the fallback)."""
    if entry.title:
        doc.title = entry.title
    doc.published = entry.published or doc.published
    return doc
