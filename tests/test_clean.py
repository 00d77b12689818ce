"""Junk rules: page furniture never reaches the store, article text always does."""

from conftest import FIXTURES, SEED_RAW

from corpus.reading import clean
from corpus.reading.clean import clean_lines, clean_paragraphs, junk_reason
from corpus.reading.ingest import document_from_path, document_from_text


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


def test_shortcodes_are_taken_out_with_their_furniture():
    """Issue #14: '[button link=...] Send us YOUR kit review [/button]' was stored as an answer."""
    paragraphs = [
        '[button link="https://mcm.example.co.uk/kit-reviews/submit/" size="large"] Send us YOUR kit review [/button]',
        '[caption id="attachment_5521" align="aligncenter" width="800"] The visor has been redesigned[/caption]',
        "[embed]https://www.youtube.com/watch?v=abc123XYZ[/embed]",
        '[gallery ids="12,13,14"]',
        "[dropcap]T[/dropcap]he visor stayed clear down to two degrees.",
        "The minister called it \"a [sic] mistake\" [Reuters].",
    ]
    assert clean_paragraphs(paragraphs) == ["The visor stayed clear down to two degrees.",
                                            "The minister called it \"a [sic] mistake\" [Reuters]."]


def test_calls_to_action_and_page_labels_are_furniture():
    for junk in ("Get Motor Cycle Monthly delivered to your door every month and save 30% on the shop price. "
                 "Click here for more information.",
                 "Get the Evening Echo delivered to your home from just £2 a week.",
                 "Tell us what YOU think...", "Send us your photos from the game at sport@echo.example.net.",
                 "Have your say in the comments below.", "Leave a comment", "Click here",
                 "Do you use the ferry? Email your views to letters@coastalcourier.example.com",
                 "Got a question about this bike? Ask us on Facebook.", "What do you think? Let us know in the comments.",
                 "Love photography? Get our magazine delivered every month and save 40%.",
                 "Was this review helpful? Send us your feedback."):
        assert junk_reason(junk) == "call to action", junk
    for label in ("comments", "Comments (48)", "12 comments", "Share this:", "Like this:", "FA CUP SECOND ROUND",
                  "Comments are closed."):
        assert junk_reason(label) == "label", label
    for byline in ("By Gwen Tallis, Transport Reporter", "By Dan Hollis | 8 March 2024", "Reporter: Hamish Boyd"):
        assert junk_reason(byline) == "byline", byline
    assert clean_paragraphs(['[su_button url="https://shop.example.com/x"]Check price at Example Shop[/su_button]',
                             "[vc_row][vc_column]The engine pulls cleanly.[/vc_column][/vc_row]"]) == ["The engine pulls cleanly."]


def test_prose_that_looks_like_a_call_to_action_is_kept():
    prose = [
        '"Send us anyone you like in the next round," Ndlovu said afterwards.',
        "Click here, the sign on the new machines says, and 400 people had borrowed books that way by lunchtime.",
        "Click-and-collect tickets for the third round will go on sale on Monday, the club said.",
        "Comments from visitors were mostly positive, though several said the new café was too expensive.",
        '"Tell us what you want from your library and we will try to provide it," she said.',
        "Manager Kevin Wilkin told us the win was worth about £100,000 to the club.",
        "NATO and the EU met on Monday.",
        "By Tuesday, the council had agreed to look again at the plan.",
        "By then the ferry had gone.",
    ]
    assert clean_paragraphs(prose) == prose


def test_pasted_text_loses_the_repeated_headline_and_the_blurb_before_it():
    text = ("Brackley stun Wigan\n\nThe Echo: your team, your town, every day\n\nBrackley stun Wigan\n\n"
            "Brackley Town knocked Wigan out of the FA Cup on Saturday.\n\nBrackley stun Wigan\n\n"
            "The draw for the third round takes place on Sunday.")
    doc = document_from_text(text)
    assert doc.paragraphs == ["Brackley Town knocked Wigan out of the FA Cup on Saturday.",
                              "The draw for the third round takes place on Sunday."]


def _numeric_letter_by_letter(line: str) -> bool:
    chars = [c for c in line if not c.isspace()]
    if not chars or not any(c.isdigit() for c in chars):
        return False
    return sum(c.isalpha() for c in chars) / len(chars) < 0.25


def test_figures_are_told_from_text_the_same_way_on_every_line_of_real_articles():
    # Every line of every article is checked for being figures: counted in C for ASCII lines, the rule
    # must stay the letter-by-letter one, superscripts, Arabic digits and odd spaces included.
    lines = [line for path in sorted(FIXTURES.glob("bbc-*.txt")) for line in path.read_text("cp1252").splitlines()]
    lines += ["3,415.51", "+47.61 (+1.41%)", "FTSE 100 4,821.8 +12.3", "x² ²³", "٣٤٥ نقطة", "1\u2003a b c",
              "2005 world cup", "\x1c7\x1f", "Mr Smith: 10"]
    numeric = [line for line in lines if _numeric_letter_by_letter(line)]
    assert len(numeric) >= 5
    assert [clean._is_numeric_line(line) for line in lines] == [_numeric_letter_by_letter(line) for line in lines]
