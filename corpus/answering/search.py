"""Where a question becomes an answer, in stages a reader can follow:

1. corpus.answering.question   -- read the question: content words, typo corrections against the visible words,
                        and "what did X say about Y".
2. corpus.answering.candidates -- gather candidates: FTS5 bm25 over the words, the paragraphs where X speaks.
3. corpus.answering.rerank     -- score them on what a reader checks, and decide `answered`.
4. corpus.answering.cross_rerank -- an English question read with its best few passages by a cross-encoder,
                        which re-orders them and tells `answered` whether the best one answers.

Everything reads through a `corpus.answering.visible.Visible`: the asker's guild file and the shared file, nothing
else, so another guild's articles can neither answer, nor correct, nor weigh a question.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

from .. import limits
from ..errors import QuestionError
from ..reading.languages import language
from ..reading.speakers import COURTESY_TITLES
from ..reading.text import content_terms, fold, index_tokens, matched_runs, unspaced
from ..storage.store import SHARED_SCOPE
from .answered import passage_answers
from .candidates import Candidate, gather
from .cross_rerank import read_together
from .question import QuestionReader, parse_speaker, respelled
from .rerank import index_stems, score
from .thresholds import unknown_share_refused
from .visible import Visible

# A question whose words in no visible article carry this much of its weight asks about something the
# articles do not hold ("what did obama say about the iphone"); below it, the unknown word is more often
# a paraphrase or a slip ("russia confiscated yukos assets", "q4 net profit").
UNKNOWN_SHARE_REFUSED = 0.4
# "AT&T", "M&S": one name, though the index splits it.
_AMPERSAND_WORD_RE = re.compile(r"[^\W_]+(?:&[^\W_]+)+")


@dataclass
class Passage:
    article_id: int
    title: str
    url: str | None
    paragraph: int
    paragraphs_total: int
    text: str
    score: float
    matched: list[str] = field(default_factory=list)
    speakers: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"article_id": self.article_id, "title": self.title, "url": self.url,
                "paragraph": self.paragraph, "text": self.text, "score": round(self.score, 4),
                "speakers": list(self.speakers)}


@dataclass
class Answer:
    question: str
    answered: bool
    results: list[Passage]
    total: int = 0            # candidates ranked (for "More results")
    corrections: dict = field(default_factory=dict)  # {"kolokolsev": "kolokoltsev"}: typed -> searched for

    def to_dict(self) -> dict:
        return {"question": self.question, "answered": self.answered, "corrections": dict(self.corrections),
                "results": [p.to_dict() for p in self.results]}

    def corrections_note(self, limit: int | None = None) -> str:
        """'read "kolokolsev" as "kolokoltsev"': the typos the search corrected, for the reader to check."""
        pairs = list(self.corrections.items())[:limit]
        return "read " + ", ".join(f'"{typed}" as "{read}"' for typed, read in pairs) if pairs else ""


@dataclass
class Reading:
    """A question as the search reads it, and its scored candidates (benchmarks/fit_weights.py reads these)."""
    terms: list[str]
    corrections: dict[str, str]
    speaker_terms: list[str]
    candidates: list[Candidate]
    unknown: list[str] = field(default_factory=list)  # question words in no visible article
    unknown_share: float = 0.0  # their part of the question's word weight (idf)
    function_words_only: bool = False
    question: str = ""
    term_idf: dict[str, float] = field(default_factory=dict)  # the content words' rarity in the visible files
    paragraphs: int = 0  # in the visible files: how much their rarity says

    def answered(self) -> bool:
        """Whether the best passage answers: the question asks for something the articles hold (not "a",
        not "how many zebras escaped" when no article has a zebra), and the best passage answers it
        (corpus.answering.answered: its coverage, the cross-encoder's reading, the message's own words)."""
        if not self.candidates or self.function_words_only:
            return False
        if self.unknown_share >= unknown_share_refused(self.candidates[0].language, UNKNOWN_SHARE_REFUSED):
            return False
        return passage_answers(self.question, self.term_idf, self.candidates[0], self.paragraphs)


def check_question(question) -> str:
    if not isinstance(question, str) or not question.strip():
        raise QuestionError("empty question: ask something, e.g. \"what did Kolokoltsev say about Interpol\"")
    if len(question) > limits.MAX_QUESTION_CHARS:
        raise QuestionError(f"question too long: {len(question):,} characters (the limit is "
                            f"{limits.MAX_QUESTION_CHARS:,})")
    return question.strip()


def read_and_score(visible: Visible, question: str, article_id: int | None = None) -> Reading:
    """Stages 1-4: read the question, gather candidates, score them, let the cross-encoder read the best
    (best first)."""
    vocab = visible.vocabulary()
    reader = QuestionReader(visible, vocab)
    terms, corrections = reader.terms(question)
    unknown_share = (math.fsum(vocab.idf(t) for t in reader.unknown) / math.fsum(vocab.idf(t) for t in terms)
                     if reader.unknown else 0.0)
    if not terms:
        return Reading([], corrections, [], [], reader.unknown, unknown_share, reader.function_words_only)
    speaker_terms, topic_terms = split_speaker(parse_speaker(respelled(question, corrections)), terms, corrections)
    candidates = gather(visible, terms, speaker_terms, article_id)
    if candidates:
        score(candidates, question, terms, speaker_terms, topic_terms, vocab)
        candidates.sort(key=lambda c: (-c.score, c.article_id, c.position))
        speaker_mode = bool(speaker_terms) and any(c.features.get("speaker_article", 0) > 0 for c in candidates)
        read_together(visible.cross_encoder, question, candidates, speaker_mode)
    return Reading(terms, corrections, speaker_terms, candidates, reader.unknown, unknown_share,
                   reader.function_words_only, question, {t: vocab.idf(t) for t in terms}, vocab.total)


def answer(visible: Visible, question: str, *, limit: int = 5, offset: int = 0,
           article_id: int | None = None) -> Answer:
    question = check_question(question)
    limit = max(1, min(int(limit), limits.MAX_RESULTS))
    offset = max(0, int(offset))
    reading = read_and_score(visible, question, article_id)
    candidates = reading.candidates
    if not candidates:
        return Answer(question, False, [], 0, reading.corrections)
    answered = reading.answered()
    candidates = one_copy_each(candidates, visible)
    stems: dict[str, set[str]] = {}  # the question's stems in each passage's language
    for lang in {c.language for c in candidates[offset: offset + limit]}:
        stems[lang] = {x for t in reading.terms for x in index_stems(t, lang)}
    results = [Passage(c.article_id, c.title, c.url, c.position, c.total, c.text, c.score,
                       _matched_words(c.text, stems[c.language], c.language), [s["name"] for s in c.speakers])
               for c in candidates[offset: offset + limit]]
    return Answer(question, answered, results, len(candidates), reading.corrections)


def one_copy_each(candidates: list[Candidate], visible: Visible) -> list[Candidate]:
    """Each passage once: a guild's article later added to the shared scope too is in both files. The copy
    shown is the guild's own, at the better-ranked place of the two."""
    own = visible.parts[0].store if visible.parts and visible.parts[0].store.scope != SHARED_SCOPE else None
    kept: dict[str, int] = {}
    out: list[Candidate] = []
    for c in candidates:
        i = kept.get(c.text)
        if i is None:
            kept[c.text] = len(out)
            out.append(c)
        elif own is not None and own.owns(c.article_id) and not own.owns(out[i].article_id):
            out[i] = c
    return out


