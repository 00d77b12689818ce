"""Fixtures: the Discord stand-in on 127.0.0.1 and the real bot (real discord.py, real SQLite file) on it."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any, Awaitable, Callable

import discord
import pytest
import pytest_asyncio
import yarl

from .e2e_support import World, build_world  # (first: puts the repository on sys.path if needed)
from .fakediscord import FakeDiscord

from bot.client import create_bot
from bot.settings import Settings


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fake_options(**kwargs): keyword arguments for the FakeDiscord stand-in")


@pytest_asyncio.fixture
async def fake(request: pytest.FixtureRequest):
    marker = request.node.get_closest_marker("fake_options")
    server = FakeDiscord(**(marker.kwargs if marker else {}))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def world(fake: FakeDiscord) -> World:
    return build_world(fake)


@pytest.fixture(autouse=True)
def _bot_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    for name in ("ARTICLEBOT_SAMPLES", "ARTICLEBOT_DB", "DISCORD_TOKEN", "ASK_CHANNEL_IDS", "DEV_GUILD_ID",
                 "SHARD_COUNT", "SHARD_IDS", "DISCORD_API_BASE", "DISCORD_GATEWAY_URL", "ASK_COOLDOWN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    # Words only unless a test asks for meaning: loading the sentence model costs seconds of CPU that would
    # be spent again by every bot these tests start (tests/e2e/test_e2e_vectors.py runs it for real).
    monkeypatch.setenv("ARTICLEBOT_SEMANTIC", "0")
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway if isinstance(gateway, yarl.URL) else yarl.URL(gateway)


StartBot = Callable[..., Awaitable[Any]]


@pytest_asyncio.fixture
async def start_bot(fake: FakeDiscord, tmp_path: Path):
    """``await start_bot(**settings)``: the real bot, connected to the stand-in and ready."""
    running: list[tuple[Any, asyncio.Task]] = []

    async def start(*, shards: int = 1, **overrides: Any):
        values: dict[str, Any] = dict(
            token=fake.token, db=str(tmp_path / "articlebot.db"), api_base=fake.api_base,
            gateway_url=fake.gateway_url,
        )
        values.update(overrides)
        settings = Settings(**values)
        bot = create_bot(settings, guild_ready_timeout=0.05)
        task = asyncio.create_task(bot.start(settings.token))
        running.append((bot, task))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, task}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            ready.cancel()
            task.result()  # raises what went wrong
            raise AssertionError("the bot stopped before it was ready")
        if ready not in done:
            raise AssertionError("the bot did not become ready")
        await fake.wait_connected(shards)
        return bot

    yield start
    for bot, task in running:
        await bot.close()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
