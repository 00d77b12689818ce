"""Stage 4: the cross-encoder reads an English question with each of its best few passages.

After corpus.answering.rerank has scored the candidates, the best RERANK_K of them are read together with
the question by the cross-encoder (corpus.answering.cross_encoder), in one batch; its logit joins their
score with the weight fitted on development questions (benchmarks/fit_weights.py --cross), and they are
re-ordered among themselves (the candidates below keep their places: the model never read them). The
best passage's logit is also what `answered` reads (corpus.answering.rerank.answers).

Where it does not run, passages rank exactly as without it: ARTICLEBOT_RERANK=0 or ARTICLEBOT_SEMANTIC=0,
the model missing or damaged, a question or a passage that is not English (the model is trained on English
MS MARCO only), and for "what did X say" questions the order stays today's (a passage saying only "he
said" must still win; the model cannot know who "he" is), though the best passage is still read for
`answered`. When the best candidate already leads the next by SKIP_LEAD, only it is read.
"""

from __future__ import annotations

import logging
import re

from ..reading.languages import ENGLISH_STOP_WORDS, detect, language
from .candidates import Candidate

log = logging.getLogger("articlebot.rerank")
log.addHandler(logging.NullHandler())

# How many of the best candidates the model reads (benchmarks/cross_encoder.py prints the curve for
# 3, 5, 10 and 20), the weight of its logit beside today's score, and the lead over the second candidate
# past which the order is left as it is (the first is still read, for `answered`).
RERANK_K = 5
CROSS_WEIGHT = 0.1
SKIP_LEAD = 1.0
# The languages written in Latin letters whose function words may outnumber English ones in a question.
_LATIN_LANGUAGES = ("de", "fr", "es", "it", "pt", "nl", "sv", "da", "nb", "fi", "pl", "tr", "ro", "id", "hu", "cs")
_LETTERS = re.compile(r"[^\W\d_]+")
_NOT_LATIN = re.compile(r"[^\x00-\u024f\u2000-\u206f]")


def read_together(cross_encoder, question: str, candidates: list[Candidate], speaker_mode: bool) -> None:
    """Re-order the best candidates by the cross-encoder's reading (in place) and set their `cross`."""
    if cross_encoder is None or not candidates or not is_english(question):
        return
    top = []
    for c in candidates[:RERANK_K]:
        if c.language != "en":
            break  # a passage in another language ends the run the model may re-order
        top.append(c)
    if not top:
        return
    if speaker_mode or len(top) == 1 or top[0].score - top[1].score >= SKIP_LEAD:
        top = top[:1]  # the order stands; the best is read for `answered` alone
    try:
        logits = cross_encoder.scores(question, [c.text for c in top])
    except Exception:  # a failing model must never fail a question: rank as without it
        log.exception("the cross-encoder failed on a question; ranking without it")
        return
    for c, logit in zip(top, logits):
        c.cross = float(logit)
    if len(top) > 1:
        for c in top:
            c.score += CROSS_WEIGHT * c.cross
        top.sort(key=lambda c: (-c.score, c.article_id, c.position))
        candidates[:len(top)] = top


def is_english(question: str) -> bool:
    """Whether a question is English: written in Latin letters, with more English function words than any
    other Latin-script language's ("was sagte Greenspan über den Dollar" has one, and two German ones);
    with none of any, as the language detector reads it ("kolokoltsev interpol")."""
    if _NOT_LATIN.search(question):
        return False
    words = _LETTERS.findall(question.lower())
    if not words:
        return False
    english = sum(w in ENGLISH_STOP_WORDS for w in words)
    other = max(sum(w in language(code).stop_words for w in words) for code in _LATIN_LANGUAGES)
    if english or other:
        return english > other
    return detect([question]) == "en"
