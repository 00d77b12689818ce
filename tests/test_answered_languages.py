"""`answered` in other languages (corpus/answering/thresholds.py): answerable German and Russian questions are
answered about as often as English ones, and questions about a paragraph the archive lacks are still mostly
refused. Real XQuAD text: tests/fixtures/xquad-mini.json (Super Bowl 50, Warsaw, the Normans)."""

import json

import pytest
from conftest import FIXTURES

from corpus import Document

XQUAD = json.loads((FIXTURES / "xquad-mini.json").read_text(encoding="utf-8"))["languages"]
MISSING = 2  # the paragraph of each article left out for the unanswerable questions


def refused(corpus, lang, *, without_paragraph=None):
    """The share of `lang`'s questions refused: those on the kept paragraphs (answerable), or with
    `without_paragraph`, those on the paragraph each article is stored without (unanswerable)."""
    questions = []
    for article in XQUAD[lang]:
        kept = [p for i, p in enumerate(article["paragraphs"]) if i != without_paragraph]
        corpus.add(Document(title=article["title"], paragraphs=kept))
        questions += [q for q, i in article["questions"] if (i == without_paragraph) == (without_paragraph is not None)]
    return sum(not corpus.ask(q).answered for q in questions) / len(questions)


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_answerable_questions_in_german_and_russian_are_answered(empty_corpus, lang):
    """English's thresholds refused 30% of these (a three-article archive); English's own questions 8%."""
    assert refused(empty_corpus, lang) <= 0.2


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_questions_about_a_paragraph_the_archive_lacks_are_still_mostly_refused(empty_corpus, lang):
    assert refused(empty_corpus, lang, without_paragraph=MISSING) >= 0.6
