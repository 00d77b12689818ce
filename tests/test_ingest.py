"""Reading articles: text, Markdown, HTML, encodings, titles, bad input."""

import pytest
from conftest import FIXTURES

from corpus.errors import IngestError
from corpus.reading.ingest import document_from_bytes, document_from_path, document_from_text, expand_paths


def test_text_title_paragraphs_and_rejoined_wraps():
    doc = document_from_text("My title\n\nFirst line of a paragraph\nthat was hard-wrapped here.\n\n\nSecond one.\n")
    assert doc.title == "My title"
    assert doc.paragraphs == ["First line of a paragraph that was hard-wrapped here.", "Second one."]


def test_explicit_title_keeps_first_line_as_text():
    doc = document_from_text("Opening line.\n\nMore text.", title="Given")
    assert doc.title == "Given"
    assert doc.paragraphs == ["Opening line.", "More text."]


def test_given_title_drops_the_files_own_headline(corpus):
    """Issue #14: with --title the headline stayed as paragraph 1, so the same file was two articles."""
    data = (FIXTURES / "bbc-sport-005.txt").read_bytes()
    plain = document_from_bytes(data, "dibaba.txt")
    titled = document_from_bytes(data, "dibaba.txt", title="Dibaba record")
    assert titled.title == "Dibaba record"
    assert titled.paragraphs == plain.paragraphs
    assert titled.paragraphs[0].startswith("Ethiopia's Tirunesh Dibaba set a new world record")
    assert corpus.add(plain).status == "added"
    assert corpus.add(titled).status == "duplicate"


def test_given_title_drops_a_markdown_heading():
    doc = document_from_bytes(b"# Dibaba breaks record\n\nShe won in Boston.\n", "d.md", title="Dibaba")
    assert (doc.title, doc.paragraphs) == ("Dibaba", ["She won in Boston."])


def test_a_file_of_one_sentence_is_its_own_title_and_text():
    """A one-line note that is a sentence is an article, named after itself (it was refused)."""
    doc = document_from_bytes(b"The council approved the harbour budget on Monday.\n", "note.txt")
    assert doc.title == "The council approved the harbour budget on Monday."
    assert doc.paragraphs == ["The council approved the harbour budget on Monday."]


def test_an_opening_sentence_is_text_not_a_title():
    doc = document_from_text("Keepers walked out on Monday.\n\nThe union said more would follow.")
    assert doc.title == "Keepers walked out on Monday."
    assert doc.paragraphs == ["Keepers walked out on Monday.", "The union said more would follow."]


def test_cp1252_file_keeps_its_pound_sign():
    doc = document_from_path(FIXTURES / "bbc-sport-199-cp1252.txt")
    assert doc.title == "Chelsea sack Mutu"
    assert any("£15.8m" in p for p in doc.paragraphs)


def test_utf16_and_bom_are_read():
    text = "Title\n\nCafé société.\n"
    assert document_from_bytes(text.encode("utf-16"), "a.txt").paragraphs == ["Café société."]
    assert document_from_bytes(b"\xef\xbb\xbf" + text.encode(), "a.txt").title == "Title"


def test_markdown_is_stripped():
    md = "# The headline\n\nSome **bold** text with a [link](https://example.org).\n\n![pic](x.png)\n\n## A section\n\n> A quote.\n"
    doc = document_from_bytes(md.encode(), "story.md")
    assert doc.title == "The headline"
    assert doc.paragraphs == ["Some bold text with a link.", "A section", "A quote."]


def test_markdown_list_items_are_paragraphs_without_markers():
    """Issue #14: a list was one paragraph with its "-" markers left in."""
    md = ("# Rates rise\n\nThe bank made three moves:\n\n- It raised the base rate to 5.25%.\n"
          "* It ended its bond buying,\n  a year early.\n1. It warned that inflation would stay high.\n\nMarkets fell.\n")
    doc = document_from_bytes(md.encode(), "rates.md")
    assert doc.paragraphs == ["The bank made three moves:", "It raised the base rate to 5.25%.",
                              "It ended its bond buying, a year early.",
                              "It warned that inflation would stay high.", "Markets fell."]


