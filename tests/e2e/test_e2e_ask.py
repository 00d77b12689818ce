"""Asking through the real discord.py client, against the local Discord stand-in."""

from __future__ import annotations

import pytest

from .e2e_support import SEED_QUESTION, World
from .fakediscord import EPHEMERAL, INTENT_MESSAGE_CONTENT

pytestmark = pytest.mark.asyncio


def passages_text(msg: dict) -> str:
    return "\n".join(e.get("description", "") for e in msg["embeds"])


async def test_ask_seed_question_answered_with_interpol_passages(world: World, start_bot):
    fake = world.fake
    await start_bot()
    interaction = await fake.slash(world.channel, world.member, "ask", question=SEED_QUESTION)
    ack = await interaction.wait_ack()
    assert ack["type"] == 5  # deferred: "articlebot is thinking..."
    assert interaction.ack_seconds < fake.interaction_timeout
    msg = await interaction.wait_message()
    assert msg["content"].startswith("**Question:** " + SEED_QUESTION)
    assert not msg["flags"] & EPHEMERAL
    assert 1 <= len(msg["embeds"]) <= 3
    top = msg["embeds"][0]
    assert top["title"].startswith("Chinese and Russian police chiefs meet")
    assert "Interpol" in top["description"] and "**Interpol" in top["description"]
    assert top["footer"]["text"] == "1. Vladimir Kolokoltsev · paragraph 10 of 24 · article #1"
    labels = [b.get("label") for b in fake.buttons(msg)]
    assert labels[:2] == ["More results", "Show context"]
    assert msg["_allowed_mentions"]["parse"] == []


async def test_a_misspelt_question_is_answered_and_says_how_it_was_read(world: World, start_bot):
    fake = world.fake
    await start_bot()
    interaction = await fake.slash(world.channel, world.member, "ask", question="what did kolokolsev say about interpoll")
    await interaction.wait_ack()
    msg = await interaction.wait_message()
    assert msg["content"].startswith("**Question:** what did kolokolsev say about interpoll")
    assert 'read "kolokolsev" as "kolokoltsev"' in msg["content"]
    assert "**Interpol" in passages_text(msg)


async def test_mention_answered_without_message_content_intent(world: World, start_bot):
    fake = world.fake
    await start_bot()  # no ask channels: the privileged intent is not requested
    conn = fake.shard_connection(world.guild.id)
    assert not conn.intents & INTENT_MESSAGE_CONTENT

    # A question that does not mention the bot reaches it blanked (as Discord does) and is left alone...
    plain = await fake.user_message(world.channel, world.member, SEED_QUESTION + "?")
    delivered = [f for d, _, f in fake.gateway_log if d == "out" and f.get("t") == "MESSAGE_CREATE"]
    assert delivered[-1]["d"]["id"] == plain["id"] and delivered[-1]["d"]["content"] == ""
    # ...while a mention is delivered with its content and answered.
    bot_mention = f"<@{fake.bot_user['id']}>"
    asked = await fake.user_message(world.channel, world.member, f"{bot_mention} {SEED_QUESTION}?",
                                    mentions=(fake.bot_user,))
    reply = await fake.wait_bot_message(world.channel)
    assert reply["message_reference"]["message_id"] == asked["id"]
    assert reply["content"].startswith("**Question:** " + SEED_QUESTION)
    assert "**Interpol" in passages_text(reply)
    assert reply["_allowed_mentions"]["parse"] == [] and reply["_allowed_mentions"]["replied_user"] is False
    # Only the mention was answered (the blanked message was handled first, in gateway order).
    assert len(fake.bot_messages(world.channel)) == 1


async def test_reply_to_an_answer_is_a_follow_up(world: World, start_bot):
    fake = world.fake
    await start_bot()
    await fake.user_message(world.channel, world.member, f"<@{fake.bot_user['id']}> {SEED_QUESTION}",
                            mentions=(fake.bot_user,))
    answer = await fake.wait_bot_message(world.channel)
    # Replying (with the default reply ping) mentions the bot, so the content is delivered without the intent.
    follow_up = await fake.user_message(world.channel, world.member, "and what about the wanted persons databases?",
                                        reply_to=answer)
    follow = await fake.wait_reply(follow_up)
    assert follow["content"].startswith("**Question:** " + SEED_QUESTION + " and what about the wanted persons")
    assert "General Secretariat" in passages_text(follow)


async def test_ask_channel_answers_questions_without_mention(world: World, start_bot):
    fake = world.fake
    await start_bot(ask_channel_ids=frozenset({int(world.channel["id"])}))
    conn = fake.shard_connection(world.guild.id)
    assert conn.intents & INTENT_MESSAGE_CONTENT  # requested only because ask channels are configured
    await fake.user_message(world.channel, world.member, "good morning everyone")
    await fake.user_message(world.channel, world.member, SEED_QUESTION + "?")
    reply = await fake.wait_bot_message(world.channel)
    assert "**Interpol" in passages_text(reply)
    assert len(fake.bot_messages(world.channel)) == 1


