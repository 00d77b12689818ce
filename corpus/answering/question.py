"""Reading the question: its content words, each read as typed or as the visible word it is a slip of,
and whether it asks what somebody said ("what did X say about Y").

A word the visible scopes do not know is corrected to a close visible word (rapidfuzz over the guild's and
the shared scope's vocabularies only); a slip in a function word ("waht", "acording") is read as that
word; "3000m" is read as "3,000m" when the articles write it so; "at&t" is kept whole.
"""

from __future__ import annotations

import re

from rapidfuzz import process
from rapidfuzz.distance import OSA

from ..reading.text import STOP_WORDS, content_terms, fold, pieces, unspaced, words
from .visible import Visible
from .vocabulary import VisibleVocabulary

# "3000m", "25000": a figure of four or more digits typed without the thousands commas news copy uses.
_UNGROUPED_FIGURE = re.compile(r"^([1-9]\d{3,})([a-z]*)$")
_LONG_STOP_WORDS = sorted(w for w in STOP_WORDS if len(w) >= 4)
MAX_TERMS = 32
# Chat shorthand that carries no topic ("chelsea vs arsenal result"): never a word to find.
_QUESTION_NOISE = frozenset({"vs", "versus", "v", "pls", "plz", "lol"})
# What an ask channel hears that is not a question about the news: greetings, and questions put to the
# people in the channel ("does anyone want pizza?", "is anyone here?", "what time is the meeting?").
_SMALL_TALK = re.compile(
    r"^\s*(?:hey|hi|hello|yo|ok|okay|lol|thanks|thank you|good (?:morning|night|evening))\b[\s!.?]*$"
    r"|^\s*(?:(?:does|is|can|could|has|will|would|did|do)\s+)?(?:any|some|every)(?:one|body)\s+"
    r"(?:want|wants|here|know|knows|have|got|free|around|online|up for|else|seen|going|remember|fancy|need|wanna)\b"
    r"|^\s*(?:what time|when) (?:is|does|do|will) (?:the|our|my|your|today's|tonight's) (?:meeting|call|stream|party|raid|event"
    r"|lunch|dinner|game|match)\b(?:\s+(?:start|begin|end|happen))?(?:\s+(?:today|tonight|tomorrow))?\s*\??\s*$"
    # thanks and praise, asking after the bot, jokes: a chat line, not a question for the articles
    r"|^\s*(?:thanks|thank you|thx)\b[^?]*$|^\s*(?:cheers|nice one|good bot|great|awesome|cool)\b[\s!.]*$"
    r"|^\s*(?:hey|hi|hello|yo)?\s*(?:bot\W*)?(?:how(?:'s| is| are)\s+(?:you|it going|things"
    r"|your (?:day|morning|evening|week|weekend))"
    r"|(?:is|are)\s+(?:the\s+)?(?:bot|you)\s+(?:there|here|down|up|alive|awake|working|broken|ok|okay)"
    r"|(?:can|could|will|would)\s+you\s+tell\s+(?:me|us)\s+a\s+joke|tell\s+(?:me|us)\s+a\s+joke)\b",
    re.IGNORECASE)
# A short word one slip from a visible word is as likely another word the articles never use ("obama",
# "musk", "tesla"): it is corrected only when the correction is found beside the question's other words.
SHORT_WORD = 6


# "what did X say about Y", "what does X think of Y", "X's view on Y", "according to X, Y", "what did X say"
_SPEAKER_PATTERNS = [
    re.compile(r"^(?:so\s+)?(?:what|wat|wut|how)\s+(?:did|does|do|has|had)\s+(?P<x>.+?)\s+"
               r"(?:say|said|says|think|thinks|thought|feel|feels|tell|told|reckon|believe|argue|claim|"
               r"predict|warn|add|comment|respond|reply|propose|announce|suggest|admit|insist|describe)\b(?:\s+(?:about|of|on|regarding|"
               r"re|concerning|over|to|that|when|in|for))?\s*(?P<y>.*)$", re.IGNORECASE),
    re.compile(r"^(?P<x>.+?)['’]s?\s+(?:view|views|take|opinion|position|stance|thoughts|comments|remarks|words)"
               r"\s*(?:on|about|of|regarding)?\s*(?P<y>.*)$", re.IGNORECASE),
    re.compile(r"^according\s+to\s+(?P<x>[^,?]+?)\s*[,:]\s*(?P<y>.*)$", re.IGNORECASE),
    re.compile(r"^(?:did|does|has)\s+(?P<x>.+?)\s+(?:say|said|mention|talk|comment)\s*(?:about|on|anything about)?\s*(?P<y>.*)$",
               re.IGNORECASE),
]


