"""corpus.reading.fetch: safe fetching of article URLs (issue 6).

Everything runs against a threaded HTTP server on 127.0.0.1 (ephemeral port)
serving the saved pages in tests/fixtures/pages/.  No other host is ever
contacted: tests that need a "public" host resolve the made-up name
news.example to a public-looking address through a patched resolver, and a
patched connector sends connections for that address to the local server and
fails the test on any attempt to connect anywhere else.
"""

from __future__ import annotations

import gzip
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

import corpus.reading.fetch as fetch_mod
from corpus.errors import FetchError, IngestError
from corpus.reading.fetch import Fetched, address_refusal, fetch
from corpus.settings import SettingsError

PAGES = Path(__file__).parent / "fixtures" / "pages"
ARTICLE = (PAGES / "article.html").read_bytes()
NOTES = (PAGES / "notes.md").read_bytes()
ZEBRAS = (PAGES / "zebras.html").read_bytes()              # canonical and og:url on phish.example
ZEBRAS_DATED = (PAGES / "zebras-dated.html").read_bytes()  # canonical {origin}/zebras, JSON-LD dates
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64

# A global unicast address that passes the real address check.  It is never
# connected to: the patched connector maps it to the local test server.
FAKE_PUBLIC_IP = "93.184.216.34"
PRIVATE_HINT = "ARTICLEBOT_ALLOW_PRIVATE_URLS=1"


# --------------------------------------------------------------------------
# local server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, status, body=b"", ctype="text/html; charset=utf-8", headers=()):
        self.send_response(status)
        if ctype is not None:
            self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, ctype, chunk, interval_event=None, max_chunks=10_000):
        """Send headers and then ``chunk`` repeatedly, with no Content-Length."""
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            for _ in range(max_chunks):
                self.wfile.write(chunk)
                self.wfile.flush()
                if interval_event is not None:
                    # wait (but stop at once when the test ends)
                    if self.server.stopping.wait(0.02):
                        return
        except OSError:
            return  # client went away, as it should

    def do_GET(self):
        srv = self.server
        srv.requests.append((self.path, dict(self.headers.items())))
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/article":
            self._send(200, ARTICLE)
        elif path == "/zebras":
            self._send(200, ZEBRAS)
        elif path == "/zebras-moved":
            origin = f"http://{self.headers['Host']}".encode()
            self._send(200, ZEBRAS_DATED.replace(b"{origin}", origin))
        elif path == "/zebras-www":  # served as www.savanna-notes.co.uk, canonical on the bare domain
            self._send(200, ZEBRAS.replace(b"https://phish.example/claim", b"https://savanna-notes.co.uk/zebras"))
        elif path == "/notes.md":
            self._send(200, NOTES, "text/markdown; charset=utf-8")
        elif path == "/latin1":
            self._send(200, "<p>caf\u00e9 cr\u00e8me</p>".encode("latin-1"), "text/html; charset=ISO-8859-1")
        elif path == "/bad-charset":
            self._send(200, ARTICLE, "text/html; charset=x-no-such-codec")
        elif path == "/x-markdown":
            self._send(200, NOTES, "text/x-markdown")
        elif path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(ARTICLE), 700):
                piece = ARTICLE[i:i + 700]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/many-headers":
            self.send_response(200)
            for i in range(150):
                self.send_header(f"X-Filler-{i}", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/xhtml":
            self._send(200, ARTICLE, "application/xhtml+xml")
        elif path == "/image.png":
            self._send(200, PNG, "image/png")
        elif path == "/pdf":
            self._send(200, b"%PDF-1.7\n", "application/pdf")
        elif path == "/no-type-html":
            self._send(200, ARTICLE, None)
        elif path == "/no-type-binary":
            self._send(200, PNG * 20, None)
        elif path == "/gzip":
            self._send(200, gzip.compress(ARTICLE), headers=[("Content-Encoding", "gzip")])
        elif path == "/deflate":
            self._send(200, zlib.compress(ARTICLE), headers=[("Content-Encoding", "deflate")])
        elif path == "/brotli":
            self._send(200, b"\x0b\x02\x80", headers=[("Content-Encoding", "br")])
        elif path == "/gzip-bomb":
            self._send(200, gzip.compress(b"<p>" + b"a" * (12 * 1024 * 1024)),
                       headers=[("Content-Encoding", "gzip")])
        elif path == "/redirect":
            self._send(int(query.get("code", ["302"])[0]), b"", headers=[("Location", query["to"][0])])
        elif path.startswith("/chain/"):
            left = int(path.rsplit("/", 1)[1])
            target = "/article" if left <= 1 else f"/chain/{left - 1}"  # N redirects
            self._send(301, b"", headers=[("Location", target)])
        elif path.startswith("/loop/"):
            n = int(path.rsplit("/", 1)[1])
            self._send(302, b"", headers=[("Location", f"/loop/{n + 1}")])
        elif path == "/redirect-no-location":
            self._send(302, b"")
        elif path == "/missing":
            self._send(404, b"<h1>Not Found</h1>")
        elif path == "/drip":
            # headers at once, then one byte every 20 ms "forever" (about 3 minutes)
            self._stream("text/html", b"a", interval_event=True, max_chunks=9000)
        elif path == "/slow-headers":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for i in range(9000):
                try:
                    self.wfile.write(f"X-Slow-{i}: 1\r\n".encode())
                    self.wfile.flush()
                except OSError:
                    return
                if srv.stopping.wait(0.02):
                    return
            self.close_connection = True
        elif path == "/endless":
            # about 640 MB at full speed if nobody stops reading
            self._stream("text/html", b"<p>" + b"x" * 65533)
        elif path == "/declared-huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(6 * 1024 * 1024))
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
        else:
            self._send(404, b"no such page")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler):
        super().__init__(addr, handler)
        self.requests: list[tuple[str, dict]] = []
        self.stopping = threading.Event()


