"""Ingest time of plain article text against text crafted to defeat the ingest patterns (issue #11).

    python benchmarks/ingest_worst_case.py                       # 24 KB, 48 KB, 96 KB and 1 MB
    python benchmarks/ingest_worst_case.py --sizes 24000,48000   # quicker
    python benchmarks/ingest_worst_case.py --engine /tmp/old     # another checkout's corpus/ (before/after)

Each figure is the seconds one ingest takes through the real engine: the text as a .txt or .md file's
content to a Document (cleaning, Markdown, paragraphs) and `Corpus.add` into a new SQLite file
(speakers, stems, the FTS index). Every measurement runs in its own process with a time limit, so a
quadratic engine shows as "> LIMIT" instead of running for hours. Plain text is real BBC article text
from tests/fixtures in paragraphs of about 1 KB; the last column is the 1 MB (or largest) time over
plain text's.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def _plain(size: int) -> str:
    paragraphs = []
    for path in sorted(FIXTURES.glob("bbc-*.txt")):
        body = path.read_bytes().decode("utf-8", errors="replace").split("\n", 1)[1]
        paragraphs += [" ".join(p.split()) for p in body.split("\n\n") if p.strip()]
    grouped = [" ".join(paragraphs[i:i + 4]) for i in range(0, len(paragraphs), 4)]  # ~1 KB each
    out, total, i = [], 0, 0
    while total < size:
        out.append(grouped[i % len(grouped)])
        total += len(out[-1]) + 2
        i += 1
    return "\n\n".join(out)


def _fill(unit: str, end: str = ""):
    return lambda size: unit * max(1, (size - len(end)) // len(unit)) + end


# name: (text of about `size` characters, read as Markdown)
CASES = {
    "plain article text": (_plain, False),
    "md: italics never closed '_a '": (_fill("_a "), True),
    "md: links never closed '[a '": (_fill("[a "), True),
    "md: code fences never closed": (_fill("```x\n"), True),
    "md: headings padded with spaces": (_fill("# a" + " " * 200 + "x\n\n"), True),
    "md: asterisks '*' only": (_fill("*"), True),
    "ticker: short lines, one figure": (_fill("AB 1\n", "1,234.5\n\nThe market closed early."), False),
    "a link then punctuation": (lambda size: "www." + "!" * size + " x", False),
    "promo: 'you(' without 'our'": (_fill("you("), False),
    "speech: capitals 'AAAA… said'": (_fill("A", " said Mr Smith."), False),
    "speech: initials 'A.A.A.'": (_fill("A.", " said Mr Smith."), False),
    "speech: curly quotes never closed": (_fill("“", " said Mr Smith."), False),
    "speech: capitalised words": (_fill("The a ", " said Mr Smith."), False),
    "speech: 'has also' x12, no verb": (_fill("He " + "has also " * 12 + "x, it said. "), False),
    "one word, no spaces": (_fill("a"), False),
    "many straight quotes '\"a '": (_fill('"a '), False),
    "many brackets '('": (_fill("("), False),
    "md: list markers '- a' lines": (_fill("- a\n"), True),
    "shortcode attributes never closed": (_fill("[button a=1 b="), False),
    "shortcodes closed once at the end": (_fill("[caption]a ", "[/caption]"), False),
    "the headline again and again": (_fill("Title\n\n"), False),
    "calls to action after '? '": (_fill("? get a a a a a "), False),
}


def measure(name: str, size: int) -> float:
    """Seconds to ingest one crafted text of about `size` characters (run in the child process)."""
    from corpus import Corpus
    from corpus.errors import IngestError
    from corpus.reading.ingest import document_from_text

    build, markdown = CASES[name]
    source = f"Title\n\n{build(size)}\n\nThe article ends here."
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Corpus.open(Path(tmp) / "bench.db", load_samples=False)
        started = time.perf_counter()
        try:
            corpus.add(document_from_text(source, markdown=markdown))
        except IngestError:
            pass  # refused as all junk or too large: the time it took is still the figure
        elapsed = time.perf_counter() - started
        corpus.close()
    return elapsed


def _run_one(name: str, size: int, engine: Path, limit: float) -> float | None:
    cmd = [sys.executable, __file__, "--one", name, str(size), "--engine", str(engine)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, check=True)
    except subprocess.TimeoutExpired:
        return None
    return float(out.stdout.strip().splitlines()[-1])


def _cell(seconds: float | None, limit: float) -> str:
    return f"> {limit:.0f} s" if seconds is None else f"{seconds:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="24000,48000,96000,1000000", help="characters, comma-separated")
    parser.add_argument("--engine", type=Path, default=ROOT, help="a checkout whose corpus/ is measured")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds before a measurement is cut")
    parser.add_argument("--one", nargs=2, metavar=("CASE", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(args.engine.resolve()))
    if args.one:
        print(measure(args.one[0], int(args.one[1])))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"engine: {args.engine.resolve()}  (seconds per ingest; time limit {args.limit:.0f} s)")
    print(f"{'input':38s}" + "".join(f"{_size_label(s):>10s}" for s in sizes) + f"{'vs plain':>10s}")
    plain_last = None
    for name in CASES:
        times = [_run_one(name, size, args.engine, args.limit) for size in sizes]
        if name == "plain article text":
            plain_last = times[-1]
        ratio = f"{times[-1] / plain_last:.1f}x" if times[-1] and plain_last else "-"
        print(f"{name:38s}" + "".join(f"{_cell(t, args.limit):>10s}" for t in times) + f"{ratio:>10s}", flush=True)
    return 0


def _size_label(size: int) -> str:
    return f"{size / 1_000_000:g} MB" if size >= 1_000_000 else f"{size / 1000:g} KB"


if __name__ == "__main__":
    sys.exit(main())
