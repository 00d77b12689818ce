"""Sources to Documents: plain text, Markdown, HTML files and URLs, cleaned of page junk.

Nothing here touches the database; `Corpus.add` stores what these return.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .. import limits
from ..errors import IngestError
from .clean import clean_lines, clean_paragraphs
from .provenance import cited_url, published_date
from .text import decode, normalize, sentences, split_blocks, split_long_paragraph

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES


@dataclass
class Document:
    title: str
    paragraphs: list[str]
    url: str | None = None
    author: str | None = None
    published: str | None = None
    meta: dict = field(default_factory=dict)


def document_from_text(text: str, *, title: str | None = None, url: str | None = None,
                       markdown: bool = False) -> Document:
    """Plain text or Markdown: the first line is the title unless one is given."""
    if len(text.encode("utf-8", errors="replace")) > limits.MAX_ARTICLE_BYTES:
        raise IngestError(f"too large: over {limits.MAX_ARTICLE_BYTES // 1_000_000} MB of text")
    text = normalize(text)
    if markdown:
        text = _strip_markdown(text)
    lines = clean_lines(text.split("\n"))
    blocks = clean_paragraphs(split_blocks("\n".join(lines)))
    if not blocks:
        raise IngestError("empty: no article text found")
    # With or without a given title, the file's own headline is not text: the same file is one article.
    headline, blocks = _split_headline(blocks, title)
    return _finish(Document(title=_clean_title(title or headline), paragraphs=blocks, url=url))


# A block that ends with a full stop is a sentence, not a headline ("…" and "?" still end headlines).
_SENTENCE_STOP = re.compile(r"[^.]\.[\"”’')\]]*$")


def _is_headline(block: str) -> bool:
    return (len(block.split()) <= 30 and len(block) <= limits.MAX_TITLE_CHARS
            and not _SENTENCE_STOP.search(block[-20:]))


def _split_headline(blocks: list[str], title: str | None = None) -> tuple[str, list[str]]:
    """(headline, text): the first block when it reads as a headline or repeats the given title;
    otherwise the article has no title line, so it is named after its opening sentence, kept as text."""
    first = blocks[0]
    if _is_headline(first) or (title is not None and _same_text(first, title)):
        return first, _drop_title_repeats(blocks[1:], title or first)
    return sentences(first)[0], blocks


_BLURB_BEFORE_TITLE = 3  # a title repeated this near the top follows page furniture (a site blurb, a kicker)


def _drop_title_repeats(paragraphs: list[str], title: str) -> list[str]:
    """The headline again as a paragraph is furniture, and so is what comes before it near the top."""
    repeats = {i for i, p in enumerate(paragraphs) if len(p) <= 2 * len(title) + 10 and _same_text(p, title)}
    if not repeats:
        return paragraphs
    start = min(repeats) if min(repeats) < _BLURB_BEFORE_TITLE else 0
    return [p for i, p in enumerate(paragraphs) if i >= start and i not in repeats]


def _clean_title(title: str) -> str:
    title = re.sub(r"\s+", " ", normalize(title)).strip().lstrip("#").strip()
    if len(title) > limits.MAX_TITLE_CHARS:
        cut = title.rfind(" ", 0, limits.MAX_TITLE_CHARS - 1)
        title = title[: cut if cut > 0 else limits.MAX_TITLE_CHARS - 1] + "…"
    return title


def _finish(doc: Document) -> Document:
    paragraphs = []
    for p in doc.paragraphs:
        paragraphs.extend(split_long_paragraph(p, limits.MAX_PARAGRAPH_CHARS))
    if not doc.title:
        raise IngestError("empty: the article has no title")
    if not paragraphs:
        raise IngestError("empty: no article text found after the title")
    if len(paragraphs) > limits.MAX_PARAGRAPHS:
        raise IngestError(f"too large: {len(paragraphs)} paragraphs (the limit is {limits.MAX_PARAGRAPHS})")
    doc.paragraphs = paragraphs
    return doc


def _heading_alone(match: re.Match) -> str:
    """A heading stands alone as its own paragraph, without its closing hashes ("## Title ##")."""
    return "\n" + match.group(1).rstrip(" \t").rstrip("#").rstrip(" \t") + "\n"


_FENCE = "```"


def _drop_code_fences(text: str) -> str:
    """Code blocks out: from a line starting ``` to the next line that is ``` alone."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith(_FENCE):
            out.append(lines[i])
            i += 1
            continue
        close = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() == _FENCE), None)
        if close is None:  # no closing fence after this one, so none after any later one either
            out.extend(lines[i:])
            break
        out.append("")
        i = close + 1
    return "\n".join(out)


