"""Fetch one article page over http(s), safely.

Standard library only and synchronous (the bot calls it through
``asyncio.to_thread``).  What it guards against (issue 6):

* only ``http`` and ``https`` URLs; no user name or password in the URL;
* server-side request forgery: the host is resolved *once*, every resolved
  address is checked (loopback, private, link-local incl. cloud metadata,
  multicast, reserved, unspecified, shared/CGNAT, and IPv4 addresses hidden
  in IPv6: IPv4-mapped, IPv4-compatible, 6to4, Teredo, NAT64), and the socket
  is connected to exactly the address that was checked (no second DNS lookup
  that could be rebound).  The Host header, TLS SNI and certificate check use
  the host name.  The same check runs on every redirect hop (at most 5);
* a total deadline (connect + every read, default 15 s) enforced by a
  watchdog, so a server that drips one byte at a time cannot hold us;
* a body-size limit (default 5 MB) -- we stop reading and refuse;
* a content-type check (HTML, XHTML, plain text, Markdown; a caller may accept others, as feeds do).

A caller may send extra headers (a feed reader's conditional GET: If-None-Match, If-Modified-Since);
a 304 answer to those is then a result (``status`` 304, no body), and any other error status is an
:class:`~corpus.errors.HTTPStatusError` carrying the status and its Retry-After.

Every refusal is a :class:`~corpus.errors.FetchError` with a one-line reason.

Settings (the environment or ./.env, read through corpus.settings when a fetch starts):

``ARTICLEBOT_ALLOW_PRIVATE_URLS``  "1"/"true"/"yes"/"on" allows private,
    loopback, link-local... addresses (default off; unsafe on a public bot).
``ARTICLEBOT_FETCH_TIMEOUT``  total seconds per fetch incl. redirects
    (default 15).
"""

from __future__ import annotations

import codecs
import http.client
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from .. import settings
from ..errors import FetchError, HTTPStatusError
from ..limits import MAX_ARTICLE_BYTES

__all__ = [
    "Fetched",
    "fetch",
    "address_refusal",
    "is_public_address",
    "ACCEPTED_CONTENT_TYPES",
    "DEFAULT_TIMEOUT",
    "MAX_REDIRECTS",
    "MAX_RESPONSE_BYTES",
    "USER_AGENT",
]

DEFAULT_TIMEOUT = settings.DEFAULT_FETCH_TIMEOUT   # seconds, whole fetch including redirects
MAX_REDIRECTS = 5
MAX_RESPONSE_BYTES = MAX_ARTICLE_BYTES    # 5 MB, the same cap as a file or pasted text
USER_AGENT = "articlebot/1.0 (article fetcher; +https://github.com/articlebot/articlebot)"

ACCEPTED_CONTENT_TYPES = frozenset({
    "text/html",
    "application/xhtml+xml",
    "text/plain",
    "text/markdown",
    "text/x-markdown",
})

ALLOW_PRIVATE_ENV = settings.ALLOW_PRIVATE_URLS
TIMEOUT_ENV = settings.FETCH_TIMEOUT
_ALLOW_HINT = f"set {ALLOW_PRIVATE_ENV}=1 to allow private addresses; unsafe"
_REDIRECT_CODES = {301, 302, 303, 307, 308}
_CONDITIONAL = ("if-none-match", "if-modified-since")
KEPT_HEADERS = ("etag", "last-modified", "cache-control", "retry-after", "expires")
_CHUNK = 64 * 1024
_DEFAULT_ACCEPT = "text/html,application/xhtml+xml,text/plain;q=0.9,text/markdown;q=0.9,*/*;q=0.1"


@dataclass(frozen=True)
class Fetched:
    """A fetched page.  ``url`` is the final URL after redirects."""

    url: str
    content_type: str          # lower case, no parameters: one of text/html, application/xhtml+xml,
                               # text/plain, text/markdown (text/x-markdown is reported as text/markdown)
    charset: str | None        # from the Content-Type header if Python knows that codec, else None
    body: bytes                # decoded from gzip/deflate if the server sent that
    status: int = 200          # 304 only when the caller sent conditional headers (then body is b"")
    headers: Mapping[str, str] = field(default_factory=dict, compare=False)  # KEPT_HEADERS, lower-case names


# --------------------------------------------------------------------------
# address policy

