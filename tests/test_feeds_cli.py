"""``articlebot feed add|list|remove|poll``: the command-line contract, against a local feed server.

The server (tests/feedserver.py) is on 127.0.0.1, so these runs allow private addresses
(ARTICLEBOT_ALLOW_PRIVATE_URLS=1); tests/test_feeds_engine.py checks the address rules with private
addresses refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from feedserver import FeedServer, article_page, rss, serve_bbc_pages

from corpus.cli import main

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
ROOT = Path(__file__).resolve().parents[1]
BBC = ["bbc-business-001", "bbc-business-002", "bbc-tech-221", "bbc-politics-052", "bbc-politics-187",
       "bbc-sport-005", "bbc-sport-246", "bbc-business-055", "bbc-entertainment-043"]


@pytest.fixture
def server():
    with FeedServer() as s:
        serve_bbc_pages(s, BBC)
        for feed in FEEDS.glob("*.xml"):
            s.put(f"/feeds/{feed.name}", feed.read_text().replace("{base}", s.base()))
        yield s


@pytest.fixture(autouse=True)
def feed_env(monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_ALLOW_PRIVATE_URLS", "1")  # the feed server is on 127.0.0.1
    monkeypatch.setenv("ARTICLEBOT_SAMPLES", "0")
    monkeypatch.setenv("ARTICLEBOT_FEED_HOST_SPACING", "0")
    monkeypatch.setenv("ARTICLEBOT_FETCH_TIMEOUT", "3")


@pytest.fixture
def run(db_path, capsys):
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["--db", str(db_path), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def listed(run, *extra: str) -> list[dict]:
    code, out, _ = run("feed", "list", "--json", *extra)
    assert code == 0
    return [json.loads(line) for line in out.splitlines()]


def test_add_prints_the_feed_and_indexes_its_entries(server, run):
    url = server.url("/feeds/bbc-rss2.xml")
    code, out, err = run("feed", "add", url)
    assert code == 0, err
    assert out == f'feed #1 "BBC News - Business" (3 entries) from {url}\n'
    code, out, _ = run("list", "--json")
    titles = {a["title"] for a in json.loads(out)}
    assert titles == {"Ad sales boost Time Warner profit", "Dollar gains on Greenspan speech",
                      "Halo 2 heralds traffic explosion"}
    code, out, _ = run("ask", "how much did Time Warner profits jump", "--json")
    top = json.loads(out)["results"][0]
    assert top["title"] == "Ad sales boost Time Warner profit"
    assert top["url"] == server.url("/articles/bbc-business-001?at_medium=RSS&at_campaign=rss")  # the address read


def test_list_json_contract(server, run):
    run("feed", "add", server.url("/feeds/guardian-atom.xml"))
    run("feed", "add", server.url("/feeds/sports-rdf.xml"), "--guild", "123456789012345678")
    feeds = listed(run)
    assert [sorted(f) for f in feeds] == [sorted(["id", "url", "title", "guild", "channel", "last_checked",
                                                  "last_new", "state", "error", "articles"])] * 2
    shared, guild = feeds
    assert shared["guild"] is None and guild["guild"] == "123456789012345678"
    assert (shared["title"], shared["state"], shared["error"], shared["articles"], shared["channel"]) == \
        ("Politics desk", "ok", None, 2, None)
    assert guild["title"] == "Sports wire" and guild["articles"] == 2
    assert isinstance(shared["id"], int) and shared["last_checked"] and shared["last_new"]
    assert listed(run, "--guild", "123456789012345678") == [guild]


def test_poll_finds_only_what_is_new_and_uses_conditional_get(server, run):
    items = [{"title": "Ad sales boost Time Warner profit", "link": server.url("/articles/bbc-business-001"),
              "guid": "a1"}]
    url = server.put("/feeds/grows.xml", rss("Growing", items))
    assert run("feed", "add", url)[0] == 0
    code, out, err = run("feed", "poll", "--force")
    assert code == 0 and out == ""
    assert err.splitlines()[-1].startswith("checked 1 feed: 0 new articles")
    last = server.requests_for("/feeds/grows.xml")[-1]
    assert last.status == 304 and last.headers.get("If-None-Match")  # nothing changed, nothing sent

    items.insert(0, {"title": "Dollar gains on Greenspan speech", "link": server.url("/articles/bbc-business-002"),
                     "guid": "a2"})
    server.put("/feeds/grows.xml", rss("Growing", items))
    code, out, err = run("feed", "poll", "--force")
    assert code == 0
    assert out == f'added #2 "Dollar gains on Greenspan speech" from {server.url("/articles/bbc-business-002")} (feed #1)\n'
    assert "checked 1 feed: 1 new article" in err
    assert run("feed", "poll", "--force")[1] == ""


def test_poll_checks_only_feeds_that_are_due(server, run, monkeypatch):
    run("feed", "add", server.url("/feeds/bbc-rss2.xml"))
    before = len(server.requests_for("/feeds/bbc-rss2.xml"))
    code, _, err = run("feed", "poll")  # the default interval is 15 minutes: nothing is due yet
    assert code == 0 and "checked 0 feeds" in err
    assert len(server.requests_for("/feeds/bbc-rss2.xml")) == before
    monkeypatch.setenv("ARTICLEBOT_FEED_TEST_INTERVAL_SECONDS", "0.01")
    run("feed", "poll")  # the scheduled time was set when it was checked, by the 15-minute interval
    assert len(server.requests_for("/feeds/bbc-rss2.xml")) == before


def test_remove_only_in_its_own_scope(server, run):
    run("feed", "add", server.url("/feeds/bbc-rss2.xml"), "--guild", "42")
    code, _, err = run("feed", "remove", "1")
    assert code == 1 and err == "error: no feed #1 in the shared scope\n"
    code, _, err = run("feed", "remove", "1", "--guild", "43")
    assert code == 1 and err == "error: no feed #1 in guild 43\n"
    code, out, _ = run("feed", "remove", "1", "--guild", "42")
    assert code == 0 and out == 'removed feed #1 "BBC News - Business"\n'
    assert listed(run) == []
    code, out, _ = run("list", "--guild", "42", "--json")
    assert len(json.loads(out)) == 3  # its articles stay


def test_autodiscovery_says_which_feed_was_added(server, run):
    page = server.put("/news", b'<!doctype html><html><head><link rel="alternate" type="application/atom+xml" '
                      b'href="/feeds/guardian-atom.xml"></head><body><p>News</p></body></html>', "text/html")
    code, out, err = run("feed", "add", page)
    assert code == 0
    assert out == f'feed #1 "Politics desk" (2 entries) from {server.url("/feeds/guardian-atom.xml")}\n'
    assert f"found by the link on {page}" in err


def test_a_page_without_a_feed_is_refused(server, run):
    page = server.put("/plain", article_page("Hello", ["Just a page."]), "text/html")
    code, out, err = run("feed", "add", page)
    assert (code, out) == (1, "")
    assert err == f"error: {page}: not a feed, and the page links no feed\n"
    assert listed(run) == []


def test_the_same_url_twice_is_refused(server, run):
    url = server.url("/feeds/sports-rdf.xml")
    run("feed", "add", url)
    code, _, err = run("feed", "add", url)
    assert code == 1 and err == f"error: {url}: already followed as feed #1\n"


def test_at_most_25_feeds_a_server(server, run):
    for n in range(25):
        url = server.put(f"/f{n}.xml", rss(f"Feed {n}", []))
        assert run("feed", "add", url, "--guild", "77")[0] == 0
    url = server.put("/f25.xml", rss("One too many", []))
    code, _, err = run("feed", "add", url, "--guild", "77")
    assert code == 1 and "already follows 25 feeds, the most it can" in err
    assert run("feed", "add", url)[0] == 0  # the shared scope (the operator's) has no such limit


def test_the_commands_as_a_cron_job_would_run_them(server, tmp_path):
    """The installed command in a fresh process: add, poll, list --json, remove."""
    env = {k: v for k, v in os.environ.items()}
    env.update(PYTHONPATH=str(ROOT))
    db = str(tmp_path / "cron.db")

    def articlebot(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "corpus", "--db", db, *argv], env=env, capture_output=True,
                              text=True, timeout=120)

    url = server.url("/feeds/sports-rdf.xml")
    added = articlebot("feed", "add", url)
    assert added.returncode == 0, added.stderr
    assert added.stdout == f'feed #1 "Sports wire" (2 entries) from {url}\n'
    polled = articlebot("feed", "poll", "--force")
    assert polled.returncode == 0 and polled.stdout == ""
    assert polled.stderr.splitlines()[-1].startswith("checked 1 feed: 0 new articles")
    feeds = [json.loads(line) for line in articlebot("feed", "list", "--json").stdout.splitlines()]
    assert [(f["id"], f["state"], f["articles"]) for f in feeds] == [(1, "ok", 2)]
    assert articlebot("feed", "remove", "1").stdout == 'removed feed #1 "Sports wire"\n'
    bad = articlebot("feed", "add", server.url("/nothing-here"))
    assert bad.returncode == 1
    assert bad.stderr == f"error: {server.url('/nothing-here')}: HTTP 404 Not Found from 127.0.0.1\n"
