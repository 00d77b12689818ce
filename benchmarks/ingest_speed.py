"""Text ingest speed of `articlebot ingest --no-embed` on a folder (all of BBC), this checkout against another,
in one run, and whether the two store the same database.

    python benchmarks/ingest_speed.py --before /tmp/main-checkout            # BBC, 3 rounds each
    python benchmarks/ingest_speed.py --before /tmp/main-checkout --rounds 5 --keep /tmp/ingest-dbs

Each round runs the real command in a fresh process (bulk workers included) for the previous code, then
for this checkout, each into a new database: `python -m corpus --db DB ingest --no-embed FOLDER` with
PYTHONPATH set to the checkout. Reported per side: median wall time, articles/s (articles stored over
wall time), CPU seconds of the command and its workers (user + system), and the load average around each
run: the machine is shared, so compare the two columns of one run, and CPU seconds beside wall time.
Then benchmarks/same_database.py compares the last two databases row by row (paragraphs, speakers, terms,
word counts, every full-text index entry). Stdlib only; needs a checkout of the previous code (a `git
worktree add /tmp/main-checkout main`, or `git archive REV | tar -x -C DIR`).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import same_database  # noqa: E402

DEFAULT_FOLDER = ROOT.parent / "shared" / "bench" / "bbc"
TARGET_ARTICLES_S = 200.0  # issue 18


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ingest(checkout: Path, folder: Path, db: Path) -> dict:
    """One `articlebot ingest --no-embed` of the folder with the checkout's engine, timed."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=str(checkout), ARTICLEBOT_SEMANTIC="0", ARTICLEBOT_SAMPLES="0")
    load_before = os.getloadavg()[0]
    cpu, started = children_cpu(), time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "corpus", "--db", str(db), "ingest", "--no-embed", str(folder)],
                         env=env, capture_output=True, text=True, cwd=checkout)
    wall, cpu = time.perf_counter() - started, children_cpu() - cpu
    lines = out.stdout.splitlines()
    added = sum(line.startswith("added #") for line in lines)
    if out.returncode not in (0, 1) or not added:
        raise SystemExit(f"ingest with {checkout} failed ({out.returncode}): {out.stderr[-500:]}")
    return {"wall": wall, "cpu": cpu, "added": added, "lines": len(lines),
            "load": (load_before + os.getloadavg()[0]) / 2}


def summary(runs: list[dict]) -> dict:
    wall = statistics.median(r["wall"] for r in runs)
    return {"wall": wall, "cpu": statistics.median(r["cpu"] for r in runs), "added": runs[0]["added"],
            "rate": runs[0]["added"] / wall, "best": max(r["added"] / r["wall"] for r in runs),
            "load": statistics.mean(r["load"] for r in runs)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="a checkout of the previous code")
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the databases in this folder")
    args = parser.parse_args()
    if not (args.before / "corpus" / "__init__.py").exists():
        print(f"error: {args.before} is not a checkout of articlebot (no corpus/ in it)", file=sys.stderr)
        return 2
    if not args.folder.is_dir():
        print(f"error: {args.folder} is not a folder of articles", file=sys.stderr)
        return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="ingest-speed-"))
    work.mkdir(parents=True, exist_ok=True)
    sides = {"before": args.before.resolve(), "after": ROOT}
    runs: dict[str, list[dict]] = {side: [] for side in sides}
    print(f"{os.cpu_count()} cores; {args.folder}; load average at start {os.getloadavg()[0]:.2f}")
    for round_ in range(1, args.rounds + 1):
        for side, checkout in sides.items():
            run = ingest(checkout, args.folder, work / f"{side}.db")
            runs[side].append(run)
            print(f"  round {round_} {side:6s} {run['wall']:6.2f} s wall  {run['cpu']:6.2f} s CPU  "
                  f"{run['added'] / run['wall']:6.1f} articles/s  (load {run['load']:.2f})", flush=True)
    before, after = summary(runs["before"]), summary(runs["after"])
    print(f"\n{'':28s}{'before':>12s}{'after':>12s}")
    for label, key, fmt in [("articles stored", "added", "{:.0f}"), ("wall time, median (s)", "wall", "{:.2f}"),
                            ("articles/s, median", "rate", "{:.1f}"), ("articles/s, best round", "best", "{:.1f}"),
                            ("CPU s (command + workers)", "cpu", "{:.2f}"), ("load average", "load", "{:.2f}")]:
        print(f"{label:28s}{fmt.format(before[key]):>12s}{fmt.format(after[key]):>12s}")
    print(f"after / before: {after['rate'] / before['rate']:.2f}x articles/s, CPU {after['cpu'] / before['cpu']:.2f}x; "
          f"target >= {TARGET_ARTICLES_S:.0f} articles/s: {'MET' if after['rate'] >= TARGET_ARTICLES_S else 'MISSED'}")
    print("\nsame database?")
    differs = same_database.compare(str(work / "before.db"), str(work / "after.db"), show=3)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return differs


if __name__ == "__main__":
    sys.exit(main())
