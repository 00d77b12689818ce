"""Where a question becomes an answer: parse, correct typos, fetch candidates with FTS5 bm25, rerank.

1. The question's content words (stop words dropped), each corrected against the corpus vocabulary
   with rapidfuzz when the corpus does not know it ("interpoll" -> "interpol").
2. Candidates: FTS5 bm25 over the words OR-ed, each word quoted (user text never reaches MATCH raw),
   restricted to the visible scopes inside the MATCH itself so other guilds' rows are never scored.
3. Rerank the candidates on what a reader checks: does one sentence hold the question's rare words,
   does the paragraph's speaker match "what did X say", how close the wording is (rapidfuzz).
4. `answered` is false when even the best passage covers too little of the question.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from . import limits
from .errors import QuestionError
from .speakers import COURTESY_TITLES
from .text import INDEX_TOKEN_RE, STOP_WORDS, content_terms, sentences, stem, words

CANDIDATES = 20  # bm25 candidates per query; the same top-1 as 40 on both benchmarks at 0.6x the time
NEXT_PARAGRAPHS = 5  # the paragraph after each of the best 5 matches is ranked too
VOCAB_REFRESH_SECONDS = 5.0

# Rerank weights over the features of `Searcher._rerank`, fitted on development questions (news and
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
# `answered`: the best passage's coverage of the question (see Searcher._coverage) against a threshold
# chosen so that at most ~5% of answerable development questions are refused.
ANSWER_MODEL = {"sentence": 0.17, "context": 0.67, "rarest": 0.16}
ANSWERED_THRESHOLD = 0.41

# "he said", "she later told MPs", "said he": speech whose speaker may be named in the paragraph before.
# Looser than corpus.speakers' attribution patterns (any one word may stand between pronoun and verb):
# it only confirms a speaker the question names, it never picks one.
_PRONOUN_SAID = re.compile(r"\b(?:he|she)\s+(?:\w+\s+)?(?:said|says|told|tells|added|adds|explained|admitted|insisted|argued|"
                           r"warned|believes|thinks|believed|thought)\b|\b(?:said|says|added)\s+(?:he|she)\b", re.IGNORECASE)
# "borrusia" and "borussia" are one word once every doubled letter is single.
_UNDOUBLE_RE = re.compile(r"(.)\1+")
# "3000m", "25000": a figure of four or more digits typed without the thousands commas news copy uses.
_UNGROUPED_FIGURE = re.compile(r"^([1-9]\d{3,})([a-z]*)$")
# "AT&T", "M&S": one name, though the index splits it.
_AMPERSAND_WORD_RE = re.compile(r"[^\W_]+(?:&[^\W_]+)+")
# "how many", "how much", "when", "what year": the answer holds a figure.
_NUMBER_QUESTION = re.compile(r"\b(?:how (?:many|much|long|old|far|big|often)|when|what (?:year|time|date|age|price)"
                              r"|which year|what percentage|how fast)\b", re.IGNORECASE)


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
                "paragraph": self.paragraph, "text": self.text, "score": round(self.score, 4)}


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


def parse_speaker(question: str) -> tuple[str, str] | None:
    q = question.strip().rstrip("?!. ")
    for pattern in _SPEAKER_PATTERNS:
        m = pattern.match(q)
        if m:
            x = re.sub(r"^(?:the|a|an)\s+", "", m.group("x").strip(), flags=re.IGNORECASE)
            if x and len(x.split()) <= 6 and x.lower() not in {"it", "they", "this", "that", "people", "you", "i", "we"}:
                return x, m.group("y").strip()
    return None


class Vocabulary:
    """The corpus's words with paragraph frequencies, for typo correction and word weights."""

    def __init__(self) -> None:
        self.df: dict[str, int] = {}
        self.by_length: dict[int, list[str]] = {}
        self.total = 1
        self.generation = -1
        self.loaded_at = 0.0

    def load(self, conn, generation: int) -> None:
        df = dict(conn.execute("SELECT word, df FROM words WHERE df > 0"))
        by_length: dict[int, list[str]] = {}
        for word in df:
            by_length.setdefault(len(word), []).append(word)
        total = conn.execute("SELECT count(*) FROM paragraphs").fetchone()[0]
        self.df, self.by_length, self.total = df, by_length, max(total, 1)
        self.generation, self.loaded_at = generation, time.monotonic()

    def idf(self, word: str) -> float:
        n = self.df.get(word, 0)
        return math.log(1 + (self.total - n + 0.5) / (n + 0.5))

    def corrections(self, word: str) -> list[str]:
        """Corpus words close to an unknown `word`, best first; the first few may be equally close."""
        if len(word) < 3 or word.isdigit():
            return []
        pool: list[str] = []
        for length in range(len(word) - 2, len(word) + 3):
            pool.extend(self.by_length.get(length, ()))
        if len(word) < 4:  # too short for a slip to be told from another word, but for a missed double letter
            return [w for w in self._doubled(word, pool) if len(w) > len(word)]
        # Chat typos are one slip a word: one edit ("englnd", "kolokolsev"; "subprime" is not
        # "surprise"), two in long words ("distrubution"), three in very long ones.
        max_edits = 1 if len(word) <= 10 else 2 if len(word) <= 14 else 3
        hits = process.extract(word, pool, scorer=OSA.distance, score_cutoff=max_edits, limit=12)
        hits = [h for h in hits if h[0] not in STOP_WORDS]  # "hass" is Haas, never "has"
        # Fewest edits; then the same first letter (slips are rarely there: "hass" is "haas", not
        # "ass"); then two letters swapped, the commonest slip ("wieght" is "weight", not "wight"); then the
        # closest shape ("frye" is "fry" rather than "free"); then the commoner.
        hits.sort(key=lambda h: (h[1], h[0][:1] != word[:1], sorted(h[0]) != sorted(word),
                                 -fuzz.ratio(word, h[0]), -self.df.get(h[0], 0)))
        return [h[0] for h in hits] or self._doubled(word, pool)

    def _doubled(self, word: str, pool: list[str]) -> list[str]:
        """Words that differ from `word` only in doubled letters: "debra hil" is Hill, "borrusia" Borussia
        (two edits, but one slip of the typing hand)."""
        single = _UNDOUBLE_RE.sub(r"\1", word)
        found = [w for w in pool if w != word and w not in STOP_WORDS and w[:1] == word[:1]
                 and _UNDOUBLE_RE.sub(r"\1", w) == single]
        return sorted(found, key=lambda w: -self.df.get(w, 0))

    def tied(self, word: str, candidates: list[str]) -> list[str]:
        """The candidates as close to `word` as the first one: only the question's context can choose."""
        def key(c: str) -> tuple:
            return OSA.distance(word, c), c[:1] != word[:1]
        return [c for c in candidates if key(c) == key(candidates[0])]


