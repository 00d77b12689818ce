"""Asking: ``/ask``, mentions, replies to answers (follow-ups) and ask channels."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import TYPE_CHECKING, AsyncIterator, Optional

import discord
from discord import app_commands
from discord.ext import commands

from corpus import limits
from corpus.errors import CorpusError, QuestionError

from .. import render, titles
from ..answers import build_answer, send_answer_page
from ..cooldown import AskCooldown
from ..views import NO_MENTIONS, answer_view, message_kwargs, send_ephemeral

if TYPE_CHECKING:
    from ..client import ArticleBot

log = logging.getLogger(__name__)

_QUESTION_WORDS = frozenset(
    "what who whom whose when where why how which is are was were do does did can could should would will "
    "has have had may might must shall tell explain describe".split()
)


def reads_as_question(text: str) -> bool:
    """Whether a message in an ask channel reads as a question (so small talk there is left alone)."""
    text = text.strip()
    words = re.findall(r"[\w']+", text.lower())
    if len(words) < 2 or text.startswith(("/", "!", "?", ".", "$", "http://", "https://")):
        return False
    return text.endswith("?") or words[0] in _QUESTION_WORDS


_THANKS = re.compile(r"(?:thanks?(?: you)?|thank u|thx|ty|ok(?:ay)?|cool|nice|great|got it|lol)\W*", re.IGNORECASE)


def is_just_thanks(text: str) -> bool:
    """"thanks!" in reply to an answer is not a follow-up question."""
    return bool(_THANKS.fullmatch(text.strip()))


@contextlib.asynccontextmanager
async def typing_in(channel: discord.abc.Messageable) -> AsyncIterator[None]:
    """"articlebot is typing..." while answering, if Discord lets us: a refused typing indicator (no
    permission, a hiccup) must not stop the answer."""
    typing = channel.typing()
    try:
        await typing.__aenter__()
    except discord.HTTPException as exc:
        log.debug("no typing indicator in channel %s: %s", getattr(channel, "id", "?"), exc)
        typing = None
    try:
        yield
    finally:
        if typing is not None:
            await typing.__aexit__(None, None, None)


def strip_mentions(text: str, user_id: int) -> str:
    return re.sub(rf"<@!?{user_id}>", " ", text).strip()


async def article_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    bot: ArticleBot = interaction.client  # type: ignore[assignment]
    if current.strip():
        found = await bot.engine.suggest_titles(current, guild_id=interaction.guild_id, limit=25)
    else:
        found = await bot.engine.articles(interaction.guild_id, limit=25)
    return [app_commands.Choice(name=render.choice_name(a.title, a.id), value=str(a.id)) for a in found[:25]]


TITLE_CHECK_SECONDS = 2.0  # a typed title is checked before /ask answers publicly, within Discord's 3 s
MAX_ID_DIGITS = 18  # longer "ids" are not ids (and would overflow SQLite's integers)


async def resolve_article(bot: "ArticleBot", value: Optional[str], guild_id: Optional[int]) -> Optional[int]:
    """The ``article`` option: an id from autocomplete, ``#12``, or a title typed by hand. A title that
    names no visible article (or several) is refused with the close titles, never guessed."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    digits = text[1:].strip() if text.startswith("#") else text
    if digits.isascii() and digits.isdigit() and len(digits) <= MAX_ID_DIGITS:
        info = await bot.engine.article(int(digits), guild_id=guild_id)
        if info is not None:
            return info.id
        if text.startswith("#"):
            raise QuestionError(f"There is no article #{digits} here: pick one from the list as you type.")
    found = await bot.engine.match_title(text, guild_id=guild_id)
    if found.article is not None:
        return found.article.id
    raise QuestionError(title_refusal(text, found))


def title_refusal(typed: str, found: titles.TitleMatch) -> str:
    shown = f"“{render.escape(render.cut(render.one_line(typed), 100))}”"
    if not found.suggestions:
        return (f"No article title matches {shown}: pick one from the list as you type, or leave `article` "
                "out to search every article.")
    options = render.listing([f"**{render.escape(render.short_title(a.title, 100))}** (#{a.id})"
                              for a in found.suggestions])
    if found.several:
        return f"{shown} is in several titles: did you mean {options}? Pick one from the list as you type."
    return f"No article title matches {shown}; did you mean {options}? Pick it from the list as you type."


