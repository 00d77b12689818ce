"""Questions in, cited passages out: the seed question, typos, speakers, safety, abstention."""

import pytest
from conftest import FIXTURES, INTERPOL_OPENINGS

from corpus import Document, QuestionError
from corpus.answering.question import parse_speaker, respelled


def openings(answer, n=3):
    return [p.text for p in answer.results[:n]]


@pytest.mark.parametrize("question", [
    "what did Kolokoltsev say about Interpol",
    "what did kolokolsev say about interpoll",
    "What did Vladimir Kolokoltsev say about Interpol?",
    "what did the Russian minister say about interpol",
])
def test_headline_question_returns_the_three_interpol_paragraphs(corpus, question):
    answer = corpus.ask(question, limit=5)
    assert answer.answered
    top = openings(answer)
    assert sorted(o.split(" ")[0:3] for o in top) == sorted(o.split(" ")[0:3] for o in INTERPOL_OPENINGS)
    assert all(any(t.startswith(o) for t in top) for o in INTERPOL_OPENINGS)
    first = answer.results[0]
    assert first.title.startswith("Chinese and Russian police chiefs")
    assert first.paragraphs_total == 24 and 10 <= first.paragraph <= 12


def test_typo_finds_what_the_right_spelling_finds(corpus):
    right = corpus.ask("what did Kolokoltsev say about Interpol")
    wrong = corpus.ask("what did kolokolsev say about interpoll")
    assert [p.paragraph for p in right.results] == [p.paragraph for p in wrong.results]
    assert wrong.corrections == {"kolokolsev": "kolokoltsev"}


def test_slips_in_the_words_around_the_question_are_read_too(corpus):
    # "waht" and "siad" are two letters swapped in "what" and "said" (not "want", "sad"); with them read
    # right the question is again "what did X say about Y" and finds his three Interpol paragraphs.
    right = corpus.ask("what did Kolokoltsev say about Interpol")
    typed = corpus.ask("waht did kolokoltsev siad about interpol")
    assert typed.corrections == {"waht": "what", "siad": "said"}
    assert [p.paragraph for p in typed.results[:3]] == [p.paragraph for p in right.results[:3]]
    # "acording" has no word of the articles one slip away: it is "according", not a rare word to look for.
    question = "acording to kolokoltsev, what about interpol"
    answer = corpus.ask(question)
    assert answer.corrections == {"acording": "according"}
    assert parse_speaker(question) is None
    assert parse_speaker(respelled(question, answer.corrections)) == ("kolokoltsev", "what about interpol")


def test_speaker_over_several_paragraphs(corpus):
    """One paragraph names him; the next two are his quotes ("he said", then a bare quote)."""
    answer = corpus.ask("what did Deng Yuwen say", limit=3)
    assert any(p.text.startswith("Deng Yuwen, a former deputy editor") for p in answer.results)
    assert {p.paragraph for p in answer.results} == {18, 19, 20}
    assert all(p.speakers == ["Deng Yuwen"] for p in answer.results)


def test_matched_words_for_highlighting(corpus):
    answer = corpus.ask("what did Kolokoltsev say about Interpol")
    assert any(w.startswith("Interpol") for w in answer.results[0].matched)


@pytest.mark.parametrize("question", [
    '"Interpol', "interpol*", "NEAR(interpol russia)", "interpol AND", "OR", "-interpol", "title:interpol",
    "scope:123", "^interpol", "interpol)", "(((", "a:b:c", "'); DROP TABLE articles; --", "NOT interpol",
])
def test_fts_syntax_in_questions_is_harmless(corpus, question):
    answer = corpus.ask(question)
    assert isinstance(answer.answered, bool)
    assert corpus.count_articles() == 1


@pytest.mark.parametrize("question", ["🙂🙂🙂", "???!!!", "...", "的的的"])
def test_questions_without_words_are_answered_cleanly(corpus, question):
    answer = corpus.ask(question)
    assert answer.answered is False or answer.results


