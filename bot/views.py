"""Buttons and views.

Answer buttons are :class:`discord.ui.DynamicItem` s: their state lives in the ``custom_id`` (and the
question in the message content), so they keep working after the bot restarts. Admin views (article list
pagination, remove confirmation) are short-lived and only answer the person who opened them.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional, Protocol

import discord

from corpus.storage.feedback import Shown

from . import render

if TYPE_CHECKING:
    from .engine import Engine

log = logging.getLogger(__name__)


class AnsweringClient(Protocol):
    """What answers and their buttons need of the client (bot.client.ArticleBotMixin has it all): named here
    so that neither this module nor bot.answers imports the client, which imports them. The "More results"
    button pages through the client, since bot.answers (which builds the page) imports this module."""

    engine: "Engine"
    votes: "VoteLedger"

    async def send_answer_page(self, interaction: discord.Interaction, question: str, *, offset: int = 0,
                               article_id: Optional[int] = None) -> None: ...

NO_MENTIONS = discord.AllowedMentions.none()
ANSWER_VIEW_TIMEOUT = 15 * 60  # the in-memory view; the dynamic items keep working afterwards


def message_kwargs(rendered: render.Rendered, view: Optional[discord.ui.View]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"content": rendered.content, "embeds": rendered.embeds, "allowed_mentions": NO_MENTIONS}
    if view is not None:
        kwargs["view"] = view
    return kwargs


async def send_ephemeral(interaction: discord.Interaction, content: str, **kwargs: Any) -> None:
    """Answer ``interaction`` privately, whether or not it has been acknowledged yet."""
    kwargs.setdefault("allowed_mentions", NO_MENTIONS)
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)


class MoreResults(discord.ui.DynamicItem[discord.ui.Button], template=r"ab:more:(?P<offset>\d+)(?::(?P<article>\d+))?"):
    def __init__(self, offset: int, article_id: Optional[int] = None) -> None:
        custom_id = f"ab:more:{offset}" + (f":{article_id}" if article_id is not None else "")
        super().__init__(discord.ui.Button(label="More results", style=discord.ButtonStyle.primary, custom_id=custom_id))
        self.offset = offset
        self.article_id = article_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /):
        article = match["article"]
        return cls(int(match["offset"]), int(article) if article else None)

    async def callback(self, interaction: discord.Interaction) -> None:
        question = render.question_from(interaction.message.content if interaction.message else None)
        if question is None:
            await send_ephemeral(interaction, "I can't tell what that answer was for any more; ask again with `/ask`.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot: AnsweringClient = interaction.client  # type: ignore[assignment]
        await bot.send_answer_page(interaction, question, offset=self.offset, article_id=self.article_id)


class ShowContext(discord.ui.DynamicItem[discord.ui.Button], template=r"ab:ctx:(?P<article>\d+):(?P<paragraph>\d+)"):
    def __init__(self, article_id: int, paragraph: int) -> None:
        super().__init__(
            discord.ui.Button(label="Show context", style=discord.ButtonStyle.secondary,
                              custom_id=f"ab:ctx:{article_id}:{paragraph}")
        )
        self.article_id = article_id
        self.paragraph = paragraph

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /):
        return cls(int(match["article"]), int(match["paragraph"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: AnsweringClient = interaction.client  # type: ignore[assignment]
        await interaction.response.defer(ephemeral=True, thinking=True)
        passages = await bot.engine.context(self.article_id, self.paragraph, guild_id=interaction.guild_id, radius=1)
        rendered = render.render_context(passages, self.paragraph)
        await interaction.followup.send(ephemeral=True, **message_kwargs(rendered, context_view(rendered)))


class ReadAll(discord.ui.DynamicItem[discord.ui.Button], template=r"ab:read:(?P<article>\d+):(?P<paragraph>\d+)"):
    """A passage too long for its embed, whole (privately, in as many messages as it takes)."""

    def __init__(self, article_id: int, paragraph: int, label: str = "Read all") -> None:
        super().__init__(
            discord.ui.Button(label=label[: render.MAX_BUTTON_LABEL], style=discord.ButtonStyle.secondary,
                              custom_id=f"ab:read:{article_id}:{paragraph}")
        )
        self.article_id = article_id
        self.paragraph = paragraph

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /):
        return cls(int(match["article"]), int(match["paragraph"]), item.label or "Read all")

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: AnsweringClient = interaction.client  # type: ignore[assignment]
        await interaction.response.defer(ephemeral=True, thinking=True)
        passages = await bot.engine.context(self.article_id, self.paragraph, guild_id=interaction.guild_id, radius=0)
        passage = next((p for p in passages if p.paragraph == self.paragraph), None)
        if passage is None:
            await send_ephemeral(interaction, "That article is gone or not visible here.")
            return
        for part in render.render_full(passage):
            await interaction.followup.send(content=part.content or None, embeds=part.embeds, ephemeral=True,
                                            allowed_mentions=NO_MENTIONS)


class VoteLedger:
    """Who voted on which answer, in memory only (never stored): one vote per person per answer while the
    bot runs. Bounded: the oldest entries go first."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._seen: OrderedDict[tuple[int, int], None] = OrderedDict()

    def first(self, message_id: int, user_id: int) -> bool:
        """Whether this is the person's first vote on the answer (and note it)."""
        key = (message_id, user_id)
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True


