"""Folding the accents of Latin letters, the one piece of word preparation that both the text layer
(corpus.reading.text) and the stop-word lists (corpus.reading.languages) need: kept apart so neither
imports the other's module to get it."""

from __future__ import annotations

import re
import unicodedata

# Accents fold on Latin letters only ("Zürich" is "zurich"); Cyrillic й and Devanagari signs are letters.
_LATIN_MARKS_RE = re.compile(r"(?<=[A-Za-z])[\u0300-\u036f]+")
# Marks that one writer puts in a word and another leaves out, folded like Latin accents so that both
# spellings are one word: Devanagari's nukta (फ़िल्म, फिल्म) and chandrabindu written as anusvara (पहुँचे,
# पहुंचे); Arabic's short vowels, shadda and sukun, which a question may carry and an article rarely does
# (تُنهي, تنهي), and the tatweel that only stretches a word; the zero-width joiners (क्‍ष).
_FOLDED_MARKS = {0x093C: None, 0x0901: 0x0902, 0x0640: None, 0x0670: None, 0x200C: None, 0x200D: None,
                 **{c: None for c in range(0x064B, 0x0653)}}


def fold(word: str) -> str:
    """A word without the accents of its Latin letters ("café" is "cafe") and the marks its script is
    written with or without (_FOLDED_MARKS), on both sides of a search."""
    if word.isascii():
        return word
    decomposed = _LATIN_MARKS_RE.sub("", unicodedata.normalize("NFD", word)).translate(_FOLDED_MARKS)
    return unicodedata.normalize("NFC", decomposed)
