"""Chat in an ask channel is not a question for the articles: over a real archive of many articles, the
lines people type to each other are not `answered`, while real questions about the same articles are
(by their words alone, and with the cross-encoder reading the best passage)."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

from corpus import Corpus
from corpus.reading.ingest import document_from_path

# Lines that got a news passage on a full archive before (issue 22), and others of the same kinds.
CHAT = [
    "did you see the match last night?", "is the server down?", "how do I join the voice channel?",
    "what's the weather like tomorrow?", "who wants to play tonight?", "how was your weekend?",
    "who's coming to the pub later?", "can someone help me with my homework?", "where is everyone?",
    "who is online?", "what do you think of the new album?", "what are we doing for lunch?",
    "good morning everyone!", "lol that was hilarious", "anyone up for a film tonight?",
    "the new update broke my save file", "can a mod check the reports?", "which phone should I get?",
    "that boss fight was insane", "is the trip still on for saturday?",
]
QUESTIONS = [
    "what did Kolokoltsev say about Interpol",
    "how much did xbox live traffic go up on the day halo 2 came out",
    "what did marc morin say about the halo 2 traffic surge",
    "electrolux moving plants low cost countries",
    "who won the men's 3000m at the boston indoor games",
    "how much did standard chartered pay for korea first bank",
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """The sample and every BBC fixture article (26 articles), by their words."""
    corpus = Corpus.open(tmp_path_factory.mktemp("chat") / "chat.db")
    for path in sorted(FIXTURES.glob("bbc-*.txt")):
        corpus.add(document_from_path(path))
    yield corpus
    corpus.close()


@pytest.mark.parametrize("semantic", ["0", "1"], ids=["words only", "with the cross-encoder"])
def test_chat_lines_are_not_answered_and_questions_are(archive, monkeypatch, semantic):
    monkeypatch.setenv("ARTICLEBOT_SEMANTIC", semantic)
    answered_chat = [line for line in CHAT if archive.ask(line).answered]
    assert answered_chat == []
    refused = [q for q in QUESTIONS if not archive.ask(q).answered]
    assert refused == []
