"""The bot's settings, read like every other through corpus.settings: the environment merged over the
``.env`` in the working directory (the environment wins). Nothing here logs the token."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

from corpus import settings as loader
from corpus.settings import SettingsError  # bot.main and bot.shards catch it from here

DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"
SHARD_PLACEHOLDER = "{shard}"  # in ARTICLEBOT_DB: one database per shard process (see docs/scaling.md)


def shard_label(shard_ids) -> str:
    return "-".join(str(i) for i in sorted(shard_ids))


def database_path(template: Optional[str], shard_ids) -> Optional[str]:
    """``template`` with ``{shard}`` replaced by the shard ids joined by ``-`` (``articlebot-{shard}.db`` ->
    ``articlebot-0.db``, or ``articlebot-0-1.db`` for a process running shards 0 and 1)."""
    if template is None or SHARD_PLACEHOLDER not in template:
        return template
    return template.replace(SHARD_PLACEHOLDER, shard_label(shard_ids))


def _ids(name: str, value: str) -> frozenset[int]:
    out = set()
    for part in re.split(r"[\s,]+", value.strip()):
        if not part:
            continue
        if not part.isdigit():
            raise SettingsError(f"{name}: {part!r} is not a Discord ID (a number; enable Developer Mode and 'Copy ID')")
        out.add(int(part))
    return frozenset(out)


def _int(name: str, value: str, *, minimum: int = 0) -> int:
    try:
        n = int(value)
    except ValueError:
        raise SettingsError(f"{name}: {value!r} is not a whole number") from None
    if n < minimum:
        raise SettingsError(f"{name}: must be at least {minimum}")
    return n


def _url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    value = value.strip()
    if not value.startswith(tuple(s + "://" for s in schemes)):
        raise SettingsError(f"{name}: {value!r} must start with {' or '.join(s + '://' for s in schemes)}")
    return value


@dataclass(frozen=True)
class Settings:
    token: Optional[str] = field(default=None, repr=False)
    db: Optional[str] = None
    ask_channel_ids: frozenset[int] = frozenset()
    dev_guild_id: Optional[int] = None
    log_level: str = "INFO"
    shard_count: Optional[int] = None
    shard_ids: Optional[tuple[int, ...]] = None
    api_base: str = DEFAULT_API_BASE
    gateway_url: str = DEFAULT_GATEWAY_URL
    ask_cooldown_rate: int = 5
    ask_cooldown_per: float = 30.0
    sync_commands: bool = True

    @property
    def wants_message_content(self) -> bool:
        """The privileged message-content intent is requested only when ask channels are configured."""
        return bool(self.ask_channel_ids)

    @property
    def sharded(self) -> bool:
        return self.shard_count is not None and self.shard_count > 1

    @property
    def process_shards(self) -> tuple[int, ...]:
        """The shard ids this process runs: ``SHARD_IDS``, else all of ``SHARD_COUNT``, else shard 0."""
        if self.shard_ids:
            return tuple(sorted(self.shard_ids))
        if self.shard_count:
            return tuple(range(self.shard_count))
        return (0,)

    @property
    def shard_label(self) -> str:
        """What ``{shard}`` in ``ARTICLEBOT_DB`` becomes: the process's shard ids joined by ``-``
        (``0``; ``1``; ``0-1`` for a process running shards 0 and 1; ``0`` for an unsharded bot)."""
        return shard_label(self.process_shards)

    @property
    def database(self) -> Optional[str]:
        """The database file for this process: ``db`` with ``{shard}`` replaced by :attr:`shard_label`
        (None: the engine's default, ``./articlebot.db``)."""
        return database_path(self.db, self.process_shards)

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None, dotenv: Optional[Path] = None) -> "Settings":
        """``env`` replaces the environment and ``dotenv`` the ``./.env`` path (tests); the defaults are
        what the bot, ``articlebot run`` and ``python -m bot.shards`` use."""
        e = loader.load_env(env, dotenv)
        engine = loader.EngineSettings.load(e)  # checked here too: a bad engine setting stops the bot at startup

        def get(name: str) -> Optional[str]:
            return loader.get(name, e)

        level = (get("LOG_LEVEL") or "INFO").upper()
        if not isinstance(logging.getLevelName(level), int):
            raise SettingsError(f"LOG_LEVEL: {level!r} is not one of DEBUG, INFO, WARNING, ERROR")
        shard_count = _int("SHARD_COUNT", get("SHARD_COUNT"), minimum=1) if get("SHARD_COUNT") else None
        shard_ids = None
        if get("SHARD_IDS"):
            if shard_count is None:
                raise SettingsError("SHARD_IDS: set SHARD_COUNT too")
            shard_ids = tuple(sorted(_ids("SHARD_IDS", get("SHARD_IDS") or "")))
            if any(s >= shard_count for s in shard_ids):
                raise SettingsError(f"SHARD_IDS: every id must be below SHARD_COUNT ({shard_count})")
        rate, per = 5, 30.0
        if get("ASK_COOLDOWN"):
            m = re.fullmatch(r"(\d+)\s*/\s*(\d+(?:\.\d+)?)", get("ASK_COOLDOWN") or "")
            if not m or int(m.group(1)) < 1:
                raise SettingsError("ASK_COOLDOWN: write it as QUESTIONS/SECONDS, e.g. 5/30")
            rate, per = int(m.group(1)), float(m.group(2))
        dev = get("DEV_GUILD_ID")
        return cls(
            token=get("DISCORD_TOKEN"),
            db=engine.db,
            ask_channel_ids=_ids("ASK_CHANNEL_IDS", get("ASK_CHANNEL_IDS") or ""),
            dev_guild_id=_int("DEV_GUILD_ID", dev) if dev else None,
            log_level=level,
            shard_count=shard_count,
            shard_ids=shard_ids,
            api_base=_url("DISCORD_API_BASE", get("DISCORD_API_BASE") or DEFAULT_API_BASE, ("https", "http")).rstrip("/"),
            gateway_url=_url("DISCORD_GATEWAY_URL", get("DISCORD_GATEWAY_URL") or DEFAULT_GATEWAY_URL, ("wss", "ws")),
            ask_cooldown_rate=rate,
            ask_cooldown_per=per,
            sync_commands=loader.flag("SYNC_COMMANDS", True, e),
        )
