"""One SQLite file holding one scope's articles: paragraphs, an FTS5 index kept in sync by triggers, the
scope's word frequencies. `corpus.storage.scopes` puts the shared file and one file per guild together.

WAL mode. A `Store` may be shared across threads: each operation borrows a connection from a small pool
and writes are serialised, so readers never wait on a writer and never see "database is locked".
"""

from __future__ import annotations

import hashlib
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

from .. import settings
from ..errors import CorpusError
from ..reading.ingest import Document
from ..reading.languages import detect
from ..reading.speakers import ATTRIBUTION, attribute
from ..reading.text import index_text, pack_terms, terms
from . import database, speaker_refresh
from .schema import MIGRATIONS, SCHEMA_VERSION, speaker_names, speakers_json

SHARED_SCOPE = "shared"
DEFAULT_DB = "articlebot.db"
# A guild's own articles are numbered from here, the shared ones from 1, so that an id names one article
# in everything a guild sees, and a guild's ids say nothing about how many articles other guilds hold.
GUILD_ID_BASE = 1_000_000
SPARE_CONNECTIONS = 4  # idle connections a store keeps open for the next operation


def scope_of(guild_id: int | str | None) -> str:
    if guild_id is None or guild_id == SHARED_SCOPE:
        return SHARED_SCOPE
    text = str(guild_id).strip()
    if not (text.isascii() and text.isdigit()) or int(text) == 0:
        raise CorpusError(f"invalid guild id {guild_id!r}: it must be a Discord server id (a positive number)")
    return str(int(text))


def resolve_db_path(path: str | os.PathLike | None = None) -> Path:
    """--db PATH, else ARTICLEBOT_DB (environment or ./.env), else ./articlebot.db."""
    chosen = str(path or settings.db_setting() or DEFAULT_DB)
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
    language: str = "en"  # ISO 639-1, detected when the article was added

    def to_dict(self) -> dict:
        return asdict(self)


ARTICLE_COLUMNS = ("id, scope, title, url, author, published, added_by, added_at, "
                   "paragraph_count AS paragraphs, language")


def content_hash(doc: Document) -> str:
    """Same body, same hash: whitespace and case do not make a new article."""
    body = "\n".join(re.sub(r"\s+", " ", p).strip().lower() for p in doc.paragraphs)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def paragraph_words(text: str) -> set[str]:
    return set(terms(text))


@dataclass
class PreparedArticle:
    """What storing an article needs, computed outside any lock (analysis is the slow part): its language,
    and its words as the index holds them in that language."""
    doc: Document
    digest: str
    speakers: list
    terms: list[bytes]  # each paragraph's, packed (corpus.reading.text.pack_terms)
    df: Counter
    language: str = "en"

    @classmethod
    def of(cls, doc: Document) -> "PreparedArticle":
        lang = detect([doc.title, *doc.paragraphs])
        return cls(doc, content_hash(doc), attribute(doc.paragraphs),
                   [pack_terms(p, lang) for p in doc.paragraphs],
                   Counter(w for p in doc.paragraphs for w in paragraph_words(p)), lang)

    def insert(self, conn: sqlite3.Connection, article_id: int, scope: str, added_by: str | None,
               added_at: str) -> None:
        """Write the article's rows (the caller holds the write transaction)."""
        self.insert_rows(conn, article_id, scope, added_by, added_at)
        count_words(conn, self.df, articles=1)

    def insert_rows(self, conn: sqlite3.Connection, article_id: int, scope: str, added_by: str | None,
                    added_at: str) -> None:
        """The article's row and its paragraphs' (its words are counted by `count_words`)."""
        doc, lang = self.doc, self.language
        conn.execute(
            "INSERT INTO articles (id, scope, title, url, author, published, added_by, added_at, content_hash,"
            " paragraph_count, language, title_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (article_id, scope, doc.title, doc.url, doc.author, doc.published, added_by, added_at, self.digest,
             len(doc.paragraphs), lang, index_text(doc.title, lang)))
        rows = [(article_id, i, text, speakers_json(s), packed, index_text(speaker_names(s), lang))
                for i, (text, s, packed) in enumerate(zip(doc.paragraphs, self.speakers, self.terms), start=1)]
        conn.executemany(
            "INSERT INTO paragraphs (article_id, position, text, speakers, terms, speaker_index)"
            " VALUES (?, ?, ?, ?, ?, ?)", rows)


