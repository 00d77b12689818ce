"""Articles in other languages: each is detected, indexed and searched with its own language's rules.

tests/fixtures/xquad-mini.json holds the first three XQuAD articles (Super Bowl 50, Warsaw, the Normans)
in Spanish, German, Russian and Chinese: professionally translated news-style text with its questions.
"""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, INTERPOL_OPENINGS

from bot.render import bold_matches
from corpus import Corpus, Document
from corpus.reading.text import index_text_of_terms, index_words, stems_of_terms
from corpus.storage.store import MIGRATIONS

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
    from corpus.reading.ingest import document_from_text

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
    from corpus.reading.ingest import document_from_text

    add_language(empty_corpus, "de")
    for name in ("bbc-politics-400.txt", "bbc-entertainment-043.txt"):
        empty_corpus.add(document_from_text((FIXTURES / name).read_text(encoding="utf-8")))
    answer = empty_corpus.ask("who called Callaghan a decent kindly man")
    assert "decent kindly man" in answer.results[0].text
    assert "man" in answer.results[0].matched


# Every word of the fixture articles with the stem snowballstemmer's pure-Python stemmers give it: what
# databases store (schema 4 indexes stems made in Python) and what a question's words must still stem to.
# Written by `python benchmarks/stemmer.py fixture`; never regenerate it to make a failing test pass.
STEMS = FIXTURES / "stems.tsv"

_BUILD = """
import json, sys
from pathlib import Path
if sys.argv[2] == "pure":
    sys.modules["Stemmer"] = None  # as if PyStemmer were not installed
from corpus import Corpus, Document
from corpus.reading.ingest import document_from_path
from corpus.reading.languages import language

fixtures = Path(sys.argv[3])
xquad = json.loads((fixtures / "xquad-mini.json").read_text(encoding="utf-8"))["languages"]
with Corpus.open(sys.argv[1], load_samples=False) as corpus:
    for path in sorted(fixtures.glob("bbc-*.txt")):
        corpus.add(document_from_path(path))
    for lang in ("es", "de", "ru"):
        for a in xquad[lang]:
            corpus.add(Document(title=a["title"], paragraphs=a["paragraphs"]))
print(type(language("en")._stemmer()).__module__)
"""


def expected_stems() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for line in STEMS.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            lang, word, stem = line.split("\t")
            out.setdefault(lang, {})[word] = stem
    return out


@pytest.fixture(scope="module")
def stored(tmp_path_factory, model_cache_dir):
    """The fixture articles stored by the engine in a fresh process, with PyStemmer and without it:
    the stemmer each used, and each file's articles and paragraphs as stored."""
    out = {}
    for kind in ("compiled", "pure"):
        path = tmp_path_factory.mktemp(kind) / "stems.db"
        env = {**os.environ, "ARTICLEBOT_SEMANTIC": "0", "ARTICLEBOT_CACHE_DIR": str(model_cache_dir)}
        done = subprocess.run([sys.executable, "-c", _BUILD, str(path), kind, str(FIXTURES)], env=env,
                              capture_output=True, text=True, cwd=Path(__file__).parent.parent)
        assert done.returncode == 0, done.stderr
        conn = sqlite3.connect(path)
        articles = conn.execute("SELECT id, language, title, title_index FROM articles ORDER BY id").fetchall()
        paragraphs = [(article_id, text, index_text_of_terms(terms), stems_of_terms(terms)) for article_id, text, terms
                      in conn.execute("SELECT article_id, text, terms FROM paragraphs ORDER BY id")]
        conn.close()
        out[kind] = done.stdout.strip(), articles, paragraphs
    return out


@pytest.mark.parametrize("kind, stemmer", [("compiled", "Stemmer"), ("pure", "snowballstemmer.porter_stemmer")])
def test_the_index_holds_the_stems_it_always_held_with_pystemmer_or_without(stored, kind, stemmer):
    """PyStemmer (C) is about 50 times faster than snowballstemmer's Python; it is used only because it
    gives every word the same stem. A word stemmed otherwise would make every existing database miss it."""
    used, articles, paragraphs = stored[kind]
    assert used == stemmer
    expected = expected_stems()
    language_of = {article_id: lang for article_id, lang, _, _ in articles}
    assert sorted(set(language_of.values())) == ["de", "en", "es", "ru"]
    indexed = [(lang, title, index) for _, lang, title, index in articles]
    indexed += [(language_of[article_id], text, index) for article_id, text, index, _ in paragraphs]
    # Word by word, in order; Porter stems "s" to "", which the stored index leaves out.
    wrong = [(lang, text[:60]) for lang, text, index in indexed
             if [expected[lang].get(w) for w in index_words(text) if expected[lang].get(w) != ""]
             != [stem for stem in index.split(" ") if stem]]
    assert wrong == []
    assert len(articles) == 34 and sum(len(index.split(" ")) for _, _, index in indexed) > 14_000  # every word


def test_a_database_built_without_pystemmer_is_the_one_built_with_it(stored):
    """Sentence stems (what ranking reads) too: a file made before PyStemmer was installed needs nothing."""
    _, articles, paragraphs = stored["pure"]
    assert (articles, paragraphs) == stored["compiled"][1:]
