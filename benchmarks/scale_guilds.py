"""Many small guilds: does a guild's ask cost the same beside 500 other guilds as alone? (issue 13)

    python benchmarks/scale.py --many-guilds                 # N = 0, 10, 100, 500 other guilds
    python benchmarks/scale.py --many-guilds --others 0,10 --rounds 1     # the quick run
    python benchmarks/scale.py --schema-cost                 # the alternative: K FTS5 tables in one file

The shape of a public bot: one measured guild of 300 BBC articles (a seeded random choice), beside N other
guilds of 100 random BBC articles each (seeded too; about 50k articles at N = 500), and the shared file with
the bundled sample. Every BBC file is parsed once and its Document reused for every guild that holds it.

Build (one process, timed by stage): the measured guild alone, then guilds 1-10, 11-100 and 101-500, a
guild's articles in a row (its file stays open). What an add costs when the guild's file is closed (a guild
not active lately, past the 64-file cache) is measured on its own, on 200 extra guilds. The layout for N
is the built files of the measured guild, the shared file and the first N other guilds, hard-linked into a
folder of its own: exactly the files a bot in N + 1 guilds has.

Asks: the measured guild is asked 1,000 questions made from its own articles' sentences
(scale_questions.generate over its 300 files). With N > 0 each of them follows an ask in a random other
guild (a question about that guild's articles, timed on its own), so the guild is asked while the others
are, and at N = 500 most of those other asks open a file that is not in the cache and load its vocabulary. Each N asks in a fresh process (its peak RSS is the N's), and --rounds R
repeats the N in alternating order, pooling the asks, so a change in the machine's load hits every N alike.
"""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import scale_common
import scale_questions

MEASURED_ARTICLES = 300
OTHER_ARTICLES = 100
GUILD = scale_common.GUILD_BASE  # the measured guild; the others are GUILD_BASE + 1 .. GUILD_BASE + N
SEED = 20261206
TARGET_P50_RATIO = 1.25
TARGET_P99_RATIO = 1.5


# ------------------------------------------------------------------------------------------ the corpus
def parse_all(bbc: Path):
    """Every BBC file parsed once: (files, Documents), aligned, failures dropped."""
    from corpus.errors import IngestError
    from corpus.reading.ingest import document_from_path

    files, docs = [], []
    for f in scale_questions.bbc_files(bbc):
        try:
            docs.append(document_from_path(f))
            files.append(f)
        except IngestError:
            pass
    return files, docs


def measured_choice(count: int) -> list[int]:
    return random.Random(f"{SEED}-measured").sample(range(count), MEASURED_ARTICLES)


def other_choice(guild: int, count: int) -> list[int]:
    """Guild i's articles, the same whatever the largest N: its own seeded draw."""
    return random.Random(f"{SEED}-guild-{guild}").sample(range(count), OTHER_ARTICLES)


def layout_dir(root: Path, n: int) -> Path:
    return root / f"n{n}"


def db_of(folder: Path) -> Path:
    return folder / "bench.db"


