"""Junk rules: page furniture never reaches the store, article text always does."""

from corpus.clean import clean_lines, clean_paragraphs, junk_reason
from corpus.ingest import document_from_path, document_from_text

from conftest import SEED_RAW


def test_seed_article_comes_out_clean():
    doc = document_from_path(SEED_RAW)
    assert doc.title == "Chinese and Russian police chiefs meet as Beijing casts wider law enforcement net"
    body = "\n".join(doc.paragraphs)
    for junk in ("Straits Times", "3,415.51", "+47.61", "Advertisement", "ADVERTISEMENT", "Do you have questions",
                 "alt=", "originally appeared", "Copyright", "All rights reserved", "markets open"):
        assert junk not in body, junk
    assert doc.paragraphs[0].startswith("China's public security chief met his Russian counterpart")
    assert doc.paragraphs[-1].startswith("He also called for a crackdown on cross-border crime")
    assert len(doc.paragraphs) == 24


def test_other_ticker_shapes_are_removed():
    text = """Markets closed 2 hours ago
  · Nasdaq Composite
    16,274.94
    -1.2%
  · EUR/GBP
    0.8561
    +0.0012

Oil prices climb

Brent crude rose sharply on Monday after producers agreed to cut output, traders said.
"""
    doc = document_from_text(text)
    assert doc.title == "Oil prices climb"
    assert doc.paragraphs == ["Brent crude rose sharply on Monday after producers agreed to cut output, traders said."]


def test_ad_markers_in_other_spellings():
    for marker in ("Advertisement", "ADVERTISEMENT", "- Advertisement -", "Sponsored content", "Story continues below advertisement",
                   "Continue reading the main story", "Skip advert", "4 min read"):
        assert junk_reason(marker) == "ad marker", marker


def test_captions_of_other_shapes():
    assert junk_reason('Fans outside the stadium. Photo: Reuters') == "caption"
    assert junk_reason('Protesters in the square (Photo by Jane Doe/Getty Images)') == "caption"
    assert junk_reason('Image source, Getty Images') == "caption"
    assert junk_reason('<img src="x.jpg"> A view of the harbour') == "caption"
    assert junk_reason('Pictured: the minister arriving in Paris') == "caption"


def test_footers_of_other_shapes():
    assert junk_reason("This story was first published on Example News.") == "footer"
    assert junk_reason("© 2021 Example Media Group") == "footer"
    assert junk_reason("Reporting by John Smith; Editing by Jane Doe") == "footer"
    assert junk_reason("Copyright (c) 2020 Example Ltd.") == "footer"
    assert junk_reason("Read more: Why the bank raised rates") == "footer"


def test_promos_of_other_shapes():
    assert junk_reason("Want the best stories in your inbox? Sign up to our free daily newsletter.") == "promo"
    assert junk_reason("Are you on the go? Download our app and follow us for breaking news.") == "promo"


def test_article_prose_is_kept():
    prose = [
        "The minister said he would not resign, adding that the report was \"deeply flawed\".",
        "Shares in the firm fell 4.5% to 210p after it warned that profits would be lower.",
        "\"Do you want to know what I think?\" he asked reporters.",
        "The photographer, who has worked for Reuters for ten years, won the award on Friday.",
        "Copyright law in the EU is being reviewed by the commission, which will report next year.",
        "Chelsea won 2-0.",
    ]
    assert clean_paragraphs(prose) == prose


def test_lines_of_prose_next_to_numbers_survive():
    lines = ["The club's attendance was", "42,093", "", "a record for the ground, officials said."]
    assert clean_lines(lines) == ["The club's attendance was", "", "", "a record for the ground, officials said."]