def test_empty_and_overlong_questions_are_refused(corpus):
    with pytest.raises(QuestionError, match="empty"):
        corpus.ask("   ")
    with pytest.raises(QuestionError, match="too long"):
        corpus.ask("interpol " * 1000)


def test_unrelated_question_is_not_answered(corpus):
    assert corpus.ask("what is the best recipe for banana bread").answered is False
    assert corpus.ask("who won the world cup final").answered is False


def test_article_filter_and_paging(corpus):
    other = corpus.add(Document("Interpol conference", ["Interpol held its annual conference in Lyon."]))
    only = corpus.ask("interpol", article_id=other.article_id)
    assert [p.article_id for p in only.results] == [other.article_id]
    page1 = corpus.ask("interpol", limit=2)
    page2 = corpus.ask("interpol", limit=2, offset=2)
    assert not {p.text for p in page1.results} & {p.text for p in page2.results}


def test_context_returns_neighbours(corpus):
    first = corpus.ask("what did Kolokoltsev say about Interpol").results[0]
    around = corpus.context(first.article_id, 11)
    assert [p.paragraph for p in around] == [10, 11, 12]
    assert corpus.context(first.article_id, 11, guild_id=None, radius=0)[0].text.startswith("He said")


@pytest.mark.parametrize("question,speaker", [
    ("what did Kolokoltsev say about Interpol", ("Kolokoltsev", "Interpol")),
    ("What does Gordon Brown think of the euro?", ("Gordon Brown", "the euro")),
    ("Blair's view on Iraq", ("Blair", "Iraq")),
    ("according to the chancellor, what will happen to taxes", ("chancellor", "what will happen to taxes")),
    ("what did Deng Yuwen say", ("Deng Yuwen", "")),
    ("when did the bridge open", None),
])
def test_speaker_questions_are_recognised(question, speaker):
    assert parse_speaker(question) == speaker


def test_bbc_speaker_with_role_and_pronoun(empty_corpus):
    from corpus.reading.ingest import document_from_path

    empty_corpus.add(document_from_path(FIXTURES / "bbc-business-001.txt"))
    answer = empty_corpus.ask("what did Richard Parsons say about financial performance")
    assert "Our financial performance was strong" in answer.results[0].text


def test_he_said_after_a_paragraph_naming_the_person_counts_as_their_speech(empty_corpus):
    from corpus.answering.question import parse_speaker as parse

    empty_corpus.add(Document("Stam sale", [
        "Manchester United sold defender Jaap Stam to Lazio in 2001.",
        "\"United made a mistake in selling me,\" Stam told the magazine. Sir Alex Ferguson later admitted the "
        "sale was an error, the manager said.",
        "\"I had even just ordered a new kitchen, but they wanted to sell me,\" he said.",
    ]))
    question = "what did jaap stam say about his new kitchen"
    cands = empty_corpus.read(question).candidates
    third = next(c for c in cands if c.position == 3)
    assert third.features["speaker"] == 1.0
    assert empty_corpus.ask(question).results[0].paragraph == 3


def test_the_paragraph_after_a_matching_lead_is_a_candidate(empty_corpus, monkeypatch):
    # The lead says "South Korea"; the next paragraph, long and without the country's name, says "interest
    # rates at an all-time low". bm25 alone ranks it below shorter paragraphs about rates elsewhere.
    from corpus.answering import candidates
    from corpus.reading.ingest import document_from_path

    for name in ("bbc-business-072.txt", "bbc-business-002.txt", "bbc-business-031.txt", "bbc-business-055.txt",
                 "bbc-business-057.txt"):
        empty_corpus.add(document_from_path(FIXTURES / name))
    monkeypatch.setattr(candidates, "CANDIDATES", 2)  # what a 100,000-article corpus does to a 2,000-paragraph one
    answer = empty_corpus.ask("south korea interest rates all-time low")
    assert any("all-time low of 3.25%" in p.text for p in answer.results[:3])


