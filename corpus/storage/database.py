"""Opening an SQLite file, read-write or read-only, and SQLite's failures as one-line CorpusErrors.

Small functions without state: `store.Corpus` connects through `connect`, the command line checks a
path with `check_access` before opening it and turns any `sqlite3.Error` into a message with `explain`.
`check` is `articlebot check`: SQLite's and FTS5's own integrity checks, one line per problem.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import tempfile
from pathlib import Path
from urllib.parse import quote

from ..errors import CorpusError, DiskFullError, StorageError
from ..reading.text import index_text_of_terms

DEFAULT_NAME = "articlebot.db"


def connect(path: str | os.PathLike, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection for one thread: WAL and NORMAL sync when writing; nothing created when read-only."""
    if readonly:
        conn = sqlite3.connect(_readonly_uri(Path(path)), uri=True, isolation_level=None,
                               check_same_thread=False, timeout=30)
        conn.execute("PRAGMA query_only = 1")
    else:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA foreign_keys = ON")
    add_functions(conn)
    return conn


def add_functions(conn: sqlite3.Connection) -> None:
    """What the schema calls: the full-text index reads each paragraph's stored terms through
    `articlebot_terms` (to index them, and to remove them when the paragraph is deleted)."""
    conn.create_function("articlebot_terms", 1, index_text_of_terms, deterministic=True)


def _readonly_uri(path: Path) -> str:
    # A read-only connection to a WAL database needs the -wal and -shm files. When a writer has them
    # open, share them (mode=ro sees its commits). When there are none, do not create them: SQLite would
    # give them the database file's mode and owner as seen by this user, and a read-only -shm left behind
    # makes the next writer fail. The file alone is then the whole database: read it as immutable (a
    # writer that starts meanwhile, as another user, is not seen, and a checkpoint it runs during this
    # read could make the read fail as "damaged"; the file is not changed by it either way).
    uri = "file:" + quote(str(path.absolute())) + "?mode=ro"
    return uri if Path(f"{path}-wal").exists() else uri + "&immutable=1"


def writable(path: Path) -> bool:
    """SQLite can write this file: the file and its folder (for the -wal and -shm files)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def check_access(path: Path, *, must_exist: bool, writes: bool) -> bool:
    """Refuse a path a command cannot use, in one line. True if it must be opened read-only."""
    if path.is_dir():
        raise CorpusError(f"{path} is a directory, not a database file")
    if not path.exists():
        if must_exist:
            raise CorpusError(f"{path} does not exist: check the path (a new database is made by "
                              f"`articlebot --db {shlex.quote(str(path))} ingest PATH_OR_URL`)")
        if not path.parent.exists():
            raise CorpusError(f"cannot create the database: folder {path.parent} does not exist")
        if not os.access(path.parent, os.W_OK):
            raise CorpusError(f"cannot create {path}: folder {path.parent} is read-only")
        return False
    if not os.access(path, os.R_OK):
        raise CorpusError(f"cannot read {path}: permission denied")
    if writable(path):
        return False
    if writes:
        raise readonly_error(path)
    return True


def readonly_error(path: Path) -> StorageError:
    return StorageError(f"{path} is read-only: {_why_readonly(path)}; make it writable to change it")


def _why_readonly(path: Path) -> str:
    if not os.access(path, os.W_OK):
        return "the file is not writable"
    return f"its folder {path.parent} is not writable (SQLite keeps {path.name}-wal beside it)"


def check_hint(path: str | os.PathLike) -> str:
    """The command that checks this file, as the user would type it."""
    if Path(path) == Path(DEFAULT_NAME) and not os.environ.get("ARTICLEBOT_DB"):
        return "articlebot check"
    return f"articlebot --db {shlex.quote(str(path))} check"


def blame(exc: sqlite3.Error, path: str | os.PathLike) -> sqlite3.Error:
    """Record on a failure which file it came from (the first to record wins: the innermost file), so that
    the message names a guild's file and not the shared one it was reached through."""
    if getattr(exc, "articlebot_file", None) is None:
        exc.articlebot_file = Path(path)
    return exc


def failed_file(exc: BaseException) -> Path | None:
    """The file a failure came from, when a Store recorded it (see `blame`)."""
    return getattr(exc, "articlebot_file", None)