@pytest.fixture(scope="module")
def server():
    srv = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.stopping.set()
        srv.shutdown()
        srv.server_close()


@pytest.fixture()
def local(server):
    """Base URL of the local server (a loopback address) and a fresh request log."""
    server.requests.clear()
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture()
def net(server, monkeypatch):
    """Pretend the internet exists: made-up names resolve to made-up addresses.

    Returns an object with ``base`` (http://news.example:PORT), ``connects``
    (every address fetch tried to connect to) and ``names`` (the host-name map).
    Connections to FAKE_PUBLIC_IP go to the local server; a connection to
    anything except that or 127.0.0.1 fails the test without touching the network.
    """
    server.requests.clear()
    port = server.server_address[1]
    real_connect = fetch_mod._connect

    class Net:
        base = f"http://news.example:{port}"
        connects: list[str] = []
        resolved: list[str] = []
        names = {
            "news.example": [FAKE_PUBLIC_IP],
            "other.example": [FAKE_PUBLIC_IP],
            "intranet.example": ["10.0.0.7"],
            "metadata.example": ["169.254.169.254"],
            "mixed.example": [FAKE_PUBLIC_IP, "127.0.0.1"],
            "v6.example": ["fd00::5"],
            "mapped.example": ["::ffff:127.0.0.1"],
        }

    def fake_resolve(host, port_):
        Net.resolved.append(host)
        try:
            ips = [str(ipaddress.ip_address(host))]
        except ValueError:
            if host not in Net.names:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            ips = Net.names[host]
        out = []
        for ip in ips:
            if ":" in ip:
                out.append((socket.AF_INET6, (ip, port_, 0, 0)))
            else:
                out.append((socket.AF_INET, (ip, port_)))
        return out

    def guarded_connect(family, sockaddr, timeout):
        Net.connects.append(sockaddr[0])
        if sockaddr[0] == FAKE_PUBLIC_IP:
            return real_connect(socket.AF_INET, ("127.0.0.1", sockaddr[1]), timeout)
        if sockaddr[0] == "127.0.0.1":
            return real_connect(family, sockaddr, timeout)
        raise AssertionError(f"fetch tried to connect to {sockaddr[0]}")

    monkeypatch.setattr(fetch_mod, "_resolve", fake_resolve)
    monkeypatch.setattr(fetch_mod, "_connect", guarded_connect)
    Net.connects = []
    Net.resolved = []
    return Net


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("ARTICLEBOT_ALLOW_PRIVATE_URLS", raising=False)
    monkeypatch.delenv("ARTICLEBOT_FETCH_TIMEOUT", raising=False)


def refused(excinfo) -> str:
    msg = str(excinfo.value)
    assert "\n" not in msg, "reasons must be one line"
    return msg


