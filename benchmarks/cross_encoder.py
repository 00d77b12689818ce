"""The cross-encoder stage's quality/cost curve: top-1 and ask time without it and with it reading the best
k = 3, 5, 10, 20 candidates, in one process on one database (the "before" is ARTICLEBOT_RERANK=0, i.e.
today's engine), and how `answered` fares on unanswerable and answerable questions.

    python benchmarks/cross_encoder.py --db /tmp/news.db                    # news dev + held-out questions
    python benchmarks/cross_encoder.py --squad ../shared/bench/squad-dev-a.json --squad-db /tmp/squad.db --limit 300
    python benchmarks/cross_encoder.py --db /tmp/news.db --k 5             # one k only

--db is a database of all BBC articles and the seed (benchmarks/news.py --db PATH builds one; with vectors
unless ARTICLEBOT_SEMANTIC=0). --squad-db is made from the SQuAD file on the first run (with vectors:
minutes), then reused. Times are per ask, in this process, on one thread for each model.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import norm  # noqa: E402

from corpus import Corpus, Document  # noqa: E402
from corpus.answering import cross_rerank  # noqa: E402

HERE = Path(__file__).resolve().parent
NEWS_SETS = {"dev": HERE / "news_questions.jsonl", "held-out": HERE / "news_questions_holdout.jsonl"}


def news_questions() -> list[dict]:
    """Each question with its set, kind and a test of whether a passage answers it."""
    out = []
    for split, path in NEWS_SETS.items():
        for line in path.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            golds = [norm(a["sentence"]) for a in q["answers"]]
            kinds = [q["kind"]] + (["speaker/pronoun"] if q.get("pronoun") else [])
            out.append({"split": split, "kinds": kinds, "question": q["question"], "answerable": bool(golds),
                        "hit": lambda text, golds=golds: any(g in norm(text) for g in golds)})
    return out


def squad_questions(path: Path, db: Path, limit: int) -> tuple[Corpus, list[dict]]:
    from squad import load

    articles, questions = load(path)
    random.Random(7).shuffle(questions)
    reuse = db.exists()
    corpus = Corpus.open(db, load_samples=False)
    if not reuse:
        for title, paragraphs in articles:
            corpus.add(Document(title=title, paragraphs=paragraphs))
    corpus.embed([store for store, _ in corpus.pending_vectors()])
    return corpus, [{"split": "squad", "kinds": ["squad"], "question": q, "answerable": True,
                     "hit": lambda text, gold=gold: text == gold} for q, gold in questions[:limit]]


def run(corpus: Corpus, questions: list[dict], k: int | None) -> dict:
    """Every question asked with the stage reading k candidates (None: switched off)."""
    os.environ["ARTICLEBOT_RERANK"] = "0" if k is None else "1"
    if k is not None:
        cross_rerank.RERANK_K = k
    firsts, answered, times = [], [], []
    for q in questions:
        t = time.perf_counter()
        answer = corpus.ask(q["question"], limit=1)
        times.append(time.perf_counter() - t)
        firsts.append(bool(answer.results) and q["hit"](answer.results[0].text))
        answered.append(answer.answered)
    return {"first": firsts, "answered": answered, "times": times}


def summary(questions: list[dict], result: dict) -> dict:
    groups: dict[str, list[int]] = {}
    for i, q in enumerate(questions):
        for kind in ([f"{q['split']} top-1"] + [f"  {q['split']} {k}" for k in q["kinds"]] if q["answerable"] else []):
            groups.setdefault(kind, []).append(i)
    out = {name: sum(result["first"][i] for i in idx) / len(idx) for name, idx in groups.items()}
    answerable = [i for i, q in enumerate(questions) if q["answerable"]]
    unanswerable = [i for i, q in enumerate(questions) if not q["answerable"]]
    out["answerable refused"] = sum(not result["answered"][i] for i in answerable) / len(answerable)
    if unanswerable:
        out["unanswerable refused"] = sum(not result["answered"][i] for i in unanswerable) / len(unanswerable)
    times = sorted(result["times"])
    out["ms median"] = statistics.median(times) * 1000
    out["ms p99"] = times[min(len(times) - 1, int(0.99 * len(times)))] * 1000
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="a database of all BBC articles + the seed (benchmarks/news.py --db)")
    ap.add_argument("--squad", type=Path, help="a SQuAD-format file (e.g. ../shared/bench/squad-dev-a.json)")
    ap.add_argument("--squad-db", type=Path, help="where the SQuAD database is made once and reused")
    ap.add_argument("--limit", type=int, default=0, help="at most this many SQuAD questions (shuffled, seed 7)")
    ap.add_argument("--k", type=int, action="append", help="candidates the model reads (default: 3 5 10 20)")
    args = ap.parse_args(argv)
    if not args.db and not args.squad:
        ap.error("give --db (news questions) or --squad (and --squad-db)")
    os.environ.setdefault("ARTICLEBOT_SEMANTIC", "1")
    ks = [None] + (args.k or [3, 5, 10, 20])
    if args.db:
        corpus, questions = Corpus.open(args.db), news_questions()
    else:
        if not args.squad_db:
            ap.error("--squad needs --squad-db")
        corpus, questions = squad_questions(args.squad, args.squad_db, args.limit or 10 ** 9)
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"load {os.getloadavg()[0]:.2f}; {len(questions)} questions; semantic {os.environ['ARTICLEBOT_SEMANTIC']}")
    corpus.ask("warm up: load both models", limit=1)
    print(f"cross-encoder: {corpus.semantic.rerank_status}")
    rows = {}
    try:
        for k in ks:
            rows["off" if k is None else f"k={k}"] = summary(questions, run(corpus, questions, k))
            print(f"  done {'off' if k is None else f'k={k}'} (load {os.getloadavg()[0]:.2f})", flush=True)
    finally:
        corpus.close()
    names = list(rows)
    print(f"\n{'':<28}" + "".join(f"{n:>10}" for n in names))
    for metric in rows[names[0]]:
        fmt = "{:>10.0f}" if metric.startswith("ms") else "{:>10.3f}"
        print(f"{metric:<28}" + "".join(fmt.format(rows[n].get(metric, float('nan'))) for n in names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
