"""Which feeds a bot process checks (bot/cogs/feeds.py): with shards, each process only its own servers',
and the shared scope's only in the process that runs shard 0 (so no shared feed is checked twice)."""

from __future__ import annotations

from types import SimpleNamespace

from bot.cogs.feeds import Feeds


def cog(shards: tuple[int, ...]) -> Feeds:
    bot = SimpleNamespace(guilds=[SimpleNamespace(id=5), SimpleNamespace(id=7)],
                          settings=SimpleNamespace(process_shards=shards), engine=SimpleNamespace(corpus=None))
    return Feeds(bot)  # type: ignore[arg-type]


def test_a_process_checks_its_own_servers_and_only_shard_0_the_shared_feeds():
    assert cog((1,))._scopes() == ["5", "7"]
    assert cog((2, 3))._scopes() == ["5", "7"]
    assert cog((0,))._scopes() == ["5", "7", "shared"]
    assert cog((0, 1))._scopes() == ["5", "7", "shared"]
