"""Who speaks, read again in a file stored by an older attribution: "(X speaking)" labels follow the code.

corpus.reading.speakers.ATTRIBUTION numbers the attribution rules; each file records in its meta table
the number its speakers were stored with. Opening a writable file stored by older rules re-attributes
every article once, in one transaction, and updates the full-text index's speaker column for the
paragraphs whose speakers changed (the paragraphs' text, words and vectors stay as they are). All BBC
(2,225 articles) takes a few seconds; a read-only file keeps its labels until it is opened writable.
"""

from __future__ import annotations

import sqlite3

from ..reading.speakers import ATTRIBUTION, attribute
from ..reading.text import index_text
from .schema import speaker_names, speakers_json

KEY = "attribution"

_DELETE_ENTRY = ("INSERT INTO paragraphs_fts(paragraphs_fts, rowid, text, title, speaker, scope) "
                 "SELECT 'delete', p.id, articlebot_terms(p.terms), a.title_index, p.speaker_index, a.scope "
                 "FROM paragraphs p JOIN articles a ON a.id = p.article_id WHERE p.id = ?")
_INSERT_ENTRY = ("INSERT INTO paragraphs_fts(rowid, text, title, speaker, scope) "
                 "SELECT p.id, articlebot_terms(p.terms), a.title_index, p.speaker_index, a.scope "
                 "FROM paragraphs p JOIN articles a ON a.id = p.article_id WHERE p.id = ?")


def stored_attribution(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (KEY,)).fetchone()
    return int(row[0]) if row else 0


def refresh(conn: sqlite3.Connection) -> int:
    """Re-attribute every article of the file (inside the caller's write transaction); returns how many
    paragraphs' speakers changed."""
    changed = 0
    for article_id, language in conn.execute("SELECT id, language FROM articles ORDER BY id").fetchall():
        rows = conn.execute("SELECT id, text, speakers FROM paragraphs WHERE article_id = ? ORDER BY position",
                            (article_id,)).fetchall()
        for (pid, _, old), speakers in zip(rows, attribute([text for _, text, _ in rows])):
            new = speakers_json(speakers)
            if new == old:
                continue
            conn.execute(_DELETE_ENTRY, (pid,))
            conn.execute("UPDATE paragraphs SET speakers = ?, speaker_index = ? WHERE id = ?",
                         (new, index_text(speaker_names(speakers), language), pid))
            conn.execute(_INSERT_ENTRY, (pid,))
            changed += 1
    if changed:  # caches of the vocabulary and of candidates key on the generation
        conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (KEY, str(ATTRIBUTION)))
    return changed
