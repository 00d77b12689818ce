"""``/feed``: server admins follow news feeds. New articles are indexed (and, with a channel, announced).

Manage Server only, checked again at run time as ``/article`` does; every reply is ephemeral. The feeds
are kept in the server's own file (corpus/feeds), checked by the scheduler in bot/feeds.py.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any, Optional

import discord
from discord import app_commands
from discord.ext import commands

from corpus.errors import CorpusError
from corpus.feeds.poll import FIRST_POLL_ENTRIES, PollResult
from corpus.feeds.records import MAX_FEEDS_PER_SERVER, FeedRow

from .. import render
from ..feeds import FeedScheduler
from ..views import NO_MENTIONS, Paginator, send_ephemeral
from .articles import ManagerGroup, admin_reason, is_manager

if TYPE_CHECKING:
    from ..client import ArticleBot

log = logging.getLogger(__name__)

LIST_PAGE_SIZE = 5
LEAD_CHARS = 300
NEEDED = ("view_channel", "send_messages", "embed_links")


def _when(iso: Optional[str]) -> str:
    if not iso:
        return "never"
    try:
        return discord.utils.format_dt(discord.utils.parse_time(iso), "R")  # "5 minutes ago", in the reader's time
    except (ValueError, TypeError):
        return render.escape(iso)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} minutes" if seconds >= 60 else f"{seconds:g} seconds"


def describe_feed(feed: FeedRow) -> str:
    title = render.escape(render.short_title(feed.title, 100))
    url = render.http_url(feed.url)
    shown = f"[{title}]({url})" if url and len(url) <= 300 else f"**{title}**"
    where = f"<#{feed.channel}>" if feed.channel else "indexed only"
    state = {"ok": "✅ ok", "failing": "⚠️ failing", "stopped": "⛔ stopped"}.get(feed.state, feed.state)
    lines = [f"`#{feed.id}` {shown} · {where} · {state} · {feed.articles} articles",
             f"checked {_when(feed.last_checked)} · last new article {_when(feed.last_new)}"
             + (f" · keywords: {render.escape(render.cut(feed.keywords, 80))}" if feed.keywords else "")]
    if feed.error:
        lines.append(f"last error: {render.escape(render.cut(feed.error, 200))}")
    return "\n".join(lines)


def announcement(result: PollResult) -> Optional[dict[str, Any]]:
    """The message for a check's new articles: at most five embeds (title as a link, the lead), and how
    many more there were."""
    chosen, more = result.announcements()
    if not chosen:
        return None
    feed_title = render.escape(render.short_title(result.feed.title, 150))
    content = f"New from **{feed_title}**" + (f" (and {more} more)" if more else "")
    embeds = []
    for item in chosen:
        embed = discord.Embed(title=render.short_title(item.title, 250), url=render.http_url(item.url),
                              description=render.cut(render.escape(item.lead), LEAD_CHARS), colour=render.COLOUR)
        embed.set_footer(text=f"article #{item.article_id} · ask about it with /ask")
        embeds.append(embed)
    return {"content": content, "embeds": embeds}


def stopped_notice(result: PollResult) -> str:
    title = render.escape(render.short_title(result.feed.title, 150))
    return (f"I stopped following **{title}** (<{render.cut(result.feed.url, 300)}>): "
            f"{render.escape(render.cut(result.error or 'it kept failing', 300))}. "
            f"Follow it again with `/feed add` once it works.")


async def feed_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
    bot: ArticleBot = interaction.client  # type: ignore[assignment]
    cog = bot.get_cog("Feeds")
    if not is_manager(interaction) or cog is None or interaction.guild_id is None:
        return []
    feeds = await cog.scheduler.feeds(interaction.guild_id)  # type: ignore[attr-defined]
    wanted = current.strip().lower()
    found = [f for f in feeds if not wanted or wanted in f.title.lower() or wanted in f.url.lower()
             or wanted == str(f.id)]
    return [app_commands.Choice(name=render.choice_name(f.title, f.id), value=f.id) for f in found[:25]]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class FeedGroup(ManagerGroup, name="feed", description="Follow news feeds: new articles are indexed here"):
    def __init__(self, bot: "ArticleBot", scheduler: FeedScheduler) -> None:
        super().__init__()
        self.bot = bot
        self.scheduler = scheduler

    @app_commands.command(name="add", description="Follow a feed (or the feed a page links); new articles are indexed")
    @app_commands.describe(url="The feed's address, or a web page that links its feed",
                           channel="Announce new articles in this channel (without one they are only indexed)",
                           keywords="Announce only articles with one of these words (all are indexed)")
    async def add(self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2000],
                  channel: Optional[discord.TextChannel] = None,
                  keywords: Optional[app_commands.Range[str, 1, 200]] = None) -> None:
        assert interaction.guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        if channel is not None:
            refused = self._cannot_post(interaction.guild, channel)
            if refused:
                await send_ephemeral(interaction, refused)
                return
        try:
            added = await self.scheduler.add(url.strip(), guild_id=interaction.guild.id,
                                             channel=str(channel.id) if channel else None,
                                             keywords=keywords or "", added_by=str(interaction.user.id))
        except CorpusError as exc:
            await send_ephemeral(interaction, f"Couldn't follow <{render.cut(url, 300)}>: {admin_reason(exc)}")
            return
        feed = added.feed
        found = f", found on <{render.cut(added.discovered_from, 300)}>" if added.discovered_from else ""
        where = (f"new ones will be announced in {channel.mention}" if channel
                 else "new ones will be indexed, not announced (no channel)")
        await send_ephemeral(
            interaction,
            f"Following feed #{feed.id} **{render.escape(render.short_title(feed.title, 150))}** "
            f"({added.entries} entr{'y' if added.entries == 1 else 'ies'}) from <{render.cut(feed.url, 300)}>{found}. Its newest {FIRST_POLL_ENTRIES} "
            f"articles are being indexed now (ask about them with `/ask` in a minute); {where}. "
            f"Checked every {_minutes(max(self.scheduler.timing.interval, feed.asked_interval))}.")

    @staticmethod
    def _cannot_post(guild: discord.Guild, channel: discord.TextChannel) -> Optional[str]:
        perms = channel.permissions_for(guild.me)
        missing = [name for name in NEEDED if not getattr(perms, name)]
        if not missing:
            return None
        shown = ", ".join(name.replace("_", " ").title() for name in missing)
        return (f"I can't post in {channel.mention}: I need {shown} there. Give me those permissions, "
                f"or leave `channel` out to index the feed without announcing.")

    @app_commands.command(name="list", description="The feeds this server follows, and how each is doing")
    async def list(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        await interaction.response.defer(ephemeral=True, thinking=True)
        feeds = await self.scheduler.feeds(guild_id)
        pages = max(1, math.ceil(len(feeds) / LIST_PAGE_SIZE))

        async def build(page: int) -> tuple[discord.Embed, int]:
            shown = feeds[page * LIST_PAGE_SIZE:(page + 1) * LIST_PAGE_SIZE]
            text = "\n\n".join(describe_feed(f) for f in shown)
            embed = discord.Embed(title="Feeds", colour=render.COLOUR, description=render.cut(
                text or "No feeds yet: follow one with `/feed add`.", render.MAX_DESCRIPTION))
            embed.set_footer(text=f"page {page + 1} of {pages} · {len(feeds)} of {MAX_FEEDS_PER_SERVER} feeds")
            return embed, pages

        embed, _ = await build(0)
        kwargs: dict[str, Any] = {"embed": embed, "ephemeral": True, "allowed_mentions": NO_MENTIONS}
        if pages > 1:
            kwargs["view"] = Paginator(interaction.user.id, build, pages)
        await interaction.followup.send(**kwargs)

    @app_commands.command(name="remove", description="Stop following a feed (its articles stay)")
    @app_commands.describe(feed="The feed (start typing its title)")
    @app_commands.autocomplete(feed=feed_autocomplete)
    async def remove(self, interaction: discord.Interaction, feed: app_commands.Range[int, 1]) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        removed = await self.scheduler.remove(interaction.guild_id, feed)
        if removed is None:
            await send_ephemeral(interaction, f"This server follows no feed #{feed}.")
            return
        n = removed.articles
        await send_ephemeral(interaction, f"Stopped following feed #{feed} "
                             f"**{render.escape(render.short_title(removed.title, 150))}**. Its {n} "
                             f"article{'s stay' if n != 1 else ' stays'} (remove one with `/article remove`).")


class Feeds(commands.Cog):
    def __init__(self, bot: "ArticleBot") -> None:
        self.bot = bot
        self.scheduler = FeedScheduler(bot.engine, self._scopes, self._announce)
        self.group = FeedGroup(bot, self.scheduler)

    def _scopes(self) -> list[str]:
        """This process's servers; and the shared file's feeds in the process running shard 0 only."""
        scopes = [str(g.id) for g in self.bot.guilds]
        if 0 in self.bot.settings.process_shards:
            scopes.append("shared")
        return scopes

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.group)
        self.scheduler.start()

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.group.name)
        await self.scheduler.stop()

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        self.scheduler.forget(str(guild.id))  # its file, feeds included, is deleted by the bot's purge

    async def _announce(self, result: PollResult) -> None:
        channel_id = result.feed.channel
        if not channel_id:
            return
        if result.status == "stopped":
            payload: Optional[dict[str, Any]] = {"content": stopped_notice(result)}
        else:
            payload = announcement(result)
        if payload is None:
            return
        channel = self.bot.get_channel(int(channel_id))
        if not isinstance(channel, discord.abc.Messageable):
            log.info("feed #%s: its channel %s is gone; nothing announced", result.feed.id, channel_id)
            return
        try:
            await channel.send(**payload, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("feed #%s: could not post in channel %s: %s", result.feed.id, channel_id, exc)


async def setup(bot: "ArticleBot") -> None:
    await bot.add_cog(Feeds(bot))
