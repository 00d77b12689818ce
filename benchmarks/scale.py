"""Scale benchmark: ingest throughput, database size, ask latency and peak memory as the corpus grows.

    python benchmarks/scale.py                         # N = 1, 10, 50 guild copies of the BBC corpus
    python benchmarks/scale.py --guilds 1,10           # the quick run
    python benchmarks/scale.py --db-dir /tmp/scale     # keep the databases (and reuse them next time)
    python benchmarks/scale.py --guilds 10 --profile 300   # + cProfile of 300 guild asks
    python benchmarks/scale.py --many-guilds           # one small guild beside 10/100/500 others (scale_guilds.py)
    python benchmarks/scale.py --schema-cost           # K FTS5 tables in one file: a connection's first query
    python benchmarks/scale.py --guilds 50 --db-dir /tmp/scale-n50 --meaning   # searching by meaning on

Corpus layout for a given N (what a bot in N Discord servers holds): every BBC article (2,225 files,
~10.5k paragraphs) is added once to each of N guild scopes with Corpus.add(doc, guild_id=G), plus once
to the shared scope (guild_id=None). Each guild's articles are a file of their own (scale-nN.guilds/G.db)
beside the shared file (scale-nN.db). Adds are interleaved (article 1 to every guild then to shared,
article 2 ...), as articles arrive from many servers over time. The shared copy of an article is added
after its guild copies (Corpus.add treats a guild copy of a shared article as a duplicate). Total
paragraphs = (N + 1) x ~10.5k. A guild-scoped ask sees its own file plus the shared one (~21k paragraphs);
the shared-scope ask sees the shared file.

Each N runs in a fresh subprocess so peak RSS (VmHWM) is per N. In it:
- every BBC file is parsed once with corpus.reading.ingest.document_from_path (timed: "parse"), and the
  Documents are reused for every copy; Corpus.add is timed on its own ("store"). "parse+store" adds the
  measured parse time once per copy, i.e. what ingesting N+1 copies from files would cost.
- the fixed, seeded question set (benchmarks/scale_questions.jsonl, see scale_questions.py) is asked
  through Corpus.ask(q, guild_id=G) (G cycles over the N guilds) and Corpus.ask(q) (shared scope), and
  through plain SQLite FTS5 over the same files a question sees, same process, own connections:
      SELECT rowid, bm25(paragraphs_fts) FROM paragraphs_fts WHERE paragraphs_fts MATCH ?
      ORDER BY bm25(paragraphs_fts) LIMIT 10
  in the guild's file and the shared file, the two top 10s merged by score ("plain"), with every word of
  the question double-quoted and OR-ed.
  The first ask of a process loads the vocabulary; it is timed on its own ("first ask") and the
  percentiles are over the warm asks that follow.
Words only (ARTICLEBOT_SEMANTIC=0) unless --meaning. With --meaning the worker first gives every file's
paragraphs their vectors, as `articlebot embed` does (the shared file, then the guild files, whose texts
are reused, not encoded again: encoded and wall/CPU time are reported for each part), so the size counts
the vectors; the asks then search by meaning too, and are asked twice: as the bot asks them (the question
encoded on a thread beside the lexical stages) and with the question's vector already made ("vector
given", i.e. everything but the encoding), beside the encoding alone. CPU times count both threads.
Targets checked: issue 12's for --meaning (TARGETS_MEANING), issue 5's otherwise.
The parent copies corpus/ to a temporary directory first and every worker imports that copy, so all N of
one run measure the same engine even while corpus/ is being edited (--live-engine to skip).
Stdlib + the articlebot package only. Results: docs/performance.md; every run and its reading:
docs/history/performance-notebook.md.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale_questions  # noqa: E402
from scale_common import (GUILD_BASE, RESULT_TAG, database_files, db_size, file_totals, fmt_lat, latency,  # noqa: E402
                          log, machine_info, peak_rss_mb)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BBC = scale_questions.DEFAULT_BBC
DEFAULT_QUESTIONS = scale_questions.DEFAULT_OUT

TARGETS = {  # at N = 50 (~500k paragraphs)
    "ask_p50_ms": 15.0,
    "ask_p99_ms": 60.0,
    "ratio_vs_plain": 2.0,
    "ingest_articles_s": 200.0,
    "peak_rss_mb": 400.0,
    "size_vs_raw": 3.0,
}
TARGETS_MEANING = {  # issue 12, searching by meaning on, at N = 50
    "ask_p50_ms": 30.0,
    "ask_p99_ms": 90.0,
    "peak_rss_mb": 600.0,
    "size_vs_raw": 4.0,
}


# ------------------------------------------------------------------------------------------ machine
def corpus_sha(root: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    for f in sorted(Path(root).rglob("*.py")):
        digest.update(f.read_bytes())
    return digest.hexdigest()[:10]


# ------------------------------------------------------------------------------------------- worker
def plain_words(question: str) -> list[str]:
    return list(dict.fromkeys(w.lower() for w in re.findall(r"\w+", question)))


def plain_match(question: str) -> str:
    return " OR ".join(f'"{w}"' for w in plain_words(question))


PLAIN_SQL = ("SELECT rowid, bm25(paragraphs_fts) FROM paragraphs_fts WHERE paragraphs_fts MATCH ? "
             "ORDER BY bm25(paragraphs_fts) LIMIT 10")


class PlainFTS:
    """The baseline: plain FTS5 bm25 over the files a question can see, one default connection a file,
    each file's top 10 merged by score (what a search over those files costs with no engine around it)."""

    def __init__(self) -> None:
        self.conns: dict[Path, sqlite3.Connection] = {}

    def conn(self, path: Path) -> sqlite3.Connection:
        if path not in self.conns:
            self.conns[path] = sqlite3.connect(path)
        return self.conns[path]

    def top(self, paths: list[Path], match: str) -> list[tuple[Path, int]]:
        scored = [(score, path, rowid) for path in paths if path.exists()
                  for rowid, score in self.conn(path).execute(PLAIN_SQL, (match,))]
        return [(path, rowid) for _, path, rowid in sorted(scored, key=lambda x: x[0])[:10]]

    def text(self, path: Path, rowid: int) -> str:
        return self.conn(path).execute("SELECT text FROM paragraphs WHERE id = ?", (rowid,)).fetchone()[0]

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()


