"""The bot under load (issue 5): 100 /ask interactions arriving at once through the Discord stand-in are all
acknowledged within Discord's 3 seconds and all answered, and heartbeats stay on time.

Timing assertions here are protocol deadlines, checked against the stand-in's recorded timestamps: the
3-second acknowledgement deadline (the stand-in also refuses late callbacks, as Discord does) and the
heartbeat ACK arriving before the next heartbeat is due. The figures are printed (``pytest -s``);
benchmarks/bot_load.py runs the same burst against a real ``python -m bot`` process.
"""

from __future__ import annotations

import discord
import pytest

from .e2e_support import SEED_QUESTION, World
from .load import Prober, ask_burst, figures, make_askers

pytestmark = pytest.mark.asyncio

BURST = 100
HEARTBEAT_MS = 1000


@pytest.mark.fake_options(heartbeat_interval_ms=HEARTBEAT_MS)
async def test_100_asks_at_once_are_acknowledged_in_time_and_answered(world: World, start_bot, monkeypatch):
    fake = world.fake
    interval = HEARTBEAT_MS / 1000

    # The bot's own measure of heartbeat ACK latency (what discord.py reports as ``bot.latency``), for
    # every heartbeat, not only the last one.
    latencies: list[float] = []
    original_ack = discord.gateway.KeepAliveHandler.ack

    def recording_ack(self) -> None:
        original_ack(self)
        latencies.append(self.latency)

    monkeypatch.setattr(discord.gateway.KeepAliveHandler, "ack", recording_ack)

    bot = await start_bot()
    users = make_askers(fake, world.guild, BURST)
    beats_before = len(fake.heartbeats())
    acks_before = len(latencies)

    # While the burst is handled, the stand-in also asks for a heartbeat every few milliseconds (op 1, as
    # Discord may): the bot answers those from its event loop, so no answer may take a heartbeat interval.
    conn = fake.shard_connection(world.guild.id)
    async with Prober(fake, conn, every=0.02) as prober:
        burst = await ask_burst(fake, world.channel, users, SEED_QUESTION)
        assert len({i.id for i in burst}) == BURST
        for interaction in burst:
            await interaction.wait_message(timeout=120)
    probe_times = await prober.wait_answered()
    # One heartbeat interval more, so the heartbeats that straddle the end of the burst are in.
    await fake.wait_until(lambda: len(fake.heartbeats()) >= beats_before + 1, 30, "a heartbeat after the burst")

    # Every interaction was acknowledged ("thinking...") within Discord's 3 seconds of its dispatch.
    for interaction in burst:
        assert interaction.callback is not None and interaction.callback["type"] == 5, interaction.callbacks
        assert interaction.ack_seconds < fake.interaction_timeout, interaction.ack_seconds
    # No late or refused callback: every REST request of the burst succeeded.
    tokens = {i.token for i in burst}
    burst_requests = [r for r in fake.requests if any(t in r.path for t in tokens)]
    assert burst_requests and all(200 <= r.status < 300 for r in burst_requests), \
        [(r.method, r.path, r.status) for r in burst_requests if not 200 <= r.status < 300]

    # Every one was answered, publicly, with the Interpol passages of the seed article.
    for interaction in burst:
        msg = interaction.messages()[0]
        assert msg["content"].startswith("**Question:** " + SEED_QUESTION)
        assert msg["embeds"] and "**Interpol" in msg["embeds"][0]["description"]
        assert msg["_allowed_mentions"]["parse"] == []

    # Heartbeats stayed on time: each ACK reached the bot well before the next heartbeat was due...
    during = latencies[acks_before:]
    assert during, "no heartbeat was acknowledged during the burst"
    assert max(during) < interval, f"heartbeat ACK latency {max(during):.3f}s with interval {interval}s"
    # ...and so did the answers to the stand-in's requests for a heartbeat, all through the burst.
    assert len(probe_times) >= 2
    slowest_probe = max(probe_times)
    assert slowest_probe < interval, f"a requested heartbeat took {slowest_probe:.3f}s (interval {interval}s)"
    # ...the bot kept sending them through the burst, and the session never dropped or resumed.
    beats = [h.at for h in fake.heartbeats()]
    assert len(beats) > beats_before
    gaps = [b - a for a, b in zip(beats, beats[1:])]
    assert all(g < 2 * interval for g in gaps), f"heartbeat gaps {gaps} with interval {interval}s"
    assert fake.identify_count == 1 and len(fake.connections) == 1 and not fake.connections[0].ws.closed
    assert bot.is_ready() and not bot.is_closed()

    f = figures(fake, burst)
    assert f.acked == f.answered == BURST and f.errors == 0
    print("\n" + "\n".join(f.lines()) + f"\nheartbeat ACK latency max {max(during):.3f} s over {len(during)} beats"
          f"\nrequested heartbeat round trip max {slowest_probe:.3f} s over {len(probe_times)} requests")

