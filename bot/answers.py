"""Asking: question -> engine (in a thread) -> rendered page -> Discord. Shared by /ask, mentions, ask
channels and the "More results" button."""

from __future__ import annotations

import dataclasses
import logging
from typing import Optional

import discord

from corpus.errors import CorpusError, QuestionError

from . import render
from .views import AnsweringClient, answer_view, message_kwargs, send_ephemeral

log = logging.getLogger(__name__)


async def build_answer(bot: AnsweringClient, question: str, *, guild_id: Optional[int], offset: int = 0,
                       article_id: Optional[int] = None) -> render.Rendered:
    """The answer page: the passages that answer, else the closest ones (``answered`` False), else a note.
    With ``article_id``, only that article is searched, and the page says which it was."""
    page = render.PAGE_SIZE
    article = None
    if article_id is not None:
        article = await bot.engine.article(article_id, guild_id=guild_id)
        if article is None:
            raise QuestionError(f"Article #{article_id} is gone or not visible here; ask again with `/ask`.")
    search = render.search_text(question) or question
    # One passage more than a page, to know whether "More results" has anything to show.
    answer = await bot.engine.ask(search, guild_id=guild_id, limit=page + 1, offset=offset, article_id=article_id)
    if search != question:
        answer = dataclasses.replace(answer, question=question)  # shown as asked
    if answer.answered and answer.results:
        return render.render_answer(answer, offset=offset, page_size=page, article=article)
    count = 0 if article else await bot.engine.count_articles(guild_id)
    suggestions = [] if offset or article or answer.results else await bot.engine.suggest_titles(
        search, guild_id=guild_id, limit=3)
    return render.render_answer(answer, offset=offset, page_size=page, article_count=count,
                                suggestions=suggestions, article=article)


async def send_answer_page(interaction: discord.Interaction, question: str, *, offset: int = 0,
                           article_id: Optional[int] = None, ephemeral: bool = True) -> None:
    """Answer an interaction that has already been deferred."""
    bot: AnsweringClient = interaction.client  # type: ignore[assignment]
    try:
        rendered = await build_answer(bot, question, guild_id=interaction.guild_id, offset=offset, article_id=article_id)
    except CorpusError as exc:
        await send_ephemeral(interaction, str(exc))
        return
    view = answer_view(rendered, article_id=article_id)
    await interaction.followup.send(ephemeral=ephemeral, **message_kwargs(rendered, view))
