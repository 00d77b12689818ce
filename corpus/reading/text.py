"""Text primitives shared by ingest and search: decoding, paragraphs, words, stems, sentences."""

from __future__ import annotations

import re
import unicodedata
import zlib

from ..errors import IngestError
from .folding import fold
from .languages import ENGLISH_STOP_WORDS as STOP_WORDS
from .languages import language


def _class_ranges(codes: list[int]) -> str:
    """Code points as a compact regex class body ("a-z" runs): a short class compiles fast."""
    out, start = [], None
    for i, c in enumerate(codes):
        start = c if start is None else start
        if i + 1 == len(codes) or codes[i + 1] != c + 1:
            out.append(chr(start) if start == c else f"{chr(start)}-{chr(c)}")
            start = None
    return "".join(out)


# Combining marks are part of a word: Hindi's vowel signs, Thai's tone marks, an accent typed apart.
# So are the zero-width joiners inside a word (Devanagari "क्‍ष" may be typed with one; `fold` drops them).
_MARKS = _class_ranges([c for c in range(0x300, 0x3100) if unicodedata.category(chr(c)) in ("Mn", "Mc", "Me")]
                       ) + "\u200c\u200d"
_LETTER = rf"(?:[^\W_]|[{_MARKS}])"
_MARK_RE = re.compile(f"[{_MARKS}]")
# Each pattern has a plain twin for the usual text without marks: the alternation is several times slower.
WORD_RE = re.compile(rf"{_LETTER}+(?:['’]{_LETTER}+)*", re.UNICODE)
_PLAIN_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
# Scripts written without spaces between words: Han, kana, Thai, Lao, Khmer, Myanmar. A run of them is
# read as its overlapping pairs of characters, so "北京" finds "北京天气" (a run of one is itself).
_UNSPACED = ("\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf"
             "\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f")
_UNSPACED_RE = re.compile(f"([{_UNSPACED}]+)")  # split() gives text between runs, then a run, alternately
_UNIT_RE = re.compile(f".[{_MARKS}]*", re.DOTALL)  # a character with its marks (Thai vowels, tones)

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


_NOT_CONTROL_BYTES = bytes(b for b in range(256) if not (b < 9 or 13 < b < 32))  # deleted, controls are left


def looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    controls = len(sample.translate(None, _NOT_CONTROL_BYTES))
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


def _find(pattern: re.Pattern, plain: re.Pattern, text: str) -> list[str]:
    return (pattern if _MARK_RE.search(text) else plain).findall(text)


def words(text: str) -> list[str]:
    return _find(WORD_RE, _PLAIN_WORD_RE, text)


def unspaced(word: str) -> bool:
    """Is this (a piece of) a script written without spaces?"""
    return not word.isascii() and bool(_UNSPACED_RE.search(word))


def pieces(word: str) -> list[str]:
    """A word as the index cuts it: itself, or for a script written without spaces, overlapping pairs
    of characters ("北京天气" is 北京 京天 天气)."""
    if word.isascii() or not _UNSPACED_RE.search(word):
        return [word]
    out = []
    for i, part in enumerate(_UNSPACED_RE.split(word)):
        if not part:
            continue
        if i % 2 == 0:  # between runs: "iphone" in "iphone手机"
            out.append(part)
            continue
        units = _UNIT_RE.findall(part)
        out.extend([part] if len(units) == 1 else [a + b for a, b in zip(units, units[1:])])
    return out


def matched_runs(word: str, pairs: set[str]) -> list[str]:
    """The stretches of a Chinese (Japanese, Thai) word that the question's pairs of characters cover:
    "华沙证券交易所" with 华沙, 证券, 交易 ... is itself; what the bot puts in bold."""
    runs: list[str] = []
    for i, part in enumerate(_UNSPACED_RE.split(word)):
        if i % 2 == 0 or not part:
            continue
        units = _UNIT_RE.findall(part)
        covered = [False] * len(units)
        for j in range(len(units) - 1):
            if units[j] + units[j + 1] in pairs:
                covered[j] = covered[j + 1] = True
        run = ""
        for unit, hit in zip(units + [""], covered + [False]):
            if hit:
                run += unit
            elif run:
                runs.append(run)
                run = ""
    return runs


def terms(text: str) -> list[str]:
    """Lower-cased, accent-folded words as the index sees them: "Interpol's" is "interpol"."""
    plain = text.isascii()  # nothing to fold or cut: the common case, kept fast
    out = []
    for word in words(text):
        lower = word.lower().replace("’", "'")
        if lower.endswith("'s"):
            lower = lower[:-2]
        if plain:
            out.append(lower)
        else:
            out.extend(pieces(fold(lower)))
    return out


