"""Adding articles cannot stop the bot (issue #11, parts 2 and 3), through the Discord stand-in.

- A file that is slow to parse is read in a worker process: the event loop keeps running (a ticker task
  measures how late it wakes up) and another server's /ask is answered meanwhile.
- Slow URL adds (a local server that sends one byte a second) run on their own bounded pool, a server
  may run only two at once, and every add ends with a clear private message: another server's /ask is
  answered in under a second all the while.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import os
import threading
import time
from typing import Iterator

import pytest

from bot import engine as engine_module

from .e2e_support import SEED_QUESTION, World, build_world, process_env, start_bot_process, stop_bot_process
from .fakediscord import EPHEMERAL, FakeDiscord
from .load import answer_time, make_askers

pytestmark = pytest.mark.asyncio

# Markdown italics over 60 KB of "_a ": seconds of backtracking in a regex on the engine this was written
# against (any input that is slow to parse would do: the point is where the parsing runs).
CRAFTED = ("_a " * 20000).encode()
MAX_STALL = 0.5  # the bound on how long the event loop may be blocked
ANSWER_WITHIN = 1.0  # the bound on answering /ask in one server while another adds


class LoopTicker:
    """Wakes up every ``every`` seconds and records how late each wake-up was: a blocked event loop
    shows as a late wake-up as long as it was blocked."""

    def __init__(self, every: float = 0.02) -> None:
        self.every = every
        self.stalls: list[float] = []
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(self.every)
            self.stalls.append(time.monotonic() - before - self.every)

    async def __aenter__(self) -> "LoopTicker":
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    @property
    def worst(self) -> float:
        return max(self.stalls, default=0.0)


async def ask_and_time(fake: FakeDiscord, channel: dict, user: dict) -> float:
    """Seconds from sending /ask to the answer showing, after checking it is the real answer."""
    asked = await fake.slash(channel, user, "ask", question=SEED_QUESTION)
    msg = await asked.wait_message(timeout=60)
    assert msg["embeds"] and "**Interpol" in msg["embeds"][0]["description"], msg
    assert asked.ack_seconds is not None and asked.ack_seconds < fake.interaction_timeout
    seconds = answer_time(fake, asked)
    assert seconds is not None
    return seconds


async def test_a_file_slow_to_parse_does_not_stall_the_bot(world: World, start_bot, monkeypatch):
    fake = world.fake
    monkeypatch.setattr(engine_module, "READ_SECONDS", 4, raising=False)  # keep the test short
    bot = await start_bot()
    askers = make_askers(fake, world.guild2, 3)
    before = await bot.engine.count_articles(world.guild.id)

    async with LoopTicker() as ticker:
        added = await fake.slash(world.channel, world.admin, "article add",
                                 file=fake.upload(world.channel, "crafted.md", CRAFTED))
        await asyncio.sleep(0.5)
        answer_times = [await ask_and_time(fake, world.channel2, user) for user in askers]
        reply = await added.wait_message(timeout=60)
    print(f"\nslow file: worst loop stall {ticker.worst:.3f} s; /ask answered in {max(answer_times):.3f} s at worst")

    assert ticker.worst < MAX_STALL, f"the event loop stalled for {ticker.worst:.2f} s"
    assert max(answer_times) < ANSWER_WITHIN, answer_times
    # The admin hears either that it was added or, if it was still being read at the time limit, why not.
    assert reply["flags"] & EPHEMERAL
    content = reply["content"]
    stopped = "Couldn't add `crafted.md`: reading it took longer than 4 seconds, so I stopped" in content
    assert stopped or content.startswith("Added article #"), content
    assert await bot.engine.count_articles(world.guild.id) == before + (0 if stopped else 1)

    # The next add works (a killed worker is replaced).
    notes = b"Harbour lighthouse restoration finished\n\nThe old lighthouse reopened on Saturday."
    again = await fake.slash(world.channel, world.admin, "article add",
                             file=fake.upload(world.channel, "lighthouse.md", notes))
    assert "**Harbour lighthouse restoration finished**" in (await again.wait_message(timeout=60))["content"]


class TrickleHandler(http.server.BaseHTTPRequestHandler):
    """Answers every request one byte a second, forever (until the client goes or the test ends)."""

    stop: threading.Event

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.hits += 1  # type: ignore[attr-defined]
        page = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body>" + b"<p>slow</p>" * 1000
        for byte in page:
            if self.server.stop.wait(1.0):  # type: ignore[attr-defined]
                return
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def trickle_server() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), TrickleHandler)
    server.daemon_threads = True
    server.stop = threading.Event()  # type: ignore[attr-defined]
    server.hits = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()


async def test_asks_are_answered_while_other_servers_add_slow_urls(world: World, start_bot, monkeypatch):
    fake = world.fake
    monkeypatch.setenv("ARTICLEBOT_ALLOW_PRIVATE_URLS", "1")  # the slow server is on 127.0.0.1
    monkeypatch.setenv("ARTICLEBOT_FETCH_TIMEOUT", "2")
    # Three more servers, each with its admin, adding two slow pages: with the busy server's two, eight
    # slow adds at once, more than there are readers.
    others = [fake.add_guild(f"Adders {n}") for n in range(3)]
    channels = [guild.add_channel("news") for guild in others]
    askers = make_askers(fake, world.guild2, 6)
    bot = await start_bot()

    with trickle_server() as slow:
        base = f"http://127.0.0.1:{slow.server_address[1]}"
        adds = [await fake.slash(world.channel, world.admin, "article add", url=f"{base}/busy/{n}")
                for n in range(8)]
        for guild, channel in zip(others, channels):
            adds += [await fake.slash(channel, guild.owner, "article add", url=f"{base}/{guild.id}/{n}")
                     for n in range(2)]
        answer_times = []
        async with LoopTicker() as ticker:
            for user in askers:
                answer_times.append(await ask_and_time(fake, world.channel2, user))
                await asyncio.sleep(0.5)
            replies = [await a.wait_message(timeout=60) for a in adds]
    print(f"\nslow URLs: /ask answered in {max(answer_times):.3f} s at worst; worst loop stall {ticker.worst:.3f} s")

    assert max(answer_times) < ANSWER_WITHIN, answer_times
    assert ticker.worst < MAX_STALL, f"the event loop stalled for {ticker.worst:.2f} s"
    busy, rest = replies[:8], replies[8:]
    assert all(r["flags"] & EPHEMERAL for r in replies)
    refused = [r for r in busy if "This server is already adding 2 articles" in r["content"]]
    assert len(refused) == 6, [r["content"] for r in busy]
    timed_out = [r for r in replies if r not in refused]
    assert len(timed_out) == 8
    for r in timed_out:
        assert r["content"].startswith(f"Couldn't add <{base}/") and "timed out after 2 s" in r["content"], r["content"]
    assert slow.hits == 8  # type: ignore[attr-defined]  # the refused adds never fetched
    assert await bot.engine.count_articles(world.guild.id) == 1  # only the shared sample


async def test_a_server_adding_too_fast_is_told_when_to_try_again(world: World, start_bot):
    fake = world.fake
    bot = await start_bot()
    limit = bot.add_gate.started.rate
    for n in range(limit):
        body = f"Council meeting number {n}\n\nThe council met for the {n}th time and approved the budget."
        added = await fake.slash(world.channel, world.admin, "article add",
                                 file=fake.upload(world.channel, f"m{n}.md", body.encode()))
        assert "Added article" in (await added.wait_message(timeout=60))["content"]

    refused = await fake.slash(world.channel, world.admin, "article add",
                               file=fake.upload(world.channel, "one-more.md", b"One more\n\nText."))
    ack = await refused.wait_ack()
    assert ack["type"] == 4 and ack["data"]["flags"] & EPHEMERAL  # refused at once, privately
    assert f"This server has added {limit} articles in the last 60 seconds; try again in" in ack["data"]["content"]
    modal = await fake.slash(world.channel, world.admin, "article add")  # no form to fill in for nothing
    assert (await modal.wait_ack())["type"] == 4 and modal.modal is None
    # Another server is not affected.
    other = await fake.slash(world.channel2, world.admin2, "article add",
                             file=fake.upload(world.channel2, "elsewhere.md", b"Elsewhere news\n\nSomething happened."))
    assert "Added article" in (await other.wait_message(timeout=60))["content"]


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid and fields[0] != "Z":
                    found.add(int(entry))
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc to find the worker processes")
async def test_a_bot_process_reads_in_worker_processes_and_stops_them_when_it_stops(fake: FakeDiscord, tmp_path):
    world = build_world(fake)
    proc = await start_bot_process(process_env(fake, tmp_path / "w.db", DEV_GUILD_ID=str(world.guild.id)), tmp_path)
    try:
        await fake.wait_connected(timeout=60)
        await fake.wait_until(lambda: world.guild.id in fake.commands, 30, "commands synced")
        notes = b"Harbour lighthouse restoration finished\n\nThe old lighthouse reopened on Saturday."
        added = await fake.slash(world.channel, world.admin, "article add",
                                 file=fake.upload(world.channel, "lighthouse.md", notes))
        assert "Added article #1000001" in (await added.wait_message(timeout=60))["content"]
        workers = children_of(proc.pid)
        assert len(workers) >= 1  # the reader (spawn also starts a resource tracker)
        assert fake.identify_count == 1  # a worker is not a second bot
    finally:
        text = await stop_bot_process(proc)
    assert proc.returncode == 0, text
    for _ in range(100):  # the workers stop with the bot (polled: nothing else signals it)
        if not any(running(w) for w in workers):
            break
        await asyncio.sleep(0.1)
    assert not any(running(w) for w in workers)


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has stopped
    except OSError:
        return False
