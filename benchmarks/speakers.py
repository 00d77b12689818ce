"""Who-said-what at ingest, checked on the news questions: is the asked person found speaking in each
paragraph that answers a speaker question?

    python benchmarks/speakers.py --db /tmp/news.db [--questions benchmarks/news_questions.jsonl] [-v]

--db is a database built by `benchmarks/news.py --db PATH` (all BBC articles plus the seed). A paragraph
counts when corpus.answering.search matches the question's person to one of its stored speakers (a role such as
"the chancellor" counts), the same test the ranking uses.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import norm  # noqa: E402

from corpus import Corpus  # noqa: E402
from corpus.answering.question import parse_speaker  # noqa: E402
from corpus.answering.rerank import speaker_match as _speaker_match  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--questions", type=Path, default=ROOT / "benchmarks" / "news_questions.jsonl")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the paragraphs where nobody matches")
    args = parser.parse_args()
    if not args.db.exists():
        print(f"error: {args.db} not found (build it with benchmarks/news.py --db {args.db})", file=sys.stderr)
        return 1
    corpus = Corpus.open(args.db)
    found = total = 0
    for line in args.questions.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        parsed = parse_speaker(q["question"])
        if not q["answers"] or not parsed:
            continue
        speaker_terms = corpus.read(q["question"]).speaker_terms
        if not speaker_terms:
            continue
        for answer in q["answers"]:
            sentence = norm(answer["sentence"])
            rows = corpus.shared.query("SELECT text, speakers FROM paragraphs WHERE instr(text, ?) > 0",
                                       (sentence[:40],))
            for text, speakers in rows:
                if sentence not in norm(text):
                    continue
                total += 1
                stored = json.loads(speakers or "[]")
                if _speaker_match(speaker_terms, stored) >= 0.7:
                    found += 1
                elif args.verbose:
                    names = ", ".join(s["name"] for s in stored) or "nobody"
                    print(f"  {q['id']}: asked {parsed[0]!r}, stored {names}: {text[:90]}")
    corpus.close()
    print(f"answering paragraphs of speaker questions where the asked person speaks: {found}/{total}"
          f" ({found / max(total, 1):.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
