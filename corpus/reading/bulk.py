"""Bulk ingest: many files read and analysed on the other cores while this process stores them.

Reading a file, telling who speaks in it and preparing its words for the index take about three quarters
of an article's ingest and need no database (corpus.storage.store.PreparedArticle); they run in worker processes,
a window of files ahead, and the articles are stored here one by one in the order given. A handful of files
is read here as before: starting the workers costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Iterator

from ..children import end_with_parent
from ..errors import IngestError
from ..storage.store import PreparedArticle
from .ingest import document_from_path, document_from_url, is_url

MIN_FILES = 16  # fewer are read here: the workers' start-up (about a second) would cost more
AHEAD = 32      # files being prepared beyond the one being stored: bounds the memory held


def prepared(sources: list[str], *, title: str | None = None) -> Iterator[tuple[str, PreparedArticle | IngestError]]:
    """Each source, in order, with its prepared article or the reason it cannot be read. URLs are fetched
    here, one at a time (the fetcher's safeguards and limits stay in one place)."""
    workers = max(1, (os.cpu_count() or 1))
    if len(sources) < MIN_FILES or workers < 2:
        yield from ((source, _here(source, title)) for source in sources)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_worker_start, initargs=(os.getpid(),)) as pool:
        pending: deque[tuple[str, Future | None]] = deque()
        for source in sources:
            pending.append((source, None if is_url(source) else pool.submit(_read_and_prepare, source, title)))
            if len(pending) > AHEAD:
                yield _result(*pending.popleft(), title)
        while pending:
            yield _result(*pending.popleft(), title)


def _result(source: str, future: Future | None, title: str | None) -> tuple[str, PreparedArticle | IngestError]:
    if future is None:
        return source, _here(source, title)
    article, error = future.result()
    return source, article if error is None else IngestError(error)


def _here(source: str, title: str | None) -> PreparedArticle | IngestError:
    try:
        doc = document_from_url(source, title=title) if is_url(source) else document_from_path(source, title=title)
        return PreparedArticle.of(doc)
    except IngestError as exc:
        return exc


def _worker_start(parent: int) -> None:
    """A worker leaves the command's output alone (a killed `ingest` piped into another program must end
    that program's input), ignores Ctrl-C (the command handles it and stops its workers), and ends when
    the command is gone."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    end_with_parent(parent)


def _read_and_prepare(source: str, title: str | None) -> tuple[PreparedArticle | None, str | None]:
    """In a worker: the file read and analysed, or why it cannot be (as text: it crosses processes)."""
    try:
        return PreparedArticle.of(document_from_path(source, title=title)), None
    except IngestError as exc:
        return None, str(exc)