def split_speaker(speaker, terms, corrections) -> tuple[list[str], list[str]]:
    """The question's words that name the person asked about, and the rest (the topic)."""
    if not speaker:
        return [], terms
    x, _ = speaker
    x_terms = {corrections.get(t, t) for t in content_terms(x)}
    named = [t for t in terms if t in x_terms]
    # "lord hattersley" is stored as Hattersley: a courtesy title is not part of the name to match.
    named = [t for t in named if t not in COURTESY_TITLES] or named
    return named, [t for t in terms if t not in x_terms]


def context(visible: Visible, article_id: int, paragraph: int, radius: int = 1) -> list[Passage]:
    """The paragraphs around one, for "Show context"."""
    part = visible.part_of(article_id)
    if part is None:
        return []
    info = part.conn.execute("SELECT title, url, paragraph_count FROM articles WHERE id = ?", (article_id,)).fetchone()
    if info is None:
        return []
    title, url, total = info
    rows = part.conn.execute(
        "SELECT position, text, speakers FROM paragraphs WHERE article_id = ? AND position BETWEEN ? AND ? "
        "ORDER BY position", (article_id, paragraph - radius, paragraph + radius)).fetchall()
    return [Passage(article_id, title, url, pos, total, text, 0.0, [],
                    [s["name"] for s in json.loads(sp or "[]")]) for pos, text, sp in rows]


def _matched_words(text: str, stems: set[str], lang: str = "en") -> list[str]:
    """Words of `text` as written whose stems the question has: what the bot puts in bold."""
    # Each distinct word is stemmed once: a paragraph repeats its words, and this runs for every result.
    written = dict.fromkeys(index_tokens(text))
    joined = ([w for w in dict.fromkeys(_AMPERSAND_WORD_RE.findall(text)) if w.lower() in stems]  # "AT&T"
              if any("&" in s for s in stems) else [])
    rules = language(lang)
    runs = [r for w in written if unspaced(w) for r in matched_runs(w, stems)]  # Chinese: the covered stretches
    return joined + runs + [w for w in written if rules.stem(fold(w.lower())) in stems]
