"""A burst of /ask interactions through the Discord stand-in, and its figures (shared by
tests/e2e/test_e2e_load.py and benchmarks/bot_load.py).

All times come from the stand-in's own records (``time.monotonic()`` in the stand-in): when it dispatched
each INTERACTION_CREATE, when the bot's callback (the acknowledgement) arrived, and when the last REST
request that showed the answer arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from dataclasses import dataclass
from typing import Optional, Sequence, Union

from .fakediscord import FakeDiscord, FakeGuild, FakeInteraction


def make_askers(fake: FakeDiscord, guild: FakeGuild, n: int) -> list[dict]:
    """``n`` distinct members (the per-user cooldown allows 5 questions per 30 s each)."""
    users = []
    for i in range(n):
        user = fake.make_user(f"asker{i:03d}")
        guild.add_member(user)
        users.append(user)
    return users


async def ask_burst(fake: FakeDiscord, channel: dict, users: Sequence[dict],
                    question: Union[str, Sequence[str]]) -> list[FakeInteraction]:
    """Dispatch one /ask per user, all at once: the INTERACTION_CREATE frames go out back to back, without
    waiting for any answer (each interaction's deadline starts when its own frame is sent). ``question``
    is one question for all, or a list to take them from in turn."""
    questions = [question] if isinstance(question, str) else list(question)
    return list(await asyncio.gather(*(fake.slash(channel, user, "ask", question=questions[n % len(questions)])
                                       for n, user in enumerate(users))))


def answer_time(fake: FakeDiscord, interaction: FakeInteraction) -> Optional[float]:
    """Seconds from dispatch to the REST request that showed the answer (the follow-up replacing
    "thinking...")."""
    times = [r.at for r in fake.requests
             if r.path.startswith(f"/webhooks/{fake.application_id}/{interaction.token}") and 200 <= r.status < 300]
    return max(times) - interaction.dispatched_at if times else None


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Figures:
    n: int
    acked: int
    answered: int
    ack_max: float
    ack_p50: float
    ack_p95: float
    answer_max: float
    answer_p50: float
    answer_p95: float
    errors: int = 0  # answered "Something went wrong" (the bot logged why)

    def lines(self) -> list[str]:
        return [
            f"interactions          {self.n}",
            f"acknowledged          {self.acked}",
            f"answered              {self.answered} ({self.errors} with an error message)",
            f"ack   slowest/p50/p95 {self.ack_max:.3f} / {self.ack_p50:.3f} / {self.ack_p95:.3f} s",
            f"answer slowest/p50/p95 {self.answer_max:.3f} / {self.answer_p50:.3f} / {self.answer_p95:.3f} s",
        ]


def figures(fake: FakeDiscord, interactions: Sequence[FakeInteraction]) -> Figures:
    acks = [i.ack_seconds for i in interactions if i.ack_seconds is not None]
    answers = [t for t in (answer_time(fake, i) for i in interactions) if t is not None]
    return Figures(
        n=len(interactions), acked=len(acks), answered=len(answers),
        ack_max=max(acks, default=math.nan), ack_p50=percentile(acks, 50), ack_p95=percentile(acks, 95),
        answer_max=max(answers, default=math.nan), answer_p50=percentile(answers, 50),
        answer_p95=percentile(answers, 95),
        errors=sum(1 for i in interactions
                   if any("Something went wrong" in (m.get("content") or "") for m in i.messages())),
    )


class Prober:
    """While a burst is handled, ask the bot for a heartbeat (op 1) every ``every`` seconds; see
    :class:`fakediscord.Probe`. The bot answers through discord.py's gateway rate limiter (110 sends a
    minute), so at most ``budget`` requests go out in any 60 seconds, leaving room for the bot's own."""

    def __init__(self, fake: FakeDiscord, conn, *, every: float = 0.05, budget: int = 60) -> None:
        self.fake = fake
        self.conn = conn
        self.every = every
        self.budget = budget
        self.probes: list = []
        self._task: Optional[asyncio.Task] = None

    async def _run(self) -> None:
        while True:
            recent = [p for p in self.conn.probes if p.sent_at > time.monotonic() - 60]
            if len(recent) < self.budget:
                self.probes.append(await self.fake.probe_heartbeat(self.conn))
            await asyncio.sleep(self.every)  # pacing only; nothing is timed by it

    async def __aenter__(self) -> "Prober":
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def wait_answered(self, timeout: float = 60) -> list[float]:
        await self.fake.wait_until(lambda: all(p.answered_at is not None for p in self.probes), timeout,
                                   "answers to heartbeat requests")
        return [p.seconds for p in self.probes]
