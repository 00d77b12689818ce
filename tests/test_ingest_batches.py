"""Bulk ingest stores articles a batch to a transaction: exactly what adding them one by one stores.

A commit per article cost more than the article (each rewrote the pages of the word counts and of the
full-text index it touched), so `articlebot ingest` hands the store dozens at a time. These tests hold a
batch to the one-by-one result on real BBC articles: same rows, same duplicates, same lines printed.
"""

import shutil
import sqlite3

from conftest import FIXTURES

from corpus import Corpus, cli
from corpus.reading.ingest import document_from_path

ARTICLES = sorted(FIXTURES.glob("bbc-*.txt"))

STORED = {
    "articles": "SELECT id, title, url, content_hash, paragraph_count, language, title_index FROM articles",
    "paragraphs": "SELECT id, article_id, position, text, speakers, terms, speaker_index FROM paragraphs",
    "words": "SELECT word, df FROM words ORDER BY word",
    "generation": "SELECT value FROM meta WHERE key = 'generation'",
    "index": "SELECT rowid FROM paragraphs_fts WHERE paragraphs_fts MATCH 'said OR minist OR film' ORDER BY rowid",
}


def stored(path) -> dict:
    conn = sqlite3.connect(path)
    try:
        return {name: conn.execute(sql).fetchall() for name, sql in STORED.items()}
    finally:
        conn.close()


def test_a_batch_stores_what_one_add_after_another_stores(tmp_path):
    docs = [document_from_path(p) for p in ARTICLES]
    with Corpus.open(tmp_path / "one.db", load_samples=False) as one:
        singles = [one.add(d) for d in docs]
    with Corpus.open(tmp_path / "batch.db", load_samples=False) as batch:
        batched = batch.add_many(docs)
    assert [(r.status, r.article_id, r.title, r.paragraphs) for r in batched] == \
        [(r.status, r.article_id, r.title, r.paragraphs) for r in singles]
    assert len(batched) == len(ARTICLES) and all(r.status == "added" for r in batched)
    one_by_one, in_a_batch = stored(tmp_path / "one.db"), stored(tmp_path / "batch.db")
    assert in_a_batch == one_by_one
    assert len(in_a_batch["paragraphs"]) > 100 and in_a_batch["index"]
    assert int(in_a_batch["generation"][0][0]) >= len(ARTICLES)  # caches see a change per article, as before


def test_a_duplicate_inside_a_batch_is_reported_as_one_add_after_another_reports_it(empty_corpus):
    first, second = (document_from_path(p) for p in ARTICLES[:2])
    results = empty_corpus.add_many([first, second, first])
    assert [r.status for r in results] == ["added", "added", "duplicate"]
    assert results[2].article_id == results[0].article_id
    assert empty_corpus.count_articles() == 2


def test_a_guild_batch_leaves_out_what_the_shared_scope_holds(empty_corpus):
    shared, own = (document_from_path(p) for p in ARTICLES[:2])
    in_shared = empty_corpus.add(shared)
    results = empty_corpus.add_many([shared, own], guild_id=42)
    assert (results[0].status, results[0].article_id) == ("duplicate", in_shared.article_id)
    assert results[1].status == "added" and results[1].article_id > 1_000_000
    assert [a.title for a in empty_corpus.articles(42)] == [own.title, shared.title]


def test_ingest_prints_each_file_in_order_with_an_unreadable_one_among_them(tmp_path, capsys):
    folder = tmp_path / "articles"
    folder.mkdir()
    names = [p.name for p in ARTICLES]
    for path in ARTICLES:
        shutil.copy(path, folder / path.name)
    (folder / names[3]).write_bytes(b"\x00\x01binary\x00" * 100)  # one file in the middle is not text
    shutil.copy(ARTICLES[0], folder / "zz-again.txt")  # and the first one again, last
    code = cli.main(["--db", str(tmp_path / "a.db"), "ingest", "--no-embed", str(folder)])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.splitlines() == [f"error: {folder / names[3]}: not a text file (binary content)"]
    lines = out.splitlines()
    assert len(lines) == len(names)  # every readable file once, the duplicate too
    readable = [n for n in names if n != names[3]]
    assert [line.rsplit(" from ", 1)[1] for line in lines] == [str(folder / n) for n in readable + ["zz-again.txt"]]
    assert lines[-1] == f"duplicate of #2 from {folder / 'zz-again.txt'}"  # #1 is the bundled sample
    assert all(line.startswith(f"added #{i} ") for i, line in enumerate(lines[:-1], start=2))
