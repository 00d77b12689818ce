"""Fetching a feed: corpus/reading/fetch.py with its address rules, redirect checks, size and time caps,
plus what feeds need: conditional GET (a 304 comes back as a result, not an error), the feed content
types, and the status and headers a scheduler reads (Retry-After, Cache-Control)."""

from __future__ import annotations

from ..reading.fetch import ACCEPTED_CONTENT_TYPES, Fetched, fetch
from .parse import MAX_FEED_BYTES

FEED_CONTENT_TYPES = ACCEPTED_CONTENT_TYPES | frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml",
    "application/feed+json", "application/json", "application/x-rss+xml", "application/x-atom+xml",
})


def fetch_feed(url: str, headers: dict[str, str]) -> Fetched:
    """GET a feed (or the page that links it). Raises FetchError, or HTTPStatusError for a status that is
    neither 2xx, 304 nor a redirect."""
    return fetch(url, headers=headers, content_types=FEED_CONTENT_TYPES, max_bytes=MAX_FEED_BYTES)
