"""HTML in feeds: entry titles and texts to plain text, and a web page's links to its feeds
(autodiscovery: ``<link rel="alternate" type="application/rss+xml" href="…">``). Standard library parser:
linear, and it never fetches anything."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

from .links import is_http

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml",
              "application/json")
_BLOCKS = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
                     "section", "article", "header", "footer", "figure", "figcaption", "table", "tr", "pre", "hr"})
_SKIPPED = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg", "math"})
_FEED_ROOTS = (b"<rss", b"<feed", b"<rdf:rdf", b"<rdf", b"<channel")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Paragraphs separated by blank lines, each on one line; scripts and styles dropped."""
    if "<" not in html and "&" not in html:
        return "\n\n".join(" ".join(p.split()) for p in html.split("\n\n") if p.strip())
    parser = _Text()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # a malformed declaration: keep what was read
        pass
    blocks = "".join(parser.parts).split("\n\n")
    return "\n\n".join(" ".join(b.split()) for b in blocks if b.strip())


def looks_like_html(head: bytes, content_type: str | None) -> bool:
    """A web page rather than a feed: said so by the server or by its first bytes, and no feed root."""
    lower = head.lower()
    if any(root in lower for root in _FEED_ROOTS):
        return False
    if content_type in ("text/html", "application/xhtml+xml"):
        return True
    return lower.startswith((b"<!doctype html", b"<html")) or b"<head" in lower or b"<body" in lower


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag, attrs) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"].strip()
        if tag != "link" or "alternate" not in values.get("rel", "").lower().split():
            return
        kind = values.get("type", "").split(";")[0].strip().lower()
        if kind in FEED_TYPES and values.get("href", "").strip():
            self.found.append((FEED_TYPES.index(kind), values["href"].strip()))

    handle_startendtag = handle_starttag


def find_feed_links(body: bytes, url: str) -> list[str]:
    """The feeds a page links, RSS and Atom first, as absolute http(s) URLs (at most 10)."""
    parser = _Links()
    try:
        parser.feed(body[:1_000_000].decode("utf-8", errors="replace"))  # <link>s are in the head
        parser.close()
    except (AssertionError, ValueError):
        pass
    base = urljoin(url, parser.base) if parser.base else url
    out: list[str] = []
    for _, href in sorted(parser.found, key=lambda f: f[0]):
        absolute = urljoin(base, href)
        if is_http(absolute) and absolute not in out:
            out.append(absolute)
    return out[:10]
