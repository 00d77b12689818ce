"""``articlebot feed add|list|remove|poll``: following feeds without Discord (a cron job or a systemd timer
runs ``articlebot feed poll``). The output lines are a contract scripts and tests read:

    feed add URL      feed #ID "title" (N entries) from URL          error: URL: reason  (stderr, exit 1)
    feed list --json  {"id": …, "url": …, "title": …, "guild": …, "channel": …, "last_checked": …,
                       "last_new": …, "state": "ok"|"failing"|"stopped", "error": …, "articles": …}
    feed remove ID    removed feed #ID "title"
    feed poll         added #ID "title" from URL (feed #F)   one per new article, then a summary on stderr
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Callable

from ..errors import IngestError
from .local import LocalRunner
from .poll import Poller, PollResult
from .records import FeedRow
from . import records
from .schedule import Timing


def add_commands(sub, guild_type: Callable[[str], int]) -> None:
    """The ``feed`` command and its actions, on the main parser's subcommands."""
    feed = sub.add_parser("feed", help="follow news feeds: add, list, remove, poll (run poll from cron)")
    actions = feed.add_subparsers(dest="feed_command", metavar="ACTION")
    actions.required = True
    p = actions.add_parser("add", help="follow a feed (or the feed a web page links) and index its entries")
    p.add_argument("url", metavar="URL")
    p.add_argument("--guild", type=guild_type, metavar="ID", help="follow it in this Discord server's scope")
    p.add_argument("--keywords", metavar="WORDS", default="", help="only articles with one of these words are "
                   "announced in Discord (all are indexed)")
    p = actions.add_parser("list", help="the feeds followed, with their state")
    p.add_argument("--guild", type=guild_type, metavar="ID", help="only this server's feeds (default: every file's)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p = actions.add_parser("remove", help="stop following a feed (its articles stay)")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--guild", type=guild_type, metavar="ID", help="a feed of this server (default: the shared scope)")
    p = actions.add_parser("poll", help="check the feeds that are due once (for a cron job or systemd timer)")
    p.add_argument("--guild", type=guild_type, metavar="ID", help="only this server's feeds (default: every file's)")
    p.add_argument("--force", action="store_true", help="check every feed now, due or not")


def run(corpus, args, *, printable: Callable[[str], str], embed: Callable[[], None]) -> int:
    action = {"add": _add, "list": _list, "remove": _remove, "poll": _poll}[args.feed_command]
    return action(corpus, args, printable, embed)


def _poller(corpus) -> Poller:
    return Poller(corpus, LocalRunner(corpus), Timing.from_settings())


def _entries(n: int) -> str:
    return f"{n} entr{'y' if n == 1 else 'ies'}"


def _add(corpus, args, printable, embed) -> int:
    poller = _poller(corpus)

    async def follow():
        added = await poller.add(args.url, guild_id=args.guild, keywords=args.keywords, added_by="cli")
        store = corpus.store(args.guild)
        return added, await poller.poll_feed(store, added.feed, prefetched=added.prefetched)

    try:
        added, result = asyncio.run(follow())
    except IngestError as exc:
        print(printable(f"error: {args.url}: {exc}"), file=sys.stderr)
        return 1
    feed = added.feed
    print(printable(f'feed #{feed.id} "{feed.title}" ({_entries(added.entries)}) from {feed.url}'))
    if added.discovered_from:
        print(printable(f"(found by the link on {added.discovered_from})"), file=sys.stderr)
    print(printable(_summary([result])), file=sys.stderr)
    if result.added:
        embed()
    return 0


def _feeds(corpus, guild) -> list[FeedRow]:
    stores = [corpus.store(guild)] if guild is not None else list(corpus.all_stores())
    return [feed for store in stores if store is not None for feed in records.feeds(store)]


def _list(corpus, args, printable, embed) -> int:
    feeds = _feeds(corpus, args.guild)
    for feed in feeds:
        if args.json:
            print(json.dumps(feed.to_json(), ensure_ascii=False))
            continue
        where = f" [guild {feed.guild}]" if feed.guild else ""
        print(printable(f'#{feed.id} "{feed.title}" {feed.url}{where}: {feed.state}, {feed.articles} articles, '
                        f"last checked {feed.last_checked or 'never'}, last new {feed.last_new or 'never'}"
                        + (f", error: {feed.error}" if feed.error else "")))
    if not feeds and not args.json:
        print("no feeds yet: follow one with `articlebot feed add URL`")
    return 0


def _remove(corpus, args, printable, embed) -> int:
    store = corpus.store(args.guild)
    removed = records.remove(store, args.id) if store is not None else None
    if removed is None:
        scope = "the shared scope" if args.guild is None else f"guild {args.guild}"
        print(f"error: no feed #{args.id} in {scope}", file=sys.stderr)
        return 1
    print(printable(f'removed feed #{removed.id} "{removed.title}"'))
    return 0


def _poll(corpus, args, printable, embed) -> int:
    poller = _poller(corpus)

    def show(result: PollResult) -> None:
        for item in result.added:
            print(printable(f'added #{item.article_id} "{item.title}" from {item.url} (feed #{result.feed.id})'),
                  flush=True)
        if result.error:
            print(printable(f"feed #{result.feed.id} {result.feed.url}: {result.status}: {result.error}"),
                  file=sys.stderr)

    async def check() -> list[PollResult]:
        stores = [corpus.store(args.guild)] if args.guild is not None else list(corpus.all_stores())
        targets = await poller.due([s for s in stores if s is not None], force=args.force)
        return await poller.poll(targets, on_result=show)

    results = asyncio.run(check())
    print(printable(_summary(results)), file=sys.stderr)
    if any(r.added for r in results):
        embed()
    return 0


def _summary(results: list[PollResult]) -> str:
    added = sum(len(r.added) for r in results)
    skipped = sum(1 for r in results for line in r.skipped if line.startswith("skipped"))
    counts = {status: sum(r.status == status for r in results) for status in ("unchanged", "failed", "stopped")}
    return (f"checked {len(results)} feed{'s' if len(results) != 1 else ''}: {added} new "
            f"article{'s' if added != 1 else ''}, {skipped} entries skipped, {counts['unchanged']} unchanged, "
            f"{counts['failed']} failing, {counts['stopped']} stopped")
