"""Issue 6, the bot's part: a server that removes the bot loses its articles (an outage does not); the token
never appears in logs or error messages; nothing the bot sends can ping anyone."""

from __future__ import annotations

import asyncio
import logging

import pytest

from .e2e_support import SEED_QUESTION, World, build_world, process_env, start_bot_process, stop_bot_process
from .fakediscord import EPHEMERAL, FakeDiscord
from .test_e2e_ask import _payloads_sent_by_bot

pytestmark = pytest.mark.asyncio

# A recognisable token: its parts must not show up anywhere, not even cut in pieces.
TOKEN = "MTIzNDU2Nzg5.GrEcOg.n0t-4-r34l-t0k3n-but-s3cr3t-n0n3th3l3ss"
SECRET_PART = "n0t-4-r34l-t0k3n-but-s3cr3t"


def note(name: str) -> bytes:
    return f"{name} notice\n\nThe {name} lighthouse keepers meet on Thursday about the {name} ferry timetable.".encode()


async def until(predicate, timeout: float = 10.0, what: str = "condition") -> None:
    """Poll the bot's state (its database is not the stand-in's, so there is nothing to wait on)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


# ---------------------------------------------------------------------------- leaving a server


async def test_removed_from_a_server_purges_its_articles_but_an_outage_does_not(world: World, start_bot, caplog):
    fake = world.fake
    bot = await start_bot()
    for guild, channel, admin, name in ((world.guild, world.channel, world.admin, "Northport"),
                                        (world.guild2, world.channel2, world.admin2, "Southport")):
        added = await fake.slash(channel, admin, "article add", file=fake.upload(channel, f"{name}.txt", note(name)))
        assert "Added article" in (await added.wait_message())["content"]

    async def own(guild_id: int) -> list:
        return [a for a in await bot.engine.articles(guild_id) if str(a.scope) == str(guild_id)]

    assert len(await own(world.guild.id)) == 1 and len(await own(world.guild2.id)) == 1
    shared_before = await bot.engine.count_articles(None)

    with caplog.at_level(logging.INFO, logger="bot"):
        # An outage: GUILD_DELETE with "unavailable": true. Nothing is purged...
        await fake.remove_guild(world.guild, unavailable=True)
        await until(lambda: _unavailable(bot, world.guild.id), what="the guild to be unavailable")
        # ...and when the server is back, its article still answers.
        await fake.restore_guild(world.guild)
        await until(lambda: _available(bot, world.guild.id), what="the guild to be back")
        asked = await fake.slash(world.channel, world.member, "ask", question="Northport lighthouse keepers ferry timetable")
        assert (await asked.wait_message())["embeds"][0]["title"] == "Northport notice"
        assert len(await own(world.guild.id)) == 1
        assert not any("purged" in r.getMessage() for r in caplog.records)
        assert any("unavailable" in r.getMessage() and str(world.guild.id) in r.getMessage() for r in caplog.records)

        # Removed (kicked, or the server deleted): GUILD_DELETE without "unavailable" purges its articles.
        await fake.remove_guild(world.guild)
        await until(lambda: _count_is(own, world.guild.id, 0), what="the guild's articles to be purged")

        async def logged() -> bool:  # the count reaches 0 inside purge_guild, before the bot logs it
            return any("purged" in r.getMessage() for r in caplog.records)

        await until(logged, what="the purge to be logged")
    assert bot.get_guild(world.guild.id) is None
    purged = [r.getMessage() for r in caplog.records if "purged" in r.getMessage()]
    assert purged == [f"removed from server {world.guild.id}: purged its 1 article"]
    # The other server's article and the shared ones stay.
    assert len(await own(world.guild2.id)) == 1
    assert await bot.engine.count_articles(None) == shared_before
    asked = await fake.slash(world.channel2, world.member, "ask", question="Southport lighthouse keepers ferry timetable")
    assert (await asked.wait_message())["embeds"][0]["title"] == "Southport notice"


async def _unavailable(bot, guild_id: int) -> bool:
    g = bot.get_guild(guild_id)
    return g is not None and g.unavailable


async def _available(bot, guild_id: int) -> bool:
    g = bot.get_guild(guild_id)
    return g is not None and not g.unavailable


async def _count_is(own, guild_id: int, n: int) -> bool:
    return len(await own(guild_id)) == n


# ---------------------------------------------------------------------------- the token


async def test_rejected_token_is_not_in_any_output_even_at_debug(fake: FakeDiscord, tmp_path):
    proc = await start_bot_process(process_env(fake, tmp_path / "t.db", DISCORD_TOKEN=TOKEN, LOG_LEVEL="DEBUG"), tmp_path)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    text = (out + err).decode()
    assert proc.returncode == 1
    assert any(r.path == "/users/@me" and r.status == 401 for r in fake.requests)  # Discord said 401
    assert "DEBUG" in text  # the debug log was on
    assert TOKEN not in text and SECRET_PART not in text
    assert text.strip().splitlines()[-1].startswith("articlebot: Discord rejected DISCORD_TOKEN")


@pytest.mark.fake_options(token=TOKEN)
async def test_token_is_not_in_any_output_of_a_debug_session(fake: FakeDiscord, tmp_path):
    """A whole session at LOG_LEVEL=DEBUG: login, IDENTIFY, command sync, questions, an error, a dropped
    connection and RESUME (which sends the token again), a REST call Discord refuses, shutdown."""
    world = build_world(fake)
    env = process_env(fake, tmp_path / "t.db", LOG_LEVEL="DEBUG", DEV_GUILD_ID=str(world.guild.id))
    assert env["DISCORD_TOKEN"] == TOKEN
    proc = await start_bot_process(env, tmp_path)
    try:
        await fake.wait_connected(timeout=60)
        await fake.wait_until(lambda: world.guild.id in fake.commands, 30, "commands synced")
        asked = await fake.slash(world.channel, world.member, "ask", question=SEED_QUESTION)
        assert "**Interpol" in (await asked.wait_message(timeout=30))["embeds"][0]["description"]
        refused = await fake.slash(world.channel, world.admin, "article add",
                                   file=fake.upload(world.channel, "x.png", b"\x89PNG"))
        assert "Couldn't add" in (await refused.wait_message(timeout=30))["content"]

        # The gateway drops the connection (resumable close code): the bot RESUMEs with its token.
        first = fake.connections[0]
        await first.ws.close(code=4000, message=b"Unknown error")
        await fake.wait_until(lambda: len(fake.connections) == 2 and fake.connections[1].identified.is_set(), 30,
                              "RESUME")
        assert fake.identify_count == 1  # resumed, not identified again
        again = await fake.slash(world.channel, world.member, "ask", question=SEED_QUESTION)
        await again.wait_message(timeout=30)

        # Discord refuses a REST call (401): the bot's reply to a mention fails and is logged.
        fake.token = "rotated-" + "x" * 20
        mention = await fake.user_message(world.channel, world.member, f"<@{fake.bot_user['id']}> {SEED_QUESTION}",
                                          mentions=(fake.bot_user,))
        await fake.wait_until(lambda: any(r.status == 401 and r.path == f"/channels/{world.channel['id']}/messages"
                                          for r in fake.requests), 30, "the refused reply")
        assert mention["id"]
    finally:
        text = await stop_bot_process(proc)
    assert proc.returncode == 0, text
    assert "DEBUG" in text and "RESUME" in text and "could not answer message" in text
    assert TOKEN not in text and SECRET_PART not in text


# ---------------------------------------------------------------------------- mentions


async def test_no_message_the_bot_sends_can_ping_anyone(world: World, start_bot):
    """Every way the bot sends a message: answers (slash, mention, DM, buttons), admin replies, forms,
    pages, edits, confirmations and errors. The stand-in records each payload; every one must carry
    ``allowed_mentions`` that parse nothing."""
    fake = world.fake
    bot = await start_bot(ask_cooldown_rate=1, ask_cooldown_per=600.0)
    ping = f"@everyone @here <@{world.admin['id']}> <@&{world.guild.roles[0]['id']}>"

    async def shown(interaction):
        return await interaction.wait_message()

    # Articles whose text pings everyone (file, modal), and an /ask whose question does.
    added = await fake.slash(world.channel, world.admin, "article add",
                             file=fake.upload(world.channel, "ping.txt", f"Ping notice\n\n{ping} the ferry meets.".encode()))
    assert "Added article" in (await shown(added))["content"]
    opened = await fake.slash(world.channel, world.admin, "article add")
    assert (await opened.wait_ack())["type"] == 9
    form = await fake.submit_modal(opened, world.admin, title=f"Pasted {ping}"[:100], text=f"{ping} pasted ferry text.")
    assert "Added article" in (await shown(form))["content"]
    refused = await fake.slash(world.channel, world.admin, "article add", file=fake.upload(world.channel, "p.png", b"x"))
    assert "Couldn't add" in (await shown(refused))["content"]
    denied = await fake.slash(world.channel, world.member, "article stats")  # no Manage Server: error callback
    assert (await denied.wait_ack())["type"] == 4

    asked = await fake.slash(world.channel, world.member, "ask", question=f"{ping} {SEED_QUESTION}")
    answer = await shown(asked)
    more = await fake.click(answer, world.member, "More results")
    await shown(more)
    ctx = await fake.click(answer, world.member, "Show context")
    await shown(ctx)
    limited = await fake.slash(world.channel, world.member, "ask", question=SEED_QUESTION)  # cooldown refusal
    assert (await limited.wait_ack())["data"]["flags"] & EPHEMERAL

    mention = await fake.user_message(world.channel, world.admin, f"<@{fake.bot_user['id']}> {ping} ferry",
                                      mentions=(fake.bot_user,))
    await fake.wait_reply(mention)
    dm = fake.open_dm(world.admin2)
    dm_reply = await fake.wait_reply(await fake.user_message(dm, world.admin2, f"{ping} {SEED_QUESTION}"))
    assert dm_reply["embeds"], dm_reply["content"]

    # Admin pages: list (with a Next button once there are more than 10), show, stats, remove + confirm.
    for n in range(9):
        i = await fake.slash(world.channel, world.admin, "article add",
                             file=fake.upload(world.channel, f"n{n}.md", f"Note {n} {ping}\n\nFerry note {n}.".encode()))
        await shown(i)
    listed = await fake.slash(world.channel, world.admin, "article list")
    page = await shown(listed)
    turned = await fake.click(page, world.admin, "Next")
    assert (await turned.wait_ack())["type"] == 7
    not_yours = await fake.click(fake.messages[page["id"]], world.member, "Previous")
    assert (await not_yours.wait_ack())["type"] == 4
    await shown(await fake.slash(world.channel, world.admin, "article show", id=1000001))
    await shown(await fake.slash(world.channel, world.admin, "article stats"))
    removing = await fake.slash(world.channel, world.admin, "article remove", id=1000001)
    confirm = await shown(removing)
    await fake.click(confirm, world.admin, "Remove")
    await fake.wait_until(lambda: "Removed article #1000001" in fake.messages[confirm["id"]]["content"])
    cancelling = await fake.slash(world.channel, world.admin, "article remove", id=1000002)
    confirm2 = await shown(cancelling)
    cancel = await fake.click(confirm2, world.admin, "Cancel")
    assert (await cancel.wait_ack())["type"] == 7

    # An unexpected error's private message.
    async def broken(guild_id):
        raise RuntimeError("boom")

    bot.engine.stats = broken
    failed = await fake.slash(world.channel, world.admin, "article stats")
    assert "Something went wrong" in (await shown(failed))["content"]

    payloads = _payloads_sent_by_bot(fake)
    kinds = set()
    for r in fake.requests:
        if r.method in ("POST", "PATCH") and isinstance(r.json, dict):
            if r.path.endswith("/callback") and r.json.get("type") in (4, 7):
                kinds.add(f"callback {r.json['type']}")
            elif r.path.startswith("/webhooks/"):
                kinds.add(f"webhook {r.method}{' @original' if r.path.endswith('@original') else ''}")
            elif r.path.startswith("/channels/") and r.path.endswith("/messages"):
                kinds.add("channel message")
    assert kinds >= {"callback 4", "callback 7", "webhook POST", "webhook PATCH @original", "channel message"}, kinds
    assert len(payloads) >= 25
    for p in payloads:
        am = p.get("allowed_mentions")
        assert am is not None, p
        assert am["parse"] == [] and not am.get("users") and not am.get("roles"), p
        assert am.get("replied_user") in (None, False), p