def embed_all(corpus) -> dict:
    """What `articlebot embed` does (Corpus.pending_vectors(every_file=True), then Corpus.embed), timed in
    two parts: the shared file, then the guild files (whose texts the shared file's encoding already made)."""
    t = time.perf_counter()
    embedder = corpus.semantic.embedder()
    if embedder is None:
        raise SystemExit(f"--meaning: searching by meaning is {corpus.semantic.status}")
    out = {"model_load_s": time.perf_counter() - t}
    pending = corpus.pending_vectors(every_file=True)
    for part, stores in (("shared", [s for s, _ in pending if s is corpus.shared]),
                         ("guilds", [s for s, _ in pending if s is not corpus.shared])):
        encoded, t, c = embedder.encoded, time.perf_counter(), time.process_time()
        stored = corpus.embed(stores)
        out[part] = {"files": len(stores), "stored": stored, "encoded": embedder.encoded - encoded,
                     "wall_s": time.perf_counter() - t, "cpu_s": time.process_time() - c}
        log(f"embedded {part}: {out[part]}")
    return out


class QuestionEncoding:
    """Times the encoder's question encodings (on the thread that makes them) and keeps each vector, so
    that the asks can be repeated with the vector already made."""

    def __init__(self, encoder) -> None:
        self.encoder, self.original = encoder, encoder.encode_queries
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.vectors: dict[str, object] = {}
        encoder.encode_queries = self._timed

    def _timed(self, texts: list[str]):
        c, t = time.thread_time(), time.perf_counter()
        out = self.original(texts)
        self.wall.append(time.perf_counter() - t)
        self.cpu.append(time.thread_time() - c)
        self.vectors[texts[0]] = out[0]
        return out


def matrices_mb(corpus) -> float:
    """Paragraph vectors held in memory: the arrays of each open file's matrix (cached on its Store), and
    of any pool of vectors the matrices share."""
    import numpy as np

    from corpus.storage import vectors

    stores = [corpus.shared, *corpus._guilds.values()]
    held = [s.matrix_cache for s in stores if getattr(s, "matrix_cache", None) is not None]
    held += [v for v in vars(vectors).values() if hasattr(v, "vecs") and not isinstance(v, type)]
    return sum(a.nbytes for m in held for a in vars(m).values() if isinstance(a, np.ndarray)) / 1e6


