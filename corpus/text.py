"""Text primitives shared by ingest and search: decoding, paragraphs, words, stems, sentences."""

from __future__ import annotations

import re
import threading
import unicodedata

import snowballstemmer

from .errors import IngestError

# Porter is what SQLite FTS5's `porter` tokenizer implements, so Python-side stems agree with the index.
# A snowball stemmer keeps state while it works: one per thread (the bot asks from worker threads).
_local = threading.local()


def _stemmer():
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("porter")
    return stemmer

WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

# Function words plus the words chat questions wrap around a request ("what did ... say about").
STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before
    being below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't
    down during each few for from further had hadn't has hasn't have haven't having he he'd he'll he's her
    here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its
    itself let's me more most mustn't my myself no nor not of off on once only or other ought our ours
    ourselves out over own same shan't she she'd she'll she's should shouldn't so some such than that
    that's the their theirs them themselves then there there's these they they'd they'll they're they've
    this those through to too under until up very was wasn't we we'd we'll we're we've were weren't what
    what's when when's where where's which while who who's whom why why's with won't would wouldn't you
    you'd you'll you're you've your yours yourself yourselves
    tell me please know anything something say said says think thinks thought view views
    according s t""".split()
)

# Zero-width and bidi control characters carry no meaning in an answer and break matching.
_INVISIBLE_RE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def normalize(text: str) -> str:
    """NFC, no invisible or control characters, Unix newlines, non-breaking spaces as spaces."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\t", " ")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _INVISIBLE_RE.sub("", text)
    text = _SURROGATE_RE.sub("\ufffd", text)  # lone surrogates (from JSON, say) cannot be stored as UTF-8
    return _CONTROL_RE.sub("", text)


def looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bool(sample) and controls / len(sample) > 0.05


def decode(data: bytes) -> str:
    """Bytes of unknown encoding to text: UTF-8 first, then a detected encoding, then cp1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if looks_binary(data):
        raise IngestError("not a text file (binary content)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    detected = _detect_encoding(data)
    if detected:
        return data.decode(detected, errors="replace")
    return data.decode("cp1252", errors="replace")


# Single-byte Western encodings are hard to tell apart by statistics; cp1252 is what such text
# almost always is in practice (it is what browsers assume), so prefer it over a guessed sibling.
_WESTERN = {"cp1252", "windows-1252", "latin_1", "iso8859_1", "iso8859_15", "cp1250", "windows-1250",
            "iso8859_2", "mac_roman", "cp850", "cp437", "ascii", "iso8859_9", "cp1254"}


def _detect_encoding(data: bytes) -> str | None:
    """None means "use cp1252". Text that is mostly ASCII with a few high bytes is Western text
    (a pound sign, a curly quote); statistical detectors misread it as e.g. Japanese."""
    high = sum(b > 0x7F for b in data)
    if high / max(len(data), 1) < 0.05:
        try:
            data.decode("cp1252")
            return None
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding.replace("-", "_").lower() in _WESTERN:
        return None
    return best.encoding


def split_blocks(text: str) -> list[str]:
    """Paragraphs separated by blank lines; hard-wrapped lines inside one are re-joined."""
    blocks = re.split(r"\n[ \t]*\n", text)
    out = []
    for block in blocks:
        lines = [line.strip() for line in block.split("\n")]
        joined = " ".join(line for line in lines if line)
        joined = re.sub(r"(\w)- (\w)", _dehyphenate, joined)
        joined = re.sub(r"\s+", " ", joined).strip()
        if joined:
            out.append(joined)
    return out


def _dehyphenate(match: re.Match) -> str:
    # "inter- national" from a hard wrap becomes "international"; "Jean- Paul" stays hyphenated.
    a, b = match.group(1), match.group(2)
    return f"{a}{b}" if b.islower() else f"{a}-{b}"


def words(text: str) -> list[str]:
    return WORD_RE.findall(text)


def terms(text: str) -> list[str]:
    """Lower-cased words as the index sees them: "Interpol's" is "interpol"."""
    out = []
    for word in words(text):
        lower = word.lower().replace("’", "'")
        if lower.endswith("'s"):
            lower = lower[:-2]
        out.append(lower)
    return out


_STEMS: dict[str, str] = {}


def stem(word: str) -> str:
    """Porter stem of a lower-cased word, memoised (a plain dict: this is the hottest call in ranking)."""
    try:
        return _STEMS[word]
    except KeyError:
        if len(_STEMS) > 500_000:
            _STEMS.clear()
        result = _STEMS[word] = _stemmer().stemWord(word.lower().replace("’", "'"))
        return result


# A question's words keep "&" inside: "at&t", "m&s" (each half alone is a stop word or a letter).
_QUESTION_WORD_RE = re.compile(r"[^\W_]+(?:['’&][^\W_]+)*", re.UNICODE)


def content_terms(text: str) -> list[str]:
    """Lower-cased words of a question that carry meaning, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in _QUESTION_WORD_RE.findall(text):
        lower = word.lower().replace("’", "'")
        if lower.endswith("'s"):
            lower = lower[:-2]
        if lower and lower not in STOP_WORDS and lower not in seen:
            seen[lower] = None
    return list(seen)


_SENTENCE_RE = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"“'‘(\[]?[A-Z0-9])")


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_RE.split(text) if s.strip()]


def split_long_paragraph(text: str, limit: int) -> list[str]:
    """A paragraph over `limit` characters as several, cut at sentence ends (or spaces if it must)."""
    if len(text) <= limit:
        return [text]
    parts, current = [], ""
    for sentence in sentences(text):
        if len(sentence) > limit:
            if current:
                parts.append(current)
                current = ""
            pieces = _cut_at_spaces(sentence, limit)
            parts.extend(pieces[:-1])
            sentence = pieces[-1]
        if current and len(current) + 1 + len(sentence) > limit:
            parts.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        parts.append(current)
    return parts


def _cut_at_spaces(sentence: str, limit: int) -> list[str]:
    """A sentence over `limit` characters in pieces of at most `limit`, cut at the last space that
    fits (or hard at the limit). Offsets, not slices of the rest: one pass over a 5 MB sentence."""
    pieces, start = [], 0
    while len(sentence) - start > limit:
        cut = sentence.rfind(" ", start, start + limit)
        cut = cut if cut > start else start + limit
        pieces.append(sentence[start:cut].strip())
        start = cut
        while start < len(sentence) and sentence[start].isspace():
            start += 1
    pieces.append(sentence[start:])
    return pieces


# The index's view of words: letters and digits; apostrophes split ("Interpol's" -> interpol, s).
INDEX_TOKEN_RE = re.compile(r"[^\W_]+")


def sentence_stems(text: str) -> str:
    """Each sentence's content-word stems in order, sentences separated by "|".

    Computed once at ingest and stored, so ranking never re-tokenises a candidate paragraph.
    """
    out = []
    for sentence in sentences(text) or [text]:
        out.append(" ".join(stem(t) for t in INDEX_TOKEN_RE.findall(sentence.lower()) if t not in STOP_WORDS))
    return "|".join(out)
