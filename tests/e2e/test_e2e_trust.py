"""Answers a user can trust (issue #12), through the real discord.py client against the local Discord
stand-in: who speaks in a passage, which article was searched, the closest passages when nothing answers
(and silence for small talk in ask channels), and 👍 / 👎 votes kept per server for `articlebot feedback`."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from pathlib import Path

import pytest

from corpus import cli

from .e2e_support import SEED_QUESTION, World
from .fakediscord import EPHEMERAL

pytestmark = pytest.mark.asyncio

TITLE = "Chinese and Russian police chiefs meet as Beijing casts wider law enforcement net"
INTEL = b"""Intel unveils laser breakthrough

Intel has unveiled a silicon laser that it says could speed up data links between computer chips.

The chip maker said the laser was made with the same processes it uses for its processors."""


def footers(msg: dict) -> list[str]:
    return [e["footer"]["text"] for e in msg["embeds"]]


def labels(fake, msg: dict) -> list[str]:
    return [b.get("label") for b in fake.buttons(msg)]


async def add_article(fake, world: World, name: str, body: bytes) -> str:
    added = await fake.slash(world.channel, world.admin, "article add", file=fake.upload(world.channel, name, body))
    return (await added.wait_message(timeout=60))["content"]


# ---------------------------------------------------------------------------- who speaks


async def test_answers_and_context_say_who_speaks(world: World, start_bot):
    fake = world.fake
    await start_bot()
    asked = await fake.slash(world.channel, world.member, "ask", question=SEED_QUESTION)
    answer = await asked.wait_message()
    # "He thanked China ..." (paragraph 12) names no one; the footer says who "he" is.
    thanked = next(e for e in answer["embeds"] if e["description"].startswith("He thanked China"))
    assert thanked["footer"]["text"] == "2. Vladimir Kolokoltsev · paragraph 12 of 24 · article #1"
    assert footers(answer)[0] == "1. Vladimir Kolokoltsev · paragraph 10 of 24 · article #1"

    ctx = await fake.click(answer, world.member, "Show context")
    shown = await ctx.wait_message()
    assert footers(shown)[1:] == ["Vladimir Kolokoltsev · paragraph 10 of 24",
                                  "Vladimir Kolokoltsev · paragraph 11 of 24"]
    assert shown["embeds"][2]["description"].startswith("He said the international police organisation")


async def test_a_paragraph_with_many_speakers_names_two(world: World, start_bot):
    fake = world.fake
    await start_bot()
    body = (b"Harbour council meets\n\n"
            b"Mayor Alice Jones, councillor Bob Smith and harbour master Carol White met on Monday.\n\n"
            b'"The harbour ferry will run again," said Jones. "We agree," said Smith. "So do I," said White.')
    assert "Added article" in await add_article(fake, world, "council.txt", body)
    asked = await fake.slash(world.channel, world.member, "ask", question="will the harbour ferry run again")
    top = (await asked.wait_message())["embeds"][0]
    assert top["footer"]["text"] == "1. Alice Jones, Bob Smith and others · paragraph 2 of 2 · article #1000001"


# ---------------------------------------------------------------------------- which article


async def test_a_typed_title_that_matches_no_article_is_refused_privately(world: World, start_bot):
    fake = world.fake
    await start_bot()
    assert "Added article #1000001" in await add_article(fake, world, "intel.txt", INTEL)

    # "interpol" is not a title: it used to search "Intel unveils laser breakthrough" and say nothing.
    refused = await fake.slash(world.channel, world.member, "ask", question=SEED_QUESTION, article="interpol")
    ack = await refused.wait_ack()
    assert ack["type"] == 4 and ack["data"]["flags"] & EPHEMERAL
    assert ack["data"]["content"].startswith("No article title matches “interpol”")
    assert "Intel" not in ack["data"]["content"]
    assert [m for m in refused.messages() if not m["flags"] & EPHEMERAL] == []

    # Close, but not every word: "did you mean", still nothing searched.
    close = await fake.slash(world.channel, world.member, "ask", question=SEED_QUESTION,
                             article="police chiefs in moscow")
    note = (await close.wait_ack())["data"]
    assert note["flags"] & EPHEMERAL
    assert f"did you mean **{TITLE}** (#1)?" in note["content"]


async def test_the_answer_says_which_article_was_searched(world: World, start_bot):
    fake = world.fake
    await start_bot()
    assert "Added article #1000001" in await add_article(fake, world, "intel [1].txt", INTEL)
    only = f"searched only **{TITLE}** (#1)"
    for typed in ("polise chiefs", "#1", "1"):  # a slip in a typed title; an id typed or from autocomplete
        asked = await fake.slash(world.channel, world.member, "ask", question=SEED_QUESTION, article=typed)
        msg = await asked.wait_message()
        assert only in msg["content"].splitlines()[1], typed
        assert all(f.endswith("article #1") for f in footers(msg))
        assert not msg["flags"] & EPHEMERAL

    # Nothing in that one article answers: the reply names it, not "the N articles I know".
    asked = await fake.slash(world.channel, world.member, "ask", question=SEED_QUESTION, article="intel laser")
    msg = await asked.wait_message()
    assert "**Intel unveils laser breakthrough** (#1000001)" in msg["content"]
    assert "articles I know" not in msg["content"]


async def test_a_slow_title_check_still_refuses_privately(world: World, start_bot, monkeypatch):
    """When checking the typed title outlasts the time before /ask must be acknowledged, the public
    "thinking..." message is deleted and the refusal is private all the same."""
    fake = world.fake
    bot = await start_bot()
    # (the extension's module as the bot loaded it: discord.py loads a fresh copy)
    monkeypatch.setattr(sys.modules["bot.cogs.ask"], "TITLE_CHECK_SECONDS", 0.05)
    match_title = bot.engine.match_title

    async def slow_match_title(*args, **kwargs):
        await asyncio.sleep(0.5)  # a busy engine
        return await match_title(*args, **kwargs)

    monkeypatch.setattr(bot.engine, "match_title", slow_match_title)
    refused = await fake.slash(world.channel, world.member, "ask", question=SEED_QUESTION, article="interpol")
    assert (await refused.wait_ack())["type"] == 5
    note = await refused.wait_message()
    assert note["flags"] & EPHEMERAL and note["content"].startswith("No article title matches “interpol”")
    assert fake.messages[refused.original["id"]].get("_deleted")


# ---------------------------------------------------------------------------- not found


async def test_not_found_shows_the_closest_passages_as_such(world: World, start_bot):
    fake = world.fake
    await start_bot()
    question = "zebra migration patterns in Kenya"
    asked = await fake.slash(world.channel, world.member, "ask", question=question)
    msg = await asked.wait_message()
    assert msg["content"].splitlines()[1] == "I'm not sure the 1 article I know answers that; the closest passages:"
    assert 1 <= len(msg["embeds"]) <= 3
    assert footers(msg)[0].startswith("1. closest passage · paragraph ")
    assert "**migration**" in msg["embeds"][0]["description"]
    assert "More results" not in labels(fake, msg) and "Show context" in labels(fake, msg)

    mention = await fake.user_message(world.channel, world.member, f"<@{fake.bot_user['id']}> {question}?",
                                      mentions=(fake.bot_user,))
    reply = await fake.wait_reply(mention)
    assert "the closest passages:" in reply["content"] and footers(reply)[0].startswith("1. closest passage")


async def test_an_ask_channel_ignores_what_it_cannot_answer_unless_asked_directly(world: World, start_bot):
    fake = world.fake
    await start_bot(ask_channel_ids=frozenset({int(world.channel["id"])}))
    pizza = await fake.user_message(world.channel, world.member, "does anyone want pizza?")
    zebra = await fake.user_message(world.channel, world.member, "where do zebras migrate in Kenya?")
    asked = await fake.user_message(world.channel, world.member, SEED_QUESTION + "?")
    answered = await fake.wait_reply(asked)
    assert "**Interpol" in answered["embeds"][0]["description"]
    await asyncio.sleep(1.0)  # the two earlier messages were searched first; give a reply time to show
    replied_to = {(m.get("message_reference") or {}).get("message_id") for m in fake.bot_messages(world.channel)}
    assert pizza["id"] not in replied_to and zebra["id"] not in replied_to
    assert not [r for r in fake.requests if r.path.endswith("/typing")]  # not even "typing..."

    # Put to the bot (a mention, a reply to it), the same question gets the closest passages.
    mention = await fake.user_message(world.channel, world.member, f"<@{fake.bot_user['id']}> where do zebras "
                                      "migrate in Kenya?", mentions=(fake.bot_user,))
    assert "the closest passages:" in (await fake.wait_reply(mention))["content"]


# ---------------------------------------------------------------------------- votes


def _feedback(capsys, db: Path, *args: str) -> list[dict]:
    capsys.readouterr()
    assert cli.main(["--db", str(db), "feedback", "--json", *args]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


async def test_votes_are_counted_per_server_without_who_voted(world: World, start_bot, tmp_path, capsys):
    fake = world.fake
    await start_bot()
    asked = await fake.slash(world.channel, world.member, "ask", question=SEED_QUESTION)
    answer = await asked.wait_message()
    assert labels(fake, answer)[-2:] == ["👍", "👎"]

    up = await fake.click(answer, world.member, "👍")
    assert (await up.wait_message())["content"].startswith("Thanks!")
    again = await fake.click(answer, world.member, "👎")  # one vote per person per answer
    note = await again.wait_message()
    assert note["flags"] & EPHEMERAL and "already voted" in note["content"]
    down = await fake.click(answer, world.admin, "👎")
    assert (await down.wait_message())["content"].startswith("Thanks!")

    # An answer from an earlier run of the bot (no view in memory for it): its buttons still count.
    earlier = fake._message(int(world.channel["id"]), fake.bot_user, {
        "content": "**Question:** who won the harbour regatta\n-# passage 1",
        "embeds": [{"title": TITLE, "description": "…"}],
        "components": [{"type": 1, "components": [
            {"type": 2, "style": 2, "label": "👎", "custom_id": "ab:vote:down:1.14"}]}]})
    old_vote = await fake.click(earlier, world.member, "👎")
    assert (await old_vote.wait_message())["content"].startswith("Thanks!")

    dm = fake.open_dm(world.member)
    dm_question = await fake.user_message(dm, world.member, "what did Kolokoltsev say")
    dm_answer = await fake.wait_reply(dm_question)
    dm_vote = await fake.click(dm_answer, world.member, "👍")
    assert (await dm_vote.wait_message())["content"].startswith("Thanks!")

    db = tmp_path / "articlebot.db"
    row = _feedback(capsys, db, "--guild", str(world.guild.id))[-1]
    assert row["question"] == SEED_QUESTION and (row["up"], row["down"]) == (1, 1)
    assert row["passages"][:2] == [{"article_id": 1, "paragraph": 10, "title": TITLE},
                                   {"article_id": 1, "paragraph": 12, "title": TITLE}]
    assert row["last_at"].startswith("20")
    everything = _feedback(capsys, db)  # every file: the DM's vote is in the shared one
    assert [(r["guild"], r["question"], r["up"], r["down"]) for r in everything] == [
        (None, "what did Kolokoltsev say", 1, 0), (str(world.guild.id), "who won the harbour regatta", 0, 1),
        (str(world.guild.id), SEED_QUESTION, 1, 1)]
    assert everything[1]["passages"] == [{"article_id": 1, "paragraph": 14, "title": TITLE}]
    assert _feedback(capsys, db, "--guild", str(world.guild2.id)) == []
    assert cli.main(["--db", str(db), "feedback", "--guild", str(world.guild.id)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"+1 -1 '{SEED_QUESTION}' -> #1 ¶10, #1 ¶12, ")

    # The server has no articles of its own, so its votes made no file for it: they are in the shared file,
    # with its id (a table of their own), and nothing says who voted.
    assert not (tmp_path / "articlebot.guilds" / f"{world.guild.id}.db").exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT question FROM feedback").fetchall() == [("what did Kolokoltsev say",)]
        assert sorted(conn.execute("SELECT guild, up, down FROM guild_feedback").fetchall()) == [
            (str(world.guild.id), 0, 1), (str(world.guild.id), 1, 1)]
    for path in [db, *tmp_path.rglob("*.db"), *tmp_path.rglob("*.db-wal")]:
        raw = path.read_bytes()
        assert not any(user["id"].encode() in raw for user in (world.member, world.admin)), path
