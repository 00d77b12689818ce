"""`articlebot backup DEST_DIR` and `articlebot stats` over the shared file and the guild files."""

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from conftest import FIXTURES

from corpus import Corpus
from corpus.reading.ingest import Document, document_from_path

SPORT, BUSINESS, TECH = 222, 111, None


def articlebot(*args, cwd):
    return subprocess.run([sys.executable, "-m", "corpus", *args], capture_output=True, text=True, cwd=cwd,
                           timeout=120)


def edition(doc: Document, n: int) -> Document:
    """The article again with one more paragraph: a new article, not a duplicate."""
    return Document(title=f"{doc.title} (edition {n})", paragraphs=[*doc.paragraphs, f"Edition {n} of the story."])


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_backup_of_a_live_database_opens_and_answers(tmp_path):
    db = tmp_path / "bot.db"
    business = document_from_path(FIXTURES / "bbc-business-001.txt")
    tech = document_from_path(FIXTURES / "bbc-tech-221.txt")
    with Corpus.open(db, load_samples=False) as live:
        live.add(tech, guild_id=TECH)
        live.add(document_from_path(FIXTURES / "bbc-sport-005.txt"), guild_id=SPORT)
        live.add(business, guild_id=BUSINESS)
        # The bot keeps writing while the backup runs: new articles in a guild and in the shared file.
        stop, adds = threading.Event(), [0]

        def writer():
            while not stop.is_set():
                adds[0] += 1
                if adds[0] % 2:
                    live.add(edition(business, adds[0]), guild_id=BUSINESS)
                else:
                    live.add(edition(tech, adds[0]), guild_id=TECH)

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            while adds[0] < 3:  # the writer is under way
                stop.wait(0.01)
            before = adds[0]
            out = articlebot("--db", str(db), "backup", "copy", cwd=tmp_path)
            during = adds[0] - before
        finally:
            stop.set()
            thread.join()
        live_guild_articles = live.count_articles(BUSINESS) - live.count_articles(None)

    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"backed up copy/bot.db and 2 guild files ("), out.stdout
    assert during > 0, "the writer never wrote while the backup ran"
    copy = tmp_path / "copy" / "bot.db"
    files = [copy, *sorted((tmp_path / "copy" / "bot.guilds").glob("*.db"))]
    assert [f.name for f in files] == ["bot.db", f"{BUSINESS}.db", f"{SPORT}.db"]
    assert all(integrity(f) == "ok" for f in files)

    with Corpus.open(copy, load_samples=False) as restored:
        sport = restored.ask("Dibaba world record 5,000m", guild_id=SPORT)
        assert sport.answered and sport.results[0].title == "Dibaba breaks 5,000m world record"
        profit = restored.ask("Time Warner quarterly profits", guild_id=BUSINESS)
        assert profit.answered and profit.results[0].title.startswith("Ad sales boost Time Warner profit")
        # The shared article is still seen from every guild; a guild's article only from its own.
        assert restored.ask("Halo 2 traffic", guild_id=SPORT).results[0].title.startswith("Halo 2 heralds traffic")
        assert not any("Time Warner" in p.title for p in restored.ask("Time Warner profits", guild_id=SPORT).results)
        copied = restored.count_articles(BUSINESS) - restored.count_articles(None)
        assert 1 <= copied <= live_guild_articles


def test_backup_refuses_a_folder_that_holds_a_database(tmp_path):
    with Corpus.open(tmp_path / "bot.db", load_samples=False) as live:
        live.add(document_from_path(FIXTURES / "bbc-sport-005.txt"), guild_id=SPORT)
    assert articlebot("--db", "bot.db", "backup", "copy", cwd=tmp_path).returncode == 0
    again = articlebot("--db", "bot.db", "backup", "copy", cwd=tmp_path)
    assert again.returncode == 1
    assert again.stderr == "error: copy already holds a database (bot.db): choose an empty folder\n"


def test_stats_text_counts_the_guild_files(tmp_path):
    with Corpus.open(tmp_path / "bot.db", load_samples=False) as live:
        live.add(document_from_path(FIXTURES / "bbc-sport-005.txt"), guild_id=SPORT)
        live.add(document_from_path(FIXTURES / "bbc-business-001.txt"), guild_id=BUSINESS)
    lines = articlebot("--db", "bot.db", "stats", cwd=tmp_path).stdout.splitlines()
    assert lines[0].startswith("0 articles, 0 paragraphs")
    assert lines[2].startswith("guilds with their own articles: 2 (") and lines[2].endswith(" MB, in bot.guilds)")
