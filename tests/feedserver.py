"""A local feed server for the tests and benchmarks/feeds.py: 127.0.0.1 only, a thread per request.

Each path serves what a test put there: a feed (with ETag and Last-Modified, answering conditional GETs
with 304), an article page, or a misbehaviour (a status sequence, a redirect loop, one byte a second, an
endless body). Every request is recorded (path, headers, status), so a test can say what was asked.
"""

from __future__ import annotations

import hashlib
import html
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Optional

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class Resource:
    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    modified: float = field(default_factory=time.time)
    validators: bool = True            # ETag and Last-Modified, and 304 for a conditional GET
    headers: dict = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass
class Hit:
    path: str
    headers: dict
    status: int
    port: int


Behaviour = Callable[[BaseHTTPRequestHandler], Optional[int]]


class FeedServer:
    def __init__(self, ports: int = 1) -> None:
        self.resources: dict[str, Resource] = {}
        self.behaviours: dict[str, Behaviour] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self._servers = [ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class()) for _ in range(ports)]
        for server in self._servers:
            server.daemon_threads = True
        self._threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
                         for s in self._servers]

    # -- life --------------------------------------------------------------------------------------
    def __enter__(self) -> "FeedServer":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def base(self, index: int = 0) -> str:
        return f"http://127.0.0.1:{self._servers[index].server_address[1]}"

    def url(self, path: str, index: int = 0) -> str:
        return self.base(index) + path

    # -- content -----------------------------------------------------------------------------------
    def put(self, path: str, body: bytes | str, content_type: str = "application/rss+xml; charset=utf-8",
            **options) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        old = self.resources.get(path)
        if old is not None and old.body == data and old.content_type == content_type:
            return self.url(path)
        self.resources[path] = Resource(data, content_type, **options)
        self.behaviours.pop(path, None)
        return self.url(path)

    def behave(self, path: str, behaviour: Behaviour) -> str:
        self.behaviours[path] = behaviour
        return self.url(path)

    def requests_for(self, path: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.path.split("?")[0] == path]

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                status = server._answer(self)
                with server._lock:
                    server.hits.append(Hit(self.path, dict(self.headers), status or 0, self.server.server_address[1]))

        return Handler

    def _answer(self, handler: BaseHTTPRequestHandler) -> int | None:
        path = handler.path.split("?")[0]
        behaviour = self.behaviours.get(path)
        if behaviour is not None:
            return behaviour(handler)
        resource = self.resources.get(path)
        if resource is None:
            return send(handler, 404, b"not found", "text/plain")
        extra = dict(resource.headers)
        if resource.validators:
            extra["ETag"] = resource.etag
            extra["Last-Modified"] = formatdate(resource.modified, usegmt=True)
            if _not_modified(handler, resource):
                return send(handler, 304, b"", None, extra)
        return send(handler, 200, resource.body, resource.content_type, extra)


def _not_modified(handler: BaseHTTPRequestHandler, resource: Resource) -> bool:
    tag = handler.headers.get("If-None-Match")
    if tag is not None:
        return tag.strip() == resource.etag
    since = handler.headers.get("If-Modified-Since")
    if since:
        try:
            return int(resource.modified) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False
    return False


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str | None,
         headers: dict | None = None) -> int:
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    if status != 304:
        handler.send_header("Content-Length", str(len(body)))
    handler.send_header("Connection", "close")
    handler.end_headers()
    if status != 304 and body:
        try:
            handler.wfile.write(body)
        except OSError:
            pass
    return status


# -- misbehaviours ---------------------------------------------------------------------------------

def statuses(codes: list[int], then: Callable[[BaseHTTPRequestHandler], int | None],
             headers: dict | None = None) -> Behaviour:
    """Answer with these statuses in turn (500, 500...), then as ``then`` does."""
    left = list(codes)

    def behaviour(handler: BaseHTTPRequestHandler) -> int | None:
        if left:
            return send(handler, left.pop(0), b"try later", "text/plain", headers)
        return then(handler)

    return behaviour


def redirect_to(target: str) -> Behaviour:
    def behaviour(handler: BaseHTTPRequestHandler) -> int:
        return send(handler, 302, b"", "text/plain", {"Location": target})

    return behaviour


def drip(seconds_per_byte: float = 1.0, total: int = 10_000) -> Behaviour:
    """One byte at a time: the fetch's deadline must end it."""
    def behaviour(handler: BaseHTTPRequestHandler) -> int:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Length", str(total))
        handler.end_headers()
        try:
            for _ in range(total):
                handler.wfile.write(b" ")
                handler.wfile.flush()
                time.sleep(seconds_per_byte)
        except OSError:
            pass
        return 200

    return behaviour


def endless(megabytes: int = 50) -> Behaviour:
    """A feed of ``megabytes`` MB sent without a length: the size cap must stop reading it."""
    def behaviour(handler: BaseHTTPRequestHandler) -> int:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Connection", "close")
        handler.end_headers()
        chunk = b"<item><title>x</title><link>http://127.0.0.1/x</link></item>" * 1000
        try:
            handler.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>')
            for _ in range(megabytes * 1_000_000 // len(chunk)):
                handler.wfile.write(chunk)
        except OSError:
            pass
        handler.close_connection = True
        return 200

    return behaviour


# -- content builders ------------------------------------------------------------------------------

def rss(title: str, items: list[dict], *, link: str = "http://127.0.0.1/", extra: str = "") -> str:
    """RSS 2.0: each item a dict of title, link, guid, description, pubDate (any may be missing)."""
    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
             f'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
             f"<title>{html.escape(title)}</title><link>{html.escape(link)}</link>"
             f"<description>test feed</description>{extra}"]
    for item in items:
        parts.append("<item>")
        for tag in ("title", "link", "guid", "description", "pubDate"):
            if item.get(tag) is not None:
                parts.append(f"<{tag}>{html.escape(str(item[tag]))}</{tag}>")
        if item.get("content") is not None:
            parts.append(f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts)


def bbc_article(name: str) -> tuple[str, list[str]]:
    """(title, paragraphs) of a BBC fixture (tests/fixtures/bbc-*.txt: the title, then paragraphs)."""
    text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8", errors="replace")
    blocks = [" ".join(b.split()) for b in text.split("\n\n") if b.strip()]
    if len(blocks) < 3:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines[0], lines[1:]
    return blocks[0], blocks[1:]


def article_page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
            f"<body><nav><a href='/'>Home</a></nav><article><h1>{html.escape(title)}</h1>{body}</article>"
            f"<footer>Copyright test</footer></body></html>")


def serve_bbc_pages(server: "FeedServer", names: list[str]) -> None:
    """Each named BBC fixture as an article page at /articles/<name>: what a feed's entry links lead to."""
    for name in names:
        title, paragraphs = bbc_article(name)
        server.put(f"/articles/{name}", article_page(title, paragraphs), "text/html; charset=utf-8")


def rfc822(when: float) -> str:
    return formatdate(when, usegmt=True)
