"""Fits `answered` per language (corpus/answering/thresholds.py) on XQuAD: answerable questions, and
unanswerable ones that are near their topic (a question asked of an archive that lacks its paragraph).

Each language's archive is its XQuAD articles without one paragraph of each (the third): the questions on
the kept paragraphs are answerable, those on the missing ones are not (their article's other paragraphs
are there, so they are as close to the topic as an unanswerable question gets). The threshold on the
best passage's coverage is the highest that refuses at most 5% of the answerable ones (as English's was
chosen), and never stricter than English's.

    python benchmarks/fit_answered_languages.py [--xquad DIR] [--languages de,ru,ar] [--meaning]
        [--write-sets benchmarks/unanswerable]

--write-sets writes each language's unanswerable questions (benchmarks/unanswerable/xquad.LANG.jsonl).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from corpus import Corpus, Document  # noqa: E402
from xquad import DEFAULT  # noqa: E402

MISSING = 2        # the paragraph of each article left out of the archive
REFUSED_AT_MOST = 0.05
UNKNOWN_REFUSED_AT_MOST = 0.02


def split(path: Path):
    """(articles without their MISSING paragraph, answerable questions, unanswerable questions)."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    archive, answerable, unanswerable = [], [], []
    for art in data:
        kept = []
        for i, p in enumerate(art["paragraphs"]):
            context = " ".join(p["context"].split())
            questions = [qa["question"] for qa in p["qas"]]
            if i == MISSING and len(art["paragraphs"]) > 1:
                unanswerable.extend({"question": q, "article": art["title"], "missing_paragraph": i} for q in questions)
            else:
                kept.append(context)
                answerable.extend(questions)
        archive.append((art["title"].replace("_", " "), kept))
    return archive, answerable, unanswerable


def best_of(corpus: Corpus, question: str) -> dict:
    reading = corpus.read(question)
    best = reading.candidates[0] if reading.candidates else None
    return {"coverage": best.coverage if best else 0.0, "cosine": best.features.get("cosine") if best else None,
            "language": best.language if best else None, "answered": reading.answered(),
            "vetoed": not best or reading.function_words_only, "unknown_share": reading.unknown_share}


def measure(path: Path, db: Path, meaning: bool) -> tuple[list[dict], list[dict], list[dict]]:
    os.environ["ARTICLEBOT_SEMANTIC"] = "1" if meaning else "0"
    archive, answerable, unanswerable = split(path)
    corpus = Corpus.open(db, load_samples=False)
    for title, paragraphs in archive:
        corpus.add(Document(title=title, paragraphs=paragraphs))
    if meaning:
        corpus.embed([store for store, _ in corpus.pending_vectors()])
    yes = [best_of(corpus, q) for q in answerable]
    no = [best_of(corpus, u["question"]) for u in unanswerable]
    corpus.close()
    return yes, no, unanswerable


def passes(r: dict, threshold: float, meaning: bool, unknown: float) -> bool:
    """`answered` with these thresholds on coverage and the unknown words' share (the meaning rule as it is)."""
    if r["vetoed"] or r["unknown_share"] >= unknown:
        return False
    if meaning and r["cosine"] is not None:
        from corpus.answering.rerank import MEANING_ANSWERED as m
        return r["coverage"] >= threshold or (r["cosine"] >= m["cosine"] and r["coverage"] >= m["cosine_coverage"])
    return r["coverage"] >= threshold


def fit(yes: list[dict], meaning: bool, ceiling: float, unknown_ceiling: float) -> tuple[float, float]:
    """The unknown words' share past which a question is refused: English's, or higher (in steps of 0.05)
    until at most UNKNOWN_REFUSED_AT_MOST of `yes` is refused for it. Then the highest coverage threshold
    (<= ceiling, in steps of 0.01) refusing at most REFUSED_AT_MOST of `yes` in all."""
    u = unknown_ceiling
    while u < 1.0 and sum(r["unknown_share"] >= u for r in yes) / len(yes) > UNKNOWN_REFUSED_AT_MOST:
        u = round(u + 0.05, 2)
    t = round(ceiling, 2)
    while t > 0 and sum(not passes(r, t, meaning, u) for r in yes) / len(yes) > REFUSED_AT_MOST:
        t = round(t - 0.01, 2)
    return t, u


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xquad", type=Path, default=DEFAULT)
    parser.add_argument("--languages", default="")
    parser.add_argument("--meaning", action="store_true", help="with vectors (multilingual-e5-small)")
    parser.add_argument("--write-sets", type=Path, help="folder to write the unanswerable sets to")
    args = parser.parse_args()
    from corpus.answering.rerank import ANSWERED_THRESHOLD, MEANING_ANSWERED
    from corpus.answering.search import UNKNOWN_SHARE_REFUSED

    english = MEANING_ANSWERED["coverage"] if args.meaning else ANSWERED_THRESHOLD
    by_code = {f.name.split(".")[1]: f for f in sorted(args.xquad.glob("xquad.*.json"))}
    codes = [c for c in (args.languages.split(",") if args.languages else by_code) if c in by_code]
    print(f"{'lang':<5} {'cover':>6} {'unknown':>7} {'refused answerable: en-threshold':>33} {'fitted':>7} "
          f"{'refused unanswerable: en-threshold':>35} {'fitted':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for code in codes:
            yes, no, sets = measure(by_code[code], Path(tmp) / f"{code}.db", args.meaning)
            if args.write_sets:
                args.write_sets.mkdir(parents=True, exist_ok=True)
                with open(args.write_sets / f"xquad.{code}.jsonl", "w", encoding="utf-8") as out:
                    out.writelines(json.dumps(u, ensure_ascii=False) + "\n" for u in sets)
            t, u = fit(yes, args.meaning, english, UNKNOWN_SHARE_REFUSED)
            rate = lambda rs, th, un: sum(not passes(r, th, args.meaning, un) for r in rs) / len(rs)  # noqa: E731
            en = UNKNOWN_SHARE_REFUSED
            print(f"{code:<5} {t:6.2f} {u:7.2f} {rate(yes, english, en):33.3f} {rate(yes, t, u):7.3f} "
                  f"{rate(no, english, en):35.3f} {rate(no, t, u):7.3f}   ({len(yes)} answerable, "
                  f"{len(no)} unanswerable)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
