"""What a command-line `ask` costs on a database with vectors, with and without the built-model cache.

Each run is a fresh `python -m corpus --db DB ask QUESTION` process, so it pays imports and the sentence
model's load as a user's command does. The configurations take turns, round after round, so a machine
whose load changes affects them alike:

- no cache: ARTICLEBOT_CACHE_DIR cannot be created, so the graph is built in memory every time (what every
  process did before corpus/sentence_model/model_cache.py);
- cold cache: an empty cache directory, so the process builds the graph and writes it (a first run);
- warm cache: the graph is read from the cache (every later run);
- words only: ARTICLEBOT_SEMANTIC=0, no model at all (the floor).

    python benchmarks/model_load.py              # 5 rounds; the database: tests/fixtures' BBC texts, embedded
    python benchmarks/model_load.py --rounds 9 --db my.db

Prints the median wall and CPU (user + system) time of each, and the load average.
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
QUESTION = "what did Greenspan say about the dollar"


def run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "corpus", *args], cwd=ROOT, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"`articlebot {' '.join(args)}` failed: {done.stderr.strip()}")
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", type=Path, help="a database with vectors (default: one made from tests/fixtures)")
    parser.add_argument("--question", default=QUESTION)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="model-load-") as folder:
        work = Path(folder)
        base = {k: v for k, v in os.environ.items() if not k.startswith("ARTICLEBOT_")}
        db = args.db or work / "bench.db"
        if args.db is None:
            texts = sorted(str(p) for p in (ROOT / "tests" / "fixtures").glob("bbc-*.txt"))
            run(["--db", str(db), "ingest", *texts], dict(base, ARTICLEBOT_CACHE_DIR=str(work / "warm")))
        (work / "a-file").write_text("")
        configs = {
            "no cache (built every time)": dict(base, ARTICLEBOT_CACHE_DIR=str(work / "a-file" / "cache")),
            "cold cache (build + write)": dict(base, ARTICLEBOT_CACHE_DIR=str(work / "cold")),
            "warm cache": dict(base, ARTICLEBOT_CACHE_DIR=str(work / "warm")),
            "words only (SEMANTIC=0)": dict(base, ARTICLEBOT_SEMANTIC="0"),
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in configs}
        for _ in range(args.rounds):
            for name, env in configs.items():
                shutil.rmtree(work / "cold", ignore_errors=True)
                times[name].append(run(["--db", str(db), "ask", args.question], env))
    print(f"`articlebot ask` on a database with vectors, median of {args.rounds} fresh processes "
          f"(load average {os.getloadavg()[0]:.1f} at the end, {os.cpu_count()} cores):")
    for name, pairs in times.items():
        walls, cpus = zip(*pairs)
        print(f"  {name:28s} wall {statistics.median(walls):5.2f} s   CPU {statistics.median(cpus):5.2f} s"
              f"   (walls {' '.join(f'{w:.2f}' for w in walls)})")


if __name__ == "__main__":
    main()
