"""Upgrading a database of schema 2, which held every scope in one file, to a file per guild.

Each guild's articles are copied out of the shared file into the guild's own (renumbered from
GUILD_ID_BASE + 1, speakers and stems as stored), then deleted from the shared file. Safe to run again
after a crash: an article already in the guild's file is recognised by its content hash.
"""

from __future__ import annotations

from typing import Callable

from ..reading.ingest import Document
from .store import SHARED_SCOPE, PreparedArticle, Store, delete_articles, scope_of

GuildStore = Callable[..., Store]  # Corpus._guild_store: (scope, create=True) -> the guild's file


def move_guild_rows_out(shared: Store, guild_store: GuildStore) -> None:
    with shared.connection() as conn:
        scopes = [r[0] for r in conn.execute("SELECT DISTINCT scope FROM articles WHERE scope != ?", (SHARED_SCOPE,))]
        for scope in scopes:
            store = guild_store(scope_of(scope), create=True)
            ids = [r[0] for r in conn.execute("SELECT id FROM articles WHERE scope = ? ORDER BY id", (scope,))]
            for article_id in ids:
                _copy_article(conn, article_id, store)
    if scopes:
        with shared._write() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM articles WHERE scope != ?", (SHARED_SCOPE,))]
            delete_articles(conn, ids)


def _copy_article(source, article_id: int, store: Store) -> None:
    article = source.execute("SELECT title, url, author, published, added_by, added_at, content_hash "
                             "FROM articles WHERE id = ?", (article_id,)).fetchone()
    if store.find_duplicate(article[6]):
        return
    texts = [r[0] for r in source.execute("SELECT text FROM paragraphs WHERE article_id = ? ORDER BY position",
                                          (article_id,))]
    # Prepared again, as an add would: the guild's file indexes words as this version does.
    prepared = PreparedArticle.of(Document(title=article[0], paragraphs=texts, url=article[1], author=article[2],
                                           published=article[3]))
    prepared.digest = article[6]
    with store._write() as conn:
        prepared.insert(conn, store.next_id(conn), store.scope, article[4], article[5])
