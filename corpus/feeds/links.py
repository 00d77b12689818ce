"""Entry links: only http(s) is followed, and a link is compared without what does not change the page
(fragment, tracking parameters, default port, case of scheme and host)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that say how a reader arrived, not what page it is: dropped before links are compared.
TRACKING_PREFIXES = ("utm_", "at_", "ns_", "mc_", "_hs", "pk_", "mtm_")
TRACKING_NAMES = frozenset({"fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "ocid", "cmpid", "xtor",
                            "_ga", "_gl", "ref", "ref_src", "rss", "feed", "cmp", "src", "smid"})
MAX_LINK_CHARS = 2000


def entry_link(link: str | None, others: list) -> tuple[str | None, str | None]:
    """(the entry's http(s) link or None, the refused link when it was javascript:, data:, file:...)."""
    refused = None
    for candidate in [link, *others]:
        if not isinstance(candidate, str) or not candidate.strip():
            continue
        candidate = candidate.strip()
        if is_http(candidate):
            return candidate.split("#", 1)[0], refused
        refused = refused or candidate[:200]
    return None, refused


def is_http(url: str) -> bool:
    if len(url) > MAX_LINK_CHARS or any(ord(c) < 0x21 for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def normalise_link(url: str) -> str:
    """The link as it is compared: "HTTPS://News.example:443/a?utm_source=rss&id=3#top" is
    "https://news.example/a?id=3"."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != {"http": 80, "https": 443}.get(scheme):
        host = f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


def _tracking(name: str) -> bool:
    lower = name.lower()
    return lower in TRACKING_NAMES or lower.startswith(TRACKING_PREFIXES)
