"""Per-user cooldown on asking, shared by /ask, mentions and ask channels; per-server limits on adding."""

from __future__ import annotations

import contextlib
import math
import time
from collections import deque
from typing import Callable, Iterator, Optional

from discord import app_commands


class AskCooldown(app_commands.CheckFailure):
    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"on cooldown, retry in {retry_after:.0f}s")

    @property
    def friendly(self) -> str:
        seconds = max(1, round(self.retry_after))
        return f"You're asking quickly! Give me {seconds} second{'s' if seconds != 1 else ''} and try again."


class UserCooldown:
    """At most ``rate`` questions per ``per`` seconds per user (sliding window)."""

    def __init__(self, rate: int, per: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.per = per
        self.clock = clock
        self._hits: dict[int, deque[float]] = {}

    def retry_after(self, user_id: int) -> float:
        """0 if ``user_id`` may go now, else the seconds to wait (records nothing)."""
        now = self.clock()
        hits = self._hits.get(user_id)
        while hits and hits[0] <= now - self.per:
            hits.popleft()
        return hits[0] + self.per - now if hits and len(hits) >= self.rate else 0.0

    def hit(self, user_id: int) -> float:
        """Record a question; return 0 if allowed, else the seconds until the user may ask again."""
        retry = self.retry_after(user_id)
        if retry > 0:
            return retry
        now = self.clock()
        self._hits.setdefault(user_id, deque()).append(now)
        if len(self._hits) > 10_000:  # forget idle users
            for uid in [u for u, h in self._hits.items() if not h or h[-1] <= now - self.per]:
                del self._hits[uid]
        return 0.0

    def check(self, user_id: int) -> None:
        retry = self.hit(user_id)
        if retry > 0:
            raise AskCooldown(retry)


class AddRefused(Exception):
    """An add this server may not start now; the message says why and when to try again."""


class GuildAddGate:
    """Per server: at most ``concurrent`` adds running at once, and at most ``rate`` started per ``per``
    seconds (sliding window), so one server cannot keep the shared readers busy."""

    def __init__(self, concurrent: int = 2, rate: int = 10, per: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.concurrent = concurrent
        self.running: dict[int, int] = {}
        self.started = UserCooldown(rate, per, clock)

    def refusal(self, guild_id: int) -> Optional[str]:
        """Why an add would be refused now, or None (records nothing)."""
        if self.running.get(guild_id, 0) >= self.concurrent:
            n = self.concurrent
            return (f"This server is already adding {n} article{'s' if n != 1 else ''}; "
                    "wait until they finish, then try again.")
        retry = self.started.retry_after(guild_id)
        return self._cooldown_message(retry) if retry > 0 else None

    def _cooldown_message(self, retry_after: float) -> str:
        seconds = max(1, math.ceil(retry_after))
        return (f"This server has added {self.started.rate} articles in the last {self.started.per:g} seconds; "
                f"try again in {seconds} second{'s' if seconds != 1 else ''}.")

    @contextlib.contextmanager
    def hold(self, guild_id: int) -> Iterator[None]:
        """Count one add for ``guild_id`` while the block runs; :class:`AddRefused` if it may not start."""
        why = self.refusal(guild_id)
        if why is not None:
            raise AddRefused(why)
        self.started.hit(guild_id)
        self.running[guild_id] = self.running.get(guild_id, 0) + 1
        try:
            yield
        finally:
            self.running[guild_id] -= 1
            if not self.running[guild_id]:
                del self.running[guild_id]
