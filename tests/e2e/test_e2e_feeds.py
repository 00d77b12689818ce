"""/feed through the real discord.py client against the Discord stand-in, with a local feed server: a new
entry is answered by /ask after one check, announced once (and not again after a restart)."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

import pytest
from feedserver import FeedServer, bbc_article, rss, send, serve_bbc_pages

from .e2e_support import World
from .fakediscord import EPHEMERAL, MANAGE_GUILD

pytestmark = pytest.mark.asyncio

PAGES = ["bbc-business-001", "bbc-business-002", "bbc-tech-221"]
SEND_MESSAGES = 1 << 11


@pytest.fixture
def server():
    with FeedServer() as s:
        serve_bbc_pages(s, PAGES)
        yield s


@pytest.fixture(autouse=True)
def feed_env(monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_ALLOW_PRIVATE_URLS", "1")  # the feed server is on 127.0.0.1
    monkeypatch.setenv("ARTICLEBOT_SAMPLES", "0")
    monkeypatch.setenv("ARTICLEBOT_FEED_TEST_INTERVAL_SECONDS", "0.5")  # tests only: checks every half second
    monkeypatch.setenv("ARTICLEBOT_FEED_HOST_SPACING", "0")


def item(server: FeedServer, name: str) -> dict:
    return {"title": bbc_article(name)[0], "link": server.url(f"/articles/{name}"), "guid": name}


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 60) -> None:
    """Wait (not a timed assertion: the bound only stops a broken run) until ``check`` holds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not await check():
        if loop.time() > end:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.1)


def posts(fake, channel: dict) -> list[dict]:
    """What the bot posted in the channel itself (not its private replies to commands)."""
    return [m for m in fake.bot_messages(channel) if "interaction_metadata" not in m]


async def next_post(fake, channel: dict, what: str) -> dict:
    async def posted() -> bool:
        return bool(posts(fake, channel))

    await eventually(posted, what)
    return posts(fake, channel)[0]


def feed_requests(server: FeedServer, path: str) -> int:
    return len(server.requests_for(path))


async def test_feed_group_is_guild_only_with_manage_server_default(world: World, start_bot):
    await start_bot()
    group = next(c for c in world.fake.commands[None] if c["name"] == "feed")
    assert int(group["default_member_permissions"]) == MANAGE_GUILD
    assert {o["name"] for o in group["options"]} == {"add", "list", "remove"}


async def test_member_without_manage_server_is_refused(world: World, start_bot, server):
    bot = await start_bot()
    url = server.put("/feeds/news.xml", rss("News", [item(server, "bbc-business-001")]))
    refused = await world.fake.slash(world.channel, world.member, "feed add", url=url)
    ack = await refused.wait_ack()
    assert ack["data"]["flags"] & EPHEMERAL and "Manage Server" in ack["data"]["content"]
    assert not server.hits and await bot.engine.count_articles(world.guild.id) == 0


async def test_new_entry_is_answered_announced_once_and_not_again_after_restart(world: World, start_bot, server):
    fake = world.fake
    url = server.put("/feeds/news.xml", rss("Newsroom wire", [item(server, "bbc-business-001")]))
    bot = await start_bot()
    added = await fake.slash(world.channel, world.admin, "feed add", url=url, channel=world.channel)
    reply = await added.wait_message(timeout=30)
    assert reply["flags"] & EPHEMERAL
    assert reply["content"].startswith(f"Following feed #1 **Newsroom wire** (1 entry) from <{url}>")
    assert f"<#{world.channel['id']}>" in reply["content"]

    async def indexed(n: int) -> bool:
        return await bot.engine.count_articles(world.guild.id) == n

    await eventually(lambda: indexed(1), "the first check indexed the feed's entry")
    assert posts(fake, world.channel) == []  # the first check announces nothing

    server.put("/feeds/news.xml", rss("Newsroom wire", [item(server, "bbc-business-002"),
                                                        item(server, "bbc-business-001")]))
    announced = await next_post(fake, world.channel, "the new entry announced")
    assert announced["content"] == "New from **Newsroom wire**"
    [embed] = announced["embeds"]
    assert embed["title"] == "Dollar gains on Greenspan speech"
    assert embed["url"] == server.url("/articles/bbc-business-002")
    assert "dollar" in embed["description"].lower()
    assert announced["_allowed_mentions"]["parse"] == []  # no mentions, whatever a feed's text holds

    asked = await fake.slash(world.channel, world.member, "ask", question="what did Greenspan say about the dollar")
    answer = await asked.wait_message(timeout=30)
    assert "Dollar gains on Greenspan speech" in [e.get("title") for e in answer["embeds"]]

    checks = feed_requests(server, "/feeds/news.xml")
    await eventually(lambda: _more(server, checks + 3), "three more checks")
    assert len(posts(fake, world.channel)) == 1  # announced once
    assert server.requests_for("/feeds/news.xml")[-1].status == 304  # nothing changed: nothing sent

    await bot.close()
    bot = await start_bot()
    checks = feed_requests(server, "/feeds/news.xml")
    await eventually(lambda: _more(server, checks + 3), "three checks after the restart")
    assert len(posts(fake, world.channel)) == 1  # and not again after the restart
    assert await bot.engine.count_articles(world.guild.id) == 2
    listed = await fake.slash(world.channel, world.admin, "feed list")
    shown = (await listed.wait_message())["embeds"][0]["description"]
    assert "Newsroom wire" in shown and "✅ ok" in shown and "2 articles" in shown