def explain(exc: sqlite3.Error, db: str | os.PathLike) -> StorageError:
    """One line saying which file went wrong (the one that failed, else `db`) and what to do about that
    file; `db` is the shared file, the one `articlebot check` is given. Full disk is a DiskFullError."""
    file = failed_file(exc) or Path(db)
    own = file != Path(db)  # a guild's file: restoring the shared one would not help and would lose its adds
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF  # the primary result code
    if code == sqlite3.SQLITE_FULL:
        return DiskFullError(f"the disk is full: cannot write {file}; free some space and try again")
    if code == sqlite3.SQLITE_CORRUPT:
        restore = "restore that file from a backup" if own else "restore a backup"
        return StorageError(f'{file} is damaged: {restore} or run "{check_hint(db)}"')
    if code == sqlite3.SQLITE_NOTADB:
        return StorageError(f"{file} is not an articlebot database, or its first page is damaged: "
                            f"check the path, or restore {'that file from ' if own else ''}a backup")
    if code == sqlite3.SQLITE_READONLY:
        return StorageError(f"{file} is read-only: make the file and its folder writable to change it")
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StorageError(f"{file} is busy: another process holds a long write; try again")
    if code == sqlite3.SQLITE_IOERR:
        return StorageError(f"cannot read or write {file}: disk I/O error ({exc})")
    if code == sqlite3.SQLITE_CANTOPEN:
        return StorageError(f"cannot open {file}: check that it and its folder exist and are readable")
    return StorageError(f"{file}: SQLite error: {exc}")


def refuse_damaged(conn: sqlite3.Connection, path: str | os.PathLike) -> None:
    """Raise the file's damaged-file failure before a write: SQLite writes into a damaged file as long as
    the write does not touch a damaged page, and the damage then spreads. `quick_check` reads every page
    (about 0.15 s for all of BBC words-only) and is only run before a command writes."""
    try:
        row = conn.execute("PRAGMA quick_check(1)").fetchone()
    except sqlite3.Error as exc:
        raise blame(exc, path)
    if row[0] != "ok":
        damaged = sqlite3.DatabaseError(f"database disk image is malformed ({row[0]})")
        damaged.sqlite_errorcode = sqlite3.SQLITE_CORRUPT
        raise blame(damaged, path)


# -- articlebot check ------------------------------------------------------------------------------

def check(path: Path) -> list[str]:
    """Problems SQLite and FTS5 find in the file, one line each; [] when it is sound."""
    readonly = not writable(path)
    try:
        conn = connect(path, readonly=readonly)
        try:
            if readonly:  # FTS5's check is an INSERT command: run it on a private copy
                return _check_copy(conn)
            return _problems(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [_unreadable(exc)]


def _unreadable(exc: sqlite3.Error) -> str:
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == sqlite3.SQLITE_CORRUPT:
        return f"damaged ({exc}): restore a backup"
    if code == sqlite3.SQLITE_NOTADB:
        return "not an SQLite database, or its first page is damaged: check the path, or restore a backup"
    return f"cannot be checked: {exc}"


def _check_copy(conn: sqlite3.Connection) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="articlebot-check-") as tmp:
        copy = sqlite3.connect(Path(tmp) / "copy.db", isolation_level=None)
        add_functions(copy)
        try:
            conn.backup(copy)
            return _problems(copy)
        finally:
            copy.close()


def _problems(conn: sqlite3.Connection) -> list[str]:
    problems = [f"integrity: {row[0]}" for row in conn.execute("PRAGMA integrity_check") if row[0] != "ok"]
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'paragraphs_fts'").fetchone():
        return problems + ["not an articlebot database: it has no full-text index (paragraphs_fts)"]
    try:  # rank 1: compare the index with the paragraphs it indexes too
        conn.execute("INSERT INTO paragraphs_fts(paragraphs_fts, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError as exc:
        problems.append(f"the full-text index does not match the paragraphs ({exc})")
    orphans = conn.execute(
        "SELECT count(*) FROM paragraphs WHERE article_id NOT IN (SELECT id FROM articles)").fetchone()[0]
    if orphans:
        problems.append(f"paragraphs that belong to no article: {orphans}")
    miscounted = conn.execute(
        "SELECT count(*) FROM (SELECT a.id FROM articles a LEFT JOIN paragraphs p ON p.article_id = a.id "
        "GROUP BY a.id HAVING a.paragraph_count != count(p.id))").fetchone()[0]
    if miscounted:
        problems.append(f"articles whose paragraph count is wrong: {miscounted}")
    return problems