async def test_more_results_and_show_context(world: World, start_bot):
    fake = world.fake
    await start_bot()
    asked = await fake.slash(world.channel, world.member, "ask", question=SEED_QUESTION)
    first = await asked.wait_message()
    first_footers = [e["footer"]["text"] for e in first["embeds"]]

    more = await fake.click(first, world.member, "More results")
    assert (await more.wait_ack())["type"] == 5
    page2 = await more.wait_message()
    assert page2["flags"] & EPHEMERAL
    footers = [e["footer"]["text"] for e in page2["embeds"]]
    assert footers and footers[0].startswith("4. ")
    assert not {f.split(". ", 1)[1] for f in footers} & {f.split(". ", 1)[1] for f in first_footers}
    assert "Kolokoltsev" in passages_text(page2)

    ctx = await fake.click(first, world.member, "Show context")
    shown = await ctx.wait_message()
    assert shown["flags"] & EPHEMERAL
    assert [e["footer"]["text"].rsplit(" · ", 1)[-1] for e in shown["embeds"]] == [
        "paragraph 9 of 24", "paragraph 10 of 24", "paragraph 11 of 24"
    ]
    assert "Interpol" in shown["embeds"][1]["description"]


async def test_a_question_with_no_passage_at_all_says_so(world: World, start_bot):
    fake = world.fake
    await start_bot()
    asked = await fake.slash(world.channel, world.member, "ask", question="zebras giraffes hippos")
    msg = await asked.wait_message()
    assert "I couldn't find that in the 1 article I know." in msg["content"]
    assert msg["embeds"] == [] and fake.buttons(msg) == []


async def test_cooldown_is_friendly_and_private(world: World, start_bot):
    fake = world.fake
    await start_bot(ask_cooldown_rate=1, ask_cooldown_per=600.0)
    first = await fake.slash(world.channel, world.member, "ask", question=SEED_QUESTION)
    await first.wait_message()
    second = await fake.slash(world.channel, world.member, "ask", question=SEED_QUESTION)
    ack = await second.wait_ack()
    assert ack["type"] == 4 and ack["data"]["flags"] & EPHEMERAL
    assert "try again" in ack["data"]["content"]
    # The limit is shared with mentions; in chat the note is a short reply that deletes itself.
    mention = await fake.user_message(world.channel, world.member, f"<@{fake.bot_user['id']}> {SEED_QUESTION}",
                                      mentions=(fake.bot_user,))
    note = await fake.wait_reply(mention)
    assert "try again" in note["content"] and note["embeds"] == []
    # Someone else is not slowed down.
    other = await fake.slash(world.channel, world.admin, "ask", question=SEED_QUESTION)
    assert "**Interpol" in passages_text(await other.wait_message())


async def test_ask_article_option_autocompletes_titles(world: World, start_bot):
    fake = world.fake
    await start_bot()
    auto = await fake.autocomplete(world.channel, world.member, "ask", "article", question="x", article="police chiefs")
    await auto.wait_ack()
    assert auto.choices and auto.choices[0]["value"] == "1"
    assert auto.choices[0]["name"].startswith("Chinese and Russian police chiefs")
    asked = await fake.slash(world.channel, world.member, "ask", question="Interpol", article="1")
    msg = await asked.wait_message()
    assert all(e["footer"]["text"].endswith("article #1") for e in msg["embeds"])


def _payloads_sent_by_bot(fake) -> list[dict]:
    """Every message payload the bot sent: interaction callbacks, follow-ups, edits, channel messages."""
    out = []
    for r in fake.requests:
        body = r.json
        if not isinstance(body, dict) or r.method not in ("POST", "PATCH"):
            continue
        if r.path.endswith("/callback"):
            if body.get("type") in (4, 7):
                out.append(body["data"])
        elif r.path.startswith(("/webhooks/", "/channels/")) and not r.path.endswith("/typing"):
            out.append(body)
    return out


async def test_everyone_in_an_article_or_question_pings_no_one(world: World, start_bot):
    fake = world.fake
    await start_bot()
    role = world.guild.roles[-1]
    body = (f"Town hall notice\n\n@everyone the town hall flood meeting moves to Thursday, said <@{world.admin['id']}> "
            f"and <@&{role['id']}> @here.")
    added = await fake.slash(world.channel, world.admin, "article add", file=fake.upload(world.channel, "notice.txt", body.encode()))
    assert "Added article" in (await added.wait_message())["content"]

    asked = await fake.slash(world.channel, world.member, "ask", question="@everyone when is the town hall flood meeting?")
    answer = await asked.wait_message()
    quoted = answer["embeds"][0]["description"]
    # (@everyone is not searched for: Discord markup in a question is not part of it.)
    assert quoted.startswith("@everyone the **town** **hall** **flood** **meeting** moves to Thursday")
    assert "@here" in quoted
    assert answer["content"].startswith("**Question:** @everyone when is the town hall flood meeting?")

    question = await fake.user_message(world.channel, world.member, f"<@{fake.bot_user['id']}> @everyone town hall flood meeting?",
                                       mentions=(fake.bot_user,))
    reply = await fake.wait_reply(question)
    assert reply["embeds"], reply["content"]
    assert "everyone" in reply["embeds"][0]["description"]

    payloads = _payloads_sent_by_bot(fake)
    assert len(payloads) >= 3
    for p in payloads:
        am = p.get("allowed_mentions")
        assert am is not None, p
        assert am["parse"] == [] and not am.get("users") and not am.get("roles"), am
        assert am.get("replied_user") in (None, False)


