"""A feed's bytes to its entries: RSS 0.9x/1.0 (RDF)/2.0 and Atom through feedparser, JSON Feed by hand.

Feed XML is untrusted. Three guards:

* the DOCTYPE goes before the XML reaches a parser. feedparser drops external and nested entities, but
  keeps "safe" ones (a plain string), and one 100 KB entity used 2,000 times is a 300 KB feed that grows
  to 200 MB of text and 20 s of CPU (a quadratic blow-up). A feed needs no DTD: without it an entity
  reference is left as text by feedparser's lenient parser;
* the size is capped by the fetch (:data:`MAX_FEED_BYTES`), and only the newest :data:`MAX_ENTRIES`
  entries are read;
* in the bot this runs in a worker process with a time limit (bot/workers.py), never on the event loop.

Titles and texts come out as plain text (feedparser has already removed scripts); only http(s) links
are kept.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..errors import IngestError
from ..reading.ingest import Document, document_from_text
from .links import entry_link, normalise_link
from .markup import find_feed_links, html_to_text, looks_like_html

MAX_FEED_BYTES = 5_000_000      # a news feed is tens of KB; a podcast feed of every episode is the largest
MAX_ENTRIES = 1_000             # newest entries read from one feed; older ones are ignored
MAX_INDEXED = 50                # entries whose text is prepared (at most this many are indexed a poll)
ARTICLE_WORDS = 80              # an entry's own text stands in for its page only from this length
MAX_KEY_CHARS = 500

_PERIODS = {"hourly": 3600, "daily": 86400, "weekly": 7 * 86400, "monthly": 30 * 86400, "yearly": 365 * 86400}


class FeedError(IngestError):
    """Not a feed, malformed beyond reading, or no feed found on a page."""


@dataclass
class Entry:
    keys: list[str]                  # "id:…", "link:…" (normalised), else "text:…": what dedups it
    link: str | None                 # http(s) only, as the feed gives it (fragment dropped)
    title: str
    published: str | None            # YYYY-MM-DD
    words: int                       # length of the entry's own text
    fallback: Document | None = None  # the entry's own text as an article, when it is article-length
    refused_link: str | None = None  # a javascript:, data:... link that was dropped


@dataclass
class ParsedFeed:
    title: str
    entries: list[Entry]             # newest first
    asked_interval: float = 0.0      # seconds the feed asks between polls (<ttl>, sy:updatePeriod); 0: none
    total_entries: int = 0           # in the feed, before MAX_ENTRIES
    warning: str | None = None       # malformed, but read as far as it parses


@dataclass
class Discovered:
    """A web page, not a feed, and the feeds it links (autodiscovery)."""
    feeds: list[str] = field(default_factory=list)


def read_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed | Discovered:
    """Parse what a feed URL returned. Raises :class:`FeedError` with a one-line reason."""
    if len(body) > MAX_FEED_BYTES:
        raise FeedError(f"feed larger than {MAX_FEED_BYTES // 1_000_000} MB")
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")) or (content_type or "").endswith("json"):
        return _json_feed(body, url)
    if looks_like_html(head, content_type):
        return Discovered(find_feed_links(body, url))
    return _xml_feed(strip_doctype(body), url)


def strip_doctype(body: bytes) -> bytes:
    """The XML without its DOCTYPE (and the internal subset that declares entities). Linear in the size:
    the subset is read token by token (quoted strings whole, so a "]>" inside one does not end it)."""
    start = body.find(b"<!DOCTYPE", 0, 65536)
    if start < 0:
        start = body.find(b"<!doctype", 0, 65536)
    if start < 0:
        return body
    bracket, close = body.find(b"[", start), body.find(b">", start)
    if close < 0:
        return body[:start]
    if bracket < 0 or bracket > close:  # no internal subset: <!DOCTYPE rss SYSTEM "x.dtd">
        return body[:start] + body[close + 1:]
    for token in _SUBSET_TOKENS.finditer(body, bracket + 1):
        if token.group(0).startswith(b"]") and token.group(0).endswith(b">"):
            return body[:start] + body[token.end():]
    return body[:start]  # never closed: nothing after it is a document


_SUBSET_TOKENS = re.compile(rb'"[^"]*"|\'[^\']*\'|\][ \t\r\n]*>|[^"\'\]]+|\]')


def _xml_feed(body: bytes, url: str) -> ParsedFeed:
    import feedparser  # here: the worker imports it once, the bot's process never needs it

    parsed = feedparser.parse(body, response_headers={"content-location": url, "content-type": "application/xml"},
                              sanitize_html=True, resolve_relative_uris=True)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        if problem is not None and body.lstrip()[:1] == b"<":
            raise FeedError(f"malformed XML, nothing could be read: {_one_line(problem)}")
        raise FeedError("not a feed (no RSS, Atom or JSON Feed found)")
    feed = parsed.feed
    title = _plain(feed.get("title"), feed.get("title_detail")) or url
    raw = list(parsed.entries)
    entries = [_entry(e, i) for i, e in enumerate(_newest_first(raw)[:MAX_ENTRIES])]
    warning = None
    if parsed.get("bozo") and parsed.get("bozo_exception") is not None:
        warning = f"malformed XML, read as far as it parses: {_one_line(parsed['bozo_exception'])}"
    return ParsedFeed(title=title[:300], entries=entries, asked_interval=_asked_interval(feed),
                      total_entries=len(raw), warning=warning)


def _newest_first(entries: list) -> list:
    """By date when every entry has one; otherwise the feed's own order (newest first, by convention)."""
    dated = [_timestamp(e) for e in entries]
    if entries and all(t is not None for t in dated):
        order = sorted(range(len(entries)), key=lambda i: -dated[i])  # stable: equal dates keep feed order
        return [entries[i] for i in order]
    return entries


