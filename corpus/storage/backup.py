"""`articlebot backup DEST_DIR`: a copy of the shared file and every guild file, safe while the bot runs.

Each file is copied with SQLite's online backup API (`sqlite3.Connection.backup`, in one step), which reads
one consistent snapshot of the file while writers go on (WAL mode: the copy never blocks the bot, and a write
that lands during the copy is either wholly in it or not at all). The copy keeps the layout, so the folder
is a database `--db` can open as it is:

    DEST_DIR/articlebot.db               the shared file
    DEST_DIR/articlebot.guilds/<id>.db   one file per guild

A guild's articles live in one file, so each guild is consistent; files are copied one after another, so a
guild created after its turn is not in the copy (run it again, or use Litestream for continuous copies).

What can go wrong is said in one line. The destination's failures (it cannot be made or written, the disk
fills up) name the destination and remove everything this backup wrote, so a retry starts clean and no
partial file is left to be read as a database. The backup API copies pages without reading them, so each
copy is checked (`quick_check`): a source file that is damaged, or not an articlebot database at all, is
reported by its own name and left out, and the other files are still copied.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from ..errors import CorpusError, StorageError
from .scopes import Corpus, guild_dir

SIDE_FILES = ("", "-wal", "-shm", "-journal")  # what SQLite may write beside a copy


@dataclass
class BackupResult:
    shared: Optional[Path]  # None when the shared file itself was left out (damaged)
    guild_files: int
    bytes: int
    skipped: int = 0  # source files left out, each reported to on_error


class _SourceFailed(Exception):
    def __init__(self, error: StorageError) -> None:
        self.error = error


def backup(corpus: Corpus, dest_dir: Path, *, on_error: Callable[[CorpusError], None] | None = None) -> BackupResult:
    """Copy every file into `dest_dir`. A source file that cannot be copied as it is (damaged, foreign) is
    reported to `on_error` and left out (without `on_error`, raised); a destination failure removes what
    was written and raises one CorpusError naming the destination."""
    dest_dir = Path(dest_dir)
    shared = dest_dir / corpus.path.name
    _check_destination(corpus, dest_dir, shared)
    made_folder = _make_folder(dest_dir)
    written: list[Path] = []
    result = BackupResult(shared, 0, 0)
    try:
        for scope in corpus.scopes():
            target = shared if scope == "shared" else guild_dir(shared) / f"{scope}.db"
            try:
                copied = _copy(corpus, corpus.file_of_scope(scope), target, written)
            except _SourceFailed as failed:
                if on_error is None:
                    raise failed.error from None
                on_error(failed.error)
                result.skipped += 1
                if scope == "shared":
                    result.shared = None
                continue
            if copied is not None:
                result.bytes += copied
                result.guild_files += scope != "shared"
    except BaseException as exc:
        _remove(written, dest_dir if made_folder else None, guild_dir(shared))
        if isinstance(exc, (sqlite3.Error, OSError)):
            raise CorpusError(f"cannot back up to {dest_dir}: {_why(exc)}; nothing was kept") from None
        raise
    return result


def _check_destination(corpus: Corpus, dest_dir: Path, shared: Path) -> None:
    if not dest_dir.parent.is_dir():
        raise CorpusError(f"cannot back up to {dest_dir}: folder {dest_dir.parent} does not exist")
    if dest_dir.exists() and not dest_dir.is_dir():
        raise CorpusError(f"cannot back up to {dest_dir}: it is a file, not a folder")
    where = dest_dir.resolve()
    if where == corpus.path.parent.resolve():
        raise CorpusError(f"cannot back up into the database's own folder {dest_dir}: choose another one")
    guilds = corpus.guild_dir.resolve()
    if where == guilds or guilds in where.parents:  # the copy would be nested in what it copies
        raise CorpusError(f"cannot back up into {dest_dir}: it is inside the database's guild folder "
                          f"{corpus.guild_dir}; choose a folder outside it")
    if shared.exists() or guild_dir(shared).exists():
        raise CorpusError(f"{dest_dir} already holds a database ({shared.name}): choose an empty folder")
    if dest_dir.exists() and not os.access(dest_dir, os.W_OK | os.X_OK):
        raise CorpusError(f"cannot back up to {dest_dir}: the folder is not writable")


def _make_folder(dest_dir: Path) -> bool:
    """Create the destination; True if this backup made it (and so removes it on failure)."""
    if dest_dir.is_dir():
        return False
    try:
        dest_dir.mkdir()
    except OSError as exc:
        raise CorpusError(f"cannot back up to {dest_dir}: cannot create the folder ({exc.strerror or exc})") from None
    return True


def _copy(corpus: Corpus, source: Path, target: Path, written: list[Path]) -> int | None:
    """Copy one file; None if it is gone (its guild was removed while the backup ran). _SourceFailed when
    the source is not a sound articlebot file; sqlite3.Error or OSError when the destination fails."""
    src = _open_source(corpus, source)
    if src is None:
        return None
    try:
        target.parent.mkdir(exist_ok=True)
        written.append(target)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the copy is one self-contained file
            damaged = dst.execute("PRAGMA quick_check(1)").fetchone()[0] != "ok"
        finally:
            dst.close()
    finally:
        src.close()
    if damaged:  # the pages were copied as they are: the source is damaged
        _remove([target], None, None)
        written.remove(target)
        broken = sqlite3.DatabaseError("database disk image is malformed")
        broken.sqlite_errorcode = sqlite3.SQLITE_CORRUPT
        raise _SourceFailed(corpus.explain(broken, source))
    return target.stat().st_size


def _open_source(corpus: Corpus, source: Path) -> sqlite3.Connection | None:
    """The source, opened and read once (a foreign or unreadable file fails here, by its own name)."""
    try:  # mode=rw: never create a source file that was just deleted
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=30)
    except sqlite3.OperationalError as exc:
        if not source.exists():
            return None
        raise _SourceFailed(corpus.explain(exc, source)) from None
    try:
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        src.close()
        raise _SourceFailed(corpus.explain(exc, source)) from None
    return src


def _why(exc: BaseException) -> str:
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == sqlite3.SQLITE_FULL or getattr(exc, "errno", None) == 28:  # ENOSPC
        return "the disk is full; free some space and try again"
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN) or isinstance(exc, PermissionError):
        return "it cannot be written (check its permissions)"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return f"SQLite error: {exc}"


def _remove(written: list[Path], folder: Path | None, guilds: Path | None) -> None:
    """Delete what a failed backup wrote: its files, the guild folder it made, the folder it made."""
    for target in written:
        for suffix in SIDE_FILES:
            Path(f"{target}{suffix}").unlink(missing_ok=True)
    for made in (guilds, folder):
        if made is not None and made.is_dir():
            try:
                made.rmdir()  # only when empty: never anything this backup did not write
            except OSError:
                pass