_QUOTED_NAME = 1  # paragraphs quoting someone by a name before a misspelt "what did X say" is read as it


def parse_speaker(question: str) -> tuple[str, str] | None:
    q = question.strip().rstrip("?!. ")
    for pattern in _SPEAKER_PATTERNS:
        m = pattern.match(q)
        if m:
            x = re.sub(r"^(?:the|a|an)\s+", "", m.group("x").strip(), flags=re.IGNORECASE)
            if x and len(x.split()) <= 6 and x.lower() not in {"it", "they", "this", "that", "people", "you", "i", "we"}:
                return x, m.group("y").strip()
    return None



class QuestionReader:
    """Reads one question's words against what the asker can see."""

    def __init__(self, visible: Visible, vocab: VisibleVocabulary) -> None:
        self.visible = visible
        self.vocab = vocab
        self.unknown: list[str] = []      # words no visible article holds, as typed and as read
        self.function_words_only = False  # "a", "is anyone here?": nothing to look for
        self.speaker_words: set[str] = set()  # the X of "what did X say": a name, if it is misspelt

    def terms(self, question: str) -> tuple[list[str], dict[str, str]]:
        """The words to search for, and the corrections made ({typed: read}; never a word read as itself)."""
        terms = [t for t in content_terms(question, self.visible.stop_words(question)) if t not in _QUESTION_NOISE]
        if not terms or _SMALL_TALK.search(question):  # "who is he?" -- nothing but stop words: use what there is
            self.function_words_only = True
            terms = [p for w in words(question) for p in pieces(fold(w.lower()))][:12]
        corrections: dict[str, str] = {}
        out: list[str] = []
        terms = terms[:MAX_TERMS]
        speaker = parse_speaker(question)
        self.speaker_words = set(content_terms(speaker[0])) if speaker else set()
        known = [t for t in terms if t in self.vocab.df or self._known_stem(t)]
        terms = _without_seams(terms, known)
        for term in terms:
            read = self._reading(term, known)
            if read and read != term:
                corrections[term] = read
                if read in STOP_WORDS:  # "acording to": a word the search leaves out anyway
                    continue
            elif term not in known and not self.function_words_only:
                self.unknown.append(term)
            out.append(read or term)
        return list(dict.fromkeys(out)), corrections

    def _known_stem(self, word: str) -> bool:
        """Does the index hold this word (as each visible language stems it)? A MATCH that stops at
        the first row is O(1) in corpus size; fts5vocab 'row' counted every row holding the term first."""
        return self.visible.matches(self.visible.term(word), cap=1) > 0

    def _reading(self, term: str, known: list[str]) -> str | None:
        """What a question word is read as when not as typed: a figure as the articles write it, a typo's
        visible word, or the function word it is a slip of ("acording", "waht", "thier")."""
        if "&" in term:
            return None  # "at&t" is a name the index holds as "at" "t": never a typo
        if term in self.vocab.df:
            return self._grouped_figure(term)
        function_word = None if term in known else _function_word_typo(term)
        if function_word and sorted(function_word) == sorted(term):
            return function_word  # "waht" is two letters swapped in "what", only one added in "want"
        return self._grouped_figure(term) or self._correction(term, known) or function_word

    def _grouped_figure(self, term: str) -> str | None:
        """"3000m" as the articles write it, "3,000m" (which the index holds as "3" "000m"), when they do
        so more often; "2005" stays a year."""
        match = _UNGROUPED_FIGURE.match(term)
        if not match:
            return None
        typed = self.vocab.df.get(term, 0)
        if typed >= 20:  # a common year or figure: no need to look further
            return None
        digits, unit = match.groups()
        grouped = f"{int(digits):,}{unit}"
        return grouped if self.visible.matches(self.visible.term(grouped), cap=20) > typed else None

    def _correction(self, term: str, known: list[str]) -> str | None:
        """The visible word a question word not in the vocabulary stands for, or None to keep it."""
        best = self._likeliest(term, known)
        if term in self.speaker_words and term not in known and (best is None or _sound(best) != _sound(term)):
            return self._speaker_name(term) or best  # "blare" is not "blame", which does not sound like it
        return best

    def _quoted(self, word: str) -> int:
        """Paragraphs (up to 50) quoting someone named, or described, by this word."""
        return self.visible.matches(f"speaker : {self.visible.term(word)}", cap=50)

    def _likeliest(self, term: str, known: list[str]) -> str | None:
        """The likeliest slip's visible word, read from the question's other words, or None."""
        candidates = self.vocab.corrections(term)
        others = [t for t in known if t != term]
        if not candidates:
            return None
        if term in known:
            # The index has it only through its stem ("osie" stems like "OSI"): a typo when that reading
            # never occurs with the question's other words and a one-slip correction ("ossie") does.
            near = [c for c in candidates if c[:1] == term[:1]][:3]
            if not others or not near or self.cooccurrence(term, others, cap=1):
                return None
            if not any(self.cooccurrence(c, others, cap=1) for c in near):
                return None
        tied = self.vocab.tied(term, candidates)
        if len(tied) > 1 and known:
            # "tommy hass": Haas and Hans are one slip away; the one found with "tommy" is meant. Only
            # whether it is found with them counts (up to a few paragraphs): a common word ("free" for
            # "freze") is found with anything, so past that the likelier slip decides.
            order = {c: i for i, c in enumerate(tied)}
            best = max(tied, key=lambda c: (self.cooccurrence(c, known, cap=3), -order[c]))
        else:
            best = candidates[0]
        if len(term) <= SHORT_WORD and term not in known and not (others and self.cooccurrence(best, others, cap=1)):
            return None  # "elon musk" is not "elton must", nor "obama" "osama"
        return best

    def _speaker_name(self, term: str) -> str | None:
        """The X of "what did X say", misspelt by its sound: a word that sounds the same (up to two slips)
        and that the archive quotes as a speaker, the most quoted ("blare" is Blair, "puttin" Putin, where
        the likeliest slips were "blame" and "putting"). None when none is quoted."""
        if len(term) < 4:
            return None
        quoted = {c: self._quoted(c) for c in self.vocab.sounding_like(term, _sound)[:8]}
        best = max(quoted, key=lambda c: quoted[c], default=None)  # the first (fewest slips) of equals
        return best if best is not None and quoted[best] >= _QUOTED_NAME else None

    def cooccurrence(self, word: str, others: list[str], cap: int = 50) -> int:
        """Paragraphs (up to `cap`) holding `word` and any of the question's other words."""
        term = self.visible.term
        return self.visible.matches(f"{term(word)} AND ({' OR '.join(map(term, others))})", cap)


