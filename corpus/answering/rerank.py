"""Scoring candidates on what a reader checks: does one sentence hold the question's rare words, does the
paragraph's speaker match "what did X say", how close the wording is; and how much of the question the
best passage covers, which decides `answered`.

The weights are fitted on development questions (news and SQuAD) with benchmarks/fit_weights.py.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from ..reading.languages import language
from ..reading.text import fold, index_words, sentences, words
from .candidates import Candidate
from .thresholds import coverage_needed
from .vocabulary import VisibleVocabulary

# Rerank weights over the features of `score`, fitted on development questions (news and
# SQuAD) with benchmarks/fit_weights.py. Speaker questions ("what did X say about Y") have their own.
WEIGHTS = {
    "bm25": 0.633, "coverage": 0.04, "sentence": 0.213, "title": 0.134, "fuzzy": 0.069, "context": 0.403,
    "article": 0.0, "number": 0.2, "pairs": 0.006, "lead": 0.119, "quote": 0.02, "rarest": 0.1,
}
SPEAKER_WEIGHTS = {
    "bm25": 0.511, "coverage": -0.333, "sentence": 0.345, "title": 0.221, "fuzzy": 0.297, "context": 0.932,
    "article": 0.724, "number": -0.139, "pairs": -0.281, "lead": -0.254, "quote": 0.632, "rarest": 0.1,
    "speaker": 0.384, "topic": 0.856, "topic_sentence": -0.156, "speaker_near": 0.1, "speaker_article": 0.1,
}
# With vectors (the question's and the candidates'), the same features plus the cosine to the question and
# how far below the nearest candidate by meaning, refitted together (benchmarks/fit_weights.py on a news
# database with vectors and SQuAD). Without vectors the weights above apply unchanged: words only
# (ARTICLEBOT_SEMANTIC=0) ranks exactly as before vectors existed.
MEANING_WEIGHTS = {
    "cosine": 1.87, "cosine_gap": -1.244, "bm25": -0.001, "coverage": -0.019, "sentence": 0.084, "title": 0.092,
    "fuzzy": 0.117, "context": 0.434, "article": 0.0, "number": 0.051, "pairs": -0.005, "lead": 0.111,
    "quote": 0.021, "rarest": 0.0,
}
MEANING_SPEAKER_WEIGHTS = {
    "cosine": 0.324, "cosine_gap": -0.324, "bm25": 0.686, "coverage": -0.527, "sentence": 0.238, "title": 0.122,
    "fuzzy": 0.21, "context": 0.944, "article": 0.474, "number": -0.139, "pairs": -0.302, "lead": -0.335,
    "quote": 0.533, "rarest": 0.125, "speaker": 0.522, "topic": 0.785, "topic_sentence": -0.149,
    "speaker_near": 0.0, "speaker_article": -0.111,
}
# `answered`: the best passage's coverage of the question (see Searcher._coverage) against a threshold
# chosen so that at most ~5% of answerable development questions are refused.
ANSWER_MODEL = {"sentence": 0.17, "context": 0.67, "rarest": 0.16}
ANSWERED_THRESHOLD = 0.41
# With vectors: a passage also answers when it means what the question asks (e5 cosines crowd between 0.7
# and 0.95) and shares a little of its wording. From fit_answered_with_meaning's list (at most 5% of the
# answerable news and SQuAD questions refused), the rule with the lowest coverage threshold among those
# within 0.035 of the most unanswerable refused: a guild of a few articles has less wording to match.
MEANING_ANSWERED = {"coverage": 0.42, "cosine": 0.86, "cosine_coverage": 0.1}


def answers(best: Candidate) -> bool:
    """Whether the best candidate answers the question, by its coverage (and its meaning, with vectors)."""
    f = best.features
    if "cosine" not in f or best.cosine is None:  # by its words: a paragraph still waiting for its vector too
        return best.coverage >= coverage_needed(best.language, ANSWERED_THRESHOLD)
    m = MEANING_ANSWERED
    return (best.coverage >= coverage_needed(best.language, m["coverage"], by_meaning=True)
            or (f["cosine"] >= m["cosine"] and best.coverage >= m["cosine_coverage"]))

# "he said", "she later told MPs", "said he": speech whose speaker may be named in the paragraph before.
# Looser than corpus.reading.speakers' attribution patterns (any one word may stand between pronoun and verb):
# it only confirms a speaker the question names, it never picks one.
_PRONOUN_SAID = re.compile(r"\b(?:he|she)\s+(?:\w+\s+)?(?:said|says|told|tells|added|adds|explained|admitted|insisted|argued|"
                           r"warned|believes|thinks|believed|thought)\b|\b(?:said|says|added)\s+(?:he|she)\b", re.IGNORECASE)
# "how many", "how much", "when", "what year": the answer holds a figure.
_NUMBER_QUESTION = re.compile(r"\b(?:how (?:many|much|long|old|far|big|often)|when|what (?:year|time|date|age|price)"
                              r"|which year|what percentage|how fast)\b", re.IGNORECASE)

def score(candidates: list[Candidate], question: str, terms: list[str], speaker_terms: list[str],
          topic_terms: list[str], vocab: VisibleVocabulary) -> None:
    """Set each candidate's features, score and coverage."""
    # The question is stemmed as each candidate's language stems it (its stored stems are in that language).
    views = {lang: _question_stems(lang, terms, speaker_terms, topic_terms, vocab)
             for lang in {c.language for c in candidates}}
    top_bm25 = max(c.bm25 for c in candidates) or 1.0
    wants_number = bool(_NUMBER_QUESTION.search(question))
    article_bm25: dict[int, float] = {}
    for c in candidates:  # an article that matches in many places is about the question
        article_bm25[c.article_id] = article_bm25.get(c.article_id, 0.0) + c.bm25
    top_article = max(article_bm25.values()) or 1.0
    for c in candidates:
        (weights, topic, total, topic_total, content, query_pairs, rarest, numbers, speaker_stems, surname,
         query, literals) = views[c.language]
        # Work on the question's stems found in each sentence (tiny sets), not on whole paragraphs.
        sent_lists = [seg.split() for seg in c.stems.split("|")]
        sent_hits = [query.intersection(x) for x in sent_lists]
        if literals:  # "at&t" is not among the stored stems ("at" and "t" are stop words): read the text
            texts = [x.lower() for x in sentences(c.text) or [c.text]]
            sent_hits = [h | {k for k in literals if k in t} for h, t in zip(sent_hits, texts)] + sent_hits[len(texts):]
        para_hits = set().union(*sent_hits)
        best_sentence, best_i, best_topic = 0.0, 0, 0.0
        for i in range(len(sent_hits)):
            window = sent_hits[i] | sent_hits[i + 1] if i + 1 < len(sent_hits) else sent_hits[i]
            # math.fsum over sets, here and below: a plain sum follows the set's order, which changes
            # from one process to the next, and two equal windows would swap on a rounding difference.
            cov = math.fsum(weights[s] for s in window) / total
            if cov > best_sentence:
                best_sentence, best_i = cov, i
            if topic_total:
                best_topic = max(best_topic, math.fsum(topic.get(s, 0.0) for s in window) / topic_total)
        best_window = [t for x in sent_lists[best_i: best_i + 2] for t in x]
        title_hits = (query & title_stems(c.title, c.language)) | {k for k in literals if k in c.title.lower()}
        # The lead names the subject, the next paragraph answers with "the firm" or "the runner".
        prev_words = set(c.prev_stems.replace("|", " ").split())
        around = para_hits | title_hits | (query & prev_words)
        f = {
            "context": math.fsum(weights[s] for s in around) / total,
            "rarest": float(rarest in around),
            "figures": (len(numbers & around) / len(numbers)) if numbers else 1.0,
            "article": article_bm25[c.article_id] / top_article,
            "number": float(wants_number and any(t[:1].isdigit() and t not in query for t in best_window)),
            "pairs": (sum(1 for x, h in zip(sent_lists, sent_hits) if len(h) > 1
                          for p in zip(x, x[1:]) if p in query_pairs) / len(query_pairs)
                      if query_pairs else 0.0),
            "lead": 1.0 / c.position,
            "quote": float('"' in c.text or "“" in c.text),
            "bm25": c.bm25 / top_bm25,
            "coverage": math.fsum(weights[s] for s in para_hits) / total,
            "sentence": best_sentence,
            "title": math.fsum(weights[s] for s in title_hits) / total,
            "fuzzy": fuzz.token_set_ratio(content, " ".join(best_window)) / 100,
        }
        if speaker_terms:
            # The person asked about speaks here, or "he said ..." follows a paragraph that names them.
            f["speaker"] = speaker_match(speaker_terms, c.speakers)
            if f["speaker"] < 1.0 and _PRONOUN_SAID.search(c.text):
                if speaker_stems <= prev_words or (len(speaker_stems) <= 2 and surname in prev_words):
                    f["speaker"] = 1.0
            f["topic"] = (math.fsum(topic.get(s, 0.0) for s in para_hits) / topic_total) if topic_total else f["speaker"]
            f["topic_sentence"] = best_topic if topic_total else f["speaker"]
            f["topic_context"] = (math.fsum(topic.get(s, 0.0) for s in around) / topic_total) if topic_total else f["speaker"]
            f["speaker_near"] = max(f["speaker"], float(speaker_stems <= around))
        c.features = f
    _add_meaning(candidates)
    speaker_mode = bool(speaker_terms)
    if speaker_terms:  # is the person asked about in this article at all?
        in_article: dict[int, float] = {}
        for c in candidates:
            in_article[c.article_id] = max(in_article.get(c.article_id, 0.0), c.features["speaker_near"])
        for c in candidates:
            c.features["speaker_article"] = in_article[c.article_id]
        # "According to the humoral theory, ..." has the shape but no person: rank it as a plain question.
        speaker_mode = max(in_article.values()) > 0
    by_meaning = any("cosine" in c.features for c in candidates)
    if by_meaning:
        model = MEANING_SPEAKER_WEIGHTS if speaker_mode else MEANING_WEIGHTS
    else:
        model = SPEAKER_WEIGHTS if speaker_mode else WEIGHTS
    for c in candidates:
        c.score = sum(model.get(k, 0.0) * v for k, v in c.features.items())
        c.coverage = coverage(c.features, speaker_mode)


