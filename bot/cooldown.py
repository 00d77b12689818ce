"""Per-user cooldown on asking, shared by /ask, mentions and ask channels."""

from __future__ import annotations

import time
from collections import deque
from typing import Callable

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

    def hit(self, user_id: int) -> float:
        """Record a question; return 0 if allowed, else the seconds until the user may ask again."""
        now = self.clock()
        hits = self._hits.setdefault(user_id, deque())
        while hits and hits[0] <= now - self.per:
            hits.popleft()
        if len(hits) >= self.rate:
            return hits[0] + self.per - now
        hits.append(now)
        if len(self._hits) > 10_000:  # forget idle users
            for uid in [u for u, h in self._hits.items() if not h or h[-1] <= now - self.per]:
                del self._hits[uid]
        return 0.0

    def check(self, user_id: int) -> None:
        retry = self.hit(user_id)
        if retry > 0:
            raise AskCooldown(retry)
