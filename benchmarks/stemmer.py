"""The word stemmer: do PyStemmer (C) and snowballstemmer (pure Python) give the same stems, and what does C save?

    python benchmarks/stemmer.py same                    # every supported language, BBC + XQuAD words
    python benchmarks/stemmer.py speed                   # µs a word, cold, each stemmer
    python benchmarks/stemmer.py ask --db /tmp/bbc.db    # 300 asks in one process, 20 CLI asks; C then pure, x3
    python benchmarks/stemmer.py ingest --dir /tmp/x     # `articlebot ingest` of all BBC articles; C then pure
    python benchmarks/stemmer.py fixture                 # (re)write tests/fixtures/stems.tsv, pure Python

"same" decides whether the C stemmer may be used at all: the database stores stems made at ingest and a
question is stemmed when it is asked, so one word stemmed differently by the two would miss. Words are
prepared as the index prepares them (corpus.text.index_words: lower-cased, accent-folded, cut in pieces),
from every BBC article and every XQuAD file (titles, paragraphs, questions, answers); each algorithm is
run on all of them. "own words" are a language's words among them: its XQuAD text (en: and BBC's), and
its stop words (the stop-words package's list; for most languages the only words of their own here).

"ask" and "ingest" run each measurement in a fresh process; "pure" hides PyStemmer from it
(sys.modules["Stemmer"] = None before corpus is imported), which is the engine without PyStemmer installed.
Words only (ARTICLEBOT_SEMANTIC=0). Figures are wall and CPU (user + system) seconds; medians of the rounds.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_BBC, REPO_ROOT  # noqa: E402

sys.path.insert(0, str(REPO_ROOT))
from corpus.languages import SNOWBALL, language  # noqa: E402
from corpus.text import decode, index_words, normalize  # noqa: E402

QUESTIONS = REPO_ROOT / "benchmarks" / "news_questions.jsonl"
HIDE_C = "import sys; sys.modules['Stemmer'] = None\n"


def pure_stemmer(algorithm: str):
    """snowballstemmer's own Python class, whether or not PyStemmer is installed."""
    module = importlib.import_module(f"snowballstemmer.{algorithm}_stemmer")
    return getattr(module, "".join(p.title() for p in algorithm.split("_")) + "Stemmer")()


def _words(texts) -> set[str]:
    return {w for t in texts for w in index_words(normalize(t))}


def bbc_words(bbc: Path) -> set[str]:
    files = sorted(bbc.glob("*/*.txt"))
    if not files:
        raise SystemExit(f"no BBC articles in {bbc} (give --bbc)")
    return _words(decode(p.read_bytes()) for p in files)


def xquad_texts(path: Path):
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        yield article.get("title", "")
        for paragraph in article["paragraphs"]:
            yield paragraph["context"]
            for qa in paragraph["qas"]:
                yield qa["question"]
                yield from (a["text"] for a in qa["answers"])


def word_lists(bbc: Path, xquad: Path) -> dict[str, set[str]]:
    lists = {"en": bbc_words(bbc)}
    files = sorted(xquad.glob("xquad.*.json"))
    if not files:
        raise SystemExit(f"no xquad.*.json in {xquad} (give --xquad)")
    for path in files:
        lang = path.name.split(".")[1]
        lists[lang] = lists.get(lang, set()) | _words(xquad_texts(path))
    return lists


def same(args) -> None:
    import Stemmer

    lists = word_lists(args.bbc, args.xquad)
    # Each language's own words: its text in XQuAD (en: BBC too) and its stop-word list, the only words
    # here in most of the languages.
    own = {code: lists.get(code, set()) | _words(language(code).stop_words) for code in SNOWBALL}
    everything = set().union(*lists.values(), *own.values())
    print(f"words: {', '.join(f'{k} {len(v):,}' for k, v in lists.items())}; all {len(everything):,} distinct")
    print(f"{'lang':5} {'algorithm':11} {'all words':>10} {'differ':>7} {'own words':>10} {'differ':>7}  examples")
    total = 0
    for code, algorithm in SNOWBALL.items():
        python, c = pure_stemmer(algorithm), Stemmer.Stemmer(algorithm, 0)
        differ = sorted(w for w in everything if python.stemWord(w) != c.stemWord(w))
        total += len(differ)
        examples = ", ".join(f"{w}: {python.stemWord(w)} / {c.stemWord(w)}" for w in differ[:3])
        print(f"{code:5} {algorithm:11} {len(everything):>10,} {len(differ):>7} {len(own[code]):>10,} "
              f"{sum(w in own[code] for w in differ):>7}  {examples}")
    print(f"differences in all: {total}")


FIXTURES = REPO_ROOT / "tests" / "fixtures"


def fixture_documents() -> dict[str, list]:
    """The articles tests/test_languages.py stores: the BBC texts in tests/fixtures (English) and
    xquad-mini.json's Spanish, German and Russian ones (Chinese is not stemmed)."""
    from corpus import Document
    from corpus.ingest import document_from_path

    xquad = json.loads((FIXTURES / "xquad-mini.json").read_text(encoding="utf-8"))["languages"]
    docs = {"en": [document_from_path(p) for p in sorted(FIXTURES.glob("bbc-*.txt"))]}
    for lang in ("es", "de", "ru"):
        docs[lang] = [Document(title=a["title"], paragraphs=a["paragraphs"]) for a in xquad[lang]]
    return docs


