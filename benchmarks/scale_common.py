"""What benchmarks/scale.py and benchmarks/scale_guilds.py both use: the machine's description, peak RSS,
latency percentiles, the database files of a layout and their totals. Kept apart so that neither script
imports the other."""
from __future__ import annotations

import math
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
GUILD_BASE = 900_000_000_000_000_000  # Discord-snowflake-sized guild ids: GUILD_BASE + 1 .. GUILD_BASE + N
RESULT_TAG = "SCALE-RESULT "


def machine_info() -> dict:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        rev = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "corpus"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        rev = (rev or "?") + (" + uncommitted corpus/ changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        rev = "?"
    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(),
            "ram_gib": round(ram / 2**30, 1) if ram else None, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "articlebot_rev": rev}


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM, which exec resets (ru_maxrss keeps the parent's peak at fork)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def latency(values_s: list[float]) -> dict:
    ms = [v * 1000 for v in values_s]
    return {"n": len(ms), "p50": pct(ms, 50), "p95": pct(ms, 95), "p99": pct(ms, 99),
            "mean": statistics.fmean(ms), "max": max(ms)}


def database_files(shared: Path) -> list[Path]:
    """The shared file and every guild file beside it (`x.db`, `x.guilds/*.db`)."""
    return [shared, *sorted(shared.with_name(shared.stem + ".guilds").glob("*.db"))]


def file_totals(files: list[Path], *, sizes: bool = False) -> dict:
    """Articles, paragraphs, text and file bytes summed over the files; with `sizes`, the dbstat breakdown
    summed too and the most FTS5 segments of any one file."""
    out = {"articles": 0, "paragraphs": 0, "text_bytes": 0, "bytes": 0}
    breakdown: dict[str, int] = {}
    segments = 0
    for path in files:
        out["bytes"] += db_size(path)
        conn = sqlite3.connect(path)
        try:
            a, p = conn.execute("SELECT count(*), coalesce(sum(paragraph_count), 0) FROM articles").fetchone()
            out["articles"] += a
            out["paragraphs"] += p
            out["text_bytes"] += conn.execute("SELECT coalesce(sum(length(CAST(text AS BLOB))), 0) "
                                              "FROM paragraphs").fetchone()[0]
            if sizes:
                for key, size in size_breakdown(conn).items():
                    breakdown[key] = breakdown.get(key, 0) + size
                segments = max(segments, conn.execute(
                    "SELECT count(DISTINCT segid) FROM paragraphs_fts_idx").fetchone()[0])
        finally:
            conn.close()
    if sizes:
        out["breakdown"] = dict(sorted(breakdown.items(), key=lambda kv: -kv[1]))
        out["fts_segments"] = segments
    return out


def log(msg: str) -> None:
    print(f"[{datetime.now(timezone.utc).strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def db_size(path: Path) -> int:
    return sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists())


def size_breakdown(conn: sqlite3.Connection) -> dict:
    try:
        rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    except sqlite3.Error:
        return {}
    groups: dict[str, int] = {}
    for name, size in rows:
        if name.startswith("paragraphs_fts_"):
            key = "fts " + name[len("paragraphs_fts_"):]
        elif name.startswith("embeddings"):
            key = "vectors"
        elif name.startswith("sqlite_autoindex_") or name in ("paragraphs_article_position", "articles_scope_hash"):
            key = "indexes"
        else:
            key = name
        groups[key] = groups.get(key, 0) + size
    return dict(sorted(groups.items(), key=lambda kv: -kv[1]))


def fmt_lat(d: dict) -> str:
    return f"{d['p50']:.1f} / {d['p95']:.1f} / {d['p99']:.1f}"