def test_a_list_of_short_labels_stays_one_paragraph_after_its_lead_in():
    md = "# Bake\n\nYou will need:\n- flour\n- two eggs\n+ milk\n\n* * *\n\nMix them well.\n"
    assert document_from_bytes(md.encode(), "bake.md").paragraphs == ["You will need: flour; two eggs; milk",
                                                                       "Mix them well."]


def test_html_extracts_article_without_boilerplate():
    doc = document_from_path(FIXTURES / "article.html")
    assert doc.title == "Harbour bridge reopens after repairs"
    assert doc.url == "https://news.example.org/2024/05/harbour-bridge-reopens"
    assert doc.author == "Priya Raman"
    assert doc.published == "2024-05-14"
    body = "\n".join(doc.paragraphs)
    assert doc.paragraphs[0].startswith("The Harbour Bridge reopened")
    assert "tolls would stay frozen" in body
    for junk in ("Subscribe", "newsletter", "Copyright", "Most read", "Celebrity chef", "Advertisement", "8,171.12"):
        assert junk not in body, junk


SAVED_PAGES = ["kit-review-helmet", "council-bins", "cup-upset", "library-reopens", "ferry-fares",
               "bike-first-ride", "school-meals"]


@pytest.mark.parametrize("page", SAVED_PAGES)
def test_saved_pages_keep_exactly_the_article(page):
    """Issue #14: buttons, calls to action, "comments", a site blurb and the headline again came through
    as paragraphs. Each saved page has its article's paragraphs by hand beside it (NAME.truth.txt)."""
    doc = document_from_path(FIXTURES / "pages" / f"{page}.html")
    assert doc.paragraphs == (FIXTURES / "pages" / f"{page}.truth.txt").read_text(encoding="utf-8").splitlines()


def test_a_review_page_keeps_its_text_and_loses_its_buttons():
    """camera-review.html: its specifications box ([toggle]) is kept, as unknown shortcodes keep their text."""
    doc = document_from_path(FIXTURES / "pages" / "camera-review.html")
    truth = (FIXTURES / "pages" / "camera-review.truth.txt").read_text(encoding="utf-8").splitlines()
    assert [p for p in doc.paragraphs if not p.startswith("Sensor: 40MP")] == truth


@pytest.mark.parametrize("data,name,reason", [
    (b"", "empty.txt", "empty"),
    (b"   \n\n  ", "blank.txt", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "photo.txt", "binary"),
    (b"title\n\nbody", "archive.zip", "unsupported file type"),
    (b"<html><body><p>hi</p></body></html>", "page.txt", "holds HTML"),
    (b"<html><body><nav>menu</nav></body></html>", "page.html", "not an article"),
])
def test_bad_input_is_refused_with_a_reason(data, name, reason):
    with pytest.raises(IngestError, match=reason):
        document_from_bytes(data, name)


def test_title_only_is_refused():
    with pytest.raises(IngestError, match="no article text"):
        document_from_text("Just a title\n")


def test_missing_file():
    with pytest.raises(IngestError, match="no such file"):
        document_from_path("does-not-exist.txt")


def test_huge_paragraph_is_split_at_sentences():
    sentence = "This is a sentence of a very long paragraph. "
    doc = document_from_text("Title\n\n" + sentence * 25_000)
    assert len(doc.paragraphs) > 1
    assert all(p.endswith(".") for p in doc.paragraphs)


def test_directories_expand_recursively(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text("T\n\nx")
    (tmp_path / "a" / "two.HTML").write_text("<p>x</p>")
    (tmp_path / "a" / "skip.py").write_text("x")
    (tmp_path / "b.md").write_text("x")
    found = expand_paths([str(tmp_path)])
    assert [p.rsplit("/", 1)[-1] for p in found] == ["one.txt", "two.HTML", "b.md"]


def test_invisible_and_control_characters_removed():
    doc = document_from_text("Ti\u200btle\n\nHello\u0007 wor\u200dld \u202eevil\u202c.")
    assert doc.title == "Title"
    assert doc.paragraphs == ["Hello world evil."]
