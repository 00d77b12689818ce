"""Sharded operation (issue 5): two real bot processes, one per shard, against one stand-in.

Each process runs ``python -m bot`` with ``SHARD_COUNT=2`` and its own ``SHARD_IDS``, and keeps its guilds'
articles in its own database (``ARTICLEBOT_DB=.../articlebot-{shard}.db``). The stand-in routes every guild
event to the shard that owns the guild, ``(guild_id >> 22) % 2``, as Discord does.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from .e2e_support import SEED_QUESTION, process_env, start_bot_process, stop_bot_process
from .fakediscord import FakeDiscord

pytestmark = pytest.mark.asyncio

SHARDS = 2


def titles(db: Path) -> dict[str, str]:
    """title -> scope of every article in a database and its guild files (read-only, while the bot runs)."""
    found = {}
    for path in [db, *sorted(db.with_name(db.stem + ".guilds").glob("*.db"))]:
        if not path.exists():
            continue
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found.update(conn.execute("SELECT title, scope FROM articles"))
        finally:
            conn.close()
    return found


def article(name: str) -> bytes:
    return (f"{name} harbour report\n\nThe {name} harbour master counted forty ferries in the {name} harbour "
            f"this winter, a record for {name}.").encode()


@pytest.mark.fake_options(shard_count=SHARDS)
async def test_two_shard_processes_each_answer_only_their_own_guilds(fake: FakeDiscord, tmp_path: Path):
    # One guild per shard: snowflakes whose (id >> 22) % 2 is 0 and 1.
    ids = [fake.ids.next(at_ms=1_700_000_000_000), fake.ids.next(at_ms=1_700_000_000_001)]
    assert [(i >> 22) % SHARDS for i in ids] == [0, 1]
    guilds = [fake.add_guild(f"shard{n}-guild", guild_id=gid) for n, gid in enumerate(ids)]
    channels = [g.add_channel("general") for g in guilds]
    member = fake.make_user("dana")
    for g in guilds:
        g.add_member(member)

    template = str(tmp_path / "articlebot-{shard}.db")
    dbs = [tmp_path / f"articlebot-{n}.db" for n in range(SHARDS)]
    procs = []
    outputs = ["", ""]
    answered_by: list[list[str]] = [[], []]  # interaction ids asked in each shard's guild
    try:
        for shard in range(SHARDS):
            # (LOG_LEVEL=DEBUG: each process logs the interactions it receives and answers.)
            env = process_env(fake, template, SHARD_COUNT=str(SHARDS), SHARD_IDS=str(shard), LOG_LEVEL="DEBUG",
                              SYNC_COMMANDS="1" if shard == 0 else "0")  # one process syncs the commands
            procs.append(await start_bot_process(env, tmp_path))
        await fake.wait_connected(SHARDS, timeout=60)
        await fake.wait_until(lambda: None in fake.commands, 30, "global commands synced by shard 0's process")

        # Each process identified exactly its own shard, once.
        assert sorted(c.shard for c in fake.connections) == [(0, SHARDS), (1, SHARDS)]
        assert fake.identify_count == SHARDS
        # Each process opened its own database, and each new database got the bundled (shared) sample.
        for db in dbs:
            assert db.is_file()
            assert list(titles(db).values()) == ["shared"]

        for shard, (guild, channel) in enumerate(zip(guilds, channels)):
            # The seed question is answered in every guild (the sample is in every shard's database)...
            asked = await fake.slash(channel, member, "ask", question=SEED_QUESTION)
            msg = await asked.wait_message(timeout=30)
            assert "**Interpol" in msg["embeds"][0]["description"]
            # ...and the interaction reached only the connection of the guild's shard.
            delivered = [s for d, s, f in fake.gateway_log
                         if d == "out" and f.get("t") == "INTERACTION_CREATE" and f["d"]["id"] == str(asked.id)]
            assert delivered == [shard]
            answered_by[shard].append(str(asked.id))

            # An article added in the guild is stored only in that shard's database...
            name = f"Shard{shard}ville"
            added = await fake.slash(channel, guild.owner, "article add",
                                     file=fake.upload(channel, f"{name}.txt", article(name)))
            assert "Added article" in (await added.wait_message(timeout=30))["content"]
            mine, other = titles(dbs[shard]), titles(dbs[1 - shard])
            assert mine.get(f"{name} harbour report") == str(guild.id)
            assert f"{name} harbour report" not in other
            # ...which is where the answer comes from: only this shard's process can know it.
            found = await fake.slash(channel, member, "ask", question=f"how many ferries in the {name} harbour")
            answer = await found.wait_message(timeout=30)
            assert answer["embeds"] and answer["embeds"][0]["title"] == f"{name} harbour report"
            answered_by[shard].append(str(found.id))
            # The other guild (the other process) does not see it.
            elsewhere = await fake.slash(channels[1 - shard], member, "ask", question=f"{name} harbour ferries")
            shown = await elsewhere.wait_message(timeout=30)
            assert all(e["title"] != f"{name} harbour report" for e in shown["embeds"])
    finally:
        outputs = list(await asyncio.gather(*(stop_bot_process(p) for p in procs)))

    for shard, (proc, text) in enumerate(zip(procs, outputs)):
        assert proc.returncode == 0, text
        assert "Traceback" not in text, text
        assert f"articlebot-{shard}.db (shards {shard} of {SHARDS})" in text, text
        assert fake.token not in text
        # This process received and answered its guild's interactions (discord.py logs each callback
        # with the interaction id), and never the other guild's.
        for iid in answered_by[shard]:
            assert f"/interactions/{iid}/" in text
        for iid in answered_by[1 - shard]:
            assert iid not in text
