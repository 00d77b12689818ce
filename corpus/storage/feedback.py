"""Votes on answers (👍 / 👎 under an answer in Discord), so that real questions become test cases.

Each guild's votes are kept in the guild's own file (a DM's in the shared file), in a table made on first
use: one row per question and set of passages shown, with counts. Who voted is not stored: the bot keeps
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
    """Count one vote on the answer to ``question`` that showed ``passages``, in the guild's own file (the
    guild gets one if it had none), or the shared file for ``guild_id`` None."""
    if vote not in VOTES:
        raise CorpusError(f"a vote is {' or '.join(VOTES)}, not {vote!r}")
    question = question.strip()[:MAX_QUESTION]
    if not question:
        raise CorpusError("a vote needs the question it was about")
    shown = json.dumps([{"article_id": int(p.article_id), "paragraph": int(p.paragraph), "title": p.title[:MAX_TITLE]}
                        for p in list(passages)[:MAX_PASSAGES]], ensure_ascii=False)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    scope = scope_of(guild_id)
    store = corpus.shared if scope == SHARED_SCOPE else corpus._guild_store(scope, create=True)
    with store._write() as conn:
        conn.execute(_TABLE)
        conn.execute(f"INSERT INTO feedback (question, passages, {vote}, last_at) VALUES (?, ?, 1, ?) "
                     f"ON CONFLICT (question, passages) DO UPDATE SET {vote} = {vote} + 1, last_at = excluded.last_at",
                     (question, shown, now))


def export(corpus: Corpus, guild_id=None, *, every_file: bool = False) -> Iterator[Feedback]:
    """The votes of one scope (a guild's, or the shared file's), or with ``every_file`` of every file;
    newest first within each file."""
    if every_file:
        stores = list(corpus.all_stores())
    else:
        scope = scope_of(guild_id)
        store = corpus.shared if scope == SHARED_SCOPE else corpus._guild_store(scope)
        stores = [store] if store is not None else []
    for store in stores:
        yield from _rows(store)


def _rows(store: Store) -> Iterator[Feedback]:
    guild = None if store.scope == SHARED_SCOPE else store.scope
    with store.connection() as conn:
        if not _has_table(conn):
            return
        rows = conn.execute("SELECT question, passages, up, down, last_at FROM feedback "
                            "ORDER BY last_at DESC, rowid DESC").fetchall()
    for question, passages, up, down, last_at in rows:
        yield Feedback(question, json.loads(passages), up, down, last_at, guild)


def _has_table(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'feedback'").fetchone() is not None
