"""Hindi: Devanagari words indexed whole, spelt with or without the marks writers leave out, and a question
searched for its topic rather than its question words.

tests/fixtures/xquad-hindi/ holds seven Wikipedia-style articles written in Hindi for articlebot and two
XQuAD articles (Nikola Tesla, Martin Luther) translated into Hindi, with XQuAD-shaped questions, in Hindi
(xquad.hi.json) and English (xquad.en.json; benchmarks/xquad.py --xquad tests/fixtures/xquad-hindi).
tests/fixtures/schema-v5-hindi.db was made by the schema-5 engine (main at c1d5906) from three of them.
"""

import json
import shutil

import pytest
from conftest import FIXTURES

from corpus import Corpus, Document
from corpus.storage.schema import SCHEMA_VERSION

HINDI = json.loads((FIXTURES / "xquad-hindi" / "xquad.hi.json").read_text(encoding="utf-8"))["data"]
ARREST = "मई 1930 में गांधी को गिरफ़्तार कर लिया गया"


@pytest.fixture
def hindi(empty_corpus):
    for article in HINDI:
        empty_corpus.add(Document(title=article["title"], paragraphs=[p["context"] for p in article["paragraphs"]]))
    return empty_corpus


def test_a_hindi_question_is_searched_for_its_topic_not_its_question_words(hindi):
    """"कब" (when) is in no article: it outweighed the question's topic, and the arrest went unanswered."""
    answer = hindi.ask("गांधी को कब गिरफ़्तार किया गया?")
    assert answer.answered
    assert answer.results[0].text.startswith(ARREST)
    # "किसकी" (whose) is a question word, not a slip of "किसी" (any)
    answer = hindi.ask("प्रज्ञान रोवर ने सतह पर किसकी मौजूदगी की पुष्टि की?")
    assert answer.answered and answer.corrections == {}
    assert "सल्फ़र" in answer.results[0].text


def test_a_word_typed_without_its_nukta_or_with_anusvara_is_the_same_word(hindi):
    """The articles write गिरफ़्तार, फ़ाइनल and पहुँचे; a reader types गिरफ्तार, फाइनल, पहुंचे."""
    answer = hindi.ask("गांधी को कब गिरफ्तार किया गया?")
    assert answer.answered and answer.corrections == {}
    assert answer.results[0].text.startswith(ARREST)
    answer = hindi.ask("गांधी दांडी कब पहुंचे?")
    assert answer.answered and answer.corrections == {}
    assert "5 अप्रैल को दांडी पहुँचे" in answer.results[0].text
    answer = hindi.ask("फाइनल")
    assert "फ़ाइनल" in answer.results[0].text


def test_a_hindi_word_finds_itself_not_every_word_with_its_consonants(hindi):
    """मेला (fair) is in one paragraph, of the Ganges; मिला (got), मिलती (meets) share its consonants and
    were found by it, in Tesla's prize nomination and the monsoon."""
    answer = hindi.ask("मेला")
    assert answer.results and answer.results[0].text.count("मेला") == 1
    assert {p.title for p in answer.results} == {"गंगा"}


def test_a_zero_width_joiner_inside_a_word_leaves_it_one_word(hindi):
    answer = hindi.ask("प्रज्\u200dञान रोवर")
    assert answer.answered
    assert answer.results[0].text.startswith("23 अगस्त 2023")
    assert [p.title for p in answer.results] == ["चंद्रयान"]


def test_a_hindi_file_from_schema_5_is_indexed_again(tmp_path):
    path = tmp_path / "articlebot.db"
    shutil.copy(FIXTURES / "schema-v5-hindi.db", path)
    with Corpus.open(path) as corpus:
        assert corpus.schema_version() == SCHEMA_VERSION
        assert {p.title for p in corpus.ask("मेला").results} == {"गंगा"}
        answer = corpus.ask("गांधी को कब गिरफ्तार किया गया?")
        assert answer.answered and answer.corrections == {}
        assert answer.results[0].text.startswith(ARREST)
        corpus.add(Document(title="मेला", paragraphs=["पुष्कर मेला राजस्थान में हर साल कार्तिक महीने में लगता है।"]))
        assert {p.title for p in corpus.ask("मेला").results} == {"गंगा", "मेला"}
