"""`answered`: whether the best passage answers the question, or the message was never a question for the
articles ("did you see the match last night?", "is the server down?" in an ask channel).

One function decides it, `passage_answers`, from three readings of the best passage:

1. its coverage of the question (corpus.answering.rerank.answers: the question's rare words in one place,
   or with vectors, its meaning), as before;
2. the cross-encoder's logit, when it read the pair (English): a passage it reads as not answering is
   not an answer, however many words it shares, and one it reads as surely answering is one;
3. the message's own words: a chat line shares a common word or two with some news paragraph ("match",
   "night", "server"), a question names what it asks about. The passage must hold a named thing of the
   message (a word the passage writes capitalised inside a sentence: "Liverpool", "Interpol"), or two of
   its rarer words; a message put to the people in the channel ("you", "we", "anyone", "lol") needs both.

The own-words reading is for English passages (capitals mark its names; 华沙 has none to show): passages
in other languages are answered by their coverage, with their own thresholds (corpus.answering.thresholds).
"""

from __future__ import annotations

import re

from ..reading.languages import language
from ..reading.text import index_words, sentences
from .candidates import Candidate
from .rerank import answers, index_stems, title_stems

# The cross-encoder's logit (ms-marco-MiniLM-L-12-v2) below which the best passage does not answer, and
# from which it does (whatever its coverage), chosen on the news development questions and the chat lines'
# development half (words-only candidates read by the model: dev chat lines answered 0.047, answerable
# refused 0.143 against 0.116 by words alone; benchmarks/chat_lines.py prints the engine's figures).
CROSS_ANSWERED = -2.0
CROSS_CONFIDENT = 4.0
# A word of the message is one of its rarer ones from this idf, in at most ~1 paragraph in 15 ("the" 0.1,
# "match" 3.8 on BBC; "tsunami" 2.74 among seven articles, three about it): two held by the passage make
# it about the message, with no name among them.
OWN_WORD_IDF = 2.7
OWN_WORDS_NEEDED = 2
SMALL_ARCHIVE = 100  # paragraphs: below it the rarity of a word says little
# A message addressed to the people in the channel, not to the articles.
_ADDRESSED = re.compile(r"\b(?:you|your|yours|ya|u|ur|we|us|our|ours|i|i'm|im|i'll|i've|me|my|mine|anyone|anybody"
                        r"|someone|somebody|everyone|everybody|guys|folks|lol|lmao|rofl|haha\w*|pls|plz|tbh|imo)\b"
                        r"|\bwho(?:'s| is)? (?:wants?|wanna|up for|coming|in for|around|free)\b", re.IGNORECASE)
# When, not what: a chat line's plans ("tonight", "later") are no topic, however rare in the articles.
_TIME_WORDS = frozenset("today tonight tomorrow yesterday later now soon weekend morning evening afternoon night "
                        "week".split())
# Capitalised in a sentence, yet no name: calendar words.
_NOT_NAMES = frozenset("monday tuesday wednesday thursday friday saturday sunday january february april june july "
                       "august september october november december christmas easter".split())


def passage_answers(question: str, term_idf: dict[str, float], best: Candidate, paragraphs: int = 0) -> bool:
    """Whether `best` answers `question` (term_idf: the question's content words and their rarity among
    the visible files' `paragraphs`)."""
    if best.cross is None:
        return answers(best) and (best.language != "en" or holds_own_words(question, term_idf, best, paragraphs))
    # The model's reading decides when it is sure either way; in between, the passage must cover the
    # question and hold its own words, as without the model.
    if best.cross < CROSS_ANSWERED:
        return False
    if best.cross >= CROSS_CONFIDENT:
        return True
    return answers(best) and (best.language != "en" or holds_own_words(question, term_idf, best, paragraphs))


def holds_own_words(question: str, term_idf: dict[str, float], best: Candidate, paragraphs: int = 0) -> bool:
    """Does the passage hold what the message itself is about: a named thing, or two rarer words?"""
    held = held_terms(term_idf, best)
    # Among a few articles every word is common to them ("boston" in the one article about Boston): there
    # the words held count whatever their rarity.
    rare_from = OWN_WORD_IDF if paragraphs >= SMALL_ARCHIVE else 0.0
    named = any(is_named(t, best.text, best.language) or is_named_in_title(t, best.title, best.language)
                for t in held)
    rarer = sum(term_idf[t] >= rare_from and t not in _TIME_WORDS for t in held) >= OWN_WORDS_NEEDED
    if _ADDRESSED.search(question):  # "i love this community": Courtney Love is a name, but not this one
        return named and rarer
    return named or rarer


def held_terms(term_idf: dict[str, float], best: Candidate) -> list[str]:
    """The question's words the passage, the paragraph before it or its title hold (as its language stems)."""
    stems = set(best.stems.replace("|", " ").split()) | set(best.prev_stems.replace("|", " ").split())
    stems |= title_stems(best.title, best.language)
    written = f"{best.title} {best.text}".lower()
    return [t for t in term_idf if ("&" in t and t in written)  # "at&t": its halves are stop words
            or ("&" not in t and all(s in stems for s in index_stems(t, best.language)))]


def is_named_in_title(term: str, title: str, lang: str = "en") -> bool:
    """Whether a headline written in sentence case ("Ad sales boost Time Warner profit") writes the word as
    a name: the passage is about what its title names. A headline in Title Case capitalises every word,
    so it names nothing by its capitals."""
    words = re.findall(r"[^\W\d_][\w'’-]*", title)
    if sum(w[:1].isupper() for w in words[1:]) > len(words[1:]) / 2:
        return False
    return is_named(term, title, lang)


def is_named(term: str, text: str, lang: str = "en") -> bool:
    """Whether the passage writes the word as a name: capitalised every time it is not a sentence's first
    word, at least once so ("Liverpool", "Interpol"; not "Match", not "Friday")."""
    if "&" in term:
        return True  # "AT&T", "M&S": held as written, only a name is spelt so
    if term in _NOT_NAMES or not term[:1].isalpha():
        return False
    stem = language(lang).stem
    target = stem(term)
    capitalised = False
    for sentence in sentences(text) or [text]:
        for i, word in enumerate(re.findall(r"[^\W\d_][\w'’-]*", sentence)):
            if i == 0 or not index_words(word) or stem(index_words(word)[0]) != target:
                continue
            if not word[:1].isupper():
                return False
            capitalised = True
    return capitalised
