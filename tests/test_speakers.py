"""Who said what, on real BBC articles: quotes followed by the speaker, roles between verb and name."""

from corpus.ingest import document_from_path
from corpus.speakers import attribute

from conftest import FIXTURES


def speakers_of(fixture: str) -> list[tuple[list[str], str]]:
    doc = document_from_path(FIXTURES / fixture)
    return [([s.name for s in found], text) for found, text in zip(attribute(doc.paragraphs), doc.paragraphs)]


def paragraph_with(rows, words: str) -> list[str]:
    return next(names for names, text in rows if words in text)


def test_quote_then_verb_then_name():
    # '"It's extremely frustrating ...," admitted Haas.' after "Germany's Tommy Haas" two paragraphs up.
    rows = speakers_of("bbc-sport-424.txt")
    assert "Tommy Haas" in paragraph_with(rows, "admitted Haas")


def test_quote_then_verb_then_role_then_name():
    rows = speakers_of("bbc-business-058.txt")
    assert paragraph_with(rows, "said Electrolux chief executive Hans Straberg") == ["Hans Straberg"]


def test_the_employer_before_the_role_is_not_a_speaker():
    found = attribute(['"It is a seminal achievement," said Dresdner Kleinwort analyst Mike Powell.'])
    assert [s.name for s in found[0]] == ["Mike Powell"]
    assert "analyst" in found[0][0].role.split()


def test_names_inside_quotes_do_not_speak():
    found = attribute(['"Tony Blair said nothing," Mr Howard told reporters.'])
    assert [s.name for s in found[0]] == ["Howard"]


def test_typo_in_a_name_is_corrected_to_the_person_the_question_is_about(empty_corpus):
    # "hass" is one slip from both Haas and Hans (Hans is the commoner word here): "tommy" decides.
    for name in ("bbc-business-058.txt", "bbc-business-135.txt", "bbc-business-262.txt", "bbc-sport-424.txt"):
        empty_corpus.add(document_from_path(FIXTURES / name))
    answer = empty_corpus.ask("what did tommy hass say after loosing to roddick in san jose")
    assert answer.corrections == {"hass": "haas"}
    assert answer.answered
    assert "admitted Haas" in answer.results[0].text
