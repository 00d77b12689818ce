"""Reading untrusted articles in worker processes, each job with a time limit.

Extraction (decoding, Markdown and HTML parsing, fetching) runs on text anyone who can add an article
controls. Python's ``re`` and lxml hold the GIL while they work, so in a thread of the bot's process a
slow input would stop the event loop: no heartbeat, no ``/ask`` acknowledged. Here each job runs in a
separate process (a single-worker ``ProcessPoolExecutor``, the *slot*, started with ``spawn``), so the
bot's process never runs it. The number of slots is bounded; a job waits for a free slot, and a job that
runs past its time limit has its process killed and its slot replaced, so one bad file costs one slot for
the limit and nothing else.

Waiting jobs are served server by server in turn (:mod:`bot.fair`): ``run_for(owner, ...)`` names the
server a job is for, so one server's adds delay another's by at most one job, and a server's first job
is never refused for the others' load. Fetching a URL is not done here (it only waits on the network:
:mod:`bot.fetching`); the fetched page is parsed here like a file.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import multiprocessing
import os
import signal
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Optional

from corpus.errors import IngestError

from .fair import Owner, Turns, TurnsFull

log = logging.getLogger(__name__)


class ReadTimeout(IngestError):
    """The job ran past its time limit; its worker process was killed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"reading it took longer than {seconds:g} seconds, so I stopped "
                         "(the page or file may be malformed or very slow to parse)")
        self.seconds = seconds


class ReaderBusy(IngestError):
    """Too many jobs are already waiting for a slot."""

    def __init__(self) -> None:
        super().__init__("I'm reading many articles for other servers right now; try again in a minute")


class ReaderCrashed(IngestError):
    def __init__(self) -> None:
        super().__init__("the article reader crashed on it (it may be too large or malformed)")


def _worker_init(bot: int) -> None:
    """In each new worker: a lower CPU priority (asks in the bot's process come first on a busy machine),
    the end of the worker with the bot's, and the extraction modules imported once, not on the first job."""
    from corpus.children import end_with_parent

    with contextlib.suppress(AttributeError, OSError):
        os.nice(5)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the bot, which then stops its workers
    end_with_parent(bot)  # a SIGKILLed bot cannot
    import corpus.reading.fetch  # noqa: F401
    import corpus.reading.ingest  # noqa: F401
    with contextlib.suppress(ImportError):
        import trafilatura  # noqa: F401  (slow to import; HTML needs it)


ENV_PREFIX = "ARTICLEBOT_"  # the engine's settings (private URLs, fetch timeout) read from the environment


def _call_with_env(env: dict[str, str], fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """In the worker: the engine settings of the bot's process as they are now, then ``fn``. (A worker
    lives on between jobs, so what it inherited at start may be stale.)"""
    for name in [n for n in os.environ if n.startswith(ENV_PREFIX) and n not in env]:
        del os.environ[name]
    os.environ.update(env)
    return fn(*args, **kwargs)


def _engine_env() -> dict[str, str]:
    return {n: v for n, v in os.environ.items() if n.startswith(ENV_PREFIX)}


class _Slot:
    """One worker process behind a single-worker executor; ``pid`` is known once it has started."""

    START_SECONDS = 60  # spawning and importing; only a machine in trouble takes this long

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a process with threads and sockets
        self.executor = concurrent.futures.ProcessPoolExecutor(1, mp_context=context, initializer=_worker_init,
                                                               initargs=(os.getpid(),))
        self.pid: Optional[int] = None

    async def start(self) -> None:
        self.pid = await asyncio.wait_for(asyncio.wrap_future(self.executor.submit(os.getpid)), self.START_SECONDS)

    def stop(self, *, kill: bool) -> None:
        """Let the worker exit; ``kill``: stop it now, whatever it is doing (only while it is known to be
        running: the pid of a worker that died and was reaped may belong to another process by now)."""
        if kill and self.pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, signal.SIGKILL)
        self.executor.shutdown(wait=False, cancel_futures=True)


class ReaderPool:
    """At most ``workers`` jobs at once, each in its own process; those beyond wait, served by owner in
    turn. Past ``max_waiting`` waiting jobs, an owner that already has one waiting is refused
    (:class:`ReaderBusy`); an owner with none is always let in line.

    Workers start on first use and are reused; a killed one is replaced by a new one on a later job."""

    def __init__(self, workers: int, *, max_waiting: int) -> None:
        self.workers = workers
        self.max_waiting = max_waiting
        self._idle: list[_Slot] = []
        self._busy: set[_Slot] = set()
        self._turns = Turns(workers, max_waiting=max_waiting)
        self._closed = False

    def pids(self) -> set[int]:
        """The worker processes alive now (idle or busy)."""
        return {s.pid for s in [*self._idle, *self._busy] if s.pid is not None}

    async def run(self, timeout: float, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` in a worker process, for no server in particular (``run_for(None, ...)``)."""
        return await self.run_for(None, timeout, fn, *args, **kwargs)

    async def run_for(self, owner: Owner, timeout: float, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` in a worker process, waiting in ``owner``'s line (a server id) when every
        worker is busy; :class:`ReadTimeout` after ``timeout`` seconds (the worker is killed). What ``fn``
        raises is raised here (it must pickle); ``fn`` must be importable by name (a module-level function)."""
        if self._closed:
            raise RuntimeError("the reader pool is closed")
        try:
            async with self._turns.turn(owner):
                return await self._run_in_slot(timeout, fn, args, kwargs)
        except TurnsFull:
            raise ReaderBusy() from None

    async def _run_in_slot(self, timeout: float, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        slot = self._idle.pop() if self._idle else _Slot()
        self._busy.add(slot)
        healthy, died = False, False
        name = getattr(fn, "__name__", repr(fn))
        try:
            if slot.pid is None:
                try:
                    await slot.start()
                except (asyncio.TimeoutError, BrokenProcessPool):
                    log.error("a reader worker could not start")
                    died = True
                    raise ReaderCrashed() from None
            job = asyncio.wrap_future(slot.executor.submit(_call_with_env, _engine_env(), fn, args, kwargs))
            try:
                done, _ = await asyncio.wait({job}, timeout=timeout)
                if not done:
                    job.cancel()
                    log.warning("%s ran over its %gs limit: killed worker %s", name, timeout, slot.pid)
                    raise ReadTimeout(timeout)
                result = job.result()
            except asyncio.CancelledError:
                job.cancel()
                raise
            except BrokenProcessPool:
                log.error("worker %s died while running %s", slot.pid, name)
                died = True
                raise ReaderCrashed() from None
            except ReadTimeout:
                raise
            except Exception:
                healthy = True  # fn raised (a bad file, a refused URL): the worker is fine
                raise
            healthy = True
            return result
        finally:
            # Anything else (a timeout, a crash, the caller cancelled): the job must not run on.
            self._busy.discard(slot)
            if healthy and not self._closed:
                self._idle.append(slot)
            else:
                slot.stop(kill=not healthy and not died)

    def close(self) -> None:
        """Stop every worker, killing any job still running."""
        self._closed = True
        for slot in self._idle:
            slot.stop(kill=False)
        for slot in self._busy:
            slot.stop(kill=True)
        self._idle.clear()