_LIST_ITEM = re.compile(r"[ \t]*+(?:[-*+]|\d{1,9}[.)])[ \t]++(?=\S)")
_SHORT_ITEM_WORDS = 6


def _split_lists(text: str) -> str:
    """List items out of their markers, read line by line: each item its own paragraph, or, when every
    item of a list is a short label ("- flour", "- eggs"), the list as one paragraph of items joined by
    "; ", after its lead-in line when that ends with a colon ("Ingredients: flour; eggs")."""
    out: list[str] = []
    items: list[str] = []
    after_blank = False
    for line in text.split("\n"):
        marker = _LIST_ITEM.match(line)
        if marker:
            items.append(line[marker.end():].strip())
        elif items and line.strip() and not after_blank:  # a wrapped item goes on
            items[-1] += " " + line.strip()
        elif items and line.strip():  # text after a blank line ends the list
            _put_list(out, items)
            items = []
        if not marker and not items:
            out.append(line)
        after_blank = not line.strip()
    if items:
        _put_list(out, items)
    return "\n".join(out)


def _put_list(out: list[str], items: list[str]) -> None:
    if all(len(item.split()) <= _SHORT_ITEM_WORDS and not _ends_sentence(item) for item in items):
        joined = "; ".join(items)
        if out and out[-1].rstrip().endswith(":"):
            out[-1] = out[-1].rstrip() + " " + joined
        else:
            out.append("\n" + joined)
        out.append("")
    else:
        for item in items:
            out.extend(["", item])
        out.append("")


def _ends_sentence(item: str) -> bool:
    return item.rstrip(" \"'”’)]*_").endswith((".", "!", "?", "…"))


def _rule(pattern: str, repl, flags: int = 0):
    return partial(re.compile(pattern, flags).sub, repl)


# Every Markdown step is linear in its input: a run of text a rule scans stops at the next character
# that could start another match of it (a bracket, the same emphasis mark), so no start position
# rescans the rest of the line. Patterns with `.+?` up to a closer that never comes took seconds on
# 48 KB of "_a _a _a" (issue #11). Code fences are read line by line, headings stripped in Python.
_LINK_TARGET = r"\(\s*+(?:[^()\s]|\([^()\s]*\))*(?:\s++\"[^\"\n]*\")?\s*+\)"  # (url), (url_(x)), (url "title")
_EMPHASIS_INSIDE = r"(?:[^{c}\n]|(?<=\w){c}(?=\w))+?"  # no emphasis mark inside but one within a word (snake_case)
_MD_STEPS = [
    _rule(r"\A---\n.*?\n---\n", "", re.DOTALL),                  # front matter: tried at the start only
    _drop_code_fences,
    _rule(r"!\[[^\[\]]*\]" + _LINK_TARGET, ""),                    # images
    _rule(r"\[([^\[\]]+)\]" + _LINK_TARGET, r"\1"),                # links keep their text
    _rule(r"^[ \t]{0,3}#{1,6}[ \t]+(.*)$", _heading_alone, re.MULTILINE),
    _rule(r"^[ \t]{0,3}>[ \t]?", "", re.MULTILINE),                   # block quotes
    _rule(r"^[ \t]*(?:[-*_][ \t]*){3,}$", "", re.MULTILINE),          # rules
    _split_lists,                                                    # after rules: "* * *" is no list
    _rule(r"\*\*((?:[^*\n]|\*(?!\*))+?)\*\*", r"\1"),               # bold
    _rule(r"__((?:[^_\n]|_(?!_))+?)__", r"\1"),
    _rule(r"(?<![\w*])\*(?!\s)(" + _EMPHASIS_INSIDE.format(c=r"\*") + r")(?<!\s)\*(?![\w*])", r"\1"),  # italics
    _rule(r"(?<![\w*])_(?!\s)(" + _EMPHASIS_INSIDE.format(c="_") + r")(?<!\s)_(?![\w*])", r"\1"),
    _rule(r"`([^`]+)`", r"\1"),                                      # inline code
]


