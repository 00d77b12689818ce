"""The command line when the database or the sources are not what they should be (issue 11, part 6).

Read-only, damaged and full databases, mistyped paths, hostile file names, FIFOs and links in a folder:
each is one line naming the file and what to do, never a traceback, and reads work where they can.
Everything runs the real command on real SQLite files.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest
from conftest import FIXTURES
from test_reliability import check_database

from corpus import Corpus, cli
from corpus.reading.ingest import document_from_path
from corpus.reading.text import pack_terms

FOUR_ARTICLES = ["bbc-business-001.txt", "bbc-sport-005.txt", "bbc-tech-221.txt", "bbc-politics-400.txt"]
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2


def _drop_root_override() -> None:
    """Run in the child before exec. Root writes through file modes (CAP_DAC_OVERRIDE); an ordinary
    user cannot, so without this power a root-run test sees what a user sees with a read-only file."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run(*args, db=None, cwd=None, env_extra=None, as_user=False, timeout=120):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTICLEBOT_") or k == "ARTICLEBOT_SEMANTIC"}
    env.update(env_extra or {})
    cmd = [sys.executable, "-m", "corpus"] + (["--db", str(db)] if db else []) + list(args)
    preexec = _drop_root_override if as_user and os.geteuid() == 0 else None
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout,
                          preexec_fn=preexec)


def one_error_line(out) -> str:
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


def make_db(path, names=FOUR_ARTICLES):
    with Corpus.open(path) as c:  # with the bundled sample: article #1
        for name in names:
            c.add(document_from_path(FIXTURES / name))
    return path


# -- read-only -------------------------------------------------------------------------------------

@pytest.fixture
def read_only(tmp_path):
    """Make a file or a folder read-only for the child process; writable again afterwards."""
    made = []

    def make(path, mode):
        if os.geteuid() == 0:
            probe = tmp_path / "probe"
            probe.write_text("x")
            probe.chmod(0o444)
            try:
                check = subprocess.run([sys.executable, "-c", f"open({str(probe)!r}, 'a')"],
                                       capture_output=True, preexec_fn=_drop_root_override)
            except OSError:
                check = None
            if check is None or check.returncode == 0:
                pytest.skip("running as root and cannot drop root's power to write read-only files")
        made.append((path, path.stat().st_mode))
        path.chmod(mode)

    yield make
    for path, mode in made:
        path.chmod(mode)


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_database_answers_and_refuses_writes_in_one_line(tmp_path, read_only, what):
    folder = tmp_path / "data"
    folder.mkdir()
    db = make_db(folder / "articles.db")
    read_only(db if what == "file" else folder, 0o444 if what == "file" else 0o555)
    files_before = sorted(p.name for p in folder.iterdir())

    ask = run("ask", "what did Kolokoltsev say about Interpol", "--json", db=db, as_user=True)
    assert ask.returncode == 0, ask.stderr
    assert '"answered": true' in ask.stdout and "The Russian minister complained" in ask.stdout
    listed = run("list", db=db, as_user=True)
    assert listed.returncode == 0 and "#1 Chinese and Russian police chiefs" in listed.stdout
    assert run("stats", db=db, as_user=True).stdout.startswith("5 articles, ")
    check = run("check", db=db, as_user=True)  # FTS5's check is a write: it runs on a private copy
    assert check.returncode == 0
    assert check.stdout == f"{db}: ok (SQLite integrity and full-text index checked); read-only: {db}\n"

    why = "the file is not writable" if what == "file" else f"its folder {folder} is not writable"
    for command in (("ingest", str(FIXTURES / "bbc-sport-424.txt")), ("remove", "2")):
        line = one_error_line(run(*command, db=db, as_user=True))
        assert line.startswith(f"error: {db} is read-only: {why}"), line
    # reading created no -wal or -shm file: left read-only, they would break the next writer
    assert sorted(p.name for p in folder.iterdir()) == files_before


