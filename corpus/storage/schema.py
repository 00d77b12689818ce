"""The schema of one articlebot database file, and the migrations that bring an older file up to date.

Every file (the shared one and each guild's) has the same schema. Migration N takes a file from version
N-1 to N inside one transaction; `corpus.storage.scopes` moves the guild rows of a pre-partition file (version 2,
one file for every scope) into their own files before this file's version 3 is committed.
"""

from __future__ import annotations

import json
import re
import sqlite3

from ..reading.languages import MORE_STOP_WORDS, detect
from ..reading.speakers import attribute
from ..reading.text import index_text, pack_terms, sentence_stems, terms

SCHEMA_VERSION = 7
# FTS5's tokenizer reads the index text that Python prepared (stems, folded), and must keep each of its
# words whole: by default unicode61 cuts a word at every combining mark, so Hindi "राजधान" was the tokens
# र, जध, न, and a question's word matched any word with the same consonants (मेला found मिला).
FTS_TOKENIZER = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Like executescript, but inside the caller's transaction (executescript commits first)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""


# Each migration takes the schema from version N-1 to N, inside one transaction.
def _migrate_1(conn: sqlite3.Connection) -> None:
    _run_script(conn, 
        """
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY, scope TEXT NOT NULL, title TEXT NOT NULL, url TEXT, author TEXT,
            published TEXT, added_by TEXT, added_at TEXT NOT NULL, content_hash TEXT NOT NULL,
            paragraph_count INTEGER NOT NULL);
        CREATE INDEX articles_scope_hash ON articles(scope, content_hash);
        CREATE TABLE paragraphs (
            id INTEGER PRIMARY KEY, article_id INTEGER NOT NULL REFERENCES articles(id),
            position INTEGER NOT NULL, text TEXT NOT NULL);
        CREATE UNIQUE INDEX paragraphs_article_position ON paragraphs(article_id, position);
        CREATE TABLE words (word TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
        CREATE VIRTUAL TABLE paragraphs_fts USING fts5(
            text, title, scope, content='paragraph_docs', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2');
        CREATE VIEW paragraph_docs AS
            SELECT p.id AS id, p.text AS text, a.title AS title, a.scope AS scope
            FROM paragraphs p JOIN articles a ON a.id = p.article_id;
        CREATE TRIGGER paragraphs_ai AFTER INSERT ON paragraphs BEGIN
            INSERT INTO paragraphs_fts(rowid, text, title, scope)
            SELECT new.id, new.text, title, scope FROM articles WHERE id = new.article_id;
        END;
        CREATE TRIGGER paragraphs_ad AFTER DELETE ON paragraphs BEGIN
            INSERT INTO paragraphs_fts(paragraphs_fts, rowid, text, title, scope)
            SELECT 'delete', old.id, old.text, title, scope FROM articles WHERE id = old.article_id;
        END;
        """
    )


def _migrate_2(conn: sqlite3.Connection) -> None:
    """Who speaks in each paragraph, indexed so "what did X say" finds paragraphs that say only "he"."""
    _run_script(conn, 
        """
        DROP TRIGGER paragraphs_ai;
        DROP TRIGGER paragraphs_ad;
        DROP TABLE paragraphs_fts;
        DROP VIEW paragraph_docs;
        ALTER TABLE paragraphs ADD COLUMN speakers TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE paragraphs ADD COLUMN speaker_names TEXT NOT NULL DEFAULT '';
        ALTER TABLE paragraphs ADD COLUMN stems TEXT NOT NULL DEFAULT '';
        CREATE VIRTUAL TABLE paragraphs_fts USING fts5(
            text, title, speaker, scope, content='paragraph_docs', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2');
        CREATE VIEW paragraph_docs AS
            SELECT p.id AS id, p.text AS text, a.title AS title, p.speaker_names AS speaker, a.scope AS scope
            FROM paragraphs p JOIN articles a ON a.id = p.article_id;
        CREATE TRIGGER paragraphs_ai AFTER INSERT ON paragraphs BEGIN
            INSERT INTO paragraphs_fts(rowid, text, title, speaker, scope)
            SELECT new.id, new.text, title, new.speaker_names, scope FROM articles WHERE id = new.article_id;
        END;
        CREATE TRIGGER paragraphs_ad AFTER DELETE ON paragraphs BEGIN
            INSERT INTO paragraphs_fts(paragraphs_fts, rowid, text, title, speaker, scope)
            SELECT 'delete', old.id, old.text, title, old.speaker_names, scope FROM articles WHERE id = old.article_id;
        END;
        """
    )
    rows = conn.execute("SELECT article_id, id, text FROM paragraphs ORDER BY article_id, position").fetchall()
    by_article: dict[int, list[tuple[int, str]]] = {}
    for article_id, pid, text in rows:
        by_article.setdefault(article_id, []).append((pid, text))
    for items in by_article.values():
        for (pid, text), speakers in zip(items, attribute([t for _, t in items])):
            conn.execute("UPDATE paragraphs SET speakers = ?, speaker_names = ?, stems = ? WHERE id = ?",
                         (speakers_json(speakers), speaker_names(speakers), sentence_stems(text), pid))
    conn.execute("INSERT INTO paragraphs_fts(paragraphs_fts) VALUES ('rebuild')")


