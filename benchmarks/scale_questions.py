"""A fixed, seeded set of chat-style questions for the scale benchmark (stdlib only).

    python benchmarks/scale_questions.py                 # (re)write benchmarks/scale_questions.jsonl
    python benchmarks/scale_questions.py --check         # regenerate in memory, compare with the file

Each question comes from one sentence of one BBC article: 3-8 of its content words, lower-cased,
in sentence order, sometimes wrapped in a chat prefix ("what about", "anything on") and about 20% of
the questions carry one typo (a swap, a dropped, doubled or wrong letter) in one word of 5+ letters.
The same seed over the same files gives the same questions, whatever the engine does.

Lines: {"id", "question", "source" (category/file.txt), "sentence", "typo": null | [original, typo'd]}
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BBC = (REPO_ROOT / ".." / "shared" / "bench" / "bbc").resolve()
DEFAULT_OUT = Path(__file__).resolve().parent / "scale_questions.jsonl"
CATEGORIES = ("business", "entertainment", "politics", "sport", "tech")
SEED = 20261126
COUNT = 1000
TYPO_RATE = 0.20

# A small stop list of our own (the engine's list is not imported: the questions must not depend on it).
STOP = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves said says say mr mrs ms one two also told new""".split()
)
PREFIXES = ["", "", "", "", "", "what about ", "anything on ", "wat about ", "tell me about ",
            "whats the story with ", "any news on ", "who said "]
SUFFIXES = ["", "", "", "?", "?", " ?", "??"]
WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
SENTENCE_RE = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"“'‘(]?[A-Z0-9])")
KEYS = "abcdefghijklmnopqrstuvwxyz"


def read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:  # sport/199.txt is cp1252
        return data.decode("cp1252", errors="replace")


def bbc_files(root: Path) -> list[Path]:
    files = []
    for cat in CATEGORIES:
        files.extend(sorted((root / cat).glob("*.txt"), key=lambda p: (len(p.name), p.name)))
    if not files:
        raise SystemExit(f"no BBC articles under {root} (expected {', '.join(CATEGORIES)} folders of .txt)")
    return files


def body_sentences(path: Path) -> list[str]:
    text = read_text(path).replace("\r\n", "\n")
    _, _, body = text.partition("\n")  # the first line is the title
    out = []
    for para in re.split(r"\n\s*\n", body):
        para = re.sub(r"\s+", " ", para).strip()
        if para:
            out.extend(s.strip() for s in SENTENCE_RE.split(para) if s.strip())
    return out


def content_words(sentence: str) -> list[str]:
    seen: dict[str, None] = {}
    for w in WORD_RE.findall(sentence):
        lw = w.lower().replace("’", "'")
        if lw.endswith("'s"):
            lw = lw[:-2]
        lw = lw.strip("'-")
        if len(lw) >= 3 and lw not in STOP and lw not in seen:
            seen[lw] = None
    return list(seen)


def make_typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)  # keep the first letter, as most typos do
    kind = rng.choice(("swap", "drop", "double", "wrong"))
    if kind == "swap" and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    letter = rng.choice([k for k in KEYS if k != word[i]])
    return word[:i] + letter + word[i + 1:]


def generate(root: Path = DEFAULT_BBC, *, count: int = COUNT, seed: int = SEED,
             files: list[Path] | None = None) -> list[dict]:
    """`count` questions from the BBC files under `root`, or from `files` only (one guild's articles)."""
    rng = random.Random(seed)
    files = list(files) if files is not None else bbc_files(root)
    questions: list[dict] = []
    seen: set[str] = set()
    attempts = 0
    while len(questions) < count:
        attempts += 1
        if attempts > count * 50:
            raise SystemExit("could not generate enough questions")
        path = rng.choice(files)
        sents = [s for s in body_sentences(path) if len(content_words(s)) >= 3]
        if not sents:
            continue
        sentence = rng.choice(sents)
        cw = content_words(sentence)
        k = rng.randint(3, min(8, len(cw)))
        start = rng.randrange(0, len(cw) - k + 1)
        # a run of k content words, sometimes with one dropped from the middle of a longer run
        chosen = cw[start:start + k]
        typo = None
        if rng.random() < TYPO_RATE:
            long_words = [j for j, w in enumerate(chosen) if len(w) >= 5 and w.isalpha()]
            if long_words:
                j = rng.choice(long_words)
                bad = make_typo(chosen[j], rng)
                typo = [chosen[j], bad]
                chosen = chosen[:j] + [bad] + chosen[j + 1:]
        q = rng.choice(PREFIXES) + " ".join(chosen) + rng.choice(SUFFIXES)
        if q in seen:
            continue
        seen.add(q)
        rel = f"{path.parent.name}/{path.name}"
        questions.append({"id": len(questions) + 1, "question": q, "source": rel, "sentence": sentence,
                          "typo": typo})
    return questions


def load(path: Path = DEFAULT_OUT) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def write(questions: list[dict], path: Path = DEFAULT_OUT) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for q in questions:
            fh.write(json.dumps(q, ensure_ascii=False) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bbc", type=Path, default=DEFAULT_BBC, help="BBC corpus folder (default %(default)s)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSONL file (default %(default)s)")
    ap.add_argument("--count", type=int, default=COUNT)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--check", action="store_true", help="compare the file with a fresh generation")
    args = ap.parse_args(argv)
    qs = generate(args.bbc, count=args.count, seed=args.seed)
    if args.check:
        same = load(args.out) == qs
        print(f"{args.out}: {'up to date' if same else 'DIFFERS from a fresh generation'}")
        return 0 if same else 1
    write(qs, args.out)
    typos = sum(1 for q in qs if q["typo"])
    print(f"wrote {len(qs)} questions ({typos} with a typo) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