VOTE_LABELS = {"up": "👍", "down": "👎"}


class Vote(discord.ui.DynamicItem[discord.ui.Button],
           template=r"ab:vote:(?P<vote>up|down):(?P<shown>\d+\.\d+(?:,\d+\.\d+){0,4})"):
    """👍 / 👎 under an answer: the question (from the message) and the passages shown (in the custom id)
    are counted in the server's own file, for `articlebot feedback`. Who voted is not stored."""

    def __init__(self, vote: str, shown: list[tuple[int, int]]) -> None:
        custom_id = f"ab:vote:{vote}:" + ",".join(f"{a}.{p}" for a, p in shown)
        super().__init__(discord.ui.Button(label=VOTE_LABELS[vote], style=discord.ButtonStyle.secondary,
                                           custom_id=custom_id))
        self.vote = vote
        self.shown = shown

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /):
        shown = [tuple(int(n) for n in pair.split(".")) for pair in match["shown"].split(",")]
        return cls(match["vote"], shown)  # type: ignore[arg-type]

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: AnsweringClient = interaction.client  # type: ignore[assignment]
        message = interaction.message
        question = render.question_from(message.content if message else None)
        if message is None or question is None:
            await send_ephemeral(interaction, "I can't tell what that answer was for any more.")
            return
        if not bot.votes.first(message.id, interaction.user.id):
            await send_ephemeral(interaction, "You have already voted on this answer. Thanks!")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        titles = [e.title or "" for e in message.embeds]
        passages = [Shown(a, p, titles[i] if i < len(titles) else "") for i, (a, p) in enumerate(self.shown)]
        await bot.engine.record_vote(interaction.guild_id, question, passages, self.vote)
        thanks = "Thanks! Noted that this answer helped." if self.vote == "up" else \
            "Thanks! Noted that this answer missed; it helps make the answers better."
        await send_ephemeral(interaction, thanks)


DYNAMIC_ITEMS = (MoreResults, ShowContext, ReadAll, Vote)


def _add_read_all(view: discord.ui.View, rendered: render.Rendered) -> None:
    for label, article_id, paragraph in rendered.read_all:
        view.add_item(ReadAll(article_id, paragraph, label))


def context_view(rendered: render.Rendered) -> Optional[discord.ui.View]:
    """The link to the article and "Read all" for paragraphs cut short."""
    view = discord.ui.View(timeout=None)
    if rendered.link is not None:
        label, url = rendered.link
        view.add_item(discord.ui.Button(label=label[: render.MAX_BUTTON_LABEL], url=url))
    _add_read_all(view, rendered)
    return view if view.children else None


def answer_view(rendered: render.Rendered, *, article_id: Optional[int] = None) -> Optional[discord.ui.View]:
    """More results / Show context / link to the article / Read all / 👍 👎, for an answer page."""
    view = discord.ui.View(timeout=ANSWER_VIEW_TIMEOUT)
    if rendered.more_offset is not None:
        view.add_item(MoreResults(rendered.more_offset, article_id))
    if rendered.context_of is not None:
        view.add_item(ShowContext(*rendered.context_of))
    if rendered.link is not None:
        label, url = rendered.link
        view.add_item(discord.ui.Button(label=label[: render.MAX_BUTTON_LABEL], url=url))
    _add_read_all(view, rendered)
    if rendered.shown:
        view.add_item(Vote("up", rendered.shown))
        view.add_item(Vote("down", rendered.shown))
    return view if view.children else None


class OwnerOnlyView(discord.ui.View):
    """A view only the person who opened it can use."""

    def __init__(self, owner_id: int, *, timeout: float = 300) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await send_ephemeral(interaction, "These buttons belong to someone else's command.")
            return False
        return True

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]) -> None:
        log.error("error in %s (%s)", type(self).__name__, getattr(item, "custom_id", item), exc_info=error)
        await send_ephemeral(interaction, "Something went wrong on my side; it has been logged.")


PageBuilder = Callable[[int], Awaitable[tuple[discord.Embed, int]]]


class Paginator(OwnerOnlyView):
    """Previous / Next through pages that ``build(page)`` renders (returns the embed and the page count)."""

    def __init__(self, owner_id: int, build: PageBuilder, pages: int, page: int = 0) -> None:
        super().__init__(owner_id)
        self.build = build
        self.page = page
        self.pages = pages
        self._sync()

    def _sync(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.pages - 1

    async def _show(self, interaction: discord.Interaction, page: int) -> None:
        embed, self.pages = await self.build(page)
        self.page = max(0, min(page, self.pages - 1))
        self._sync()
        await interaction.response.edit_message(embed=embed, view=self, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._show(interaction, self.page - 1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._show(interaction, self.page + 1)


class ConfirmRemove(OwnerOnlyView):
    def __init__(self, owner_id: int, on_confirm: Callable[[discord.Interaction], Awaitable[None]]) -> None:
        super().__init__(owner_id, timeout=120)
        self.on_confirm = on_confirm

    def _disable(self) -> None:
        for child in self.children:
            if isinstance(child, discord.ui.Button):
                child.disabled = True
        self.stop()

    @discord.ui.button(label="Remove", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self._disable()
        await self.on_confirm(interaction)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self._disable()
        await interaction.response.edit_message(content="Nothing removed.", view=self, allowed_mentions=NO_MENTIONS)