def fixture(_args) -> None:
    """Every word of the fixture articles with its stem from snowballstemmer's pure-Python stemmer: what
    databases have stored since stems were made in Python (schema 4). The tests hold the engine to it."""
    lines = [f"# lang, word, stem: snowballstemmer {_version('snowballstemmer')} in pure Python; "
             f"written by benchmarks/stemmer.py fixture"]
    for lang, docs in fixture_documents().items():
        stemmer = pure_stemmer(SNOWBALL[lang])
        found = sorted({w for d in docs for text in [d.title, *d.paragraphs] for w in index_words(text)})
        lines += [f"{lang}\t{w}\t{stemmer.stemWord(w)}" for w in found]
    (FIXTURES / "stems.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines) - 1:,} stems to {FIXTURES / 'stems.tsv'}")


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def speed(args) -> None:
    import Stemmer

    words = sorted(bbc_words(args.bbc))
    for name, make in (("pure Python", pure_stemmer), ("PyStemmer", lambda a: Stemmer.Stemmer(a, 0))):
        stemmer = make("porter")
        start = time.process_time()
        for w in words:
            stemmer.stemWord(w)
        took = time.process_time() - start
        print(f"{name:12} porter: {len(words):,} distinct BBC words once each, {took * 1e6 / len(words):.1f} µs a word")


def _timed(cmd: list[str], **kw) -> tuple[float, float, str]:
    """Wall and CPU seconds of a child process, and what it printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, **kw)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stdout


def _env() -> dict:
    return {**os.environ, "ARTICLEBOT_SEMANTIC": "0", "PYTHONPATH": str(REPO_ROOT)}


def _stemmer_in_use(pure: bool) -> str:
    code = (HIDE_C if pure else "") + "from corpus.languages import language; print(type(language('en')._stemmer()))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env()).stdout.strip()


_IN_PROCESS = """
import json, sys, time
from corpus import Corpus
questions = [json.loads(line)["question"] for line in open(sys.argv[2], encoding="utf-8") if line.strip()][:int(sys.argv[3])]
corpus = Corpus.open(sys.argv[1], readonly=True)
start = time.perf_counter(); cpu = time.process_time()
for q in questions:
    corpus.ask(q)
print(time.perf_counter() - start, time.process_time() - cpu)
"""


def _cli(pure: bool) -> list[str]:
    return [sys.executable, "-c", (HIDE_C if pure else "") + "import sys; from corpus.cli import main; sys.exit(main())"]


def ask(args) -> None:
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line.strip()]
    kinds = {"C": False, "pure": True}
    for name, pure in kinds.items():
        print(f"{name}: {_stemmer_in_use(pure)}")
    rows: dict[str, list] = {k: [] for k in kinds}
    for round_ in range(args.rounds):
        for name, pure in kinds.items():
            _, _, out = _timed([sys.executable, "-c", (HIDE_C if pure else "") + _IN_PROCESS, args.db, str(QUESTIONS),
                                str(args.n)], env=_env())
            wall, cpu = map(float, out.split())
            cli = [_timed(_cli(pure) + ["--db", args.db, "ask", q], env=_env())[:2] for q in questions[:args.cli]]
            rows[name].append((wall, cpu, statistics.median(w for w, _ in cli), statistics.median(c for _, c in cli)))
            print(f"round {round_ + 1} {name:4}: {args.n} asks in one process {wall * 1000 / args.n:.1f} ms/question "
                  f"(CPU {cpu * 1000 / args.n:.1f}); CLI ask median of {args.cli}: {rows[name][-1][2]:.3f} s "
                  f"(CPU {rows[name][-1][3]:.3f})", flush=True)
    for name, r in rows.items():
        med = [statistics.median(x[i] for x in r) for i in range(4)]
        print(f"median {name:4}: in-process {med[0] * 1000 / args.n:.1f} ms/question (CPU {med[1] * 1000 / args.n:.1f}); "
              f"CLI ask {med[2]:.3f} s (CPU {med[3]:.3f})")


def ingest(args) -> None:
    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    files = len(list(args.bbc.glob("*/*.txt")))
    rows: dict[str, list] = {"C": [], "pure": []}
    for round_ in range(args.rounds):
        for name in rows:
            db = out / f"ingest-{name}.db"
            for p in out.glob(f"ingest-{name}.db*"):
                p.unlink()
            wall, cpu, printed = _timed(_cli(name == "pure") + ["--db", str(db), "ingest", str(args.bbc), "--no-embed"],
                                        env=_env())
            added = sum(line.startswith("added") for line in printed.splitlines())
            rows[name].append((wall, cpu))
            print(f"round {round_ + 1} {name:4}: {files} files ({added} added) in {wall:.1f} s (CPU {cpu:.1f}): "
                  f"{files / wall:.0f} files/s, {added / wall:.0f} articles added/s", flush=True)
    for name, r in rows.items():
        wall, cpu = statistics.median(w for w, _ in r), statistics.median(c for _, c in r)
        print(f"median {name:4}: {wall:.1f} s (CPU {cpu:.1f}), {files / wall:.0f} files/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bbc", type=Path, default=DEFAULT_BBC, help="the BBC articles (default: %(default)s)")
    parser.add_argument("--xquad", type=Path, default=DEFAULT_BBC.parent / "xquad", help="XQuAD's xquad.*.json")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("same")
    sub.add_parser("speed")
    sub.add_parser("fixture")
    p = sub.add_parser("ask")
    p.add_argument("--db", required=True, help="a database of the BBC articles (articlebot ingest ... --no-embed)")
    p.add_argument("--n", type=int, default=300, help="questions asked in one process")
    p.add_argument("--cli", type=int, default=20, help="questions asked each in a fresh `articlebot ask`")
    p.add_argument("--rounds", type=int, default=3)
    p = sub.add_parser("ingest")
    p.add_argument("--dir", required=True, help="a folder for the databases")
    p.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    {"same": same, "speed": speed, "ask": ask, "ingest": ingest, "fixture": fixture}[args.command](args)


if __name__ == "__main__":
    main()
