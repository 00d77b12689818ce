"""Paragraph retrieval in several languages on XQuAD: the same 240 paragraphs and 1,190 questions,
professionally translated, each language in its own database, every question asked through the engine.

A hit is the paragraph the question was written on. Every language runs in the same process on the same
machine, so the ratios to English compare. Lexical engine only.

    python benchmarks/xquad.py [--xquad ../shared/bench/xquad] [--languages en,es,zh] [--limit-questions N]
        [--typos] [--samples]

--typos asks each question a second time with one slip in its longest word (two letters swapped), to
measure typo correction per language. --samples keeps the bundled English sample article in each database,
as every guild sees it: the questions are then read in English too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpus import Corpus, Document  # noqa: E402

# ../shared from the project root; a worktree beside the main clone finds it one level further up.
DEFAULT = next((p for p in (ROOT.parent / "shared" / "bench" / "xquad",
                            ROOT.parent.parent / "shared" / "bench" / "xquad") if p.is_dir()),
               ROOT.parent / "shared" / "bench" / "xquad")


def load(path: Path):
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    articles, questions = [], []
    for art in data:
        paragraphs = [re.sub(r"\s+", " ", p["context"]).strip() for p in art["paragraphs"]]
        articles.append((art["title"].replace("_", " "), paragraphs))
        for p, text in zip(art["paragraphs"], paragraphs):
            questions.extend((qa["question"], text) for qa in p["qas"])
    return articles, questions


def with_typo(question: str) -> str:
    """One slip in the question's longest word of five letters or more: two inner letters swapped."""
    found = re.findall(r"[^\W\d_]{5,}", question)
    if not found:
        return question
    word = max(found, key=len)
    i = len(word) // 2
    slipped = word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]
    return question.replace(word, slipped, 1)


def run(articles, questions, db: Path, typos: bool, samples: bool, meaning: bool = False) -> dict:
    os.environ["ARTICLEBOT_SEMANTIC"] = "1" if meaning else "0"
    corpus = Corpus.open(db, load_samples=samples)
    t = time.perf_counter()
    for title, paragraphs in articles:
        corpus.add(Document(title=title, paragraphs=paragraphs))
    if meaning:
        corpus.embed([store for store, _ in corpus.pending_vectors()])
    ingest_s = time.perf_counter() - t
    languages = sorted({r[0] for r in corpus.shared.query("SELECT language FROM articles")}) \
        if _has_language_column(corpus) else ["-"]
    top1 = r5 = answered = 0
    times = []
    for question, gold in questions:
        t = time.perf_counter()
        answer = corpus.ask(question, limit=5)
        times.append(time.perf_counter() - t)
        texts = [p.text for p in answer.results]
        top1 += texts[:1] == [gold]
        r5 += gold in texts
        answered += answer.answered
    typo_top1 = None
    if typos:
        typo_top1 = sum([p.text for p in corpus.ask(with_typo(q), limit=1).results] == [gold]
                        for q, gold in questions) / len(questions)
    corpus.close()
    n = len(questions)
    return {"top1": top1 / n, "r5": r5 / n, "answered": answered / n, "ms": statistics.median(times) * 1000,
            "ms_mean": statistics.mean(times) * 1000, "ingest_s": ingest_s, "detected": ",".join(languages),
            "typo_top1": typo_top1}


def _has_language_column(corpus) -> bool:
    return any(r[1] == "language" for r in corpus.shared.query("PRAGMA table_info(articles)"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=DEFAULT, help=f"folder of xquad.LANG.json (default {DEFAULT})")
    parser.add_argument("--languages", default="", help="comma-separated codes (default: every file found)")
    parser.add_argument("--limit-questions", type=int, default=0, help="ask only the first N questions per language")
    parser.add_argument("--typos", action="store_true", help="also ask each question with one slip in it")
    parser.add_argument("--meaning", action="store_true",
                        help="words and meaning: embed every paragraph (multilingual-e5-small) before asking")
    parser.add_argument("--samples", action="store_true",
                        help="keep the bundled English sample beside each language, as a new bot has it")
    args = parser.parse_args()
    files = sorted(args.xquad.glob("xquad.*.json")) if args.xquad.is_dir() else []
    if not files:
        print(f"error: no xquad.LANG.json in {args.xquad} (use --xquad DIR)", file=sys.stderr)
        return 1
    wanted = [x for x in args.languages.split(",") if x]
    by_code = {f.name.split(".")[1]: f for f in files}
    codes = [c for c in (wanted or sorted(by_code, key=lambda c: (c != "en", c))) if c in by_code]
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for code in codes:
            articles, questions = load(by_code[code])
            if args.limit_questions:
                questions = questions[: args.limit_questions]
            results[code] = run(articles, questions, Path(tmp) / f"{code}.db", args.typos, args.samples,
                                args.meaning)
            print(f"  {code}: {len(articles)} articles, {sum(len(p) for _, p in articles)} paragraphs, "
                  f"{len(questions)} questions, ingest {results[code]['ingest_s']:.1f} s"
                  + (" (with vectors)" if args.meaning else ""), flush=True)
    english = results.get("en", {}).get("top1")
    print(f"\n{'lang':<5} {'detected':<9} {'top-1':>6} {'R@5':>6} {'/en':>6} {'answered':>9} "
          f"{'ms/q med':>9} {'ms/q mean':>10}" + (f" {'typo top-1':>11}" if args.typos else ""))
    for code, r in results.items():
        ratio = f"{r['top1'] / english:6.3f}" if english else f"{'-':>6}"
        typo = f" {r['typo_top1']:11.3f}" if args.typos else ""
        print(f"{code:<5} {r['detected']:<9} {r['top1']:6.3f} {r['r5']:6.3f} {ratio} {r['answered']:9.3f} "
              f"{r['ms']:9.2f} {r['ms_mean']:10.2f}{typo}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
