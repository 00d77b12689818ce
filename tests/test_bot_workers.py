"""bot/workers.py: added articles are read in worker processes, each job with a time limit after which its
worker is killed and replaced (issue #11, part 2)."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from bot.workers import ReaderBusy, ReaderCrashed, ReaderPool, ReadTimeout
from corpus.errors import IngestError
from corpus.reading import ingest


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a killed child not yet reaped is a zombie ("Z")
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


async def test_a_job_over_its_limit_is_killed_and_the_next_job_gets_a_new_worker():
    pool = ReaderPool(1, max_waiting=4)
    try:
        doc = await pool.run(60, ingest.document_from_text, "A title\n\nSome words here.")
        assert doc.paragraphs == ["Some words here."]
        (first,) = pool.pids()
        assert first != os.getpid()  # read in another process

        # A job that ignored its limit would return None after 30 s instead of raising
        with pytest.raises(ReadTimeout, match="took longer than 0.5 seconds, so I stopped"):
            await pool.run(0.5, time.sleep, 30)
        for _ in range(100):
            if not alive(first):
                break
            await asyncio.sleep(0.05)
        assert not alive(first), "the worker that ran over its limit is still running"

        doc = await pool.run(60, ingest.document_from_text, "Another title\n\nMore words.")
        assert doc.title == "Another title"
        assert pool.pids() and first not in pool.pids()
    finally:
        pool.close()


async def test_errors_from_the_reader_reach_the_caller_and_the_worker_is_kept():
    pool = ReaderPool(1, max_waiting=4)
    try:
        with pytest.raises(IngestError, match="unsupported file type .pdf"):
            await pool.run(60, ingest.document_from_bytes, b"%PDF-1.4", "paper.pdf")
        pid = pool.pids()
        await pool.run(60, ingest.document_from_text, "T\n\nText.")
        assert pool.pids() == pid
    finally:
        pool.close()


async def test_jobs_beyond_the_workers_wait_and_beyond_the_queue_are_refused():
    pool = ReaderPool(2, max_waiting=1)
    try:
        running = [asyncio.create_task(pool.run(60, time.sleep, 1.5)) for _ in range(2)]
        waiting = asyncio.create_task(pool.run(60, time.sleep, 0))
        await asyncio.sleep(0.1)
        with pytest.raises(ReaderBusy, match="try again in a minute"):
            await pool.run(60, time.sleep, 0)
        await asyncio.gather(*running, waiting)
        assert len(pool.pids()) == 2  # never more processes than workers
    finally:
        pool.close()


async def test_a_worker_that_dies_is_reported_and_replaced():
    pool = ReaderPool(1, max_waiting=4)
    try:
        with pytest.raises(ReaderCrashed, match="the article reader crashed on it"):
            await pool.run(60, os._exit, 1)  # as if the kernel killed it for its memory
        doc = await pool.run(60, ingest.document_from_text, "A title\n\nSome words here.")
        assert doc.title == "A title"
    finally:
        pool.close()