# ------------------------------------------------------------------------------------------ build
def build(root: Path, bbc: Path, ns: list[int]) -> dict:
    """Build the largest layout in stages (timed), then hard-link each N's files into its own folder."""
    from corpus import Corpus

    t = time.perf_counter()
    files, docs = parse_all(bbc)
    out = {"parsed": len(docs), "parse_s": time.perf_counter() - t, "stages": []}
    full = root / "full"
    shutil.rmtree(root, ignore_errors=True)
    full.mkdir(parents=True)
    (root / "files.json").write_text(json.dumps([str(f) for f in files]))
    corpus = Corpus.open(db_of(full), load_samples=True)
    stages = [(0, [GUILD], lambda g: measured_choice(len(docs)))]
    done = 0
    for n in sorted(x for x in ns if x > 0):
        stages.append((n, [scale_common.GUILD_BASE + i for i in range(done + 1, n + 1)],
                       lambda g: other_choice(g - scale_common.GUILD_BASE, len(docs))))
        done = n
    for n, guilds, choice in stages:
        t, adds, paragraphs = time.perf_counter(), 0, 0
        for g in guilds:  # a guild's articles in a row: its file stays open (see cold_adds for the other case)
            for k in choice(g):
                r = corpus.add(docs[k], guild_id=g)
                adds += 1
                paragraphs += r.paragraphs if r.status == "added" else 0
        seconds = time.perf_counter() - t
        out["stages"].append({"n": n, "guilds": len(guilds), "adds": adds, "seconds": seconds,
                              "articles_s": adds / seconds, "paragraphs_s": paragraphs / seconds,
                              "rss_mb": scale_common.peak_rss_mb()})
        scale_common.log(f"built N={n}: {adds:,} adds to {len(guilds)} guilds in {seconds:.0f}s ({adds / seconds:.0f}/s)")
    out["cold_adds"] = cold_adds(corpus, docs)
    corpus.close()  # checkpoints every file
    out["build_peak_rss_mb"] = scale_common.peak_rss_mb()
    for n in ns:
        link_layout(full, layout_dir(root, n), n)
    return out


def cold_adds(corpus, docs, guilds: int = 200) -> dict:
    """What an add costs when the guild's file is not open: add one article to each of `guilds` extra guilds
    (creates their files), then a second one to each in the same order: with more guilds than the open-file
    cache holds, every second-round add reopens a closed file. The extra guilds are purged afterwards."""
    from corpus.storage.scopes import OPEN_GUILD_FILES

    extra = [scale_common.GUILD_BASE + 10_000 + i for i in range(guilds)]
    timings = {}
    for label, k in (("new_file", 0), ("closed_file", 1)):
        t = time.perf_counter()
        for i, g in enumerate(extra):
            corpus.add(docs[(2 * i + k) % len(docs)], guild_id=g)
        timings[f"{label}_ms"] = (time.perf_counter() - t) * 1000 / guilds
    for g in extra:
        corpus.purge_guild(g)
    return {"guilds": guilds, "open_file_cache": OPEN_GUILD_FILES, **timings}


def link_layout(full: Path, folder: Path, n: int) -> None:
    (folder / "bench.guilds").mkdir(parents=True)
    os.link(db_of(full), db_of(folder))
    for g in [GUILD] + [scale_common.GUILD_BASE + i for i in range(1, n + 1)]:
        os.link(full / "bench.guilds" / f"{g}.db", folder / "bench.guilds" / f"{g}.db")


def layout_size(folder: Path) -> dict:
    files = scale_common.database_files(db_of(folder))
    return {"files": len(files), "bytes": sum(scale_common.db_size(f) for f in files),
            "articles": scale_common.file_totals(files)["articles"]}


# ------------------------------------------------------------------------------------------ asks
def questions_for(files: list[Path], indices: list[int], count: int, seed) -> list[dict]:
    return scale_questions.generate(files=[files[i] for i in indices], count=count, seed=seed)


def ask_worker(folder: Path, n: int, count: int) -> dict:
    """In a fresh process: the measured guild's asks at N, each after an ask in a random other guild."""
    os.environ["ARTICLEBOT_SAMPLES"] = "0"
    from corpus import Corpus

    files = [Path(f) for f in json.loads((folder.parent / "files.json").read_text())]  # what the build parsed
    own = questions_for(files, measured_choice(len(files)), count, SEED)
    by_source: dict[str, list[str]] = {}
    for q in scale_questions.load(scale_questions.DEFAULT_OUT):
        by_source.setdefault(q["source"], []).append(q["question"])
    rng = random.Random(f"{SEED}-traffic-{n}")
    corpus = Corpus.open(db_of(folder), load_samples=False)
    t = time.perf_counter()
    corpus.ask(own[0]["question"], guild_id=GUILD)
    first_ms = (time.perf_counter() - t) * 1000
    wall, cpu, other, found = [], [], [], 0
    for q in own:
        if n:
            other.append(traffic_ask(corpus, rng, n, files, by_source))
        c, t = time.thread_time(), time.perf_counter()
        answer = corpus.ask(q["question"], guild_id=GUILD)
        wall.append(time.perf_counter() - t)
        cpu.append(time.thread_time() - c)
        sentence = re.sub(r"\s+", " ", q["sentence"])
        found += any(sentence in p.text for p in answer.results)
    open_fds = len(os.listdir("/proc/self/fd")) if Path("/proc/self/fd").is_dir() else None
    corpus.close()
    return {"n": n, "wall": wall, "cpu": cpu, "other": other, "found": found / len(own), "open_fds": open_fds,
            "first_ms": first_ms, "peak_rss_mb": scale_common.peak_rss_mb(), "load": os.getloadavg()[0]}