async def test_direct_messages_are_questions(world: World, start_bot):
    fake = world.fake
    await start_bot()
    dm = fake.open_dm(world.member)
    asked = await fake.user_message(dm, world.member, SEED_QUESTION)  # no mention needed in a DM
    reply = await fake.wait_reply(asked)
    assert "**Interpol" in passages_text(reply)
    slash = await fake.slash(dm, world.member, "ask", question=SEED_QUESTION)
    assert "**Interpol" in passages_text(await slash.wait_message())
    # /article is guild-only (Discord hides it in DMs); the bot refuses it there at run time too.
    refused = await fake.slash(dm, world.member, "article stats")
    ack = await refused.wait_ack()
    assert ack["data"]["flags"] & EPHEMERAL and "only works in a server" in ack["data"]["content"]


async def test_markdown_in_a_question_is_shown_as_typed_not_as_a_masked_link(world: World, start_bot):
    fake = world.fake
    await start_bot()
    question = "[Kolokoltsev](https://evil.example/login) what did **he** say about ||Interpol||"
    asked = await fake.slash(world.channel, world.member, "ask", question=question)
    msg = await asked.wait_message()
    shown = ("**Question:** \\[Kolokoltsev\\](https://evil.example/login) what did \\*\\*he\\*\\* "
             "say about \\|\\|Interpol\\|\\|")
    assert msg["content"].splitlines()[0] == shown
    assert "**Interpol" in passages_text(msg)
    # "More results" reads the question back from the message: the same question, shown the same way.
    more = await fake.click(msg, world.member, "More results")
    page2 = await more.wait_message()
    assert page2["content"].splitlines()[0] == shown
    assert page2["embeds"] and page2["embeds"][0]["footer"]["text"].startswith("4. ")


def unescaped(text: str) -> str:
    from bot.render import unescape

    return unescape(text.replace("**", ""))


async def test_a_passage_too_long_for_its_embed_can_be_read_whole(world: World, start_bot):
    fake = world.fake
    bot = await start_bot()
    long_paragraph = " ".join(
        f"On night {n} the keeper logged gale number {n} at the harbour lighthouse and trimmed the [lamp]."
        for n in range(1, 61)
    )  # about 5,800 characters: one paragraph, more than an answer's embed can hold
    body = (f"Harbour lighthouse keeper's log\n\n{long_paragraph}\n\n"
            "The harbour lighthouse keeper kept the log for forty years.\n\n"
            "Visitors can read the keeper's log at the harbour museum.\n")
    added = await fake.slash(world.channel, world.admin, "article add",
                             file=fake.upload(world.channel, "log.txt", body.encode()))
    assert "Added article #1000001" in (await added.wait_message(timeout=60))["content"]
    assert (await bot.engine.paragraphs(1000001, guild_id=world.guild.id))[0] == long_paragraph

    asked = await fake.slash(world.channel, world.member, "ask", question="what did the keeper log at the harbour lighthouse")
    answer = await asked.wait_message()
    top = answer["embeds"][0]
    assert top["footer"]["text"] == "1. paragraph 1 of 3 · article #1000001"
    assert len(top["description"]) < 2000 and top["description"].endswith("…")  # cut short in the answer...
    assert [b.get("label") for b in fake.buttons(answer)] == ["Show context", "Read all", "👍", "👎"]  # the others fit

    async def read_all(msg: dict) -> list[dict]:
        read = await fake.click(msg, world.member, "Read all")  # ...and whole behind the button
        await fake.wait_until(lambda: len(read.messages()) >= 2 and not read.messages()[0]["flags"] & 128, 30,
                              "the passage in two messages")
        return read.messages()

    parts = await read_all(answer)
    assert all(m["flags"] & EPHEMERAL for m in parts)
    assert parts[0]["content"] == "Paragraph 1 of 3 in **Harbour lighthouse keeper's log** (2 parts)"
    assert [m["embeds"][0]["footer"]["text"] for m in parts] == ["part 1 of 2", "part 2 of 2"]
    assert unescaped(" ".join(m["embeds"][0]["description"] for m in parts)) == long_paragraph
    assert "\\[lamp\\]" in parts[0]["embeds"][0]["description"]  # escaped like every passage

    # "Show context" cuts it too, and offers the same.
    ctx = await fake.click(answer, world.member, "Show context")
    context = await ctx.wait_message()
    assert "Read all" in [b.get("label") for b in fake.buttons(context)]
    again = await read_all(context)
    assert unescaped(" ".join(m["embeds"][0]["description"] for m in again)) == long_paragraph
