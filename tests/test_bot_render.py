"""Unit tests for bot/render.py: Discord limits, cutting at sentence boundaries, bold, escaping."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from bot import render
from corpus.answering.search import Answer


@dataclass
class P:
    text: str
    matched: list = field(default_factory=list)
    article_id: int = 1
    title: str = "A title"
    url: str | None = "https://example.org/a"
    paragraph: int = 1
    paragraphs_total: int = 9
    score: float = 1.0
    speakers: list = field(default_factory=list)


def A(question: str, results: list, answered: bool = True, corrections: dict | None = None) -> Answer:
    """The engine's own Answer, holding fake passages."""
    return Answer(question, answered, results, corrections=corrections or {})


LOREM = ("The council met on Tuesday. It approved the harbour budget after a long debate! "
         "Residents asked why the ferry was late? The mayor promised answers by Friday. ") * 40


@pytest.mark.parametrize("limit", [10, 25, 60, 100, 333, 1000, 4096])
def test_cut_fits_and_never_cuts_mid_word(limit):
    out = render.cut(LOREM, limit)
    assert len(out) <= limit
    assert out.endswith(render.ELLIPSIS)
    body = out[: -len(render.ELLIPSIS)].rstrip()
    # the kept text is a prefix of the original ending at a word boundary
    assert LOREM.startswith(body)
    assert LOREM[len(body)] in " "


def test_cut_prefers_a_sentence_boundary():
    out = render.cut(LOREM, 100)
    assert out == "The council met on Tuesday. It approved the harbour budget after a long debate! …"


def test_cut_leaves_short_text_alone():
    assert render.cut("  Short text.  ", 50) == "Short text."


def test_cut_falls_back_to_a_word_when_the_first_sentence_is_too_long():
    text = "word " * 100
    out = render.cut(text, 42)
    assert len(out) <= 42 and out.endswith(" …") and "wor …" not in out


def test_bold_is_whole_word_and_case_insensitive():
    out = render.bold_matches("Interpol's agents; interpolation; INTERPOL.", ["interpol"])
    assert out == "**Interpol**'s agents; interpolation; **INTERPOL**."


def test_escape_keeps_text_verbatim_and_defuses_markup():
    text = "*not bold* _x_ `code` ~~s~~ ||spoiler|| [link](http://x) <@123> <@&4>\n> quote\n# head\n- item"
    out = render.escape(text)
    assert "\\*not bold\\*" in out and "\\<@123>" in out and "\\[link\\]" in out
    assert "\n\\> quote" in out and "\n\\# head" in out and "\n\\- item" in out
    assert re.sub(r"\\(.)", r"\1", out) == text


def test_answer_stays_within_embed_limits_with_huge_passages():
    huge = P(text=LOREM * 5, matched=["harbour", "ferry"], title="T" * 400)
    answer = A("why was the ferry late?", [huge, huge, huge, huge])
    r = render.render_answer(answer)
    assert len(r.embeds) == 3
    assert render.total_embed_chars(r.embeds) <= render.MAX_EMBEDS_TOTAL
    for e in r.embeds:
        assert len(e.title) <= render.MAX_TITLE and len(e.description) <= render.MAX_DESCRIPTION
        assert e.description.endswith(render.ELLIPSIS)
        assert "**harbour**" in e.description
    assert len(r.content) <= render.MAX_CONTENT
    assert r.more_offset == 3 and r.context_of == (1, 1) and r.link == ("Open article", "https://example.org/a")


def test_question_round_trips_through_the_content():
    q = "what did *Kolokoltsev* say about Interpol?"
    assert render.question_from(render.question_content(q, "-# passages 1–3")) == q
    long_q = "why " * 600
    content = render.question_content(long_q)
    assert len(content) <= render.MAX_CONTENT
    assert render.question_from(content).startswith("why why")
    assert render.question_from("something else") is None


def test_the_question_is_shown_as_typed_never_as_markdown_and_still_read_back():
    q = "[Official statement](https://evil.example/login) what did **he** say ||secret|| `x` \\* -y"
    content = render.question_content(q, "-# passage 1")
    line = content.splitlines()[0]
    assert line == ("**Question:** \\[Official statement\\](https://evil.example/login) what did \\*\\*he\\*\\* "
                    "say \\|\\|secret\\|\\| \\`x\\` \\\\\\* -y")
    assert render.question_from(content) == q  # "More results" and replies search what was asked
    not_found = render.render_not_found(q, article_count=1)
    assert "\\[Official statement\\]" in not_found.content and render.question_from(not_found.content) == q
    long_q = "*" * 1500  # escaping doubles it: still within a message
    assert len(render.question_content(long_q, "-# passage 1")) <= render.MAX_CONTENT


def test_not_found_lists_up_to_three_suggestions():
    @dataclass
    class S:
        title: str

    r = render.render_not_found("q", article_count=7, suggestions=[S("One"), S("Two *x*"), S("Three"), S("Four")])
    assert "I couldn't find that in the 7 articles I know." in r.content
    assert "Did you mean **One**, **Two \\*x\\*** or **Three**?" in r.content
    assert "Four" not in r.content and r.embeds == []


