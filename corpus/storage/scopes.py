"""The corpus: the shared database file and one file per guild, beside it.

    articlebot.db               the shared scope: CLI articles and the bundled sample; every guild sees it
    articlebot.guilds/<id>.db   one guild's own articles (created on its first add)

A guild's question reads its own file and the shared one (`corpus.answering.visible`), nothing else: what it costs,
the words it can be corrected to and the weights of its words come from those two files alone. Removing
a guild deletes its file. Open guild files are kept in a small LRU cache, so a guild that is not asked
for a while holds no connection and no memory.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import OrderedDict
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from .. import settings
from ..answering import search
from ..answering.semantic import Semantic
from ..answering.visible import Part, Visible
from ..errors import CorpusError, StorageError
from ..reading.ingest import Document
from . import database, vectors
from .one_file import move_guild_rows_out
from .store import (
    SHARED_SCOPE,
    AddResult,
    ArticleInfo,
    PreparedArticle,
    Store,
    resolve_db_path,
    scope_of,
)

T = TypeVar("T")
OnError = Callable[[CorpusError], None]  # told of a file that is skipped (the message names it)
OPEN_GUILD_FILES = 64  # guild files kept open; the least recently used is closed past this


def guild_dir(shared_path: Path) -> Path:
    """Where the guild files of a database live: `articlebot.db` -> `articlebot.guilds/`."""
    return shared_path.with_name(shared_path.stem + ".guilds")


class Corpus:
    """The article engine: store articles in their scope's file, answer questions from the visible ones."""

    def __init__(self, path: Path, *, created: bool, readonly: bool = False) -> None:
        self.path = path
        self.created = created
        self.readonly = readonly
        self.guild_dir = guild_dir(path)
        self.shared = Store(path, SHARED_SCOPE, readonly=readonly)
        self.semantic = Semantic()
        self._guilds: OrderedDict[str, Store] = OrderedDict()
        self._guilds_lock = threading.Lock()
        self._purging: set[str] = set()  # guilds whose file is being deleted: not to be opened again
        self._opening: dict[str, threading.Lock] = {}  # one opener a guild file at a time

    # -- opening -----------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike | None = None, *, load_samples: bool | None = None,
             readonly: bool = False) -> "Corpus":
        db_path = resolve_db_path(path)
        if load_samples is None:  # read (and checked) before the file is created
            load_samples = settings.load_samples()
        if db_path.exists() and db_path.is_dir():
            raise CorpusError(f"{db_path} is a directory, not a database file")
        if not db_path.parent.exists():
            raise CorpusError(f"cannot create the database: folder {db_path.parent} does not exist")
        created = not db_path.exists() or db_path.stat().st_size == 0
        corpus = cls(db_path, created=created, readonly=readonly)
        try:
            corpus.shared.migrate(before_version_3=lambda shared: move_guild_rows_out(shared, corpus._guild_store))
        except CorpusError:
            corpus.close()
            raise
        except sqlite3.Error as exc:
            corpus.close()
            raise database.explain(exc, db_path) from exc
        if created and load_samples and not readonly:
            from ..samples import load_samples as _load

            _load(corpus)
        return corpus

    def close(self) -> None:
        with self._guilds_lock:
            stores, self._guilds = list(self._guilds.values()), OrderedDict()
        for store in stores + [self.shared]:
            store.close()
        self.semantic.close()

    def __enter__(self) -> "Corpus":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def schema_version(self) -> int:
        return self.shared.schema_version()

    # -- the files ---------------------------------------------------------------------------------
    def guild_path(self, scope: str) -> Path:
        return self.guild_dir / f"{scope}.db"

    def _guild_store(self, scope: str, *, create: bool = False) -> Store | None:
        """The guild's file, opened (and with `create`, made) on demand; None when it has none."""
        with self._guilds_lock:
            store = self._cached(scope)
            if store is not None:
                return store
            if scope in self._purging:
                if create:
                    raise CorpusError("this server's articles are being removed; try again in a moment")
                return None
            if not create and not self.guild_path(scope).exists():
                return None
            opening = self._opening.setdefault(scope, threading.Lock())
        # Opened (and, after an upgrade, migrated) outside the lock every guild shares: a guild whose file
        # takes seconds to migrate holds up its own questions only.
        with opening:
            with self._guilds_lock:
                store = self._cached(scope)
                if store is None and scope in self._purging and create:
                    raise CorpusError("this server's articles are being removed; try again in a moment")
                if store is None and (scope in self._purging
                                      or (not create and not self.guild_path(scope).exists())):
                    return None  # removed while this thread waited: never recreate it
            if store is None:
                store = self._open_guild_file(scope, create)
                with self._guilds_lock:
                    self._guilds[scope] = store
                    while len(self._guilds) > OPEN_GUILD_FILES:
                        _, evicted = self._guilds.popitem(last=False)
                        evicted.close()
        return store

    def _cached(self, scope: str) -> Store | None:
        store = self._guilds.get(scope)
        if store is not None:
            self._guilds.move_to_end(scope)
        return store

    def _open_guild_file(self, scope: str, create: bool) -> Store:
        path = self.guild_path(scope)
        if create:
            self.guild_dir.mkdir(exist_ok=True)
        # Each file decides for itself: a read-only guild file beside a writable shared one is read
        # without creating -wal and -shm files (left read-only, they would break its owner's next write).
        readonly = self.readonly or (path.exists() and not database.writable(path))
        store = Store(path, scope, readonly=readonly)
        try:
            store.migrate()
        except sqlite3.Error as exc:
            raise self.explain(exc, path) from exc
        return store

    def store(self, guild_id=None, *, create: bool = False) -> Store | None:
        """The file of one scope: the shared one for None, else the guild's (None when it has none, unless
        ``create``). What corpus.feeds keeps a scope's feeds in."""
        scope = scope_of(guild_id)
        return self.shared if scope == SHARED_SCOPE else self._guild_store(scope, create=create)

    def explain(self, exc: sqlite3.Error, file: Path | None = None) -> StorageError:
        """SQLite's failure as one line naming the file it came from (`file` when no Store said)."""
        return database.explain(database.blame(exc, file) if file is not None else exc, self.path)

    # -- every file, each on its own -----------------------------------------------------------------
    def scopes(self) -> list[str]:
        """The shared file's scope, then every guild's that has a file."""
        return [SHARED_SCOPE, *self.guild_ids()]

    def store_of_scope(self, scope: str) -> Store | None:
        """A scope's file (None: a guild's that is gone)."""
        return self.shared if scope == SHARED_SCOPE else self._guild_store(scope)

    def file_of_scope(self, scope: str) -> Path:
        return self.path if scope == SHARED_SCOPE else self.guild_path(scope)

    def all_stores(self) -> Iterator[Store]:
        """The shared file, then every guild's (a file that cannot be opened raises: see `each_file`)."""
        for scope in self.scopes():
            store = self.store_of_scope(scope)
            if store is not None:
                yield store

    def each_file(self, work: Callable[[Store], T], on_error: OnError | None = None) -> list[T]:
        """`work(store)` for the shared file and then every guild's. With `on_error`, a file that cannot
        be opened or read is reported to it (a CorpusError naming that file) and skipped, so that one
        damaged or foreign file does not stop every other; without, the first failure is raised."""
        done = []
        for scope in self.scopes():
            try:
                store = self.store_of_scope(scope)
                if store is not None:
                    done.append(work(store))
            except (CorpusError, sqlite3.Error) as exc:
                error = self.explain(exc, self.file_of_scope(scope)) if isinstance(exc, sqlite3.Error) else exc
                if on_error is None:
                    raise error from exc
                on_error(error)
        return done

    def refuse_damaged(self, guild_id=None) -> None:
        """Before a command writes to a scope: its file's damaged-file error, if any page is damaged."""
        scope = scope_of(guild_id)
        store = self.store_of_scope(scope)
        if store is None:
            return
        try:
            store.refuse_damaged()
        except sqlite3.Error as exc:
            raise self.explain(exc) from exc

    def _stores(self, guild_id) -> list[Store]:
        """The files a guild sees, its own first."""
        scope = scope_of(guild_id)
        own = self._guild_store(scope) if scope != SHARED_SCOPE else None
        return [own, self.shared] if own else [self.shared]

    def _store_of(self, article_id: int, guild_id) -> Store | None:
        for store in self._stores(guild_id):
            if store.owns(article_id):
                return store
        return None

    @contextmanager
    def visible(self, guild_id=None, question: str | None = None) -> Iterator[Visible]:
        """What a guild's question can read, with one connection a file for the question's duration (and
        the question's vector, when searching by meaning)."""
        stores = self._stores(guild_id)
        query = self.semantic.question_vector(question) if question and self._has_vectors(stores) else None
        with ExitStack() as stack:
            yield Visible([Part(s, stack.enter_context(s.connection())) for s in stores],
                          query=query, model=lambda: self.semantic.identity,  # known once query is
                          cross_encoder=self.semantic.cross_encoder() if question else None)

    def _has_vectors(self, stores: list[Store]) -> bool:
        if not self.semantic.enabled:
            return False
        for store in stores:
            with store.connection() as conn:
                if vectors.has_schema(conn) and conn.execute("SELECT 1 FROM embeddings LIMIT 1").fetchone():
                    return True
        return False

    def guild_ids(self) -> list[str]:
        """Guilds that have a file of their own."""
        if not self.guild_dir.is_dir():
            return []
        return sorted((p.stem for p in self.guild_dir.glob("*.db") if p.stem.isdigit()), key=int)

    def guild_copies(self, on_error: OnError | None = None) -> dict[str, list[tuple[str, int]]]:
        """Every guild file's articles by content hash: {hash: [(guild id, article id), ...]}. The operator's
        look over every file, for the CLI's shared add to say which guilds already hold an article (their
        answers show its passages once). A guild's add never calls this: it sees its own file and the
        shared one, nothing of another guild's. A file that cannot be read is left out (told to `on_error`):
        it must not stop a shared add."""
        found: dict[str, list[tuple[str, int]]] = {}
        for guild in self.guild_ids():
            store = Store(self.guild_path(guild), guild, readonly=True)
            try:
                for article_id, digest in store.query("SELECT id, content_hash FROM articles ORDER BY id"):
                    found.setdefault(digest, []).append((guild, article_id))
            except sqlite3.Error as exc:
                if on_error is not None:
                    on_error(self.explain(exc, store.path))
            finally:
                store.close()
        return found

    # -- writing -----------------------------------------------------------------------------------
    def add(self, doc: Document | PreparedArticle, *, guild_id: int | str | None = None,
            added_by: str | None = None) -> AddResult:
        """Store an article (or one already prepared, as bulk ingest does on other cores)."""
        return self.add_many([doc], guild_id=guild_id, added_by=added_by)[0]

    def add_many(self, docs: list[Document | PreparedArticle], *, guild_id: int | str | None = None,
                 added_by: str | None = None) -> list[AddResult]:
        """Store articles in order, in one transaction (bulk ingest's batches): the same results as
        adding them one by one, at a fraction of the cost."""
        scope = scope_of(guild_id)
        # outside any lock: analysis is the slow part
        articles = [d if isinstance(d, PreparedArticle) else PreparedArticle.of(d) for d in docs]
        results: list[AddResult | None] = [None] * len(articles)
        if scope != SHARED_SCOPE:
            for i, article in enumerate(articles):
                results[i] = self.shared.find_duplicate(article.digest)  # every guild sees it already
        todo = [i for i, r in enumerate(results) if r is None]
        if todo:
            store = self.shared if scope == SHARED_SCOPE else self._guild_store(scope, create=True)
            for i, result in zip(todo, store.add_many([articles[i] for i in todo], added_by=added_by)):
                results[i] = result
        return results

    def remove(self, article_id: int, *, guild_id: int | str | None = None) -> bool:
        """Remove an article of this scope (a guild cannot remove shared articles). False if none such."""
        scope = scope_of(guild_id)
        store = self.shared if scope == SHARED_SCOPE else self._guild_store(scope)
        return bool(store and store.owns(article_id) and store.remove(article_id))

    def purge_guild(self, guild_id: int | str) -> int:
        """Delete a guild's file (the bot left it); returns how many articles it held. Shared articles stay."""
        scope = scope_of(guild_id)
        if scope == SHARED_SCOPE:
            raise CorpusError("purge_guild needs a guild id")
        from .feedback import forget_guild  # (feedback imports this module)

        forget_guild(self.shared, scope)  # its votes from before it had a file go too
        store = self._guild_store(scope)
        if store is None:
            return 0
        count = store.counts()[0]
        with self._guilds_lock:  # no new question or add finds the file from here on
            self._guilds.pop(scope, None)
            self._purging.add(scope)
        try:
            store.delete_files()  # outside the lock: other guilds' questions do not wait for it
        finally:
            with self._guilds_lock:
                self._purging.discard(scope)
        return count

    # -- reading -----------------------------------------------------------------------------------
    def articles(self, guild_id=None, *, limit: int | None = None, offset: int = 0) -> list[ArticleInfo]:
        """Newest first: the guild's own (numbered above the shared ones), then the shared ones."""
        wanted = -1 if limit is None else offset + limit
        found = [a for s in self._stores(guild_id) for a in s.articles(limit=wanted)]
        return found[offset:] if limit is None else found[offset: offset + limit]

    def article(self, article_id: int, *, guild_id=None) -> ArticleInfo | None:
        store = self._store_of(article_id, guild_id)
        return store.article(article_id) if store else None

    def paragraphs(self, article_id: int, *, guild_id=None) -> list[str]:
        store = self._store_of(article_id, guild_id)
        return store.paragraphs(article_id) if store else []

    def count_articles(self, guild_id=None) -> int:
        return sum(s.counts()[0] for s in self._stores(guild_id))

    def stats(self, guild_id=None) -> dict:
        stores = self._stores(guild_id)
        counts = [s.counts() for s in stores]
        out = {"articles": sum(c[0] for c in counts), "paragraphs": sum(c[1] for c in counts),
               "words": sum(c[2] for c in counts), "db_bytes": sum(s.size_bytes() for s in stores),
               "schema_version": self.schema_version(), "path": str(self.path),
               "vectors": sum(self._vector_count(s) for s in stores), "semantic": self.semantic_status()}
        if scope_of(guild_id) == SHARED_SCOPE:  # the operator's view: how many guild files there are
            guilds = self.guild_ids()
            out["guild_files"] = len(guilds)
            out["guild_bytes"] = sum(Store(self.guild_path(g), g).size_bytes() for g in guilds)
        return out

    @staticmethod
    def _vector_count(store: Store) -> int:
        with store.connection() as conn:
            return vectors.counts(conn)[0]

    def semantic_status(self) -> str:
        return self.semantic.describe()  # without loading the model

    # -- vectors -----------------------------------------------------------------------------------
    def pending_vectors(self, guild_id=None, *, every_file: bool = False,
                        on_error: OnError | None = None) -> list[tuple[Store, int]]:
        """Files with paragraphs that have no vector yet, and how many (`on_error`: see `each_file`)."""
        embedder = self.semantic.embedder()
        if embedder is None:
            return []
        if every_file:
            counted = self.each_file(lambda s: (s, embedder.pending(s)), on_error)
        else:
            counted = [(s, embedder.pending(s)) for s in self._stores(guild_id)[:1]]
        return [(s, n) for s, n in counted if n]

    def embed(self, stores: list[Store], *, progress=None, should_stop=None, on_error: OnError | None = None) -> int:
        """Give every paragraph of these files its vector; returns how many were stored. With `on_error`,
        a file found damaged (checked before it is written) is reported and skipped."""
        embedder = self.semantic.embedder()
        if embedder is None:
            return 0
        done = 0
        for store in stores:
            try:
                if on_error is not None:
                    store.refuse_damaged()
                done += embedder.fill(store, progress=progress, should_stop=should_stop)
            except sqlite3.Error as exc:
                if on_error is None:
                    raise
                on_error(self.explain(exc, store.path))
        return done

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

    def ask(self, question: str, *, guild_id=None, limit: int = 5, offset: int = 0,
            article_id: int | None = None) -> search.Answer:
        question = search.check_question(question)
        with self.visible(guild_id, question) as visible:
            return search.answer(visible, question, limit=limit, offset=offset, article_id=article_id)

    def read(self, question: str, *, guild_id=None) -> search.Reading:
        """How the search reads a question and scores its candidates (for benchmarks and tests)."""
        question = search.check_question(question)
        with self.visible(guild_id, question) as visible:
            return search.read_and_score(visible, question)

    def context(self, article_id: int, paragraph: int, *, guild_id=None, radius: int = 1) -> list[search.Passage]:
        with self.visible(guild_id) as visible:
            return search.context(visible, article_id, paragraph, radius)


def open_corpus(path=None, **kwargs) -> Corpus:
    return Corpus.open(path, **kwargs)
