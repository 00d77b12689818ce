"""What the commands say, said truly (issue 20, part 5): one number format, singulars, a command with
nothing to do saying so, a vote that makes no file, a bad .env line or option named, a move that moved
nothing being an error, and an unusable model cache said once."""

from __future__ import annotations

import json
import subprocess
import sys

from corpus import Corpus
from corpus.reading.ingest import Document
from corpus.storage import feedback
from test_cli_errors import run
from test_operator_files import GUILD, make_db


def test_stats_writes_every_number_one_way_and_one_guild_file_singular(tmp_path):
    db = tmp_path / "c.db"
    with Corpus.open(db, load_samples=False) as c:
        c.add(Document(title="Many short notes", paragraphs=[f"Note number {n} says little." for n in range(1200)]))
        c.add(Document(title="A guild note", paragraphs=["The guild has one note."]), guild_id=GUILD)
    out = run("stats", db=db)
    assert out.returncode == 0, out.stderr
    first, vectors, guilds = out.stdout.splitlines()
    assert first.startswith("1 article, 1,200 paragraphs, ")
    assert vectors.startswith("vectors: 0 of 1,200 paragraphs; ")
    assert guilds.startswith("guilds with their own articles: 1 (")
    backed = run("backup", str(tmp_path / "copy"), db=db)
    assert backed.returncode == 0 and " and 1 guild file (" in backed.stdout, backed.stdout


def test_embed_with_nothing_to_do_says_so(tmp_path):
    db = make_db(tmp_path)
    semantic = {"ARTICLEBOT_SEMANTIC": "1"}
    assert run("embed", db=db, env_extra=semantic, timeout=600).returncode == 0
    again = run("embed", db=db, env_extra=semantic, timeout=600)
    assert again.returncode == 0
    assert again.stderr.splitlines()[-1].startswith("nothing to embed: every paragraph has its vector"), again.stderr


def test_a_vote_in_a_server_without_articles_makes_no_file_and_is_kept(tmp_path):
    db = tmp_path / "c.db"
    with Corpus.open(db) as c:  # the shared sample only
        feedback.record(c, 444, "what did Kolokoltsev say", [feedback.Shown(1, 2, "Police chiefs")], "up")
        assert c.guild_ids() == []
        assert c.stats()["guild_files"] == 0
        (row,) = list(feedback.export(c, every_file=True))
        assert list(feedback.export(c, 444)) == [row]  # `feedback --guild 444` finds it
        c.purge_guild(444)  # the bot left the server: its votes go with it
        assert list(feedback.export(c, every_file=True)) == []
    assert (row.question, row.up, row.guild) == ("what did Kolokoltsev say", 1, "444")


def test_a_junk_env_line_is_named_with_its_file(tmp_path):
    make_db(tmp_path)
    (tmp_path / ".env").write_text("ARTICLEBOT_SAMPLES=1\nthis is not a setting\n")
    out = run("stats", db="c.db", cwd=tmp_path)
    assert out.returncode == 0
    (line,) = out.stderr.splitlines()
    assert ".env line 2" in line and "KEY=value" in line, line


def shards(*args, cwd):
    return subprocess.run([sys.executable, "-m", "bot.shards", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_shards_name_a_bad_shard_count(tmp_path):
    out = shards("--db", "s-{shard}.db", "--shard-count", "-1", "stats", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip() == "articlebot: --shard-count must be 1 or more, got -1"


def test_a_template_that_names_no_database_moves_nothing_and_fails(tmp_path):
    make_db(tmp_path)  # c.db with guild files; the template below has a typo
    out = shards("--db", "x-{shard}.db", "--shard-count", "2", "move-guilds", cwd=tmp_path)
    assert out.returncode == 1
    assert "no database matches x-{shard}.db" in out.stderr, out.stderr


def test_an_unusable_model_cache_is_said_once_and_in_stats(tmp_path):
    db = make_db(tmp_path)
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("not a folder")
    assert run("embed", db=db, env_extra={"ARTICLEBOT_SEMANTIC": "1"}, timeout=600).returncode == 0
    env = {"ARTICLEBOT_SEMANTIC": "1", "ARTICLEBOT_CACHE_DIR": str(blocker / "sub")}
    asked = run("ask", "growth", db=db, env_extra=env, timeout=600)
    assert asked.returncode == 0
    warned = [line for line in asked.stderr.splitlines() if "cache" in line]
    assert len(warned) == 1 and str(blocker) in warned[0], asked.stderr
    stats = run("stats", "--json", db=db, env_extra=env, timeout=600)
    status = json.loads(stats.stdout)["semantic"]
    assert "not cached" in status and str(blocker) in status, status
