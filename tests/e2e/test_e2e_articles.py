"""/article admin commands through the real discord.py client, against the local Discord stand-in."""

from __future__ import annotations

import pytest

from bot.cooldown import GuildAddGate

from .e2e_support import ROOT, World
from .fakediscord import EPHEMERAL, MANAGE_GUILD

pytestmark = pytest.mark.asyncio

NOTES = (
    "Harbour lighthouse restoration finished\n\n"
    "The old harbour lighthouse reopened on Saturday after a two-year restoration by volunteers.\n\n"
    "Volunteers replaced the copper lantern roof and repainted the tower in its original red and white bands.\n"
)

PASTED_TITLE = "Village bakery wins regional sourdough prize"
PASTED_BODY = (
    "A village bakery has won the regional sourdough prize for the third year running.\n\n"
    "The judges praised the rye levain and the crust of the winning loaf."
)


def text_of(msg: dict) -> str:
    return msg["content"] + "\n" + "\n".join(e.get("description", "") for e in msg["embeds"])


async def test_article_group_is_guild_only_with_manage_server_default(world: World, start_bot):
    fake = world.fake
    await start_bot()
    group = next(c for c in fake.commands[None] if c["name"] == "article")
    assert int(group["default_member_permissions"]) == MANAGE_GUILD
    assert group.get("contexts") == [0] or group.get("dm_permission") is False
    assert {o["name"] for o in group["options"]} == {"add", "list", "show", "remove", "stats"}


async def test_member_without_manage_server_is_refused_and_nothing_stored(world: World, start_bot):
    fake = world.fake
    bot = await start_bot()
    before = await bot.engine.count_articles(world.guild.id)
    attachment = fake.upload(world.channel, "notes.txt", NOTES.encode())
    refused = await fake.slash(world.channel, world.member, "article add", file=attachment)
    ack = await refused.wait_ack()
    assert ack["type"] == 4 and ack["data"]["flags"] & EPHEMERAL
    assert "Manage Server" in ack["data"]["content"]
    opened = await fake.slash(world.channel, world.member, "article add")  # the text modal is refused too
    assert (await opened.wait_ack())["type"] == 4 and opened.modal is None
    assert await bot.engine.count_articles(world.guild.id) == before
    assert not any(r.path.startswith("/attachments") for r in fake.requests)


async def test_admin_adds_file_and_modal_text_visible_only_in_that_guild(world: World, start_bot):
    fake = world.fake
    await start_bot()
    attachment = fake.upload(world.channel, "lighthouse.txt", NOTES.encode())
    added = await fake.slash(world.channel, world.admin, "article add", file=attachment)
    msg = await added.wait_message()
    assert msg["flags"] & EPHEMERAL
    assert "Added article #1000001 **Harbour lighthouse restoration finished** (2 paragraphs)" in msg["content"]

    opened = await fake.slash(world.channel, world.admin, "article add")
    assert (await opened.wait_ack())["type"] == 9
    submitted = await fake.submit_modal(opened, world.admin, title=PASTED_TITLE, text=PASTED_BODY)
    msg = await submitted.wait_message()
    assert f"Added article #1000002 **{PASTED_TITLE}**" in msg["content"]

    # Adding the same file again is a duplicate.
    again = await fake.slash(world.channel, world.admin, "article add", file=fake.upload(world.channel, "copy.txt", NOTES.encode()))
    assert "already article #1000001" in (await again.wait_message())["content"]

    here = await fake.slash(world.channel, world.member, "ask", question="who restored the harbour lighthouse")
    assert "lighthouse" in text_of(await here.wait_message()).lower()
    here2 = await fake.slash(world.channel, world.member, "ask", question="sourdough prize judges")
    assert "Village bakery wins regional sourdough prize" in [e["title"] for e in (await here2.wait_message())["embeds"]]

    for question in ("who restored the harbour lighthouse", "sourdough prize judges"):
        there = await fake.slash(world.channel2, world.member, "ask", question=question)
        answer = await there.wait_message()
        shown = "\n".join(e.get("title", "") + e.get("description", "") for e in answer["embeds"]).lower()
        assert "lighthouse" not in shown and "sourdough" not in shown
        assert all("article #1" in e["footer"]["text"] for e in answer["embeds"])
        assert "I couldn't find that in the 1 article I know" in answer["content"]


async def test_refused_files_say_why(world: World, start_bot):
    fake = world.fake
    await start_bot()
    cases = [
        ("photo.png", b"\x89PNG\r\n\x1a\n", "only .txt, .md and .html"),
        ("empty.txt", b"   \n\n", "empty"),
        ("binary.txt", bytes(range(256)) * 20, "Couldn't add"),
    ]
    for name, data, why in cases:
        i = await fake.slash(world.channel, world.admin, "article add", file=fake.upload(world.channel, name, data))
        msg = await i.wait_message()
        assert msg["flags"] & EPHEMERAL and why in msg["content"], msg["content"]


