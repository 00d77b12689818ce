"""The background worker that gives new paragraphs their sentence vectors.

An added article is searchable by its words at once; its vectors follow from one child process that keeps
the sentence model loaded and works through the files with paragraphs still missing a vector, in the order
guilds added articles. A process, not a thread: loading the model and preparing its input hold Python's
GIL for seconds at a time, which in the bot's process would stop the event loop. The child runs at a lower
CPU priority and the model on one core, so questions keep the other.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import threading
from typing import Optional

log = logging.getLogger("articlebot.vectors")
EVERY_FILE = "*"
STOP = None


def _embed_forever(db_path: str, jobs, idle, bot: int) -> None:
    """The child: take guild ids (or EVERY_FILE) off the queue, fill in their vectors, say when idle."""
    with contextlib.suppress(AttributeError, OSError):
        os.nice(5)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the bot, which then stops this process
    from corpus import Corpus

    def bot_gone() -> bool:  # a SIGKILLed bot cannot stop its child: the child notices and ends
        return os.getppid() != bot

    corpus = Corpus.open(db_path)
    try:
        while not bot_gone():
            try:
                target = jobs.get(timeout=0.2)
            except queue.Empty:
                idle.set()
                continue
            if target is STOP:
                return
            targets = {target}
            while True:  # many adds in a row: one pass over each file they touched
                try:
                    more = jobs.get_nowait()
                except queue.Empty:
                    break
                if more is STOP:
                    return
                targets.add(more)
            for target in targets:
                try:
                    pending = (corpus.pending_vectors(every_file=True) if target == EVERY_FILE
                               else corpus.pending_vectors(None if target == "shared" else target))
                    done = corpus.embed([store for store, _ in pending], should_stop=bot_gone)
                    if done:
                        log.info("embedded %d paragraphs (%s)", done, corpus.semantic.status)
                except Exception:  # one damaged file must not stop every other guild's vectors
                    log.exception("could not embed the paragraphs of %s", target)
    finally:
        corpus.close()


class VectorWorker:
    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        context = multiprocessing.get_context("spawn")
        self._jobs = context.Queue()
        self._idle = context.Event()
        self._process = context.Process(target=_embed_forever, args=(db_path, self._jobs, self._idle, os.getpid()),
                                        name="articlebot-vectors", daemon=True)
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the child, with a pass over every file (vectors missing after a restart or a model change)."""
        self._process.start()
        self.schedule(EVERY_FILE)

    def schedule(self, guild_id: Optional[int]) -> None:
        with self._lock:
            self._idle.clear()
            self._jobs.put("shared" if guild_id is None else guild_id)

    def wait_idle(self, timeout: float) -> bool:
        """True once the child has nothing queued or being embedded (for tests and operators)."""
        return self._idle.wait(timeout)

    def stop(self) -> None:
        if not self._process.is_alive():
            return
        self._jobs.put(STOP)
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout=5)