def traffic_ask(corpus, rng: random.Random, n: int, files: list[Path], by_source: dict) -> float:
    """One ask in a random other guild, about one of its own articles when the question set has one."""
    i = rng.randint(1, n)
    mine = [q for k in other_choice(i, len(files))
            for q in by_source.get(f"{files[k].parent.name}/{files[k].name}", [])]
    question = rng.choice(mine) if mine else "what happened"
    t = time.perf_counter()
    corpus.ask(question, guild_id=scale_common.GUILD_BASE + i)
    return time.perf_counter() - t


# ------------------------------------------------------------------------------------------ report
def report(build_out: dict, sizes: dict, runs: dict[int, list[dict]], info: dict, count: int, rounds: int) -> str:
    ns = sorted(runs)
    pooled = {n: {k: [v for r in runs[n] for v in r[k]] for k in ("wall", "cpu", "other")} for n in ns}
    lat = {n: {k: scale_common.latency(v) if v else None for k, v in pooled[n].items()} for n in ns}
    stage = {s["n"]: s for s in build_out["stages"]}
    base = lat[ns[0]]
    rows: list[tuple[str, list[str]]] = []

    def row(label, fn):
        rows.append((label, [fn(n) for n in ns]))

    ratio = lambda n, kind, p: lat[n][kind][p] / base[kind][p]  # noqa: E731
    row("other guilds (100 articles each)", lambda n: f"{n:,}")
    row("articles stored, all files", lambda n: f"{sizes[n]['articles']:,}")
    row("database files (shared + guilds)", lambda n: f"{sizes[n]['files']:,}")
    row("total size", lambda n: f"{sizes[n]['bytes'] / 1e6:,.1f} MB")
    row("ingest of this stage, articles/s",
        lambda n: f"{stage[n]['articles_s']:,.0f} ({stage[n]['adds']:,} adds)")
    row("the guild's ask p50/p95/p99 ms", lambda n: scale_common.fmt_lat(lat[n]["wall"]))
    row("  ratio to N=0, p50 / p99", lambda n: f"{ratio(n, 'wall', 'p50'):.2f}x / {ratio(n, 'wall', 'p99'):.2f}x")
    row("the guild's ask CPU p50/p95/p99 ms", lambda n: scale_common.fmt_lat(lat[n]["cpu"]))
    row("  ratio to N=0, p50 / p99", lambda n: f"{ratio(n, 'cpu', 'p50'):.2f}x / {ratio(n, 'cpu', 'p99'):.2f}x")
    row("another guild's ask p50/p95/p99 ms", lambda n: scale_common.fmt_lat(lat[n]["other"]) if lat[n]["other"] else "-")
    row("first ask of the guild (cold) ms", lambda n: " / ".join(f"{r['first_ms']:.0f}" for r in runs[n]))
    row("source sentence in top 5", lambda n: f"{statistics.fmean(r['found'] for r in runs[n]):.0%}")
    row("peak RSS of the asking process", lambda n: f"{max(r['peak_rss_mb'] for r in runs[n]):,.0f} MB")
    row("open file descriptors after the asks", lambda n: " / ".join(str(r.get("open_fds")) for r in runs[n]))
    row("load average during the asks", lambda n: " / ".join(f"{r['load']:.1f}" for r in runs[n]))

    cols = [f"N={n}" for n in ns]
    w0 = max(len(label) for label, _ in rows) + 2
    ws = [max(len(c), *(len(v[i]) for _, v in rows)) + 2 for i, c in enumerate(cols)]
    lines = [f"articlebot many-guilds benchmark, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC",
             f"machine: {info['platform']}; CPU {info['cpu']}, {info['cores']} cores; RAM {info['ram_gib']} GiB; "
             f"Python {info['python']}; SQLite {info['sqlite']}; articlebot {info['articlebot_rev']}",
             f"the guild: {MEASURED_ARTICLES} random BBC articles, asked {count} questions from its own articles' "
             f"sentences, x {rounds} round(s) in alternating order; each other guild: {OTHER_ARTICLES} random "
             f"BBC articles; with N > 0 each of the guild's asks follows an ask in a random other guild",
             f"build: {build_out['parsed']:,} files parsed once in {build_out['parse_s']:.1f}s; "
             f"peak RSS of the build {build_out['build_peak_rss_mb']:,.0f} MB",
             "an add into a guild's file when it is not open: {closed_file_ms:.1f} ms; into a new file "
             "{new_file_ms:.1f} ms (mean over {guilds} guilds; open-file cache {open_file_cache})".format(
                 **build_out["cold_adds"]), "",
             "".ljust(w0) + "".join(c.rjust(w) for c, w in zip(cols, ws))]
    lines += [label.ljust(w0) + "".join(v.rjust(w) for v, w in zip(vals, ws)) for label, vals in rows]
    big = ns[-1]
    lines.append("")
    lines.append(f"targets (N={big} against N={ns[0]}):")
    for kind, label in (("wall", "wall"), ("cpu", "CPU")):
        for p, limit in (("p50", TARGET_P50_RATIO), ("p99", TARGET_P99_RATIO)):
            value = ratio(big, kind, p)
            lines.append(f"  {'MET ' if value <= limit else 'MISS'}  the guild's ask {p}, {label:<4} "
                         f"{value:.2f}x  (target <= {limit}x)")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ driver