async def test_list_paginates_show_and_remove_with_confirmation(world: World, start_bot):
    fake = world.fake
    bot = await start_bot()
    bot.add_gate = GuildAddGate(rate=20)  # eleven adds in a row: over the default per-minute limit
    for n in range(11):
        body = f"Report number {n} on the river festival\n\nThe festival drew crowd number {n} to the river banks."
        i = await fake.slash(world.channel, world.admin, "article add",
                             file=fake.upload(world.channel, f"r{n}.md", body.encode()))
        await i.wait_message()
    listed = await fake.slash(world.channel, world.admin, "article list")
    page1 = await listed.wait_message()
    assert page1["embeds"][0]["footer"]["text"] == "page 1 of 2 · 12 articles"
    assert fake.button(page1, "Previous")["disabled"] is True
    nxt = await fake.click(page1, world.admin, "Next")
    assert (await nxt.wait_ack())["type"] == 7
    page2 = fake.messages[page1["id"]]
    assert page2["embeds"][0]["footer"]["text"] == "page 2 of 2 · 12 articles"
    assert fake.button(page2, "Next")["disabled"] is True
    # Someone else can't turn the pages.
    other = await fake.click(page2, world.member, "Previous")
    assert (await other.wait_ack())["data"]["flags"] & EPHEMERAL

    shown = await fake.slash(world.channel, world.admin, "article show", id=1000001)
    info = (await shown.wait_message())["embeds"][0]
    assert info["title"] == "Report number 0 on the river festival"
    assert {"name": "Scope", "value": "this server", "inline": True} in info["fields"]

    auto = await fake.autocomplete(world.channel, world.admin, "article remove", "id", id="police chiefs")
    await auto.wait_ack()
    assert all(c["value"] != 1 for c in auto.choices)  # shared articles can't be removed here
    shared = await fake.slash(world.channel, world.admin, "article remove", id=1)
    assert "shared" in (await shared.wait_message())["content"]

    removing = await fake.slash(world.channel, world.admin, "article remove", id=1000001)
    confirm = await removing.wait_message()
    assert "Remove article #1000001" in confirm["content"]
    clicked = await fake.click(confirm, world.admin, "Remove")
    await fake.wait_until(lambda: "Removed article #1000001" in fake.messages[confirm["id"]]["content"])
    assert await bot.engine.article(1000001, guild_id=world.guild.id) is None
    assert (await clicked.wait_ack())["type"] == 6

    stats = await fake.slash(world.channel, world.admin, "article stats")
    fields = {f["name"]: f["value"] for f in (await stats.wait_message())["embeds"][0]["fields"]}
    assert fields["Articles"] == "11 (10 added in this server)"


async def test_add_url_refuses_private_addresses_unless_allowed(world: World, start_bot, monkeypatch):
    fake = world.fake
    await start_bot()
    url = fake.serve_page("harbour-bridge", (ROOT / "tests" / "fixtures" / "article.html").read_bytes())
    refused = await fake.slash(world.channel, world.admin, "article add", url=url)
    msg = await refused.wait_message(timeout=30)
    assert msg["content"].startswith(f"Couldn't add <{url}>: refused: 127.0.0.1 is a loopback address")
    # The admin is told what they can do, not the operator's setting (a server admin cannot set it).
    assert "ARTICLEBOT_" not in msg["content"] and "unsafe" not in msg["content"]
    assert msg["content"].endswith("I only read public web pages. Save the page as an .html file and add it "
                                   "with `/article add file:`, or paste its text with `/article add`.")
    assert fake.page_requests == []  # refused before connecting

    monkeypatch.setenv("ARTICLEBOT_ALLOW_PRIVATE_URLS", "1")  # e.g. a bot on an intranet
    added = await fake.slash(world.channel, world.admin, "article add", url=url)
    msg = await added.wait_message(timeout=30)
    assert "Added article #1000001 **Harbour bridge reopens after repairs**" in msg["content"], msg["content"]
    assert fake.page_requests == ["harbour-bridge"]


async def test_unexpected_errors_are_private_and_logged(world: World, start_bot, caplog):
    fake = world.fake
    bot = await start_bot()

    async def broken(guild_id):
        raise RuntimeError("disk on fire")

    bot.engine.stats = broken
    with caplog.at_level("ERROR", logger="bot"):
        i = await fake.slash(world.channel, world.admin, "article stats")
        msg = await i.wait_message()
    assert msg["flags"] & EPHEMERAL and "Something went wrong" in msg["content"]
    assert "disk on fire" not in msg["content"]
    assert any("RuntimeError: disk on fire" in r.getMessage() for r in caplog.records)
