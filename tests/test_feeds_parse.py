"""Reading feeds (corpus/feeds/parse.py): saved RSS 2.0, Atom and RDF feeds, JSON Feed, web pages that link
their feed, and hostile XML (entity bombs, external entities, markup in titles, javascript: links)."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from corpus.feeds.links import normalise_link
from corpus.feeds.markup import html_to_text
from corpus.feeds.parse import MAX_ENTRIES, Discovered, FeedError, ParsedFeed, read_feed, strip_doctype

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
BASE = "http://news.example:8080"


def saved(name: str) -> bytes:
    return (FEEDS / name).read_bytes().replace(b"{base}", BASE.encode())


def test_rss2_feed_entries_newest_first_with_links_titles_and_dates():
    feed = read_feed(saved("bbc-rss2.xml"), f"{BASE}/feeds/bbc-rss2.xml", "application/rss+xml")
    assert isinstance(feed, ParsedFeed)
    assert feed.title == "BBC News - Business"
    assert [e.title for e in feed.entries] == ["Ad sales boost Time Warner profit", "Dollar gains on Greenspan speech",
                                              "Halo 2 heralds traffic explosion"]
    first = feed.entries[0]
    assert first.link == f"{BASE}/articles/bbc-business-001?at_medium=RSS&at_campaign=rss"
    assert first.published == "2026-12-07"
    # compared without the tracking parameters, so the same story from another feed is the same link
    assert f"link:{BASE}/articles/bbc-business-001" in first.keys
    assert first.keys[0] == f"id:{BASE}/articles/bbc-business-001#0"


def test_atom_feed_titles_in_html_become_plain_text():
    feed = read_feed(saved("guardian-atom.xml"), f"{BASE}/feeds/guardian-atom.xml", "application/atom+xml")
    assert feed.title == "Politics desk"
    assert feed.entries[0].title == "Nuclear strike 'key terror risk'"
    assert feed.entries[0].link == f"{BASE}/articles/bbc-politics-052"
    assert feed.entries[1].title == "Jowell confirms casino climbdown"


def test_rdf_feed_and_its_update_period():
    feed = read_feed(saved("sports-rdf.xml"), f"{BASE}/feeds/sports-rdf.xml", "application/rdf+xml")
    assert feed.title == "Sports wire"
    assert [e.link for e in feed.entries] == [f"{BASE}/articles/bbc-sport-005", f"{BASE}/articles/bbc-sport-246"]
    assert feed.asked_interval == 3600  # sy:updatePeriod hourly, frequency 1


def test_ttl_is_an_interval_in_minutes():
    body = b'<rss version="2.0"><channel><title>T</title><ttl>90</ttl><item><title>a</title>' \
           b'<link>http://x.example/a</link></item></channel></rss>'
    assert read_feed(body, "http://x.example/feed", None).asked_interval == 90 * 60


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
]>
<rss version="2.0"><channel><title>Laughs &h;</title>
<item><title>Item &h;</title><link>http://x.example/a</link><description>&h;&h;&h;</description></item>
</channel></rss>"""


def test_billion_laughs_is_not_expanded():
    feed = read_feed(BILLION_LAUGHS, "http://x.example/feed", "application/rss+xml")
    assert len(feed.entries) == 1 and feed.entries[0].link == "http://x.example/a"
    assert "aaaaaaaaaa" not in feed.title + feed.entries[0].title


def test_one_big_entity_used_many_times_is_not_expanded():
    """feedparser keeps entities that are plain strings; 100 KB x 2,000 uses would be 200 MB of text."""
    body = (b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "' + b"x" * 100_000 + b'">\n]>\n'
            b'<rss version="2.0"><channel><title>Q</title><item><title>t</title><description>'
            + b"&a;" * 2000 + b"</description><link>http://x.example/a</link></item></channel></rss>")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    feed = read_feed(body, "http://x.example/feed", None)
    assert feed.entries[0].words < 10_000
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KB: not 200 MB of text


def test_external_entities_are_not_read():
    body = b"""<?xml version="1.0"?>
<!DOCTYPE rss [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> <!ENTITY % p SYSTEM "http://10.0.0.1/x.dtd"> %p; ]>
<rss version="2.0"><channel><title>Ext &xxe;</title><item><title>y &xxe;</title>
<link>http://x.example/b</link><description>&xxe;</description></item></channel></rss>"""
    feed = read_feed(body, "http://x.example/feed", None)
    text = feed.title + " ".join(e.title for e in feed.entries)
    assert "root:" not in text and feed.entries[0].link == "http://x.example/b"


def test_strip_doctype_keeps_the_document():
    body = b'<?xml version="1.0"?>\n<!DOCTYPE rss [ <!ENTITY a "]>"> ]>\n<rss version="2.0"></rss>'
    assert strip_doctype(body) == b'<?xml version="1.0"?>\n\n<rss version="2.0"></rss>'
    assert strip_doctype(b"<!DOCTYPE rss SYSTEM 'x.dtd'><rss/>") == b"<rss/>"
    assert strip_doctype(b"<rss/>") == b"<rss/>"