def _add_meaning(candidates: list[Candidate]) -> None:
    """The cosine of each candidate to the question, when the question has a vector. A paragraph still
    waiting for its vector gets the median of the others: ranked on its words, neither helped nor hurt."""
    known = sorted(c.cosine for c in candidates if c.cosine is not None)
    if not known:
        return
    median = known[len(known) // 2]
    best = known[-1]
    for c in candidates:
        cosine = median if c.cosine is None else c.cosine
        c.features["cosine"] = cosine
        c.features["cosine_gap"] = best - cosine  # how far below the nearest candidate by meaning


class _QuestionStems(NamedTuple):
    """The question's words as one language's stored stems have them, weighted by rarity."""
    weights: dict
    topic: dict
    total: float
    topic_total: float
    content: str
    query_pairs: set
    rarest: str
    numbers: set
    speaker_stems: set
    surname: str
    query: set
    literals: set


def _question_stems(lang: str, terms: list[str], speaker_terms: list[str], topic_terms: list[str],
                    vocab: VisibleVocabulary) -> _QuestionStems:
    weights = {x: vocab.idf(t) for t in terms for x in index_stems(t, lang)}
    topic = {x: vocab.idf(t) for t in topic_terms for x in index_stems(t, lang)}
    ordered = [x for t in terms for x in index_stems(t, lang)]
    return _QuestionStems(
        weights, topic, sum(weights.values()) or 1.0, sum(topic.values()), " ".join(weights),
        set(zip(ordered, ordered[1:])),  # "net profit", "box office": adjacent in the question
        max(weights, key=weights.get),  # the most specific word: an answer must have it nearby
        {s for s in weights if s[:1].isdigit()},  # "the 2014 world cup": a year must match
        {x for t in speaker_terms for x in index_stems(t, lang)},
        index_stems(speaker_terms[-1], lang)[-1] if speaker_terms else "",  # "Jaap Stam" is "Stam" the next time
        set(weights), {k for k in weights if "&" in k})


def coverage(f: dict, speaker: bool) -> float:
    """How much of the question a passage answers, 0..1; `answered` compares it with a threshold.

    For "what did X say about Y": X must speak in (or be named in) the article and Y be in the
    passage, its lead or the title ("what did Haas say after losing in San Jose": the title says
    San Jose). Otherwise: the question's rare words in one place, the rarest of them included.
    """
    if speaker:
        return min(f["speaker_article"], f["topic_context"])
    return (ANSWER_MODEL["sentence"] * f["sentence"] + ANSWER_MODEL["context"] * f["context"]
            + ANSWER_MODEL["rarest"] * f["rarest"]) * (0.5 + 0.5 * f["figures"])


@lru_cache(maxsize=4096)
def title_stems(title: str, lang: str = "en") -> frozenset:
    rules = language(lang)
    return frozenset(rules.stem(t) for t in index_words(title))


def index_stems(term: str, lang: str = "en") -> list[str]:
    """A question word as the stored sentence stems of an article in `lang` have it: "o'gara" is "o"
    "gara", "sainsbury's" is "sainsburi", "3,000m" is "3" "000m", "Zürich" is "zurich"."""
    if "&" in term:
        return [term]  # "at&t", "m&s": their halves are stop words and letters; matched on the text itself
    rules = language(lang)
    parts = [rules.stem(x) for x in index_words(term)
             if (len(x) > 1 or x.isdigit()) and x not in rules.stop_words]
    return parts or [rules.stem(fold(term.lower()))]


def speaker_match(speaker_terms: list[str], speakers: list[dict]) -> float:
    """1.0 when a paragraph's speaker is the person asked about, 0.7 for a role ("the chancellor").

    Every word of the asked name must fit one speaker (a surname alone or a typo will do), so
    "Mark Zuckerberg" does not match some other Mark. Words the article did not attach to the person
    ("balco boss victor conte") are let pass at 0.7 when two words, the surname among them, fit the name.
    """
    best = 0.0
    for s in speakers:
        name_tokens = [t.lower() for t in words(s["name"])]
        role_tokens = set(s.get("role", "").split())
        term_scores = []
        for term in speaker_terms:
            if any(term == token or fuzz.ratio(term, token) >= 85 or _one_slip(term, token) for token in name_tokens):
                term_scores.append(1.0)
            elif term in role_tokens or term.rstrip("s") in role_tokens:
                term_scores.append(0.7)
            else:
                term_scores.append(0.0)
        if not term_scores:
            continue
        best = max(best, min(term_scores))
        if term_scores.count(1.0) >= 2 and term_scores[-1] == 1.0:
            best = max(best, 0.7)
    return best


def _one_slip(typed: str, name: str) -> bool:
    """"levi" for Levy: one edit in a name of four letters or more, the first letter right (the similarity
    ratio alone wants 85%, which a short name with one wrong letter does not reach)."""
    return len(typed) >= 4 and typed[:1] == name[:1] and OSA.distance(typed, name) <= 1