def worker(args) -> dict:
    os.environ["ARTICLEBOT_SAMPLES"] = "0"
    os.environ["ARTICLEBOT_SEMANTIC"] = "1" if args.meaning else "0"
    import corpus as corpus_pkg
    from corpus import Corpus
    from corpus.errors import IngestError
    from corpus.reading.ingest import document_from_path

    engine_dir = Path(corpus_pkg.__file__).resolve().parent
    if args.expect_engine and engine_dir != Path(args.expect_engine).resolve():
        raise SystemExit(f"worker imported corpus from {engine_dir}, not the snapshot {args.expect_engine}")

    n = args.worker
    result: dict = {"guilds": n, "shared_copy": not args.no_shared_copy, "load_start": os.getloadavg(),
                    "engine_dir": str(engine_dir), "engine_sha": corpus_sha(engine_dir)}
    guild_ids = [GUILD_BASE + i for i in range(1, n + 1)]

    # -- parse every BBC file once
    files = scale_questions.bbc_files(args.bbc)
    raw_bytes = sum(f.stat().st_size for f in files)
    t = time.perf_counter()
    docs, failed = [], []
    for f in files:
        try:
            docs.append(document_from_path(f))
        except IngestError as exc:
            failed.append(f"{f}: {exc}")
    parse_s = time.perf_counter() - t
    result.update(files=len(files), parsed=len(docs), parse_failed=failed, parse_s=parse_s,
                  raw_bytes=raw_bytes, doc_paragraphs=sum(len(d.paragraphs) for d in docs),
                  rss_after_parse_mb=peak_rss_mb())
    log(f"N={n}: parsed {len(docs)} files in {parse_s:.1f}s ({len(docs) / parse_s:.0f} articles/s)")

    copies = n + (0 if args.no_shared_copy else 1)
    if args.db_dir:
        args.db_dir.mkdir(parents=True, exist_ok=True)
        db = args.db_dir / f"scale-n{n}{'' if copies > n else '-noshared'}.db"
    else:
        tmp = tempfile.mkdtemp(prefix="articlebot-scale-")
        db = Path(tmp) / f"scale-n{n}.db"
    if args.rebuild:
        for s in ("", "-wal", "-shm"):
            Path(f"{db}{s}").unlink(missing_ok=True)
        shutil.rmtree(db.with_name(db.stem + ".guilds"), ignore_errors=True)
    reuse = db.exists() and db.stat().st_size > 0
    result["db"] = str(db)
    corpus = Corpus.open(db, load_samples=False)

    # -- ingest
    if reuse and corpus.count_articles(guild_ids[-1]) > 0:
        log(f"N={n}: reusing {db} (ingest not measured; --rebuild to rebuild)")
        result["ingest"] = None
    else:
        if reuse:
            raise SystemExit(f"{db} exists but does not hold N={n} guild copies: use --rebuild")
        statuses = {"added": 0, "duplicate": 0}
        stored_paragraphs = 0
        total = len(docs) * copies
        marks = []  # (articles done, seconds) for rate over time
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        done = 0
        last_log = t0
        for doc in docs:
            for g in guild_ids + ([] if args.no_shared_copy else [None]):
                r = corpus.add(doc, guild_id=g)
                statuses[r.status] += 1
                if r.status == "added":
                    stored_paragraphs += r.paragraphs
                done += 1
            now = time.perf_counter()
            marks.append((done, stored_paragraphs, now - t0))
            if now - last_log > 30:
                last_log = now
                rate = done / (now - t0)
                log(f"N={n}: {done:,}/{total:,} adds, {rate:.0f} articles/s, "
                    f"eta {(total - done) / rate / 60:.1f} min, files {sum(db_size(f) for f in database_files(db)) / 1e6:.0f} MB, "
                    f"rss {peak_rss_mb():.0f} MB")
        store_s = time.perf_counter() - t0
        store_cpu_s = time.process_time() - cpu0
        # rate over the first and the last tenth of the adds (does ingest slow down as the file grows?)
        tenth = max(1, len(marks) // 10)
        first = marks[tenth - 1]
        last_a, last_b = marks[-tenth - 1], marks[-1]
        window = max(1, len(marks) // 20)  # paragraphs/s over a sliding 5% window, to see a slowdown
        para_rates = [(marks[i][1] - marks[i - window][1]) / (marks[i][2] - marks[i - window][2])
                      for i in range(window, len(marks), window)]
        result["ingest"] = {
            "adds": done, **statuses, "paragraphs": stored_paragraphs, "store_s": store_s,
            "store_cpu_s": store_cpu_s, "store_cpu_articles_s": done / store_cpu_s,
            "cpu_share": store_cpu_s / store_s,
            "store_articles_s": done / store_s, "store_paragraphs_s": stored_paragraphs / store_s,
            "parse_store_articles_s": done / (store_s + parse_s * copies),
            "parse_store_paragraphs_s": stored_paragraphs / (store_s + parse_s * copies),
            "first_tenth_articles_s": first[0] / first[2],
            "last_tenth_articles_s": (last_b[0] - last_a[0]) / (last_b[2] - last_a[2]),
            "first_tenth_paragraphs_s": first[1] / first[2],
            "last_tenth_paragraphs_s": (last_b[1] - last_a[1]) / (last_b[2] - last_a[2]),
            "paragraphs_s_by_5pct": para_rates,
        }
        log(f"N={n}: stored {done:,} adds in {store_s:.1f}s ({done / store_s:.0f} articles/s)")
    if args.meaning:
        result["embed"] = embed_all(corpus)
    result["rss_after_ingest_mb"] = peak_rss_mb()

    wal_before = sum(Path(f"{f}-wal").stat().st_size for f in database_files(db) if Path(f"{f}-wal").exists())
    corpus.close()  # closing a file's last connection checkpoints its WAL into it
    files = database_files(db)
    totals = file_totals(files, sizes=args.sizes)
    articles, paragraphs, size = totals["articles"], totals["paragraphs"], totals["bytes"]
    result.update(articles=articles, paragraphs=paragraphs, db_bytes=size, db_files=len(files),
                  wal_bytes_before_checkpoint=wal_before, raw_bytes_copies=raw_bytes * copies,
                  size_vs_raw=size / (raw_bytes * copies), paragraph_text_bytes=totals["text_bytes"],
                  size_vs_text=size / max(totals["text_bytes"], 1), fts_segments=totals.get("fts_segments"),
                  size_breakdown=totals.get("breakdown"))
    corpus = Corpus.open(db, load_samples=False)
    log(f"N={n}: {articles:,} articles, {paragraphs:,} paragraphs, {size / 1e6:.0f} MB "
        f"({result['size_vs_raw']:.2f}x raw)")

    # -- ask
    qset = scale_questions.load(args.questions)[: args.count]
    questions = [q["question"] for q in qset]
    sentences = [q["sentence"] for q in qset]
    guild_of = [guild_ids[i % n] for i in range(len(questions))]
    shared = "shared"

    encoding = None
    if args.meaning:
        t = time.perf_counter()
        encoding = QuestionEncoding(corpus.semantic.encoder())
        result["model_load_ms"] = (time.perf_counter() - t) * 1000
        result["rss_after_model_mb"] = peak_rss_mb()
    # CPU: the main thread's; with meaning, the process's (the question is encoded on another thread)
    cpu_clock = time.process_time if args.meaning else time.thread_time
    t = time.perf_counter()
    corpus.ask(questions[0], guild_id=guild_of[0])
    result["first_ask_ms"] = (time.perf_counter() - t) * 1000

    def timed_engine(guild: bool) -> tuple[list[float], dict]:
        times, cpu, answered, found = [], [], 0, 0
        for i, q in enumerate(questions):
            c = cpu_clock()
            t = time.perf_counter()
            a = corpus.ask(q, guild_id=guild_of[i] if guild else None)
            times.append(time.perf_counter() - t)
            cpu.append(cpu_clock() - c)
            answered += a.answered
            sent = re.sub(r"\s+", " ", sentences[i])
            found += any(sent in p.text for p in a.results)
        # after each guild's first ask, which loads its file's words (and vectors) into memory
        warm = {"warm": {**latency(times[n:]), "cpu": latency(cpu[n:])}} if guild and len(times) > n else {}
        return times, {"answered": answered / len(questions), "found_at_5": found / len(questions),
                       "cpu": latency(cpu), **warm}

    result["load_before_ask"] = os.getloadavg()
    log(f"N={n}: asking {len(questions)} questions, guild scope")
    guild_t, guild_q = timed_engine(True)
    log(f"N={n}: asking {len(questions)} questions, shared scope")
    shared_t, shared_q = timed_engine(False)
    if encoding:
        result["question_encoding"] = {**latency(encoding.wall), "cpu": latency(encoding.cpu)}
        result["rss_after_meaning_asks_mb"] = peak_rss_mb()
        result["matrices_mb"] = matrices_mb(corpus)
        made = encoding.vectors  # the same asks again, each question's vector already made
        corpus.semantic.question_vector = lambda q: made[q]
        log(f"N={n}: asking again with the question vectors given")
        given_guild_t, given_guild_q = timed_engine(True)
        given_shared_t, given_shared_q = timed_engine(False)

    plain = PlainFTS()
    para_text = {}

    def timed_plain(files_of) -> tuple[list[float], dict]:
        times, cpu, found = [], [], 0
        for i, q in enumerate(questions):
            match = plain_match(q)
            c = time.thread_time()
            t = time.perf_counter()
            rows = plain.top(files_of(i), match)
            times.append(time.perf_counter() - t)
            cpu.append(time.thread_time() - c)
            texts = [para_text.get(key) or para_text.setdefault(key, plain.text(*key)) for key in rows[:5]]
            sent = re.sub(r"\s+", " ", sentences[i])
            found += any(sent in tx for tx in texts)
        return times, {"found_at_5": found / len(questions), "cpu": latency(cpu)}

    log(f"N={n}: plain FTS5 bm25")
    plain_guild_t, plain_guild_q = timed_plain(lambda i: [corpus.guild_path(str(guild_of[i])), db])
    plain_shared_t, plain_shared_q = timed_plain(lambda i: [db])
    plain.close()

    result["ask"] = {
        "questions": len(questions),
        "guild": {**latency(guild_t), **guild_q},
        "shared": {**latency(shared_t), **shared_q},
        "plain": {**latency(plain_guild_t), **plain_guild_q},
        "plain_shared": {**latency(plain_shared_t), **plain_shared_q},
        # per-question engine/plain ratio, then its median: robust to the odd slow query on either side
        "ratio_guild_median": statistics.median(e / p for e, p in zip(guild_t, plain_guild_t)),
        "ratio_shared_median": statistics.median(e / p for e, p in zip(shared_t, plain_shared_t)),
    }
    if encoding:
        result["ask"]["guild_given"] = {**latency(given_guild_t), **given_guild_q}
        result["ask"]["shared_given"] = {**latency(given_shared_t), **given_shared_q}
    result["rss_after_ask_mb"] = peak_rss_mb()
    result["load_after_ask"] = os.getloadavg()

    if args.profile:
        k = min(args.profile, len(questions))
        prof = cProfile.Profile()
        prof.enable()
        for i in range(k):
            corpus.ask(questions[i], guild_id=guild_of[i])
        prof.disable()
        out = io.StringIO()
        st = pstats.Stats(prof, stream=out).strip_dirs()
        st.sort_stats("tottime").print_stats(25)
        st.sort_stats("cumulative").print_stats(35)
        path = Path(tempfile.gettempdir()) / f"articlebot-scale-profile-n{n}.txt"
        path.write_text(out.getvalue())
        prof.dump_stats(str(path.with_suffix(".pstats")))
        result["profile"] = str(path)
        log(f"N={n}: profile of {k} guild asks in {path}")

    corpus.close()
    result["peak_rss_mb"] = peak_rss_mb()
    if not args.db_dir:
        shutil.rmtree(db.parent)
    return result


# ------------------------------------------------------------------------------------------- report
def fmt_int(v) -> str:
    return "-" if v is None else f"{v:,.0f}"


def table(results: list[dict], info: dict, args, questions_meta: dict) -> str:
    cols = [f"N={r['guilds']}" for r in results]
    rows: list[tuple[str, list[str]]] = []

    def row(label, fn):
        vals = []
        for r in results:
            try:
                vals.append(fn(r))
            except (KeyError, TypeError):
                vals.append("-")
        rows.append((label, vals))

    ing = lambda r: r["ingest"]  # noqa: E731
    row("articles stored (adds)", lambda r: f"{r['articles']:,}")
    row("paragraphs stored", lambda r: f"{r['paragraphs']:,}")
    row("ingest store only, articles/s", lambda r: fmt_int(ing(r)["store_articles_s"]))
    row("ingest store only, paragraphs/s", lambda r: fmt_int(ing(r)["store_paragraphs_s"]))
    row("ingest parse+store, articles/s", lambda r: fmt_int(ing(r)["parse_store_articles_s"]))
    row("ingest parse+store, paragraphs/s", lambda r: fmt_int(ing(r)["parse_store_paragraphs_s"]))
    row("  store articles/s per CPU second",
        lambda r: f"{ing(r)['store_cpu_articles_s']:,.0f} (cpu {ing(r)['cpu_share']:.0%} of wall)")
    row("  store articles/s first/last 10%",
        lambda r: f"{ing(r)['first_tenth_articles_s']:,.0f} / {ing(r)['last_tenth_articles_s']:,.0f}")
    row("  store paragraphs/s first/last 10%",
        lambda r: f"{ing(r)['first_tenth_paragraphs_s']:,.0f} / {ing(r)['last_tenth_paragraphs_s']:,.0f}")
    row("  ingest wall time (store only)", lambda r: f"{ing(r)['store_s']:,.0f} s")
    if any(r.get("embed") for r in results):
        emb = lambda r, part: r["embed"][part]  # noqa: E731
        row("embed shared file: stored / encoded", lambda r: f"{emb(r, 'shared')['stored']:,} / "
                                                             f"{emb(r, 'shared')['encoded']:,}")
        row("  wall / CPU", lambda r: f"{emb(r, 'shared')['wall_s']:,.0f} / {emb(r, 'shared')['cpu_s']:,.0f} s")
        row("embed guild files: stored / encoded", lambda r: f"{emb(r, 'guilds')['stored']:,} / "
                                                             f"{emb(r, 'guilds')['encoded']:,}")
        row("  wall / CPU ", lambda r: f"{emb(r, 'guilds')['wall_s']:,.0f} / {emb(r, 'guilds')['cpu_s']:,.0f} s")
    row("database size (after checkpoint)", lambda r: f"{r['db_bytes'] / 1e6:,.0f} MB")
    row("  database files", lambda r: f"{r['db_files']:,}")
    row("  size / raw text files", lambda r: f"{r['size_vs_raw']:.2f}x")
    row("  size / stored paragraph text", lambda r: f"{r['size_vs_text']:.2f}x")
    row("ask guild scope p50/p95/p99 ms", lambda r: fmt_lat(r["ask"]["guild"]))
    row("  after each guild's first ask", lambda r: fmt_lat(r["ask"]["guild"]["warm"]))
    row("ask shared scope p50/p95/p99 ms", lambda r: fmt_lat(r["ask"]["shared"]))
    row("plain FTS5 bm25, guild's files p50/p95/p99", lambda r: fmt_lat(r["ask"]["plain"]))
    row("plain FTS5 bm25, shared file p50/p95/p99", lambda r: fmt_lat(r["ask"]["plain_shared"]))
    row("  engine CPU time guild p50/p95/p99", lambda r: fmt_lat(r["ask"]["guild"]["cpu"]))
    row("    after each guild's first ask", lambda r: fmt_lat(r["ask"]["guild"]["warm"]["cpu"]))
    row("  engine CPU time shared p50/p95/p99", lambda r: fmt_lat(r["ask"]["shared"]["cpu"]))
    row("  plain CPU time guild p50/p95/p99", lambda r: fmt_lat(r["ask"]["plain"]["cpu"]))
    if any(r.get("question_encoding") for r in results):
        row("question encoding alone p50/p95/p99", lambda r: fmt_lat(r["question_encoding"]))
        row("  its CPU time p50/p95/p99", lambda r: fmt_lat(r["question_encoding"]["cpu"]))
        row("ask guild, vector given p50/p95/p99", lambda r: fmt_lat(r["ask"]["guild_given"]))
        row("  CPU time p50/p95/p99", lambda r: fmt_lat(r["ask"]["guild_given"]["cpu"]))
        row("ask shared, vector given p50/p95/p99", lambda r: fmt_lat(r["ask"]["shared_given"]))
        row("  CPU time p50/p95/p99 ", lambda r: fmt_lat(r["ask"]["shared_given"]["cpu"]))
    row("engine/plain guild p50, p99 (median)",
        lambda r: f"{r['ask']['guild']['p50'] / r['ask']['plain']['p50']:.2f}x, "
                  f"{r['ask']['guild']['p99'] / r['ask']['plain']['p99']:.2f}x "
                  f"({r['ask']['ratio_guild_median']:.2f}x)")
    row("engine/plain shared p50, p99 (median)",
        lambda r: f"{r['ask']['shared']['p50'] / r['ask']['plain_shared']['p50']:.2f}x, "
                  f"{r['ask']['shared']['p99'] / r['ask']['plain_shared']['p99']:.2f}x "
                  f"({r['ask']['ratio_shared_median']:.2f}x)")
    row("first ask (vocabulary load) ms", lambda r: f"{r['first_ask_ms']:,.0f}")
    row("source sentence in top 5: guild", lambda r: f"{r['ask']['guild']['found_at_5']:.0%}")
    row("  shared / plain (guild's files)", lambda r: f"{r['ask']['shared']['found_at_5']:.0%} / "
                                                      f"{r['ask']['plain']['found_at_5']:.0%}")
    row("answered (guild / shared)", lambda r: f"{r['ask']['guild']['answered']:.0%} / "
                                               f"{r['ask']['shared']['answered']:.0%}")
    row("load average: ingest start/asks", lambda r: f"{r['load_start'][0]:.1f} / {r['load_before_ask'][0]:.1f}"
                                                      f"-{r['load_after_ask'][0]:.1f}")
    row("peak RSS (whole process)", lambda r: f"{r['peak_rss_mb']:,.0f} MB")
    row("  RSS after parse / ingest", lambda r: f"{r['rss_after_parse_mb']:,.0f} / {r['rss_after_ingest_mb']:,.0f} MB")
    if any(r.get("question_encoding") for r in results):
        row("  RSS after model load / asks", lambda r: f"{r['rss_after_model_mb']:,.0f} / "
                                                      f"{r['rss_after_meaning_asks_mb']:,.0f} MB")
        row("  vector matrices in memory", lambda r: f"{r['matrices_mb']:,.0f} MB")

    w0 = max(len(label) for label, _ in rows) + 2
    ws = [max(len(c), *(len(v[i]) for _, v in rows)) + 2 for i, c in enumerate(cols)]
    lines = []
    first = results[0]
    lines.append(f"articlebot scale benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
    lines.append(f"machine: {info['platform']}; CPU {info['cpu']}, {info['cores']} cores; "
                 f"RAM {info['ram_gib']} GiB; Python {info['python']}; SQLite {info['sqlite']}; "
                 f"articlebot {info['articlebot_rev']}, corpus/*.py sha256 {info['engine_sha']}"
                 f"{' (snapshot)' if not args.live_engine else ''}")
    lines.append(f"corpus: {first['parsed']:,} BBC articles parsed of {first['files']:,} files "
                 f"({first['doc_paragraphs']:,} paragraphs, {first['raw_bytes'] / 1e6:.1f} MB raw), "
                 f"parse {first['parsed'] / first['parse_s']:.0f} articles/s; layout: N guild copies"
                 f"{' + 1 shared copy' if first['shared_copy'] else ''}, interleaved")
    lines.append(f"questions: {questions_meta['count']} from {args.questions.name} "
                 f"({questions_meta['typos']} with a typo), guild asks cycle over the N guilds; "
                 f"{'searching by meaning' if args.meaning else 'words only'}")
    lines.append("")
    lines.append("".ljust(w0) + "".join(c.rjust(w) for c, w in zip(cols, ws)))
    for label, vals in rows:
        lines.append(label.ljust(w0) + "".join(v.rjust(w) for v, w in zip(vals, ws)))
    return "\n".join(lines)


def targets(results: list[dict]) -> str:
    big = max(results, key=lambda r: r["guilds"])
    meaning = "question_encoding" in big
    lines = [f"{'issue 12' if meaning else 'issue 5'} targets (checked at N={big['guilds']}, "
             f"{big['paragraphs']:,} paragraphs{'' if big['guilds'] >= 50 else '; the targets are set for N=50'}):"]

    def check(name, value, limit, unit, higher_is_better=False):
        ok = value >= limit if higher_is_better else value <= limit
        op = ">=" if higher_is_better else "<="
        lines.append(f"  {'MET ' if ok else 'MISS'}  {name:<34} {value:>9.2f}{unit}  (target {op} {limit:g}{unit})")

    a = big["ask"]
    if meaning:
        for scope in ("guild", "shared"):
            for p in ("p50", "p99"):
                check(f"ask {p}, {scope} scope", a[scope][p], TARGETS_MEANING[f"ask_{p}_ms"], " ms")
                check(f"ask {p}, {scope} scope, CPU time", a[scope]["cpu"][p], TARGETS_MEANING[f"ask_{p}_ms"], " ms")
        check("peak RSS", big["peak_rss_mb"], TARGETS_MEANING["peak_rss_mb"], " MB")
        check("database size / raw text", big["size_vs_raw"], TARGETS_MEANING["size_vs_raw"], "x")
        return "\n".join(lines)
    check("ask p50, guild scope", a["guild"]["p50"], TARGETS["ask_p50_ms"], " ms")
    check("ask p99, guild scope", a["guild"]["p99"], TARGETS["ask_p99_ms"], " ms")
    check("ask p50, shared scope", a["shared"]["p50"], TARGETS["ask_p50_ms"], " ms")
    check("ask p99, shared scope", a["shared"]["p99"], TARGETS["ask_p99_ms"], " ms")
    check("ask p50, guild scope, CPU time", a["guild"]["cpu"]["p50"], TARGETS["ask_p50_ms"], " ms")
    check("ask p99, guild scope, CPU time", a["guild"]["cpu"]["p99"], TARGETS["ask_p99_ms"], " ms")
    check("engine/plain p50, guild", a["guild"]["p50"] / a["plain"]["p50"], TARGETS["ratio_vs_plain"], "x")
    check("engine/plain p99, guild", a["guild"]["p99"] / a["plain"]["p99"], TARGETS["ratio_vs_plain"], "x")
    if big.get("ingest"):
        check("ingest store only", big["ingest"]["store_articles_s"], TARGETS["ingest_articles_s"],
              " art/s", True)
        check("ingest parse+store", big["ingest"]["parse_store_articles_s"], TARGETS["ingest_articles_s"],
              " art/s", True)
        check("ingest store only, per CPU second", big["ingest"]["store_cpu_articles_s"],
              TARGETS["ingest_articles_s"], " art/s", True)
    check("peak RSS", big["peak_rss_mb"], TARGETS["peak_rss_mb"], " MB")
    check("database size / raw text", big["size_vs_raw"], TARGETS["size_vs_raw"], "x")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bbc", type=Path, default=DEFAULT_BBC, help="BBC corpus folder (default %(default)s)")
    ap.add_argument("--guilds", default="1,10,50", help="comma-separated N values (default %(default)s)")
    ap.add_argument("--db-dir", type=Path, help="keep the databases here (reused on the next run)")
    ap.add_argument("--rebuild", action="store_true", help="with --db-dir: rebuild existing databases")
    ap.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="question JSONL (default %(default)s)")
    ap.add_argument("--count", type=int, default=1000, help="questions to ask (default %(default)s)")
    ap.add_argument("--no-shared-copy", action="store_true", help="do not add the shared-scope copy")
    ap.add_argument("--no-sizes", dest="sizes", action="store_false", help="skip the dbstat size breakdown")
    ap.add_argument("--profile", type=int, default=0, metavar="K", help="cProfile K guild asks per N")
    ap.add_argument("--json-out", type=Path, help="write the raw results as JSON")
    ap.add_argument("--meaning", action="store_true",
                    help="search by meaning: embed what has no vector yet (timed), then ask with the question "
                         "encoded and again with its vector given; issue 12's targets (default: words only)")
    ap.add_argument("--live-engine", action="store_true",
                    help="import corpus/ as it is when each N starts (default: a snapshot taken at the start, "
                         "so every N runs the same engine code while corpus/ is being edited)")
    ap.add_argument("--many-guilds", action="store_true",
                    help="one guild of 300 articles alone, then beside N other guilds of 100 (scale_guilds.py)")
    ap.add_argument("--others", default="10,100,500", help="with --many-guilds: the N values (default %(default)s)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="with --many-guilds: ask rounds, alternating the N order (default %(default)s)")
    ap.add_argument("--schema-cost", action="store_true",
                    help="time a connection's first query with 1 to 5,000 FTS5 tables in one file")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--expect-engine", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.bbc = args.bbc.resolve()
    args.questions = args.questions.resolve()
    if not args.questions.exists():
        scale_questions.write(scale_questions.generate(args.bbc), args.questions)

    if args.schema_cost or args.many_guilds:
        import scale_guilds

        if args.schema_cost:
            scale_guilds.schema_cost()
        return scale_guilds.run(args) if args.many_guilds else 0
    if args.worker is not None:
        print(RESULT_TAG + json.dumps(worker(args)), flush=True)
        return 0

    try:
        ns = [int(x) for x in args.guilds.split(",") if x.strip()]
    except ValueError:
        ap.error("--guilds takes numbers, e.g. 1,10,50")
    if not ns or min(ns) < 1:
        ap.error("--guilds takes positive numbers, e.g. 1,10,50")
    info = machine_info()
    env = {**os.environ, "ARTICLEBOT_SAMPLES": "0"}
    snapshot = None
    if not args.live_engine:
        snapshot = Path(tempfile.mkdtemp(prefix="articlebot-scale-engine-"))
        shutil.copytree(REPO_ROOT / "corpus", snapshot / "corpus", ignore=shutil.ignore_patterns("__pycache__"))
        env["PYTHONPATH"] = os.pathsep.join([str(snapshot)] + [p for p in [env.get("PYTHONPATH")] if p])
    info["engine_sha"] = corpus_sha((snapshot or REPO_ROOT) / "corpus")
    qs = scale_questions.load(args.questions)[: args.count]
    qmeta = {"count": len(qs), "typos": sum(1 for q in qs if q["typo"])}
    results = []
    for n in ns:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(n), "--bbc", str(args.bbc),
               "--questions", str(args.questions), "--count", str(args.count), "--profile", str(args.profile)]
        for flag, on in (("--rebuild", args.rebuild), ("--no-shared-copy", args.no_shared_copy),
                         ("--no-sizes", not args.sizes), ("--meaning", args.meaning)):
            if on:
                cmd.append(flag)
        if args.db_dir:
            cmd += ["--db-dir", str(args.db_dir.resolve())]
        if snapshot:
            cmd += ["--expect-engine", str(snapshot / "corpus")]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=env, cwd=tempfile.gettempdir())
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_TAG)]
        if proc.returncode != 0 or not lines:
            print(proc.stdout, file=sys.stderr)
            print(f"N={n}: worker failed (exit {proc.returncode})", file=sys.stderr)
            return 1
        results.append(json.loads(lines[-1][len(RESULT_TAG):]))
    if snapshot:
        shutil.rmtree(snapshot, ignore_errors=True)
    shas = {r["engine_sha"] for r in results}
    if len(shas) > 1:
        print(f"warning: the N runs used different engine code ({', '.join(sorted(shas))})", file=sys.stderr)
    out = table(results, info, args, qmeta) + "\n\n" + targets(results)
    for r in results:
        if r.get("size_breakdown"):
            parts = ", ".join(f"{k} {v / 1e6:,.0f}" for k, v in r["size_breakdown"].items() if v >= 1e6)
            out += f"\nN={r['guilds']} size breakdown (MB): {parts}"
        if r.get("fts_segments") is not None:
            out += f"\nN={r['guilds']} FTS5 segments: {r['fts_segments']}"
        if r.get("profile"):
            out += f"\nN={r['guilds']} profile: {r['profile']}"
    print(out)
    if args.json_out:
        args.json_out.write_text(json.dumps({"machine": info, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
