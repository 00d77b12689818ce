"""The bot: a discord.py ``commands.Bot`` (or ``AutoShardedBot`` when SHARD_COUNT > 1) with the engine
attached, the cogs loaded and the application commands synced."""

from __future__ import annotations

import logging
import traceback
from typing import Any, Optional

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from corpus.errors import CorpusError

from . import answers
from .cooldown import AskCooldown, GuildAddGate, UserCooldown
from .engine import Engine
from .settings import Settings
from .views import DYNAMIC_ITEMS, NO_MENTIONS, VoteLedger, send_ephemeral

log = logging.getLogger(__name__)

EXTENSIONS = ("bot.cogs.ask", "bot.cogs.articles", "bot.cogs.feeds")

# The bot never joins voice: skip discord.py's warnings about optional voice libraries.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


def configure_endpoints(settings: Settings) -> None:
    """Point discord.py at ``DISCORD_API_BASE`` / ``DISCORD_GATEWAY_URL`` (defaults: Discord's own).

    discord.py reads these class attributes for every REST route and for the first gateway connection.
    """
    discord.http.Route.BASE = settings.api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def intents_for(settings: Settings) -> discord.Intents:
    """Slash commands and mentions need no privileged intent: Discord includes the content of messages
    that mention the bot, DMs and the bot's own messages. Only ask channels (answering messages that do
    not mention the bot) need the privileged message-content intent."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = settings.wants_message_content
    return intents


class ArticleTree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Every command error ends here: a short private message for the user, the traceback in the log."""
        original = getattr(error, "original", error)
        if isinstance(original, AskCooldown):
            message = original.friendly
        elif isinstance(error, app_commands.MissingPermissions):
            message = "You need the **Manage Server** permission to manage articles."
        elif isinstance(error, app_commands.NoPrivateMessage):
            message = "This command only works in a server."
        elif isinstance(error, app_commands.CommandOnCooldown):
            message = f"Slow down! Try again in {error.retry_after:.0f}s."
        elif isinstance(error, app_commands.CheckFailure):
            message = "You can't use this command here."
        elif isinstance(original, CorpusError):
            message = str(original)
        elif isinstance(error, app_commands.TransformerError):
            message = str(error)
        else:
            name = interaction.command.qualified_name if interaction.command else "?"
            log.error("command /%s failed\n%s", name, "".join(traceback.format_exception(original)))
            message = "Something went wrong on my side; it has been logged."
        try:
            await send_ephemeral(interaction, message)
        except discord.HTTPException as exc:
            log.warning("could not tell the user about an error in an interaction (%s: %s): %s",
                        type(original).__name__, original, exc)


class ArticleBotMixin:
    """What both the plain and the sharded bot add to discord.py."""

    settings: Settings
    engine: Engine
    ask_cooldown: UserCooldown
    add_gate: GuildAddGate
    votes: VoteLedger

    def _init_articlebot(self, settings: Settings, engine: Optional[Engine]) -> None:
        self.settings = settings
        self._engine = engine
        self.ask_cooldown = UserCooldown(settings.ask_cooldown_rate, settings.ask_cooldown_per)
        self.add_gate = GuildAddGate()
        self.votes = VoteLedger()

    async def send_answer_page(self, interaction: discord.Interaction, question: str, *, offset: int = 0,
                               article_id: Optional[int] = None) -> None:
        """A page of answers to an interaction already deferred (the "More results" button pages here)."""
        await answers.send_answer_page(interaction, question, offset=offset, article_id=article_id)

    @property
    def engine(self) -> Engine:  # type: ignore[override]
        if self._engine is None:
            raise RuntimeError("the engine is opened in setup_hook")
        return self._engine

    async def setup_hook(self) -> None:
        if self._engine is None:
            self._engine = await Engine.open(self.settings.database)
        self.add_dynamic_items(*DYNAMIC_ITEMS)  # type: ignore[attr-defined]
        for ext in EXTENSIONS:
            await self.load_extension(ext)  # type: ignore[attr-defined]
        if self.settings.sync_commands:
            await self.sync_commands()

    async def sync_commands(self) -> None:
        tree: app_commands.CommandTree = self.tree  # type: ignore[attr-defined]
        try:
            if self.settings.dev_guild_id:
                guild = discord.Object(self.settings.dev_guild_id)
                tree.copy_global_to(guild=guild)
                synced = await tree.sync(guild=guild)
                log.info("synced %d commands to development guild %s", len(synced), guild.id)
            else:
                synced = await tree.sync()
                log.info("synced %d global commands (Discord may take a while to show them)", len(synced))
        except discord.HTTPException as exc:
            log.warning("could not sync application commands: %s", exc)

    async def on_ready(self) -> None:
        user = self.user  # type: ignore[attr-defined]
        log.info(
            "ready as %s (id %s) in %d servers; message content intent %s",
            user, getattr(user, "id", "?"), len(self.guilds),  # type: ignore[attr-defined]
            "on (ask channels)" if self.settings.wants_message_content else "off",
        )

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """The bot was removed from a server (kicked, banned, or the server was deleted): forget the
        articles that server added. An outage is not a removal: Discord then sends GUILD_DELETE with
        ``unavailable``, which discord.py reports as ``on_guild_unavailable`` instead."""
        try:
            purged = await self.engine.purge_guild(guild.id)
        except Exception:
            log.exception("removed from server %s, but purging its articles failed", guild.id)
            return
        log.info("removed from server %s: purged its %d article%s", guild.id, purged, "" if purged == 1 else "s")

    async def on_guild_unavailable(self, guild: discord.Guild) -> None:
        log.warning("server %s is unavailable (Discord outage); its articles are kept", guild.id)

    async def on_message(self, message: discord.Message) -> None:
        # No prefix commands: the Ask cog's listener handles messages.
        return None

    async def close(self) -> None:
        await super().close()  # type: ignore[misc]
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await engine.close()


def _bot_kwargs(settings: Settings, overrides: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = dict(
        command_prefix=commands.when_mentioned,
        help_command=None,
        intents=intents_for(settings),
        allowed_mentions=NO_MENTIONS,
        tree_cls=ArticleTree,
        max_messages=1000,
    )
    kwargs.update(overrides)
    return kwargs


class ArticleBot(ArticleBotMixin, commands.Bot):
    def __init__(self, settings: Settings, *, engine: Optional[Engine] = None, **overrides: Any) -> None:
        configure_endpoints(settings)
        super().__init__(**_bot_kwargs(settings, overrides))
        self._init_articlebot(settings, engine)


class ShardedArticleBot(ArticleBotMixin, commands.AutoShardedBot):
    def __init__(self, settings: Settings, *, engine: Optional[Engine] = None, **overrides: Any) -> None:
        configure_endpoints(settings)
        overrides.setdefault("shard_count", settings.shard_count)
        if settings.shard_ids is not None:
            overrides.setdefault("shard_ids", list(settings.shard_ids))
        super().__init__(**_bot_kwargs(settings, overrides))
        self._init_articlebot(settings, engine)


def create_bot(settings: Settings, **overrides: Any) -> commands.Bot:
    """The bot for these settings (sharded when SHARD_COUNT > 1 or SHARD_IDS is set)."""
    if settings.sharded or settings.shard_ids is not None:
        return ShardedArticleBot(settings, **overrides)
    return ArticleBot(settings, **overrides)
