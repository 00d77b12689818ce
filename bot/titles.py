"""The ``article`` option of ``/ask`` typed by hand: which article a title names, or none.

Autocomplete sends an article's id; a title typed without picking from the list used to be matched to the
closest title whatever it was ("interpol" searched "Intel unveils laser breakthrough"). Here a typed title
names an article only when every word typed is a word of that title (a slip such as "polise" allowed, and
the last word may be unfinished), and only one title has them all; otherwise nothing is searched, and the
titles that hold some of the words are offered as "did you mean".

Pure functions over the visible articles (``ArticleInfo``: ``id``, ``title``); the engine runs them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from rapidfuzz import fuzz, process

MAX_TITLES = 5000  # titles searched (the same bound as autocomplete's)
SLIP_RATIO = 80  # a typed word and a title word this similar (rapidfuzz ratio) are the same word
MIN_SLIP_LENGTH = 4  # shorter words must be typed exactly (or be the unfinished last word)
MIN_PREFIX = 3  # an unfinished last word of at least this many letters matches the words it begins
SUGGEST_SHARE = 0.5  # titles holding this share of the words typed are offered as "did you mean"
MAX_SUGGESTIONS = 3
_IGNORED = frozenset({"a", "an", "the", "of", "article", "story"})
_WORD = re.compile(r"[^\W_]+")


@dataclass
class TitleMatch:
    article: Optional[Any] = None  # the one article the text names
    suggestions: list = field(default_factory=list)  # else: titles close to it, best first
    several: bool = False  # the words name more than one title equally


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _readings(typed: str, vocabulary: Sequence[str], *, last: bool) -> set[str]:
    """The title words a typed word stands for: itself, a slip of it, or (the last word typed, perhaps
    unfinished) the words it begins."""
    found = {typed}
    if last and len(typed) >= MIN_PREFIX:
        found.update(w for w in vocabulary if w.startswith(typed))
    if len(typed) >= MIN_SLIP_LENGTH:
        found.update(w for w, _, _ in process.extract(typed, vocabulary, scorer=fuzz.ratio,
                                                      score_cutoff=SLIP_RATIO, limit=None))
    return found


def shares_found(typed: Sequence[str], title_words: Sequence[set[str]]) -> list[float]:
    """For each title (as its set of words), the share of the typed words found in it."""
    vocabulary = sorted(set().union(*title_words)) if title_words else []
    readings = [_readings(w, vocabulary, last=i == len(typed) - 1) for i, w in enumerate(typed)]
    return [sum(not r.isdisjoint(ws) for r in readings) / len(typed) for ws in title_words]


def match(articles: Sequence[Any], text: str) -> TitleMatch:
    """The article ``text`` names among ``articles``, or the close titles to suggest instead."""
    typed_all = words(text)
    typed = [w for w in typed_all if w not in _IGNORED] or typed_all
    if not typed:
        return TitleMatch()
    listed = [words(a.title) for a in articles]
    exact = [a for a, ws in zip(articles, listed) if ws == typed_all]
    if len(exact) == 1:
        return TitleMatch(article=exact[0])
    scored = list(zip(shares_found(typed, [set(ws) for ws in listed]), articles))
    complete = [a for share, a in scored if share == 1.0]
    if len(complete) == 1:
        return TitleMatch(article=complete[0])
    if complete:
        return TitleMatch(suggestions=complete[:MAX_SUGGESTIONS], several=True)
    close = sorted((pair for pair in scored if pair[0] >= SUGGEST_SHARE),
                   key=lambda pair: (-pair[0], -fuzz.WRatio(text, pair[1].title)))
    return TitleMatch(suggestions=[a for _, a in close[:MAX_SUGGESTIONS]])
