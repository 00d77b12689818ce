"""Gateway and process-level behaviour: heartbeats during a large ingest, sharding, endpoints from the
environment, token errors."""

from __future__ import annotations

import asyncio
import random
import signal

import pytest

from .e2e_support import SEED_QUESTION, World, build_world, process_env, start_bot_process
from .fakediscord import FakeDiscord

pytestmark = pytest.mark.asyncio

HEARTBEAT_MS = 250


def large_article(paragraphs: int = 1200, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    words = ("council harbour river festival report minister police budget school market weather train "
             "station library museum volunteers bridge ferry").split()
    out = ["Large municipal report on the harbour and the river"]
    for _ in range(paragraphs):
        sentences = [" ".join(rng.choice(words) for _ in range(18)).capitalize() + "." for _ in range(18)]
        out.append(" ".join(sentences))
    return "\n\n".join(out).encode()


@pytest.mark.fake_options(heartbeat_interval_ms=HEARTBEAT_MS)
async def test_heartbeat_acknowledged_on_time_during_a_large_ingest(world: World, start_bot):
    fake = world.fake
    bot = await start_bot()
    data = large_article()
    assert len(data) > 2_500_000
    attachment = fake.upload(world.channel, "report.txt", data)
    interval = HEARTBEAT_MS / 1000

    adding = await fake.slash(world.channel, world.admin, "article add", file=attachment)
    assert (await adding.wait_ack())["type"] == 5
    done = await adding.wait_message(timeout=60)
    assert "(1200 paragraphs)" in done["content"], done["content"]
    started = adding.dispatched_at
    finished = max(r.at for r in fake.requests if adding.token in r.path)

    beats = [h.at for h in fake.heartbeats()]
    during = [t for t in beats if started <= t <= finished]
    # The ingest took several heartbeat intervals (otherwise this test would prove nothing)...
    assert finished - started > 4 * interval, f"ingest took only {finished - started:.2f}s"
    # ...and the bot kept heartbeating through it: no gap anywhere near the time the ingest took (the
    # client sends one every interval; 3 intervals leaves room for a loaded CI machine).
    window = [t for t in beats if t <= finished and t >= started - interval * 2]
    gaps = [b - a for a, b in zip(window, window[1:])]
    assert len(during) >= (finished - started) / interval / 2, (len(during), finished - started)
    assert max(gaps) < 3 * interval, f"heartbeat gap {max(gaps):.3f}s with interval {interval}s"
    # Every heartbeat was acknowledged within the interval, and the session never dropped or resumed.
    assert all(h.acked_at is not None and h.acked_at - h.at < interval for h in fake.heartbeats())
    assert fake.identify_count == 1 and len(fake.connections) == 1 and not fake.connections[0].ws.closed
    assert bot.is_ready() and not bot.is_closed()

    # Answers quoting its long paragraphs stay within Discord's limits (the stand-in enforces them).
    asked = await fake.slash(world.channel, world.member, "ask", question="harbour ferry budget", article="2")
    msg = await asked.wait_message()
    assert sum(len(e.get("description", "")) + len(e.get("title", "")) + len(e["footer"]["text"])
               for e in msg["embeds"]) <= 6000
    assert all(e["description"].endswith("…") for e in msg["embeds"])


async def test_two_shards_each_serve_their_guilds(tmp_path, start_bot, fake: FakeDiscord, monkeypatch):
    # Guild ids whose (id >> 22) % 2 differ, so each shard owns one.
    ids = [fake.ids.next(at_ms=1_700_000_000_000), fake.ids.next(at_ms=1_700_000_000_001)]
    assert {(i >> 22) % 2 for i in ids} == {0, 1}
    guilds = [fake.add_guild(f"g{n}", guild_id=gid) for n, gid in enumerate(ids)]
    channels = [g.add_channel("general") for g in guilds]
    user = fake.make_user("carol")
    for g in guilds:
        g.add_member(user)

    async def no_identify_delay(self, shard_id, *, initial=False):  # Discord spaces IDENTIFYs 5s apart
        return None

    from bot.client import ShardedArticleBot
    monkeypatch.setattr(ShardedArticleBot, "before_identify_hook", no_identify_delay)
    bot = await start_bot(shard_count=2, shards=2)
    assert isinstance(bot, ShardedArticleBot)
    assert sorted(c.shard for c in fake.connections) == [(0, 2), (1, 2)]
    for guild, channel in zip(guilds, channels):
        conn = fake.shard_connection(guild.id)
        asked = await fake.slash(channel, user, "ask", question=SEED_QUESTION)
        msg = await asked.wait_message()
        assert "**Interpol" in msg["embeds"][0]["description"]
        delivered = [f for d, shard, f in fake.gateway_log
                     if d == "out" and f.get("t") == "INTERACTION_CREATE" and f["d"]["id"] == str(asked.id)]
        assert len(delivered) == 1 and conn.shard[0] == (guild.id >> 22) % 2


def _env(fake: FakeDiscord, tmp_path, **extra: str) -> dict:
    return process_env(fake, tmp_path / "proc.db", **extra)


async def _run_bot_process(env: dict, cwd) -> asyncio.subprocess.Process:
    return await start_bot_process(env, cwd)


async def test_run_against_endpoints_from_the_environment(fake: FakeDiscord, tmp_path):
    """`articlebot run` (python -m bot) pointed at the stand-in by DISCORD_API_BASE / DISCORD_GATEWAY_URL."""
    world = build_world(fake)
    (tmp_path / ".env").write_text(f"DEV_GUILD_ID={world.guild.id}\n# a comment\nLOG_LEVEL=debug\n")
    proc = await _run_bot_process(_env(fake, tmp_path), tmp_path)
    try:
        await fake.wait_connected(timeout=60)
        await fake.wait_until(lambda: world.guild.id in fake.commands, 30, "commands synced to the dev guild")
        assert None not in fake.commands  # DEV_GUILD_ID from .env: guild sync only
        asked = await fake.slash(world.channel, world.member, "ask", question=SEED_QUESTION)
        msg = await asked.wait_message(timeout=30)
        assert "**Interpol" in msg["embeds"][0]["description"]
    finally:
        proc.send_signal(signal.SIGTERM)  # docker stop / systemd: a clean shutdown, exit code 0
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    text = (out + err).decode()
    assert proc.returncode == 0, text
    assert fake.token not in text
    assert "Traceback" not in text
    assert "DEBUG" in text  # LOG_LEVEL from .env
    assert fake.connections[0].ws.closed


async def test_ctrl_c_stops_cleanly(fake: FakeDiscord, tmp_path):
    build_world(fake)
    proc = await _run_bot_process(_env(fake, tmp_path), tmp_path)
    try:
        await fake.wait_connected(timeout=60)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0 and b"Traceback" not in err


async def test_rejected_token_is_one_line_not_a_traceback(fake: FakeDiscord, tmp_path):
    proc = await _run_bot_process(_env(fake, tmp_path, DISCORD_TOKEN="not-the-token"), tmp_path)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    text = err.decode()
    assert proc.returncode == 1
    assert "Traceback" not in text and "not-the-token" not in text
    assert text.strip().splitlines()[-1].startswith("articlebot: Discord rejected DISCORD_TOKEN")
    assert not fake.connections  # never reached the gateway


async def test_missing_token_is_one_line(fake: FakeDiscord, tmp_path):
    env = _env(fake, tmp_path)
    del env["DISCORD_TOKEN"]
    proc = await _run_bot_process(env, tmp_path)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("articlebot: DISCORD_TOKEN is not set")
    assert not fake.requests


async def test_ask_channels_without_the_intent_enabled_explain_what_to_do(fake: FakeDiscord, tmp_path):
    fake.allowed_privileged_intents = 0  # Message Content intent not enabled in the developer portal
    world = build_world(fake)
    proc = await _run_bot_process(_env(fake, tmp_path, ASK_CHANNEL_IDS=world.channel["id"]), tmp_path)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    text = err.decode()
    assert proc.returncode == 1 and "Traceback" not in text
    assert text.strip().splitlines()[-1].startswith("articlebot: ASK_CHANNEL_IDS needs the Message Content intent")
