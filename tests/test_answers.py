"""Answers a user can trust: names are not "corrected" into other words, `answered` means an answer, and
small talk in an ask channel is not answered with news."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

from corpus.reading.ingest import document_from_path

ARTICLES = ["bbc-entertainment-111.txt", "bbc-politics-187.txt", "bbc-sport-246.txt", "bbc-business-434.txt",
            "bbc-politics-052.txt", "bbc-business-001.txt", "bbc-sport-424.txt", "bbc-tech-221.txt"]


@pytest.fixture(scope="module")
def news(tmp_path_factory):
    from corpus import Corpus

    corpus = Corpus.open(tmp_path_factory.mktemp("news") / "news.db")  # the sample article too
    for name in ARTICLES:
        corpus.add(document_from_path(FIXTURES / name))
    yield corpus
    corpus.close()


@pytest.mark.parametrize("question, not_read_as", [
    ("elon musk", {"elon": "elton", "musk": "must"}),
    ("what did obama say", {"obama": "osama"}),
    ("musk tesla", {"tesla": "tessa"}),
])
def test_a_name_the_articles_do_not_hold_is_not_read_as_another_word(news, question, not_read_as):
    answer = news.ask(question)
    for typed, wrong in not_read_as.items():
        assert answer.corrections.get(typed) != wrong
    assert not answer.answered


def test_typos_are_still_corrected(news):
    answer = news.ask("what did kolokolsev say about interpoll")
    assert answer.corrections == {"kolokolsev": "kolokoltsev"}
    assert answer.answered
    # a short slip, found beside the question's other words
    assert news.ask("what did roddick say about san jsoe").corrections == {"jsoe": "jose"}


def test_a_word_is_never_reported_as_read_as_itself(news):
    for question in ("what", "what?", "who said what"):
        assert all(typed != read for typed, read in news.ask(question).corrections.items())


@pytest.mark.parametrize("question", [
    "how many zebras escaped",        # factories escaped damage, but no article has a zebra
    "a",                              # a stop word alone
    "is anyone here?",                # an ask channel's small talk
    "does anyone want pizza?",
    "what time is the meeting?",
    "hi",
    "thanks, that was really helpful!",  # thanks, asking after the bot, jokes: chat lines, not questions
    "can you tell me a joke",
    "hey bot how's your day going",
    "is the bot down or is it just me",
    "what time does the meeting start today",
])
def test_not_answered(news, question):
    assert news.ask(question).answered is False


@pytest.mark.parametrize("question, opening", [
    ("chelsea vs arsenal result", "A gripping game between Arsenal and Chelsea"),
    ("what did Kolokoltsev say about Interpol", "The Russian minister complained"),
    ("how did the tsunami affect factories", "In its first overview of the disaster"),
])
def test_answered_when_the_top_passage_answers(news, question, opening):
    answer = news.ask(question, limit=3)
    assert answer.answered
    assert any(p.text.startswith(opening) for p in answer.results)


@pytest.mark.parametrize("question", [
    "great britain gdp growth",                 # starts like praise, asks about the news
    "how is your data protected",
    "cheers for the win in cardiff",
    "thanks to the tsunami, what happened to the factories?",
])
def test_a_question_that_starts_like_chat_is_still_read(news, question):
    assert not news.read(question).function_words_only
