"""Unit tests for the message side of bot/cogs/ask.py: what counts as a question."""

from __future__ import annotations

import pytest

from bot.cogs.ask import is_just_thanks, reads_as_question, strip_mentions


@pytest.mark.parametrize("text", [
    "what did Kolokoltsev say about Interpol",
    "Who met in Beijing?",
    "the police chiefs met where?",
    "How many paragraphs does it have",
])
def test_questions(text):
    assert reads_as_question(text)


@pytest.mark.parametrize("text", [
    "good morning everyone",
    "lol",
    "?",
    "/ask something",
    "https://example.org/what?",
    "I think the meeting went well.",
])
def test_not_questions(text):
    assert not reads_as_question(text)


def test_strip_mentions():
    assert strip_mentions("<@42> what happened? <@!42>", 42) == "what happened?"
    assert strip_mentions("<@43> hi", 42) == "<@43> hi"


@pytest.mark.parametrize("text, thanks", [("thanks!", True), ("Thank you", True), ("ok", True),
                                          ("thanks, and what about Interpol?", False)])
def test_thanks(text, thanks):
    assert is_just_thanks(text) is thanks