def run(args) -> int:
    ns = sorted({int(x) for x in args.others.split(",") if x.strip()} | {0})
    # its own subfolder: the build starts by deleting it, and must not delete anything else in --db-dir
    root = args.db_dir.resolve() / "many-guilds" if args.db_dir else Path(tempfile.mkdtemp(prefix="articlebot-many-"))
    info = scale_common.machine_info()
    scale_common.log(f"building N = {', '.join(map(str, ns))} in {root}")
    build_out = build(root, args.bbc, ns)
    sizes = {n: layout_size(layout_dir(root, n)) for n in ns}
    runs: dict[int, list[dict]] = {n: [] for n in ns}
    for r in range(args.rounds):
        for n in (ns if r % 2 == 0 else ns[::-1]):
            scale_common.log(f"round {r + 1}/{args.rounds}: asking at N={n}")
            runs[n].append(ask_in_subprocess(layout_dir(root, n), args, n))
    out = report(build_out, sizes, runs, info, args.count, args.rounds)
    print(out)
    if args.json_out:
        args.json_out.write_text(json.dumps({"machine": info, "build": build_out, "sizes": sizes,
                                             "runs": runs}, indent=1))
    if not args.db_dir:
        shutil.rmtree(root, ignore_errors=True)
    return 0


def ask_in_subprocess(folder: Path, args, n: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--ask-worker", str(folder), str(n), str(args.count)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=tempfile.gettempdir())
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(scale_common.RESULT_TAG)]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"N={n}: ask worker failed (exit {proc.returncode})")
    return json.loads(lines[-1][len(scale_common.RESULT_TAG):])


