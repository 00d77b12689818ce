"""When a feed is checked next, and how politely.

* After a good check: the interval (``ARTICLEBOT_FEED_INTERVAL``, 15 minutes, never below 5), or longer
  when the feed asks (``<ttl>``, ``sy:updatePeriod``, ``Cache-Control: max-age``), at most a day, plus a
  little jitter so that feeds added together drift apart.
* After a failure: the interval doubled for each failure in a row (capped at 6 hours), times a random
  0.8-1.2; a ``Retry-After`` (429, 503) is honoured when it asks for longer. After
  :data:`MAX_FAILURES` in a row the feed stops; 410 Gone stops it at once.
* :class:`HostGate`: at most one request in flight per host (host and port), and at least
  ``ARTICLEBOT_FEED_HOST_SPACING`` seconds from the end of one to the start of the next, however many
  servers follow feeds there.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import AsyncIterator
from urllib.parse import urlsplit

MAX_FAILURES = 10
MAX_INTERVAL = 24 * 3600.0     # a feed asking for a week is still checked daily
MAX_BACKOFF = 6 * 3600.0
MAX_RETRY_AFTER = 24 * 3600.0


@dataclass(frozen=True)
class Timing:
    interval: float        # seconds between checks of a healthy feed
    host_spacing: float    # seconds between two requests to one host

    @classmethod
    def from_settings(cls) -> "Timing":
        from ..settings import feed_host_spacing, feed_interval

        return cls(feed_interval(), feed_host_spacing())


def next_after_success(now: float, timing: Timing, asked: float, rng: random.Random = random) -> float:
    wait = min(max(timing.interval, asked), max(MAX_INTERVAL, timing.interval))
    return now + wait * (1 + 0.1 * rng.random())


def next_after_failure(now: float, timing: Timing, failures: int, retry_after: float | None = None,
                       rng: random.Random = random) -> float:
    backoff = min(timing.interval * 2 ** max(0, failures - 1), max(MAX_BACKOFF, timing.interval))
    wait = backoff * (0.8 + 0.4 * rng.random())
    if retry_after is not None:
        wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
    return now + wait


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After``: seconds ("120") or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d{1,9})")


def max_age_seconds(cache_control: str | None) -> float:
    """``Cache-Control: max-age=N`` as seconds (0 when absent, or with no-cache / no-store)."""
    if not cache_control:
        return 0.0
    lower = cache_control.lower()
    if "no-cache" in lower or "no-store" in lower:
        return 0.0
    match = _MAX_AGE.search(lower)
    return float(match.group(1)) if match else 0.0


def host_of(url: str) -> str:
    try:
        parts = urlsplit(url)
        return f"{(parts.hostname or '').lower()}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    except ValueError:
        return url


class HostGate:
    """One request in flight per host, and a minimum spacing between them (per event loop)."""

    def __init__(self, spacing: float) -> None:
        self.spacing = spacing
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}
        self.requests: dict[str, int] = {}   # per host, for the benchmark's table

    @asynccontextmanager
    async def hold(self, url: str) -> AsyncIterator[None]:
        host = host_of(url)
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            wait = self._last.get(host, 0.0) + self.spacing - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self.requests[host] = self.requests.get(host, 0) + 1
            try:
                yield
            finally:
                self._last[host] = time.monotonic()
