"""Articles in other languages: each is detected, indexed and searched with its own language's rules.

tests/fixtures/xquad-mini.json holds the first three XQuAD articles (Super Bowl 50, Warsaw, the Normans)
in Spanish, German, Russian and Chinese: professionally translated news-style text with its questions.
"""

import json
import sqlite3

import pytest

from bot.render import bold_matches
from corpus import Corpus, Document
from corpus.store import MIGRATIONS

from conftest import FIXTURES, INTERPOL_OPENINGS

XQUAD = json.loads((FIXTURES / "xquad-mini.json").read_text(encoding="utf-8"))["languages"]


def add_language(corpus, lang):
    for article in XQUAD[lang]:
        corpus.add(Document(title=article["title"], paragraphs=article["paragraphs"]))


def paragraph_of(lang, question):
    for article in XQUAD[lang]:
        for asked, index in article["questions"]:
            if asked == question:
                return article["paragraphs"][index]
    raise KeyError(question)


def test_a_chinese_article_is_found_by_a_two_character_word(empty_corpus):
    add_language(empty_corpus, "zh")
    # 华沙 (Warsaw) is never written apart: it is always inside a longer run of characters.
    answer = empty_corpus.ask("华沙")
    assert answer.answered
    assert len(answer.results) == 5
    assert all("华沙" in p.text for p in answer.results)
    # ...and the bot puts it in bold, though no space marks where the word ends.
    assert "**华沙**" in bold_matches(answer.results[0].text, answer.results[0].matched)
    # A whole Chinese question, written without spaces, finds the paragraph it was written on.
    question = "华沙证券交易所是什么时候恢复运营的？"
    assert empty_corpus.ask(question).results[0].text == paragraph_of("zh", question)


@pytest.mark.parametrize("lang, question, inflected", [
    # "Варшавской фондовой биржи" (genitive) against "Варшавская фондовая биржа" (nominative) in the text.
    ("ru", "Когда была возобновлена работа Варшавской фондовой биржи?", "Варшавская фондовая"),
    # "recuperó" (he recovered) against "recuperar" in the text.
    ("es", "¿Cuál es el apellido del jugador que, en el último cuarto de partido, recuperó finalmente el balón "
           "perdido por Newton?", "recuperar"),
    ("de", "Wo befand sich das Sommertheater?", "Sommertheater"),
], ids=["ru", "es", "de"])
def test_a_question_finds_its_paragraph_in_spanish_german_and_russian(empty_corpus, lang, question, inflected):
    add_language(empty_corpus, lang)
    gold = paragraph_of(lang, question)
    assert inflected in gold
    assert empty_corpus.ask(question).results[0].text == gold


def test_accents_fold_both_ways(empty_corpus):
    add_language(empty_corpus, "es")
    # Typed without accents: "balon", "ultimo" find "balón", "último", and the bot puts them in bold.
    answer = empty_corpus.ask("balon perdido por Newton en el ultimo cuarto")
    top = answer.results[0]
    assert "balón" in top.text and "balón" in top.matched
    # Typed with accents the text does not have: "Néwton" is Newton.
    accented = empty_corpus.ask("Néwton balón")
    assert accented.answered
    assert "Newton" in accented.results[0].matched
    assert accented.corrections == {}


def test_each_article_s_language_is_detected_and_stored(empty_corpus):
    for lang in ("es", "de", "ru", "zh"):
        empty_corpus.add(Document(title=XQUAD[lang][1]["title"], paragraphs=XQUAD[lang][1]["paragraphs"]))
    seed = FIXTURES / "scmp-china-russia-police-chiefs.raw.txt"
    from corpus.ingest import document_from_text

    empty_corpus.add(document_from_text(seed.read_text(encoding="utf-8")))
    assert [a.language for a in empty_corpus.articles()] == ["en", "zh", "ru", "de", "es"]
    rows = empty_corpus.shared.query("SELECT language FROM articles ORDER BY id")
    assert [r[0] for r in rows] == ["es", "de", "ru", "zh", "en"]


def test_english_answers_do_not_change_beside_other_languages(corpus):
    add_language(corpus, "es")
    add_language(corpus, "zh")
    answer = corpus.ask("what did Kolokoltsev say about Interpol")
    top = [p.text for p in answer.results[:3]]
    assert all(any(t.startswith(o) for t in top) for o in INTERPOL_OPENINGS)
    assert answer.answered and answer.corrections == {}


def test_a_file_from_before_languages_is_indexed_again(tmp_path):
    """A schema-3 file (porter tokenizer, no language) holding a Chinese article: opening it detects the
    article's language and rebuilds its index, and the two-character word finds it."""
    path = tmp_path / "v3.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for version in (1, 2, 3):
        MIGRATIONS[version](conn)
    conn.execute("INSERT INTO meta VALUES ('scope', 'shared')")
    conn.execute("PRAGMA user_version = 3")
    warsaw = XQUAD["zh"][1]
    conn.execute("INSERT INTO articles VALUES (1, 'shared', ?, NULL, NULL, NULL, 'cli', '2024-01-01', 'h', ?)",
                 (warsaw["title"], len(warsaw["paragraphs"])))
    conn.executemany("INSERT INTO paragraphs (article_id, position, text) VALUES (1, ?, ?)",
                     list(enumerate(warsaw["paragraphs"], start=1)))
    conn.execute("COMMIT")
    conn.close()
    with Corpus.open(path) as c:
        assert c.article(1).language == "zh"
        answer = c.ask("华沙")
        assert answer.results and all("华沙" in p.text for p in answer.results)


def test_an_english_question_keeps_its_words_that_are_german_stop_words(empty_corpus):
    """German articles visible beside English ones: "man" is a German stop word, but this question is
    English, so it is still searched for (and put in bold)."""
    from corpus.ingest import document_from_text

    add_language(empty_corpus, "de")
    for name in ("bbc-politics-400.txt", "bbc-entertainment-043.txt"):
        empty_corpus.add(document_from_text((FIXTURES / name).read_text(encoding="utf-8")))
    answer = empty_corpus.ask("who called Callaghan a decent kindly man")
    assert "decent kindly man" in answer.results[0].text
    assert "man" in answer.results[0].matched