@dataclass
class _Candidate:
    pid: int
    article_id: int
    position: int
    text: str
    title: str
    url: str | None
    total: int
    speakers: list[dict]
    bm25: float
    stems: str = ""
    prev_stems: str = ""
    score: float = 0.0
    features: dict = field(default_factory=dict)
    coverage: float = 0.0


class Searcher:
    def __init__(self, corpus) -> None:
        self.corpus = corpus
        self.vocab = Vocabulary()
        self._vocab_lock = threading.Lock()

    # -- vocabulary ---------------------------------------------------------------------------------
    def _vocabulary(self) -> Vocabulary:
        generation = self.corpus.generation()
        v = self.vocab
        stale = v.generation != generation
        if stale and (v.generation < 0 or time.monotonic() - v.loaded_at > VOCAB_REFRESH_SECONDS
                      or v.total < 5000):
            with self._vocab_lock:
                if self.vocab.generation != generation:
                    fresh = Vocabulary()
                    fresh.load(self.corpus.conn, generation)
                    self.vocab = fresh
        return self.vocab

    def _known_stem(self, word: str) -> bool:
        """Does the index hold this word (as the index's own tokenizer stems it)? A MATCH that stops at
        the first row is O(1) in corpus size; fts5vocab 'row' counted every row holding the term first."""
        return self._matches(_quoted(word), cap=1) > 0

    def _terms(self, question: str, vocab: Vocabulary) -> tuple[list[str], dict[str, str]]:
        terms = content_terms(question)
        if not terms:  # "who is he?" -- nothing but stop words: use what there is
            terms = [w.lower() for w in words(question)][:12]
        corrections: dict[str, str] = {}
        out: list[str] = []
        terms = terms[:32]
        known = [t for t in terms if t in vocab.df or self._known_stem(t)]
        for term in terms:
            read = self._reading(term, known, vocab)
            if read:
                corrections[term] = read
                if read in STOP_WORDS:  # "acording to": a word the search leaves out anyway
                    continue
            out.append(read or term)
        return list(dict.fromkeys(out)), corrections

    def _reading(self, term: str, known: list[str], vocab: Vocabulary) -> str | None:
        """What a question word is read as when not as typed: a figure as the articles write it, a typo's
        corpus word, or the function word it is a slip of ("acording", "waht", "thier")."""
        if "&" in term:
            return None  # "at&t" is a name the index holds as "at" "t": never a typo
        if term in vocab.df:
            return self._grouped_figure(term, vocab)
        function_word = None if term in known else _function_word_typo(term)
        if function_word and sorted(function_word) == sorted(term):
            return function_word  # "waht" is two letters swapped in "what", only one added in "want"
        return self._grouped_figure(term, vocab) or self._correction(term, known, vocab) or function_word

    def _grouped_figure(self, term: str, vocab: Vocabulary) -> str | None:
        """"3000m" as the articles write it, "3,000m" (which the index holds as "3" "000m"), when they do
        so more often; "2005" stays a year."""
        match = _UNGROUPED_FIGURE.match(term)
        if not match:
            return None
        typed = vocab.df.get(term, 0)
        if typed >= 20:  # a common year or figure: no need to look further
            return None
        digits, unit = match.groups()
        grouped = f"{int(digits):,}{unit}"
        return grouped if self._matches(_quoted(grouped), cap=20) > typed else None

    def _correction(self, term: str, known: list[str], vocab: Vocabulary) -> str | None:
        """The corpus word a question word not in the vocabulary stands for, or None to keep it."""
        candidates = vocab.corrections(term)
        others = [t for t in known if t != term]
        if not candidates:
            return None
        if term in known:
            # The corpus has it only through its stem ("osie" stems like "OSI"): a typo when that reading
            # never occurs with the question's other words and a one-slip correction ("ossie") does.
            near = [c for c in candidates if c[:1] == term[:1]][:3]
            if not others or not near or self._cooccurrence(term, others, cap=1):
                return None
            if not any(self._cooccurrence(c, others, cap=1) for c in near):
                return None
        tied = vocab.tied(term, candidates)
        if len(tied) > 1 and known:
            # "tommy hass": Haas and Hans are one slip away; the one found with "tommy" is meant. Only
            # whether it is found with them counts (up to a few paragraphs): a common word ("free" for
            # "freze") is found with anything, so past that the likelier slip decides.
            order = {c: i for i, c in enumerate(tied)}
            return max(tied, key=lambda c: (self._cooccurrence(c, known, cap=3), -order[c]))
        return candidates[0]

    def _cooccurrence(self, word: str, others: list[str], cap: int = 50) -> int:
        """Paragraphs (up to `cap`) holding `word` and any of the question's other words."""
        return self._matches(f"{_quoted(word)} AND ({' OR '.join(map(_quoted, others))})", cap)

    def _matches(self, match: str, cap: int) -> int:
        """Paragraphs (up to `cap`) an FTS5 query finds: it stops at `cap`, so it costs the same in any corpus."""
        return self.corpus.conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM paragraphs_fts WHERE paragraphs_fts MATCH ? LIMIT ?)",
            (match, cap)).fetchone()[0]

    # -- asking -------------------------------------------------------------------------------------
    def ask(self, question: str, *, guild_id=None, limit: int = 5, offset: int = 0,
            article_id: int | None = None) -> Answer:
        from .store import scope_of

        if not isinstance(question, str) or not question.strip():
            raise QuestionError("empty question: ask something, e.g. \"what did Kolokoltsev say about Interpol\"")
        if len(question) > limits.MAX_QUESTION_CHARS:
            raise QuestionError(f"question too long: {len(question):,} characters (the limit is "
                                f"{limits.MAX_QUESTION_CHARS:,})")
        limit = max(1, min(int(limit), limits.MAX_RESULTS))
        offset = max(0, int(offset))
        question = question.strip()
        scope = scope_of(guild_id)
        vocab = self._vocabulary()
        terms, corrections = self._terms(question, vocab)
        if not terms:
            return Answer(question, False, [], 0, corrections)
        speaker_terms, topic_terms = self._split_speaker(parse_speaker(respelled(question, corrections)), terms, corrections)
        candidates = self._candidates(terms, scope, article_id, speaker_terms)
        if not candidates:
            return Answer(question, False, [], 0, corrections)
        self._rerank(candidates, question, terms, speaker_terms, topic_terms, vocab)
        candidates.sort(key=lambda c: c.score, reverse=True)
        answered = candidates[0].coverage >= ANSWERED_THRESHOLD
        page = candidates[offset: offset + limit]
        stems = {x for t in terms for x in _index_stems(t)}
        results = [Passage(c.article_id, c.title, c.url, c.position, c.total, c.text, c.score,
                           _matched_words(c.text, stems), [s["name"] for s in c.speakers]) for c in page]
        return Answer(question, answered, results, len(candidates), corrections)

    @staticmethod
    def _split_speaker(speaker, terms, corrections) -> tuple[list[str], list[str]]:
        if not speaker:
            return [], terms
        x, _ = speaker
        x_terms = {corrections.get(t, t) for t in content_terms(x)}
        named = [t for t in terms if t in x_terms]
        # "lord hattersley" is stored as Hattersley: a courtesy title is not part of the name to match.
        named = [t for t in named if t not in COURTESY_TITLES] or named
        return named, [t for t in terms if t not in x_terms]

    def _candidates(self, terms: list[str], scope: str, article_id: int | None,
                    speaker_terms: list[str]) -> list[_Candidate]:
        from .store import SHARED_SCOPE

        scopes = [SHARED_SCOPE] if scope == SHARED_SCOPE else [scope, SHARED_SCOPE]
        scope_query = "scope : (" + " OR ".join(f'"{s}"' for s in scopes) + ")"
        queries = [f"{scope_query} AND ({' OR '.join(map(_quoted, terms))})"]
        if speaker_terms:
            # Paragraphs where the person speaks but is only "he" or "the minister": found by who speaks.
            queries.append(f"{scope_query} AND speaker : ({' OR '.join(map(_quoted, speaker_terms))})")
        conn = self.corpus.conn
        ranked: dict[int, float] = {}
        for match in queries:
            sql = ("SELECT f.rowid, bm25(paragraphs_fts, 1.0, 0.4, 1.2, 0.0) AS rank FROM paragraphs_fts f "
                   "WHERE paragraphs_fts MATCH ?")
            params: list = [match]
            if article_id is not None:
                sql += " AND f.rowid IN (SELECT id FROM paragraphs WHERE article_id = ?)"
                params.append(article_id)
            sql += " ORDER BY rank LIMIT ?"
            params.append(CANDIDATES)
            for pid, rank in conn.execute(sql, params):
                ranked.setdefault(pid, rank)
        if not ranked:
            return []
        # The lead names the subject, the next paragraph holds the detail ("S Korea ..." then "rates at an
        # all-time low"): the paragraph after each of the best matches is a candidate too.
        # Its bm25 is not known without another full query: it counts as none, its context carries it.
        best = sorted(ranked, key=ranked.get)[:NEXT_PARAGRAPHS]
        for (pid,) in conn.execute(
                f"SELECT n.id FROM paragraphs p JOIN paragraphs n ON n.article_id = p.article_id "
                f"AND n.position = p.position + 1 WHERE p.id IN ({','.join('?' * len(best))})", best):
            ranked.setdefault(pid, 0.0)
        ids = list(ranked)
        rows = conn.execute(
            f"SELECT p.id, p.article_id, p.position, p.text, p.speakers, a.title, a.url, a.paragraph_count, p.stems, "
            f"coalesce(prev.stems, '') FROM paragraphs p JOIN articles a ON a.id = p.article_id "
            f"LEFT JOIN paragraphs prev ON prev.article_id = p.article_id AND prev.position = p.position - 1 "
            f"WHERE p.id IN ({','.join('?' * len(ids))})",
            ids).fetchall()
        return [_Candidate(r[0], r[1], r[2], r[3], r[5], r[6], r[7], json.loads(r[4] or "[]"), -ranked[r[0]], r[8], r[9])
                for r in rows]

    def _rerank(self, candidates, question, terms, speaker_terms, topic_terms, vocab) -> None:
        weights = {x: vocab.idf(t) for t in terms for x in _index_stems(t)}
        topic = {x: vocab.idf(t) for t in topic_terms for x in _index_stems(t)}
        total = sum(weights.values()) or 1.0
        topic_total = sum(topic.values())
        top_bm25 = max(c.bm25 for c in candidates) or 1.0
        content = " ".join(weights)
        wants_number = bool(_NUMBER_QUESTION.search(question))
        ordered = [x for t in terms for x in _index_stems(t)]
        query_pairs = set(zip(ordered, ordered[1:]))  # "net profit", "box office": adjacent in the question
        rarest = max(weights, key=weights.get)  # the most specific word: an answer must have it nearby
        numbers = {s for s in weights if s[:1].isdigit()}  # "the 2014 world cup": a year must match
        speaker_stems = {x for t in speaker_terms for x in _index_stems(t)}
        surname = _index_stems(speaker_terms[-1])[-1] if speaker_terms else ""  # "Jaap Stam" is "Stam" the next time
        article_bm25: dict[int, float] = {}
        for c in candidates:  # an article that matches in many places is about the question
            article_bm25[c.article_id] = article_bm25.get(c.article_id, 0.0) + c.bm25
        top_article = max(article_bm25.values()) or 1.0
        query = set(weights)
        literals = {k for k in weights if "&" in k}
        for c in candidates:
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
            title_hits = (query & self._title_stems(c.title)) | {k for k in literals if k in c.title.lower()}
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
                f["speaker"] = _speaker_match(speaker_terms, c.speakers)
                if f["speaker"] < 1.0 and _PRONOUN_SAID.search(c.text):
                    if speaker_stems <= prev_words or (len(speaker_stems) <= 2 and surname in prev_words):
                        f["speaker"] = 1.0
                f["topic"] = (math.fsum(topic.get(s, 0.0) for s in para_hits) / topic_total) if topic_total else f["speaker"]
                f["topic_sentence"] = best_topic if topic_total else f["speaker"]
                f["topic_context"] = (math.fsum(topic.get(s, 0.0) for s in around) / topic_total) if topic_total else f["speaker"]
                f["speaker_near"] = max(f["speaker"], float(speaker_stems <= around))
            c.features = f
        speaker_mode = bool(speaker_terms)
        if speaker_terms:  # is the person asked about in this article at all?
            in_article: dict[int, float] = {}
            for c in candidates:
                in_article[c.article_id] = max(in_article.get(c.article_id, 0.0), c.features["speaker_near"])
            for c in candidates:
                c.features["speaker_article"] = in_article[c.article_id]
            # "According to the humoral theory, ..." has the shape but no person: rank it as a plain question.
            speaker_mode = max(in_article.values()) > 0
        model = SPEAKER_WEIGHTS if speaker_mode else WEIGHTS
        for c in candidates:
            c.score = sum(model.get(k, 0.0) * v for k, v in c.features.items())
            c.coverage = self._coverage(c.features, speaker_mode)

    @staticmethod
    def _coverage(f: dict, speaker: bool) -> float:
        """How much of the question a passage answers, 0..1; `answered` compares it with a threshold.

        For "what did X say about Y": X must speak in (or be named in) the article and Y be in the
        passage, its lead or the title ("what did Haas say after losing in San Jose": the title says
        San Jose). Otherwise: the question's rare words in one place, the rarest of them included.
        """
        if speaker:
            return min(f["speaker_article"], f["topic_context"])
        return (ANSWER_MODEL["sentence"] * f["sentence"] + ANSWER_MODEL["context"] * f["context"]
                + ANSWER_MODEL["rarest"] * f["rarest"]) * (0.5 + 0.5 * f["figures"])

    @staticmethod
    @lru_cache(maxsize=4096)
    def _title_stems(title: str) -> frozenset:
        return frozenset(stem(t) for t in INDEX_TOKEN_RE.findall(title.lower()))

    # -- context ------------------------------------------------------------------------------------
    def context(self, article_id: int, paragraph: int, *, guild_id=None, radius: int = 1) -> list[Passage]:
        info = self.corpus.article(article_id, guild_id=guild_id)
        if info is None:
            return []
        rows = self.corpus.conn.execute(
            "SELECT position, text, speakers FROM paragraphs WHERE article_id = ? AND position BETWEEN ? AND ? "
            "ORDER BY position", (article_id, paragraph - radius, paragraph + radius)).fetchall()
        return [Passage(article_id, info.title, info.url, pos, info.paragraphs, text, 0.0, [],
                        [s["name"] for s in json.loads(sp or "[]")]) for pos, text, sp in rows]


