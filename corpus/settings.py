"""Every articlebot setting is read here: the environment merged over ``.env`` (the environment wins).

``.env`` is the file of that name in the current working directory, i.e. where ``articlebot`` or the bot
is started. The command line, the bot (bot/settings.py) and ``python -m bot.shards`` all read through
:func:`load_env`, so they agree on the database and on every other setting. Values are read when used,
so a test or a long-lived process sees the file as it is then.

An unusable value raises :class:`SettingsError`, one line naming the setting. Nothing here logs or
echoes ``DISCORD_TOKEN``: it is never validated beyond being present.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from dotenv.parser import parse_stream

from .errors import CorpusError

# No NullHandler: a line of .env that sets nothing is said on stderr by the command line (Python's
# last-resort handler), and in the bot's log.
log = logging.getLogger("articlebot.settings")

DOTENV = ".env"
DEFAULT_FETCH_TIMEOUT = 15.0

DB = "ARTICLEBOT_DB"
SAMPLES = "ARTICLEBOT_SAMPLES"
ALLOW_PRIVATE_URLS = "ARTICLEBOT_ALLOW_PRIVATE_URLS"
FETCH_TIMEOUT = "ARTICLEBOT_FETCH_TIMEOUT"
SEMANTIC = "ARTICLEBOT_SEMANTIC"
MODEL = "ARTICLEBOT_MODEL"
RERANK = "ARTICLEBOT_RERANK"
CACHE_DIR = "ARTICLEBOT_CACHE_DIR"
FEED_INTERVAL = "ARTICLEBOT_FEED_INTERVAL"
FEED_TEST_INTERVAL = "ARTICLEBOT_FEED_TEST_INTERVAL_SECONDS"
FEED_HOST_SPACING = "ARTICLEBOT_FEED_HOST_SPACING"
DEFAULT_FEED_MINUTES = 15.0
MIN_FEED_MINUTES = 5.0
DEFAULT_HOST_SPACING = 1.0
MAX_HOST_SPACING = 60.0

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class SettingsError(CorpusError, ValueError):
    """A setting has a value we cannot use; the message is one line naming the setting."""


def parse_dotenv(text: str, source: str = DOTENV) -> dict[str, str]:
    """``.env`` text as a dict (python-dotenv's format: ``KEY=value``, ``export``, quotes, ``#`` comments).

    ``${VAR}`` is kept as written (no interpolation); a line without ``=`` sets nothing. A line python-dotenv
    cannot read is ignored with one warning naming ``source`` (the file) and the line.
    """
    values: dict[str, str] = {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:  # its text is not shown: it may hold a token
            log.warning("%s line %d is not a setting (KEY=value expected): ignored", source, binding.original.line)
        elif binding.key is not None and binding.value is not None:
            values[binding.key] = binding.value
    return values


def read_dotenv(path: Path) -> dict[str, str]:
    """The settings in ``path``; {} when there is no such file."""
    try:
        stat = path.stat()
        return dict(_parsed(os.path.abspath(path), str(path), stat.st_mtime_ns, stat.st_size))
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise SettingsError(f"cannot read {path}: {exc.strerror or exc}") from None


@functools.lru_cache(maxsize=8)
def _parsed(path: str, shown: str, mtime_ns: int, size: int) -> dict[str, str]:
    """Parsed once per version of the file: a command reads settings several times, and the warning about
    a line that cannot be read should appear once."""
    return parse_dotenv(Path(path).read_text(encoding="utf-8", errors="replace"), shown)


def load_env(env: Optional[Mapping[str, str]] = None, dotenv: Optional[Path] = None) -> dict[str, str]:
    """The environment (``env``, else ``os.environ``) merged over ``.env`` (``dotenv``, else ``./.env``)."""
    merged = read_dotenv(Path(DOTENV) if dotenv is None else dotenv)
    merged.update(os.environ if env is None else env)
    return merged


def get(name: str, env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """A setting's value, stripped; None when unset or blank. ``env``: an already merged mapping."""
    value = (load_env() if env is None else env).get(name)
    return value.strip() if value is not None and value.strip() else None


def _shown(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # quoted, and a newline cannot split the message


def flag(name: str, default: bool, env: Optional[Mapping[str, str]] = None) -> bool:
    value = get(name, env)
    if value is None:
        return default
    if value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise SettingsError(f"{name} must be 1 or 0 (or true/false, yes/no, on/off), got {_shown(value)}")


def seconds(name: str, default: float, env: Optional[Mapping[str, str]] = None) -> float:
    value = get(name, env)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (0 < number < math.inf):
        raise SettingsError(f"{name} must be a positive number of seconds, got {_shown(value)}")
    return number


# -- the engine's settings (the command line and the bot alike)


def db_setting(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """``ARTICLEBOT_DB`` as written (may hold ``{shard}``); None: the default, ./articlebot.db."""
    return get(DB, env)


def load_samples(env: Optional[Mapping[str, str]] = None) -> bool:
    """``ARTICLEBOT_SAMPLES``: whether a newly created database gets the bundled sample article."""
    return flag(SAMPLES, True, env)


def allow_private_urls(env: Optional[Mapping[str, str]] = None) -> bool:
    """``ARTICLEBOT_ALLOW_PRIVATE_URLS``: fetch loopback/private/link-local addresses (unsafe)."""
    return flag(ALLOW_PRIVATE_URLS, False, env)


def fetch_timeout(env: Optional[Mapping[str, str]] = None) -> float:
    """``ARTICLEBOT_FETCH_TIMEOUT``: seconds for fetching one URL, redirects included."""
    return seconds(FETCH_TIMEOUT, DEFAULT_FETCH_TIMEOUT, env)


def semantic(env: Optional[Mapping[str, str]] = None) -> bool:
    """``ARTICLEBOT_SEMANTIC``: search by meaning (sentence vectors) beside the words; 0 = words only."""
    return flag(SEMANTIC, True, env)


def rerank(env: Optional[Mapping[str, str]] = None) -> bool:
    """``ARTICLEBOT_RERANK``: the cross-encoder reads English questions with their best passages; 0 = off.
    ``ARTICLEBOT_SEMANTIC=0`` turns it off too."""
    return flag(RERANK, True, env) and semantic(env)


def model(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """``ARTICLEBOT_MODEL``: a directory with another sentence model (model.onnx + tokenizer.json);
    None: the model the articlebot package installs."""
    return get(MODEL, env)


def cache_dir(env: Optional[Mapping[str, str]] = None) -> Path:
    """``ARTICLEBOT_CACHE_DIR``: where the built sentence model is kept between runs (corpus/sentence_model/model_cache.py);
    default: the user's cache directory, e.g. ``~/.cache/articlebot``."""
    value = get(CACHE_DIR, env)
    return Path(value).expanduser() if value else default_cache_dir()


def default_cache_dir() -> Path:
    """The platform's per-user cache directory for articlebot (what platformdirs would say, in a few lines)."""
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "articlebot" / "Cache"
    if os.uname().sysname == "Darwin":
        return Path.home() / "Library" / "Caches" / "articlebot"
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache") / "articlebot"


def feed_interval(env: Optional[Mapping[str, str]] = None) -> float:
    """Seconds between two checks of a feed: ``ARTICLEBOT_FEED_INTERVAL`` minutes (default 15, at least 5;
    a feed may ask for longer). ``ARTICLEBOT_FEED_TEST_INTERVAL_SECONDS`` replaces it with any number of
    seconds, below the floor too: for tests only, never on a bot that follows real feeds."""
    if get(FEED_TEST_INTERVAL, env) is not None:
        return seconds(FEED_TEST_INTERVAL, 1.0, env)
    value = get(FEED_INTERVAL, env)
    if value is None:
        return DEFAULT_FEED_MINUTES * 60
    try:
        minutes = float(value)
    except ValueError:
        minutes = math.nan
    if not (MIN_FEED_MINUTES <= minutes < math.inf):
        raise SettingsError(f"{FEED_INTERVAL} must be a number of minutes, at least {MIN_FEED_MINUTES:g} "
                            f"(feeds are not checked more often), got {_shown(value)}")
    return minutes * 60


def feed_host_spacing(env: Optional[Mapping[str, str]] = None) -> float:
    """``ARTICLEBOT_FEED_HOST_SPACING``: seconds from one request to a host to the next (feeds and their
    pages), however many servers follow feeds there; default 1, from 0 to 60."""
    value = get(FEED_HOST_SPACING, env)
    if value is None:
        return DEFAULT_HOST_SPACING
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (0 <= number <= MAX_HOST_SPACING):
        raise SettingsError(f"{FEED_HOST_SPACING} must be a number of seconds from 0 to {MAX_HOST_SPACING:g}, "
                            f"got {_shown(value)}")
    return number


@dataclass(frozen=True)
class EngineSettings:
    db: Optional[str] = None
    samples: bool = True
    allow_private_urls: bool = False
    fetch_timeout: float = DEFAULT_FETCH_TIMEOUT
    semantic: bool = True
    model: Optional[str] = None
    feed_interval: float = DEFAULT_FEED_MINUTES * 60
    feed_host_spacing: float = DEFAULT_HOST_SPACING

    @classmethod
    def load(cls, env: Optional[Mapping[str, str]] = None) -> "EngineSettings":
        """All engine settings at once, so a bad one is reported at startup rather than mid-command."""
        e = load_env() if env is None else env
        return cls(db_setting(e), load_samples(e), allow_private_urls(e), fetch_timeout(e), semantic(e), model(e),
                   feed_interval(e), feed_host_spacing(e))
