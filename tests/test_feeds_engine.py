"""Every bad input of issue 21 against the real engine and a local feed server: a clear line or state,
nothing else lost, nothing stored twice, nothing hangs, no request to a private address."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from feedserver import (
    FeedServer,
    article_page,
    bbc_article,
    drip,
    endless,
    redirect_to,
    rss,
    send,
    serve_bbc_pages,
    statuses,
)

from corpus import Corpus
from corpus.cli import main
from corpus.feeds import records
from corpus.feeds.local import LocalRunner
from corpus.feeds.poll import Poller
from corpus.feeds.schedule import Timing
from corpus.reading import fetch as fetch_mod

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["bbc-business-001", "bbc-business-002", "bbc-tech-221", "bbc-politics-052", "bbc-sport-005"]
STORY = " ".join(["The harbour council met on Tuesday to discuss repairs to the old lighthouse roof."] * 10)


@pytest.fixture
def server():
    with FeedServer() as s:
        serve_bbc_pages(s, PAGES)
        yield s


@pytest.fixture(autouse=True)
def feed_env(monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_ALLOW_PRIVATE_URLS", "1")
    monkeypatch.setenv("ARTICLEBOT_SAMPLES", "0")
    monkeypatch.setenv("ARTICLEBOT_FEED_HOST_SPACING", "0")
    monkeypatch.setenv("ARTICLEBOT_FETCH_TIMEOUT", "2")


@pytest.fixture
def run(db_path, capsys):
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["--db", str(db_path), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    run.db = str(db_path)
    return run


def item(server, name: str, guid: str | None = None) -> dict:
    title, _ = bbc_article(name)
    return {"title": title, "link": server.url(f"/articles/{name}"), "guid": guid or name}


def feed_state(run) -> dict:
    code, out, _ = run("feed", "list", "--json")
    return json.loads(out.splitlines()[0])


def article_titles(run, *guild: str) -> list[str]:
    return [a["title"] for a in json.loads(run("list", "--json", *guild)[1])]


def test_malformed_xml_nothing_readable_is_refused(server, run):
    url = server.put("/bad.xml", b'<?xml version="1.0"?>\n<<<<>>>> &&& </', "application/rss+xml")
    code, _, err = run("feed", "add", url)
    assert code == 1 and err.startswith(f"error: {url}: malformed XML, nothing could be read: ")
    assert err.count("\n") == 1
    cut = server.put("/cut.xml", b"<rss><channel><title>Cut short</ti", "application/rss+xml")
    code, out, _ = run("feed", "add", cut)  # an RSS root is read as far as it goes: a feed with no entries
    assert code == 0 and out == f'feed #1 "{cut}" (0 entries) from {cut}\n'  # no title read: named by its URL



def test_malformed_xml_what_parses_is_read(server, run):
    body = rss("Broken", [item(server, "bbc-business-001")]).replace("</channel></rss>", "<item><title>half")
    url = server.put("/broken.xml", body)
    assert run("feed", "add", url)[0] == 0
    assert article_titles(run) == ["Ad sales boost Time Warner profit"]
    assert feed_state(run)["state"] == "ok"


def test_a_50_mb_feed_is_refused(server, run):
    url = server.behave("/huge.xml", endless(50))
    code, _, err = run("feed", "add", url)
    assert code == 1 and err == f"error: {url}: response larger than 5 MB\n"


def test_redirect_loop_is_refused(server, run):
    url = server.behave("/loop-a", redirect_to("/loop-b"))
    server.behave("/loop-b", redirect_to("/loop-a"))
    code, _, err = run("feed", "add", url)
    assert code == 1 and err == f"error: {url}: too many redirects (more than 5)\n"


def test_one_byte_a_second_times_out(server, run):
    url = server.behave("/slow.xml", drip(1.0))
    code, _, err = run("feed", "add", url)
    assert code == 1 and err == f"error: {url}: timed out after 2 s\n"


def test_entity_bomb_feed_is_followed_without_expanding(server, run):
    laughs = "".join(f'<!ENTITY l{i} "{"&l%d;" % (i - 1) * 10 if i else "ha" * 20}">' for i in range(9))
    body = (f'<?xml version="1.0"?><!DOCTYPE rss [{laughs}]><rss version="2.0"><channel><title>Bomb &l8;</title>'
            f'<item><title>Dollar gains on Greenspan speech</title><link>{server.url("/articles/bbc-business-002")}'
            f"</link><description>&l8;&l8;</description></item></channel></rss>")
    url = server.put("/bomb.xml", body)
    code, out, _ = run("feed", "add", url)
    assert code == 0 and "hahaha" not in out
    assert article_titles(run) == ["Dollar gains on Greenspan speech"]


def test_ten_thousand_entries_first_check_indexes_the_newest_twenty(server, run):
    def page(handler) -> int:
        n = handler.path.rsplit("/", 1)[-1]
        return send(handler, 200, article_page(f"Numbered story {n}", [
            f"This is numbered story {n}, about the harbour and its lighthouse keeper number {n}.",
            f"The keeper number {n} said the lamp had been relit on a calm evening."]).encode(), "text/html")

    for n in range(10_000):
        server.behaviours[f"/story/{n}"] = page
    items = [{"title": f"Numbered story {n}", "link": server.url(f"/story/{n}"), "guid": f"s{n}"}
             for n in reversed(range(10_000))]
    url = server.put("/many.xml", rss("Many", items))
    code, out, err = run("feed", "add", url)
    assert code == 0 and out == f'feed #1 "Many" (10000 entries) from {url}\n'
    titles = article_titles(run)
    assert len(titles) == 20 and "Numbered story 9999" in titles and "Numbered story 9980" in titles
    server.put("/many.xml", rss("Many", items) + " ")  # changed: a full read, not a 304
    code, out, _ = run("feed", "poll", "--force")
    assert code == 0 and out == ""  # the older entries were seen at the first check, not indexed later
    assert len(article_titles(run)) == 20


def test_500s_back_off_then_recover(server, run, monkeypatch):
    url = server.put("/flaky.xml", rss("Flaky", [item(server, "bbc-business-001")]))
    run("feed", "add", url)
    good = server.resources["/flaky.xml"]
    server.behave("/flaky.xml", statuses([500, 500], lambda h: send(h, 200, good.body + b" ", good.content_type)))
    code, _, err = run("feed", "poll", "--force")
    assert code == 0 and "HTTP 500" in err
    state = feed_state(run)
    assert state["state"] == "failing" and state["error"].startswith("HTTP 500")
    with Corpus.open(run.db) as corpus:
        feed = records.feeds(corpus.shared)[0]
    assert feed.failures == 1 and feed.next_check > time.time() + 60  # backs off: not checked again at once
    assert "checked 0 feeds" in run("feed", "poll")[2]
    run("feed", "poll", "--force")
    assert feed_state(run)["state"] == "failing"
    run("feed", "poll", "--force")  # the server recovered
    state = feed_state(run)
    assert (state["state"], state["error"]) == ("ok", None)
    assert article_titles(run) == ["Ad sales boost Time Warner profit"]


def test_410_stops_the_feed(server, run):
    url = server.put("/gone.xml", rss("Gone soon", []))
    run("feed", "add", url)
    server.behave("/gone.xml", lambda h: send(h, 410, b"gone", "text/plain"))
    run("feed", "poll", "--force")
    state = feed_state(run)
    assert state["state"] == "stopped" and "HTTP 410" in state["error"]
    hits = len(server.requests_for("/gone.xml"))
    assert "checked 0 feeds" in run("feed", "poll", "--force")[2]  # a stopped feed is not checked
    assert len(server.requests_for("/gone.xml")) == hits


def test_429_waits_for_retry_after(server, run):
    url = server.put("/busy.xml", rss("Busy", []))
    run("feed", "add", url)
    server.behave("/busy.xml", lambda h: send(h, 429, b"slow down", "text/plain", {"Retry-After": "7200"}))
    run("feed", "poll", "--force")
    with Corpus.open(run.db) as corpus:
        feed = records.feeds(corpus.shared)[0]
    assert feed.state == "failing" and feed.next_check >= time.time() + 7000


def test_ten_failures_in_a_row_stop_the_feed(server, run):
    url = server.put("/dying.xml", rss("Dying", []))
    run("feed", "add", url)
    server.behave("/dying.xml", lambda h: send(h, 503, b"down", "text/plain"))
    for _ in range(9):
        run("feed", "poll", "--force")
    assert feed_state(run)["state"] == "failing"
    run("feed", "poll", "--force")
    state = feed_state(run)
    assert state["state"] == "stopped" and state["error"].startswith("10 failed checks in a row")
    server.put("/dying.xml", rss("Alive again", []))
    assert run("feed", "add", url)[0] == 0  # following it again restarts it
    assert feed_state(run)["state"] == "ok"


def test_ids_that_change_every_poll_are_stored_once(server, run):
    entries = [item(server, "bbc-business-001"), item(server, "bbc-tech-221")]

    def fresh_ids(handler) -> int:
        body = rss("Shifty", [dict(e, guid=str(uuid.uuid4())) for e in entries])
        return send(handler, 200, body.encode(), "application/rss+xml")

    url = server.behave("/shifty.xml", fresh_ids)
    run("feed", "add", url)
    for _ in range(3):
        assert run("feed", "poll", "--force")[1] == ""
    assert sorted(article_titles(run)) == ["Ad sales boost Time Warner profit", "Halo 2 heralds traffic explosion"]


def test_the_same_entry_twice_in_one_feed_is_stored_once(server, run):
    twice = [item(server, "bbc-business-002"), item(server, "bbc-business-002")]
    url = server.put("/twice.xml", rss("Twice", twice))
    run("feed", "add", url)
    assert article_titles(run) == ["Dollar gains on Greenspan speech"]
    assert feed_state(run)["articles"] == 1


def test_an_article_added_by_hand_or_another_feed_is_stored_once(server, run):
    run("ingest", server.url("/articles/bbc-sport-005"))
    tracked = dict(item(server, "bbc-sport-005"), link=server.url("/articles/bbc-sport-005?utm_source=rss#x"))
    first = server.put("/one.xml", rss("One", [tracked, item(server, "bbc-politics-052")]))
    second = server.put("/two.xml", rss("Two", [item(server, "bbc-politics-052", guid="other-id")]))
    run("feed", "add", first)
    run("feed", "add", second)
    assert sorted(article_titles(run)) == ["Dibaba breaks 5,000m world record", "Nuclear strike 'key terror risk'"]
    requested = [h.path for h in server.hits]
    assert requested.count("/articles/bbc-politics-052") == 1  # the second feed's entry was known by its link


def test_script_and_javascript_links(server, run):
    items = [
        {"title": "Harbour <script>alert(1)</script> council", "link": "javascript:alert(1)", "guid": "j1",
         "content": f"<p>{STORY}</p><script>alert('stolen')</script>"},
        {"title": "Short one", "link": "javascript:alert(2)", "guid": "j2", "description": "Too short."},
    ]
    url = server.put("/scripts.xml", rss("Scripts", items))
    assert run("feed", "add", url)[0] == 0
    assert article_titles(run) == ["Harbour council"]
    code, out, _ = run("ask", "what did the harbour council discuss", "--json")
    shown = json.dumps(json.loads(out))
    assert "alert" not in shown and "lighthouse" in shown
    with Corpus.open(run.db) as corpus:
        log = [m for _, m in records.log_lines(corpus.shared, 1)]
    assert any("Short one" in m and "only http and https links" in m for m in log)


def test_a_feed_removed_while_it_is_polled(server, run, db_path):
    """The feed is removed (as `feed remove` or `/feed remove` would) while its entries are being read: the
    check ends without writing anything more for it, and nothing fails."""
    names = ["bbc-business-001", "bbc-business-002", "bbc-tech-221"]
    url = server.put("/removed.xml", rss("Removed", [item(server, names[0])]))
    run("feed", "add", url)
    server.put("/removed.xml", rss("Removed", [item(server, n) for n in names]))
    page = server.resources[f"/articles/{names[2]}"]  # newest first: the second page read is business-002

    def remove_then_serve(handler) -> int:
        with Corpus.open(db_path) as other:
            records.remove(other.shared, 1)
        return send(handler, 200, server.resources[f"/articles/{names[1]}"].body, page.content_type)

    server.behave(f"/articles/{names[1]}", remove_then_serve)
    code, out, err = run("feed", "poll", "--force")
    assert code == 0 and "Traceback" not in err
    assert run("feed", "list", "--json")[1] == ""
    with Corpus.open(db_path) as corpus:
        assert corpus.shared.query("SELECT count(*) FROM feed_entries")[0][0] == 0
    assert server.requests_for(f"/articles/{names[0]}") and len(server.requests_for(f"/articles/{names[0]}")) == 1


def test_restart_mid_poll_stores_nothing_twice(server, tmp_path):
    """`articlebot feed poll` killed outright while it reads entry pages; the next run finishes the job."""
    db = str(tmp_path / "restart.db")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "corpus", "--db", db, "feed"]
    url = server.put("/restart.xml", rss("Restart", [item(server, "bbc-sport-005")]))
    assert subprocess.run([*cmd, "add", url], env=env, capture_output=True, timeout=120).returncode == 0
    server.put("/restart.xml", rss("Restart", [item(server, n) for n in PAGES]))
    stuck = threading.Event()
    release = threading.Event()
    held = server.resources["/articles/bbc-tech-221"]

    def hang(handler) -> int:
        stuck.set()
        release.wait(30)
        return send(handler, 200, held.body, held.content_type)

    server.behave("/articles/bbc-tech-221", hang)
    proc = subprocess.Popen([*cmd, "poll", "--force"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert stuck.wait(60), "the poll never reached the page"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        release.set()
    server.put("/articles/bbc-tech-221", held.body, held.content_type)
    again = subprocess.run([*cmd, "poll", "--force"], env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    listed = subprocess.run([sys.executable, "-m", "corpus", "--db", db, "list", "--json"], env=env,
                            capture_output=True, text=True, timeout=60)
    titles = [a["title"] for a in json.loads(listed.stdout)]
    assert sorted(titles) == sorted(bbc_article(n)[0] for n in PAGES)  # each once


# -- private addresses: the feed is on a "public" name mapped to the local server, private ones refused

FAKE_PUBLIC_IP = "93.184.216.34"


@pytest.fixture
def public_net(monkeypatch, server):
    """news.example resolves to a public address that is connected to the local server; any other
    connection fails the test without touching the network."""
    monkeypatch.delenv("ARTICLEBOT_ALLOW_PRIVATE_URLS")
    port = server.base().rsplit(":", 1)[1]
    real_connect = fetch_mod._connect
    connects: list[str] = []
    names = {"news.example": FAKE_PUBLIC_IP, "intranet.example": "10.0.0.7"}

    def resolve(host, port_):
        ip = names.get(host, host)
        return [(socket.AF_INET, (ip, port_))]

    def connect(family, sockaddr, timeout):
        connects.append(sockaddr[0])
        assert sockaddr[0] == FAKE_PUBLIC_IP, f"fetch tried to connect to {sockaddr[0]}"
        return real_connect(socket.AF_INET, ("127.0.0.1", sockaddr[1]), timeout)

    monkeypatch.setattr(fetch_mod, "_resolve", resolve)
    monkeypatch.setattr(fetch_mod, "_connect", connect)
    return f"http://news.example:{port}", connects


def test_entry_links_at_private_addresses_are_refused_and_the_feed_goes_on(server, run, public_net, db_path):
    base, connects = public_net
    port = base.rsplit(":", 1)[1]
    items = [
        {"title": "Intranet", "link": f"http://intranet.example:{port}/articles/bbc-tech-221", "guid": "p1",
         "content": STORY},
        {"title": "Loopback", "link": f"http://127.0.0.1:{port}/articles/bbc-tech-221", "guid": "p2"},
        {"title": "Metadata", "link": "http://169.254.169.254/latest/meta-data/", "guid": "p3"},
        {"title": "Ad sales boost Time Warner profit", "link": f"{base}/articles/bbc-business-001", "guid": "ok"},
    ]
    url = server.put("/mixed.xml", rss("Mixed", items))
    code, out, err = run("feed", "add", f"{base}/mixed.xml")
    assert code == 0, err
    assert article_titles(run) == ["Ad sales boost Time Warner profit"]
    assert set(connects) == {FAKE_PUBLIC_IP}  # no request to a private address
    with Corpus.open(db_path) as corpus:
        log = " ".join(m for _, m in records.log_lines(corpus.shared, 1))
    assert "link refused" in log and "10.0.0.7" in log and "127.0.0.1" in log and "169.254.169.254" in log
    assert url  # the same server, reached by its public name


def test_a_feed_at_a_private_address_is_refused(server, run, public_net):
    code, _, err = run("feed", "add", f"http://intranet.example:{server.base().rsplit(':', 1)[1]}/feed.xml")
    assert code == 1 and "refused: intranet.example resolves to 10.0.0.7, a private address" in err


# -- scheduling and announcing, through the engine's Poller

def poll_once(db_path, force=True):
    async def go():
        with Corpus.open(db_path) as corpus:
            poller = Poller(corpus, LocalRunner(corpus), Timing(interval=900, host_spacing=0))
            return await poller.poll(await poller.due([corpus.shared], force=force))

    return asyncio.run(go())


def test_first_check_announces_nothing_later_at_most_five_and_keywords_choose(server, run, db_path):
    url = server.put("/news.xml", rss("News", [item(server, "bbc-sport-005")]))
    code, _, _ = run("feed", "add", url, "--keywords", "Greenspan dollars")
    assert code == 0
    names = ["bbc-business-001", "bbc-business-002", "bbc-tech-221", "bbc-politics-052"]
    server.put("/news.xml", rss("News", [item(server, n) for n in names] + [item(server, "bbc-sport-005")]))
    [result] = poll_once(db_path)
    assert len(result.added) == 4
    chosen, more = result.announcements()
    assert [a.title for a in chosen] == ["Dollar gains on Greenspan speech"] and more == 0  # "dollars" -> dollar


def test_announcements_stop_at_five_and_say_how_many_more(server, run, db_path):
    def page(handler) -> int:
        n = handler.path.rsplit("/", 1)[-1]
        return send(handler, 200, article_page(f"Numbered story {n}", [
            f"This is numbered story {n}, about the harbour and its lighthouse keeper number {n}.",
            f"The keeper number {n} said the lamp had been relit on a calm evening."]).encode(), "text/html")

    for n in range(12):
        server.behaviours[f"/story/{n}"] = page
    url = server.put("/burst.xml", rss("Burst", []))
    run("feed", "add", url)
    server.put("/burst.xml", rss("Burst", [{"title": f"Story {n}", "link": server.url(f"/story/{n}"), "guid": str(n)}
                                           for n in range(12)]))
    [result] = poll_once(db_path)
    chosen, more = result.announcements()
    assert len(result.added) == 12 and len(chosen) == 5 and more == 7


def test_ttl_and_max_age_make_the_interval_longer(server, run, db_path):
    url = server.put("/slowfeed.xml", rss("Slow", [], extra="<ttl>120</ttl>"))
    run("feed", "add", url)
    with Corpus.open(db_path) as corpus:
        feed = records.feeds(corpus.shared)[0]
    assert feed.asked_interval == 7200 and feed.next_check >= time.time() + 7000
    url = server.put("/cached.xml", rss("Cached", []), headers={"Cache-Control": "public, max-age=3600"})
    run("feed", "add", url)
    with Corpus.open(db_path) as corpus:
        feed = records.feeds(corpus.shared)[1]
    assert feed.next_check >= time.time() + 3500