def _migrate_3(conn: sqlite3.Connection) -> None:
    """A file holds one scope (the shared one or one guild's): recorded so that a file is never read as
    another scope's. Guild rows of older files have been moved out by `corpus.storage.scopes` before this runs."""
    conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT OR IGNORE INTO meta VALUES ('generation', '0')")


def _migrate_4(conn: sqlite3.Connection) -> None:
    """Each article's language, and an index of what Python prepares in that language (its stems; pairs
    of characters for Chinese, Japanese and Thai; accents folded) instead of FTS5's English-only porter
    tokenizer. Every article is read again: its language detected, its words, stems and index rebuilt."""
    _run_script(conn,
        """
        DROP TRIGGER paragraphs_ai;
        DROP TRIGGER paragraphs_ad;
        DROP TABLE paragraphs_fts;
        DROP VIEW paragraph_docs;
        ALTER TABLE articles ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
        ALTER TABLE articles ADD COLUMN title_index TEXT NOT NULL DEFAULT '';
        ALTER TABLE paragraphs ADD COLUMN text_index TEXT NOT NULL DEFAULT '';
        ALTER TABLE paragraphs ADD COLUMN speaker_index TEXT NOT NULL DEFAULT '';
        CREATE INDEX articles_language ON articles(language);
        CREATE VIRTUAL TABLE paragraphs_fts USING fts5(
            text, title, speaker, scope, content='paragraph_docs', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2');
        CREATE VIEW paragraph_docs AS
            SELECT p.id AS id, p.text_index AS text, a.title_index AS title, p.speaker_index AS speaker,
                   a.scope AS scope
            FROM paragraphs p JOIN articles a ON a.id = p.article_id;
        CREATE TRIGGER paragraphs_ai AFTER INSERT ON paragraphs BEGIN
            INSERT INTO paragraphs_fts(rowid, text, title, speaker, scope)
            SELECT new.id, new.text_index, title_index, new.speaker_index, scope FROM articles
            WHERE id = new.article_id;
        END;
        CREATE TRIGGER paragraphs_ad AFTER DELETE ON paragraphs BEGIN
            INSERT INTO paragraphs_fts(paragraphs_fts, rowid, text, title, speaker, scope)
            SELECT 'delete', old.id, old.text_index, title_index, old.speaker_index, scope FROM articles
            WHERE id = old.article_id;
        END;
        """
    )
    df: dict[str, int] = {}
    for article_id, title in conn.execute("SELECT id, title FROM articles").fetchall():
        rows = conn.execute("SELECT id, text, speaker_names FROM paragraphs WHERE article_id = ? ORDER BY position",
                            (article_id,)).fetchall()
        lang = detect([title] + [r[1] for r in rows])
        conn.execute("UPDATE articles SET language = ?, title_index = ? WHERE id = ?",
                     (lang, index_text(title, lang), article_id))
        for pid, text, names in rows:
            conn.execute("UPDATE paragraphs SET stems = ?, text_index = ?, speaker_index = ? WHERE id = ?",
                         (sentence_stems(text, lang), index_text(text, lang), index_text(names, lang), pid))
            for word in set(terms(text)):
                df[word] = df.get(word, 0) + 1
    conn.execute("DELETE FROM words")  # words are folded and cut as the new index cuts them
    conn.executemany("INSERT INTO words (word, df) VALUES (?, ?)", df.items())
    conn.execute("INSERT INTO paragraphs_fts(paragraphs_fts) VALUES ('rebuild')")
    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")


def _migrate_5(conn: sqlite3.Connection) -> None:
    """Each paragraph's index words stored once, compressed (`terms`, see corpus.reading.text.pack_terms), in place
    of the index text, the sentence stems and the speaker names beside it: the file is about a third
    smaller. The index reads the terms through the SQL function `articlebot_terms` (corpus.storage.database)."""
    _run_script(conn,
        """
        DROP TRIGGER paragraphs_ai;
        DROP TRIGGER paragraphs_ad;
        DROP VIEW paragraph_docs;
        ALTER TABLE paragraphs ADD COLUMN terms BLOB NOT NULL DEFAULT x'';
        """
    )
    rows = conn.execute("SELECT p.id, p.text, a.language FROM paragraphs p JOIN articles a ON a.id = p.article_id")
    conn.executemany("UPDATE paragraphs SET terms = ? WHERE id = ?",
                     [(pack_terms(text, lang), pid) for pid, text, lang in rows.fetchall()])
    _run_script(conn,
        """
        ALTER TABLE paragraphs DROP COLUMN text_index;
        ALTER TABLE paragraphs DROP COLUMN stems;
        ALTER TABLE paragraphs DROP COLUMN speaker_names;
        CREATE VIEW paragraph_docs AS
            SELECT p.id AS id, articlebot_terms(p.terms) AS text, a.title_index AS title,
                   p.speaker_index AS speaker, a.scope AS scope
            FROM paragraphs p JOIN articles a ON a.id = p.article_id;
        CREATE TRIGGER paragraphs_ai AFTER INSERT ON paragraphs BEGIN
            INSERT INTO paragraphs_fts(rowid, text, title, speaker, scope)
            SELECT new.id, articlebot_terms(new.terms), title_index, new.speaker_index, scope FROM articles
            WHERE id = new.article_id;
        END;
        CREATE TRIGGER paragraphs_ad AFTER DELETE ON paragraphs BEGIN
            INSERT INTO paragraphs_fts(paragraphs_fts, rowid, text, title, speaker, scope)
            SELECT 'delete', old.id, articlebot_terms(old.terms), title_index, old.speaker_index, scope
            FROM articles WHERE id = old.article_id;
        END;
        """
    )
    conn.execute("INSERT INTO paragraphs_fts(paragraphs_fts) VALUES ('rebuild')")
    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")


