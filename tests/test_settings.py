"""Every setting in .env.example, set only through a ``.env`` file in the working directory, reaches the
command line, the bot and the shard tool; the environment wins over ``.env``; bad values are one line."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from operator import attrgetter
from pathlib import Path

import pytest

from bot import shards
from bot.engine import Engine
from bot.settings import Settings
from corpus import cli
from corpus import settings as corpus_settings
from corpus.errors import CorpusError
from corpus.settings import parse_dotenv

from conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_NAMES = set(parse_dotenv((ROOT / ".env.example").read_text(encoding="utf-8")))
ARTICLE_HTML = (FIXTURES / "article.html").read_bytes()
ARTICLE_TITLE = "Harbour bridge reopens after repairs"
STORY = "Lighthouse strike\n\nKeepers walked out on Monday, the union said.\n"

# The bot's own settings, each set through .env alone and read back by the bot's loader.
BOT_CASES = [
    ("DISCORD_TOKEN=tok.from.dotenv", "token", "tok.from.dotenv"),
    ("ASK_CHANNEL_IDS=123, 456", "ask_channel_ids", frozenset({123, 456})),
    ("DEV_GUILD_ID=42", "dev_guild_id", 42),
    ("LOG_LEVEL=debug", "log_level", "DEBUG"),
    ("SHARD_COUNT=4", "shard_count", 4),
    ("SHARD_COUNT=4\nSHARD_IDS=3,1", "shard_ids", (1, 3)),
    ("DISCORD_API_BASE=http://127.0.0.1:9/api/v10/", "api_base", "http://127.0.0.1:9/api/v10"),
    ("DISCORD_GATEWAY_URL=ws://127.0.0.1:9/gateway", "gateway_url", "ws://127.0.0.1:9/gateway"),
    ("ASK_COOLDOWN=2/7.5", "ask_cooldown_rate", 2),
    ("ASK_COOLDOWN=2/7.5", "ask_cooldown_per", 7.5),
    ("SYNC_COMMANDS=0", "sync_commands", False),
    ("ARTICLEBOT_DB=bot-{shard}.db\nSHARD_COUNT=2\nSHARD_IDS=1", "database", "bot-1.db"),
]
# The engine's settings: each has a test below through the real command line and the bot's engine.
ENGINE_NAMES = {"ARTICLEBOT_DB", "ARTICLEBOT_SAMPLES", "ARTICLEBOT_ALLOW_PRIVATE_URLS", "ARTICLEBOT_FETCH_TIMEOUT",
                "ARTICLEBOT_SEMANTIC", "ARTICLEBOT_MODEL",  # these two: tests/test_semantic.py
                "ARTICLEBOT_RERANK",  # tests/test_cross_encoder.py and the test below
                "ARTICLEBOT_CACHE_DIR",
                "ARTICLEBOT_FEED_INTERVAL", "ARTICLEBOT_FEED_HOST_SPACING", "ARTICLEBOT_FEED_TEST_INTERVAL_SECONDS"}


@pytest.fixture(autouse=True)
def _no_settings_in_the_environment(monkeypatch):
    """Only the test's .env sets anything (conftest already chdirs to tmp_path)."""
    for name in EXAMPLE_NAMES:
        monkeypatch.delenv(name, raising=False)


def write_dotenv(folder: Path, text: str) -> None:
    (folder / ".env").write_text(text + "\n", encoding="utf-8")


def articlebot(*args: str, cwd: Path, env_extra: dict | None = None, module: str = "corpus"):
    """The real command line in a fresh process, started in ``cwd`` (where it looks for .env)."""
    env = {k: v for k, v in os.environ.items() if k not in EXAMPLE_NAMES or k == "ARTICLEBOT_SEMANTIC"}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


def titles(db: Path) -> dict[str, str]:
    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("SELECT title, scope FROM articles"))
    finally:
        conn.close()


class _Pages(BaseHTTPRequestHandler):
    """/article at once; /slow after 3 seconds (longer than the test's fetch timeout)."""

    def do_GET(self):
        if self.path == "/slow":
            time.sleep(3)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(ARTICLE_HTML)))
            self.end_headers()
            self.wfile.write(ARTICLE_HTML)
        except OSError:  # the client gave up (timeout test)
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def pages():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# -- the engine's settings through the command line


