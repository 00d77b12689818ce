"""The bot's child processes (the vectors process, the workers that read files and pages) end with the
bot, even when the bot is killed outright: nothing else would stop them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

_BOT = """
import sys, time
from bot.vectors import VectorWorker
worker = VectorWorker(sys.argv[1])
worker.start()
print(worker._process.pid, flush=True)
time.sleep(600)
"""


_READER = """
import asyncio, os
from bot.workers import ReaderPool

async def main():
    pool = ReaderPool(1, max_waiting=4)
    print(await pool.run(60, os.getpid), flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for our purpose
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("bot_code", [_BOT, _READER], ids=["vectors process", "file reader"])
def test_a_child_process_ends_when_the_bot_is_killed(tmp_path, bot_code):
    env = {**os.environ, "ARTICLEBOT_SEMANTIC": "0", "PYTHONPATH": str(ROOT)}
    bot = subprocess.Popen([sys.executable, "-c", bot_code, str(tmp_path / "a.db")], stdout=subprocess.PIPE,
                           text=True, env=env, cwd=tmp_path)
    child = int(bot.stdout.readline())
    try:
        assert _alive(child) and child != bot.pid
        bot.send_signal(signal.SIGKILL)
        bot.wait(timeout=10)
        deadline = time.monotonic() + 15
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child), "the child process outlived the bot that was killed"
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)
        bot.stdout.close()