def test_a_read_only_file_can_be_written_again_once_made_writable(tmp_path, read_only):
    db = make_db(tmp_path / "articles.db")
    read_only(db, 0o444)
    assert run("ask", "interpol", db=db, as_user=True).returncode == 0
    db.chmod(0o644)
    out = run("ingest", str(FIXTURES / "bbc-sport-424.txt"), db=db, as_user=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith('added #6 "Roddick into San Jose final"')


def test_a_read_only_database_of_an_older_version_says_how_to_upgrade(tmp_path, read_only):
    from corpus.storage.store import MIGRATIONS

    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    MIGRATIONS[1](conn)
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    read_only(db, 0o444)
    assert one_error_line(run("list", db=db, as_user=True)) == (
        f"error: {db} needs an upgrade (schema version 1), but it is read-only: "
        f"make it writable and run any articlebot command once")


# -- damaged ---------------------------------------------------------------------------------------

def damage(path) -> None:
    """Garbage over every page but the first: the file still opens, its tables cannot be read."""
    page = 4096
    size = path.stat().st_size
    assert size > 4 * page
    with open(path, "r+b") as f:
        f.seek(page)
        f.write(b"\xde\xad\xbe\xef" * ((size - page) // 4))


def test_a_damaged_database_is_one_line_for_every_command(tmp_path):
    make_db(tmp_path / "articles.db")
    damage(tmp_path / "articles.db")
    expected = 'error: articles.db is damaged: restore a backup or run "articlebot --db articles.db check"'
    for command in (("stats",), ("list",), ("ask", "interpol"), ("remove", "2"),
                    ("ingest", str(FIXTURES / "bbc-sport-424.txt"))):
        assert one_error_line(run(*command, db="articles.db", cwd=tmp_path)) == expected, command
    check = run("check", db="articles.db", cwd=tmp_path)
    assert check.returncode == 1 and "Traceback" not in check.stdout + check.stderr
    assert check.stdout.splitlines() and all(line.startswith("articles.db: ") for line in check.stdout.splitlines())


def test_check_passes_a_sound_database_and_names_each_problem(tmp_path):
    db = make_db(tmp_path / "articles.db")
    out = run("check", db=db)
    assert out.returncode == 0 and out.stdout == f"{db}: ok (SQLite integrity and full-text index checked)\n"
    conn = sqlite3.connect(db)  # edits behind the engine's back: the index and the counts go stale
    conn.execute("UPDATE paragraphs SET terms = ? WHERE id = 3", (pack_terms("nothing like the indexed words"),))
    conn.execute("UPDATE articles SET paragraph_count = 99 WHERE id = 2")
    conn.commit()
    conn.close()
    out = run("check", db=db)
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{db}: the full-text index does not match the paragraphs")
    assert lines[1] == f"{db}: articles whose paragraph count is wrong: 1"


# -- full disk -------------------------------------------------------------------------------------

def test_a_full_disk_fails_each_remaining_source_with_one_line(tmp_path, monkeypatch, capsys):
    db = make_db(tmp_path / "articles.db", names=[])
    folder = tmp_path / "articles"
    folder.mkdir()
    names = sorted(p.name for p in FIXTURES.glob("bbc-*.txt"))
    for name in names:
        shutil.copy(FIXTURES / name, folder / name)
    real_connect = sqlite3.connect

    def connect_to_a_small_disk(path, *args, **kwargs):
        # SQLite's own limit on the file's pages: writes past it fail with SQLITE_FULL, as on a full disk
        conn = real_connect(path, *args, **kwargs)
        if str(path) == str(db):
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages + 4}")
        return conn

    with monkeypatch.context() as m:
        m.setattr(sqlite3, "connect", connect_to_a_small_disk)
        code = cli.main(["--db", str(db), "ingest", str(folder)])
    out, err = capsys.readouterr()
    assert code == 1
    added, failed = out.splitlines(), err.splitlines()
    assert added and failed and len(added) + len(failed) == len(names)
    assert all(line.startswith("added #") for line in added)
    full = f": the disk is full: cannot write {db}; free some space and try again"
    assert failed == [f"error: {folder / name}{full}" for name in names[len(added):]]
    check_database(db)
    with Corpus.open(db) as c:
        assert c.count_articles() == 1 + len(added)


# -- a mistyped path -------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [("ask", "interpol"), ("list",), ("stats",), ("remove", "1"), ("check",)])
def test_reading_commands_do_not_create_a_mistyped_database(tmp_path, command):
    line = one_error_line(run(*command, db="bcc.db", cwd=tmp_path))
    assert line == ("error: bcc.db does not exist: check the path "
                    "(a new database is made by `articlebot --db bcc.db ingest PATH_OR_URL`)")
    assert list(tmp_path.iterdir()) == []


def test_a_mistyped_articlebot_db_is_not_created_by_ask_but_by_ingest(tmp_path):
    from_env = run("ask", "interpol", cwd=tmp_path, env_extra={"ARTICLEBOT_DB": "bcc.db"})
    assert one_error_line(from_env).startswith("error: bcc.db does not exist")
    assert list(tmp_path.iterdir()) == []
    made = run("ingest", str(FIXTURES / "bbc-sport-005.txt"), db="bcc.db", cwd=tmp_path)
    assert made.returncode == 0 and made.stdout.startswith('added #2 "Dibaba breaks 5,000m world record"')


# -- what ingest prints ----------------------------------------------------------------------------

def test_file_names_cannot_drive_the_terminal_and_errors_go_to_stderr(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(FIXTURES / "bbc-sport-005.txt", folder / "evil\x1b[2J.txt")
    with open(os.path.join(os.fsencode(folder), b"latin\xe9.txt"), "wb") as f:  # not UTF-8
        f.write((FIXTURES / "bbc-tech-221.txt").read_bytes())
    (folder / "title\x1b]0;pwned\x07.txt").write_text("Only a title\n")
    out = run("ingest", str(folder), db=tmp_path / "a.db")
    assert out.returncode == 1
    assert "\x1b" not in out.stdout + out.stderr and "\x07" not in out.stdout + out.stderr
    assert out.stdout.splitlines() == [
        f'added #2 "Dibaba breaks 5,000m world record" (2 paragraphs) from {folder}/evil\\x1b[2J.txt',
        f'added #3 "Halo 2 heralds traffic explosion" (5 paragraphs) from {folder}/latin\\xe9.txt']
    assert out.stderr.splitlines() == [
        f"error: {folder}/title\\x1b]0;pwned\\x07.txt: empty: no article text found after the title"]


def test_every_ingest_line_names_its_source(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in FOUR_ARTICLES:
        shutil.copy(FIXTURES / name, folder / name)
    db = tmp_path / "a.db"
    first = run("ingest", str(folder), db=db)
    again = run("ingest", str(folder), db=db)
    assert first.returncode == again.returncode == 0
    sources = [str(folder / name) for name in sorted(FOUR_ARTICLES)]
    assert [line.rsplit(" from ", 1)[1] for line in first.stdout.splitlines()] == sources
    ids = [line.split()[1] for line in first.stdout.splitlines()]
    assert again.stdout.splitlines() == [f"duplicate of {i} from {s}" for i, s in zip(ids, sources)]


def test_one_article_and_one_paragraph_are_singular(tmp_path):
    story = tmp_path / "story.txt"
    story.write_text("Lighthouse strike\n\nKeepers walked out on Monday, the union said.\n")
    env = {"ARTICLEBOT_SAMPLES": "0"}
    out = run("ingest", str(story), db=tmp_path / "a.db", env_extra=env)
    assert out.stdout == f'added #1 "Lighthouse strike" (1 paragraph) from {story}\n'
    assert run("stats", db=tmp_path / "a.db").stdout.startswith("1 article, 1 paragraph, 8 words")
    assert run("list", db=tmp_path / "a.db").stdout == "#1 Lighthouse strike (1 paragraph)\n"
    missing = run("ask", "what did the mayor say about the bridge tolls", db=tmp_path / "a.db")
    assert missing.stdout.startswith("Not found in the 1 article I know.")


@pytest.mark.parametrize("guild,message", [
    ("0", "0 is not a Discord server id"),
    ("\u0661\u0662\u0663", "guild id must be a number"),  # Arabic-Indic digits: int() reads them as 123
    ("18446744073709551616", "is not a Discord server id"),  # 2**64
])
def test_guild_ids_that_no_server_can_have_are_refused(tmp_path, guild, message):
    out = run("list", "--guild", guild, cwd=tmp_path)
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr


# -- what a folder holds ---------------------------------------------------------------------------

def test_a_fifo_is_refused_at_once(tmp_path):
    os.mkfifo(tmp_path / "x.txt")
    out = run("ingest", str(tmp_path / "x.txt"), db=tmp_path / "a.db", timeout=30)
    assert one_error_line(out) == f"error: {tmp_path / 'x.txt'}: not a regular file (a FIFO, device or socket)"


def test_a_folder_walk_skips_fifos_links_out_and_readmes_and_says_so(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("Quarterly payroll\n\nThe payroll figures for every employee are attached.\n")
    folder = tmp_path / "articles"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(FIXTURES / "bbc-sport-005.txt", folder / "a.txt")
    shutil.copy(FIXTURES / "bbc-tech-221.txt", folder / "README.TXT")
    os.mkfifo(folder / "sub" / "x.txt")
    (folder / "sub" / "secret.txt").symlink_to(secret)
    (folder / "sub" / "elsewhere").symlink_to(outside)
    (folder / "sub" / "same.txt").symlink_to(folder / "a.txt")  # a link inside the folder is read
    (folder / "sub" / "loop.txt").symlink_to("loop.txt")
    db = tmp_path / "a.db"
    out = run("ingest", str(folder), db=db, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        f'added #2 "Dibaba breaks 5,000m world record" (2 paragraphs) from {folder}/a.txt',
        f"duplicate of #2 from {folder}/sub/same.txt"]
    assert out.stderr.splitlines() == [
        f"skipped {folder}/README.TXT: a README file, not an article (give its path to read it anyway)",
        f"skipped {folder}/sub/elsewhere: a link leading out of the folder",
        f"skipped {folder}/sub/loop.txt: a broken link (or a loop of links)",
        f"skipped {folder}/sub/secret.txt: a link leading out of the folder",
        f"skipped {folder}/sub/x.txt: not a regular file (a FIFO, device or socket)"]
    assert "Quarterly payroll" not in run("list", db=db).stdout
    explicit = run("ingest", str(folder / "README.TXT"), db=db)
    assert explicit.stdout.startswith('added #3 "Halo 2 heralds traffic explosion"')