def stem(word: str, lang: str = "en") -> str:
    """The stem of a lower-cased, folded word in a language (Porter for English), memoised."""
    return language(lang).stem(word)


# A question's words keep "&" inside: "at&t", "m&s" (each half alone is a stop word or a letter).
_QUESTION_WORD_RE = re.compile(rf"{_LETTER}+(?:['’&]{_LETTER}+)*", re.UNICODE)
_PLAIN_QUESTION_WORD_RE = re.compile(r"[^\W_]+(?:['’&][^\W_]+)*", re.UNICODE)


def content_terms(text: str, stop_words: frozenset = STOP_WORDS) -> list[str]:
    """Lower-cased, folded words of a question that carry meaning, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in _find(_QUESTION_WORD_RE, _PLAIN_QUESTION_WORD_RE, text):
        lower = fold(word.lower().replace("’", "'"))
        if lower.endswith("'s"):
            lower = lower[:-2]
        for piece in pieces(lower):
            if piece and piece not in stop_words and piece not in seen:
                seen[piece] = None
    return list(seen)


# A full stop, then space and a capital; or a Chinese/Japanese full stop or a danda (no space needed), not
# followed by a closing quote (a split drops what it matches).
_SENTENCE_RE = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"“'‘(\[]?[A-Z0-9])|(?<=[。！？।॥])\s*(?=[^\s”」』）])")


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


# The index's view of words: letters (with their marks) and digits; apostrophes split ("Interpol's" ->
# interpol, s).
INDEX_TOKEN_RE = re.compile(rf"{_LETTER}+")
_PLAIN_INDEX_TOKEN_RE = re.compile(r"[^\W_]+")


def index_tokens(text: str) -> list[str]:
    """The words of a text as written, split where the index splits them."""
    return _find(INDEX_TOKEN_RE, _PLAIN_INDEX_TOKEN_RE, text)


def index_words(text: str) -> list[str]:
    """The words of a text as the index holds them before stemming: lower-cased, folded, cut in pieces."""
    tokens = index_tokens(text.lower())
    return tokens if text.isascii() else [p for t in tokens for p in pieces(fold(t))]


def index_text(text: str, lang: str = "en") -> str:
    """What the full-text index holds for a text: every word's stem in the article's language, stop
    words included (a phrase must still match), space-separated. FTS5 indexes this, not the text, so
    stemming is the language's and not the tokenizer's."""
    rules = language(lang)
    return " ".join(rules.stem(w) for w in index_words(text))


def sentence_stems(text: str, lang: str = "en") -> str:
    """Each sentence's content-word stems in order, sentences separated by "|".

    Computed once at ingest and stored, so ranking never re-tokenises a candidate paragraph.
    """
    rules = language(lang)
    out = []
    for sentence in sentences(text) or [text]:
        out.append(" ".join(rules.stem(t) for t in index_words(sentence) if t not in rules.stop_words))
    return "|".join(out)



# What the index holds of a paragraph is stored once, compressed, as its "terms": each sentence's stems of
# content words (sentence_stems(text), what the reranker reads, first, so that reading them is one
# decompress), then where the stop words go between them. Together they give back index_text(text), what
# FTS5 indexes. About 0.55 of the text's size; the index text and the stems apart were 1.4.
_CONTENT = "."  # a content word's place among the stop words (never a stem: stems are letters and digits)


def pack_terms(text: str, lang: str = "en") -> bytes:
    rules = language(lang)
    stems, shapes = [], []
    for sentence in sentences(text) or [text]:
        content, shape = [], []
        for word in index_words(sentence):
            stemmed = rules.stem(word)
            if word in rules.stop_words:
                shape.append(stemmed)
            else:
                content.append(stemmed)
                shape.append(_CONTENT)
        stems.append(" ".join(content))
        shapes.append(" ".join(shape))
    return zlib.compress(f"{'|'.join(stems)}\0{'|'.join(shapes)}".encode("utf-8"))


def stems_of_terms(packed: bytes | None) -> str:
    """sentence_stems(text), from the stored terms."""
    return zlib.decompress(packed).decode("utf-8").partition("\0")[0] if packed else ""


def index_text_of_terms(packed: bytes | None) -> str:
    """The words of index_text(text), from the stored terms (the SQL function `articlebot_terms` that
    the index reads; an empty stem, as Porter makes of "s", leaves no extra space)."""
    if not packed:
        return ""
    stems, _, shapes = zlib.decompress(packed).decode("utf-8").partition("\0")
    out = []
    for content, shape in zip(stems.split("|"), shapes.split("|")):
        words = iter(content.split(" "))
        out.extend(next(words) if token == _CONTENT else token for token in shape.split(" ") if token)
    return " ".join(out)
