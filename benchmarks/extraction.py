"""How much of what articlebot stores from a web page is the article, against trafilatura alone.

    .venv/bin/python benchmarks/extraction.py

Every saved page tests/fixtures/pages/NAME.html that has NAME.truth.txt beside it (the article's real
paragraphs, one a line, written by hand) is read three ways in the same run:

- articlebot: `corpus.reading.ingest.document_from_path`, the paragraphs `Corpus.add` would store;
- trafilatura with the settings articlebot gives it (favor_precision, no comments, no tables);
- trafilatura with its defaults.

A stored paragraph counts when it equals a true one (whitespace aside). Precision is the share of
stored paragraphs that are article text (what an answer could quote), recall the share of the article
stored; precision matters more: a button label quoted as an answer is worse than a paragraph missed.
Figures are totals (micro-averaged) over all pages and over the held-out ones (heldout-*.html:
written after the rules were, to see how they do on furniture they were not written from), then per page.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAGES = ROOT / "tests" / "fixtures" / "pages"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _articlebot(path: Path) -> list[str]:
    from corpus.reading.ingest import document_from_path

    return document_from_path(path).paragraphs


def _trafilatura(path: Path, **settings) -> list[str]:
    import trafilatura

    text = trafilatura.extract(path.read_text(encoding="utf-8"), **settings) or ""
    return [line for line in text.split("\n") if line.strip()]


EXTRACTORS = {
    "articlebot": _articlebot,
    "trafilatura (articlebot's settings)": lambda p: _trafilatura(
        p, favor_precision=True, include_comments=False, include_tables=False, deduplicate=False),
    "trafilatura (defaults)": _trafilatura,
}


def _counts(stored: list[str], truth: list[str]) -> tuple[int, int, int]:
    """(right, stored, true): a true paragraph stored twice counts once."""
    true = {_norm(p) for p in truth}
    right = len({_norm(p) for p in stored} & true)
    return right, len(stored), len(true)


def _prf(right: int, stored: int, true: int) -> tuple[float, float, float]:
    precision = right / stored if stored else 0.0
    recall = right / true if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main() -> None:
    pages = sorted(p for p in PAGES.glob("*.html") if p.with_suffix(".truth.txt").exists())
    if not pages:
        sys.exit("no saved pages with a .truth.txt beside them in tests/fixtures/pages")
    print(f"{len(pages)} saved pages in {PAGES.relative_to(ROOT)}; paragraphs equal to the hand-made truth\n")
    groups = {"all pages": pages, "held out": [p for p in pages if p.stem.startswith("heldout-")]}
    per_page: dict[str, list[str]] = {}
    for group, members in groups.items():
        print(f"{group + ' (' + str(len(members)) + ')':16} {'extractor':36} {'precision':>9} {'recall':>7} "
              f"{'F1':>6} {'stored':>7} {'junk':>5}")
        for name, extract in EXTRACTORS.items():
            total = [0, 0, 0]
            for page in members:
                truth = page.with_suffix(".truth.txt").read_text(encoding="utf-8").splitlines()
                counts = _counts(extract(page), truth)
                total = [a + b for a, b in zip(total, counts)]
                if group == "all pages":
                    per_page.setdefault(page.stem, []).append("{:.2f}/{:.2f}".format(*_prf(*counts)[:2]))
            precision, recall, f1 = _prf(*total)
            print(f"{'':16} {name:36} {precision:9.3f} {recall:7.3f} {f1:6.3f} {total[1]:7d} {total[1] - total[0]:5d}")
    print("\nper page, precision/recall in the order above:")
    for stem, figures in per_page.items():
        print(f"  {stem:24} " + "  ".join(figures))


if __name__ == "__main__":
    main()