def _without_seams(terms: list[str], known: list[str]) -> list[str]:
    """Chinese is read in pairs of characters, and a pair that no visible article holds is mostly where two
    words of the question meet (黑豹队的防守: 队的, 的防): left out, unless the question has nothing else."""
    pairs = [t for t in terms if unspaced(t)]
    if not any(t in known for t in pairs):
        return terms
    return [t for t in terms if t in known or not unspaced(t)]


_VOWELS_RE = re.compile(r"[aeiouyhw]+")
_REPEATS_RE = re.compile(r"(.)\1+")


def _sound(word: str) -> str:
    """A word's consonants in order, repeats as one: "blare" and "blair" are "blr", "puttin" and
    "putin" "ptn" (where "putting" is "ptng"), "greenspn" and "greenspan" "grnspn"."""
    word = _REPEATS_RE.sub(r"\1", word.lower())
    return word[:1] + _VOWELS_RE.sub("", word[1:])


def respelled(question: str, corrections: dict[str, str]) -> str:
    """The question with its misspelt function words put right, for the pattern that spots "what did X say
    about Y" ("waht did blair siad about iraq", "acording to the minister")."""
    for typed, read in corrections.items():
        if read in STOP_WORDS:
            question = re.sub(rf"(?<!\w){re.escape(typed)}(?!\w)", read, question, flags=re.IGNORECASE)
    return question


def _function_word_typo(term: str) -> str | None:
    """The stop word an unknown question word is one slip from ("acording" -> "according"), if any: two
    letters swapped ("waht"), or another slip in a long word (a small corpus may not know "much", which is
    one letter from "such")."""
    if len(term) < 4 or not term.isalpha():
        return None
    hit = process.extractOne(term, _LONG_STOP_WORDS, scorer=OSA.distance, score_cutoff=1)
    if hit is None or (sorted(hit[0]) != sorted(term) and len(term) < 6):
        return None
    return hit[0]