# Text whose index words schema 6 folds or stops differently: Devanagari, Arabic, the zero-width joiners.
_REREAD_TEXT = re.compile("[\u0900-\u097f\u0600-\u06ff\u200c\u200d]")


def _migrate_6(conn: sqlite3.Connection) -> None:
    """The index keeps words with combining marks whole (FTS_TOKENIZER). Articles whose words are now folded
    or stopped otherwise (corpus.reading.folding, MORE_STOP_WORDS) have their terms and words made again;
    the others' stored terms are unchanged and only indexed again."""
    conn.execute("DROP TABLE paragraphs_fts")
    conn.execute(f"""CREATE VIRTUAL TABLE paragraphs_fts USING fts5(
        text, title, speaker, scope, content='paragraph_docs', content_rowid='id', tokenize="{FTS_TOKENIZER}")""")
    reread = 0
    for article_id, title, lang in conn.execute("SELECT id, title, language FROM articles").fetchall():
        rows = conn.execute("SELECT id, text, speakers FROM paragraphs WHERE article_id = ?", (article_id,)).fetchall()
        if lang not in MORE_STOP_WORDS and not _REREAD_TEXT.search(title + " ".join(r[1] for r in rows)):
            continue
        reread += 1
        conn.execute("UPDATE articles SET title_index = ? WHERE id = ?", (index_text(title, lang), article_id))
        conn.executemany("UPDATE paragraphs SET terms = ?, speaker_index = ? WHERE id = ?",
                         [(pack_terms(text, lang), index_text(_names(speakers), lang), pid) for pid, text, speakers in rows])
    if reread:  # the words of every paragraph, as the index now cuts them
        df: dict[str, int] = {}
        for (text,) in conn.execute("SELECT text FROM paragraphs"):
            for word in set(terms(text)):
                df[word] = df.get(word, 0) + 1
        conn.execute("DELETE FROM words")
        conn.executemany("INSERT INTO words (word, df) VALUES (?, ?)", df.items())
    conn.execute("INSERT INTO paragraphs_fts(paragraphs_fts) VALUES ('rebuild')")
    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")


def _names(stored_speakers: str) -> str:
    """speaker_names() of a paragraph's stored speakers (JSON)."""
    return " ".join(f"{s['name']} {s.get('role', '')}".strip() for s in json.loads(stored_speakers or "[]"))


def _migrate_7(conn: sqlite3.Connection) -> None:
    """The feeds a scope follows (corpus.feeds): each feed's schedule, state and conditional-GET validators;
    the entries each has seen (by id, normalised link or text) and the article each became; a short log of
    entries skipped and checks failed. In the scope's own file: they leave with the guild and move with it."""
    _run_script(conn,
        """
        CREATE TABLE feeds (
            id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, title TEXT NOT NULL, channel TEXT,
            keywords TEXT NOT NULL DEFAULT '', added_by TEXT, added_at TEXT NOT NULL,
            etag TEXT, last_modified TEXT, last_checked TEXT, last_new TEXT,
            next_check REAL NOT NULL DEFAULT 0, asked_interval REAL NOT NULL DEFAULT 0,
            failures INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'ok', error TEXT,
            polls INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE feed_entries (
            entry_key TEXT NOT NULL, feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            article_id INTEGER, seen_at TEXT NOT NULL, PRIMARY KEY (entry_key, feed_id)) WITHOUT ROWID;
        CREATE INDEX feed_entries_feed ON feed_entries(feed_id);
        CREATE TABLE feed_log (
            id INTEGER PRIMARY KEY, feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            at TEXT NOT NULL, message TEXT NOT NULL);
        CREATE INDEX feed_log_feed ON feed_log(feed_id);
        CREATE INDEX articles_url ON articles(url);
        """
    )


MIGRATIONS = {1: _migrate_1, 2: _migrate_2, 3: _migrate_3, 4: _migrate_4, 5: _migrate_5, 6: _migrate_6,
              7: _migrate_7}


def speakers_json(speakers) -> str:
    return json.dumps([{"name": s.name, "role": s.role} for s in speakers], ensure_ascii=False)


def speaker_names(speakers) -> str:
    """What the FTS speaker column holds: names and role words ("Vladimir Kolokoltsev russian minister")."""
    return " ".join(f"{s.name} {s.role}".strip() for s in speakers)


