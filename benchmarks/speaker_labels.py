"""How often is a "(X speaking)" label right? Scored on hand-checked BBC paragraphs.

    python benchmarks/speaker_labels.py                      # precision, recall, the wrong labels
    python benchmarks/speaker_labels.py --bbc ../shared/bench/bbc --labels benchmarks/speaker_labels.jsonl -v

benchmarks/speaker_labels.jsonl holds 175 paragraphs drawn at random (seed 22) from the BBC paragraphs that
main (17dced9) labelled with a speaker, each with the people and organisations it quotes, read by hand with
the paragraphs before it: `speakers` lists them, "A|B" the accepted forms of one ("Gordon Brown|Brown|the
chancellor"), "org:" an organisation, whose name counts whole only ("org:Human Rights Watch"). A role
that names the speaker ("a spokesman", "Russia's president") is an accepted form where it is the only
name the paragraph gives. Places, weekdays, listeners ("told the Associated Press"), people merely
mentioned and a second label for a speaker already labelled are wrong.

benchmarks/speaker_labels_holdout.jsonl (--labels) holds 40 more, drawn (seed 23) from the paragraphs the
new rules label, checked the same way after those rules were written: the main sample guided them, this
one did not.

Each article is read from the BBC folder and attributed by this checkout's corpus.reading.speakers, as
ingest does; a paragraph's labels are its speakers' names as the bot shows them (repeats dropped).
precision = right labels / labels shown (target >= 0.95); recall = quoted speakers labelled / quoted
speakers. Sampled from paragraphs main labelled, so labels the new code adds elsewhere are not scored.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpus.reading.ingest import document_from_path  # noqa: E402
from corpus.reading.speakers import attribute  # noqa: E402

DEFAULT_BBC = ROOT.parent / "shared" / "bench" / "bbc"
DEFAULT_LABELS = ROOT / "benchmarks" / "speaker_labels.jsonl"
TARGET = 0.95


def norm(name: str) -> str:
    return " ".join(name.replace("’", "'").lower().split())


def forms(speaker: str) -> set[str]:
    return {norm(f) for f in speaker.removeprefix("org:").split("|")}


def score(paragraph: dict, labels: list[str]) -> tuple[list[tuple[str, bool]], int]:
    """Each label with whether it is right (a speaker's accepted form, not yet labelled), and how many of
    the paragraph's speakers were labelled."""
    speakers = [forms(s) for s in paragraph["speakers"]]
    labelled: set[int] = set()
    judged = []
    for label in labels:
        match = next((i for i, f in enumerate(speakers) if norm(label) in f and i not in labelled), None)
        if match is not None:
            labelled.add(match)
        judged.append((label, match is not None))
    return judged, len(labelled)


def shown_labels(bbc: Path, rows: list[dict]) -> list[list[str]]:
    """The labels each paragraph gets from this checkout, its article read and attributed once."""
    by_article: dict[str, tuple[list[str], list]] = {}
    out = []
    for row in rows:
        if row["article"] not in by_article:
            doc = document_from_path(bbc / row["article"])
            by_article[row["article"]] = (doc.paragraphs, attribute(doc.paragraphs))
        paragraphs, speakers = by_article[row["article"]]
        index = row["paragraph"] - 1
        if index >= len(paragraphs) or paragraphs[index] != row["text"]:
            raise SystemExit(f"{row['article']} paragraph {row['paragraph']} is not the sampled text: "
                             f"the article or the reading of it changed")
        out.append(list(dict.fromkeys(s.name for s in speakers[index])))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bbc", type=Path, default=DEFAULT_BBC)
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument("-v", "--verbose", action="store_true", help="list every wrong label")
    args = parser.parse_args()
    if not args.bbc.is_dir():
        print(f"error: {args.bbc} not found (the BBC articles; give --bbc)", file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    right = shown = found = quoted = 0
    for row, labels in zip(rows, shown_labels(args.bbc, rows)):
        judged, labelled = score(row, labels)
        right += sum(ok for _, ok in judged)
        shown += len(judged)
        found += labelled
        quoted += len(row["speakers"])
        for label, ok in judged:
            if not ok and args.verbose:
                print(f"  wrong: {label!r} in {row['article']} paragraph {row['paragraph']} "
                      f"(quoted: {', '.join(s.split('|')[0] for s in row['speakers']) or 'nobody'})")
    precision = right / max(shown, 1)
    print(f"{len(rows)} paragraphs: {shown} labels shown, {right} right: precision {precision:.3f} "
          f"(target >= {TARGET}); {found} of {quoted} quoted speakers labelled: recall {found / max(quoted, 1):.3f}")
    return 0 if precision >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
