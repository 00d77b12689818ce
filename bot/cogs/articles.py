"""``/article``: server admins add, list, show, remove articles and see stats.

The group is ``guild_only`` with Manage Server as its default permission, and checks the permission
again at run time: server admins can change who may use a command (Server Settings -> Integrations), and
the library does not enforce default permissions. Articles added here belong to this server.
"""

from __future__ import annotations

import logging
import math
import re
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional

import discord
from discord import app_commands
from discord.ext import commands

from corpus import limits
from corpus.errors import CorpusError
from corpus.reading import fetch

from .. import render
from ..cooldown import AddRefused
from ..views import NO_MENTIONS, ConfirmRemove, Paginator, send_ephemeral

if TYPE_CHECKING:
    from ..client import ArticleBot

log = logging.getLogger(__name__)

FILE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
LIST_PAGE_SIZE = 10
MANAGE_SERVER = "You need the **Manage Server** permission to manage articles."


def is_manager(interaction: discord.Interaction) -> bool:
    perms = interaction.permissions
    return interaction.guild_id is not None and (perms.manage_guild or perms.administrator)


def describe_add(result: Any, source: str) -> str:
    title = render.escape(render.short_title(result.title, 200))
    if result.status == "duplicate":
        return f"Nothing added: {source} is already article #{result.article_id} **{title}**."
    n = result.paragraphs
    return (f"Added article #{result.article_id} **{title}** ({n} paragraph{'s' if n != 1 else ''}) "
            f"from {source}. Ask about it with `/ask`.")


PRIVATE_ADDRESS_ADVICE = ("I only read public web pages. Save the page as an .html file and add it with "
                          "`/article add file:`, or paste its text with `/article add`.")
OPERATOR_SETTING = ("fetching web pages is misconfigured on my side (the bot's operator can see why in its log); "
                    "meanwhile add the article as a file or as pasted text.")


def admin_reason(exc: CorpusError) -> str:
    """The engine's reason, for a server admin: advice only the bot's operator can follow (environment
    variables) becomes what the admin can do instead."""
    text = str(exc)
    if fetch.ALLOW_PRIVATE_ENV in text:
        text = re.sub(rf"\s*\([^()]*{fetch.ALLOW_PRIVATE_ENV}[^()]*\)", "", text).rstrip(" .")
        return f"{text}. {PRIVATE_ADDRESS_ADVICE}"
    if fetch.TIMEOUT_ENV in text:
        log.error("adding a URL failed on a setting: %s", text)
        return OPERATOR_SETTING
    return text


AddWork = Callable[[], Awaitable[Any]]


async def add_article(bot: "ArticleBot", interaction: discord.Interaction, source: str, work: AddWork) -> None:
    """Run one add for the interaction's server within its limits (see ``GuildAddGate``) and tell the
    admin, privately, what happened."""
    try:
        with bot.add_gate.hold(interaction.guild_id or 0):
            if not interaction.response.is_done():
                await interaction.response.defer(ephemeral=True, thinking=True)
            result = await work()
    except AddRefused as exc:
        message = str(exc)
    except CorpusError as exc:
        message = f"Couldn't add {source}: {admin_reason(exc)}"
    except discord.HTTPException as exc:  # downloading the attachment from Discord
        message = f"Couldn't download {source} from Discord ({exc.status}); try again."
    else:
        message = describe_add(result, source)
    await send_ephemeral(interaction, message)


def scope_label(info: Any, guild_id: Optional[int]) -> str:
    return "this server" if str(info.scope) == str(guild_id) else "shared"


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.0f} kB"


class ArticleTextModal(discord.ui.Modal, title="Add an article"):
    article_title = discord.ui.TextInput(label="Title", max_length=limits.MAX_TITLE_CHARS, placeholder="The article's headline")
    body = discord.ui.TextInput(label="Text", style=discord.TextStyle.paragraph, max_length=4000,
                                placeholder="Paste the article; separate paragraphs with blank lines")

    def __init__(self, bot: "ArticleBot") -> None:
        super().__init__(timeout=15 * 60)
        self.bot = bot

    async def on_submit(self, interaction: discord.Interaction) -> None:
        if not is_manager(interaction):
            await send_ephemeral(interaction, MANAGE_SERVER)
            return
        body, title = self.body.value, self.article_title.value
        guild_id, added_by = interaction.guild_id, str(interaction.user.id)

        async def work() -> Any:
            return await self.bot.engine.add_text(body, title=title, guild_id=guild_id, added_by=added_by)

        await add_article(self.bot, interaction, "the pasted text", work)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        log.error("adding an article from the modal failed", exc_info=error)
        await send_ephemeral(interaction, "Something went wrong on my side; it has been logged.")


