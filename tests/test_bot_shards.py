"""``python -m bot.shards``: an articlebot command on every shard's database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot import shards


def titles(db) -> dict[str, str]:
    """title -> scope of every article in a database and its guild files."""
    db = Path(db)
    found = {}
    for path in [db, *sorted(db.with_name(db.stem + ".guilds").glob("*.db"))]:
        conn = sqlite3.connect(path)
        try:
            found.update(conn.execute("SELECT title, scope FROM articles"))
        finally:
            conn.close()
    return found


def guild_titles(db) -> dict[str, str]:
    return {title: scope for title, scope in titles(db).items() if scope != "shared"}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for name in ("ARTICLEBOT_DB", "SHARD_COUNT", "SHARD_IDS", "ARTICLEBOT_SAMPLES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_shared_ingest_goes_into_every_shard_database(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("Ferry strike ends\n\nThe ferry strike ended on Monday after talks.\n")
    monkeypatch.setenv("ARTICLEBOT_DB", str(tmp_path / "articlebot-{shard}.db"))
    monkeypatch.setenv("SHARD_COUNT", "3")
    assert shards.main(["ingest", "a.txt"]) == 0
    for n in range(3):
        assert titles(tmp_path / f"articlebot-{n}.db")["Ferry strike ends"] == "shared"


def test_groups_and_guild_routing(tmp_path):
    (tmp_path / "a.txt").write_text("Ferry strike ends\n\nThe ferry strike ended on Monday after talks.\n")
    template = str(tmp_path / "db-{shard}.db")
    guild = (1 << 22) * 7  # (id >> 22) % 4 == 3
    assert shards.shard_of(guild, 4) == 3
    assert shards.main(["--db", template, "--shard-count", "4", "--group", "0,1", "--group", "2,3",
                        "ingest", "a.txt", "--guild", str(guild)]) == 0
    assert not (tmp_path / "db-0-1.db").exists()
    assert titles(tmp_path / "db-2-3.db")["Ferry strike ends"] == str(guild)


@pytest.mark.parametrize("argv", [
    ["--db", "plain.db", "--shard-count", "2", "stats"],  # no {shard}
    ["--db", "x-{shard}.db", "stats"],  # no shard count
    ["--db", "x-{shard}.db", "--shard-count", "4", "--group", "0,1", "stats"],  # groups miss shards 2, 3
])
def test_refuses_what_would_miss_a_database(argv, capsys):
    assert shards.main(argv) == 2
    assert capsys.readouterr().err.startswith("articlebot: ")


def test_move_guilds_follows_a_new_shard_count(tmp_path, capsys):
    """Two shards become four: each server's file moves to its new shard's database and answers there."""
    (tmp_path / "a.txt").write_text("Ferry strike ends\n\nThe ferry strike ended on Monday after talks.\n")
    (tmp_path / "b.txt").write_text("Harbour reopens\n\nThe harbour reopened on Tuesday after repairs.\n")
    template = str(tmp_path / "db-{shard}.db")
    ferry, harbour = (1 << 22) * 3, (1 << 22) * 5  # both shard 1 of 2; shards 3 and 1 of 4
    for guild, name in ((ferry, "a.txt"), (harbour, "b.txt")):
        assert shards.main(["--db", template, "--shard-count", "2", "ingest", name, "--guild", str(guild)]) == 0
    assert guild_titles(tmp_path / "db-1.db") == {"Ferry strike ends": str(ferry), "Harbour reopens": str(harbour)}

    new = ["--db", template, "--shard-count", "4", "--group", "0,1", "--group", "2,3"]
    assert shards.main([*new, "move-guilds", "--dry-run"]) == 0
    assert not (tmp_path / "db-2-3.guilds").exists()
    capsys.readouterr()
    assert shards.main([*new, "move-guilds"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "moved 2 guild files"
    assert guild_titles(tmp_path / "db-1.db") == {}
    for guild, title in ((ferry, "Ferry strike ends"), (harbour, "Harbour reopens")):
        assert shards.main([*new, "list", "--guild", str(guild)]) == 0
        assert title in capsys.readouterr().out
    assert guild_titles(tmp_path / "db-2-3.db") == {"Ferry strike ends": str(ferry)}
    assert guild_titles(tmp_path / "db-0-1.db") == {"Harbour reopens": str(harbour)}


def test_move_guilds_leaves_a_file_a_process_has_open(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("Ferry strike ends\n\nThe ferry strike ended on Monday after talks.\n")
    template = str(tmp_path / "db-{shard}.db")
    guild = (1 << 22) * 3
    assert shards.main(["--db", template, "--shard-count", "2", "ingest", "a.txt", "--guild", str(guild)]) == 0
    holder = sqlite3.connect(tmp_path / "db-1.guilds" / f"{guild}.db")  # a running bot's connection
    try:
        holder.execute("PRAGMA journal_mode = WAL")
        holder.execute("SELECT count(*) FROM articles").fetchone()
        assert shards.main(["--db", template, "--shard-count", "4", "move-guilds"]) == 1
        assert "is the bot running?" in capsys.readouterr().err
        assert (tmp_path / "db-1.guilds" / f"{guild}.db").exists()
    finally:
        holder.close()
