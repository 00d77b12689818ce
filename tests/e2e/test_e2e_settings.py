"""The running bot reads the engine's settings from ``.env`` in its working directory, like the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from .e2e_support import ROOT, World

pytestmark = pytest.mark.asyncio


async def test_engine_settings_in_dotenv_reach_article_add(world: World, start_bot, tmp_path: Path):
    (tmp_path / ".env").write_text("ARTICLEBOT_SAMPLES=0\nARTICLEBOT_ALLOW_PRIVATE_URLS=1\n")  # cwd is tmp_path
    fake = world.fake
    bot = await start_bot()
    url = fake.serve_page("harbour-bridge", (ROOT / "tests" / "fixtures" / "article.html").read_bytes())
    added = await fake.slash(world.channel, world.admin, "article add", url=url)
    msg = await added.wait_message(timeout=30)
    # fetched although the page is on 127.0.0.1...
    assert "Added article #1000001 **Harbour bridge reopens after repairs**" in msg["content"], msg["content"]
    assert fake.page_requests == ["harbour-bridge"]
    # ...and no sample article in the new database: the guild sees its one article only
    assert await bot.engine.count_articles(world.guild.id) == 1
