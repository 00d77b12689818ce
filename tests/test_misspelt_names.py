"""A misspelt name in "what did X say" is read as the person the archive quotes, not as a common word
(issue 22 item 2): "blare" is Blair, not "blame"; "puttin" is Putin, not "putting". Real BBC articles:
Blair and Putin are quoted in them, and "blame", "putting" are words of theirs too."""

import pytest
from conftest import FIXTURES

from corpus import Corpus
from corpus.reading.ingest import document_from_path

ARTICLES = ["bbc-business-318.txt", "bbc-business-332.txt", "bbc-politics-336.txt", "bbc-politics-149.txt",
            "bbc-politics-155.txt"]


@pytest.fixture
def archive(tmp_path):
    with Corpus.open(tmp_path / "archive.db", load_samples=False) as corpus:
        for name in ARTICLES:
            corpus.add(document_from_path(FIXTURES / "speakers" / name))
        yield corpus


def test_a_name_misspelt_by_its_sound_is_the_person_quoted(archive):
    read = archive.read("what did blare say about iraq")
    assert read.corrections == {"blare": "blair"} and read.speaker_terms == ["blair"]
    answer = archive.ask("what did blare say about iraq")
    assert any("Tony Blair" in p.speakers for p in answer.results[:3])


def test_a_name_one_letter_from_a_common_word_is_the_person_quoted(archive):
    read = archive.read("what did puttin say about yukos")
    assert read.corrections == {"puttin": "putin"} and read.speaker_terms == ["putin"]


def test_a_common_word_outside_the_speaker_is_still_corrected_as_before(archive):
    # Only the X of "what did X say" prefers a name: elsewhere the likelier slip stands.
    assert archive.read("who is to blaem for the war in iraq").corrections == {"blaem": "blame"}