# Ranges Python's ipaddress does not (in every version) flag as non-global.
_EXTRA_BLOCKED = tuple(ipaddress.ip_network(n) for n in (
    "100.64.0.0/10",     # shared address space (carrier-grade NAT)
    "192.0.0.0/24",      # IETF protocol assignments
    "192.88.99.0/24",    # deprecated 6to4 relay anycast
    "198.18.0.0/15",     # benchmarking
    "64:ff9b:1::/48",    # local-use NAT64
    "2001::/23",         # IETF protocol assignments (incl. Teredo, handled below)
    "2001:db8::/32",     # documentation
    "fc00::/7",          # unique local
    "fec0::/10",         # deprecated site-local
))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_V4_COMPAT = ipaddress.ip_network("::/96")


def _kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What makes ``ip`` (not embedding anything) unfit, or None if public."""
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if any(ip in net for net in _EXTRA_BLOCKED if net.version == ip.version):
        return "not a public address"
    if not ip.is_global:
        return "not a public address"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (and a router may unwrap)."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _NAT64 or ip in _V4_COMPAT:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _parse_ip(ip) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if isinstance(ip, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return ip
    text = str(ip).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    text = text.split("%", 1)[0]          # drop an IPv6 zone id (fe80::1%eth0)
    return ipaddress.ip_address(text)


def address_refusal(ip) -> str | None:
    """Why ``ip`` must not be fetched from, as "<ip> is a loopback address"; None if public.

    Accepts an ``ipaddress`` object or a string (brackets and zone ids allowed).
    IPv4 addresses embedded in IPv6 (mapped, compatible, 6to4, Teredo, NAT64)
    are checked too.
    """
    addr = _parse_ip(ip)
    own = _kind(addr)
    if isinstance(addr, ipaddress.IPv6Address):
        shown = f"::ffff:{addr.ipv4_mapped}" if addr.ipv4_mapped is not None else str(addr)
        if own in ("a loopback address", "a link-local address", "an unspecified address",
                   "a multicast address"):
            return f"{shown} is {own}"
        embedded = _embedded_ipv4(addr)
        for v4 in embedded:
            inner = _kind(v4)
            if inner is not None:
                return f"{shown} is {inner} (it embeds {v4})"
        if addr in _NAT64 and embedded:
            return None     # well-known NAT64 prefix in front of a public IPv4 address
        return None if own is None else f"{shown} is {own}"
    return None if own is None else f"{addr} is {own}"


def is_public_address(ip) -> bool:
    return address_refusal(ip) is None


def _fmt_seconds(seconds: float) -> str:
    return f"{seconds:g} s"


def _fmt_size(n: int) -> str:
    """Decimal units, as corpus.limits counts them: 5_000_000 -> "5 MB"."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:g} MB"
    if n >= 1_000:
        return f"{n / 1_000:g} KB"
    return f"{n} bytes"


def _one_line(text: object, limit: int = 200) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


# --------------------------------------------------------------------------
# URLs


@dataclass(frozen=True)
class _Target:
    url: str          # normalised URL (what Fetched.url reports)
    scheme: str
    host: str         # ASCII host name or IP literal, no brackets
    port: int
    path: str         # request target: path + query, ASCII


def _parse_url(url: str) -> _Target:
    if not isinstance(url, str):
        raise FetchError(f"malformed URL: {_one_line(repr(url))}")
    raw = url.strip()
    if not raw:
        raise FetchError("malformed URL: empty")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in raw):
        raise FetchError(f"malformed URL: {_one_line(repr(raw))} contains spaces or control characters")
    try:
        parts = urlsplit(raw)
    except ValueError as exc:
        raise FetchError(f"malformed URL: {_one_line(raw)} ({_one_line(exc)})") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise FetchError(f"malformed URL: {_one_line(raw)} (no http:// or https://)")
    if scheme not in ("http", "https"):
        raise FetchError(f"refused: only http and https URLs can be fetched, not {scheme}://")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise FetchError("refused: URLs with a user name or password are not fetched")
    try:
        port = parts.port
    except ValueError:
        raise FetchError(f"malformed URL: {_one_line(raw)} (bad port)") from None
    if port is None:
        port = 443 if scheme == "https" else 80
    if port == 0:
        raise FetchError(f"malformed URL: {_one_line(raw)} (bad port)")
    host = parts.hostname or ""
    if not host:
        raise FetchError(f"malformed URL: {_one_line(raw)} (no host)")
    try:
        ip = _parse_ip(host) if ":" in host else None
    except ValueError:
        raise FetchError(f"malformed URL: {_one_line(raw)} (bad IPv6 address)") from None
    if ip is not None:
        host = str(ip)
    else:
        host = host.rstrip(".") if host != "." else host
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise FetchError(f"malformed URL: {_one_line(raw)} (bad host name)") from None
        if not host or any(c in host for c in "/\\?#[]%"):
            raise FetchError(f"malformed URL: {_one_line(raw)} (bad host name)")
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if not path.startswith("/"):
        path = "/" + path
    query = quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    target = path + ("?" + query if query else "")
    netloc_host = f"[{host}]" if ":" in host else host
    default_port = 443 if scheme == "https" else 80
    netloc = netloc_host if port == default_port else f"{netloc_host}:{port}"
    norm = urlunsplit((scheme, netloc, path, query, ""))
    return _Target(url=norm, scheme=scheme, host=host, port=port, path=target)