def test_a_typo_that_stems_like_an_unrelated_word_is_still_corrected(empty_corpus):
    # "osie" stems to "osi", a word of the business article (OSI), never seen with "clinton" or "davis";
    # "ossie" is one slip away and is: the question means Ossie Davis.
    from corpus.reading.ingest import document_from_path

    for name in ("bbc-entertainment-043.txt", "bbc-business-309.txt"):
        empty_corpus.add(document_from_path(FIXTURES / name))
    answer = empty_corpus.ask("what did bill clinton say at osie davis funeral")
    assert answer.corrections == {"osie": "ossie"}
    assert answer.answered
    assert any("He would have been a very good president" in p.text for p in answer.results[:2])
    # A word the corpus knows through its stem and uses with the rest of the question is left alone.
    assert empty_corpus.ask("what did bill clinton say at davis funerals").corrections == {}


def test_two_swapped_letters_are_the_likelier_slip(empty_corpus):
    # "wieght" is one edit from both "weight" (swap) and "wight" (Isle of Wight, a dropped letter).
    empty_corpus.add(Document("Lewis-Francis slims down", [
        "Sprinter Mark Lewis-Francis has lost weight over the winter.",
        "He trained on the Isle of Wight with the relay squad."]))
    answer = empty_corpus.ask("how much wieght has mark lewis francis lost")
    assert answer.corrections == {"wieght": "weight"}
    assert answer.results[0].paragraph == 1


def test_a_figure_typed_without_commas_finds_the_article_that_writes_them(empty_corpus):
    # Chat says "3000m"; the BBC writes "3,000m", which the index holds as "3" "000m".
    from corpus.reading.ingest import document_from_path

    empty_corpus.add(document_from_path(FIXTURES / "bbc-sport-005.txt"))
    empty_corpus.add(Document("Rates", ["The bank held rates in 2005 after 3000 complaints."]))
    answer = empty_corpus.ask("who won the men's 3000m in boston")
    assert answer.corrections == {"3000m": "3,000m"}
    assert answer.answered
    assert "Alistair Cragg won" in answer.results[0].text
    # A figure the articles do write without commas (a year, "3000 complaints") is left as typed.
    assert empty_corpus.ask("what happened to rates in 2005").corrections == {}
    assert empty_corpus.ask("how many of the 3000 complaints").corrections == {}


def test_names_joined_by_an_ampersand_are_searched_as_written(empty_corpus):
    # "at&t": "at" is a stop word and "t" a letter, so the question used to be just "founded" and
    # answered with "US actor Ossie Davis has been found dead".
    from corpus.reading.ingest import document_from_path

    for name in ("bbc-business-278.txt", "bbc-entertainment-043.txt"):
        empty_corpus.add(document_from_path(FIXTURES / name))
    answer = empty_corpus.ask("when was at&t founded")
    assert answer.corrections == {}
    assert answer.answered
    assert "AT&T, which was founded in 1875" in answer.results[0].text
    assert "AT&T" in answer.results[0].matched  # what the bot puts in bold


def test_a_double_letter_typed_single_or_in_the_wrong_place_is_corrected(empty_corpus):
    # Two edits apart, but one slip of the hand: "borrusia" for Borussia, "hil" for Hill (a three-letter
    # word is otherwise too short to correct).
    empty_corpus.add(Document("Halloween writer Debra Hill dies", [
        "Screenwriter and producer Debra Hill, best known for her work on the 70s horror classic Halloween, "
        "has died in Los Angeles aged 54."]))
    empty_corpus.add(Document("Rescue hope for Borussia Dortmund", [
        "Shares in struggling German football club Borussia Dortmund slumped by 9% on Wednesday."]))
    assert empty_corpus.ask("how old was debra hil when she died").corrections == {"hil": "hill"}
    answer = empty_corpus.ask("why did borrusia dortmund shares slump")
    assert answer.corrections == {"borrusia": "borussia"}
    assert answer.answered and answer.results[0].title == "Rescue hope for Borussia Dortmund"
