"""Vectors through the running bot: an added article is embedded in the background, questions in other
servers are answered meanwhile, and a paraphrase is then found by meaning (the real sentence model)."""

from __future__ import annotations

import asyncio

import pytest

from conftest import FIXTURES

from .e2e_support import World
from .test_e2e_isolation import ANSWER_WITHIN, MAX_STALL, LoopTicker, ask_and_time

pytestmark = pytest.mark.asyncio


async def test_added_articles_get_vectors_in_the_background(world: World, start_bot, monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_SEMANTIC", "1")
    fake = world.fake
    bot = await start_bot()
    engine = bot.engine
    files = ["bbc-business-434.txt", "bbc-tech-221.txt", "bbc-politics-187.txt"]
    async with LoopTicker() as ticker:
        for name in files:
            added = await fake.slash(world.channel, world.admin, "article add",
                                     file=fake.upload(world.channel, name, (FIXTURES / name).read_bytes()))
            assert "Added article" in (await added.wait_message(timeout=60))["content"]
        # While the worker embeds (the model loading included), another server's question is answered.
        seconds = await ask_and_time(fake, world.channel2, world.member)
        assert await asyncio.to_thread(engine.vectors.wait_idle, 300)
    assert seconds < ANSWER_WITHIN
    assert ticker.worst < MAX_STALL, f"the event loop stalled for {ticker.worst:.2f} s"
    stats = await engine.stats(world.guild.id)
    assert stats["vectors"] == stats["paragraphs"] > 0  # the guild's articles and the shared sample

    # A question with few of the answer's words ("factories escaped damage" after the tsunami), asked in
    # the guild through the running bot's engine: found by meaning among the first passages.
    answer = await engine.ask("will the wave disaster hurt the region's economy much", guild_id=world.guild.id,
                              limit=3)
    assert any("factories escaped damage" in p.text for p in answer.results)
