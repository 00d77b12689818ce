"""Following feeds at scale: N feeds across G guilds on a local feed server, checked by the bot's own
scheduler parts (bot/feeds.py: its fetch threads, the reader worker processes, the writer threads) in
this process, as one bot process would.

Each feed holds 20 entries; each entry's page is a BBC article (../shared/bench/bbc) with a line that
makes it that entry's own. The feed server runs in a child process (its CPU is not the bot's), on H
ports (H hosts: one request in flight per host, ARTICLEBOT_FEED_HOST_SPACING between two).

    1. /ask alone (idle), in a guild that sees the BBC articles of the shared file
    2. a first full cycle (200s, every feed parsed; its entries were seen already, so nothing is read)
    3. a cycle where nothing changed (conditional GET: 304s), then again with /ask running beside it
    4. one new entry published in every feed, and a cycle with /ask beside it: each new page read,
       stored and announced

Printed: each cycle's wall and CPU time (this process + the reader workers), requests per host, the share
of 304s, peak RSS, /ask p50/p99 idle and during cycles, and the targets of issue 21 met or not.

    python benchmarks/feeds.py                                   # 1,000 feeds, 200 guilds, 50 hosts
    python benchmarks/feeds.py --feeds 200 --guilds 40 --hosts 10 # smaller, on a shared machine
    python benchmarks/feeds.py --db /tmp/news.db                 # a copy of a BBC database with vectors
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from benchmarks.common import load_bbc_article  # noqa: E402

ENTRIES = 20
GUILD_BASE = 900_000_000_000_000_000
BBC_DEFAULT = Path("/work/shared/bench/bbc") if Path("/work/shared/bench/bbc").is_dir() else ROOT / ".." / "shared" / "bench" / "bbc"
NEWS_DB = Path("/work/benchdb/news.db")
NEWS_READY = NEWS_DB.with_name("READY")  # the lead's BBC database is complete


# -- the feed server (a child process) -------------------------------------------------------------

def serve(ports: int, feeds: int, bbc: str, head, ready) -> None:
    """Feed f lives on port f % ports: /f/<f>.xml with entries head-19..head, /p/<f>/<i> their pages."""
    import hashlib

    from corpus.children import end_with_parent
    from email.utils import formatdate
    from feedserver import FeedServer, article_page, rss, send

    end_with_parent(os.getppid())
    articles = [load_bbc_article(p) for p in sorted(Path(bbc).glob("*/*.txt"))]
    published = {0: time.time()}
    with FeedServer(ports) as server:
        def feed(handler) -> int:
            f = int(handler.path.rsplit("/", 1)[-1].split(".")[0])
            top = head.value
            base = handler.headers.get("Host")
            items = [{"title": _title(articles, f, i), "link": f"http://{base}/p/{f}/{i}", "guid": f"f{f}-{i}",
                      "pubDate": formatdate(published.setdefault(i, time.time()), usegmt=True)}
                     for i in range(top, top - ENTRIES, -1)]
            body = rss(f"Feed {f}", items).encode()
            tag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if handler.headers.get("If-None-Match") == tag:
                return send(handler, 304, b"", None, {"ETag": tag})
            return send(handler, 200, body, "application/rss+xml", {"ETag": tag})

        def page(handler) -> int:
            _, _, f, i = handler.path.split("/")
            title, paragraphs = _article(articles, int(f), int(i))
            lead = f"Feed {f} entry {i}: the {['first', 'latest'][int(i) > ENTRIES]} report from this desk."
            return send(handler, 200, article_page(title, [lead, *paragraphs]).encode(), "text/html; charset=utf-8")

        for f in range(feeds):
            server.behaviours[f"/f/{f}.xml"] = feed
            for i in range(-5, ENTRIES + 10):
                server.behaviours[f"/p/{f}/{i}"] = page
        ready.put([server.base(p) for p in range(ports)])
        while True:
            time.sleep(3600)


def _article(articles, f: int, i: int):
    return articles[(f * 31 + i * 7) % len(articles)]


def _title(articles, f: int, i: int) -> str:
    return f"{_article(articles, f, i)[0]} ({f}.{i})"


# -- measuring -------------------------------------------------------------------------------------

def worker_cpu(pids) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def peak_rss_mb(pids=()) -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = 0.0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    workers += int(line.split()[1]) / 1024
        except OSError:
            pass
    return own, workers


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def ask_loop(engine, guild: int, questions: list[str], stop: asyncio.Event, limit: int | None = None):
    times: list[float] = []
    n = 0
    while not stop.is_set() and (limit is None or n < limit):
        started = time.perf_counter()
        await engine.ask(questions[n % len(questions)], guild_id=guild, limit=3)
        times.append(time.perf_counter() - started)
        n += 1
        await asyncio.sleep(0.05)  # a question every ~50 ms plus its answer time, one at a time
    return times


async def cycle(poller, stores, engine, *, asks=None):
    """One pass over every feed; returns wall, CPU (own + workers), statuses, results, ask times."""
    stop = asyncio.Event()
    ask_task = asyncio.create_task(ask_loop(engine, *asks, stop)) if asks else None
    pids = engine.readers.pids()
    cpu0, w0, t0 = time.process_time(), worker_cpu(pids), time.perf_counter()
    before = dict(poller.gate.requests)
    targets = await poller.due(stores, force=True)
    results = await poller.poll(targets)
    wall = time.perf_counter() - t0
    pids = pids | engine.readers.pids()
    cpu = time.process_time() - cpu0 + worker_cpu(pids) - w0
    stop.set()
    ask_times = await ask_task if ask_task else []
    per_host = {h: n - before.get(h, 0) for h, n in poller.gate.requests.items()}
    return {"wall": wall, "cpu": cpu, "results": results, "asks": ask_times, "per_host": per_host}


def statuses(results) -> dict:
    out: dict[str, int] = {}
    for r in results:
        out[r.status] = out.get(r.status, 0) + 1
    return out


# -- setting up ------------------------------------------------------------------------------------

def seed(corpus, feeds: int, guilds: int, bases: list[str]) -> list:
    """Every feed followed by its guild, its 20 current entries already seen (as after its first check)."""
    from corpus.feeds import records
    from corpus.feeds.links import normalise_link

    class Seen:
        def __init__(self, keys):
            self.keys = keys

    stores = {}
    for f in range(feeds):
        guild = GUILD_BASE + f % guilds
        store = stores.get(guild) or corpus.store(guild, create=True)
        stores[guild] = store
        base = bases[f % len(bases)]
        feed = records.create(store, f"{base}/f/{f}.xml", f"Feed {f}", channel=None, keywords="", added_by="bench",
                              asked_interval=0, limit=None)
        seen = [Seen([f"id:f{f}-{i}", "link:" + normalise_link(f"{base}/p/{f}/{i}")]) for i in range(ENTRIES)]
        records.record_many(store, feed.id, seen)
        records.save(store, feed.id, polls=1)
    return list(stores.values())


def questions_from(path: Path, n: int = 40) -> list[str]:
    out = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line:
            out.append(json.loads(line)["question"] if line.startswith("{") else line)
    return out[:n] or ["what did the chancellor say about growth"]


def shared_articles(corpus, bbc: Path, n: int) -> None:
    from corpus.reading.ingest import Document

    for path in sorted(bbc.glob("*/*.txt"))[:n]:
        title, paragraphs = load_bbc_article(path)
        corpus.add(Document(title=title, paragraphs=paragraphs))


async def main_async(args) -> int:
    from bot.engine import Engine
    from bot.feeds import FeedScheduler

    work = Path(tempfile.mkdtemp(prefix="feeds-bench-"))
    db = work / "bench.db"
    if args.db:  # SQLite's backup: a consistent copy even while another process writes the file
        import sqlite3

        with sqlite3.connect(f"file:{args.db}?mode=ro", uri=True) as source, sqlite3.connect(db) as copy:
            source.backup(copy)
    os.environ.update(ARTICLEBOT_ALLOW_PRIVATE_URLS="1", ARTICLEBOT_SAMPLES="0",
                      ARTICLEBOT_SEMANTIC="1" if args.semantic else "0",
                      ARTICLEBOT_FEED_HOST_SPACING=str(args.spacing))
    head = multiprocessing.Value("i", ENTRIES - 1)
    ready = multiprocessing.Queue()
    server = multiprocessing.get_context("fork").Process(target=serve, daemon=True,
                                                         args=(args.hosts, args.feeds, str(args.bbc), head, ready))
    server.start()
    try:
        bases = ready.get(timeout=120)
        engine = await Engine.open(str(db))
        try:
            return await run_cycles(args, engine, bases, head, FeedScheduler)
        finally:
            await engine.close()
    finally:
        server.kill()
        shutil.rmtree(work, ignore_errors=True)


async def run_cycles(args, engine, bases, head, FeedScheduler) -> int:
    corpus = engine.corpus
    if not args.db:
        await asyncio.to_thread(shared_articles, corpus, args.bbc, 300)
    stores = await asyncio.to_thread(seed, corpus, args.feeds, args.guilds, bases)
    # The background vectors process would embed the seeded articles meanwhile (minutes of CPU that are
    # not the feeds'): stopped, so the cycles are measured alone. New articles wait for it as in the bot.
    await asyncio.to_thread(engine.vectors.stop)
    scheduler = FeedScheduler(engine, lambda: [], lambda result: None)
    poller = scheduler.poller
    ask = (GUILD_BASE, questions_from(args.questions))
    print(f"{args.feeds} feeds, {args.guilds} guilds, {args.hosts} hosts, spacing {args.spacing:g} s, "
          f"semantic {'on' if corpus.semantic.encoder() is not None else 'off'}; load {os.getloadavg()[0]:.1f}",
          flush=True)
    idle = await ask_loop(engine, *ask, asyncio.Event(), limit=args.idle_asks)
    first = await cycle(poller, stores, engine)
    print(f"  first cycle done in {first['wall']:.0f} s", file=sys.stderr, flush=True)
    quiet = await cycle(poller, stores, engine)
    busy = await cycle(poller, stores, engine, asks=ask)
    print(f"  nothing-changed cycles done in {quiet['wall']:.0f} + {busy['wall']:.0f} s", file=sys.stderr, flush=True)
    with head.get_lock():
        head.value += 1
    published = time.time()
    new = await cycle(poller, stores, engine, asks=ask)
    answerable = await engine.ask(_title_question(new), guild_id=_first_guild(new), limit=3) if new["results"] else None
    scheduler.runner.close()

    rss_own, rss_workers = peak_rss_mb(engine.readers.pids())
    report(args, idle, first, quiet, busy, new, rss_own, rss_workers, published, answerable)
    return 0


def _first_guild(new) -> str | None:
    hit = next((r for r in new["results"] if r.added), None)
    return hit.feed.guild if hit else None


def _title_question(new) -> str:
    hit = next((r for r in new["results"] if r.added), None)
    return hit.added[0].title.rsplit(" (", 1)[0] if hit else "news"


def report(args, idle, first, quiet, busy, new, rss_own, rss_workers, published, answerable) -> None:
    rows = [("first full cycle", first), ("nothing changed", quiet), ("nothing changed + /ask", busy),
            ("one new entry per feed + /ask", new)]
    print(f"\n{'cycle':32} {'wall s':>8} {'CPU s':>8} {'CPU ms/feed':>12} {'304 share':>10} {'new':>6} "
          f"{'req/host max':>13}")
    for name, c in rows:
        s = statuses(c["results"])
        n = max(1, len(c["results"]))
        unchanged_304 = sum(1 for r in c["results"] if r.not_modified)
        added = sum(len(r.added) for r in c["results"])
        print(f"{name:32} {c['wall']:8.1f} {c['cpu']:8.2f} {1000 * c['cpu'] / n:12.2f} "
              f"{unchanged_304 / n:10.0%} {added:6} {max(c['per_host'].values() or [0]):13}  {s}")
    print(f"\n/ask p50/p99 ms: idle {1000 * pct(idle, .5):.0f}/{1000 * pct(idle, .99):.0f} (n={len(idle)}); "
          f"during nothing-changed cycle {1000 * pct(busy['asks'], .5):.0f}/{1000 * pct(busy['asks'], .99):.0f} "
          f"(n={len(busy['asks'])}); during new-entry cycle {1000 * pct(new['asks'], .5):.0f}/"
          f"{1000 * pct(new['asks'], .99):.0f} (n={len(new['asks'])})")
    print(f"peak RSS: bot process {rss_own:.0f} MB, reader workers {rss_workers:.0f} MB together")
    announced = sum(len(r.announcements()[0]) for r in new["results"])
    print(f"announcements in the new-entry cycle: {announced}; load now {os.getloadavg()[0]:.1f}")
    found = bool(answerable and answerable.results)
    checks = [
        ("entry answerable within one interval + 60 s (new-entry cycle wall <= 60 s)", new["wall"] <= 60 and found),
        ("nothing changed: < 2 ms CPU per feed", quiet["cpu"] / max(1, len(quiet["results"])) < 0.002),
        ("nothing changed: every check a 304",
         all(r.not_modified for r in quiet["results"]) and len(quiet["results"]) == args.feeds),
        ("/ask p99 during a nothing-changed cycle within 1.2x idle", pct(busy["asks"], .99) <= 1.2 * pct(idle, .99)),
        ("/ask p99 during the new-entry cycle within 1.2x idle", pct(new["asks"], .99) <= 1.2 * pct(idle, .99)),
        ("peak RSS of the bot process within 600 MB", rss_own <= 600),
        ("every feed's new entry stored once", sum(len(r.added) for r in new["results"]) == args.feeds),
    ]
    print()
    for what, ok in checks:
        print(f"[{'met' if ok else 'MISSED'}] {what}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--guilds", type=int, default=200)
    parser.add_argument("--hosts", type=int, default=50, help="ports of the feed server, each a host")
    parser.add_argument("--spacing", type=float, default=1.0, help="ARTICLEBOT_FEED_HOST_SPACING (default 1 s)")
    parser.add_argument("--bbc", type=Path, default=BBC_DEFAULT)
    parser.add_argument("--db", type=Path, default=NEWS_DB if NEWS_READY.exists() else None,
                        help="a database to copy as the shared file (default: /work/benchdb/news.db when "
                             "complete; else 300 BBC articles are added, without vectors)")
    parser.add_argument("--questions", type=Path, default=ROOT / "benchmarks" / "news_questions.jsonl")
    parser.add_argument("--idle-asks", type=int, default=60)
    parser.add_argument("--no-semantic", dest="semantic", action="store_false", help="words only (no model)")
    args = parser.parse_args()
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
