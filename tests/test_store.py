"""The SQLite store: scopes, duplicates, transactions, FTS sync, migrations, database location."""

import sqlite3

import pytest

from corpus import Corpus, CorpusError, Document
from corpus.storage.database import add_functions
from corpus.storage.store import MIGRATIONS, SCHEMA_VERSION


def doc(title="A title", *paragraphs):
    return Document(title=title, paragraphs=list(paragraphs) or ["The harbour bridge reopened on Tuesday."])


def test_new_database_has_the_sample_and_wal(corpus, db_path):
    assert [a.title for a in corpus.articles()] == [
        "Chinese and Russian police chiefs meet as Beijing casts wider law enforcement net"]
    assert corpus.shared.query("PRAGMA journal_mode")[0][0] == "wal"
    assert corpus.schema_version() == SCHEMA_VERSION


def test_samples_can_be_switched_off(monkeypatch, tmp_path):
    monkeypatch.setenv("ARTICLEBOT_SAMPLES", "0")
    with Corpus.open(tmp_path / "empty.db") as c:
        assert c.count_articles() == 0


def test_db_location_from_env_then_default(monkeypatch, tmp_path):
    monkeypatch.setenv("ARTICLEBOT_DB", str(tmp_path / "env.db"))
    with Corpus.open() as c:
        assert c.path == tmp_path / "env.db"
    monkeypatch.delenv("ARTICLEBOT_DB")
    with Corpus.open() as c:  # conftest chdirs to tmp_path
        assert c.path.name == "articlebot.db"
    assert (tmp_path / "articlebot.db").exists()


def test_duplicate_body_is_reported_and_not_written(empty_corpus):
    first = empty_corpus.add(doc("One", "Same body here."))
    again = empty_corpus.add(doc("Other title", "  same   BODY here. "))
    assert first.status == "added" and again.status == "duplicate"
    assert again.article_id == first.article_id
    assert empty_corpus.count_articles() == 1


def test_guilds_see_their_own_and_shared_never_others(empty_corpus):
    empty_corpus.add(doc("Shared", "Lighthouse keepers went on strike."))
    empty_corpus.add(doc("Guild one", "Volcano erupted near the village."), guild_id=111)
    empty_corpus.add(doc("Guild two", "Volcano ash closed the airport."), guild_id=222)
    assert {a.title for a in empty_corpus.articles(111)} == {"Shared", "Guild one"}
    assert {a.title for a in empty_corpus.articles()} == {"Shared"}
    texts = [p.text for p in empty_corpus.ask("volcano", guild_id=111).results]
    assert texts == ["Volcano erupted near the village."]
    assert empty_corpus.ask("volcano").results == []
    assert empty_corpus.ask("lighthouse strike", guild_id=222).results[0].text.startswith("Lighthouse")


def test_same_article_may_exist_in_two_guilds(empty_corpus):
    a = empty_corpus.add(doc("T", "Identical text."), guild_id=1)
    b = empty_corpus.add(doc("T", "Identical text."), guild_id=2)
    assert a.status == b.status == "added"
    shared = empty_corpus.add(doc("S", "Shared text."))
    assert empty_corpus.add(doc("S", "Shared text."), guild_id=3).article_id == shared.article_id


def test_failed_write_leaves_nothing(empty_corpus, monkeypatch):
    import corpus.storage.store as store

    def boom(speakers):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "speaker_names", boom)
    with pytest.raises(RuntimeError):
        empty_corpus.add(doc("Doomed", "First paragraph.", "Second paragraph."))
    for table in ("articles", "paragraphs", "words"):
        assert empty_corpus.shared.query(f"SELECT count(*) FROM {table}")[0][0] == 0


def test_remove_drops_paragraphs_and_index_rows(empty_corpus):
    kept = empty_corpus.add(doc("Kept", "Penguins waddled across the ice."))
    gone = empty_corpus.add(doc("Gone", "Penguins swam under the ice shelf."), guild_id=5)
    assert len(empty_corpus.ask("penguins ice", guild_id=5).results) == 2
    assert not empty_corpus.remove(gone.article_id)           # not in the shared scope
    assert not empty_corpus.remove(kept.article_id, guild_id=5)  # a guild can't remove shared articles
    assert empty_corpus.remove(gone.article_id, guild_id=5)
    assert [p.text for p in empty_corpus.ask("penguins ice", guild_id=5).results] == ["Penguins waddled across the ice."]
    guild_file = empty_corpus.guild_path("5")
    conn = sqlite3.connect(guild_file)
    add_functions(conn)
    assert conn.execute("SELECT count(*) FROM paragraphs WHERE article_id = ?", (gone.article_id,)).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM paragraphs_fts WHERE paragraphs_fts MATCH 'shelf'").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM words WHERE word = 'shelf'").fetchone()[0] == 0
    assert conn.execute("INSERT INTO paragraphs_fts(paragraphs_fts, rank) VALUES ('integrity-check', 1)") is not None
    conn.close()


def test_purge_guild(empty_corpus):
    empty_corpus.add(doc("A", "Alpha text."), guild_id=9)
    empty_corpus.add(doc("B", "Beta text."), guild_id=9)
    empty_corpus.add(doc("C", "Gamma text."))
    assert empty_corpus.purge_guild(9) == 2
    assert [a.title for a in empty_corpus.articles(9)] == ["C"]


def test_migration_from_version_1_keeps_articles_and_adds_speakers(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    MIGRATIONS[1](conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO articles VALUES (1, 'shared', 'Old story', NULL, NULL, NULL, 'cli', '2024-01-01', 'h', 2)")
    conn.execute("INSERT INTO paragraphs (article_id, position, text) VALUES (1, 1, 'Jane Smith, the mayor, opened the bridge.')")
    conn.execute("INSERT INTO paragraphs (article_id, position, text) VALUES (1, 2, 'She said the tolls would stay frozen.')")
    conn.execute("COMMIT")
    conn.close()
    with Corpus.open(path) as c:
        assert c.schema_version() == SCHEMA_VERSION
        answer = c.ask("what did Jane Smith say about tolls")
        assert answer.results[0].text == "She said the tolls would stay frozen."
        assert answer.results[0].speakers == ["Jane Smith"]


def test_not_an_articlebot_database(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE x (y)")
    conn.commit()
    conn.close()
    with pytest.raises(CorpusError, match="not an articlebot"):
        Corpus.open(path)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(CorpusError, match="not an articlebot database"):
        Corpus.open(garbage)


def test_a_new_file_another_process_migrated_meanwhile_is_not_migrated_twice(tmp_path, monkeypatch):
    """Two processes open a new guild file at once (the bot's vectors worker, and an add or a feed): the
    second read version 0 before the first committed, then waited for the write lock. It must read the
    version again under the lock instead of creating the tables a second time."""
    from corpus.storage.store import Store

    path = tmp_path / "42.db"
    Store(path, "42").migrate()  # the first process, done
    late = Store(path, "42")
    reads = {"n": 0}

    def stale_version() -> int:  # what the second process saw before the first committed
        reads["n"] += 1
        return 0 if reads["n"] <= 2 else Store.schema_version(late)

    monkeypatch.setattr(late, "schema_version", stale_version)
    monkeypatch.setattr(late, "query", lambda sql, params=(): [(0,)] if "sqlite_master" in sql
                        else Store.query(late, sql, params))
    late.migrate()  # was: "table articles already exists"
    assert Store.schema_version(late) == SCHEMA_VERSION
