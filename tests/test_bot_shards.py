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
