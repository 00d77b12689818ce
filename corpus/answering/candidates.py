"""Gathering candidates: the paragraphs worth scoring, from every visible file.

FTS5 bm25 over the question's words OR-ed (each quoted: user text never reaches MATCH as syntax), the
paragraphs where the person asked about speaks ("what did X say" finds "he said ..."), and the paragraph
after each of the best matches (the lead names the subject, the next paragraph holds the detail).
Each file is queried on its own and the lists merged before scoring.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..reading.text import stems_of_terms
from .visible import Part, Visible

CANDIDATES = 20  # bm25 candidates per query; the same top-1 as 40 on both benchmarks at 0.6x the time
NEAREST = 20     # nearest paragraphs by meaning per file, when the question has a vector
NEXT_PARAGRAPHS = 5  # the paragraph after each of the best 5 matches is ranked too


@dataclass
class Candidate:
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
    language: str = "en"  # the article's: its stems are in this language
    score: float = 0.0
    features: dict = field(default_factory=dict)
    coverage: float = 0.0
    cosine: float | None = None  # to the question, when both have vectors
    cross: float | None = None  # the cross-encoder's logit for (question, this passage), when it read them


def gather(visible: Visible, terms: list[str], speaker_terms: list[str],
           article_id: int | None = None) -> list[Candidate]:
    term = visible.term  # each word as every visible language indexes it
    queries = [" OR ".join(map(term, terms))]
    if speaker_terms:
        # Paragraphs where the person speaks but is only "he" or "the minister": found by who speaks.
        queries.append(f"speaker : ({' OR '.join(map(term, speaker_terms))})")
    parts = visible.parts
    if article_id is not None:
        part = visible.part_of(article_id)
        parts = [part] if part else []
    found: list[Candidate] = []
    for part in parts:
        ranked = _by_words(part, queries, article_id)  # first: meanwhile the question's vector is being made
        matrix = visible.matrix(part)
        query = visible.query_vector if matrix is not None else None
        sims = matrix.similarities(query) if query is not None else None
        found.extend(_from_file(part, ranked, article_id, sims))
    return found


def _by_words(part: Part, queries: list[str], article_id: int | None) -> dict[int, float]:
    """The file's paragraphs that FTS5 finds for the queries, with their bm25 rank (best first)."""
    conn = part.conn
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
    return ranked


def _from_file(part: Part, ranked: dict[int, float], article_id: int | None, sims) -> list[Candidate]:
    conn = part.conn
    cosines: dict[int, float] = {}
    if sims is not None:
        # The nearest paragraphs by meaning: where a paraphrased question finds what its words do not.
        among = None
        if article_id is not None:
            among = {r[0] for r in conn.execute("SELECT id FROM paragraphs WHERE article_id = ?", (article_id,))}
        cosines = sims.nearest(NEAREST, among)
        for pid in cosines:
            ranked.setdefault(pid, 0.0)
    if not ranked:
        return []
    # Its bm25 is not known without another full query: the next paragraph counts as none, its context
    # carries it.
    best = sorted(ranked, key=ranked.get)[:NEXT_PARAGRAPHS]
    for (pid,) in conn.execute(
            f"SELECT n.id FROM paragraphs p JOIN paragraphs n ON n.article_id = p.article_id "
            f"AND n.position = p.position + 1 WHERE p.id IN ({','.join('?' * len(best))})", best):
        ranked.setdefault(pid, 0.0)
    ids = list(ranked)
    rows = conn.execute(
        f"SELECT p.id, p.article_id, p.position, p.text, p.speakers, a.title, a.url, a.paragraph_count, p.terms, "
        f"prev.terms, a.language FROM paragraphs p JOIN articles a ON a.id = p.article_id "
        f"LEFT JOIN paragraphs prev ON prev.article_id = p.article_id AND prev.position = p.position - 1 "
        f"WHERE p.id IN ({','.join('?' * len(ids))})", ids).fetchall()
    found = [Candidate(r[0], r[1], r[2], r[3], r[5], r[6], r[7], json.loads(r[4] or "[]"), -ranked[r[0]],
                       stems_of_terms(r[8]), stems_of_terms(r[9]), r[10]) for r in rows]
    if sims is not None:
        cosines.update(sims.cosines([c.pid for c in found if c.pid not in cosines]))
        for c in found:
            c.cosine = cosines.get(c.pid)
    return found
