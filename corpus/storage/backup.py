"""`articlebot backup DEST_DIR`: a copy of the shared file and every guild file, safe while the bot runs.

Each file is copied with SQLite's online backup API (`sqlite3.Connection.backup`, in one step), which reads
one consistent snapshot of the file while writers go on (WAL mode: the copy never blocks the bot, and a write
that lands during the copy is either wholly in it or not at all). The copy keeps the layout, so the folder
is a database `--db` can open as it is:

    DEST_DIR/articlebot.db               the shared file
    DEST_DIR/articlebot.guilds/<id>.db   one file per guild

A guild's articles live in one file, so each guild is consistent; files are copied one after another, so a
guild created after its turn is not in the copy (run it again, or use Litestream for continuous copies).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorpusError
from .scopes import Corpus, guild_dir


@dataclass
class BackupResult:
    shared: Path
    guild_files: int
    bytes: int


def backup(corpus: Corpus, dest_dir: Path) -> BackupResult:
    dest_dir = Path(dest_dir)
    shared = dest_dir / corpus.path.name
    _check_destination(corpus, dest_dir, shared)
    total = _copy(corpus.path, shared)
    guilds = 0
    for guild in corpus.guild_ids():
        copied = _copy(corpus.guild_path(guild), guild_dir(shared) / f"{guild}.db")
        if copied is not None:
            guilds += 1
            total += copied
    return BackupResult(shared, guilds, total)


def _check_destination(corpus: Corpus, dest_dir: Path, shared: Path) -> None:
    if not dest_dir.parent.is_dir():
        raise CorpusError(f"cannot back up to {dest_dir}: folder {dest_dir.parent} does not exist")
    if dest_dir.exists() and not dest_dir.is_dir():
        raise CorpusError(f"cannot back up to {dest_dir}: it is a file, not a folder")
    if dest_dir.resolve() == corpus.path.parent.resolve():
        raise CorpusError(f"cannot back up into the database's own folder {dest_dir}: choose another one")
    if shared.exists() or guild_dir(shared).exists():
        raise CorpusError(f"{dest_dir} already holds a database ({shared.name}): choose an empty folder")


def _copy(source: Path, target: Path) -> int | None:
    """Copy one file; None if it is gone (its guild was removed while the backup ran)."""
    try:  # mode=rw: never create a source file that was just deleted
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=30)
    except sqlite3.OperationalError:
        if not source.exists():
            return None
        raise
    target.parent.mkdir(parents=True, exist_ok=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the copy is one self-contained file
    except sqlite3.Error as exc:
        raise CorpusError(f"backup of {source} failed: {exc}") from exc
    finally:
        dst.close()
        src.close()
    return target.stat().st_size
