"""Operators are told the truth about their files (issue 20, parts 1 and 2).

A database is a shared file and a file per guild beside it (`c.guilds/<id>.db`). Every message names the
file that failed, with what to do about that file; each file is checked and opened read-only on its own;
one damaged or foreign guild file is skipped with one line naming it while every other file is served.
Everything runs the real command on real SQLite files.
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from conftest import FIXTURES
from corpus import Corpus
from corpus.reading.ingest import document_from_path
from corpus.storage import feedback
from test_cli_errors import damage, one_error_line, read_only, run  # noqa: F401  (read_only: a fixture)

GUILD, OTHER, FOREIGN = 111, 222, 333


def make_db(folder, *, guilds=(GUILD, OTHER)):
    """c.db with the sample, and two guild files of one article each."""
    db = folder / "c.db"
    with Corpus.open(db) as c:
        c.add(document_from_path(FIXTURES / "bbc-tech-221.txt"))
        for guild, name in zip(guilds, ("bbc-business-001.txt", "bbc-sport-005.txt")):
            c.add(document_from_path(FIXTURES / name), guild_id=guild)
    return db


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def foreign_file(db, guild=FOREIGN):
    """5 KB of random bytes where a guild's file would be."""
    path = db.with_name("c.guilds") / f"{guild}.db"
    path.write_bytes(os.urandom(5000))
    return path


# -- 1. messages name the file that failed ----------------------------------------------------------

def test_a_damaged_guild_file_is_named_and_the_shared_file_is_not_blamed(tmp_path):
    make_db(tmp_path)
    damage(tmp_path / "c.guilds" / f"{GUILD}.db")
    line = one_error_line(run("ask", "growth", "--guild", str(GUILD), db="c.db", cwd=tmp_path))
    assert line.startswith(f"error: c.guilds/{GUILD}.db is damaged: restore that file from a backup"), line
    assert 'run "articlebot --db c.db check"' in line
    # Another guild and the shared file are served as before.
    assert run("ask", "growth", "--guild", str(OTHER), db="c.db", cwd=tmp_path).returncode == 0
    assert run("list", db="c.db", cwd=tmp_path).returncode == 0


def test_a_read_only_guild_file_is_named_when_a_write_is_refused(tmp_path, read_only):
    db = make_db(tmp_path)
    guild_file = tmp_path / "c.guilds" / f"{GUILD}.db"
    read_only(guild_file, 0o444)
    out = run("ingest", str(FIXTURES / "bbc-sport-424.txt"), "--guild", str(GUILD), db=db, as_user=True)
    line = one_error_line(out)
    assert line.startswith(f"error: {guild_file} is read-only"), line


# -- 2. damaged and read-only files -----------------------------------------------------------------

@pytest.mark.parametrize("command", [("ingest", str(FIXTURES / "bbc-sport-424.txt")), ("remove", "2")])
def test_a_damaged_shared_file_refuses_writes(tmp_path, command):
    db = make_db(tmp_path)
    damage(db)
    before = digest(db)
    line = one_error_line(run(*command, db="c.db", cwd=tmp_path))
    assert line == 'error: c.db is damaged: restore a backup or run "articlebot --db c.db check"'
    assert digest(db) == before and not (tmp_path / "c.db-wal").exists()


def test_a_read_only_guild_file_is_read_read_only_and_stays_sound(tmp_path, read_only):
    db = make_db(tmp_path)
    folder = tmp_path / "c.guilds"
    guild_file = folder / f"{GUILD}.db"
    read_only(guild_file, 0o444)
    asked = run("ask", "growth", "--guild", str(GUILD), db=db, as_user=True)
    assert asked.returncode == 0, asked.stderr
    assert sorted(p.name for p in folder.iterdir()) == [f"{GUILD}.db", f"{OTHER}.db"]  # no -wal, no -shm
    check = run("check", db=db, as_user=True)
    assert check.returncode == 0, check.stdout
    assert check.stdout.splitlines() == [
        f"{db} and 2 guild files: ok (SQLite integrity and full-text index checked); read-only: {guild_file}"]
    guild_file.chmod(0o644)  # the owner makes it writable: it is written, and still sound
    added = run("ingest", str(FIXTURES / "bbc-sport-424.txt"), "--guild", str(GUILD), db=db, as_user=True)
    assert added.returncode == 0 and added.stdout.startswith("added #1000002"), added.stderr
    check = run("check", db=db, as_user=True)
    assert check.returncode == 0 and "ok" in check.stdout and "read-only" not in check.stdout, check.stdout


def test_feedback_skips_a_foreign_guild_file_with_one_line_and_serves_the_others(tmp_path):
    db = make_db(tmp_path)
    with Corpus.open(db) as c:
        for guild in (GUILD, OTHER):
            feedback.record(c, guild, f"question in {guild}", [feedback.Shown(1000001, 1, "T")], "up")
    foreign = foreign_file(db)
    out = run("feedback", "--json", db="c.db", cwd=tmp_path)
    assert out.returncode == 1
    assert sorted(json.loads(line)["guild"] for line in out.stdout.splitlines()) == [str(GUILD), str(OTHER)]
    (line,) = out.stderr.splitlines()
    assert line.startswith(f"error: c.guilds/{foreign.name} is not an articlebot database") and "skipped" in line


def test_embed_skips_a_damaged_guild_file_with_one_line_and_embeds_the_others(tmp_path, monkeypatch):
    db = make_db(tmp_path)
    damage(tmp_path / "c.guilds" / f"{OTHER}.db")
    foreign_file(db)
    out = run("embed", db="c.db", cwd=tmp_path, env_extra={"ARTICLEBOT_SEMANTIC": "1"}, timeout=600)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    skipped = [line for line in out.stderr.splitlines() if "skipped" in line]
    assert len(skipped) == 2, out.stderr
    assert any(f"c.guilds/{OTHER}.db is damaged" in line for line in skipped)
    assert any(f"c.guilds/{FOREIGN}.db is not an articlebot database" in line for line in skipped)
    monkeypatch.setenv("ARTICLEBOT_SEMANTIC", "1")
    with Corpus.open(db) as c:
        stats = c.stats(GUILD)
        assert stats["vectors"] == stats["paragraphs"] > 0  # the guild's file and the shared one


def test_a_shared_add_is_not_stopped_by_a_foreign_guild_file(tmp_path):
    db = make_db(tmp_path)
    foreign = foreign_file(db)
    out = run("ingest", str(FIXTURES / "bbc-sport-424.txt"), db="c.db", cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.startswith('added #3 "Roddick into San Jose final"'), out.stderr
    (line,) = out.stderr.splitlines()
    assert line.startswith(f"note: c.guilds/{foreign.name} is not an articlebot database"), line
