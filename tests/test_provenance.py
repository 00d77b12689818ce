"""What a page says about itself, believed only so far (issue #11): the address and date an article cites.

The URL-level tests (a local server serving pages that claim another address) are in test_fetch.py.
"""

from __future__ import annotations

import socket

import pytest

from corpus.reading.ingest import document_from_html
from corpus.reading.provenance import cited_url, registrable_domain, same_site

BODY = "<p>" + "Zebra stripes keep biting flies from landing on the animals, field studies found. " * 4 + "</p>"


@pytest.fixture()
def no_network(monkeypatch):
    """The Public Suffix List must come from the installed package: any connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_same_site_is_the_same_registrable_domain_read_offline(no_network):
    assert registrable_domain("news.bbc.co.uk") == "bbc.co.uk"
    assert same_site("https://www.bbc.co.uk/news/1", "http://bbc.co.uk/news/1")
    assert same_site("https://edition.cnn.com/a", "https://cnn.com/a")
    assert not same_site("https://www.bbc.co.uk/news/1", "https://bbc.co.uk.phish.example/news/1")
    assert not same_site("https://www.bbc.co.uk/", "https://phish.co.uk/")
    # Private suffixes are sites of their own: one blog cannot claim another's address.
    assert not same_site("https://alice.github.io/post", "https://mallory.github.io/post")
    assert not same_site("https://alice.blogspot.com/post", "https://mallory.blogspot.com/post")
    # No registrable domain (an address, localhost, a made-up suffix): that host and port only.
    assert same_site("http://127.0.0.1:8000/a", "http://127.0.0.1:8000/b")
    assert not same_site("http://127.0.0.1:8000/a", "http://127.0.0.1:9000/a")
    assert not same_site("http://127.0.0.1:8000/a", "http://127.0.0.2:8000/a")
    assert not same_site("http://news.example/a", "http://phish.example/a")
    assert not same_site("http://localhost/a", "https://example.com/a")


def test_a_declared_address_must_be_plain_http():
    fetched = "https://news.example.org/story"
    assert cited_url(fetched, "https://www.example.org/story") == "https://www.example.org/story"
    assert cited_url(fetched, "https://phish.example/claim") == fetched
    assert cited_url(fetched, "javascript:alert(1)") == fetched
    assert cited_url(fetched, "https://user:pw@news.example.org/story") == fetched
    # A file has no fetched address: its own declared one is all there is, if it is a web address.
    assert cited_url(None, "https://news.example.org/story") == "https://news.example.org/story"
    assert cited_url(None, "file:///etc/passwd") is None


def _page(head: str = "", body_end: str = "") -> str:
    return (f"<html><head><title>Zebra stripes</title>{head}</head><body><article><h1>Zebra stripes</h1>"
            f"{BODY}{body_end}</article><footer><p>Copyright 2024 Savanna Notes</p></footer></body></html>")


@pytest.mark.parametrize("head,body_end", [
    ("", ""),                                                             # a copyright footer only
    ('<meta property="article:modified_time" content="2024-03-01T08:00:00Z">',
     "<p>Last updated 3 March 2024</p>"),                                  # modified, never published
    ('<meta property="article:published_time" content="2999-01-01">', ""),  # not from the future
    ('<script type="application/ld+json">' + "[" * 50_000 + "]" * 50_000 + "</script>", ""),  # nested too deep
])
def test_a_publication_date_is_never_guessed(head, body_end):
    doc = document_from_html(_page(head, body_end), url="https://savanna-notes.co.uk/zebras")
    assert doc.published is None


def test_published_is_read_from_each_way_a_page_declares_it():
    declared = [
        ('<script type="application/ld+json">[{"@type": "WebPage", "datePublished": "2019-01-01"},'
         ' {"@type": "NewsArticle", "datePublished": "2022-11-05T10:00:00Z", "dateModified": "2024-01-02"}]'
         "</script>", "", "2022-11-05"),                                   # the article's, not the site's
        ('<meta property="article:modified_time" content="2024-03-01T08:00:00Z">'
         '<meta property="article:published_time" content="2021-06-30T23:30:00-04:00">', "", "2021-06-30"),
        ("", '<p>Filed <time pubdate datetime="2020-02-29">29 February</time></p>', "2020-02-29"),
        ('<meta name="pubdate" content="Tue, 14 May 2024 09:30:00 GMT">', "", "2024-05-14"),
    ]
    for head, body_end, published in declared:
        doc = document_from_html(_page(head, body_end), url="https://savanna-notes.co.uk/zebras")
        assert doc.published == published, head or body_end
