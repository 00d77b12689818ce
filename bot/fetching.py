"""Fetching the pages of added URLs: network waits in threads, not in the reader processes.

A fetch mostly waits: a slow server may take the whole ``ARTICLEBOT_FETCH_TIMEOUT`` to send a page, and
waiting needs no process. Held in a reader process, ten servers' slow pages used to take every reader and
every waiting place, and a plain file add elsewhere was refused. So the fetch runs here, in a thread of the
bot's process (:func:`corpus.reading.fetch.fetch` is synchronous, keeps its own deadline with a watchdog
and leaves the GIL while it waits on a socket), and only the page's bytes go to a reader process to be
parsed, like an uploaded file's.

At most ``at_once`` fetches run together (each holds a thread and up to 5 MB of page); more wait, served by
server in turn (:mod:`bot.fair`), so one server's URL adds delay another's by at most one fetch.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from corpus.errors import IngestError
from corpus.reading import fetch

from .fair import Owner, Turns, TurnsFull


class FetchBusy(IngestError):
    def __init__(self) -> None:
        super().__init__("I'm fetching many pages for other servers right now; try again in a minute")


class PageFetcher:
    def __init__(self, at_once: int, *, max_waiting: int) -> None:
        self._threads = ThreadPoolExecutor(at_once, thread_name_prefix="articlebot-fetch")
        self._turns = Turns(at_once, max_waiting=max_waiting)

    async def fetch(self, owner: Owner, url: str) -> fetch.Fetched:
        """The page at ``url`` (checked and bounded as corpus.reading.fetch does), fetched in ``owner``'s
        turn; FetchError with the reason when it cannot be."""
        try:
            async with self._turns.turn(owner):
                return await asyncio.get_running_loop().run_in_executor(self._threads, fetch.fetch, url)
        except TurnsFull:
            raise FetchBusy() from None

    def close(self) -> None:
        """Start no more fetches; those under way end by their own deadline."""
        self._threads.shutdown(wait=False, cancel_futures=True)
