"""Reliability of the engine (issue 6): crashes, concurrency, removal, bad input.

Everything uses a real SQLite file in a temporary directory.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from corpus import AddResult, Answer, Corpus
from corpus.cli import BATCH_ARTICLES
from corpus.errors import CorpusError, IngestError
from corpus.limits import MAX_ARTICLE_BYTES, MAX_PARAGRAPH_CHARS
from corpus.reading import ingest
from corpus.storage.database import add_functions

ROOT = Path(__file__).resolve().parents[1]
PAGES = Path(__file__).parent / "fixtures" / "pages"

# --------------------------------------------------------------------------
# generated articles: each carries a made-up marker word found nowhere else

GENERATOR = textwrap.dedent('''
    import random

    VOCAB = ("harbour lantern keeper tide gauge beacon mercury clockwork tower lens shipping channel "
             "breakwater pilot ferry buoy signal fog horn storm surge coastline survey estuary dredging "
             "quay crane cargo council budget engineers repairs winter summer visitors museum volunteers "
             "records archive charts soundings currents moorings fishermen trawler lifeboat crew rescue").split()

    def marker(n):
        letters = ""
        for _ in range(4):
            n, r = divmod(n, 26)
            letters = chr(97 + r) + letters
        return "vq" + letters + "x"

    def article_text(n, paragraphs=12):
        rng = random.Random(n)
        m = marker(n)
        lines = [f"The {m.capitalize()} harbour survey", ""]
        for i in range(paragraphs):
            words = " ".join(rng.choice(VOCAB) for _ in range(rng.randint(25, 60)))
            lines.append(f"The {m} survey notes that {words}.")
            lines.append("")
        return "\\n".join(lines)
''')
_generated: dict = {}
exec(GENERATOR, _generated)  # the same generator the child processes run
marker = _generated["marker"]
article_text = _generated["article_text"]


def doc_for(n: int, paragraphs: int = 12):
    return ingest.document_from_text(article_text(n, paragraphs))


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_SAMPLES", "0")
    monkeypatch.delenv("ARTICLEBOT_DB", raising=False)


@pytest.fixture()
def db(tmp_path):
    return tmp_path / "articles.db"


@pytest.fixture()
def corpus(db):
    c = Corpus.open(db)
    yield c
    c.close()


def database_files(path) -> list[Path]:
    """The shared file and every guild file beside it."""
    path = Path(path)
    return [path, *sorted(path.with_name(path.stem + ".guilds").glob("*.db"))]


def fts_rowids(path, word: str) -> list[int]:
    """Row ids the full-text indexes themselves hold for a word (index rows, not content rows), in the
    shared file and every guild file."""
    found = []
    for file in database_files(path):
        con = sqlite3.connect(file)
        try:
            found += [r[0] for r in con.execute(
                "SELECT rowid FROM paragraphs_fts WHERE paragraphs_fts MATCH ?", (f'"{word}"',))]
        finally:
            con.close()
    return found


def check_database(path) -> None:
    """Every file is sound: SQLite and FTS integrity, no orphans, counts agree."""
    for file in database_files(path):
        _check_file(file)


def _check_file(path) -> None:
    con = sqlite3.connect(path)
    add_functions(con)  # the index reads the paragraphs' stored terms through one
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # raises sqlite3.DatabaseError if the FTS index disagrees with the paragraphs it indexes
        con.execute("INSERT INTO paragraphs_fts(paragraphs_fts, rank) VALUES ('integrity-check', 1)")
        orphans = con.execute(
            "SELECT count(*) FROM paragraphs WHERE article_id NOT IN (SELECT id FROM articles)").fetchone()[0]
        assert orphans == 0, f"{orphans} paragraphs without an article"
        bad_counts = con.execute(
            "SELECT a.id, a.paragraph_count, count(p.id) FROM articles a LEFT JOIN paragraphs p "
            "ON p.article_id = a.id GROUP BY a.id HAVING a.paragraph_count != count(p.id)").fetchall()
        assert bad_counts == [], f"articles whose paragraph count is wrong: {bad_counts}"
    finally:
        con.close()


def assert_article_intact(c: Corpus, article_id: int, n: int, paragraphs: int = 12) -> None:
    doc = doc_for(n, paragraphs)
    info = c.article(article_id)
    assert info is not None, f"article #{article_id} ({marker(n)}) is missing"
    assert info.title == doc.title
    assert c.paragraphs(article_id) == doc.paragraphs
    answer = c.ask(f"what does the {marker(n)} survey say")
    assert answer.results and answer.results[0].article_id == article_id


# --------------------------------------------------------------------------
# SIGKILL in the middle of an ingest

HOLDING_CHILD = GENERATOR + textwrap.dedent('''
    import sys
    from contextlib import contextmanager
    import corpus.storage.store as store
    from corpus import Corpus
    from corpus.reading import ingest

    path, committed, big = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    original_write = store.Store._write
    armed = False

    @contextmanager
    def holding_write(self):
        with original_write(self) as conn:
            if armed:
                conn.execute("PRAGMA cache_size = 16")   # spill uncommitted pages into the WAL file
            yield conn
            if armed:
                # everything of this article is written but not committed: wait here to be killed
                print("holding", flush=True)
                sys.stdin.readline()

    store.Store._write = holding_write
    c = Corpus.open(path)
    for n in range(committed):
        result = c.add(ingest.document_from_text(article_text(n)))
        print("committed", n, result.article_id, flush=True)
    armed = True
    c.add(ingest.document_from_text(article_text(committed, big)))
    print("unreachable: the parent kills us before this commit", flush=True)
''')


def _child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["ARTICLEBOT_SAMPLES"] = "0"
    env.pop("ARTICLEBOT_DB", None)
    return env


def _kill_started_by(run_tag: str) -> int:
    """SIGKILL the processes whose environment has SIGKILL_TEST_RUN=run_tag (what a test started and
    lost track of); how many there were."""
    needle = f"SIGKILL_TEST_RUN={run_tag}\0".encode()
    killed = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle in (entry / "environ").read_bytes():
                    os.kill(int(entry.name), signal.SIGKILL)
                    killed += 1
            except OSError:
                continue
    return killed


def _reap(proc: subprocess.Popen) -> None:
    """Kill a child that is still running and close its pipes."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def test_sigkill_inside_a_write_transaction_loses_only_that_article(tmp_path, db):
    script = tmp_path / "child.py"
    script.write_text(HOLDING_CHILD)
    committed_n = 8
    big = 600    # paragraphs in the article being written when the process dies
    proc = subprocess.Popen([sys.executable, str(script), str(db), str(committed_n), str(big)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=_child_env(), cwd=tmp_path)
    committed: dict[int, int] = {}
    try:
        for line in proc.stdout:
            parts = line.split()
            if parts[0] == "committed":
                committed[int(parts[1])] = int(parts[2])
            elif parts[0] == "holding":
                break
        else:
            pytest.fail("child ended before holding a transaction: " + proc.stderr.read())
        # while the writer holds its transaction, another reader sees only committed articles
        reader = sqlite3.connect(db)
        try:
            assert reader.execute("SELECT count(*) FROM articles").fetchone()[0] == committed_n
        finally:
            reader.close()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        _reap(proc)
    assert proc.returncode == -signal.SIGKILL
    assert Path(f"{db}-wal").exists()    # it died with a WAL file in place

    check_database(db)
    with Corpus.open(db) as c:
        assert len(committed) == committed_n
        for n, article_id in committed.items():
            assert_article_intact(c, article_id, n)
        # the interrupted article left nothing behind: no article, no paragraphs, no index rows
        lost = marker(committed_n)
        assert c.count_articles() == committed_n
        assert all(lost not in a.title.lower() for a in c.articles())
        assert fts_rowids(db, lost) == []
        assert not [p for p in c.ask(f"{lost} survey").results if lost in p.text]
        # and the database takes new articles again
        result = c.add(doc_for(100))
        assert result.status == "added"
        assert_article_intact(c, result.article_id, 100)
    check_database(db)


def test_sigkill_of_the_ingest_command_keeps_every_reported_article(tmp_path, db):
    """`articlebot ingest DIR` killed with SIGKILL at an arbitrary point while it runs."""
    src = tmp_path / "articles"
    src.mkdir()
    total = 40
    for n in range(total):
        (src / f"{n:03d}.txt").write_text(article_text(n, 40), encoding="utf-8")
    run_tag = f"{tmp_path}"  # in the environment of the command and of every process it starts
    proc = subprocess.Popen([sys.executable, "-u", "-m", "corpus", "--db", str(db), "ingest", str(src)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**_child_env(), "SIGKILL_TEST_RUN": run_tag}, cwd=tmp_path)
    reported: list[tuple[int, str]] = []    # (article id, title) the command said it added
    try:
        for line in proc.stdout:
            assert line.startswith("added #"), line
            reported.append((int(line.split()[1].lstrip("#")), line.split('"')[1]))
            if len(reported) == 12:
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait(timeout=30)
        # lines it printed before it died but we had not read yet; the end of its output comes once its
        # worker processes (corpus.reading.bulk) have ended too: orphans would hold the pipe open for ever
        rest: list[str] = []
        reader = threading.Thread(target=lambda: rest.extend(proc.stdout), daemon=True)
        reader.start()
        reader.join(timeout=30)
        if reader.is_alive():
            orphans = _kill_started_by(run_tag)
            raise AssertionError(f"the killed ingest's {orphans} worker processes still held its output open")
        for line in rest:
            if line.startswith("added #") and line.endswith("\n"):
                reported.append((int(line.split()[1].lstrip("#")), line.split('"')[1]))
    finally:
        _reap(proc)
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"

    check_database(db)
    titles = {doc_for(n, 40).title: n for n in range(total)}
    with Corpus.open(db) as c:
        stored = {a.id: a.title for a in c.articles()}
        for article_id, title in reported:
            assert stored.get(article_id) == title
        # at most the batch in flight (stored in one transaction, its lines printed after the commit)
        # committed without being reported: a second ingest reports those as duplicates
        assert len(reported) <= len(stored) <= len(reported) + BATCH_ARTICLES
        for article_id, title in stored.items():
            assert_article_intact(c, article_id, titles[title], 40)
        for n in range(total):
            if doc_for(n, 40).title not in stored.values():
                assert fts_rowids(db, marker(n)) == []


# --------------------------------------------------------------------------
# concurrency: asks while an ingest writes

QUESTIONS = ["what did the survey say about the lighthouse keeper", "mercury lens", "storm surge repairs budget",
             "who rescued the trawler crew", "fog horn", "harbour council winter visitors",
             "how are the tides recorded"]


class _Readers:
    """Threads asking questions until stopped; whether any ask ran while `writing` was set is recorded.
    `started` lines them up with the writer (one more party than readers)."""

    def __init__(self, c: Corpus, n_threads: int) -> None:
        self.writing, self.done = threading.Event(), threading.Event()
        self.errors: list[str] = []
        self.overlap: list[int] = []
        self.started = threading.Barrier(n_threads + 1)
        self.threads = [threading.Thread(target=self._read, args=(c, k), daemon=True) for k in range(n_threads)]
        for t in self.threads:
            t.start()

    def _read(self, c: Corpus, k: int) -> None:
        rng = random.Random(k)
        self.started.wait()
        while not self.done.is_set():
            try:
                was_writing = self.writing.is_set()
                answer = c.ask(rng.choice(QUESTIONS), limit=5)
                assert isinstance(answer, Answer)
                for p in answer.results:
                    assert p.text and 1 <= p.paragraph <= p.paragraphs_total
                c.articles(limit=10)
                c.stats()
                if was_writing:
                    self.overlap.append(k)
            except Exception as exc:  # collected and reported by the test
                self.errors.append(f"reader {k}: {type(exc).__name__}: {exc}")
                return

    def stop(self) -> bool:
        """Stop and join the readers; True when all of them ended."""
        self.done.set()
        for t in self.threads:
            t.join(timeout=60)
        return not any(t.is_alive() for t in self.threads)


def test_asks_in_threads_while_an_ingest_writes_never_fail(corpus):
    for n in range(5):
        corpus.add(doc_for(n))
    readers = _Readers(corpus, 4)
    added: list[tuple[int, int | None]] = []

    def write() -> None:
        readers.started.wait()
        readers.writing.set()
        try:
            for n in range(5, 35):
                guild = 7 if n % 3 else None
                added.append((corpus.add(doc_for(n, 30), guild_id=guild).article_id, guild))
                if n % 5 == 0:
                    article_id, guild = added.pop(0)
                    assert corpus.remove(article_id, guild_id=guild) is True
        except Exception as exc:
            readers.errors.append(f"writer: {type(exc).__name__}: {exc}")
        finally:
            readers.writing.clear()

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    writer.join(timeout=300)
    assert readers.stop() and not writer.is_alive()
    assert readers.errors == []
    assert readers.overlap, "no ask ran while the writer was writing"
    check_database(corpus.path)


def test_asks_while_another_process_ingests_never_fail(tmp_path, db):
    """The bot answering while `articlebot ingest` runs in another process on the same file."""
    src = tmp_path / "articles"
    src.mkdir()
    for n in range(20):
        (src / f"{n:03d}.txt").write_text(article_text(n, 30), encoding="utf-8")
    with Corpus.open(db) as c:
        c.add(doc_for(500))
        readers = _Readers(c, 3)
        readers.writing.set()
        proc = subprocess.Popen([sys.executable, "-m", "corpus", "--db", str(db), "ingest", str(src)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=_child_env(), cwd=tmp_path)
        local_errors = []
        local_added = 0
        try:
            readers.started.wait()
            # meanwhile this process writes too, for as long as the other one runs
            try:
                while proc.poll() is None and local_added < 300:
                    c.add(doc_for(600 + local_added, 4))
                    local_added += 1
            except Exception as exc:
                local_errors.append(f"in-process writer: {type(exc).__name__}: {exc}")
            out, err = proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
            readers.writing.clear()
            stopped = readers.stop()
        assert stopped
        assert proc.returncode == 0, err
        assert "locked" not in err
        assert out.count("added #") == 20
        assert readers.errors == [] and local_errors == []
        assert c.count_articles() == 1 + 20 + local_added
    check_database(db)


# --------------------------------------------------------------------------
# remove and purge_guild


def test_remove_takes_paragraphs_and_index_rows_with_it(corpus, db):
    keep = corpus.add(doc_for(1)).article_id
    gone = corpus.add(doc_for(2)).article_id
    word = marker(2)
    assert corpus.ask(f"{word} survey").results[0].article_id == gone
    assert fts_rowids(db, word)

    assert corpus.remove(gone) is True
    assert corpus.article(gone) is None
    assert corpus.paragraphs(gone) == []
    assert fts_rowids(db, word) == []
    assert all(p.article_id != gone for p in corpus.ask(f"{word} survey", limit=50).results)
    assert corpus.remove(gone) is False              # already gone
    assert_article_intact(corpus, keep, 1)           # the neighbour is untouched
    check_database(db)


def test_a_guild_removes_only_its_own_articles(corpus, db):
    shared = corpus.add(doc_for(1)).article_id
    mine = corpus.add(doc_for(2), guild_id=11).article_id
    theirs = corpus.add(doc_for(3), guild_id=22).article_id
    other = corpus.add(doc_for(4), guild_id=22).article_id
    # Each guild numbers its own articles: an id means this guild's article, never another's.
    assert mine == theirs
    assert corpus.remove(shared, guild_id=11) is False
    assert corpus.remove(other, guild_id=11) is False
    assert corpus.remove(mine, guild_id=11) is True
    assert corpus.article(mine, guild_id=11) is None
    assert corpus.article(shared) is not None and corpus.article(theirs, guild_id=22).title == doc_for(3).title
    assert fts_rowids(db, marker(2)) == [] and fts_rowids(db, marker(3)) != []
    check_database(db)


def test_purge_guild_removes_that_guild_only(corpus, db):
    shared = corpus.add(doc_for(1)).article_id
    guild_a = [corpus.add(doc_for(n), guild_id=1001).article_id for n in (2, 3, 4)]
    guild_b = corpus.add(doc_for(5), guild_id=2002).article_id
    assert corpus.count_articles(1001) == 4      # its three + the shared one

    assert corpus.purge_guild(1001) == 3
    assert corpus.count_articles(1001) == 1
    for n, article_id in zip((2, 3, 4), guild_a):
        assert corpus.article(article_id, guild_id=1001) is None
        assert fts_rowids(db, marker(n)) == []
        assert all(p.article_id != article_id
                   for p in corpus.ask(f"{marker(n)} survey", guild_id=1001, limit=50).results)
    assert corpus.ask(f"{marker(5)} survey", guild_id=2002).results[0].article_id == guild_b
    assert corpus.ask(f"{marker(1)} survey", guild_id=1001).results[0].article_id == shared
    assert corpus.purge_guild(1001) == 0
    assert corpus.purge_guild(3003) == 0
    check_database(db)


# --------------------------------------------------------------------------
# limits and bad input: stored correctly or refused with a one-line reason


def refusal(exc) -> str:
    msg = str(getattr(exc, "value", exc))
    assert msg and "\n" not in msg
    return msg


def test_zero_width_and_control_characters_are_removed(corpus):
    text = ("Lamp\u200bkeepers of the North\n\n"
            "The mer\u200dcury bath\u2060 let the lens\u00ad turn; keepers wound the clock\x07work "
            "every four hours\x00 and logged the fog\ufeff signals.\n\n"
            "Automation ended the job in 1998 when the last keeper left the tower.")
    result = corpus.add(ingest.document_from_text(text))
    assert result.title == "Lampkeepers of the North"
    stored = "\n".join(corpus.paragraphs(result.article_id))
    for ch in "\u200b\u200d\u2060\u00ad\x07\x00\ufeff":
        assert ch not in stored
    assert "mercury bath let the lens turn" in stored and "clockwork" in stored
    answer = corpus.ask("mercury clockwork")
    assert answer.results and answer.results[0].article_id == result.article_id
    assert "mercury" in [w.lower() for w in answer.results[0].matched]


def test_right_to_left_text_is_stored_and_found(corpus):
    text = ("منارة الإسكندرية\n\n"
            "كانت منارة الإسكندرية من عجائب الدنيا السبع، وقد بنيت في عهد البطالمة على جزيرة فاروس.\n\n"
            "המגדלור העתיק האיר את הנמל במשך מאות שנים לפני שנהרס ברעידת אדמה.\n\n"
            "A \u202egnp.exe\u202c bidi override must not survive into a quoted answer.")
    result = corpus.add(ingest.document_from_text(text))
    assert result.status == "added" and result.title == "منارة الإسكندرية"
    paragraphs = corpus.paragraphs(result.article_id)
    assert "كانت منارة الإسكندرية من عجائب الدنيا السبع" in paragraphs[0]
    assert not any("\u202e" in p or "\u202c" in p for p in paragraphs)
    arabic = corpus.ask("عجائب الدنيا")
    assert arabic.results and arabic.results[0].text == paragraphs[0]
    hebrew = corpus.ask("המגדלור")
    assert hebrew.results and "המגדלור" in hebrew.results[0].text


def test_one_megabyte_single_paragraph(corpus):
    rng = random.Random(5)
    vocab = "quay crane cargo tide beacon channel pilot ferry buoy keeper".split()
    sentences = [" ".join(rng.choice(vocab) for _ in range(12)).capitalize() + "." for _ in range(14_000)]
    sentences[-1] = "The final sentence names the zanzibarite lighthouse."
    body = " ".join(sentences)
    assert len(body) > 1_000_000
    result = corpus.add(ingest.document_from_text("One enormous paragraph\n\n" + body))
    paragraphs = corpus.paragraphs(result.article_id)
    assert result.paragraphs == len(paragraphs) > 1
    assert all(len(p) <= MAX_PARAGRAPH_CHARS for p in paragraphs)
    assert " ".join(paragraphs) == body                        # nothing lost or reordered
    hit = corpus.ask("zanzibarite lighthouse")
    assert hit.results[0].article_id == result.article_id
    assert hit.results[0].paragraph == len(paragraphs)


def test_one_megabyte_paragraph_without_spaces_or_sentences(corpus):
    blob = "x" * 1_000_000
    try:
        doc = ingest.document_from_text("A wall of x\n\n" + blob)
    except IngestError as e:
        assert refusal(e)
        return
    result = corpus.add(doc)
    paragraphs = corpus.paragraphs(result.article_id)
    assert all(len(p) <= MAX_PARAGRAPH_CHARS for p in paragraphs)
    assert "".join(paragraphs) == blob


def test_text_over_the_size_limit_is_refused(corpus):
    with pytest.raises(IngestError) as e:
        ingest.document_from_text("Big\n\n" + "word " * (MAX_ARTICLE_BYTES // 5 + 10))
    assert refusal(e).startswith("too large")
    with pytest.raises(IngestError) as e:
        ingest.document_from_bytes(b"Big\n\n" + b"word " * (MAX_ARTICLE_BYTES // 5 + 10), "big.txt")
    assert refusal(e).startswith("too large")


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00" + bytes(range(256)) * 8


@pytest.mark.parametrize("name", ["photo.txt", "photo.md", "photo.html", "photo.htm"])
def test_binary_file_lying_about_its_type_is_refused(name, tmp_path):
    with pytest.raises(IngestError) as e:
        ingest.document_from_bytes(PNG, name)
    assert "binary" in refusal(e)
    path = tmp_path / name
    path.write_bytes(PNG)
    with pytest.raises(IngestError, match="binary"):
        ingest.document_from_path(path)


def test_html_saved_as_txt_is_refused_with_advice():
    with pytest.raises(IngestError) as e:
        ingest.document_from_bytes((PAGES / "article.html").read_bytes(), "article.txt")
    assert ".html" in refusal(e)


@pytest.mark.parametrize("name", ["article.pdf", "article", "article.png", "article.docx"])
def test_unsupported_file_types_are_refused(name):
    with pytest.raises(IngestError) as e:
        ingest.document_from_bytes(b"Plain words here\n\nMore words.", name)
    assert refusal(e).startswith("unsupported file type")


@pytest.mark.parametrize("data", [b"", b"   \n\n\t ", "\ufeff".encode("utf-8"), b"\x00\x00\x00"])
def test_empty_files_are_refused(data):
    with pytest.raises(IngestError) as e:
        ingest.document_from_bytes(data, "empty.txt")
    assert refusal(e)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])
def test_text_files_in_other_encodings_are_decoded(corpus, encoding):
    text = "Café crème at the quay\n\nThe harbour café served crème brûlée to the ferry crew every évening."
    result = corpus.add(ingest.document_from_bytes(text.encode(encoding), "cafe.txt"))
    assert result.title == "Café crème at the quay"
    assert corpus.paragraphs(result.article_id) == [
        "The harbour café served crème brûlée to the ferry crew every évening."]


MALFORMED_HTML = [
    "<html><body><p>Unclosed paragraph about lighthouse lenses<div><p>and mercury baths that turn them",
    "<p>" * 5000 + "Deeply nested lighthouse text with mercury baths and clockwork weights.",
    "<div>" * 3000 + "Nested divs about the keeper who wound the clockwork weight." + "</div>" * 3000,
    "</p></div></body>Stray closing tags around the harbour pilot story, which has enough words to count.",
    "<html><head><title>Only a title</title></head><body></body></html>",
    "<script>" + "var x = 1;" * 1000 + "</script>",
    "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>]><p>&b;&b;</p>",
    "<p>\x00\x01\x02 binary-ish control bytes in the lighthouse story</p>",
    "<html><body>" + "<table><tr><td>cell" * 500 + "</body></html>",
    "<<<>>><p <p <p>>>mangled &&& angles &#xFFFFFF; &#0; &bogus; about the tide gauges and harbour walls",
]


@pytest.mark.parametrize("html", MALFORMED_HTML, ids=range(len(MALFORMED_HTML)))
def test_malformed_html_is_stored_or_refused(corpus, html):
    for data in (html, html.encode("utf-8")):
        try:
            doc = ingest.document_from_html(data)
        except IngestError as e:
            assert refusal(e)
            continue
        result = corpus.add(doc)
        assert isinstance(result, AddResult) and result.paragraphs >= 1
        assert corpus.paragraphs(result.article_id)
    check_database(corpus.path)


def test_saved_article_page_is_ingested_without_page_furniture(corpus):
    result = corpus.add(ingest.document_from_path(PAGES / "article.html"))
    assert result.title == "How Lighthouses Keep Their Lamps Turning"
    text = "\n".join(corpus.paragraphs(result.article_id))
    assert "liquid mercury" in text and "winding handle" in text
    for junk in ("All rights reserved", "Archive", "window.analytics", "A short history of fog signals"):
        assert junk not in text
    answer = corpus.ask("why was mercury chosen")
    assert answer.answered and "mercury" in answer.results[0].text.lower()


def test_guild_id_that_is_not_a_number_is_refused(corpus):
    with pytest.raises(CorpusError) as e:
        corpus.add(doc_for(1), guild_id="12; DROP TABLE articles")
    assert refusal(e)
    with pytest.raises(CorpusError):
        corpus.ask("mercury", guild_id="abc")


def test_question_limits(corpus):
    from corpus.errors import QuestionError
    from corpus.limits import MAX_QUESTION_CHARS

    corpus.add(doc_for(1))
    for bad in ("", "   ", "\n\t"):
        with pytest.raises(QuestionError) as e:
            corpus.ask(bad)
        assert refusal(e)
    with pytest.raises(QuestionError) as e:
        corpus.ask("tide " * (MAX_QUESTION_CHARS // 5 + 1))
    assert refusal(e).startswith("question too long")
    answer = corpus.ask("x" * MAX_QUESTION_CHARS)
    assert isinstance(answer, Answer)
    json.dumps(answer.to_dict())