async def visible_article_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
    bot: ArticleBot = interaction.client  # type: ignore[assignment]
    if not is_manager(interaction):
        return []
    if current.strip():
        found = await bot.engine.suggest_titles(current, guild_id=interaction.guild_id, limit=25)
    else:
        found = await bot.engine.articles(interaction.guild_id, limit=25)
    return [app_commands.Choice(name=render.choice_name(a.title, a.id), value=a.id) for a in found[:25]]


async def own_article_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
    choices = await visible_article_autocomplete(interaction, current)
    if not choices:
        return []
    bot: ArticleBot = interaction.client  # type: ignore[assignment]
    own = {a.id for a in await bot.engine.articles(interaction.guild_id) if str(a.scope) == str(interaction.guild_id)}
    return [c for c in choices if c.value in own]


class ManagerGroup(app_commands.Group):
    """A command group for server managers: checked at run time (a server can change who sees the commands)."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if not is_manager(interaction):
            raise app_commands.MissingPermissions(["manage_guild"])
        return True


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class ArticleGroup(ManagerGroup, name="article", description="Manage the articles I know in this server"):
    def __init__(self, bot: "ArticleBot") -> None:
        super().__init__()
        self.bot = bot

    # ------------------------------------------------------------------ add

    @app_commands.command(name="add", description="Add an article: a web page, a file, or (with neither) paste its text")
    @app_commands.describe(url="Address of the article's web page (http or https)",
                           file="A .txt, .md or .html file with the article")
    async def add(self, interaction: discord.Interaction, url: Optional[str] = None,
                  file: Optional[discord.Attachment] = None) -> None:
        if url and file:
            await send_ephemeral(interaction, "Give a `url` or a `file`, not both.")
            return
        if not url and not file:
            refused = self.bot.add_gate.refusal(interaction.guild_id or 0)
            if refused:  # say so before the admin pastes a whole article
                await send_ephemeral(interaction, refused)
                return
            await interaction.response.send_modal(ArticleTextModal(self.bot))
            return
        guild_id, added_by = interaction.guild_id, str(interaction.user.id)
        if file is not None:
            source = f"`{render.cut(file.filename, 100).replace('`', chr(39))}`"  # a backtick would end the code span
            if not file.filename.lower().endswith(FILE_SUFFIXES):
                await send_ephemeral(interaction, f"Couldn't add {source}: only .txt, .md and .html files are articles.")
                return
            if file.size > limits.MAX_ARTICLE_BYTES:
                await send_ephemeral(interaction, f"Couldn't add {source}: too large "
                                     f"({_mb(file.size)}; the limit is {_mb(limits.MAX_ARTICLE_BYTES)}).")
                return
        else:
            source = f"<{render.cut(url or '', 300)}>"

        async def work() -> Any:
            if file is not None:
                data = await file.read()
                return await self.bot.engine.add_bytes(data, file.filename, guild_id=guild_id, added_by=added_by)
            return await self.bot.engine.add_url((url or "").strip(), guild_id=guild_id, added_by=added_by)

        await add_article(self.bot, interaction, source, work)

    # ------------------------------------------------------------------ list / show

    async def _list_page(self, guild_id: int, page: int) -> tuple[discord.Embed, int]:
        total = await self.bot.engine.count_articles(guild_id)
        pages = max(1, math.ceil(total / LIST_PAGE_SIZE))
        page = max(0, min(page, pages - 1))
        infos = await self.bot.engine.articles(guild_id, limit=LIST_PAGE_SIZE, offset=page * LIST_PAGE_SIZE)
        lines: list[str] = []
        size = 0
        for a in infos:
            title = render.escape(render.short_title(a.title, 120))
            url = render.http_url(a.url)
            shown = f"[{title}]({url})" if url and len(url) <= 300 else f"**{title}**"
            line = f"`#{a.id}` {shown} · {a.paragraphs} ¶ · {scope_label(a, guild_id)}"
            if size + len(line) + 1 > render.MAX_DESCRIPTION:
                break
            lines.append(line)
            size += len(line) + 1
        embed = discord.Embed(title="Articles", colour=render.COLOUR,
                              description="\n".join(lines) or "No articles yet: add one with `/article add`.")
        embed.set_footer(text=f"page {page + 1} of {pages} · {total} article{'s' if total != 1 else ''}")
        return embed, pages

    @app_commands.command(name="list", description="List the articles this server can ask about")
    async def list(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        await interaction.response.defer(ephemeral=True, thinking=True)

        async def build(page: int) -> tuple[discord.Embed, int]:
            return await self._list_page(guild_id, page)

        embed, pages = await build(0)
        kwargs: dict[str, Any] = {"embed": embed, "ephemeral": True, "allowed_mentions": NO_MENTIONS}
        if pages > 1:
            kwargs["view"] = Paginator(interaction.user.id, build, pages)
        await interaction.followup.send(**kwargs)

    @app_commands.command(name="show", description="Show one article's details")
    @app_commands.describe(id="The article (start typing its title)")
    @app_commands.autocomplete(id=visible_article_autocomplete)
    async def show(self, interaction: discord.Interaction, id: app_commands.Range[int, 1]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        info = await self.bot.engine.article(id, guild_id=interaction.guild_id)
        if info is None:
            await send_ephemeral(interaction, f"There is no article #{id} here.")
            return
        paragraphs = await self.bot.engine.paragraphs(id, guild_id=interaction.guild_id)
        embed = discord.Embed(title=render.short_title(info.title), url=render.http_url(info.url), colour=render.COLOUR)
        if paragraphs:
            embed.description = render.fit_rendered(paragraphs[0], 1000)
        embed.add_field(name="ID", value=f"#{info.id}")
        embed.add_field(name="Scope", value=scope_label(info, interaction.guild_id))
        embed.add_field(name="Paragraphs", value=str(info.paragraphs))
        if info.added_by:
            who = f"<@{info.added_by}>" if str(info.added_by).isdigit() else render.escape(str(info.added_by))
            embed.add_field(name="Added by", value=render.cut(who, render.MAX_FIELD))
        if info.added_at:
            embed.add_field(name="Added", value=render.cut(str(info.added_at), render.MAX_FIELD))
        for name, value in (("Author", info.author), ("Published", info.published)):
            if value:
                embed.add_field(name=name, value=render.cut(render.escape(str(value)), render.MAX_FIELD))
        if info.url and not render.http_url(info.url):
            embed.add_field(name="Source", value=render.cut(render.escape(str(info.url)), render.MAX_FIELD), inline=False)
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    # ------------------------------------------------------------------ remove

    @app_commands.command(name="remove", description="Remove an article this server added")
    @app_commands.describe(id="The article (start typing its title)")
    @app_commands.autocomplete(id=own_article_autocomplete)
    async def remove(self, interaction: discord.Interaction, id: app_commands.Range[int, 1]) -> None:
        guild_id = interaction.guild_id
        await interaction.response.defer(ephemeral=True, thinking=True)
        info = await self.bot.engine.article(id, guild_id=guild_id)
        if info is None:
            await send_ephemeral(interaction, f"There is no article #{id} here.")
            return
        title = render.escape(render.short_title(info.title, 200))
        if str(info.scope) != str(guild_id):
            await send_ephemeral(interaction, f"Article #{id} **{title}** is shared by every server (added from the "
                                 "command line or bundled), so it can't be removed from Discord.")
            return

        async def confirmed(click: discord.Interaction) -> None:
            if not is_manager(click):
                await send_ephemeral(click, MANAGE_SERVER)
                return
            await click.response.defer()
            removed = await self.bot.engine.remove(id, guild_id=guild_id)
            text = f"Removed article #{id} **{title}**." if removed else f"Article #{id} was already gone."
            await click.edit_original_response(content=text, view=view, allowed_mentions=NO_MENTIONS)

        view = ConfirmRemove(interaction.user.id, confirmed)
        await interaction.followup.send(
            f"Remove article #{id} **{title}** ({info.paragraphs} paragraphs) from this server?",
            view=view, ephemeral=True, allowed_mentions=NO_MENTIONS,
        )

    # ------------------------------------------------------------------ stats

    @app_commands.command(name="stats", description="How much this server's bot knows")
    async def stats(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        s = await self.bot.engine.stats(interaction.guild_id)
        own = [a for a in await self.bot.engine.articles(interaction.guild_id) if str(a.scope) == str(interaction.guild_id)]
        embed = discord.Embed(title="What I know here", colour=render.COLOUR)
        embed.add_field(name="Articles", value=f"{s.get('articles', 0):,} ({len(own):,} added in this server)")
        embed.add_field(name="Paragraphs", value=f"{s.get('paragraphs', 0):,}")
        embed.add_field(name="Words", value=f"{s.get('words', 0):,}")
        if s.get("db_bytes") is not None:
            embed.add_field(name="Database", value=_mb(int(s["db_bytes"])))
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)


class Articles(commands.Cog):
    def __init__(self, bot: "ArticleBot") -> None:
        self.bot = bot
        self.group = ArticleGroup(bot)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.group)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.group.name)


async def setup(bot: "ArticleBot") -> None:
    await bot.add_cog(Articles(bot))