# --------------------------------------------------------------------------
# network primitives (module level so tests can monkeypatch them)


def _resolve(host: str, port: int) -> list[tuple[int, tuple]]:
    """``getaddrinfo`` for a TCP connection: a list of (family, sockaddr)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    out: list[tuple[int, tuple]] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and (family, sockaddr) not in out:
            out.append((family, sockaddr))
    return out


def _connect(family: int, sockaddr: tuple, timeout: float) -> socket.socket:
    """Open a TCP socket to exactly ``sockaddr`` and check the peer is that address."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(sockaddr)
        peer = sock.getpeername()
        if _parse_ip(peer[0]) != _parse_ip(sockaddr[0]):
            raise FetchError(f"refused: connected to {peer[0]}, not the checked address {sockaddr[0]}")
    except BaseException:
        sock.close()
        raise
    return sock


def _ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


class _Deadline:
    """Total time budget; a watchdog shuts the current socket down when it runs out."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            self.expired = True
            raise self.error()
        return left

    def error(self) -> FetchError:
        return FetchError(f"timed out after {_fmt_seconds(self.seconds)}")

    def watch(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if sock is not None and self.expired:
                self._shutdown(sock)

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            if self._sock is not None:
                self._shutdown(self._sock)

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def cancel(self) -> None:
        self._timer.cancel()


def _resolve_with_deadline(host: str, port: int, deadline: _Deadline) -> list[tuple[int, tuple]]:
    """Run the (uninterruptible) resolver in a helper thread so the deadline holds."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["result"] = _resolve(host, port)
        except BaseException as exc:  # handed back to the caller below
            box["error"] = exc

    worker = threading.Thread(target=run, name="articlebot-resolve", daemon=True)
    worker.start()
    worker.join(deadline.remaining())
    if worker.is_alive():
        deadline.expired = True
        raise deadline.error()
    if "error" in box:
        exc = box["error"]
        if isinstance(exc, FetchError):
            raise exc
        if isinstance(exc, (socket.gaierror, UnicodeError)):
            raise FetchError(f"could not resolve {host}: {_one_line(exc)}") from None
        if isinstance(exc, OSError):
            raise FetchError(f"could not resolve {host}: {_one_line(exc)}") from None
        raise exc  # a bug, not a network condition
    result = box.get("result") or []
    if not result:
        raise FetchError(f"could not resolve {host}: no addresses")
    return result  # type: ignore[return-value]


