"""Shared pieces of the end-to-end tests: paths, the seed question, a small world of guilds and users."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:  # the repository, for `bot` and `corpus` when not installed
    sys.path.insert(0, str(ROOT))

from .fakediscord import MANAGE_GUILD, FakeDiscord, FakeGuild  # noqa: E402

SEED_QUESTION = "what did Kolokoltsev say about Interpol"


@dataclass
class World:
    fake: FakeDiscord
    guild: FakeGuild
    channel: dict
    admin: dict  # has Manage Server through a role
    member: dict  # plain member
    guild2: FakeGuild
    channel2: dict
    admin2: dict


def build_world(fake: FakeDiscord) -> World:
    guild = fake.add_guild("Newsroom")
    channel = guild.add_channel("general")
    mods = guild.add_role("Mods", MANAGE_GUILD)
    admin = fake.make_user("alice")
    guild.add_member(admin, roles=(mods,))
    member = fake.make_user("bob")
    guild.add_member(member)
    guild2 = fake.add_guild("Elsewhere")
    channel2 = guild2.add_channel("lobby")
    admin2 = guild2.owner
    guild2.add_member(member)
    return World(fake, guild, channel, admin, member, guild2, channel2, admin2)


def process_env(fake: FakeDiscord, db, **extra: str) -> dict:
    """The environment for a real bot process (``python -m bot``) pointed at the stand-in."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "ARTICLEBOT_", "ASK_", "SHARD_", "DEV_GUILD", "LOG_LEVEL", "SYNC_"))}
    env.update(
        PYTHONPATH=str(ROOT), DISCORD_TOKEN=fake.token, ARTICLEBOT_DB=str(db),
        DISCORD_API_BASE=fake.api_base, DISCORD_GATEWAY_URL=fake.gateway_url,
    )
    env.update(extra)
    return env


async def start_bot_process(env: dict, cwd) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=env, cwd=str(cwd),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def stop_bot_process(proc: asyncio.subprocess.Process, timeout: float = 30) -> str:
    """SIGTERM (a clean stop), then everything the process wrote to stdout and stderr."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
    return (out + err).decode(errors="replace")