def test_malformed_xml_is_read_as_far_as_it_parses():
    body = (b'<rss version="2.0"><channel><title>Broken</title>'
            b"<item><title>First & only</title><link>http://x.example/1</link></item>"
            b"<item><title>Second<link>http://x.example/2</link></item></channel>")  # & unescaped, tags unclosed
    feed = read_feed(body, "http://x.example/feed", "text/xml")
    assert feed.warning and feed.warning.startswith("malformed XML")
    assert feed.entries and feed.entries[0].link == "http://x.example/1"


@pytest.mark.parametrize("body, why", [
    (b"just some words, not a feed at all", "not a feed"),
    (b"<<<<>>>> <? <!-- ", "malformed XML, nothing could be read"),
    (b'{"hello": "world"}', "not a feed (JSON, but not a JSON Feed)"),
    (b'{"version": "https://jsonfeed.org/version/1.1", ', "malformed JSON"),
])
def test_what_is_not_a_feed_is_refused_in_one_line(body, why):
    with pytest.raises(FeedError) as caught:
        read_feed(body, "http://x.example/feed", None)
    assert why in str(caught.value) and "\n" not in str(caught.value)


def test_a_feed_over_the_size_cap_is_refused():
    with pytest.raises(FeedError, match="larger than 5 MB"):
        read_feed(b"<rss>" + b" " * 5_000_001, "http://x.example/feed", None)


def test_ten_thousand_entries_are_cut_to_the_newest_thousand():
    items = "".join(f"<item><title>Story {i}</title><link>http://x.example/{i}</link>"
                    f"<pubDate>Mon, 07 Dec 2026 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d} GMT</pubDate></item>"
                    for i in range(10_000))
    body = f'<rss version="2.0"><channel><title>Many</title>{items}</channel></rss>'.encode()
    feed = read_feed(body, "http://x.example/feed", None)
    assert feed.total_entries == 10_000 and len(feed.entries) == MAX_ENTRIES
    assert feed.entries[0].title == "Story 9999"  # newest first, by date


def test_script_and_javascript_links_are_dropped():
    story = " ".join(["The harbour council met on Tuesday to discuss the lighthouse."] * 12)
    body = f"""<rss version="2.0"><channel><title>Scripts</title>
<item><title>Click &lt;script&gt;alert(1)&lt;/script&gt;me</title><link>javascript:alert(1)</link>
<description><![CDATA[<p>{story}</p><script>alert('x')</script><p><a href="javascript:evil()">more</a></p>]]></description>
</item></channel></rss>""".encode()
    entry = read_feed(body, "http://x.example/feed", None).entries[0]
    assert entry.link is None and entry.refused_link == "javascript:alert(1)"
    assert "alert" not in entry.title and "<" not in entry.title
    assert entry.fallback is not None  # article-length: its own text stands in
    text = " ".join(entry.fallback.paragraphs)
    assert "alert" not in text and "evil" not in text and "lighthouse" in text


def test_json_feed():
    body = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "JSON news", "items": [
      {"id": "1", "url": "http://x.example/old", "title": "Old", "date_published": "2026-12-01T10:00:00Z"},
      {"id": "2", "url": "http://x.example/new#top", "title": "New", "date_published": "2026-12-07T10:00:00Z",
       "content_html": "<p>Hello</p>"}]}"""
    feed = read_feed(body, "http://x.example/feed.json", "application/feed+json")
    assert feed.title == "JSON news"
    assert [(e.title, e.link) for e in feed.entries] == [("New", "http://x.example/new"), ("Old", "http://x.example/old")]


def test_a_page_gives_the_feeds_it_links():
    page = b"""<!doctype html><html><head><title>News</title>
<link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/atom+xml" title="Atom" href="/atom.xml">
<link rel="alternate" type="application/rss+xml" title="RSS" href="feeds/rss.xml">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
</head><body><p>Hello</p></body></html>"""
    found = read_feed(page, "http://x.example/news/", "text/html")
    assert isinstance(found, Discovered)
    assert found.feeds == ["http://x.example/news/feeds/rss.xml", "http://x.example/atom.xml"]
    assert read_feed(b"<html><body>no feeds</body></html>", "http://x.example/", "text/html") == Discovered([])


def test_links_are_compared_without_tracking_and_fragment():
    assert normalise_link("HTTPS://News.Example:443/a?utm_source=rss&id=3&at_medium=RSS#top") == \
        "https://news.example/a?id=3"
    assert normalise_link("http://x.example") == "http://x.example/"
    assert normalise_link("http://x.example:8080/p?b=2&a=1") == "http://x.example:8080/p?b=2&a=1"


def test_html_to_text_keeps_paragraphs():
    assert html_to_text("<p>One &amp; two</p><p>Three<br>four</p><style>p{}</style>") == \
        "One & two\n\nThree\n\nfour"
