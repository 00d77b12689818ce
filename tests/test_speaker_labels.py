"""The "(X speaking)" labels on real BBC paragraphs (issue 22): the person or organisation quoted, whole,
never a place, a title, a listener or someone merely mentioned, and one label a speaker. Then an
archive stored by the older rules gets the new labels when it is opened."""

import json
import shutil
import sqlite3

from conftest import FIXTURES

from corpus import Corpus
from corpus.reading.ingest import document_from_path
from corpus.reading.speakers import ATTRIBUTION, attribute
from corpus.storage.database import add_functions, check

ARTICLES = FIXTURES / "speakers"


def labels(fixture: str, words: str) -> list[str]:
    """The labels of the paragraph holding these words, as the bot shows them."""
    doc = document_from_path(ARTICLES / fixture)
    for text, speakers in zip(doc.paragraphs, attribute(doc.paragraphs)):
        if words in text:
            return list(dict.fromkeys(s.name for s in speakers))
    raise AssertionError(f"no paragraph of {fixture} holds {words!r}")


def test_a_place_an_award_or_a_show_never_speaks():
    # "freed from Guantanamo Bay telling them", "Winning a Golden Globe is said to improve",
    # "who also presents Stars In Their Eyes said she wanted"
    assert labels("bbc-politics-065.txt", "freed from Guantanamo Bay") == []
    assert "Stars Eyes" not in labels("bbc-entertainment-274.txt", "Stars In Their Eyes said")


def test_what_is_expected_of_someone_or_added_by_them_is_not_speech():
    # "Manchester United winger Giggs is expected to recover in time to earn his 50th cap"
    assert "Ryan Giggs" not in labels("bbc-sport-129.txt", "Giggs is expected to recover")


def test_an_organisation_is_named_whole_and_a_place_before_it_is_not_its_name():
    assert labels("bbc-tech-282.txt", "In a statement, Media Labs Europe said") == ["Media Labs Europe"]
    assert "France Snecma" not in labels("bbc-business-130.txt", "France's Snecma has also said")
    assert labels("bbc-politics-136.txt", "But Human Rights Watch says")[-1] == "Human Rights Watch"


def test_a_long_title_before_the_name_leaves_the_name_whole():
    # '"There is a clear need ...," said Home Office Minister Hazel Blears.'
    assert labels("bbc-tech-034.txt", "said Home Office Minister Hazel Blears") == ["Hazel Blears"]


def test_a_namesake_with_another_first_name_is_another_person():
    # "his friend, the producer Quincy Jones" is not Norah Jones, named two paragraphs earlier.
    found = labels("bbc-entertainment-263.txt", "the producer Quincy Jones")
    assert "Norah Jones" not in found and "Paul Jones" in found


def test_one_label_a_speaker_even_when_his_role_comes_first():
    # "Kenteris' lawyer Gregory Ioannidis told BBC Sport": once, not also as "Kenteris' lawyer Gregory Ioannidis"
    assert labels("bbc-sport-048.txt", "Kenteris' lawyer Gregory Ioannidis told") == ["Gregory Ioannidis"]


def test_the_chancellor_is_not_the_shadow_chancellor_named_after_him():
    # "the chancellor said the cuts proposed by shadow chancellor Oliver Letwin were ..."
    assert "Oliver Letwin" not in labels("bbc-politics-175.txt", "proposed by shadow chancellor Oliver Letwin")


def stored_speakers(db) -> dict[str, list[str]]:
    conn = sqlite3.connect(db)
    try:
        return {text: [s["name"] for s in json.loads(speakers)]
                for text, speakers in conn.execute("SELECT text, speakers FROM paragraphs")}
    finally:
        conn.close()


def test_an_archive_stored_by_the_older_rules_gets_the_new_labels_when_opened(tmp_path):
    db = tmp_path / "archive.db"
    with Corpus.open(db, load_samples=False) as corpus:
        for name in ("bbc-politics-065.txt", "bbc-tech-282.txt", "bbc-tech-034.txt"):
            corpus.add(document_from_path(ARTICLES / name))
    right = stored_speakers(db)
    # What the previous rules stored, and a file that does not say which rules stored it
    conn = sqlite3.connect(db)
    add_functions(conn)
    old = json.dumps([{"name": "Guantanamo Bay", "role": ""}])
    conn.execute("UPDATE paragraphs SET speakers = ?, speaker_index = 'guantanamo bay' WHERE text LIKE ?",
                 (old, "%freed from Guantanamo Bay%"))
    conn.execute("UPDATE paragraphs SET speakers = ?, speaker_index = 'lab europ' WHERE text LIKE ?",
                 (json.dumps([{"name": "Labs Europe", "role": "media"}]), "%Media Labs Europe said%"))
    conn.execute("INSERT INTO paragraphs_fts(paragraphs_fts) VALUES ('rebuild')")
    conn.execute("DELETE FROM meta WHERE key = 'attribution'")
    conn.commit()
    conn.close()
    assert stored_speakers(db) != right
    with Corpus.open(db) as corpus:
        assert stored_speakers(db) == right
        answer = corpus.ask("what did media labs europe say about closing")
        assert ["Media Labs Europe"] in [p.speakers for p in answer.results]  # the label the answer shows
    assert check(db) == []  # the full-text index follows the new speakers
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM meta WHERE key = 'attribution'").fetchone() == (str(ATTRIBUTION),)
    assert conn.execute("SELECT count(*) FROM paragraphs_fts WHERE paragraphs_fts MATCH 'speaker:guantanamo'"
                        ).fetchone() == (0,)
    conn.close()


def test_a_read_only_archive_keeps_its_labels_and_still_answers(tmp_path):
    db = tmp_path / "archive.db"
    with Corpus.open(db, load_samples=False) as corpus:
        corpus.add(document_from_path(ARTICLES / "bbc-tech-282.txt"))
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM meta WHERE key = 'attribution'")
    conn.commit()
    conn.close()
    copy = tmp_path / "readonly.db"
    shutil.copy(db, copy)
    copy.chmod(0o444)
    with Corpus.open(copy, readonly=True) as corpus:
        assert corpus.ask("media labs europe close").results


def test_the_hand_checked_sample_is_scored_label_by_label():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
    import speaker_labels

    rows = [json.loads(line) for line in speaker_labels.DEFAULT_LABELS.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 150 and all(row["text"] and row["article"] and "speakers" in row for row in rows)
    row = {"speakers": ["Gordon Brown|Brown|the chancellor", "org:Human Rights Watch"]}
    judged, labelled = speaker_labels.score(row, ["Brown", "Gordon Brown", "Rights Watch", "Human Rights Watch"])
    # a second label for the same speaker and a part of an organisation's name are wrong
    assert judged == [("Brown", True), ("Gordon Brown", False), ("Rights Watch", False), ("Human Rights Watch", True)]
    assert labelled == 2
