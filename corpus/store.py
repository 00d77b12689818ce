"""The SQLite store: articles, paragraphs, an FTS5 index kept in sync by triggers, scopes, migrations.

One file, WAL mode. A `Corpus` may be shared across threads: each thread gets its own connection
and writes are serialised, so readers never wait on a writer and never see "database is locked".
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import sqlite_utils

from . import database
from .errors import CorpusError
from .ingest import Document
from .speakers import attribute
from .text import sentence_stems, terms

SHARED_SCOPE = "shared"
DEFAULT_DB = "articlebot.db"
SCHEMA_VERSION = 2


def scope_of(guild_id: int | str | None) -> str:
    if guild_id is None or guild_id == SHARED_SCOPE:
        return SHARED_SCOPE
    text = str(guild_id).strip()
    if not text.isdigit():
        raise CorpusError(f"invalid guild id {guild_id!r}: it must be a number")
    return text


def resolve_db_path(path: str | os.PathLike | None = None) -> Path:
    """--db PATH, else $ARTICLEBOT_DB, else ./articlebot.db."""
    chosen = str(path or os.environ.get("ARTICLEBOT_DB") or DEFAULT_DB)
    if "{shard}" in chosen:
        raise CorpusError(f"{chosen} names one database per shard: give --db the file of one shard, "
                          f"or run the command on every shard with `python -m bot.shards`")
    return Path(chosen)


@dataclass
class AddResult:
    status: str  # "added" or "duplicate"
    article_id: int
    title: str
    paragraphs: int


@dataclass
class ArticleInfo:
    id: int
    scope: str
    title: str
    url: str | None
    author: str | None
    published: str | None
    added_by: str | None
    added_at: str
    paragraphs: int

    def to_dict(self) -> dict:
        return asdict(self)


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
                         (_speakers_json(speakers), _speaker_names(speakers), sentence_stems(text), pid))
    conn.execute("INSERT INTO paragraphs_fts(paragraphs_fts) VALUES ('rebuild')")


MIGRATIONS = {1: _migrate_1, 2: _migrate_2}


def _speakers_json(speakers) -> str:
    return json.dumps([{"name": s.name, "role": s.role} for s in speakers], ensure_ascii=False)


def _speaker_names(speakers) -> str:
    """What the FTS speaker column holds: names and role words ("Vladimir Kolokoltsev russian minister")."""
    return " ".join(f"{s.name} {s.role}".strip() for s in speakers)


def content_hash(doc: Document) -> str:
    """Same body, same hash: whitespace and case do not make a new article."""
    body = "\n".join(re.sub(r"\s+", " ", p).strip().lower() for p in doc.paragraphs)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def paragraph_words(text: str) -> set[str]:
    return set(terms(text))


class Corpus:
    """The article engine: store articles, answer questions. See `corpus.search` for ranking."""

    def __init__(self, path: Path, *, created: bool, readonly: bool = False) -> None:
        self.path = path
        self.created = created
        self.readonly = readonly
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        from .search import Searcher  # search imports store types

        self.searcher = Searcher(self)

    # -- opening -----------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike | None = None, *, load_samples: bool | None = None,
             readonly: bool = False) -> "Corpus":
        db_path = resolve_db_path(path)
        if db_path.exists() and db_path.is_dir():
            raise CorpusError(f"{db_path} is a directory, not a database file")
        if not db_path.parent.exists():
            raise CorpusError(f"cannot create the database: folder {db_path.parent} does not exist")
        created = not db_path.exists() or db_path.stat().st_size == 0
        corpus = cls(db_path, created=created, readonly=readonly)
        try:
            corpus._migrate()
        except sqlite3.Error as exc:
            corpus.close()
            raise database.explain(exc, db_path) from exc
        if load_samples is None:
            load_samples = os.environ.get("ARTICLEBOT_SAMPLES", "1").strip().lower() not in {"0", "false", "no", "off"}
        if created and load_samples and not readonly:
            from .samples import load_samples as _load

            _load(corpus)
        return corpus

    def _connect(self) -> sqlite3.Connection:
        return database.connect(self.path, readonly=self.readonly)

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite_utils.Database(self.conn)
        return db

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()
        self._local = threading.local()

    def __enter__(self) -> "Corpus":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One writer at a time, one transaction: all of it lands or none of it does."""
        with self._write_lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:  # SQLite already rolled back after some errors (a full disk)
                    conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")

    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        # Read-only check first: opening a current database must not queue behind a running write.
        if self.schema_version() == SCHEMA_VERSION:
            return
        if self.readonly:
            raise CorpusError(f"{self.path} needs an upgrade (schema version {self.schema_version()}), "
                              f"but it is read-only: make it writable and run any articlebot command once")
        with self._write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise CorpusError(f"{self.path} has schema version {version}, newer than this articlebot "
                                  f"({SCHEMA_VERSION}): upgrade articlebot")
            if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise CorpusError(f"{self.path} is an SQLite database but not an articlebot one")
            for target in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[target](conn)
                conn.execute(f"PRAGMA user_version = {target}")
            if version < SCHEMA_VERSION:
                conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('generation', '0')")

    def generation(self) -> int:
        """Bumped by every write; caches of the vocabulary key on it."""
        return int(self.conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])

    # -- writing -----------------------------------------------------------------------------------
    def add(self, doc: Document, *, guild_id: int | str | None = None, added_by: str | None = None) -> AddResult:
        scope = scope_of(guild_id)
        digest = content_hash(doc)
        speakers = attribute(doc.paragraphs)  # outside the write lock: analysis is the slow part
        paragraph_stems = [sentence_stems(p) for p in doc.paragraphs]
        df = Counter(w for p in doc.paragraphs for w in paragraph_words(p))
        with self._write() as conn:
            dup = conn.execute(
                "SELECT id, title, paragraph_count FROM articles WHERE content_hash = ? AND scope IN (?, ?) "
                "ORDER BY id LIMIT 1", (digest, scope, SHARED_SCOPE)).fetchone()
            if dup:
                return AddResult("duplicate", dup[0], dup[1], dup[2])
            cur = conn.execute(
                "INSERT INTO articles (scope, title, url, author, published, added_by, added_at, content_hash,"
                " paragraph_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (scope, doc.title, doc.url, doc.author, doc.published, added_by,
                 datetime.now(timezone.utc).isoformat(timespec="seconds"), digest, len(doc.paragraphs)))
            article_id = cur.lastrowid
            conn.executemany(
                "INSERT INTO paragraphs (article_id, position, text, speakers, speaker_names, stems)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(article_id, i, text, _speakers_json(s), _speaker_names(s), stems)
                 for i, (text, s, stems) in enumerate(zip(doc.paragraphs, speakers, paragraph_stems), start=1)])
            conn.executemany(
                "INSERT INTO words (word, df) VALUES (?, ?) ON CONFLICT(word) DO UPDATE SET df = df + excluded.df",
                df.items())
            conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
        return AddResult("added", article_id, doc.title, len(doc.paragraphs))

    def remove(self, article_id: int, *, guild_id: int | str | None = None) -> bool:
        """Remove an article of this scope with its paragraphs and index rows. False if none such."""
        scope = scope_of(guild_id)
        with self._write() as conn:
            row = conn.execute("SELECT id FROM articles WHERE id = ? AND scope = ?", (article_id, scope)).fetchone()
            if not row:
                return False
            self._delete_articles(conn, [article_id])
        return True

    def purge_guild(self, guild_id: int | str) -> int:
        """Remove every article a guild added (the bot left it). Shared articles stay."""
        scope = scope_of(guild_id)
        if scope == SHARED_SCOPE:
            raise CorpusError("purge_guild needs a guild id")
        with self._write() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM articles WHERE scope = ?", (scope,))]
            self._delete_articles(conn, ids)
        return len(ids)

    def _delete_articles(self, conn: sqlite3.Connection, ids: list[int]) -> None:
        for article_id in ids:
            texts = [r[0] for r in conn.execute("SELECT text FROM paragraphs WHERE article_id = ?", (article_id,))]
            df = Counter(w for t in texts for w in paragraph_words(t))
            conn.executemany("UPDATE words SET df = df - ? WHERE word = ?", [(n, w) for w, n in df.items()])
            conn.execute("DELETE FROM paragraphs WHERE article_id = ?", (article_id,))
            conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        if ids:
            conn.execute("DELETE FROM words WHERE df <= 0")
            conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")

    # -- reading -----------------------------------------------------------------------------------
    def _visible(self, guild_id) -> tuple[str, tuple]:
        scope = scope_of(guild_id)
        if scope == SHARED_SCOPE:
            return "scope = ?", (SHARED_SCOPE,)
        return "scope IN (?, ?)", (scope, SHARED_SCOPE)

    def articles(self, guild_id=None, *, limit: int | None = None, offset: int = 0) -> list[ArticleInfo]:
        where, params = self._visible(guild_id)
        rows = self.db.query(
            f"SELECT id, scope, title, url, author, published, added_by, added_at, paragraph_count AS paragraphs "
            f"FROM articles WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            params + (-1 if limit is None else limit, offset))
        return [ArticleInfo(**r) for r in rows]

    def article(self, article_id: int, *, guild_id=None) -> ArticleInfo | None:
        where, params = self._visible(guild_id)
        rows = list(self.db.query(
            f"SELECT id, scope, title, url, author, published, added_by, added_at, paragraph_count AS paragraphs "
            f"FROM articles WHERE id = ? AND {where}", (article_id,) + params))
        return ArticleInfo(**rows[0]) if rows else None

    def paragraphs(self, article_id: int, *, guild_id=None) -> list[str]:
        if self.article(article_id, guild_id=guild_id) is None:
            return []
        return [r[0] for r in self.conn.execute(
            "SELECT text FROM paragraphs WHERE article_id = ? ORDER BY position", (article_id,))]

    def count_articles(self, guild_id=None) -> int:
        where, params = self._visible(guild_id)
        return self.conn.execute(f"SELECT count(*) FROM articles WHERE {where}", params).fetchone()[0]

    def stats(self, guild_id=None) -> dict:
        where, params = self._visible(guild_id)
        articles, paragraphs = self.conn.execute(
            f"SELECT count(*), coalesce(sum(paragraph_count), 0) FROM articles WHERE {where}", params).fetchone()
        words_total = self.conn.execute(
            f"SELECT coalesce(sum(length(text) - length(replace(text, ' ', '')) + 1), 0) FROM paragraphs "
            f"WHERE article_id IN (SELECT id FROM articles WHERE {where})", params).fetchone()[0]
        size = sum(Path(f"{self.path}{suffix}").stat().st_size
                   for suffix in ("", "-wal") if Path(f"{self.path}{suffix}").exists())
        return {"articles": articles, "paragraphs": paragraphs, "words": words_total, "db_bytes": size,
                "schema_version": self.schema_version(), "path": str(self.path)}

    def suggest_titles(self, text: str, *, guild_id=None, limit: int = 3) -> list[ArticleInfo]:
        """Titles close to `text` (autocomplete, "did you mean"): rapidfuzz over the visible titles."""
        from rapidfuzz import fuzz, process, utils

        articles = self.articles(guild_id, limit=5000)
        if not text.strip():
            return articles[:limit]
        choices = {a.id: a.title for a in articles}
        hits = process.extract(text, choices, scorer=fuzz.WRatio, processor=utils.default_process,
                               limit=limit, score_cutoff=50)
        by_id = {a.id: a for a in articles}
        return [by_id[key] for _, _, key in hits]

    def context(self, article_id: int, paragraph: int, *, guild_id=None, radius: int = 1):
        return self.searcher.context(article_id, paragraph, guild_id=guild_id, radius=radius)

    def ask(self, question: str, *, guild_id=None, limit: int = 5, offset: int = 0, article_id: int | None = None):
        return self.searcher.ask(question, guild_id=guild_id, limit=limit, offset=offset, article_id=article_id)


def open_corpus(path=None, **kwargs) -> Corpus:
    return Corpus.open(path, **kwargs)
