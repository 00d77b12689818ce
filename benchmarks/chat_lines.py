"""Chat lines in an ask channel: how many the engine leaves unanswered, against how many real questions it
refuses, on a full archive (all BBC articles + the seed, as benchmarks/news.py builds it).

    python benchmarks/chat_lines.py --db /tmp/news.db            # words only, meaning, meaning + cross-encoder
    python benchmarks/chat_lines.py --db /tmp/news.db --answered # also list every chat line answered

The chat lines (greetings, plans, gaming, homework, server admin talk, opinions, reactions, questions put
to the channel; fourteen languages) are in benchmarks/chat_lines.jsonl (development: the rules were tuned
on it) and benchmarks/chat_lines_holdout.jsonl (written before any tuning, never tuned on). The answerable
questions are benchmarks/news_questions.jsonl's and news_questions_holdout.jsonl's: a good rule leaves
>= 95% of chat lines unanswered while refusing <= 5% of those.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpus import Corpus  # noqa: E402

HERE = Path(__file__).resolve().parent
CHAT_SETS = {"chat dev": HERE / "chat_lines.jsonl", "chat held-out": HERE / "chat_lines_holdout.jsonl"}
QUESTION_SETS = {"news dev": HERE / "news_questions.jsonl", "news held-out": HERE / "news_questions_holdout.jsonl"}
# (label, ARTICLEBOT_SEMANTIC, ARTICLEBOT_RERANK)
RUNS = [("words only", "0", "0"), ("meaning", "1", "0"), ("meaning + cross-encoder", "1", "1")]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def ask_all(corpus: Corpus, texts: list[str]) -> tuple[list, list[float]]:
    answers, times = [], []
    for text in texts:
        t = time.perf_counter()
        answers.append(corpus.ask(text, limit=1))
        times.append(time.perf_counter() - t)
    return answers, times


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="a database of all BBC articles (benchmarks/news.py --db)")
    ap.add_argument("--answered", action="store_true", help="list the chat lines that were answered")
    ap.add_argument("--run", action="append", choices=[r[0] for r in RUNS], help="only this run (repeatable)")
    args = ap.parse_args(argv)
    if not args.db.exists():
        print(f"error: {args.db} not found: build it with benchmarks/news.py --db {args.db}", file=sys.stderr)
        return 1
    chats = {name: read_jsonl(path) for name, path in CHAT_SETS.items()}
    questions = {name: [q for q in read_jsonl(path) if q["answers"]] for name, path in QUESTION_SETS.items()}
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"load {os.getloadavg()[0]:.2f}")
    print("sets: " + ", ".join(f"{n} {len(v)} lines" for n, v in chats.items()) + "; "
          + ", ".join(f"{n} {len(v)} answerable" for n, v in questions.items()))
    corpus = Corpus.open(args.db)
    print(f"\n{'run':<26}" + "".join(f"{n + ' unanswered':>24}" for n in chats)
          + "".join(f"{n + ' refused':>24}" for n in questions) + f"{'ms/ask median':>15}")
    try:
        for label, semantic, rerank in RUNS:
            if args.run and label not in args.run:
                continue
            os.environ["ARTICLEBOT_SEMANTIC"], os.environ["ARTICLEBOT_RERANK"] = semantic, rerank
            line, times, listed = f"{label:<26}", [], []
            for name, rows in chats.items():
                answers, ts = ask_all(corpus, [r["text"] for r in rows])
                times += ts
                quiet = sum(not a.answered for a in answers)
                line += f"{quiet / len(rows):>17.3f} ({quiet:>3})"
                listed += [(name, r, a) for r, a in zip(rows, answers) if a.answered]
            for name, rows in questions.items():
                answers, ts = ask_all(corpus, [q["question"] for q in rows])
                times += ts
                refused = sum(not a.answered for a in answers)
                line += f"{refused / len(rows):>17.3f} ({refused:>3})"
            print(line + f"{statistics.median(times) * 1000:>15.0f}", flush=True)
            if args.answered:
                for name, row, answer in listed:
                    top = answer.results[0]
                    print(f"    {name}: {row['text']!r} -> {top.title!r} (score {top.score:.2f})")
    finally:
        corpus.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
