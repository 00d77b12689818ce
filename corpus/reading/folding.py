"""Folding the accents of Latin letters, the one piece of word preparation that both the text layer
(corpus.reading.text) and the stop-word lists (corpus.reading.languages) need: kept apart so neither
imports the other's module to get it."""

from __future__ import annotations

import re
import unicodedata

# Accents fold on Latin letters only ("Zürich" is "zurich"); Cyrillic й and Devanagari signs are letters.
_LATIN_MARKS_RE = re.compile(r"(?<=[A-Za-z])[\u0300-\u036f]+")


def fold(word: str) -> str:
    """A word without the accents of its Latin letters: "café" is "cafe", on both sides of a search."""
    if word.isascii():
        return word
    return unicodedata.normalize("NFC", _LATIN_MARKS_RE.sub("", unicodedata.normalize("NFD", word)))
