"""The bot under load: N /ask interactions arriving at once through the local Discord stand-in.

A real bot process (``python -m bot``, as ``articlebot run`` starts it) connects to the stand-in
(tests/e2e/fakediscord.py, on 127.0.0.1) in this process; each round dispatches N /ask INTERACTION_CREATE
back to back, from N distinct members (the per-user cooldown would refuse repeats), and waits for every
answer. All times are the stand-in's: from dispatching an interaction to receiving its acknowledgement
(the deferred "thinking..." callback; Discord's deadline is 3 s) and to receiving the follow-up that
shows the answer.

Heartbeats: the bot's heartbeat thread sends through its event loop, so a blocked loop shows as a
heartbeat arriving late (gap longer than the interval). The stand-in also asks for a heartbeat (op 1, as
Discord may) every 50 ms during each burst (at most 60 a minute: the bot's answers go through
discord.py's gateway rate limiter, 110 sends a minute); the bot answers those from its event loop, so their round
trip is the loop's responsiveness under load.

    python benchmarks/bot_load.py                    # 100 at once, 3 rounds, the bundled sample article
    python benchmarks/bot_load.py --n 300 --rounds 5
    python benchmarks/bot_load.py --pending ../shared/bench/bbc/business
        # that folder ingested first without vectors (--no-embed): the bot's background process embeds it
        # while the bursts of questions arrive
    python benchmarks/bot_load.py --db big.db --questions benchmarks/news_questions.jsonl
    python benchmarks/bot_load.py --db scale-n50.db --guild-id 900000000000000001 --questions benchmarks/scale_questions.jsonl
        # an existing database (e.g. `articlebot --db big.db ingest ../shared/bench/bbc`), only read, and a
        # different question for each interaction (JSONL with "question", or one question a line)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.e2e_support import SEED_QUESTION  # noqa: E402
from tests.e2e.fakediscord import FakeDiscord  # noqa: E402
from tests.e2e.load import Prober, answer_time, ask_burst, figures, make_askers, percentile  # noqa: E402


def bot_env(fake: FakeDiscord, db: Path, dev_guild: int) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "ARTICLEBOT_", "ASK_", "SHARD_", "DEV_GUILD", "LOG_LEVEL"))}
    env.update(
        PYTHONPATH=str(ROOT), DISCORD_TOKEN=fake.token, ARTICLEBOT_DB=str(db), DISCORD_API_BASE=fake.api_base,
        DISCORD_GATEWAY_URL=fake.gateway_url, DEV_GUILD_ID=str(dev_guild), LOG_LEVEL="WARNING",
    )
    return env


def _vectors(db: Path) -> str:
    """'V of P paragraphs have vectors', read from the file itself (the bot process holds the engine)."""
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        paragraphs = conn.execute("SELECT count(*) FROM paragraphs").fetchone()[0]
        has = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'embeddings'").fetchone()
        done = conn.execute("SELECT count(*) FROM embeddings").fetchone()[0] if has else 0
    finally:
        conn.close()
    return f"{done} of {paragraphs} paragraphs have vectors"


def load_questions(path: Optional[str], default: str) -> list[str]:
    if not path:
        return [default]
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line:
            out.append(json.loads(line)["question"] if line.startswith("{") else line)
    return out


async def main(args: argparse.Namespace) -> int:
    questions = load_questions(args.questions, args.question)
    fake = FakeDiscord(heartbeat_interval_ms=args.heartbeat_ms)
    await fake.start()
    guild = fake.add_guild("bench", guild_id=args.guild_id)
    channel = guild.add_channel("general")
    tmp = Path(tempfile.mkdtemp(prefix="bot_load-"))
    db = Path(args.db).resolve() if args.db else tmp / "articlebot.db"
    if args.pending:
        ingest = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "corpus", "--db", str(db), "ingest", args.pending, "--no-embed",
            cwd=str(tmp), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        await ingest.wait()
        print(f"pending: {_vectors(db)} (ingested without vectors; the bot embeds them in the background)")
    interval = args.heartbeat_ms / 1000
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=bot_env(fake, db, guild.id), cwd=str(tmp),
        stdout=asyncio.subprocess.DEVNULL, stderr=None if args.bot_log else asyncio.subprocess.PIPE,
    )
    try:
        started = time.monotonic()
        await fake.wait_connected(timeout=120)
        await fake.wait_until(lambda: guild.id in fake.commands, 60, "commands synced")
        print(f"bot process ready in {time.monotonic() - started:.2f} s (database {db})")
        warm = await fake.slash(channel, guild.owner, "ask", question=questions[-1])
        await warm.wait_message(timeout=120)
        print(f"first answer (warm-up) {warm.ack_seconds:.3f} s ack\n")
        if args.pending:  # the bursts start once the background process is storing vectors
            deadline = time.monotonic() + 300
            while _vectors(db).startswith("0 of") and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
            print(f"before the rounds: {_vectors(db)}")
        conn = fake.shard_connection(guild.id)
        all_acks: list[float] = []
        all_answers: list[float] = []
        all_probes: list[float] = []
        max_gap = 0.0
        failures = 0
        for r in range(args.rounds):
            users = make_askers(fake, guild, args.n)
            beats_before = len(conn.heartbeats)
            t0 = time.monotonic()
            async with Prober(fake, conn, every=0.05) as prober:
                offset = (r * args.n) % len(questions)
                burst = await ask_burst(fake, channel, users, (questions[offset:] + questions[:offset]))
                for interaction in burst:
                    await interaction.wait_message(timeout=300)
            wall = time.monotonic() - t0
            probe_rtts = await prober.wait_answered()
            await fake.wait_until(lambda: len(conn.heartbeats) > beats_before, 60, "a heartbeat after the burst")
            f = figures(fake, burst)
            beats = [h.at for h in conn.heartbeats[max(0, beats_before - 1):]]
            gaps = [b - a for a, b in zip(beats, beats[1:])]
            late = [i for i in burst if i.ack_seconds is None or i.ack_seconds >= fake.interaction_timeout]
            failures += len(late) + (f.n - f.answered) + f.errors
            print(f"round {r + 1}: {args.n} at once, all answered in {wall:.2f} s")
            for line in f.lines()[1:]:
                print("  " + line)
            if probe_rtts:
                print(f"  requested heartbeat round trip max {max(probe_rtts):.3f} s, p50 "
                      f"{statistics.median(probe_rtts):.3f} s ({len(probe_rtts)} requests)")
            if gaps:
                print(f"  heartbeat gap max {max(gaps):.3f} s (interval {interval:.3f} s)")
            print(f"  late acknowledgements (>= {fake.interaction_timeout:.0f} s): {len(late)}")
            all_acks += [i.ack_seconds for i in burst if i.ack_seconds is not None]
            all_answers += [t for t in (answer_time(fake, i) for i in burst) if t is not None]
            all_probes += probe_rtts
            max_gap = max([max_gap, *gaps])
        print(f"\noverall ({args.rounds} x {args.n}, {len(set(questions))} distinct question(s), Python "
              f"{platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}):")
        print(f"  ack    slowest {max(all_acks):.3f} s  p50 {percentile(all_acks, 50):.3f} s  "
              f"p95 {percentile(all_acks, 95):.3f} s")
        print(f"  answer slowest {max(all_answers):.3f} s  p50 {percentile(all_answers, 50):.3f} s  "
              f"p95 {percentile(all_answers, 95):.3f} s")
        print(f"  requested heartbeat round trip slowest {max(all_probes, default=float('nan')):.3f} s; heartbeat gap max "
              f"{max_gap:.3f} s (interval {interval:.3f} s)")
        print(f"  late, unanswered or failed: {failures}")
        if args.pending:
            print(f"  vectors after the rounds: {_vectors(db)}")
        return 1 if failures else 0
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(asyncio.TimeoutError):
                _, err = await asyncio.wait_for(proc.communicate(), 30)
                if proc.returncode:
                    sys.stderr.write(err.decode(errors="replace"))
        if proc.returncode is None:
            proc.kill()
        await fake.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100, help="interactions per burst (default 100)")
    parser.add_argument("--rounds", type=int, default=3, help="bursts, each from new members (default 3)")
    parser.add_argument("--heartbeat-ms", type=int, default=1000,
                        help="gateway heartbeat interval (default 1000, so bursts span heartbeats; Discord's is 41250)")
    parser.add_argument("--question", default=SEED_QUESTION, help="the question (default: the seed question)")
    parser.add_argument("--questions", metavar="FILE", help="a different question for each interaction, in turn")
    parser.add_argument("--guild-id", type=int, help="the server's id, e.g. one of the scale benchmark's "
                        "(900000000000000001 ...) so that its own articles are searched too")
    parser.add_argument("--bot-log", action="store_true", help="show the bot's log (warnings and errors)")
    parser.add_argument("--db", help="an existing articlebot database to answer from (default: a new one)")
    parser.add_argument("--pending", metavar="DIR", help="ingest these articles without vectors first, so the "
                        "bot's background process embeds them during the bursts")
    raise SystemExit(asyncio.run(main(parser.parse_args())))
