"""``articlebot run``: start the bot. ``run()`` returns the process exit code.

Failures a user can fix (no token, a rejected token, a privileged intent not enabled, a bad setting, an
unreachable endpoint) are one line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
import sqlite3
import sys
from typing import Optional, Sequence

import aiohttp
import discord

from .settings import Settings, SettingsError

log = logging.getLogger("bot")

PORTAL = "https://discord.com/developers/applications"
NO_TOKEN = (f"DISCORD_TOKEN is not set: create a bot at {PORTAL} (your app -> Bot -> Reset Token) and put "
            "DISCORD_TOKEN=... in .env or the environment (see .env.example).")
BAD_TOKEN = (f"Discord rejected DISCORD_TOKEN: copy a fresh token from {PORTAL} (your app -> Bot -> Reset Token) "
             "into .env; it is the bot token, not the client secret or application ID.")
NEEDS_INTENT = (f"ASK_CHANNEL_IDS needs the Message Content intent: enable it at {PORTAL} (your app -> Bot -> "
                "Privileged Gateway Intents), or remove ASK_CHANNEL_IDS to answer only /ask and mentions.")


class _Fatal(Exception):
    """A failure with a one-line explanation for the user."""


def _fail(message: str, code: int = 1) -> int:
    print(f"articlebot: {message}", file=sys.stderr)
    return code


async def _main(settings: Settings) -> None:
    from corpus.errors import CorpusError

    from .client import create_bot
    from .engine import Engine

    try:
        engine = await Engine.open(settings.database)
    except (CorpusError, sqlite3.Error, OSError) as exc:
        raise _Fatal(f"cannot open the database {settings.database or '(ARTICLEBOT_DB / ./articlebot.db)'}: {exc}") from None
    log.info("database %s%s", engine.corpus.path,
             f" (shards {settings.shard_label} of {settings.shard_count})" if settings.shard_count else "")
    bot = create_bot(settings, engine=engine)
    loop = asyncio.get_running_loop()

    def stop(sig: signal.Signals) -> None:
        # Close the gateway session and the database cleanly; a second signal stops at once.
        log.info("received %s, shutting down", sig.name)
        loop.remove_signal_handler(sig)
        loop.create_task(bot.close())

    # Ctrl-C, `docker stop`, systemd. (Not just task cancellation: on Python 3.11, asyncio.wait_for can
    # swallow a cancellation that lands while discord.py is connecting, leaving the bot running.)
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop, sig)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
            pass
    async with bot:
        try:
            await bot.start(settings.token or "")
        except discord.LoginFailure:
            raise _Fatal(BAD_TOKEN) from None
        except discord.PrivilegedIntentsRequired:
            raise _Fatal(NEEDS_INTENT) from None
        except discord.ConnectionClosed as exc:
            if exc.code == 4004:
                raise _Fatal(BAD_TOKEN) from None
            if exc.code == 4014:
                raise _Fatal(NEEDS_INTENT) from None
            raise _Fatal(f"the gateway closed the connection (code {exc.code}: {exc.reason or 'no reason'})") from None
        except (aiohttp.ClientConnectionError, discord.GatewayNotFound, OSError) as exc:
            raise _Fatal(f"cannot reach Discord at {settings.api_base} / {settings.gateway_url}: "
                         f"{type(exc).__name__}: {exc}") from None


def run(argv: Optional[Sequence[str]] = None, *, db: Optional[str] = None) -> int:
    """Start the bot with settings from the environment and ``.env``; block until it stops.

    ``db`` (e.g. the CLI's ``--db``) overrides ``ARTICLEBOT_DB``; None (the default) leaves the database to
    the settings. Either may contain ``{shard}`` (see :attr:`Settings.database`). Returns the exit code:
    0 after a clean stop (Ctrl-C, SIGTERM), 1 when Discord refuses or cannot be reached, 2 for a
    configuration error.
    """
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        return _fail(str(exc), 2)
    if db:
        settings = dataclasses.replace(settings, db=str(db))
    if not settings.token:
        return _fail(NO_TOKEN, 2)
    discord.utils.setup_logging(level=getattr(logging, settings.log_level), root=True)
    log.info("starting with %r", settings)  # Settings hides the token in its repr
    try:
        asyncio.run(_main(settings))
    except _Fatal as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
