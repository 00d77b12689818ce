"""A feed's keywords choose which new articles are announced (every new article is indexed). The words
are read as the search reads them: lower-cased, accents folded, stemmed in the article's language, so
"election" announces an article about "elections" and "Zürich" one about "Zurich"."""

from __future__ import annotations

from ..reading.ingest import Document
from ..reading.languages import detect
from ..reading.text import stem, terms


def matches(doc: Document, keywords: str) -> bool:
    """True when the feed has no keywords, or the article's title or text has one of them."""
    if not keywords.strip():
        return True
    lang = detect([doc.title, *doc.paragraphs[:5]])
    wanted = {stem(t, lang) for t in terms(keywords)} | {stem(t, "en") for t in terms(keywords)}
    if not wanted:
        return True
    seen = {stem(t, lang) for text in (doc.title, *doc.paragraphs) for t in terms(text)}
    return bool(wanted & seen)