# --------------------------------------------------------------------------
# the happy path


def test_fetches_article_from_local_server_when_private_allowed(local, server):
    page = fetch(f"{local}/article", allow_private=True)
    assert isinstance(page, Fetched)
    assert page.url == f"{local}/article"
    assert page.content_type == "text/html"
    assert page.charset == "utf-8"
    assert page.body == ARTICLE
    path, headers = server.requests[-1]
    assert path == "/article"
    assert headers["User-Agent"].startswith("articlebot/")
    assert headers.get("Accept-Encoding", "identity") == "identity"


def test_fetch_error_is_an_ingest_error(local):
    with pytest.raises(IngestError):
        fetch(f"{local}/article", allow_private=False)


def test_public_host_is_fetched_from_the_checked_address_with_its_host_name(net, server):
    page = fetch(f"{net.base}/article")
    assert page.body == ARTICLE
    assert page.url == f"{net.base}/article"
    assert net.resolved == ["news.example"]          # resolved once, not again at connect time
    assert net.connects == [FAKE_PUBLIC_IP]          # connected to exactly that address
    _, headers = server.requests[-1]
    assert headers["Host"] == f"news.example:{server.server_address[1]}"


def test_markdown_xhtml_and_charset(local):
    md = fetch(f"{local}/notes.md", allow_private=True)
    assert md.content_type == "text/markdown" and md.body == NOTES
    xhtml = fetch(f"{local}/xhtml", allow_private=True)
    assert xhtml.content_type == "application/xhtml+xml"
    assert fetch(f"{local}/x-markdown", allow_private=True).content_type == "text/markdown"
    # an unknown charset label is dropped so the caller detects the encoding instead of crashing
    assert fetch(f"{local}/bad-charset", allow_private=True).charset is None
    latin = fetch(f"{local}/latin1", allow_private=True)
    assert latin.charset == "ISO-8859-1"
    assert latin.body.decode(latin.charset) == "<p>caf\u00e9 cr\u00e8me</p>"


def test_compressed_responses_are_decoded(local):
    assert fetch(f"{local}/gzip", allow_private=True).body == ARTICLE
    assert fetch(f"{local}/deflate", allow_private=True).body == ARTICLE
    with pytest.raises(FetchError) as e:
        fetch(f"{local}/brotli", allow_private=True)
    assert "content encoding br" in refused(e)


def test_chunked_response(local):
    assert fetch(f"{local}/chunked", allow_private=True).body == ARTICLE


def test_header_flood_refused(local):
    with pytest.raises(FetchError) as e:
        fetch(f"{local}/many-headers", allow_private=True)
    assert refused(e).startswith("bad response from 127.0.0.1")


def test_missing_content_type_is_sniffed(local):
    assert fetch(f"{local}/no-type-html", allow_private=True).content_type == "text/html"
    with pytest.raises(FetchError) as e:
        fetch(f"{local}/no-type-binary", allow_private=True)
    assert refused(e).startswith("not an article")


# --------------------------------------------------------------------------
# private addresses


def test_loopback_refused_without_allow_private_and_no_request_made(local, server):
    with pytest.raises(FetchError) as e:
        fetch(f"{local}/article")
    assert refused(e) == (
        "refused: 127.0.0.1 is a loopback address "
        "(set ARTICLEBOT_ALLOW_PRIVATE_URLS=1 to allow private addresses; unsafe)"
    )
    assert server.requests == []


@pytest.mark.parametrize("value, allowed", [("1", True), ("true", True), ("TRUE", True),
                                            ("0", False), ("", False), ("no", False)])
def test_allow_private_env(local, monkeypatch, value, allowed):
    monkeypatch.setenv("ARTICLEBOT_ALLOW_PRIVATE_URLS", value)
    if allowed:
        assert fetch(f"{local}/article").body == ARTICLE
    else:
        with pytest.raises(FetchError, match="loopback"):
            fetch(f"{local}/article")


