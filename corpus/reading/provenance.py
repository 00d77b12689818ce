"""Where an article came from and when: what a page says about itself, believed only so far.

A fetched page chooses its own canonical link and can claim to be anything: citing it as it says
would let any page make an answer's title link and "Open article" button point to a phishing site
(issue #11). The address cited is the one fetched; a canonical address replaces it only on the same
site. The publication date is read only from what the page declares as its publication date, never
guessed from text such as a "Copyright 2024" footer.
"""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from tld import get_fld

# --- the address to cite ---------------------------------------------------------------------------


def cited_url(fetched: str | None, declared: str | None) -> str | None:
    """The page's own canonical address if it is on the site the page was fetched from, else the
    fetched address. A file has no fetched address: its declared one is all there is (if http(s))."""
    if declared and not _is_plain_http_url(declared):
        declared = None
    if fetched is None:
        return declared
    return declared if declared and same_site(fetched, declared) else fetched


def same_site(a: str, b: str) -> bool:
    """Same registrable domain (bbc.co.uk for www.bbc.co.uk and news.bbc.co.uk), per the Public Suffix
    List with its private section, so a.github.io and b.github.io are two sites. A host without one (an
    IP address, localhost, a made-up suffix) is only the same site as itself, on the same port."""
    ua, ub = urlsplit(a), urlsplit(b)
    host_a, host_b = _host(ua), _host(ub)
    if not host_a or not host_b:
        return False
    domain_a, domain_b = registrable_domain(host_a), registrable_domain(host_b)
    if domain_a or domain_b:
        return domain_a == domain_b
    return host_a == host_b and _port(ua) == _port(ub)


def registrable_domain(host: str) -> str | None:
    """'news.bbc.co.uk' -> 'bbc.co.uk'; None for an IP address or a name under no public suffix.

    `tld` reads the Public Suffix List it ships (trafilatura already depends on it through courlan):
    nothing is downloaded unless its update function is called, which this never does.
    """
    host = host.rstrip(".").lower()
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    return get_fld(host, fix_protocol=True, fail_silently=True)


def _is_plain_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "@" not in parts.netloc


def _host(parts) -> str:
    return (parts.hostname or "").rstrip(".").lower()


def _port(parts) -> int | None:
    try:
        return parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None


# --- the publication date --------------------------------------------------------------------------

# <meta> names and properties that state when the article was first published (never "modified").
_PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time", "datepublished",
    "pubdate", "publishdate", "publish-date", "publish_date", "publication_date", "parsely-pub-date",
    "sailthru.date", "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.date", "dcterms.created",
    "citation_publication_date", "date",
)
_ARTICLE_TYPES = re.compile(r"article|posting|report", re.IGNORECASE)
_ISO_DATE = re.compile(r"\s*(\d{4})-?(\d{2})-?(\d{2})(?:\b|T|\s|$)")
_SLASH_DATE = re.compile(r"\s*(\d{4})/(\d{1,2})/(\d{1,2})\b")
_MAX_JSON_LD_CHARS = 1_000_000


def published_date(tree) -> str | None:
    """The date (YYYY-MM-DD) the page declares it was published: its <meta> tags, then JSON-LD
    `datePublished`, then a <time pubdate> or `itemprop="datePublished"` element. Nothing else."""
    for value in _declared_dates(tree):
        parsed = parse_date(value)
        if parsed:
            return parsed
    return None


def _declared_dates(tree):
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        if key in _PUBLISHED_META and meta.get("content"):
            yield meta.get("content")
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() == "application/ld+json":
            yield from _json_ld_dates(script.text or "")
    for element in tree.iter("time"):
        if element.get("pubdate") is not None and (element.get("datetime") or element.text_content()):
            yield element.get("datetime") or element.text_content()
    for element in tree.iter():
        if isinstance(element.tag, str) and (element.get("itemprop") or "").lower() == "datepublished":
            yield element.get("datetime") or element.get("content") or element.text_content()


def _json_ld_dates(text: str) -> list[str]:
    """datePublished of the JSON-LD objects, articles first."""
    if len(text) > _MAX_JSON_LD_CHARS:
        return []
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # broken or absurdly nested JSON is no date, not a broken page
        return []
    found: list[tuple[bool, str]] = []
    stack, seen = [data], 0
    while stack and seen < 10_000:  # a bound on what a crafted document can make us walk
        item = stack.pop()
        seen += 1
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            value = item.get("datePublished")
            if isinstance(value, str):
                kind = item.get("@type")
                kinds = kind if isinstance(kind, list) else [kind]
                found.append((any(isinstance(k, str) and _ARTICLE_TYPES.search(k) for k in kinds), value))
            stack.extend(v for v in reversed(list(item.values())) if isinstance(v, (dict, list)))
    return [value for is_article, value in sorted(found, key=lambda f: not f[0])]


def parse_date(value: str | None) -> str | None:
    """'2024-05-14T09:30:00Z', '20240514', '2024/5/14' or 'Tue, 14 May 2024 09:30:00 GMT' -> '2024-05-14'.
    The date as the page wrote it (its own time zone), and only a plausible one: not in the future."""
    value = (value or "").strip()[:100]
    match = _ISO_DATE.match(value) or _SLASH_DATE.match(value)
    try:
        if match:
            day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        else:
            day = parsedate_to_datetime(value).date()
    except (ValueError, TypeError, IndexError, OverflowError):
        return None
    tomorrow = datetime.now(timezone.utc).date() + timedelta(days=1)
    return day.isoformat() if date(1990, 1, 1) <= day <= tomorrow else None