# ------------------------------------------------------------------------------------------ schema cost
def schema_cost(ks=(1, 10, 1000, 5000), repeats: int = 5) -> str:
    """The alternative design: one FTS5 table per scope in one file. What opening a connection and running a
    first query costs with K such tables (SQLite parses the whole schema on a connection's first statement),
    and what adding one more scope's table costs once K exist. Lines print as each K is done."""
    lines = ["per-scope FTS5 tables in one file: a new connection's first query (median of "
             f"{repeats}; RSS: in a fresh process), SQLite {sqlite3.sqlite_version}",
             f"{'K tables':>10} {'schema rows':>12} {'file':>10} {'create all':>11} {'add one more':>13} "
             f"{'open+first query':>17} {'RSS per connection':>19}"]
    print("\n".join(lines), flush=True)
    for k in ks:
        folder = Path(tempfile.mkdtemp(prefix="articlebot-schema-"))
        path = folder / "scopes.db"
        t = time.perf_counter()
        last = make_scope_tables(path, k)
        create_s = time.perf_counter() - t
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            conn = sqlite3.connect(path)
            conn.execute(first_query(k)).fetchall()
            times.append(time.perf_counter() - t)
            conn.close()
        rows = sqlite3.connect(path).execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        line = (f"{k:>10,} {rows:>12,} {path.stat().st_size / 1e6:>8.1f}MB {create_s:>10.1f}s {last * 1000:>10.1f} ms "
                f"{statistics.median(times) * 1000:>14.2f} ms {connection_rss_kb(path, k) / 1024:>16.1f} MB")
        print(line, flush=True)
        lines.append(line)
        shutil.rmtree(folder)
    note = "K = 1 is the file-per-guild design: a guild's file holds one FTS5 table, whatever the guild count."
    print(note, flush=True)
    return "\n".join(lines + [note])


def make_scope_tables(path: Path, k: int) -> float:
    """K scopes the way a per-scope design would hold them: an external-content FTS5 table each (the
    table plus its 4 shadow tables) over one paragraphs table, one paragraph in each. Returns the mean
    seconds of the last 10 scopes' table creation (what a new guild's first add would pay)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    conn.execute("CREATE TABLE paragraphs (id INTEGER PRIMARY KEY, scope INTEGER, text TEXT)")
    last = []
    for i in range(k):
        t = time.perf_counter()
        conn.execute(f"CREATE VIRTUAL TABLE fts_{i} USING fts5(text, content='paragraphs', content_rowid='id', "
                     f"tokenize='porter unicode61 remove_diacritics 2')")
        last = (last + [time.perf_counter() - t])[-10:]
        conn.execute("INSERT INTO paragraphs (id, scope, text) VALUES (?, ?, ?)",
                     (i + 1, i, f"The ferry strike in scope {i} ended on Monday."))
        conn.execute(f"INSERT INTO fts_{i} (rowid, text) SELECT id, text FROM paragraphs WHERE id = ?", (i + 1,))
    conn.execute("COMMIT")
    conn.close()
    return statistics.fmean(last)


def first_query(k: int) -> str:
    return f"SELECT rowid FROM fts_{k // 2} WHERE fts_{k // 2} MATCH 'ferry' LIMIT 5"


def connection_rss_kb(path: Path, k: int) -> int:
    """What one open connection holds after its first query (the parsed schema), measured in a fresh process:
    in this one, memory freed by earlier connections would be reused and hide it."""
    code = ("import sqlite3, sys\n"
            "rss = lambda: int(open('/proc/self/statm').read().split()[1])\n"
            "before = rss(); conn = sqlite3.connect(sys.argv[1]); conn.execute(sys.argv[2]).fetchall()\n"
            "print((rss() - before) * __import__('os').sysconf('SC_PAGE_SIZE') // 1024)")
    out = subprocess.run([sys.executable, "-c", code, str(path), first_query(k)], capture_output=True, text=True)
    return int(out.stdout.strip() or 0)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--ask-worker":
        result = ask_worker(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        print(scale_common.RESULT_TAG + json.dumps(result), flush=True)