class _PinnedConnection(http.client.HTTPConnection):
    """HTTPConnection whose socket is supplied already connected (and wrapped)."""

    def __init__(self, host: str, port: int, sock: socket.socket, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.sock = sock

    def connect(self) -> None:  # pragma: no cover - the socket is always given
        raise FetchError("internal error: connection was not pinned")


# --------------------------------------------------------------------------
# the fetch


def _vet(target: _Target, addrs: list[tuple[int, tuple]], hop: int) -> None:
    for _family, sockaddr in addrs:
        why = address_refusal(sockaddr[0])
        if why is None:
            continue
        via = ", reached by a redirect" if hop else ""
        try:
            literal = _parse_ip(target.host)
        except ValueError:
            literal = None
        if literal is not None:
            raise FetchError(f"refused: {why}{via} ({_ALLOW_HINT})")
        # "evil.example resolves to 10.0.0.1, a private address"
        ip_text, _, kind = why.partition(" is ")
        raise FetchError(f"refused: {target.host} resolves to {ip_text}, {kind}{via} ({_ALLOW_HINT})")


def _open(target: _Target, addrs: list[tuple[int, tuple]], deadline: _Deadline) -> socket.socket:
    last: Exception | None = None
    for family, sockaddr in addrs:
        try:
            sock = _connect(family, sockaddr, deadline.remaining())
        except FetchError:
            raise
        except (socket.timeout, TimeoutError):
            if deadline.expired or deadline.end <= time.monotonic():
                raise deadline.error() from None
            last = TimeoutError("connection timed out")
            continue
        except OSError as exc:
            last = exc
            continue
        deadline.watch(sock)
        if target.scheme == "https":
            try:
                sock.settimeout(deadline.remaining())
                sock = _ssl_context().wrap_socket(sock, server_hostname=target.host)
            except ssl.SSLCertVerificationError as exc:
                sock.close()
                raise FetchError(
                    f"TLS certificate for {target.host} not accepted: {_one_line(exc.verify_message or exc)}"
                ) from None
            except (ssl.SSLError, OSError) as exc:
                sock.close()
                if deadline.expired:
                    raise deadline.error() from None
                raise FetchError(f"TLS handshake with {target.host} failed: {_one_line(exc)}") from None
            except BaseException:
                sock.close()
                raise
            deadline.watch(sock)
        return sock
    if deadline.expired:
        raise deadline.error()
    raise FetchError(f"could not connect to {target.host}:{target.port}: {_one_line(last)}")


def _parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    main, *params = value.split(";")
    ctype = main.strip().lower() or None
    charset = None
    for p in params:
        key, _, val = p.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'").strip() or None
    if charset is not None:
        try:
            codecs.lookup(charset)
        except (LookupError, ValueError):
            charset = None          # an unknown label: let the caller detect the encoding
    return ctype, charset


def _sniff(prefix: bytes) -> str | None:
    """Content type for a response that did not declare one; None for binary."""
    if b"\x00" in prefix:
        return None
    head = prefix.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--", b"<?xml")):
        return "text/html"
    try:
        prefix.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(prefix) - 4:   # not just a character cut at the end
            return None
    return "text/plain"


class _Decoder:
    """Undo gzip/deflate (we ask for identity, but some servers compress anyway)."""

    def __init__(self, encoding: str, host: str):
        enc = (encoding or "").strip().lower()
        if enc in ("", "identity"):
            self._z = None
        elif enc in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self._z = zlib.decompressobj()
        else:
            raise FetchError(f"unsupported content encoding {_one_line(enc, 40)} from {host}")
        self._deflate = enc == "deflate"
        self._started = False
        self._host = host

    def feed(self, data: bytes, room: int) -> bytes:
        """Decode ``data``; returns at most ``room + 1`` bytes (enough to see an overflow)."""
        if self._z is None:
            return data
        try:
            out = self._z.decompress(data, room + 1)
        except zlib.error:
            if self._deflate and not self._started:
                # some servers send raw deflate without the zlib header
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                self._deflate = False
                return self.feed(data, room)
            raise FetchError(f"corrupt compressed response from {self._host}") from None
        self._started = True
        return out

    @property
    def pending(self) -> bool:
        return self._z is not None and bool(self._z.unconsumed_tail)

    def more(self, room: int) -> bytes:
        assert self._z is not None
        try:
            return self._z.decompress(self._z.unconsumed_tail, room + 1)
        except zlib.error:
            raise FetchError(f"corrupt compressed response from {self._host}") from None


def _read_body(resp: http.client.HTTPResponse, sock: socket.socket, deadline: _Deadline,
               max_bytes: int, host: str, content_type: str | None) -> tuple[bytes, str | None]:
    too_big = FetchError(f"response larger than {_fmt_size(max_bytes)}")
    length = resp.getheader("Content-Length")
    encoding = resp.getheader("Content-Encoding") or ""
    if length is not None and encoding.strip().lower() in ("", "identity"):
        try:
            if int(length.strip()) > max_bytes:
                raise too_big
        except ValueError:
            pass
    decoder = _Decoder(encoding, host)
    chunks: list[bytes] = []
    total = 0
    while True:
        sock.settimeout(max(0.001, deadline.remaining()))
        try:
            data = resp.read1(_CHUNK) if hasattr(resp, "read1") else resp.read(_CHUNK)
        except (socket.timeout, TimeoutError):
            raise deadline.error() from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if deadline.expired:
                raise deadline.error() from None
            if isinstance(exc, http.client.IncompleteRead):
                raise FetchError(f"connection to {host} closed before the page was complete") from None
            raise FetchError(f"error reading from {host}: {_one_line(exc) or type(exc).__name__}") from None
        if deadline.expired:
            raise deadline.error()
        if not data:
            break
        out = decoder.feed(data, max_bytes - total)
        while True:
            total += len(out)
            if total > max_bytes:
                raise too_big
            if out:
                chunks.append(out)
            if not decoder.pending:
                break
            out = decoder.more(max_bytes - total)
        if content_type is None and total >= 512:
            content_type = _sniff(b"".join(chunks)[:512])
            if content_type is None:
                raise FetchError("not an article: the server sent binary data without a content type")
    body = b"".join(chunks)
    if content_type is None:
        content_type = _sniff(body[:512])
        if content_type is None:
            raise FetchError("not an article: the server sent binary data without a content type")
    return body, content_type


def fetch(url: str, *, allow_private: bool | None = None, timeout: float | None = None,
          max_bytes: int = MAX_RESPONSE_BYTES, max_redirects: int = MAX_REDIRECTS,
          headers: Mapping[str, str] | None = None, content_types: frozenset | None = None) -> Fetched:
    """Fetch ``url`` (GET), following at most ``max_redirects`` redirects.

    ``allow_private=None`` reads ``ARTICLEBOT_ALLOW_PRIVATE_URLS``; ``timeout``
    None reads ``ARTICLEBOT_FETCH_TIMEOUT`` (default 15 s) and bounds the whole
    fetch.  ``headers`` are sent with every request (Accept, conditional GET); ``content_types``
    replaces :data:`ACCEPTED_CONTENT_TYPES`.  Raises :class:`FetchError` with a one-line reason for
    anything refused (:class:`HTTPStatusError` for an error status),
    :class:`~corpus.settings.SettingsError` for an unusable setting.
    """
    if allow_private is None:
        allow_private = settings.allow_private_urls()
    if timeout is None:
        timeout = settings.fetch_timeout()
    if not (timeout > 0):
        raise ValueError("timeout must be positive")
    target = _parse_url(url)
    deadline = _Deadline(float(timeout))
    try:
        hop = 0
        while True:
            if deadline.expired:
                raise deadline.error()
            addrs = _resolve_with_deadline(target.host, target.port, deadline)
            if not allow_private:
                _vet(target, addrs, hop)
            sock = _open(target, addrs, deadline)
            try:
                result = _exchange(target, sock, deadline, max_bytes, dict(headers or {}),
                                   content_types or ACCEPTED_CONTENT_TYPES)
            finally:
                deadline.watch(None)
                try:
                    sock.close()
                except OSError:
                    pass
            if isinstance(result, Fetched):
                return result
            location = result
            hop += 1
            if hop > max_redirects:
                raise FetchError(f"too many redirects (more than {max_redirects})")
            target = _parse_url(urljoin(target.url, location))
    finally:
        deadline.cancel()


def _exchange(target: _Target, sock: socket.socket, deadline: _Deadline, max_bytes: int,
              headers: dict[str, str], content_types: frozenset) -> Fetched | str:
    """One request/response on a connected socket: a Fetched page or a redirect Location."""
    conn = _PinnedConnection(target.host, target.port, sock, deadline.remaining())
    try:
        sock.settimeout(deadline.remaining())
        conn.putrequest("GET", target.path, skip_accept_encoding=True)
        conn.putheader("User-Agent", USER_AGENT)
        extra = {name.lower(): (name, value) for name, value in headers.items()}
        accept = extra.pop("accept", (None, _DEFAULT_ACCEPT))[1]
        conn.putheader("Accept", accept)
        for name, value in extra.values():
            conn.putheader(name, value)
        conn.putheader("Accept-Encoding", "identity")
        conn.putheader("Connection", "close")
        conn.endheaders()
        resp = conn.getresponse()
    except FetchError:
        raise
    except (socket.timeout, TimeoutError):
        raise deadline.error() from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if deadline.expired:
            raise deadline.error() from None
        raise FetchError(f"bad response from {target.host}: {_one_line(exc) or type(exc).__name__}") from None
    status = resp.status
    kept = {name: value for name in KEPT_HEADERS if (value := resp.getheader(name)) is not None}
    if status == 304 and any(name.lower() in _CONDITIONAL for name in headers):
        return Fetched(url=target.url, content_type="", charset=None, body=b"", status=304, headers=kept)
    if status in _REDIRECT_CODES:
        location = resp.getheader("Location")
        if not location or not location.strip():
            raise FetchError(f"redirect without a Location from {target.host} (HTTP {status})")
        return location.strip()
    if not 200 <= status < 300:
        reason = _one_line(resp.reason or "", 60)
        raise HTTPStatusError(f"HTTP {status}{' ' + reason if reason else ''} from {target.host}", status,
                              kept.get("retry-after"))
    if status == 204:
        raise FetchError(f"not an article: {target.host} sent no content (HTTP 204)")
    ctype, charset = _parse_content_type(resp.getheader("Content-Type"))
    if ctype is not None and ctype not in content_types:
        raise FetchError(f"not an article: content type {_one_line(ctype, 80)}")
    body, ctype = _read_body(resp, sock, deadline, max_bytes, target.host, ctype)
    if ctype == "text/x-markdown":
        ctype = "text/markdown"
    return Fetched(url=target.url, content_type=ctype, charset=charset, body=body, status=status, headers=kept)
