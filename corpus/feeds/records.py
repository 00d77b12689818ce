"""The feeds a file follows, and the entries they have seen (tables of schema 7, corpus/storage/schema.py).

A guild's feeds live in the guild's own file, the shared scope's in the shared file: they survive a
restart, are deleted with the guild's file when the bot leaves, and move with it between shards.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from ..storage.store import SHARED_SCOPE, Store
from .links import normalise_link
from .parse import Entry, FeedError

MAX_FEEDS_PER_SERVER = 25
LOG_LINES = 50            # skipped entries and errors kept per feed
STATES = ("ok", "failing", "stopped")

_COLUMNS = ("id, url, title, channel, keywords, added_by, added_at, etag, last_modified, last_checked, "
            "last_new, next_check, asked_interval, failures, state, error, polls")


@dataclass
class FeedRow:
    id: int
    url: str
    title: str
    channel: str | None
    keywords: str
    added_by: str | None
    added_at: str
    etag: str | None
    last_modified: str | None
    last_checked: str | None
    last_new: str | None
    next_check: float
    asked_interval: float
    failures: int
    state: str
    error: str | None
    polls: int
    scope: str = SHARED_SCOPE
    articles: int = 0

    @property
    def guild(self) -> str | None:
        return None if self.scope == SHARED_SCOPE else self.scope

    def to_json(self) -> dict:
        """What ``articlebot feed list --json`` prints (a stable contract)."""
        return {"id": self.id, "url": self.url, "title": self.title, "guild": self.guild, "channel": self.channel,
                "last_checked": self.last_checked, "last_new": self.last_new, "state": self.state,
                "error": self.error, "articles": self.articles}

    def to_dict(self) -> dict:
        return asdict(self)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _row(store: Store, values) -> FeedRow:
    return FeedRow(*values, scope=store.scope)


def count(store: Store) -> int:
    return store.query("SELECT count(*) FROM feeds")[0][0]


def feeds(store: Store) -> list[FeedRow]:
    """Every feed of the file, oldest first, with how many articles each brought."""
    rows = store.query(f"SELECT {_COLUMNS} FROM feeds ORDER BY id")
    counts = dict(store.query("SELECT feed_id, count(DISTINCT article_id) FROM feed_entries "
                              "WHERE article_id IS NOT NULL GROUP BY feed_id"))
    out = [_row(store, r) for r in rows]
    for feed in out:
        feed.articles = counts.get(feed.id, 0)
    return out


def get(store: Store, feed_id: int) -> FeedRow | None:
    rows = store.query(f"SELECT {_COLUMNS} FROM feeds WHERE id = ?", (feed_id,))
    return _row(store, rows[0]) if rows else None


def exists(store: Store, feed_id: int) -> bool:
    return bool(store.query("SELECT 1 FROM feeds WHERE id = ?", (feed_id,)))


def create(store: Store, url: str, title: str, *, channel: str | None, keywords: str, added_by: str | None,
           asked_interval: float, limit: int | None, claimed_until: float = 0.0) -> FeedRow:
    """A new feed, claimed by its first check until ``claimed_until`` (see :func:`claim_due`). The same URL
    again: refused while it is followed, restarted once stopped."""
    with store._write() as conn:
        found = conn.execute("SELECT id, state FROM feeds WHERE url = ?", (url,)).fetchone()
        if found and found[1] != "stopped":
            raise FeedError(f"already followed as feed #{found[0]}")
        if found:
            conn.execute("UPDATE feeds SET title = ?, channel = ?, keywords = ?, state = 'ok', failures = 0, "
                         "error = NULL, next_check = ?, asked_interval = ?, polls = 0 WHERE id = ?",
                         (title, channel, keywords, claimed_until, asked_interval, found[0]))
            feed_id = found[0]
        else:
            if limit is not None and conn.execute("SELECT count(*) FROM feeds").fetchone()[0] >= limit:
                raise FeedError(f"this server already follows {limit} feeds, the most it can: remove one first")
            feed_id = conn.execute(
                "INSERT INTO feeds (url, title, channel, keywords, added_by, added_at, asked_interval, next_check) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (url, title, channel, keywords, added_by, now_iso(), asked_interval, claimed_until)).lastrowid
    feed = get(store, feed_id)
    assert feed is not None
    return feed


def remove(store: Store, feed_id: int) -> FeedRow | None:
    """Stop following a feed (its articles stay). None when there is no such feed."""
    feed = next((f for f in feeds(store) if f.id == feed_id), None)
    if feed is None:
        return None
    with store._write() as conn:
        conn.execute("DELETE FROM feed_log WHERE feed_id = ?", (feed_id,))
        conn.execute("DELETE FROM feed_entries WHERE feed_id = ?", (feed_id,))
        conn.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
    return feed


def claim_due(store: Store, now: float, lease: float, *, force: bool = False) -> list[FeedRow]:
    """The feeds due now, claimed: their next check moves ``lease`` seconds on, so another process (a
    cron job beside the bot) or a later pass does not check them meanwhile. The poll sets the real time."""
    with store._write() as conn:
        where = "state != 'stopped'" + ("" if force else " AND next_check <= ?")
        rows = conn.execute(f"SELECT {_COLUMNS} FROM feeds WHERE {where} ORDER BY next_check, id",
                            () if force else (now,)).fetchall()
        conn.executemany("UPDATE feeds SET next_check = ? WHERE id = ?", [(now + lease, r[0]) for r in rows])
    return [_row(store, r) for r in rows]


def release(claims: list[tuple[Store, int]]) -> None:
    """Checks that were interrupted (the bot stopping): due again now, not when their claim runs out."""
    now = time.time()
    for store, feed_id in claims:
        with store._write() as conn:
            conn.execute("UPDATE feeds SET next_check = ? WHERE id = ?", (now, feed_id))


def next_due(store: Store) -> float | None:
    """When the file's earliest feed is due (None: no feed to check)."""
    return store.query("SELECT min(next_check) FROM feeds WHERE state != 'stopped'")[0][0]


