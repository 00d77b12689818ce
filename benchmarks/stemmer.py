"""The word stemmer: do PyStemmer (C) and snowballstemmer (pure Python) give the same stems, and what does C save?

    python benchmarks/stemmer.py same                    # every supported language, BBC + XQuAD words
    python benchmarks/stemmer.py speed                   # µs a word (each distinct BBC word once), each stemmer
    python benchmarks/stemmer.py ask --db /tmp/bbc.db    # 300 asks in one process (x3), 40 CLI asks; C and pure
    python benchmarks/stemmer.py ask --db /tmp/squad.db --squad ../shared/bench/squad-dev-a.json   # the same
    python benchmarks/stemmer.py ingest --dir /tmp/x     # `articlebot ingest` of all BBC articles (x3); C and pure
    python benchmarks/stemmer.py fixture                 # (re)write tests/fixtures/stems.tsv, pure Python

"same" decides whether the C stemmer may be used at all: the database stores stems made at ingest and a
question is stemmed when it is asked, so one word stemmed differently by the two would miss. Words are
prepared as the index prepares them (corpus.reading.text.index_words: lower-cased, accent-folded, cut in pieces),
from every BBC article and every XQuAD file (titles, paragraphs, questions, answers); each algorithm is
run on all of them. "own words" are a language's words among them: its XQuAD text (en: and BBC's), and
its stop words (the stop-words package's list; for most languages the only words of their own here).

"ask" and "ingest" run each measurement in a fresh process; "pure" hides PyStemmer from it
(sys.modules["Stemmer"] = None before corpus is imported), which is the engine without PyStemmer installed.
C and pure run back to back, in alternating order, and the median of their paired differences is given
beside each one's median. Words only (ARTICLEBOT_SEMANTIC=0). Wall and CPU (user + system) times.
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
from corpus.reading.languages import SNOWBALL, language  # noqa: E402
from corpus.reading.text import decode, index_words, normalize  # noqa: E402

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
    from corpus.reading.ingest import document_from_path

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
    code = (HIDE_C if pure else "") + "from corpus.reading.languages import language; print(type(language('en')._stemmer()))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env()).stdout.strip()


_IN_PROCESS = """
import json, sys, time
from corpus import Corpus
questions = json.loads(open(sys.argv[2], encoding="utf-8").read())
corpus = Corpus.open(sys.argv[1], readonly=True)
start = time.perf_counter(); cpu = time.process_time()
for q in questions:
    corpus.ask(q)
print(time.perf_counter() - start, time.process_time() - cpu)
"""


def _cli(pure: bool) -> list[str]:
    return [sys.executable, "-c", (HIDE_C if pure else "") + "import sys; from corpus.cli import main; sys.exit(main())"]


def _questions(args) -> list[str]:
    if not args.squad:
        return [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line.strip()]
    data = json.loads(args.squad.read_text(encoding="utf-8"))["data"]
    if not Path(args.db).exists():  # a database of the SQuAD articles, built once
        from corpus import Corpus, Document

        with Corpus.open(args.db, load_samples=False) as corpus:
            for a in data:
                corpus.add(Document(title=a["title"].replace("_", " "), paragraphs=[p["context"] for p in a["paragraphs"]]))
    questions = [qa["question"] for a in data for p in a["paragraphs"] for qa in p["qas"]]
    return questions[::max(1, len(questions) // args.n)]  # spread over every article, not the first one's


def ask(args) -> None:
    """Each measurement runs C and pure back to back (their order alternating), so that both see the same
    load on a shared machine; the paired differences are the figure to trust."""
    questions = _questions(args)
    asked = Path(args.db).with_suffix(".questions.json")
    asked.write_text(json.dumps(questions[:args.n]), encoding="utf-8")
    for name, pure in (("C", False), ("pure", True)):
        print(f"{name}: {_stemmer_in_use(pure)}")
    in_process = _paired(args.rounds, lambda _, pure: _in_process(args.db, asked, pure))
    _report(f"{args.n} asks in one process, ms/question, {args.rounds} rounds", in_process, 1000 / args.n)
    cli = _paired(args.cli, lambda i, pure: _timed(_cli(pure) + ["--db", args.db, "ask", questions[i]], env=_env())[:2])
    _report(f"a CLI ask (a fresh process), ms, {args.cli} questions", cli, 1000)


def _in_process(db: str, asked: Path, pure: bool) -> tuple[float, float]:
    out = _timed([sys.executable, "-c", (HIDE_C if pure else "") + _IN_PROCESS, db, str(asked)], env=_env())[2]
    wall, cpu = map(float, out.split())
    return wall, cpu


def _paired(n: int, measure) -> list[tuple]:
    """n pairs (C wall, C CPU, pure wall, pure CPU): `measure(i, pure)` for both, back to back."""
    pairs = []
    for i in range(n):
        order = (False, True) if i % 2 == 0 else (True, False)
        got = {pure: measure(i, pure) for pure in order}
        pairs.append((*got[False], *got[True]))
    return pairs


def _report(what: str, pairs: list[tuple], scale: float) -> None:
    med = [statistics.median(p[i] for p in pairs) * scale for i in range(4)]
    saved = [statistics.median(p[i + 2] - p[i] for p in pairs) * scale for i in range(2)]
    print(f"{what}: C {med[0]:.1f} (CPU {med[1]:.1f}), pure {med[2]:.1f} (CPU {med[3]:.1f}); "
          f"pure - C, median of the pairs: {saved[0]:.1f} (CPU {saved[1]:.1f})", flush=True)


def ingest(args) -> None:
    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    files = len(list(args.bbc.glob("*/*.txt")))

    def measure(_, pure: bool) -> tuple[float, float]:
        db = out / f"ingest-{'pure' if pure else 'C'}.db"
        for p in out.glob(db.name + "*"):
            p.unlink()
        wall, cpu, printed = _timed(_cli(pure) + ["--db", str(db), "ingest", str(args.bbc), "--no-embed"], env=_env())
        added = sum(line.startswith("added") for line in printed.splitlines())
        print(f"{'pure' if pure else 'C':4}: {files} files ({added} added) in {wall:.1f} s (CPU {cpu:.1f}), "
              f"{files / wall:.0f} files/s", flush=True)
        return wall, cpu

    _report(f"`articlebot ingest` of {files} BBC files, s, {args.rounds} rounds", _paired(args.rounds, measure), 1)


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
    p.add_argument("--cli", type=int, default=40, help="questions asked each in a fresh `articlebot ask`")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--squad", type=Path, help="ask SQuAD's questions (a SQuAD-format file); --db is built from it if missing")
    p = sub.add_parser("ingest")
    p.add_argument("--dir", required=True, help="a folder for the databases")
    p.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    {"same": same, "speed": speed, "ask": ask, "ingest": ingest, "fixture": fixture}[args.command](args)


if __name__ == "__main__":
    main()