async def _more(server: FeedServer, at_least: int) -> bool:
    return feed_requests(server, "/feeds/news.xml") >= at_least


async def test_a_channel_the_bot_cannot_post_in_is_refused(world: World, start_bot, server):
    fake = world.fake
    muted = world.guild.add_channel("muted")
    muted["permission_overwrites"] = [{"id": fake.bot_user["id"], "type": 1, "allow": "0", "deny": str(SEND_MESSAGES)}]
    bot = await start_bot()
    url = server.put("/feeds/news.xml", rss("News", [item(server, "bbc-business-001")]))
    refused = await fake.slash(world.channel, world.admin, "feed add", url=url, channel=muted)
    message = (await refused.wait_message(timeout=30))["content"]
    assert message.startswith(f"I can't post in <#{muted['id']}>: I need Send Messages")  # (and so Embed Links)
    assert not server.hits and await bot.engine.count_articles(world.guild.id) == 0


async def test_list_autocomplete_and_remove(world: World, start_bot, server):
    fake = world.fake
    bot = await start_bot()
    url = server.put("/feeds/tech.xml", rss("Tech desk", [item(server, "bbc-tech-221")]))
    await (await fake.slash(world.channel, world.admin, "feed add", url=url)).wait_message(timeout=30)
    await eventually(lambda: _count(bot, world, 1), "the first check")
    choices = await fake.autocomplete(world.channel, world.admin, "feed remove", "feed", feed="tech")
    await choices.wait_ack()
    assert [c["value"] for c in choices.choices] == [1]
    elsewhere = await fake.slash(world.channel2, world.admin2, "feed remove", feed=1)
    assert "follows no feed #1" in (await elsewhere.wait_message())["content"]  # another server's feed
    removed = await fake.slash(world.channel, world.admin, "feed remove", feed=1)
    assert (await removed.wait_message())["content"] == \
        "Stopped following feed #1 **Tech desk**. Its 1 article stays (remove one with `/article remove`)."
    listed = await fake.slash(world.channel, world.admin, "feed list")
    assert "No feeds yet" in (await listed.wait_message())["embeds"][0]["description"]
    assert await bot.engine.count_articles(world.guild.id) == 1


async def _count(bot, world: World, n: int) -> bool:
    return await bot.engine.count_articles(world.guild.id) == n


async def test_a_stopped_feed_says_so_once_in_its_channel(world: World, start_bot, server):
    fake = world.fake
    bot = await start_bot()
    url = server.put("/feeds/gone.xml", rss("Closing down", []))
    await (await fake.slash(world.channel, world.admin, "feed add", url=url, channel=world.channel)).wait_message(timeout=30)
    await eventually(lambda: _checked(server, "/feeds/gone.xml", 1), "the first check")
    server.behave("/feeds/gone.xml", lambda h: send(h, 410, b"gone", "text/plain"))
    notice = await next_post(fake, world.channel, "the stopped feed said so")
    assert notice["content"].startswith("I stopped following **Closing down**")
    assert "HTTP 410" in notice["content"]
    hits = len(server.requests_for("/feeds/gone.xml"))
    await asyncio.sleep(2)  # four intervals: a stopped feed is not checked, and says it once
    assert len(server.requests_for("/feeds/gone.xml")) == hits
    assert len(posts(fake, world.channel)) == 1
    listed = await fake.slash(world.channel, world.admin, "feed list")
    assert "⛔ stopped" in (await listed.wait_message())["embeds"][0]["description"]
    assert bot is not None


async def _checked(server: FeedServer, path: str, n: int) -> bool:
    return len(server.requests_for(path)) >= n
