"""Votes on answers (👍 / 👎 under an answer in Discord), so that real questions become test cases.

Each guild's votes are kept in the guild's own file (a DM's in the shared file; those of a guild with no
articles of its own in the shared file too, with the guild's id: a vote makes no file), in a table made on
first use: one row per question and set of passages shown, with counts. Who voted is not stored: the bot keeps
that in memory only, to let each person vote once per answer while it runs.

    articlebot feedback [--guild ID] --json    one JSON object per line: question, passages, up, down, last_at
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Iterator, Optional, Sequence

from ..errors import CorpusError
from .scopes import Corpus
from .store import SHARED_SCOPE, Store, scope_of

VOTES = ("up", "down")
MAX_QUESTION = 1000  # characters of a question kept (the engine's own limit)
MAX_PASSAGES = 10
MAX_TITLE = 300

_TABLE = """CREATE TABLE IF NOT EXISTS feedback (
    question TEXT NOT NULL,
    passages TEXT NOT NULL,   -- JSON: [{"article_id", "paragraph", "title"}], in the order shown
    up INTEGER NOT NULL DEFAULT 0,
    down INTEGER NOT NULL DEFAULT 0,
    last_at TEXT NOT NULL,    -- UTC, ISO 8601, of the latest vote
    PRIMARY KEY (question, passages)
)"""
# In the shared file: the votes of servers that had no file of their own (no articles) when they voted. A
# vote makes no file, so such a server is not counted among the guilds with their own articles.
_GUILD_TABLE = """CREATE TABLE IF NOT EXISTS guild_feedback (
    guild TEXT NOT NULL,
    question TEXT NOT NULL,
    passages TEXT NOT NULL,
    up INTEGER NOT NULL DEFAULT 0,
    down INTEGER NOT NULL DEFAULT 0,
    last_at TEXT NOT NULL,
    PRIMARY KEY (guild, question, passages)
)"""


@dataclass
class Shown:
    """One passage an answer showed."""
    article_id: int
    paragraph: int
    title: str


@dataclass
class Feedback:
    question: str
    passages: list[dict]
    up: int
    down: int
    last_at: str
    guild: Optional[str] = None  # None: the shared scope (direct messages)

    def to_dict(self) -> dict:
        return asdict(self)


def record(corpus: Corpus, guild_id, question: str, passages: Sequence[Shown], vote: str) -> None:
    """Count one vote on the answer to ``question`` that showed ``passages``: in the guild's own file, in
    the shared file for ``guild_id`` None, and for a guild without a file in the shared file's
    guild_feedback (no file is made for a vote)."""
    if vote not in VOTES:
        raise CorpusError(f"a vote is {' or '.join(VOTES)}, not {vote!r}")
    question = question.strip()[:MAX_QUESTION]
    if not question:
        raise CorpusError("a vote needs the question it was about")
    shown = json.dumps([{"article_id": int(p.article_id), "paragraph": int(p.paragraph), "title": p.title[:MAX_TITLE]}
                        for p in list(passages)[:MAX_PASSAGES]], ensure_ascii=False)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    scope = scope_of(guild_id)
    store = corpus.store_of_scope(scope)
    if store is None:  # a guild with no file
        with corpus.shared._write() as conn:
            conn.execute(_GUILD_TABLE)
            conn.execute(f"INSERT INTO guild_feedback (guild, question, passages, {vote}, last_at) "
                         f"VALUES (?, ?, ?, 1, ?) ON CONFLICT (guild, question, passages) "
                         f"DO UPDATE SET {vote} = {vote} + 1, last_at = excluded.last_at", (scope, question, shown, now))
        return
    with store._write() as conn:
        conn.execute(_TABLE)
        conn.execute(f"INSERT INTO feedback (question, passages, {vote}, last_at) VALUES (?, ?, 1, ?) "
                     f"ON CONFLICT (question, passages) DO UPDATE SET {vote} = {vote} + 1, last_at = excluded.last_at",
                     (question, shown, now))


def export(corpus: Corpus, guild_id=None, *, every_file: bool = False, on_error=None) -> Iterator[Feedback]:
    """The votes of one scope (a guild's, or the shared file's), or with ``every_file`` of every file;
    newest first within each file. ``on_error``: a file that cannot be read is reported to it and skipped
    (see ``Corpus.each_file``)."""
    if every_file:
        for rows in corpus.each_file(_rows, on_error):
            yield from rows
        return
    scope = scope_of(guild_id)
    store = corpus.store_of_scope(scope)
    if store is not None:
        yield from _rows(store)
    if scope != SHARED_SCOPE:  # its votes from before it had a file
        yield from _guild_rows(corpus.shared, scope)


def _rows(store: Store) -> list[Feedback]:
    """A file's votes: its own, then (the shared file) those of guilds that had no file."""
    guild = None if store.scope == SHARED_SCOPE else store.scope
    with store.connection() as conn:
        rows = [] if not _has_table(conn, "feedback") else conn.execute(
            "SELECT question, passages, up, down, last_at FROM feedback ORDER BY last_at DESC, rowid DESC").fetchall()
    found = [Feedback(question, json.loads(passages), up, down, last_at, guild)
             for question, passages, up, down, last_at in rows]
    return found + (_guild_rows(store) if guild is None else [])


def _guild_rows(shared: Store, scope: str | None = None) -> list[Feedback]:
    sql = "SELECT question, passages, up, down, last_at, guild FROM guild_feedback"
    with shared.connection() as conn:
        if not _has_table(conn, "guild_feedback"):
            return []
        rows = conn.execute(sql + (" WHERE guild = ?" if scope else "") + " ORDER BY last_at DESC, rowid DESC",
                            (scope,) if scope else ()).fetchall()
    return [Feedback(q, json.loads(p), up, down, last_at, guild) for q, p, up, down, last_at, guild in rows]


def forget_guild(shared: Store, scope: str) -> None:
    """The bot left the server: its votes kept in the shared file go, as its own file does."""
    if shared.readonly:
        return
    with shared._write() as conn:
        if _has_table(conn, "guild_feedback"):
            conn.execute("DELETE FROM guild_feedback WHERE guild = ?", (scope,))


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None