def sort_entries(store: Store, feed_id: int, entries: list[Entry]) -> tuple[list[Entry], list[tuple[Entry, int]]]:
    """(entries never seen, entries this feed has not seen but that are already articles here: seen by
    another feed of this file, or added by hand with the same link). Entries this feed has seen are out,
    and so is a repeat of an entry in the same batch (the same item twice in one feed)."""
    fresh: list[Entry] = []
    known: list[tuple[Entry, int]] = []
    batch: set[str] = set()
    with store.connection() as conn:
        for entry in entries:
            if any(k in batch for k in entry.keys):
                continue
            batch.update(entry.keys)
            seen = [conn.execute("SELECT feed_id, article_id FROM feed_entries WHERE entry_key = ?", (k,)).fetchall()
                    for k in entry.keys]
            rows = [r for found in seen for r in found]
            if any(feed == feed_id for feed, _ in rows):
                continue
            article = next((a for _, a in rows if a is not None), None)
            if article is None and entry.link:
                hit = conn.execute("SELECT id FROM articles WHERE url IN (?, ?) ORDER BY id LIMIT 1",
                                   (entry.link, normalise_link(entry.link))).fetchone()
                article = hit[0] if hit else None
            if article is not None:
                known.append((entry, article))
            else:
                fresh.append(entry)
    return fresh, known


def record(store: Store, feed_id: int, keys: list[str], article_id: int | None) -> bool:
    """This feed has seen an entry (and it became ``article_id``, or was skipped: None). False when the
    feed was removed meanwhile."""
    seen_at = now_iso()
    with store._write() as conn:
        if not conn.execute("SELECT 1 FROM feeds WHERE id = ?", (feed_id,)).fetchone():
            return False
        conn.executemany("INSERT OR IGNORE INTO feed_entries (entry_key, feed_id, article_id, seen_at) "
                         "VALUES (?, ?, ?, ?)", [(k, feed_id, article_id, seen_at) for k in keys])
    return True


def record_many(store: Store, feed_id: int, entries: list[Entry], article_id: int | None = None) -> bool:
    seen_at = now_iso()
    with store._write() as conn:
        if not conn.execute("SELECT 1 FROM feeds WHERE id = ?", (feed_id,)).fetchone():
            return False
        conn.executemany("INSERT OR IGNORE INTO feed_entries (entry_key, feed_id, article_id, seen_at) "
                         "VALUES (?, ?, ?, ?)",
                         [(k, feed_id, article_id, seen_at) for e in entries for k in e.keys])
    return True


def log(store: Store, feed_id: int, messages: list[str]) -> None:
    """Why entries were skipped (and errors), the newest :data:`LOG_LINES` kept."""
    if not messages:
        return
    at = now_iso()
    with store._write() as conn:
        if not conn.execute("SELECT 1 FROM feeds WHERE id = ?", (feed_id,)).fetchone():
            return
        conn.executemany("INSERT INTO feed_log (feed_id, at, message) VALUES (?, ?, ?)",
                         [(feed_id, at, m[:500]) for m in messages])
        conn.execute("DELETE FROM feed_log WHERE feed_id = ? AND id NOT IN "
                     "(SELECT id FROM feed_log WHERE feed_id = ? ORDER BY id DESC LIMIT ?)",
                     (feed_id, feed_id, LOG_LINES))


def log_lines(store: Store, feed_id: int) -> list[tuple[str, str]]:
    return store.query("SELECT at, message FROM feed_log WHERE feed_id = ? ORDER BY id", (feed_id,))


def save(store: Store, feed_id: int, **fields) -> bool:
    """Update a feed after a check. False when it was removed meanwhile (nothing is written)."""
    names = ", ".join(f"{name} = ?" for name in fields)
    with store._write() as conn:
        changed = conn.execute(f"UPDATE feeds SET {names} WHERE id = ?", (*fields.values(), feed_id)).rowcount
    return changed > 0
