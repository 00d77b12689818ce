"""Schema 5 (issue #12: with vectors, a database may be up to 4x its raw text): what the index holds of a
paragraph is stored once, compressed, and older files are migrated to it without changing an answer.

tests/fixtures/schema-v4/ was made by the schema-4 engine (commit a8d2c7e) with `add_articles` below: a
shared file (the sample, four BBC articles, the Chinese and German XQuAD Warsaw articles) and guild 111's
file (the Quixotica text, a BBC article, the Russian Warsaw article).
"""

import json
import shutil
import sqlite3

from conftest import FIXTURES
from test_isolation import SECRET
from test_reliability import check_database

from corpus import Corpus, Document
from corpus.reading.ingest import document_from_text
from corpus.reading.languages import detect
from corpus.reading.text import index_text, index_text_of_terms, pack_terms, sentence_stems, stems_of_terms
from corpus.storage.schema import SCHEMA_VERSION

XQUAD = json.loads((FIXTURES / "xquad-mini.json").read_text(encoding="utf-8"))["languages"]
BBC = sorted(FIXTURES.glob("bbc-*.txt"))
QUESTIONS = [  # (question, guild)
    ("what did Kolokoltsev say about Interpol", None), ("time warner quarterly profit", None),
    ("who called Callaghan a decent kindly man", 111), ("roddick san jose final", None),
    ("华沙", None), ("Wo befand sich das Sommertheater?", 111),
    ("Когда была возобновлена работа Варшавской фондовой биржи?", 111),
    ("what did hank scorpio say about the deal", 111), ("halo 2 traffic", 111),
]


def add_articles(corpus) -> None:
    """How the schema-4 fixture was made (the sample is added when the file is created)."""
    for name in ("bbc-business-001.txt", "bbc-politics-400.txt", "bbc-tech-221.txt", "bbc-sport-424.txt"):
        corpus.add(document_from_text((FIXTURES / name).read_text(encoding="utf-8")))
    for lang in ("zh", "de"):
        corpus.add(Document(title=XQUAD[lang][1]["title"], paragraphs=XQUAD[lang][1]["paragraphs"]))
    corpus.add(document_from_text(SECRET), guild_id=111)
    corpus.add(document_from_text((FIXTURES / "bbc-entertainment-043.txt").read_text(encoding="utf-8")), guild_id=111)
    corpus.add(Document(title=XQUAD["ru"][1]["title"], paragraphs=XQUAD["ru"][1]["paragraphs"]), guild_id=111)


def answers(corpus) -> list:
    return [(a.answered, a.corrections, [(p.article_id, p.paragraph, p.score, p.matched, p.speakers) for p in a.results])
            for a in (corpus.ask(q, guild_id=g) for q, g in QUESTIONS)]


def test_a_paragraph_and_its_index_words_take_under_two_and_a_half_times_its_text(empty_corpus):
    """Schema 4 kept the index text and the sentence stems beside each paragraph, in 4 KiB pages a fifth
    empty: its paragraphs table was 3.1x the articles' raw text on all of BBC (1.7x now; 2.0x on these 25
    short articles, a few pages)."""
    for path in BBC:
        empty_corpus.add(document_from_text(path.read_text(encoding="utf-8", errors="replace")))
    raw = sum(path.stat().st_size for path in BBC)
    conn = sqlite3.connect(empty_corpus.shared.path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    paragraphs = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'paragraphs'").fetchone()[0]
    conn.close()
    assert paragraphs < 2.5 * raw, f"paragraphs table {paragraphs / raw:.2f}x the raw text"


def test_the_stored_terms_give_back_the_stems_and_the_index_words_in_every_language():
    texts = [(p, "en") for path in BBC for p in path.read_text(encoding="utf-8", errors="replace").split("\n\n")]
    for articles in XQUAD.values():
        for article in articles:
            lang = detect([article["title"], *article["paragraphs"]])
            texts += [(p, lang) for p in article["paragraphs"]]
    assert {lang for _, lang in texts} == {"en", "es", "de", "ru", "zh"}
    for text, lang in texts:
        packed = pack_terms(text, lang)
        assert stems_of_terms(packed) == sentence_stems(text, lang)
        assert index_text_of_terms(packed).split() == index_text(text, lang).split()


def test_a_schema_4_file_and_its_guild_file_migrate_and_answer_as_a_new_file(tmp_path):
    old = tmp_path / "old" / "articlebot.db"
    shutil.copytree(FIXTURES / "schema-v4", old.parent)
    with Corpus.open(tmp_path / "new.db") as new:
        add_articles(new)
        with Corpus.open(old) as migrated:
            assert migrated.schema_version() == SCHEMA_VERSION == 7
            assert migrated.guild_ids() == ["111"]
            assert answers(migrated) == answers(new)
            # Deleting still takes the paragraphs out of the index (its trigger reads the stored terms).
            assert migrated.remove(1000001, guild_id=111) and new.remove(1000001, guild_id=111)
            assert migrated.ask("hank scorpio", guild_id=111).results == []
            assert answers(migrated) == answers(new)
    check_database(old)
    for path in (old, old.parent / "articlebot.guilds" / "111.db"):
        conn = sqlite3.connect(path)
        columns = {r[1] for r in conn.execute("PRAGMA table_info(paragraphs)")}
        assert {"terms", "text"} <= columns and not columns & {"stems", "text_index", "speaker_names"}
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0  # the space is given back
        conn.close()