def test_no_link_for_articles_without_a_web_address():
    r = render.render_answer(A("q", [P(text="Some text.", url=None)]))
    assert r.link is None and r.embeds[0].url is None and r.more_offset is None


def test_choice_names_fit_discord():
    name = render.choice_name("x " * 200, 12345)
    assert len(name) <= 100 and name.endswith("(#12345)")


def test_search_text_drops_discord_markup_but_keeps_words():
    from bot.render import search_text

    q = "@everyone <@123> <@!4> <@&5> <#6> <:ferry:7> <a:wave:8> </ask:9> <t:1700000000:R> what did Kolokoltsev say?"
    assert search_text(q) == "what did Kolokoltsev say?"
    assert search_text("who is here? email me@everyone.org") == "who is here? email me@everyone.org"
    assert search_text("what about <not markup> and 1 < 2 > 0") == "what about <not markup> and 1 < 2 > 0"
    # Web addresses are not words either; a masked link keeps its text.
    assert search_text("[Kolokoltsev](https://evil.example/login) what did he say <https://x.example/a?b=c>") == \
        "Kolokoltsev what did he say"
    assert search_text("[a] (b) what about http://example.org/page") == "[a] (b) what about"


def test_typos_the_search_corrected_are_shown_with_the_answer_and_with_not_found():
    found = render.render_answer(A("what did kolokolsev say", [P(text="He said so.")],
                                   corrections={"kolokolsev": "kolokoltsev"}))
    assert render.question_from(found.content) == "what did kolokolsev say"
    assert found.content.splitlines()[-1] == '-# passage 1 · read "kolokolsev" as "kolokoltsev"'
    missing = render.render_answer(A("what did kolokolsev say about mars", [], answered=False,
                                     corrections={"kolokolsev": "kolokoltsev"}), article_count=3)
    assert "I couldn't find that in the 3 articles I know." in missing.content
    assert missing.content.splitlines()[-1] == '-# read "kolokolsev" as "kolokoltsev"'
    plain = render.render_answer(A("q", [P(text="Some text.")]))
    assert "read " not in plain.content


@pytest.mark.parametrize("limit", [50, 300, 4000])
def test_split_rendered_shows_all_of_a_long_passage_within_the_limit(limit):
    text = LOREM.replace("harbour", "*harbour* [x]").strip()
    pieces = render.split_rendered(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    assert render.unescape(" ".join(pieces)) == text
    assert len(pieces) >= len(render.escape(text)) // limit


def test_passages_cut_short_get_read_all_buttons():
    long = P(text=LOREM, paragraph=4, article_id=7)
    one = render.render_answer(A("q", [long, P(text="Short.", paragraph=5)]))
    assert one.read_all == [("Read all", 7, 4)]
    several = render.render_answer(A("q", [P(text=LOREM, paragraph=n) for n in (1, 2, 3)]), offset=3)
    assert [label for label, _, _ in several.read_all] == ["Read all #4", "Read all #5", "Read all #6"]
    assert render.render_answer(A("q", [P(text="Short.")])).read_all == []
    full = render.render_full(long)
    assert full[0].content.startswith("Paragraph 4 of 9 in **A title**")
    assert render.unescape(" ".join(r.embeds[0].description for r in full)) == LOREM.strip()
    assert all(len(r.embeds[0]) <= render.MAX_DESCRIPTION for r in full)


def test_a_footer_says_who_speaks_at_most_two_names_cut_to_fit():
    endless = "Wolfgang " + "Amadeus " * 400 + "Mozart"
    passages = [P(LOREM, speakers=[endless, "Bob Smith", "Carol White"], paragraph=n) for n in (1, 2, 3)]
    r = render.render_answer(A("who agreed?", passages))
    footer = r.embeds[0].footer.text
    assert footer.startswith("1. Wolfgang Amadeus") and footer.endswith(", Bob Smith and others · paragraph 1 of 9 · article #1")
    assert "…" in footer and len(footer) < 120
    assert render.total_embed_chars(r.embeds) <= render.MAX_EMBEDS_TOTAL
    two = render.render_answer(A("q", [P("He agreed.", speakers=["Alice Jones", "Bob Smith"])])).embeds[0]
    assert two.footer.text == "1. Alice Jones and Bob Smith · paragraph 1 of 9 · article #1"
    nobody = render.render_answer(A("q", [P("It rained.")])).embeds[0]
    assert nobody.footer.text == "1. paragraph 1 of 9 · article #1"


def test_closest_passages_are_marked_and_offer_no_more_results():
    r = render.render_answer(A("q", [P("One."), P("Two."), P("Three."), P("Four.")], answered=False), article_count=12)
    assert r.content.splitlines()[1] == "I'm not sure any of the 12 articles I know answers that; the closest passages:"
    assert [e.footer.text.split(" · ")[0] for e in r.embeds] == ["1. closest passage"] * 1 + ["2. closest passage", "3. closest passage"]
    assert r.more_offset is None and not r.answered and r.shown == [(1, 1)] * 3
