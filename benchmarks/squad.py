"""Closed-corpus paragraph retrieval on a SQuAD dev half: articlebot's engine next to plain FTS5 bm25.

Every question is asked against all paragraphs; a hit is the paragraph the question was written on.
Both methods run in the same process on the same machine, so their figures compare.

    python benchmarks/squad.py [--path ../shared/bench/squad-dev-a.json] [--limit-questions N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpus import Corpus, Document  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "bench" / "squad-dev-a.json"


def load(path: Path):
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    articles, questions = [], []
    for art in data:
        title = art["title"].replace("_", " ")
        paragraphs = [re.sub(r"\s+", " ", p["context"]).strip() for p in art["paragraphs"]]
        articles.append((title, paragraphs))
        for p, text in zip(art["paragraphs"], paragraphs):
            for qa in p["qas"]:
                questions.append((qa["question"], text))
    return articles, questions


def score(ranked_texts: list[list[str]], gold: list[str]) -> dict:
    top1 = r5 = mrr = 0.0
    for texts, want in zip(ranked_texts, gold):
        if texts[:1] == [want]:
            top1 += 1
        if want in texts[:5]:
            r5 += 1
        if want in texts[:10]:
            mrr += 1 / (texts[:10].index(want) + 1)
    n = len(gold)
    return {"top1": top1 / n, "recall@5": r5 / n, "mrr@10": mrr / n}


def engine_run(articles, questions, db: Path):
    """The engine twice on one database: words only (ARTICLEBOT_SEMANTIC=0), then, once every paragraph has
    its vector, words and meaning. Returns {label: (ranked, times)}, the ingest and embedding seconds, and
    the median seconds to encode one question on its own."""
    corpus = Corpus.open(db, load_samples=False)
    t = time.perf_counter()
    for title, paragraphs in articles:
        corpus.add(Document(title=title, paragraphs=paragraphs))
    ingest_s = time.perf_counter() - t
    runs = {}
    os.environ["ARTICLEBOT_SEMANTIC"] = "0"
    runs["articlebot, words only"] = _ask_all(corpus, questions)
    os.environ["ARTICLEBOT_SEMANTIC"] = "1"
    embed_s = encode_s = None
    if corpus.semantic.encoder() is not None:
        t = time.perf_counter()
        corpus.embed([store for store, _ in corpus.pending_vectors()])
        embed_s = time.perf_counter() - t
        encoder = corpus.semantic.encoder()
        encode_times = []
        for q, _ in questions[:300]:
            t = time.perf_counter()
            encoder.encode_queries([q])
            encode_times.append(time.perf_counter() - t)
        encode_s = statistics.median(encode_times)
        runs["articlebot, words+meaning"] = _ask_all(corpus, questions)
    else:
        print(f"searching by meaning: {corpus.semantic.status}")
    corpus.close()
    return runs, ingest_s, embed_s, encode_s


def _ask_all(corpus, questions):
    ranked, times, abstained = [], [], []
    for q, _ in questions:
        t = time.perf_counter()
        answer = corpus.ask(q, limit=10)
        times.append(time.perf_counter() - t)
        ranked.append([p.text for p in answer.results])
        abstained.append(not answer.answered)
    print(f"answered=false on {sum(abstained) / len(abstained):.3f} of these answerable questions "
          f"({'meaning' if os.environ.get('ARTICLEBOT_SEMANTIC') == '1' else 'words only'})")
    return ranked, times


def baseline_run(articles, questions, db: Path):
    """Plain FTS5: porter tokenizer, one row per paragraph, the question's words OR-ed, bm25()."""
    conn = sqlite3.connect(db)
    conn.execute("CREATE VIRTUAL TABLE p USING fts5(text, tokenize='porter unicode61 remove_diacritics 2')")
    conn.executemany("INSERT INTO p(text) VALUES (?)", [(t,) for _, ps in articles for t in ps])
    conn.commit()
    ranked, times = [], []
    for q, _ in questions:
        t = time.perf_counter()
        words = re.findall(r"\w+", q)
        rows = conn.execute("SELECT text FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT 10",
                            (" OR ".join(f'"{w}"' for w in words),)).fetchall() if words else []
        times.append(time.perf_counter() - t)
        ranked.append([r[0] for r in rows])
    conn.close()
    return ranked, times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=DEFAULT, help=f"SQuAD-format JSON (default {DEFAULT})")
    parser.add_argument("--limit-questions", type=int, default=0, help="ask only the first N questions")
    args = parser.parse_args()
    if not args.path.exists():
        print(f"error: {args.path} not found (use --path)", file=sys.stderr)
        return 1
    articles, questions = load(args.path)
    if args.limit_questions:
        questions = questions[: args.limit_questions]
    gold = [text for _, text in questions]
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}")
    print(f"data: {args.path.name}: {len(articles)} articles, {sum(len(p) for _, p in articles)} paragraphs, "
          f"{len(questions)} questions")
    with tempfile.TemporaryDirectory() as tmp:
        base_ranked, base_times = baseline_run(articles, questions, Path(tmp) / "baseline.db")
        runs, ingest_s, embed_s, encode_s = engine_run(articles, questions, Path(tmp) / "engine.db")
    rows = [("FTS5 bm25, words OR-ed", score(base_ranked, gold), base_times)]
    rows += [(label, score(ranked, gold), times) for label, (ranked, times) in runs.items()]
    print(f"\n{'method':<28} {'top-1':>6} {'R@5':>6} {'MRR@10':>7} {'ms/q median':>12} {'ms/q mean':>10} {'x FTS5':>7}")
    for name, s, times in rows:
        print(f"{name:<28} {s['top1']:6.3f} {s['recall@5']:6.3f} {s['mrr@10']:7.3f} "
              f"{statistics.median(times) * 1000:12.2f} {statistics.mean(times) * 1000:10.2f} "
              f"{statistics.median(times) / statistics.median(base_times):7.1f}")
    paragraphs = sum(len(p) for _, p in articles)
    print(f"\nengine ingest (text, lexically searchable): {ingest_s:.1f} s")
    if embed_s is not None:
        print(f"embedding: {paragraphs} paragraphs in {embed_s:.1f} s = {paragraphs / embed_s:.1f} paragraphs/s; "
              f"one question encoded alone: {encode_s * 1000:.1f} ms median (inside the words+meaning ask times, "
              f"overlapped with the lexical stages on a second thread)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
