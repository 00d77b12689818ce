"""Shared stdlib-only helpers for the articlebot benchmarks."""
from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BBC = (REPO_ROOT / ".." / "shared" / "bench" / "bbc").resolve()
DEFAULT_SEED = (REPO_ROOT / ".." / "shared" / "seed" / "scmp-china-russia-police-chiefs.raw.txt").resolve()
CATEGORIES = ("business", "entertainment", "politics", "sport", "tech")

_WS = re.compile(r"\s+")


def norm(text: str) -> str:
    """Whitespace-normalised text used for all sentence matching."""
    return _WS.sub(" ", text).strip()


def read_text(path: Path) -> str:
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def split_paragraphs(body: str) -> list[str]:
    """Paragraphs are separated by blank lines; returns normalised paragraph texts."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    paras = re.split(r"\n\s*\n", body)
    return [norm(p) for p in paras if norm(p)]


def load_bbc_article(path: Path) -> tuple[str, list[str]]:
    """Return (title, paragraphs) for one BBC file: first line is the title."""
    text = read_text(path).replace("\r\n", "\n")
    title, _, body = text.partition("\n")
    return norm(title), split_paragraphs(body)


def iter_bbc(root: Path):
    """Yield (relative file name like 'politics/123.txt', title, paragraphs) for all BBC articles."""
    root = Path(root)
    for cat in CATEGORIES:
        d = root / cat
        if not d.is_dir():
            continue
        for f in sorted(d.glob("*.txt"), key=lambda p: (len(p.name), p.name)):
            title, paras = load_bbc_article(f)
            yield f"{cat}/{f.name}", title, paras


_SEED_JUNK = re.compile(
    r"^(advertisement$|singapore markets open|do you have questions about the biggest topics|"
    r"this article originally appeared in|copyright)",
    re.I,
)


def load_seed_article(path: Path) -> tuple[str, list[str]]:
    """Best-effort clean-up of the raw seed page (ticker, ads, promo, caption, footer removed).

    Only used for checking that gold sentences exist; the harness matches seed answers on
    the sentence text, not on the paragraph number.
    """
    text = read_text(path)
    blocks = split_paragraphs(text)
    out = []
    started = False
    for b in blocks:
        if not started:
            # the headline is the first block after the ticker that is not junk and has no digits-only ticker look
            if b.startswith("Chinese and Russian police chiefs"):
                started = True
                title = b
            continue
        if _SEED_JUNK.match(b) or "alt=" in b:
            continue
        out.append(b)
    return title, out
