"""`answered` in each language: where a language's questions are read less fully than English ones (German
compounds, Russian and Arabic inflections), English's thresholds refused 12-21% of answerable XQuAD
questions in German, Russian and Arabic against English's 5-8%.

Each threshold here is fitted by benchmarks/fit_answered_languages.py on that language's XQuAD questions,
answerable and unanswerable (asked of an archive without their paragraph; benchmarks/unanswerable/): the
highest that refuses at most 5% of the answerable ones, never stricter than English's. A language not
listed keeps English's (corpus.answering.rerank, corpus.answering.search).
"""

from __future__ import annotations

# The best passage's coverage needed, by its words alone and with vectors: {language: (words, meaning)}.
COVERAGE_NEEDED: dict[str, tuple[float, float]] = {
    "ar": (0.28, 0.29), "de": (0.25, 0.32), "es": (0.34, 0.41), "ru": (0.26, 0.31), "zh": (0.35, 0.42),
}
# The share of the question's weight in words no visible article holds past which it is refused.
UNKNOWN_SHARE_REFUSED: dict[str, float] = {"ar": 0.45, "de": 0.55, "ru": 0.45}


def coverage_needed(language: str, english: float, *, by_meaning: bool = False) -> float:
    fitted = COVERAGE_NEEDED.get(language)
    return english if fitted is None else fitted[by_meaning]


def unknown_share_refused(language: str, english: float) -> float:
    return UNKNOWN_SHARE_REFUSED.get(language, english)