def _strip_markdown(text: str) -> str:
    for step in _MD_STEPS:
        text = step(text)
    return text.lstrip("\n")


# trafilatura still looks for a date (we use `published_date` instead): keep its search to markup.
_NO_DATE_SEARCH = {"extensive_search": False, "original_date": True}


def document_from_html(html: str | bytes, *, url: str | None = None, title: str | None = None) -> Document:
    """An HTML page through trafilatura, tuned for precision: boilerplate must never be quoted."""
    import trafilatura  # imported here: it is slow to import and only HTML needs it
    from trafilatura.utils import load_html

    if isinstance(html, bytes):
        if len(html) > limits.MAX_ARTICLE_BYTES:
            raise IngestError(f"too large: over {limits.MAX_ARTICLE_BYTES // 1_000_000} MB")
        html = decode(html)
    if not html.strip():
        raise IngestError("empty: the page has no content")
    try:
        tree = load_html(html)
        # Read before extraction, which prunes the tree; trafilatura's own date guesses from any text.
        published = published_date(tree) if tree is not None else None
        extracted = tree is not None and trafilatura.bare_extraction(
            tree, url=url, favor_precision=True, include_comments=False, include_tables=False,
            with_metadata=True, deduplicate=False, date_extraction_params=_NO_DATE_SEARCH,
        )
    except Exception as exc:  # trafilatura/lxml raise many types on broken markup
        raise IngestError(f"not an article: the page could not be parsed ({type(exc).__name__})") from exc
    text = getattr(extracted, "text", None) if extracted else None
    if not text or not text.strip():
        raise IngestError("not an article: no article text found in the page")
    # The text rules run here too: a ticker or an ad marker inside the article's markup comes through.
    lines = clean_lines([re.sub(r"\s+", " ", line).strip() for line in normalize(text).split("\n")])
    paragraphs = clean_paragraphs([p for p in lines if p])
    if not paragraphs:
        raise IngestError("not an article: no article text found in the page")
    page_title = title or getattr(extracted, "title", None)
    if not page_title:
        page_title, paragraphs = _split_headline(paragraphs)
        if not paragraphs:
            raise IngestError("not an article: no article text found in the page")
    # The headline often comes through again (after a site blurb, or further down), bylines first.
    paragraphs = _drop_title_repeats(paragraphs, page_title)
    while paragraphs and re.fullmatch(r"By [A-Z][\w.' -]{1,60}", paragraphs[0]):
        paragraphs = paragraphs[1:]
    doc = Document(
        title=_clean_title(page_title),
        paragraphs=paragraphs,
        url=cited_url(url, getattr(extracted, "url", None)),
        author=getattr(extracted, "author", None) or None,
        published=published,
    )
    return _finish(doc)


def _same_text(a: str, b: str) -> bool:
    return re.sub(r"\W+", " ", a).strip().lower() == re.sub(r"\W+", " ", b).strip().lower()


def _looks_like_html(text: str) -> bool:
    head = text[:2000].lstrip().lower()
    return head.startswith(("<!doctype html", "<html")) or bool(re.search(r"<(?:body|article|p|div)\b", head))


