"""Issue #11: ingest stays linear on text crafted against its patterns.

Python's `re` holds the GIL, so one quadratic pattern froze the whole bot: 48 KB of "_a _a _a" in a
Markdown file took 6-9 s, 8,000 short ticker lines 20 s, and a 5 MB file would have taken hours.
Each case below ingests a crafted text of size n and 4n through the real engine (file text to a
Document, then `Corpus.add` into a real SQLite file, speakers and stems included) and checks that
4 times the input takes about 4 times the time: quadratic code takes 16 times, and worse on these.
"""

from __future__ import annotations

from time import thread_time

import pytest

from corpus.errors import IngestError
from corpus.reading.ingest import document_from_text

GROWTH = 4
LINEAR_AT_MOST = 9  # linear is ~4x, quadratic 16x: a wide margin for a busy machine


def _repeat(unit: str, end: str = ""):
    return lambda k: unit * k + end


# name: (text of size k, is Markdown, k)
CRAFTED = {
    "italics never closed": (_repeat("_a "), True, 2000),
    "asterisks never closed": (_repeat("*a "), True, 2000),
    "links never closed": (_repeat("[a "), True, 2000),
    "images never closed": (_repeat("![a "), True, 1500),
    "code fences never closed": (_repeat("```x\n"), True, 1200),
    "list markers padded with spaces": (lambda k: ("-" + " " * k + "\n") * 50, True, 60),
    "list items on and on": (_repeat("- a\n1) b\n"), True, 2000),
    "shortcode attributes never closed": (_repeat("[button a=1 b="), False, 2000),
    "furniture shortcodes opened, closed once at the end": (_repeat("[caption]a ", "[/caption]"), False, 2000),
    "closing shortcodes": (_repeat("[/a]x"), False, 2000),
    "the headline again and again": (_repeat("Title\n\n"), False, 2000),
    "headings padded with spaces": (lambda k: ("# a" + " " * k + "x\n\n") * 50, True, 60),
    "ticker lines ending in a figure": (_repeat("AB 1\n", "1,234.5\n\nThe market closed early."), False, 2000),
    "a link followed by punctuation": (lambda k: "www." + "!" * k + " x", False, 6000),
    "a promo 'you' with no 'our'": (_repeat("you("), False, 1500),
    "a word of capitals before a speech verb": (_repeat("A", " said Mr Smith."), False, 4000),
    "names joined by apostrophes": (_repeat("Aa'", " said Mr Smith."), False, 1500),
    "initials without spaces": (_repeat("A.", " said Mr Smith."), False, 1500),
    "curly quotes never closed": (_repeat("“", " said Mr Smith."), False, 4000),
    "capitalised words in one sentence": (_repeat("The a ", " said Mr Smith."), False, 1000),
    "adverbs before no speech verb": (lambda k: ("He " + "has also " * k + "x, it said. ") * 100, False, 3),
}


def _ingest_seconds(corpus, text: str, markdown: bool, run: int) -> float:
    # A last paragraph of its own per run, so no run is a duplicate of the one before.
    source = f"Title\n\n{text}\n\nRun number {run} of this article ends here."
    # This thread's CPU time, not the wall clock: other processes on a busy machine do not count in it
    # (wall-clock ratios reached 9.5 for linear code at a load average of 15 on 2 cores).
    started = thread_time()
    try:
        corpus.add(document_from_text(source, markdown=markdown))
    except IngestError:
        pass  # all junk is a fine outcome; the time it took is what is measured
    return thread_time() - started


def _best_of_5(corpus, small: str, large: str, markdown: bool) -> tuple[float, float]:
    """Fastest of 5 runs each, alternating sizes so a busy moment slows both alike."""
    times = [(_ingest_seconds(corpus, small, markdown, 2 * i), _ingest_seconds(corpus, large, markdown, 2 * i + 1))
             for i in range(5)]
    return min(t for t, _ in times), min(t for _, t in times)


@pytest.mark.parametrize("name", list(CRAFTED))
def test_crafted_text_ingests_in_linear_time(corpus, name):
    build, markdown, k = CRAFTED[name]
    small, large = _best_of_5(corpus, build(k), build(k * GROWTH), markdown)
    ratio = large / small
    assert ratio < LINEAR_AT_MOST, (
        f"{name}: {GROWTH}x the input took {ratio:.0f}x the time ({small:.3f} s -> {large:.3f} s)")


def test_crafted_markdown_still_reads_as_text():
    """The linear rules still strip what they stripped: emphasis, links, fences, headings."""
    md = ("# The headline ##\n\nSome **bold *and italic* words** with a [link](https://example.org/a_(b))"
          " and _snake_case_ names.\n\n```\ncode\n```\n\n## A section\n\n_a _a _a [a [a ![a")
    doc = document_from_text(md, markdown=True)
    assert doc.title == "The headline"
    assert doc.paragraphs == ["Some bold and italic words with a link and snake_case names.", "A section",
                              "_a _a _a [a [a ![a"]