async def test_dotenv_database_is_the_one_ingest_writes_and_the_bot_serves(tmp_path):
    write_dotenv(tmp_path, "ARTICLEBOT_DB=fromdotenv.db")
    (tmp_path / "story.txt").write_text(STORY)
    out = articlebot("ingest", "story.txt", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith('added #2 "Lighthouse strike"')
    assert (tmp_path / "fromdotenv.db").exists() and not (tmp_path / "articlebot.db").exists()

    settings = Settings.from_env()  # what `articlebot run` starts with, in the same folder
    assert settings.database == "fromdotenv.db"
    engine = await Engine.open(settings.database)
    try:
        assert "Lighthouse strike" in [a.title for a in await engine.articles(None)]
    finally:
        await engine.close()


def test_samples_off_through_dotenv(tmp_path):
    write_dotenv(tmp_path, "ARTICLEBOT_SAMPLES=0")
    out = articlebot("ask", "interpol", cwd=tmp_path)
    assert out.returncode == 1
    assert out.stderr.strip() == "error: the database has no articles: add some with `articlebot ingest PATH_OR_URL`"


def test_allow_private_urls_through_dotenv(tmp_path, pages, capsys):
    url = f"{pages}/article"
    assert cli.main(["ingest", url]) == 1
    assert "refused: 127.0.0.1 is a loopback address" in capsys.readouterr().err
    write_dotenv(tmp_path, "ARTICLEBOT_ALLOW_PRIVATE_URLS=1")
    assert cli.main(["ingest", url]) == 0
    assert capsys.readouterr().out.startswith(f'added #2 "{ARTICLE_TITLE}"')


def test_fetch_timeout_through_dotenv(tmp_path, pages, monkeypatch, capsys):
    monkeypatch.setenv("ARTICLEBOT_ALLOW_PRIVATE_URLS", "1")  # only the timeout comes from .env
    write_dotenv(tmp_path, "ARTICLEBOT_FETCH_TIMEOUT=0.5")
    url = f"{pages}/slow"
    assert cli.main(["ingest", url]) == 1
    assert capsys.readouterr().err.strip() == f"error: {url}: timed out after 0.5 s"


def test_feed_intervals_through_dotenv(tmp_path, capsys):
    """ARTICLEBOT_FEED_INTERVAL schedules the next check; the tests-only setting makes a feed due at once."""
    import time

    from corpus import Corpus
    from corpus.feeds import records
    from feedserver import FeedServer, rss

    with FeedServer() as server:
        url = server.put("/feed.xml", rss("Settings feed", []))
        write_dotenv(tmp_path, "ARTICLEBOT_ALLOW_PRIVATE_URLS=1\nARTICLEBOT_SAMPLES=0\nARTICLEBOT_FEED_INTERVAL=30")
        assert cli.main(["feed", "add", url]) == 0
        with Corpus.open("articlebot.db") as corpus:
            assert records.feeds(corpus.shared)[0].next_check >= time.time() + 29 * 60
        capsys.readouterr()
        assert cli.main(["feed", "poll"]) == 0
        assert "checked 0 feeds" in capsys.readouterr().err  # due in 30 minutes
        write_dotenv(tmp_path, "ARTICLEBOT_ALLOW_PRIVATE_URLS=1\nARTICLEBOT_FEED_TEST_INTERVAL_SECONDS=0.001\n"
                               "ARTICLEBOT_FEED_HOST_SPACING=0")
        assert cli.main(["feed", "poll", "--force"]) == 0  # scheduled by the tests-only interval: due at once
        capsys.readouterr()
        assert cli.main(["feed", "poll"]) == 0
        assert "checked 1 feed:" in capsys.readouterr().err


def test_environment_wins_over_dotenv(tmp_path):
    write_dotenv(tmp_path, "ARTICLEBOT_DB=dotenv.db\nARTICLEBOT_SAMPLES=0")
    (tmp_path / "story.txt").write_text("Lighthouse strike\n\nThe lighthouse keepers went on strike on Monday.\n")
    for db, samples, expected in (("env.db", None, 1), ("env2.db", "1", 2)):  # 1: samples still off, from .env
        env = {"ARTICLEBOT_DB": db, **({"ARTICLEBOT_SAMPLES": samples} if samples else {})}
        assert articlebot("ingest", "story.txt", cwd=tmp_path, env_extra=env).returncode == 0
        stats = json.loads(articlebot("stats", "--json", cwd=tmp_path, env_extra=env).stdout)
        assert Path(stats["path"]).name == db and stats["articles"] == expected
    assert not (tmp_path / "dotenv.db").exists()


@pytest.mark.parametrize("line, message", [
    ("ARTICLEBOT_FETCH_TIMEOUT=abc", 'error: ARTICLEBOT_FETCH_TIMEOUT must be a positive number of seconds, got "abc"'),
    ("ARTICLEBOT_FETCH_TIMEOUT=0", 'error: ARTICLEBOT_FETCH_TIMEOUT must be a positive number of seconds, got "0"'),
    ("ARTICLEBOT_SAMPLES=maybe", 'error: ARTICLEBOT_SAMPLES must be 1 or 0 (or true/false, yes/no, on/off), got "maybe"'),
    ("ARTICLEBOT_FEED_INTERVAL=1", "error: ARTICLEBOT_FEED_INTERVAL must be a number of minutes, at least 5 "
                                   '(feeds are not checked more often), got "1"'),
    ("ARTICLEBOT_FEED_HOST_SPACING=-1", 'error: ARTICLEBOT_FEED_HOST_SPACING must be a number of seconds from 0 to 60, '
                                        'got "-1"'),
    ("ARTICLEBOT_FEED_TEST_INTERVAL_SECONDS=never",
     'error: ARTICLEBOT_FEED_TEST_INTERVAL_SECONDS must be a positive number of seconds, got "never"'),
    ("ARTICLEBOT_ALLOW_PRIVATE_URLS=sure",
     'error: ARTICLEBOT_ALLOW_PRIVATE_URLS must be 1 or 0 (or true/false, yes/no, on/off), got "sure"'),
    ("ARTICLEBOT_DB=articlebot-{shard}.db", "error: articlebot-{shard}.db names one database per shard: give --db "
                                            "the file of one shard, or run the command on every shard with "
                                            "`python -m bot.shards`"),
])
def test_a_bad_value_in_dotenv_is_one_line_naming_it(tmp_path, line, message):
    write_dotenv(tmp_path, line)
    out = articlebot("list", cwd=tmp_path)
    assert out.returncode in (1, 2) and out.stdout == ""
    assert out.stderr.splitlines() == [message]


def test_an_unreadable_dotenv_is_one_line(tmp_path):
    (tmp_path / ".env").mkdir()
    out = articlebot("list", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.splitlines() == ["error: cannot read .env: Is a directory"]


def test_a_line_dotenv_cannot_parse_is_reported_once_and_the_rest_applies(tmp_path):
    write_dotenv(tmp_path, "DISCORD_TOKEN the-token\nARTICLEBOT_SAMPLES=0")
    out = articlebot("ask", "interpol", cwd=tmp_path)
    assert out.returncode == 1
    assert out.stderr.splitlines() == [".env line 1 is not a setting (KEY=value expected): ignored",
                                       "error: the database has no articles: add some with `articlebot ingest PATH_OR_URL`"]
    assert "the-token" not in out.stdout + out.stderr


# -- the bot


@pytest.mark.parametrize("text, attribute, expected", BOT_CASES)
def test_bot_settings_from_dotenv(tmp_path, text, attribute, expected):
    write_dotenv(tmp_path, text)
    assert attrgetter(attribute)(Settings.from_env()) == expected


def test_bot_environment_wins_over_dotenv(tmp_path, monkeypatch):
    write_dotenv(tmp_path, "DISCORD_TOKEN=from-file\nARTICLEBOT_DB=file.db\nDEV_GUILD_ID=42")
    monkeypatch.setenv("DISCORD_TOKEN", "from-env")
    monkeypatch.setenv("ARTICLEBOT_DB", "env.db")
    s = Settings.from_env()
    assert (s.token, s.database, s.dev_guild_id) == ("from-env", "env.db", 42)


async def test_the_bots_engine_uses_the_engine_settings_in_dotenv(tmp_path, pages):
    write_dotenv(tmp_path, "ARTICLEBOT_DB=bot.db\nARTICLEBOT_SAMPLES=0\nARTICLEBOT_ALLOW_PRIVATE_URLS=1\n"
                           "ARTICLEBOT_FETCH_TIMEOUT=0.5")
    engine = await Engine.open(Settings.from_env().database)
    try:
        assert engine.corpus.path.resolve() == tmp_path / "bot.db"
        assert await engine.count_articles(None) == 0  # no sample article
        added = await engine.add_url(f"{pages}/article", guild_id=1, added_by="u")
        assert (added.status, added.title) == ("added", ARTICLE_TITLE)
        with pytest.raises(CorpusError, match=r"^timed out after 0\.5 s$"):
            await engine.add_url(f"{pages}/slow", guild_id=1, added_by="u")
    finally:
        await engine.close()


def test_run_reads_token_and_endpoints_from_dotenv_and_never_prints_the_token(tmp_path):
    with socket.socket() as s:  # a port on 127.0.0.1 with nothing listening: refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "MTIz.secret-token-from-dotenv.xyz"
    out = articlebot("run", cwd=tmp_path)
    assert out.returncode == 2 and "DISCORD_TOKEN is not set" in out.stderr
    write_dotenv(tmp_path, f"DISCORD_TOKEN={token}\nLOG_LEVEL=DEBUG\nDISCORD_API_BASE=http://127.0.0.1:{port}/api/v10\n"
                           f"DISCORD_GATEWAY_URL=ws://127.0.0.1:{port}/")
    out = articlebot("run", cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    assert f"articlebot: cannot reach Discord at http://127.0.0.1:{port}/api/v10" in out.stderr
    assert "Traceback" not in out.stderr
    assert token not in out.stdout + out.stderr and "secret-token" not in out.stdout + out.stderr


def test_run_stops_on_a_bad_engine_setting_in_dotenv(tmp_path):
    write_dotenv(tmp_path, "DISCORD_TOKEN=t\nARTICLEBOT_FETCH_TIMEOUT=soon")
    out = articlebot("run", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.splitlines() == ['articlebot: ARTICLEBOT_FETCH_TIMEOUT must be a positive number of seconds, '
                                       'got "soon"']


# -- the shard tool


def test_shard_tool_uses_dotenv_for_the_engine_too(tmp_path):
    write_dotenv(tmp_path, "ARTICLEBOT_DB=articlebot-{shard}.db\nSHARD_COUNT=2\nARTICLEBOT_SAMPLES=0")
    (tmp_path / "a.txt").write_text("Ferry strike ends\n\nThe ferry strike ended on Monday after talks.\n")
    assert shards.main(["ingest", "a.txt"]) == 0
    for n in range(2):
        assert titles(tmp_path / f"articlebot-{n}.db") == {"Ferry strike ends": "shared"}


def test_model_cache_dir_through_dotenv(tmp_path):
    write_dotenv(tmp_path, "ARTICLEBOT_CACHE_DIR=model-cache\nARTICLEBOT_SEMANTIC=1\nARTICLEBOT_SAMPLES=0")
    (tmp_path / "a.txt").write_text(STORY)
    done = articlebot("ingest", "a.txt", cwd=tmp_path, env_extra={"ARTICLEBOT_SEMANTIC": "1"})
    assert done.returncode == 0, done.stderr
    assert "embedded 1 paragraph" in done.stderr
    assert [p.suffix for p in (tmp_path / "model-cache").iterdir()] == [".graph"]


def test_model_cache_dir_defaults_to_the_users_cache_directory(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "name", "posix")
    monkeypatch.setattr(os, "uname", lambda: os.uname_result(("Linux", "h", "6", "#1", "x86_64")))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert corpus_settings.cache_dir() == tmp_path / "xdg" / "articlebot"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG spec: only absolute paths count
    assert corpus_settings.cache_dir() == tmp_path / "home" / ".cache" / "articlebot"
    write_dotenv(tmp_path, "ARTICLEBOT_CACHE_DIR=~/models")
    assert corpus_settings.cache_dir() == tmp_path / "home" / "models"


# -- the lists stay complete


def test_every_setting_in_env_example_has_a_dotenv_test():
    bot_names = {line.split("=")[0] for text, _, _ in BOT_CASES for line in text.splitlines()}
    assert EXAMPLE_NAMES == bot_names | ENGINE_NAMES


def test_readme_settings_table_lists_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Settings", 1)[1].split("\n\n", 2)[2].split("\n\n", 1)[0]
    named = {word.strip(" `") for row in table.splitlines()[2:] for word in row.split("|")[1].split(",")}
    assert named == EXAMPLE_NAMES


def test_rerank_is_read_from_dotenv_and_off_with_semantic_off(tmp_path, monkeypatch):
    from corpus import settings

    monkeypatch.delenv("ARTICLEBOT_RERANK", raising=False)
    monkeypatch.delenv("ARTICLEBOT_SEMANTIC", raising=False)
    assert settings.rerank({}) is True
    assert settings.rerank({"ARTICLEBOT_RERANK": "0"}) is False
    assert settings.rerank({"ARTICLEBOT_RERANK": "1", "ARTICLEBOT_SEMANTIC": "0"}) is False
    with pytest.raises(settings.SettingsError):
        settings.rerank({"ARTICLEBOT_RERANK": "maybe"})
