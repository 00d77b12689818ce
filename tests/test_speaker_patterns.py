"""The speech patterns' faster search finds exactly what a plain search does, on real BBC articles.

Attribution reads every sentence of every article at ingest; it was the largest part of storing one.
The verbs and role words are searched as trees of their shared beginnings, and the patterns that start
with a name are tried only where a capital starts a word. These tests hold them to the plain forms, so
that a later edit to a pattern (a name that may start with a digit, say) cannot silently lose speakers.
"""

import re

import pytest
from conftest import FIXTURES

from corpus.reading import speakers as S
from corpus.reading.ingest import document_from_path
from corpus.reading.text import sentences

ARTICLES = sorted(FIXTURES.glob("bbc-*.txt")) + [FIXTURES / "scmp-china-russia-police-chiefs.raw.txt"]


def article_sentences() -> list[str]:
    out = []
    for path in ARTICLES:
        for paragraph in document_from_path(path).paragraphs:
            out.extend(S._Sentence(s).text for s in sentences(paragraph))
    return out


SENTENCES = article_sentences()


def found(matches) -> list[tuple]:
    return [(m.span(), m.groups()) for m in matches]


def test_the_fixtures_hold_enough_speech_to_compare_on():
    hinted = [s for s in SENTENCES if S._Sentence(s).has_speech_hint()]
    assert len(SENTENCES) > 400 and len(hinted) > 150


def test_verb_and_role_word_trees_match_what_the_flat_lists_match():
    verbs = S.SPEECH_VERBS.split("|")
    flat_verb = re.compile(rf"\b(?:{S.SPEECH_VERBS})\b")
    tree_verb = re.compile(rf"\b{S._VERB}")
    roles = sorted(S.ROLE_WORDS, key=len, reverse=True)
    flat_role = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in roles) + r")\s")
    tree_role = re.compile(rf"\b{S._ROLE_WORD}\s")
    # every word of the lists, with its neighbours in the lists (one is often the start of another)
    texts = SENTENCES + [" ".join(verbs) + " ", " ".join(roles) + " ", " ".join(w + "x" for w in verbs)]
    spans = lambda matches: [m.span() for m in matches]  # noqa: E731 (the tree names its verb group)
    for text in texts:
        assert spans(tree_verb.finditer(text)) == spans(flat_verb.finditer(text))
        assert spans(tree_role.finditer(text)) == spans(flat_role.finditer(text))


@pytest.mark.parametrize("words", [["say", "says", "said", "saying"], ["a", "ab", "abc", ""], ["x"]])
def test_an_alternation_tree_keeps_the_order_of_words_sharing_a_beginning(words):
    tree = re.compile(S.alternation(words))
    flat = re.compile("|".join(re.escape(w) for w in words))
    for text in ["", "saying", "says", "abc", "ab", "x", "sa"]:
        assert (tree.match(text) or [None])[0] == (flat.match(text) or [None])[0]


@pytest.mark.parametrize("name, least", [("_MENTION_RE", 1000), ("_NAME_VERB_RE", 50), ("_NAME_ROLE_VERB_RE", 2)])
def test_name_patterns_tried_where_a_capital_starts_a_word_find_what_a_full_search_finds(name, least):
    regex = getattr(S, name)
    total = 0
    extra = ["ex-Foreign Secretary Robin Cook said", "MPs said", "O'Neill, the chief executive, said",
             "Alan Milburn, Labour's election strategist told Radio 4"]
    for text in SENTENCES + extra:
        sentence = S._Sentence(text)
        expected = found(regex.finditer(sentence.text))
        assert found(S._matches_at(regex, sentence.text, sentence.name_starts(), limit=None)) == expected
        total += len(expected)
    assert total >= least


def test_the_role_pattern_tried_at_its_openings_finds_what_a_full_search_finds():
    total = 0
    for text in SENTENCES + ["Mike Tindall's agent has warned", "the ex-minister said", "a spokesman said"]:
        sentence = S._Sentence(text)
        expected = found(S._ROLE_VERB_RE.finditer(sentence.text))
        assert found(S._matches_at(S._ROLE_VERB_RE, sentence.text, sentence.role_starts(), limit=None)) == expected
        total += len(expected)
    assert total > 30


def test_the_speech_hint_shortcut_agrees_with_the_pattern():
    extra = ["He pointed out that", "pointed  out", "unsaid things", "said_so", "According to Mr Brown",
             "went on", "The wentonline page"]
    for text in SENTENCES + extra:
        sentence = S._Sentence(text)
        assert sentence.has_speech_hint() == bool(S._SPEECH_HINT_RE.search(sentence.text))


def test_the_words_before_a_name_are_those_of_the_whole_sentence():
    long_words = " ".join("Supercalifragilisticexpialidocious" + str(i) for i in range(12))
    for text in SENTENCES[:200] + [long_words + " Minister Alan Johnson said"]:
        sentence = S._Sentence(text)
        words = [(m.start(), m.end()) for m in S._ROLE_CONTEXT_RE.finditer(sentence.text)]
        for end in range(0, len(sentence.text) + 1, 7):
            before = [sentence.text[a:min(b, end)] for a, b in words if a < end]
            assert sentence.words_before(end, 7) == before[::-1][:7]