def document_from_bytes(data: bytes, filename: str, *, title: str | None = None,
                        url: str | None = None) -> Document:
    """A file's bytes, read by its extension: .txt/.md as text, .html/.htm as a page."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise IngestError(f"unsupported file type {suffix or '(none)'}: use .txt, .md, .html or .htm")
    if not data.strip():
        raise IngestError("empty file")
    if len(data) > limits.MAX_ARTICLE_BYTES:
        raise IngestError(f"too large: {len(data) / 1_000_000:.1f} MB (the limit is "
                          f"{limits.MAX_ARTICLE_BYTES // 1_000_000} MB)")
    text = decode(data)
    if suffix in HTML_SUFFIXES:
        return document_from_html(text, url=url, title=title)
    if _looks_like_html(text):
        raise IngestError(f"this {suffix} file holds HTML: save it as .html to extract the article")
    return document_from_text(text, title=title, url=url, markdown=suffix in {".md", ".markdown"})


def document_from_path(path: str | os.PathLike, *, title: str | None = None) -> Document:
    path = Path(path)
    return document_from_bytes(_read_regular_file(path), path.name, title=title)


def _read_regular_file(path: Path) -> bytes:
    """The file's bytes; a FIFO, device or socket is refused, never waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opening a FIFO must not block until a writer comes
    except FileNotFoundError:
        raise IngestError("no such file") from None
    except OSError as exc:
        raise IngestError(f"cannot read: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        mode, size = info.st_mode, info.st_size
        if stat.S_ISDIR(mode):
            raise IngestError("is a directory")
        if not stat.S_ISREG(mode):
            raise IngestError("not a regular file (a FIFO, device or socket)")
        if size > limits.MAX_ARTICLE_BYTES:
            raise IngestError(f"too large: {size / 1_000_000:.1f} MB (the limit is "
                              f"{limits.MAX_ARTICLE_BYTES // 1_000_000} MB)")
        try:
            return f.read(limits.MAX_ARTICLE_BYTES + 1)  # one byte over: a file that grew is still refused
        except OSError as exc:
            raise IngestError(f"cannot read: {exc.strerror or exc}") from exc


def document_from_url(url: str, *, title: str | None = None, allow_private: bool | None = None) -> Document:
    """Fetch a page safely (see corpus.reading.fetch) and extract its article."""
    from .fetch import fetch

    return document_from_page(fetch(url, allow_private=allow_private), title=title)


def document_from_page(page, *, title: str | None = None) -> Document:
    """The article of a fetched page (a `corpus.reading.fetch.Fetched`): the bot fetches in a thread and
    parses here, in a reader process."""
    if page.content_type in ("text/plain", "text/markdown"):
        text = page.body.decode(page.charset, errors="replace") if page.charset else decode(page.body)
        return document_from_text(text, title=title, url=page.url, markdown=page.content_type == "text/markdown")
    return document_from_html(page.body, url=page.url, title=title)


def is_url(source: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source))


# Files a dataset or repository carries beside its articles, by name without extension.
NOT_ARTICLES = {"readme", "license", "licence", "copying", "changelog", "changes", "history", "authors",
                "contributors", "contributing", "code_of_conduct", "security", "notice", "install", "todo"}


def find_sources(sources: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Directories become the article files inside them (recursive, sorted); other sources pass through,
    read even when named README. Returns (sources, skipped): (path, why) for each file of a directory
    left out: not a regular file, a link leading out of the directory, a README or licence."""
    found: list[str] = []
    skipped: list[tuple[str, str]] = []
    for source in sources:
        if not is_url(source) and Path(source).is_dir():
            files, left_out = _walk(Path(source))
            found.extend(files)
            skipped.extend(left_out)
        else:
            found.append(source)
    return found, skipped


def expand_paths(sources: list[str]) -> list[str]:
    return find_sources(sources)[0]


def _walk(folder: Path) -> tuple[list[str], list[tuple[str, str]]]:
    root = folder.resolve()
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for dirpath, dirnames, filenames in os.walk(folder):  # links to folders are listed, not entered
        skipped.extend((Path(dirpath, n), LINK_OUT) for n in dirnames if _leaves(Path(dirpath, n), root))
        for name in filenames:
            path = Path(dirpath, name)
            if path.suffix.lower() not in SUFFIXES:
                continue
            why = LINK_OUT if _leaves(path, root) else _why_not_an_article(path)
            if why:
                skipped.append((path, why))
            else:
                files.append(path)
    return [str(p) for p in sorted(files)], [(str(p), why) for p, why in sorted(skipped)]


LINK_OUT = "a link leading out of the folder"


def _leaves(path: Path, root: Path) -> bool:
    """A link whose target is outside the folder being read (sub/passwd.txt -> /etc/passwd)."""
    return path.is_symlink() and not Path(os.path.realpath(path)).is_relative_to(root)


def _why_not_an_article(path: Path) -> str | None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return "a broken link (or a loop of links)"
    if not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, device or socket)"
    kind = path.name.split(".")[0]
    if kind.lower() in NOT_ARTICLES:
        return f"a {kind.upper()} file, not an article (give its path to read it anyway)"
    return None