def test_explicit_allow_private_false_beats_env(local, monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_ALLOW_PRIVATE_URLS", "1")
    with pytest.raises(FetchError, match="loopback"):
        fetch(f"{local}/article", allow_private=False)


def test_localhost_name_refused(server):
    # real resolver, but "localhost" never leaves the machine
    with pytest.raises(FetchError) as e:
        fetch(f"http://localhost:{server.server_address[1]}/article")
    msg = refused(e)
    assert msg.startswith("refused: localhost resolves to ") and "loopback address" in msg


@pytest.mark.parametrize("host, kind", [
    ("intranet.example", "10.0.0.7, a private address"),
    ("metadata.example", "169.254.169.254, a link-local address"),
    ("mixed.example", "127.0.0.1, a loopback address"),     # one bad address is enough
    ("v6.example", "fd00::5, a private address"),
    ("mapped.example", "::ffff:127.0.0.1, a loopback address"),
])
def test_dns_name_resolving_to_private_address_refused(net, host, kind):
    with pytest.raises(FetchError) as e:
        fetch(f"http://{host}/article")
    assert refused(e).startswith(f"refused: {host} resolves to {kind}")
    assert PRIVATE_HINT in refused(e)
    assert net.connects == []


@pytest.mark.parametrize("host", ["2130706433", "0x7f.0.0.1", "127.1", "0177.0.0.1", "[::1]",
                                  "[::ffff:127.0.0.1]", "0.0.0.0", "[::]"])
def test_odd_spellings_of_loopback_refused(local, host, server):
    # the address is checked after resolution, so every spelling inet_aton accepts is caught
    with pytest.raises(FetchError) as e:
        fetch(f"http://{host}:{server.server_address[1]}/article")
    msg = refused(e)
    assert msg.startswith("refused: ") and PRIVATE_HINT in msg
    assert server.requests == []


def test_redirect_to_metadata_address_refused_before_connecting(net, server):
    metadata = "http://169.254.169.254/latest/meta-data"
    with pytest.raises(FetchError) as e:
        fetch(f"{net.base}/redirect?to={metadata}")
    assert refused(e).startswith("refused: 169.254.169.254 is a link-local address")
    assert net.connects == [FAKE_PUBLIC_IP]   # only the first hop was ever connected to
    assert [p for p, _ in server.requests] == [f"/redirect?to={metadata}"]


@pytest.mark.parametrize("to", [
    "http://127.0.0.1:{port}/article",
    "http://[::1]:{port}/article",
    "http://[::ffff:169.254.169.254]/latest/meta-data",
    "http://intranet.example/admin",
    "http://localhost:{port}/article",
])
def test_redirect_to_private_address_refused(net, server, to):
    port = server.server_address[1]
    net.names["localhost"] = ["127.0.0.1"]
    with pytest.raises(FetchError) as e:
        fetch(f"{net.base}/redirect?to=" + to.format(port=port))
    assert refused(e).startswith("refused: ")
    assert "reached by a redirect" in refused(e)
    assert net.connects == [FAKE_PUBLIC_IP]
    assert len(server.requests) == 1


def test_redirect_to_loopback_followed_when_allowed(net, server):
    port = server.server_address[1]
    page = fetch(f"{net.base}/redirect?to=http://127.0.0.1:{port}/article", allow_private=True)
    assert page.url == f"http://127.0.0.1:{port}/article"
    assert page.body == ARTICLE


# --------------------------------------------------------------------------
# the address check itself


@pytest.mark.parametrize("ip, kind", [
    ("127.0.0.1", "loopback"),
    ("127.255.0.9", "loopback"),
    ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:169.254.169.254", "link-local"),
    ("169.254.169.254", "link-local"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("10.0.0.1", "private"),
    ("172.16.5.4", "private"),
    ("192.168.1.1", "private"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("100.64.0.1", "not a public"),          # carrier-grade NAT
    ("2002:7f00:1::", "loopback"),            # 6to4 wrapping 127.0.0.1
    ("2002:a9fe:a9fe::", "link-local"),       # 6to4 wrapping 169.254.169.254
    ("64:ff9b::a9fe:a9fe", "link-local"),     # NAT64 wrapping 169.254.169.254
    ("64:ff9b::7f00:1", "loopback"),
    ("::7f00:1", "loopback"),                 # IPv4-compatible
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", ""),  # Teredo
])
def test_address_check_refuses(ip, kind):
    why = address_refusal(ip)
    assert why is not None, f"{ip} should be refused"
    assert kind in why
    assert not fetch_mod.is_public_address(ip)


@pytest.mark.parametrize("ip", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111",
                                "64:ff9b::808:808", "2002:808:808::1"])
def test_address_check_accepts_public(ip):
    assert address_refusal(ip) is None
    assert fetch_mod.is_public_address(ipaddress.ip_address(ip))


# --------------------------------------------------------------------------
# redirects


def test_five_redirects_are_followed(net):
    page = fetch(f"{net.base}/chain/5")
    assert page.url == f"{net.base}/article"
    assert page.body == ARTICLE
    assert len(net.connects) == 6


def test_redirect_loop_refused(net, server):
    with pytest.raises(FetchError) as e:
        fetch(f"{net.base}/loop/0")
    assert refused(e) == "too many redirects (more than 5)"
    assert len(server.requests) == 6       # the first request and 5 redirects, then stop


def test_six_redirects_refused(net):
    with pytest.raises(FetchError, match=r"^too many redirects \(more than 5\)$"):
        fetch(f"{net.base}/chain/6")


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect_codes(net, code):
    page = fetch(f"{net.base}/redirect?code={code}&to=/notes.md")
    assert page.url == f"{net.base}/notes.md"
    assert page.content_type == "text/markdown"


@pytest.mark.parametrize("to", ["file:///etc/passwd", "ftp://news.example/x", "gopher://news.example/"])
def test_redirect_to_other_scheme_refused(net, to):
    with pytest.raises(FetchError) as e:
        fetch(f"{net.base}/redirect?to={to}")
    assert refused(e).startswith("refused: only http and https")
    assert net.connects == [FAKE_PUBLIC_IP]


def test_redirect_without_location(net):
    with pytest.raises(FetchError, match="redirect without a Location"):
        fetch(f"{net.base}/redirect-no-location")


# --------------------------------------------------------------------------
# time and size limits


def test_endless_drip_stopped_by_total_deadline(local):
    # one byte every 20 ms: every single read is quick, only a total deadline stops it
    with pytest.raises(FetchError) as e:
        fetch(f"{local}/drip", allow_private=True, timeout=0.5)
    assert refused(e) == "timed out after 0.5 s"


def test_slow_headers_stopped_by_total_deadline(local):
    with pytest.raises(FetchError) as e:
        fetch(f"{local}/slow-headers", allow_private=True, timeout=0.5)
    assert refused(e) == "timed out after 0.5 s"


def test_timeout_from_env(local, monkeypatch):
    monkeypatch.setenv("ARTICLEBOT_FETCH_TIMEOUT", "0.4")
    with pytest.raises(FetchError) as e:
        fetch(f"{local}/drip", allow_private=True)
    assert refused(e) == "timed out after 0.4 s"


@pytest.mark.parametrize("bad", ["soon", "0", "-3", "inf", "nan"])
def test_bad_timeout_env_is_reported(local, monkeypatch, bad):
    monkeypatch.setenv("ARTICLEBOT_FETCH_TIMEOUT", bad)
    with pytest.raises(SettingsError, match="ARTICLEBOT_FETCH_TIMEOUT must be a positive number"):
        fetch(f"{local}/article", allow_private=True)


def test_hanging_dns_stopped_by_deadline(monkeypatch):
    release = threading.Event()

    def stuck_resolver(host, port):
        release.wait(30)
        raise socket.gaierror(socket.EAI_AGAIN, "gave up")

    monkeypatch.setattr(fetch_mod, "_resolve", stuck_resolver)
    try:
        with pytest.raises(FetchError) as e:
            fetch("http://slow-dns.example/", timeout=0.3)
        assert refused(e) == "timed out after 0.3 s"
    finally:
        release.set()


def test_unknown_host(net):
    with pytest.raises(FetchError, match=r"^could not resolve nowhere\.example"):
        fetch("http://nowhere.example/")


def test_endless_body_stopped_by_size_limit(local):
    with pytest.raises(FetchError) as e:
        fetch(f"{local}/endless", allow_private=True, max_bytes=200_000)
    assert refused(e) == "response larger than 200 KB"


def test_endless_body_stopped_at_5_mb_by_default(local):
    with pytest.raises(FetchError) as e:
        fetch(f"{local}/endless", allow_private=True)
    assert refused(e) == "response larger than 5 MB"


def test_declared_length_over_limit_refused_without_reading(local):
    with pytest.raises(FetchError) as e:
        fetch(f"{local}/declared-huge", allow_private=True)
    assert refused(e) == "response larger than 5 MB"


def test_gzip_bomb_stopped_by_size_limit(local):
    with pytest.raises(FetchError) as e:
        fetch(f"{local}/gzip-bomb", allow_private=True)
    assert refused(e) == "response larger than 5 MB"


def test_page_exactly_at_the_limit_is_accepted(local):
    page = fetch(f"{local}/article", allow_private=True, max_bytes=len(ARTICLE))
    assert page.body == ARTICLE
    with pytest.raises(FetchError, match="response larger than"):
        fetch(f"{local}/article", allow_private=True, max_bytes=len(ARTICLE) - 1)


# --------------------------------------------------------------------------
# content types and HTTP errors


def test_image_refused(local):
    with pytest.raises(FetchError) as e:
        fetch(f"{local}/image.png", allow_private=True)
    assert refused(e) == "not an article: content type image/png"


def test_pdf_refused(local):
    with pytest.raises(FetchError, match="^not an article: content type application/pdf$"):
        fetch(f"{local}/pdf", allow_private=True)


def test_http_error_status(local):
    with pytest.raises(FetchError) as e:
        fetch(f"{local}/missing", allow_private=True)
    assert refused(e) == "HTTP 404 Not Found from 127.0.0.1"


def test_connection_refused(allow_closed_port):
    with pytest.raises(FetchError) as e:
        fetch(f"http://127.0.0.1:{allow_closed_port}/", allow_private=True, timeout=5)
    assert refused(e).startswith("could not connect to 127.0.0.1:")


@pytest.fixture()
def allow_closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --------------------------------------------------------------------------
# URLs


@pytest.mark.parametrize("url, scheme", [
    ("file:///etc/passwd", "file"),
    ("ftp://example.com/article.txt", "ftp"),
    ("gopher://example.com/", "gopher"),
    ("javascript:alert(1)", "javascript"),
    ("data:text/html,<p>hi</p>", "data"),
    ("FILE:///etc/passwd", "file"),
])
def test_non_http_schemes_refused(url, scheme, monkeypatch):
    monkeypatch.setattr(fetch_mod, "_resolve", lambda *a: pytest.fail("resolved a non-http URL"))
    with pytest.raises(FetchError) as e:
        fetch(url, allow_private=True)
    assert refused(e) == f"refused: only http and https URLs can be fetched, not {scheme}://"


@pytest.mark.parametrize("url", [
    "http://user:secret@news.example/article",
    "http://user@news.example/article",
    "https://:pw@news.example/",
])
def test_credentials_in_url_refused(url, monkeypatch):
    monkeypatch.setattr(fetch_mod, "_resolve", lambda *a: pytest.fail("resolved a URL with credentials"))
    with pytest.raises(FetchError) as e:
        fetch(url, allow_private=True)
    assert refused(e) == "refused: URLs with a user name or password are not fetched"


@pytest.mark.parametrize("url", [
    "", "   ", "news.example/article", "http://", "http:///article", "http://exa mple.com/",
    "http://news.example:99999/", "http://news.example:port/", "http://[::1/", "http://[zz::1]/",
    "http://news.example/\r\nX-Injected: 1", "https://news.example\x00.evil/",
])
def test_malformed_urls_refused(url, monkeypatch):
    monkeypatch.setattr(fetch_mod, "_resolve", lambda *a: pytest.fail(f"resolved {url!r}"))
    with pytest.raises(FetchError) as e:
        fetch(url, allow_private=True)
    assert refused(e).startswith("malformed URL")


def test_non_default_ports_allowed_and_url_normalised(net, server):
    port = server.server_address[1]
    page = fetch(f"  HTTP://News.Example:{port}/article#comments  ")
    assert page.url == f"http://news.example:{port}/article"
    assert page.body == ARTICLE


def test_non_ascii_path_is_percent_encoded(net, server):
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(f"{net.base}/caf\u00e9?q=cr\u00e8me")
    path, _ = server.requests[-1]
    assert path == "/caf%C3%A9?q=cr%C3%A8me"


# --------------------------------------------------------------------------
# HTTPS: socket pinned to the checked address, SNI and certificate by host name

_OPENSSL = shutil.which("openssl")


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    if _OPENSSL is None:
        pytest.skip("openssl command not available to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [_OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=news.example", "-addext", "subjectAltName=DNS:news.example",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    srv = _Server(("127.0.0.1", 0), _Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv, cert
    finally:
        srv.stopping.set()
        srv.shutdown()
        srv.server_close()


@pytest.fixture()
def trust_test_cert(tls_server, monkeypatch):
    _, cert = tls_server

    def ctx():
        c = ssl.create_default_context(cafile=str(cert))
        return c

    monkeypatch.setattr(fetch_mod, "_ssl_context", ctx)


def test_https_pinned_address_with_sni_and_hostname_check(net, tls_server, trust_test_cert):
    srv, _ = tls_server
    port = srv.server_address[1]
    page = fetch(f"https://news.example:{port}/article")
    assert page.body == ARTICLE
    assert net.connects == [FAKE_PUBLIC_IP]
    assert srv.requests[-1][1]["Host"] == f"news.example:{port}"


def test_https_certificate_for_another_name_refused(net, tls_server, trust_test_cert):
    srv, _ = tls_server
    # other.example resolves to the same address, but the certificate is for news.example
    with pytest.raises(FetchError) as e:
        fetch(f"https://other.example:{srv.server_address[1]}/article")
    assert refused(e).startswith("TLS certificate for other.example not accepted")


def test_https_untrusted_certificate_refused(net, tls_server):
    srv, _ = tls_server
    with pytest.raises(FetchError, match="TLS certificate for news.example not accepted"):
        fetch(f"https://news.example:{srv.server_address[1]}/article")


# --------------------------------------------------------------------------
# through the engine: what `articlebot ingest URL` does


def test_document_from_url_uses_the_safe_fetcher(local):
    from corpus.reading import ingest

    doc = ingest.document_from_url(f"{local}/article", allow_private=True)
    assert doc.title == "How Lighthouses Keep Their Lamps Turning"
    assert any("liquid mercury" in p for p in doc.paragraphs)
    assert not any("All rights reserved" in p for p in doc.paragraphs)
    md = ingest.document_from_url(f"{local}/notes.md", allow_private=True)
    assert md.title == "Tide Tables for Beginners"
    with pytest.raises(FetchError, match="loopback"):
        ingest.document_from_url(f"{local}/article")


# --------------------------------------------------------------------------
# what a fetched page may claim about itself (issue #11): its link and its date


def test_a_page_cannot_choose_the_link_answers_cite(local, corpus):
    """/zebras declares canonical and og:url https://phish.example/claim: answers link to /zebras."""
    from corpus.reading import ingest

    doc = ingest.document_from_url(f"{local}/zebras", allow_private=True)
    assert doc.url == f"{local}/zebras"
    corpus.add(doc)
    answer = corpus.ask("why do zebras have stripes")
    assert answer.results and answer.results[0].title == "Why Zebras Have Stripes"
    assert {r.url for r in answer.results if r.title == "Why Zebras Have Stripes"} == {f"{local}/zebras"}
    # A canonical on the same host and port is the page's own address, and is cited.
    moved = ingest.document_from_url(f"{local}/zebras-moved", allow_private=True)
    assert moved.url == f"{local}/zebras"


def test_a_redirected_page_cites_the_final_address_not_its_canonical(local):
    from corpus.reading import ingest

    doc = ingest.document_from_url(f"{local}/redirect?to=/zebras", allow_private=True)
    assert doc.url == f"{local}/zebras"


def test_a_canonical_on_the_same_registrable_domain_is_cited(net, monkeypatch):
    from corpus.reading import ingest

    monkeypatch.setitem(net.names, "www.savanna-notes.co.uk", [FAKE_PUBLIC_IP])
    port = net.base.rsplit(":", 1)[1]
    doc = ingest.document_from_url(f"http://www.savanna-notes.co.uk:{port}/zebras-www")
    assert doc.url == "https://savanna-notes.co.uk/zebras"
    # news.example has no public suffix: only that exact host (and port) is its own site.
    doc = ingest.document_from_url(f"{net.base}/zebras-www")
    assert doc.url == f"{net.base}/zebras-www"


def test_published_is_the_date_the_page_declares_never_a_copyright_year(local):
    """/zebras has only a "Copyright 2024" footer; /zebras-moved declares datePublished 2023-07-02
    in JSON-LD, with article:modified_time 2024-02-01 and the same footer."""
    from corpus.reading import ingest

    assert ingest.document_from_url(f"{local}/zebras", allow_private=True).published is None
    assert ingest.document_from_url(f"{local}/zebras-moved", allow_private=True).published == "2023-07-02"