def _timestamp(entry) -> float | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    try:
        return float(calendar.timegm(parsed)) if parsed else None
    except (TypeError, ValueError, OverflowError):
        return None


def _entry(e, position: int) -> Entry:
    title = _plain(e.get("title"), e.get("title_detail"))
    link, refused = entry_link(e.get("link"), [l.get("href") for l in e.get("links", []) if isinstance(l, dict)])
    html = ""
    for content in e.get("content") or []:
        if len(content.get("value") or "") > len(html):
            html = content.get("value") or ""
    summary = e.get("summary") or ""
    text = html_to_text(html if len(html) >= len(summary) else summary)
    stamp = _timestamp(e)
    published = datetime.fromtimestamp(stamp, timezone.utc).date().isoformat() if stamp is not None else None
    return _make_entry(e.get("id"), link, refused, title, text, published, position)


def _make_entry(entry_id, link, refused, title, text, published, position) -> Entry:
    keys = []
    if isinstance(entry_id, str) and entry_id.strip():
        keys.append("id:" + entry_id.strip()[:MAX_KEY_CHARS])
    if link:
        keys.append("link:" + normalise_link(link)[:MAX_KEY_CHARS])
    if not keys:
        digest = hashlib.sha256(f"{title}\n{text}".encode("utf-8", "replace")).hexdigest()[:32]
        keys.append("text:" + digest)
    words = len(text.split())
    entry = Entry(keys=keys, link=link, title=title[:300], published=published, words=words, refused_link=refused)
    if position < MAX_INDEXED and words >= ARTICLE_WORDS:
        entry.fallback = _fallback_document(title, text, link, published)
    return entry


def _fallback_document(title: str, text: str, link: str | None, published: str | None) -> Document | None:
    try:
        doc = document_from_text(text, title=title or None, url=link)
    except IngestError:
        return None
    doc.published = published
    return doc


def _asked_interval(feed) -> float:
    """Seconds between polls the feed asks for: RSS <ttl> (minutes), or sy:updatePeriod/updateFrequency."""
    asked = 0.0
    try:
        asked = max(asked, float(str(feed.get("ttl", "")).strip()) * 60)
    except ValueError:
        pass
    period = _PERIODS.get(str(feed.get("sy_updateperiod", "")).strip().lower())
    if period:
        try:
            frequency = max(1, int(str(feed.get("sy_updatefrequency", "1")).strip()))
        except ValueError:
            frequency = 1
        asked = max(asked, period / frequency)
    return asked if asked > 0 and asked == asked else 0.0


def _plain(value, detail=None) -> str:
    """A title as plain text: markup out (when the feed says it is HTML, or it looks like it)."""
    if not isinstance(value, str):
        return ""
    kind = (detail or {}).get("type", "") if isinstance(detail, dict) else ""
    if "html" in kind or "<" in value:
        value = html_to_text(value)
    return " ".join(value.split())


def _json_feed(body: bytes, url: str) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1)."""
    try:
        data = json.loads(body.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError) as exc:
        raise FeedError(f"malformed JSON: {_one_line(exc)}") from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith("https://jsonfeed.org/version/"):
        raise FeedError("not a feed (JSON, but not a JSON Feed)")
    items = [i for i in data.get("items") or [] if isinstance(i, dict)] if isinstance(data.get("items"), list) else []
    dated = [(_json_date(i.get("date_published") or i.get("date_modified")), n) for n, i in enumerate(items)]
    if items and all(d is not None for d, _ in dated):
        items = [items[n] for _, n in sorted(dated, key=lambda p: (-p[0].timestamp(), p[1]))]
    entries = []
    for position, item in enumerate(items[:MAX_ENTRIES]):
        link, refused = entry_link(item.get("url") if isinstance(item.get("url"), str) else None, [])
        html = item.get("content_html") if isinstance(item.get("content_html"), str) else ""
        text = html_to_text(html) if html else str(item.get("content_text") or item.get("summary") or "")
        when = _json_date(item.get("date_published") or item.get("date_modified"))
        entry_id = item.get("id") if isinstance(item.get("id"), str) else None
        entries.append(_make_entry(entry_id, link, refused, _plain(item.get("title")), text,
                                   when.date().isoformat() if when else None, position))
    title = _plain(data.get("title")) or url
    return ParsedFeed(title=title[:300], entries=entries, total_entries=len(items))


def _json_date(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _one_line(value: object, limit: int = 160) -> str:
    text = " ".join(str(value).split()) or type(value).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
