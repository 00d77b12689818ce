"""No server can take another's share (issue 20, part 4): waiting reads and fetches are served server by
server in turn, and the vector worker takes one batch from each file with work in turn. The end-to-end
versions, through the Discord stand-in, are in tests/e2e/test_e2e_fair_shares.py."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from bot.fair import Turns, TurnsFull
from bot.vectors import VectorWorker, _Turns
from bot.workers import ReaderBusy, ReaderPool
from conftest import FIXTURES
from corpus import Corpus, Document
from corpus.reading.ingest import document_from_path
from corpus.sentence_model.embedding import BATCH


async def served_order(turns: Turns, jobs: list[str]) -> list[str]:
    """The owners in the order their jobs got a place, all queued while the one place is held."""
    order: list[str] = []
    gate = asyncio.Event()

    async def job(owner: str) -> None:
        async with turns.turn(owner):
            order.append(owner)
            await gate.wait() if len(order) == 1 else None

    tasks = []
    for owner in jobs:
        tasks.append(asyncio.create_task(job(owner)))
        await asyncio.sleep(0)  # queued in this order
    gate.set()
    await asyncio.gather(*tasks)
    return order


async def test_waiting_jobs_are_served_one_server_at_a_time():
    order = await served_order(Turns(1, max_waiting=100), ["A", "A", "A", "A", "B", "C", "A", "B"])
    # A's first job held the place; then A, B, C in turn, each never more than one job behind another.
    assert order == ["A", "A", "B", "C", "A", "B", "A", "A"]


async def test_a_servers_first_job_is_let_in_line_however_full_the_list():
    turns = Turns(1, max_waiting=2)
    async with turns.turn("A"):
        waiting = [asyncio.create_task(_hold(turns, "A")) for _ in range(2)]
        await asyncio.sleep(0)
        with pytest.raises(TurnsFull):
            await _hold(turns, "A")  # A already waits: refused past the bound
        late = asyncio.create_task(_hold(turns, "B"))  # B has nothing waiting: let in
        await asyncio.sleep(0)
        assert turns.waiting == 3 and not late.done()
    await asyncio.gather(*waiting, late)
    assert turns.waiting == 0


async def _hold(turns: Turns, owner: str) -> None:
    async with turns.turn(owner):
        await asyncio.sleep(0)


async def test_a_cancelled_waiter_gives_its_place_on():
    turns = Turns(1, max_waiting=10)
    async with turns.turn("A"):
        gone = asyncio.create_task(_hold(turns, "B"))
        kept = asyncio.create_task(_hold(turns, "C"))
        await asyncio.sleep(0)
        gone.cancel()
        await asyncio.sleep(0)
    await asyncio.wait_for(kept, 5)
    assert turns.waiting == 0


def stamp(tag: str, seconds: float) -> tuple[str, float]:
    time.sleep(seconds)
    return tag, time.monotonic()


async def test_the_reader_pool_serves_a_quiet_server_after_one_job_of_a_busy_one():
    pool = ReaderPool(1, max_waiting=16)
    try:
        await pool.run(60, os.getpid)  # the worker is started
        busy = [asyncio.create_task(pool.run_for(111, 60, stamp, f"busy{n}", 0.2)) for n in range(4)]
        await asyncio.sleep(0.05)
        quiet = asyncio.create_task(pool.run_for(222, 60, stamp, "quiet", 0))
        finished = sorted(await asyncio.gather(*busy, quiet), key=lambda r: r[1])
        assert [tag for tag, _ in finished] == ["busy0", "busy1", "quiet", "busy2", "busy3"]
    finally:
        pool.close()


async def test_the_reader_pool_refuses_only_a_server_already_waiting():
    pool = ReaderPool(1, max_waiting=1)
    try:
        running = asyncio.create_task(pool.run_for(111, 60, time.sleep, 1.0))
        await asyncio.sleep(0.3)
        waiting = asyncio.create_task(pool.run_for(111, 60, time.sleep, 0))
        await asyncio.sleep(0)
        with pytest.raises(ReaderBusy):
            await pool.run_for(111, 60, time.sleep, 0)
        other = asyncio.create_task(pool.run_for(222, 60, os.getpid))  # another server: in line
        await asyncio.gather(running, waiting, other)
    finally:
        pool.close()


# -- the vector worker ------------------------------------------------------------------------------

def many_paragraphs(title: str, n: int) -> Document:
    return Document(title=title, paragraphs=[f"Paragraph {i} of {title} reports on the harbour works." for i in range(n)])


@pytest.fixture
def meaning(monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_SEMANTIC", "1")


def test_the_vector_worker_takes_a_batch_from_each_file_in_turn(tmp_path, meaning):
    with Corpus.open(tmp_path / "c.db", load_samples=False) as corpus:
        corpus.add(many_paragraphs("Busy report", 3 * BATCH), guild_id=111)
        corpus.add(Document(title="Quiet news", paragraphs=["The quiet village opened a library."]), guild_id=222)
        turns = _Turns(corpus)
        turns.add("111")  # the busy server's work came first
        turns.add("222")
        assert turns.serve_one() == BATCH  # one batch of the busy file...
        assert turns.serve_one() == 1  # ...then the quiet one's paragraph, not the rest of the busy file
        assert corpus.pending_vectors(222) == []
        assert sum(n for _, n in corpus.pending_vectors(111)) == 2 * BATCH
        # Work that arrives while a batch of the busy file is made goes before that file's next batch.
        assert turns.serve_one() == BATCH
        corpus.add(Document(title="Later news", paragraphs=["The village library lent its first book."]),
                   guild_id=333)
        turns.add("333")
        assert turns.serve_one() == 1 and corpus.pending_vectors(333) == []
        assert turns.serve_one() == BATCH and turns.serve_one() == 0 and not turns


def test_the_start_up_pass_skips_a_foreign_and_a_damaged_file_and_serves_the_others(tmp_path, meaning, capfd):
    from test_cli_errors import damage

    db = tmp_path / "c.db"
    with Corpus.open(db) as corpus:
        for guild, name in ((111, "bbc-business-001.txt"), (222, "bbc-sport-005.txt")):
            corpus.add(document_from_path(FIXTURES / name), guild_id=guild)
    (tmp_path / "c.guilds" / "333.db").write_bytes(os.urandom(5000))
    damage(tmp_path / "c.guilds" / "222.db")
    worker = VectorWorker(str(db))
    worker.start()  # the pass over every file (EVERY_FILE)
    try:
        assert worker.wait_idle(300)
    finally:
        worker.stop()
    with Corpus.open(db) as corpus:
        assert corpus.pending_vectors(111) == [] and corpus.pending_vectors() == []
        assert corpus.stats(111)["vectors"] == corpus.stats(111)["paragraphs"] > 0
    said = [line for line in capfd.readouterr().err.splitlines() if "no vectors made for it" in line]
    assert len(said) == 2, said  # the child's log: one line for each file it skipped, naming it
    assert any("c.guilds/333.db is not an articlebot database" in line for line in said)
    assert any("c.guilds/222.db is damaged" in line for line in said)
