"""The background worker that gives new paragraphs their sentence vectors.

An added article is searchable by its words at once; its vectors follow from one child process that keeps
the sentence model loaded. The files with paragraphs still missing a vector are served in turn, one batch
(corpus.sentence_model.embedding.BATCH paragraphs) from each, in the order their work arrived: a server
adding at its limit cannot keep another's new paragraph waiting for more than one of its batches. A
process, not a thread: loading the model and preparing its input hold Python's GIL for seconds at a time,
which in the bot's process would stop the event loop. The child runs at a lower CPU priority and the
model on one core, so questions keep the other.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import sqlite3
import threading
from collections import OrderedDict
from typing import Optional

from corpus.errors import CorpusError

log = logging.getLogger("articlebot.vectors")
EVERY_FILE = "*"
SHARED = "shared"
STOP = None


class _Turns:
    """The files with work, in the order it arrived; each served one batch, then sent to the back, behind
    the work that arrived during that batch too (the worker adds it before the next batch)."""

    def __init__(self, corpus) -> None:
        self.corpus = corpus
        self.embedder = corpus.semantic.embedder()
        self._order: OrderedDict[str, None] = OrderedDict()
        self._again: Optional[str] = None  # the file just served, which had a full batch: it may have more

    def __bool__(self) -> bool:
        return bool(self._order) or self._again is not None

    def add(self, target: str) -> None:
        if target == EVERY_FILE:  # after a start or a model change: every file, shared first
            for scope in [SHARED, *self.corpus.guild_ids()]:
                self._order.setdefault(scope)
        else:
            self._order.setdefault(target)  # already waiting: it keeps its place

    def serve_one(self) -> int:
        """One batch from the file whose turn it is; the file goes to the back if it has more."""
        if self._again is not None:
            self._order.setdefault(self._again)
            self._again = None
        scope, _ = self._order.popitem(last=False)
        try:
            store = self.corpus.store_of_scope(scope)
            done = self.embedder.fill_batch(store) if store is not None else 0
        except sqlite3.Error as exc:  # one damaged or foreign file must not stop every other guild's vectors
            return self._skip(self.corpus.explain(exc, self.corpus.file_of_scope(scope)))
        except CorpusError as exc:  # opening it said why (it names the file)
            return self._skip(exc)
        except Exception as exc:
            return self._skip(f"{self.corpus.file_of_scope(scope)}: {exc}")
        if done >= self.embedder.batch:  # a full batch: there may be more (a new add schedules it anyway)
            self._again = scope
        return done

    @staticmethod
    def _skip(error) -> int:
        log.error("%s (no vectors made for it; the other files are served)", error)
        return 0


def _embed_forever(db_path: str, jobs, idle, bot: int) -> None:
    """The child: take guild ids (or EVERY_FILE) off the queue and serve their files in turn."""
    with contextlib.suppress(AttributeError, OSError):
        os.nice(5)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the bot, which then stops this process
    from corpus import Corpus

    def bot_gone() -> bool:  # a SIGKILLed bot cannot stop its child: the child notices and ends
        return os.getppid() != bot

    corpus = Corpus.open(db_path)
    try:
        if corpus.semantic.embedder() is None:
            log.error("no vectors: searching by meaning is %s", corpus.semantic.status)
            return
        turns = _Turns(corpus)
        embedded = 0
        while not bot_gone():
            try:  # between batches, only look for more work; wait for it when there is none
                target = jobs.get_nowait() if turns else jobs.get(timeout=0.2)
            except queue.Empty:
                if turns:
                    embedded += turns.serve_one()
                    continue
                if embedded:
                    log.info("embedded %d paragraphs (%s)", embedded, corpus.semantic.status)
                    embedded = 0
                idle.set()
                continue
            if target is STOP:
                return
            turns.add(str(target))
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

    def schedule(self, guild_id: Optional[int | str]) -> None:
        with self._lock:
            self._idle.clear()
            self._jobs.put(SHARED if guild_id is None else str(guild_id))

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
