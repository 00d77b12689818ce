"""Unit tests for bot/settings.py and bot/cooldown.py."""

from __future__ import annotations

import pytest

from bot.cooldown import AskCooldown, UserCooldown
from bot.settings import DEFAULT_API_BASE, DEFAULT_GATEWAY_URL, Settings, SettingsError
from corpus.settings import parse_dotenv


def test_dotenv_parsing():
    text = """
# comment
export DISCORD_TOKEN="abc.def"   
ASK_CHANNEL_IDS=1, 2 3  # trailing comment
LOG_LEVEL='debug'
not a line
EMPTY=
"""
    assert parse_dotenv(text) == {"DISCORD_TOKEN": "abc.def", "ASK_CHANNEL_IDS": "1, 2 3", "LOG_LEVEL": "debug", "EMPTY": ""}


def test_environment_wins_over_dotenv(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DISCORD_TOKEN=from-file\nDEV_GUILD_ID=42\nSHARD_COUNT=2\n")
    s = Settings.from_env({"DISCORD_TOKEN": "from-env"}, dotenv=env_file)
    assert s.token == "from-env" and s.dev_guild_id == 42 and s.shard_count == 2 and s.sharded
    assert s.api_base == DEFAULT_API_BASE and s.gateway_url == DEFAULT_GATEWAY_URL
    assert "from-env" not in repr(s)


def test_defaults_and_intent_choice(tmp_path):
    s = Settings.from_env({}, dotenv=tmp_path / "missing")
    assert s.token is None and not s.wants_message_content and not s.sharded
    s = Settings.from_env({"ASK_CHANNEL_IDS": "123,456"}, dotenv=tmp_path / "missing")
    assert s.ask_channel_ids == {123, 456} and s.wants_message_content


@pytest.mark.parametrize(
    "env, name",
    [
        ({"ASK_CHANNEL_IDS": "general"}, "ASK_CHANNEL_IDS"),
        ({"DEV_GUILD_ID": "x"}, "DEV_GUILD_ID"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT"),
        ({"SHARD_IDS": "0"}, "SHARD_IDS"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "2"}, "SHARD_IDS"),
        ({"DISCORD_API_BASE": "ftp://x"}, "DISCORD_API_BASE"),
        ({"DISCORD_GATEWAY_URL": "http://x"}, "DISCORD_GATEWAY_URL"),
        ({"ASK_COOLDOWN": "fast"}, "ASK_COOLDOWN"),
    ],
)
def test_bad_values_name_the_variable(env, name, tmp_path):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(env, dotenv=tmp_path / "missing")


def test_endpoints_and_cooldown(tmp_path):
    s = Settings.from_env(
        {"DISCORD_API_BASE": "http://127.0.0.1:9/api/v10/", "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9/gateway",
         "ASK_COOLDOWN": "2/7.5", "SYNC_COMMANDS": "0"},
        dotenv=tmp_path / "missing",
    )
    assert s.api_base == "http://127.0.0.1:9/api/v10" and s.gateway_url == "ws://127.0.0.1:9/gateway"
    assert (s.ask_cooldown_rate, s.ask_cooldown_per, s.sync_commands) == (2, 7.5, False)


def test_cooldown_sliding_window():
    now = [100.0]
    cd = UserCooldown(2, 10, clock=lambda: now[0])
    assert cd.hit(1) == 0 and cd.hit(1) == 0
    assert cd.hit(1) == pytest.approx(10)
    assert cd.hit(2) == 0  # per user
    now[0] += 4
    with pytest.raises(AskCooldown) as err:
        cd.check(1)
    assert err.value.retry_after == pytest.approx(6) and "6 seconds" in err.value.friendly
    now[0] += 6.01
    assert cd.hit(1) == 0


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"ARTICLEBOT_DB": "data/articlebot-{shard}.db"}, "data/articlebot-0.db"),  # unsharded: shard 0
        ({"ARTICLEBOT_DB": "articlebot-{shard}.db", "SHARD_COUNT": "2", "SHARD_IDS": "1"}, "articlebot-1.db"),
        ({"ARTICLEBOT_DB": "articlebot-{shard}.db", "SHARD_COUNT": "4", "SHARD_IDS": "3,1"}, "articlebot-1-3.db"),
        ({"ARTICLEBOT_DB": "articlebot-{shard}.db", "SHARD_COUNT": "3"}, "articlebot-0-1-2.db"),  # all shards
        ({"ARTICLEBOT_DB": "plain.db", "SHARD_COUNT": "2", "SHARD_IDS": "1"}, "plain.db"),  # one shared file
        ({}, None),  # the engine's default, ./articlebot.db
    ],
)
def test_shard_placeholder_in_the_database_path(tmp_path, env, expected):
    assert Settings.from_env(env, dotenv=tmp_path / "missing").database == expected


def test_run_db_argument_overrides_settings_only_when_given(tmp_path, monkeypatch):
    """``articlebot --db X run`` calls run(db=X); ``articlebot run`` calls run(db=None): settings decide."""
    import bot.main as main

    seen = []

    async def fake_main(settings):
        seen.append(settings)

    monkeypatch.setattr(main, "_main", fake_main)
    monkeypatch.setattr(main.discord.utils, "setup_logging", lambda **kwargs: None)
    monkeypatch.chdir(tmp_path)
    for name in ("ARTICLEBOT_DB", "SHARD_COUNT", "SHARD_IDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISCORD_TOKEN", "t")
    monkeypatch.setenv("ARTICLEBOT_DB", "from-env-{shard}.db")
    assert main.run(db=None) == 0 and seen[-1].database == "from-env-0.db"
    assert main.run() == 0 and seen[-1].database == "from-env-0.db"
    assert main.run(db="cli.db") == 0 and seen[-1].database == "cli.db"
    monkeypatch.setenv("SHARD_COUNT", "2")
    monkeypatch.setenv("SHARD_IDS", "1")
    assert main.run(db="cli-{shard}.db") == 0 and seen[-1].database == "cli-1.db"


def test_cli_run_passes_db(monkeypatch):
    import bot.main as main
    from corpus import cli

    seen = []
    monkeypatch.setattr(main, "run", lambda argv=None, *, db=None: seen.append(db) or 0)
    assert cli.main(["run"]) == 0 and cli.main(["--db", "x.db", "run"]) == 0
    assert seen == [None, "x.db"]