_LONG_STOP_WORDS = sorted(w for w in STOP_WORDS if len(w) >= 4)


def _quoted(term: str) -> str:
    """A word as an FTS5 string: user text is never query syntax ("at&t" becomes the phrase "at t")."""
    return '"' + term.replace('"', '""') + '"'


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


def _index_stems(term: str) -> list[str]:
    """A question word as the stored sentence stems have it: "o'gara" is "o" "gara", "sainsbury's" is
    "sainsburi", "3,000m" is "3" "000m"."""
    if "&" in term:
        return [term]  # "at&t", "m&s": their halves are stop words and letters; matched on the text itself
    parts = [stem(x) for x in INDEX_TOKEN_RE.findall(term) if (len(x) > 1 or x.isdigit()) and x not in STOP_WORDS]
    return parts or [stem(term)]


def _speaker_match(speaker_terms: list[str], speakers: list[dict]) -> float:
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


def _matched_words(text: str, stems: set[str]) -> list[str]:
    """Words of `text` as written whose stems the question has: what the bot puts in bold."""
    # Each distinct word is stemmed once: a paragraph repeats its words, and this runs for every result.
    written = dict.fromkeys(INDEX_TOKEN_RE.findall(text))
    joined = ([w for w in dict.fromkeys(_AMPERSAND_WORD_RE.findall(text)) if w.lower() in stems]  # "AT&T"
              if any("&" in s for s in stems) else [])
    return joined + [w for w in written if stem(w.lower()) in stems]
