"""Shared pieces of the end-to-end tests: paths, the seed question, a small world of guilds and users."""

from __future__ import annotations

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
