"""What a command-line `ask` costs on a database with vectors: words only against searching by meaning,
with the built model cached or not, for this checkout and (with --before) another one, in one run.

Each run is a fresh `python -m corpus --db DB ask QUESTION` process, so it pays imports and the sentence
model's load as a user's command does; its wall time, CPU time (user + system) and peak RSS are its own
(os.wait4). The configurations take turns, round after round, so a machine whose load changes affects
them alike:

- words only: ARTICLEBOT_SEMANTIC=0, no model at all (the floor, and the issue's yardstick: with vectors
  within 2x of its wall time, peak RSS under 200 MB);
- with vectors: the model read from a warm cache (every run after the first);
- cold cache: an empty cache directory, so the process builds the model and writes it (a first run);
- no cache: ARTICLEBOT_CACHE_DIR cannot be created, so the model is built in memory every time.

    python benchmarks/model_load.py                        # 5 rounds; the database: tests/fixtures' BBC texts, embedded
    python benchmarks/model_load.py --rounds 9 --db my.db
    git worktree add /tmp/before main && python benchmarks/model_load.py --before /tmp/before   # before/after

Prints the medians of each, the ratios to words only, and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "how did the bank's rate setters vote"


def run(code: Path, args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one fresh process running `code`'s corpus."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "corpus", *args], cwd=code, env=env,
                                   stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            errors.seek(0)
            sys.exit(f"`articlebot {' '.join(args)}` in {code} failed: {errors.read().decode().strip()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def configurations(work: Path, codes: dict[str, Path]) -> dict[str, tuple[Path, dict[str, str]]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ARTICLEBOT_") and k != "PYTHONPATH"}
    (work / "a-file").write_text("")
    out = {}
    for label, code in codes.items():
        out[f"{label}: words only"] = code, dict(base, ARTICLEBOT_SEMANTIC="0")
        out[f"{label}: with vectors"] = code, dict(base, ARTICLEBOT_CACHE_DIR=str(work / f"warm-{label}"))
    after = codes["after"]
    out["after: cold cache"] = after, dict(base, ARTICLEBOT_CACHE_DIR=str(work / "cold"))
    out["after: no cache"] = after, dict(base, ARTICLEBOT_CACHE_DIR=str(work / "a-file" / "cache"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", type=Path, help="a database with vectors (default: one made from tests/fixtures)")
    parser.add_argument("--before", type=Path, help="another checkout (e.g. a worktree of main) to compare with")
    parser.add_argument("--question", default=QUESTION)
    args = parser.parse_args()
    codes = {"after": ROOT} if args.before is None else {"before": args.before.resolve(), "after": ROOT}
    with tempfile.TemporaryDirectory(prefix="model-load-") as folder:
        work = Path(folder)
        configs = configurations(work, codes)
        db = args.db or work / "bench.db"
        if args.db is None:
            texts = sorted(str(p) for p in (ROOT / "tests" / "fixtures").glob("bbc-*.txt"))
            run(ROOT, ["--db", str(db), "ingest", *texts], configs["after: with vectors"][1])
        ask = ["--db", str(db), "ask", args.question]
        for label in codes:  # fill each checkout's warm cache
            code, env = configs[f"{label}: with vectors"]
            run(code, ask, env)
        figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in configs}
        for _ in range(args.rounds):
            for name, (code, env) in configs.items():
                if name.endswith("cold cache"):
                    for leftover in (work / "cold").glob("*"):
                        leftover.unlink()
                figures[name].append(run(code, ask, env))
    report(figures, args.rounds, args.db or "tests/fixtures' 26 BBC texts, embedded", args.question)


def report(figures: dict[str, list[tuple[float, float, float]]], rounds: int, db, question: str) -> None:
    print(f"`articlebot ask {question!r}` on {db}: median of {rounds} fresh processes "
          f"(load average {os.getloadavg()[0]:.1f} at the end, {os.cpu_count()} cores)")
    medians = {name: [statistics.median(column) for column in zip(*runs)] for name, runs in figures.items()}
    print(f"  {'':28s} {'wall':>7s} {'CPU':>7s} {'peak RSS':>9s}  {'wall / words only':>17s}   walls")
    for name, (wall, cpu, rss) in medians.items():
        floor = medians[name.split(":")[0] + ": words only"][0]
        walls = " ".join(f"{w:.2f}" for w, _, _ in figures[name])
        print(f"  {name:28s} {wall:5.2f} s {cpu:5.2f} s {rss:6.0f} MB  {wall / floor:16.2f}x   ({walls})")


if __name__ == "__main__":
    main()