async def refuse_privately(interaction: discord.Interaction, message: str) -> None:
    """A private refusal after ``/ask`` was deferred in public: the "thinking" message goes, the note is
    for the asker alone (a first follow-up would replace the public message, in public)."""
    with contextlib.suppress(discord.HTTPException):
        await interaction.delete_original_response()
    await interaction.followup.send(message, ephemeral=True, allowed_mentions=NO_MENTIONS)


def ask_cooldown():
    """Per-user cooldown (shared with mentions and ask channels); refusals reach ``tree.on_error``."""

    def predicate(interaction: discord.Interaction) -> bool:
        interaction.client.ask_cooldown.check(interaction.user.id)  # type: ignore[attr-defined]
        return True

    return app_commands.check(predicate)


class Ask(commands.Cog):
    def __init__(self, bot: "ArticleBot") -> None:
        self.bot = bot

    # ------------------------------------------------------------------ /ask

    @app_commands.command(name="ask", description="Ask a question about the articles I know")
    @app_commands.describe(
        question="What do you want to know?",
        article="Only search this article (start typing its title)",
    )
    @app_commands.autocomplete(article=article_autocomplete)
    @ask_cooldown()
    async def ask(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, limits.MAX_QUESTION_CHARS],
        article: Optional[str] = None,
    ) -> None:
        article_id, late = None, None
        if article and article.strip():
            checking = asyncio.ensure_future(resolve_article(self.bot, article, interaction.guild_id))
            try:
                article_id = await asyncio.wait_for(asyncio.shield(checking), TITLE_CHECK_SECONDS)
            except asyncio.TimeoutError:
                late = checking
            except QuestionError as exc:
                await send_ephemeral(interaction, str(exc))
                return
        # Searching may take longer than Discord's 3 seconds: acknowledge first ("thinking..."), answer after.
        await interaction.response.defer(thinking=True)
        if late is not None:
            try:
                article_id = await late
            except QuestionError as exc:
                await refuse_privately(interaction, str(exc))
                return
        await send_answer_page(interaction, question, article_id=article_id, ephemeral=False)

    # ------------------------------------------------------------------ messages

    def _question_in(self, message: discord.Message) -> Optional[tuple[str, bool]]:
        """The question a message asks the bot, and whether it was put to the bot (a DM, a mention, a reply
        to it) rather than overheard in an ask channel; None if it asks nothing."""
        me = self.bot.user
        if me is None or message.author.bot or not message.content:
            return None
        text = strip_mentions(message.content, me.id)
        if message.guild is None:  # direct message: everything is for us
            return text, True
        ref = message.reference.resolved if message.reference else None
        if isinstance(ref, discord.Message) and ref.author.id == me.id:
            if is_just_thanks(text):
                return None
            previous = render.question_from(ref.content)
            if previous and text:
                combined = f"{previous} {text}"
                return (combined if len(combined) <= limits.MAX_QUESTION_CHARS else text), True
            return text, True
        if re.search(rf"<@!?{me.id}>", message.content):
            return text, True
        if message.channel.id in self.bot.settings.ask_channel_ids and reads_as_question(text):
            return text, False
        return None

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        asked = self._question_in(message)
        if asked is None:
            return
        question, addressed = asked
        if not question:
            await self._reply(message, content="Ask me something about the articles I know, e.g. "
                              "`@me what did Kolokoltsev say about Interpol?`")
            return
        try:
            self.bot.ask_cooldown.check(message.author.id)
        except AskCooldown as exc:
            if addressed:
                await self._reply(message, content=exc.friendly, delete_after=10)
            return
        guild_id = message.guild.id if message.guild else None
        try:
            # Overheard in an ask channel, a message may be small talk: no "typing..." until it is answered.
            async with typing_in(message.channel) if addressed else contextlib.nullcontext():
                rendered = await build_answer(self.bot, question, guild_id=guild_id)
        except CorpusError as exc:
            if addressed:
                await self._reply(message, content=str(exc))
            return
        if not rendered.answered and not addressed:
            return  # "does anyone want pizza?" in an ask channel is not for the bot
        await self._reply(message, **message_kwargs(rendered, answer_view(rendered)))

    async def _reply(self, message: discord.Message, **kwargs) -> None:
        kwargs.setdefault("allowed_mentions", NO_MENTIONS)
        try:
            await message.reply(mention_author=False, **kwargs)
        except discord.HTTPException as exc:
            log.warning("could not answer message %s in channel %s: %s", message.id, message.channel.id, exc)


async def setup(bot: "ArticleBot") -> None:
    await bot.add_cog(Ask(bot))
