"""`articlebot backup DEST_DIR` when it cannot do what it was asked (issue 20, part 3): one line naming the
destination, nothing half-written left behind, a damaged source reported while the rest is copied, and
no backup into the database's own guild folder."""

from __future__ import annotations

import sqlite3

import pytest

from corpus import Corpus, cli
from test_cli_errors import damage, one_error_line, read_only, run  # noqa: F401  (read_only: a fixture)
from test_operator_files import GUILD, OTHER, make_db


def test_a_destination_that_cannot_be_created_is_named(tmp_path, read_only):
    db = make_db(tmp_path)
    parent = tmp_path / "locked"
    parent.mkdir()
    read_only(parent, 0o555)
    line = one_error_line(run("backup", str(parent / "copy"), db=db, as_user=True))
    assert line.startswith(f"error: cannot back up to {parent / 'copy'}: "), line
    assert "Permission denied" in line or "not writable" in line, line


def test_a_destination_nowhere_is_one_line(tmp_path):
    db = make_db(tmp_path)
    line = one_error_line(run("backup", "/proc/nope", db=db))
    assert line.startswith("error: cannot back up to /proc/nope: "), line


def test_an_unwritable_destination_folder_is_blamed_not_the_source(tmp_path, read_only):
    db = make_db(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    read_only(dest, 0o555)
    line = one_error_line(run("backup", str(dest), db=db, as_user=True))
    assert line.startswith(f"error: cannot back up to {dest}: "), line
    assert str(db) not in line.split(":", 2)[2]


def test_a_failed_backup_removes_what_it_wrote_so_a_retry_works(tmp_path, monkeypatch, capsys):
    db = make_db(tmp_path)
    dest = tmp_path / "copy"
    real_connect = sqlite3.connect

    def small_disk_under_dest(path, *args, **kwargs):
        conn = real_connect(path, *args, **kwargs)
        if str(path).startswith(str(dest)):  # SQLite's own page limit: SQLITE_FULL, as on a full disk
            conn.execute("PRAGMA max_page_count = 3")
        return conn

    with monkeypatch.context() as m:
        m.setattr(sqlite3, "connect", small_disk_under_dest)
        assert cli.main(["--db", str(db), "backup", str(dest)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: cannot back up to {dest}: the disk is full"), err
    assert not dest.exists()  # the folder it made, with what it wrote into it
    assert cli.main(["--db", str(db), "backup", str(dest)]) == 0
    with Corpus.open(dest / "c.db") as copy:
        assert copy.count_articles() == 2 and copy.count_articles(GUILD) == 3


def test_a_damaged_guild_file_is_reported_and_the_rest_copied(tmp_path):
    db = make_db(tmp_path)
    damage(tmp_path / "c.guilds" / f"{OTHER}.db")
    out = run("backup", "copy", db="c.db", cwd=tmp_path)
    assert out.returncode == 1
    (line,) = out.stderr.splitlines()
    assert line.startswith(f"error: c.guilds/{OTHER}.db is damaged") and "not backed up" in line, line
    assert out.stdout.startswith("backed up copy/c.db and 1 guild file (")
    with Corpus.open(tmp_path / "copy" / "c.db") as copy:
        assert copy.count_articles(GUILD) == 3
        assert copy.guild_ids() == [str(GUILD)]


@pytest.mark.parametrize("inside", ["c.guilds", "c.guilds/nested"])
def test_a_destination_inside_the_guild_folder_is_refused(tmp_path, inside):
    make_db(tmp_path)
    before = sorted(p.name for p in (tmp_path / "c.guilds").iterdir())
    line = one_error_line(run("backup", inside, db="c.db", cwd=tmp_path))
    assert line.startswith(f"error: cannot back up into {inside}: it is inside the database's guild folder c.guilds")
    assert sorted(p.name for p in (tmp_path / "c.guilds").iterdir()) == before


def test_an_unreadable_guild_file_is_named_and_the_rest_copied(tmp_path, read_only):
    db = make_db(tmp_path)
    unreadable = tmp_path / "c.guilds" / f"{OTHER}.db"
    read_only(unreadable, 0o000)
    out = run("backup", str(tmp_path / "copy"), db=db, as_user=True)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    (line,) = out.stderr.splitlines()
    assert line.startswith(f"error: cannot open {unreadable}") and "not backed up" in line, line
    assert " and 1 guild file (" in out.stdout
