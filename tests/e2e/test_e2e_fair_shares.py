"""No server can take another's share (issue 20, part 4), through the Discord stand-in.

- URL adds wait on the network outside the reader processes, so ten servers each fetching two pages that
  trickle in a byte a second leave every reader free: another server's plain file add is read at once. (Before: the twenty fetches filled the 3 readers and the 16 waiting places, and the file
  was refused "I'm reading many articles for other servers right now".)
- The vector worker takes one batch at a time from each file with work, in turn, so a quiet server's new
  paragraph gets its vector after at most one batch of a server adding at its limit. (Before: the busy
  server's file was drained first, and its adds kept coming.)

Both wait for the outcome with a bound (polling, never sleeping a fixed time); the bounds are the issue's,
and generous for the design: at most one job (one parse, one batch of 32 paragraphs) is ahead.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bot import engine as engine_module
from conftest import FIXTURES

from .e2e_support import World
from .fakediscord import FakeDiscord
from .load import answer_time
from .test_e2e_isolation import trickle_server

pytestmark = pytest.mark.asyncio

FILE_ADD_WITHIN = 2.0  # the bound: one parse (milliseconds) is all that is ahead of it
VECTOR_WITHIN = 30.0  # the bound: one batch of another server's (about 2 s of one core) is ahead
SLOW_SERVERS, SLOW_ADDS = 10, 2


async def poll(condition, timeout: float, what: str, every: float = 0.05) -> None:
    """Wait until ``condition()`` holds (a plain function, or a coroutine function), at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not (await condition() if asyncio.iscoroutinefunction(condition) else condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for: {what}")
        await asyncio.sleep(every)


def notes(title: str, n: int) -> bytes:
    return f"{title}\n\nThe harbour lighthouse reopened on day {n} after volunteers restored it.\n".encode()


async def test_a_plain_file_add_is_read_at_once_while_ten_servers_fetch_slow_pages(world: World, start_bot,
                                                                                  monkeypatch):
    fake = world.fake
    monkeypatch.setenv("ARTICLEBOT_ALLOW_PRIVATE_URLS", "1")  # the slow server is on 127.0.0.1
    monkeypatch.setenv("ARTICLEBOT_FETCH_TIMEOUT", "120")  # the slow pages stay in flight for the whole test
    slow_guilds = [fake.add_guild(f"Slow {n}") for n in range(SLOW_SERVERS)]
    slow_channels = [g.add_channel("news") for g in slow_guilds]
    bot = await start_bot()
    # A reader process is started by a first add, as it would be after the bot's first minutes.
    warm = await fake.slash(world.channel2, world.admin2, "article add",
                            file=fake.upload(world.channel2, "warm.md", notes("Warm up", 0)))
    assert "Added article" in (await warm.wait_message(timeout=60))["content"]

    with trickle_server() as slow:
        base = f"http://127.0.0.1:{slow.server_address[1]}"
        adds = [await fake.slash(channel, guild.owner, "article add", url=f"{base}/{guild.id}/{n}")
                for guild, channel in zip(slow_guilds, slow_channels) for n in range(SLOW_ADDS)]
        # Every slow add is under way (acknowledged, its fetch started or waiting its turn), the page server
        # already answering as many as there are readers.
        await poll(lambda: all(a.callbacks for a in adds) and slow.hits >= engine_module.READER_WORKERS,  # type: ignore[attr-defined]
                   60, "the slow adds under way")

        added = await fake.slash(world.channel, world.admin, "article add",
                                 file=fake.upload(world.channel, "lighthouse.md", notes("Harbour lighthouse", 1)))
        reply = await added.wait_message(timeout=FILE_ADD_WITHIN)
        print(f"\nfile add answered in {answer_time(fake, added):.3f} s beside {len(adds)} slow URL adds")
        assert reply["content"].startswith("Added article #1000001 **Harbour lighthouse**"), reply["content"]
        # The twenty fetches all run at once, none of them in a reader process.
        in_flight = min(SLOW_SERVERS * SLOW_ADDS, engine_module.FETCHES_AT_ONCE)
        await poll(lambda: slow.hits >= in_flight, 60, f"{in_flight} slow fetches at once")  # type: ignore[attr-defined]
        assert not any(a._shown() is not None for a in adds)  # still fetching: none refused or answered
    await poll(lambda: all(a._shown() is not None for a in adds), 60, "every slow add answered")


def long_article(title: str, n: int, paragraphs: int = 150) -> bytes:
    """An article of ``paragraphs`` distinct paragraphs (a text seen before would reuse its vector)."""
    sentences = [s.strip() for s in (FIXTURES / "bbc-business-001.txt").read_text().split(".") if len(s.split()) > 4]
    body = "\n\n".join(f"{sentences[i % len(sentences)]}, report {n} part {i}." for i in range(paragraphs))
    return f"{title} {n}\n\n{body}\n".encode()


async def pending(engine, guild_id: int) -> int:
    """Paragraphs of the guild's own file without a vector (read off the event loop)."""
    found = await asyncio.to_thread(engine.corpus.pending_vectors, guild_id)
    return sum(count for store, count in found if store.scope == str(guild_id))


async def add_file(fake: FakeDiscord, channel: dict, admin: dict, name: str, data: bytes) -> str:
    added = await fake.slash(channel, admin, "article add", file=fake.upload(channel, name, data))
    return (await added.wait_message(timeout=120))["content"]


async def test_a_quiet_servers_paragraph_gets_its_vector_while_another_adds_at_its_limit(world: World, start_bot,
                                                                                          monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_SEMANTIC", "1")
    fake = world.fake
    bot = await start_bot()
    engine, busy = bot.engine, world.guild.id
    assert await asyncio.to_thread(engine.vectors.wait_idle, 300)  # the start-up pass (the shared sample)
    gate = bot.add_gate

    async def busy_server() -> None:
        """Adds a 150-paragraph article whenever its limits allow (2 at once, 10 a minute)."""
        n = 0
        while True:
            if gate.refusal(busy):
                await asyncio.sleep(0.2)
                continue
            n += 1
            reply = await add_file(fake, world.channel, world.admin, f"report{n}.md", long_article("Report", n))
            assert "Added article" in reply, reply

    adder = asyncio.create_task(busy_server())
    try:
        # The busy server's backlog is more than the worker can do in the bound (1,500 paragraphs a minute).
        async def backlog() -> bool:
            return await pending(engine, busy) >= 300

        await poll(backlog, 120, "the busy server's backlog")
        reply = await add_file(fake, world.channel2, world.admin2, "quiet.md", notes("Quiet news", 2))
        assert "Added article" in reply, reply
        quiet = world.guild2.id
        started = time.monotonic()

        async def quiet_embedded() -> bool:
            return await pending(engine, quiet) == 0

        await poll(quiet_embedded, VECTOR_WITHIN, "the quiet server's vector", every=0.25)
        left = await pending(engine, busy)
        print(f"\nquiet paragraph embedded {time.monotonic() - started:.1f} s after its add; busy backlog {left}")
        assert left > 0  # it was served while the busy server still had work queued
    finally:
        adder.cancel()
        with pytest.raises(asyncio.CancelledError):
            await adder