def count_words(conn: sqlite3.Connection, df: Counter, *, articles: int) -> None:
    """Add articles' word counts to the file's, and note the write (caches of the vocabulary key on it)."""
    conn.executemany(
        "INSERT INTO words (word, df) VALUES (?, ?) ON CONFLICT(word) DO UPDATE SET df = df + excluded.df",
        df.items())
    conn.execute("UPDATE meta SET value = value + ? WHERE key = 'generation'", (articles,))


class Store:
    """One scope's database file."""

    def __init__(self, path: Path, scope: str, *, readonly: bool = False) -> None:
        self.path = path
        self.scope = scope
        self.readonly = readonly
        self.first_id = 1 if scope == SHARED_SCOPE else GUILD_ID_BASE + 1
        self._write_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()
        self._returned = threading.Condition(self._pool_lock)
        self._in_use = 0
        self._closed = False
        self._deleted = False
        self.vocabulary_cache = None  # corpus.answering.vocabulary keeps this scope's words here
        self.matrix_cache = None      # corpus.storage.vectors keeps this scope's vectors here
        self._languages: tuple[int, frozenset] | None = None

    def owns(self, article_id: int) -> bool:
        """Whether an id is in this file's range (guild articles are numbered from GUILD_ID_BASE + 1)."""
        return article_id >= GUILD_ID_BASE if self.scope != SHARED_SCOPE else 0 < article_id < GUILD_ID_BASE

    # -- connections ---------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        return database.connect(self.path, readonly=self.readonly)

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A connection for one operation; returned to the pool after, closed if the store was closed."""
        with self._pool_lock:
            if self._deleted:  # never reopen (and so recreate) a file that was just deleted
                raise CorpusError("these articles were just removed")
            conn = self._idle.pop() if self._idle else None
            self._in_use += 1
        try:
            if conn is None:
                conn = self._connect()
            yield conn
        except sqlite3.Error as exc:
            raise database.blame(exc, self.path)  # the message names this file, not the shared one
        finally:
            with self._pool_lock:
                self._in_use -= 1
                keep = conn is not None and not self._closed and len(self._idle) < SPARE_CONNECTIONS
                if keep:
                    self._idle.append(conn)
                self._returned.notify_all()
            if not keep and conn is not None:
                conn.close()

    def close(self) -> None:
        """Close idle connections now; those in use close when their operation ends."""
        with self._pool_lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def delete_files(self, wait: float = 30.0) -> None:
        """Delete the file (and its WAL and shared-memory files) once the operations using it have ended:
        unlinking them under an open connection makes its next read or write fail as "disk I/O error"."""
        with self._pool_lock:
            self._deleted = self._closed = True
            idle, self._idle = self._idle, []
            self._returned.wait_for(lambda: self._in_use == 0, timeout=wait)
        for conn in idle:
            conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One writer at a time, one transaction: all of it lands or none of it does."""
        if self.readonly:  # opened read-only (file or folder not writable): say so before SQLite does
            raise database.readonly_error(self.path)
        with self._write_lock, self.connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:  # SQLite already rolled back after some errors (a full disk)
                    conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")

    def refuse_damaged(self) -> None:
        """Before a command writes: the damaged-file failure if any page of the file is damaged."""
        with self.connection() as conn:
            database.refuse_damaged(conn, self.path)

    def query(self, sql: str, params=()) -> list[tuple]:
        with self.connection() as conn:
            return conn.execute(sql, params).fetchall()

    # -- schema -------------------------------------------------------------------------------------
    def schema_version(self) -> int:
        return self.query("PRAGMA user_version")[0][0]

    def migrate(self, before_version_3=None) -> None:
        """Bring the file to SCHEMA_VERSION. `before_version_3(store)` runs first on an older file (it moves
        the guild rows of a one-file database out)."""
        # Read-only check first: opening a current database must not queue behind a running write.
        if self.schema_version() == SCHEMA_VERSION:
            self._check_scope()
            self._refresh_speakers()
            return
        version = self.schema_version()
        if self.readonly:
            raise CorpusError(f"{self.path} needs an upgrade (schema version {version}), "
                              f"but it is read-only: make it writable and run any articlebot command once")
        if version > SCHEMA_VERSION:
            raise CorpusError(f"{self.path} has schema version {version}, newer than this articlebot "
                              f"({SCHEMA_VERSION}): upgrade articlebot")
        if version == 0 and self.query("SELECT count(*) FROM sqlite_master")[0][0]:
            raise CorpusError(f"{self.path} is an SQLite database but not an articlebot one")
        with self._write() as conn:
            # Read again under the write lock: another process (the bot's vectors worker, a command) may
            # have created or upgraded the file between the check above and this lock.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for target in range(version + 1, min(SCHEMA_VERSION, 2) + 1):
                MIGRATIONS[target](conn)
                conn.execute(f"PRAGMA user_version = {target}")
            if version < 2:
                conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('generation', '0')")
        if before_version_3 is not None:
            before_version_3(self)
        with self._write() as conn:
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            for target in range(max(current, 2) + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[target](conn)
                conn.execute(f"PRAGMA user_version = {target}")
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('scope', ?)", (self.scope,))
        if 0 < version < 5:  # schema 5 dropped three columns of every paragraph
            self._compact()
        self._check_scope()
        self._refresh_speakers()

    def _refresh_speakers(self) -> None:
        """Speakers stored by older attribution rules are read again (corpus.storage.speaker_refresh)."""
        if self.readonly:
            return
        with self.connection() as conn:
            if speaker_refresh.stored_attribution(conn) >= ATTRIBUTION:
                return
        with self._write() as conn:
            if speaker_refresh.stored_attribution(conn) < ATTRIBUTION:  # another process may have done it
                speaker_refresh.refresh(conn)

    def _compact(self) -> None:
        """Give the space freed by a migration back to the disk. Not when another connection is busy with
        the file (no waiting on it): the freed pages are then reused by later adds instead."""
        with self._write_lock, self.connection() as conn:
            conn.execute("PRAGMA busy_timeout = 0")
            try:
                conn.execute("VACUUM")
            except sqlite3.OperationalError:
                pass
            finally:
                conn.execute("PRAGMA busy_timeout = 30000")

    def _check_scope(self) -> None:
        row = self.query("SELECT value FROM meta WHERE key = 'scope'")
        if row and row[0][0] != self.scope:
            raise CorpusError(f"{self.path} holds the articles of scope {row[0][0]}, not {self.scope}: "
                              f"was a file moved or renamed?")

    def generation(self, conn: sqlite3.Connection | None = None) -> int:
        """Bumped by every write; caches of the vocabulary key on it."""
        sql = "SELECT value FROM meta WHERE key = 'generation'"
        row = conn.execute(sql).fetchone() if conn is not None else self.query(sql)[0]
        return int(row[0])

    def languages(self, conn: sqlite3.Connection) -> frozenset:
        """The languages this file's articles are written in (read again after a write): a question is
        read in each of them."""
        generation = self.generation(conn)
        cached = self._languages
        if cached is None or cached[0] != generation:
            found = frozenset(r[0] for r in conn.execute("SELECT DISTINCT language FROM articles"))
            cached = self._languages = (generation, found)
        return cached[1]

    # -- writing ------------------------------------------------------------------------------------
    def find_duplicate(self, digest: str) -> AddResult | None:
        with self.connection() as conn:
            return self._duplicate(conn, digest)

    def _duplicate(self, conn: sqlite3.Connection, digest: str) -> AddResult | None:
        # The scope is the file's own: with it the lookup is the (scope, content_hash) index's.
        row = conn.execute("SELECT id, title, paragraph_count FROM articles WHERE scope = ? AND content_hash = ? "
                           "ORDER BY id LIMIT 1", (self.scope, digest)).fetchone()
        return AddResult("duplicate", *row) if row else None

    def add(self, article: PreparedArticle, *, added_by: str | None = None) -> AddResult:
        return self.add_many([article], added_by=added_by)[0]

    def add_many(self, articles: list[PreparedArticle], *, added_by: str | None = None) -> list[AddResult]:
        """Store articles in order, in one transaction (all of them land or none): what bulk ingest does
        with a few dozen at a time, as a commit per article costs more than the article (each rewrites the
        pages of the word counts and of the index that it touched). Each one is checked for a duplicate
        of those before it, as one `add` after another would be."""
        results: list[AddResult] = []
        df: Counter = Counter()
        with self._write() as conn:
            added_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
            for article in articles:
                dup = self._duplicate(conn, article.digest)
                if dup:
                    results.append(dup)
                    continue
                next_id = self.next_id(conn)
                article.insert_rows(conn, next_id, self.scope, added_by, added_at)
                df.update(article.df)
                results.append(AddResult("added", next_id, article.doc.title, len(article.doc.paragraphs)))
            added = sum(r.status == "added" for r in results)
            if added:
                count_words(conn, df, articles=added)
        return results

    def next_id(self, conn: sqlite3.Connection) -> int:
        next_id = max(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM articles").fetchone()[0], self.first_id)
        if not self.owns(next_id):
            raise CorpusError(f"{self.path} holds {GUILD_ID_BASE - 1:,} shared articles, the most it can: "
                              f"remove some, or add articles to a guild instead")
        return next_id

    def remove(self, article_id: int) -> bool:
        """Remove an article with its paragraphs and index rows. False if there is none such."""
        with self._write() as conn:
            if not conn.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone():
                return False
            delete_articles(conn, [article_id])
        return True

    # -- reading ------------------------------------------------------------------------------------
    def articles(self, *, limit: int = -1, offset: int = 0) -> list[ArticleInfo]:
        with self.connection() as conn:
            conn.row_factory = sqlite3.Row
            try:
                rows = conn.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles ORDER BY id DESC LIMIT ? OFFSET ?",
                                    (limit, offset)).fetchall()
            finally:
                conn.row_factory = None
        return [ArticleInfo(**dict(r)) for r in rows]

    def article(self, article_id: int) -> ArticleInfo | None:
        with self.connection() as conn:
            conn.row_factory = sqlite3.Row
            try:
                row = conn.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?", (article_id,)).fetchone()
            finally:
                conn.row_factory = None
        return ArticleInfo(**dict(row)) if row else None

    def paragraphs(self, article_id: int) -> list[str]:
        return [r[0] for r in self.query("SELECT text FROM paragraphs WHERE article_id = ? ORDER BY position",
                                         (article_id,))]

    def counts(self) -> tuple[int, int, int]:
        """Articles, paragraphs and words in this file."""
        with self.connection() as conn:
            articles, paragraphs = conn.execute(
                "SELECT count(*), coalesce(sum(paragraph_count), 0) FROM articles").fetchone()
            words_total = conn.execute(
                "SELECT coalesce(sum(length(text) - length(replace(text, ' ', '')) + 1), 0) FROM paragraphs"
            ).fetchone()[0]
        return articles, paragraphs, words_total

    def size_bytes(self) -> int:
        return sum(Path(f"{self.path}{suffix}").stat().st_size
                   for suffix in ("", "-wal") if Path(f"{self.path}{suffix}").exists())


def delete_articles(conn: sqlite3.Connection, ids: list[int]) -> None:
    """Delete articles, their paragraphs (the FTS rows follow by trigger) and their share of word counts."""
    for article_id in ids:
        texts = [r[0] for r in conn.execute("SELECT text FROM paragraphs WHERE article_id = ?", (article_id,))]
        df = Counter(w for t in texts for w in paragraph_words(t))
        conn.executemany("UPDATE words SET df = df - ? WHERE word = ?", [(n, w) for w, n in df.items()])
        conn.execute("DELETE FROM paragraphs WHERE article_id = ?", (article_id,))
        conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))
    if ids:
        conn.execute("DELETE FROM words WHERE df <= 0")
        conn.execute("UPDATE meta SET value = value + 1 WHERE key IN ('generation', 'embedding_generation')")
