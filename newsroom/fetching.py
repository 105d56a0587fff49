"""Fetching one link a curator added, without letting the server be used to probe networks.

The host of every hop is resolved here and each address checked (private, loopback, link-local,
reserved, multicast and other non-global addresses are refused); the connection then goes to the
checked address itself, with the name in the ``Host`` header and for TLS, so a second DNS answer
cannot swap in an internal address between the check and the connection (DNS rebinding).
Redirects are followed by hand, each hop checked again. urllib3 (already installed with
requests) does the HTTP; a whole fetch has one deadline and one size limit.

The deadline holds against a slow name lookup (it runs in a thread the fetch stops waiting
for) and against a server that drips its answer a byte at a time: urllib3's read timeout bounds
each wait for a byte, not the whole answer, so a watchdog shuts the connection down when the
deadline passes, wherever the fetch is (TLS handshake, headers or body).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

USER_AGENT = (
    "ParallaxBot/1.0 (Parallax newsroom; fetches the one page a curator added to a "
    "story, for side-by-side reading)"
)
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8,application/pdf;q=0.7"
#: What a link may answer with: a page, plain text, or a PDF (read as an uploaded one).
_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/pdf")
_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 64 * 1024


class FetchError(Exception):
    """A link that cannot be fetched; ``str()`` is the message for the curator."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Fetched:
    url: str  # where the last redirect led
    content_type: str
    data: bytes


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(net) for net in settings.NEWSROOM_FETCH_ALLOWED_NETWORKS]


def address_refused(address: str) -> bool:
    """Whether a link may not lead to ``address``: anything but a public unicast address,
    unless the site allows its network (``NEWSROOM_FETCH_ALLOWED_NETWORKS``)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in _allowed_networks()):
        return False
    return not ip.is_global or ip.is_multicast


#: Name lookups run here so a fetch can stop waiting for one at its deadline (``getaddrinfo``
#: has no timeout of its own; the resolver's retries can take tens of seconds).
_LOOKUPS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="fetch-dns")


def _resolve(host: str, port: int, *, deadline: float) -> str:
    """The address to connect to for ``host``; FetchError if it has none or any is refused, or
    if the lookup outlasts ``deadline``."""
    lookup = _LOOKUPS.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = lookup.result(timeout=max(deadline - time.monotonic(), 0.0))
    except FutureTimeout as exc:
        lookup.cancel()
        raise _too_slow() from exc
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(_("The host %(host)s could not be found.") % {"host": host}, code="unreachable") from exc
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise FetchError(_("The host %(host)s could not be found.") % {"host": host}, code="unreachable")
    if any(address_refused(address) for address in addresses):
        raise FetchError(
            _("Refused: %(host)s is a private, loopback or link-local address.") % {"host": host},
            code="private",
        )
    return addresses[0]


def _split(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(_("Only http and https links can be fetched."), code="scheme")
    if not parts.hostname:
        raise FetchError(_("This link has no host name."), code="invalid")
    if parts.username or parts.password:
        raise FetchError(_("Links with a user name or password are not fetched."), code="invalid")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError(_("This link has an invalid port."), code="invalid") from exc
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return parts.scheme, parts.hostname, port, target


def _too_slow() -> FetchError:
    return FetchError(_("The site took too long to answer."), code="timeout")


class _Watchdog:
    """Shuts down every connection of one fetch when its deadline passes.

    It holds a duplicate of each socket's descriptor (TLS wrapping detaches the original
    socket object), so ``shutdown`` reaches the connection in any state and a blocked read
    returns at once; ``fired`` tells the fetch that what broke was the deadline.
    """

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.fired = False
        self._lock = threading.Lock()
        self._watched: list[tuple[socket.socket, threading.Timer]] = []

    def watch(self, sock: socket.socket) -> None:
        guard = sock.dup()
        delay = max(self.deadline - time.monotonic(), 0.0)
        timer = threading.Timer(delay, self._cut, args=(guard,))
        timer.daemon = True
        with self._lock:
            self._watched.append((guard, timer))
        timer.start()

    def _cut(self, guard: socket.socket) -> None:
        with self._lock:
            if guard.fileno() == -1:  # already stopped
                return
            self.fired = True
            try:
                guard.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self) -> None:
        """Stop watching the connections so far (they are closed or done with)."""
        with self._lock:
            for guard, timer in self._watched:
                timer.cancel()
                guard.close()
            self._watched.clear()


class _Watched:
    """A urllib3 connection whose socket the fetch's watchdog watches from the moment it
    connects (before any TLS handshake)."""

    def __init__(self, *args, watchdog: _Watchdog, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._watchdog = watchdog

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self._watchdog.watch(sock)
        return sock


class _HTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


def fetch(url: str) -> Fetched:
    """GET ``url`` and return the page; FetchError with a message for anything unusable."""
    limit = settings.NEWSROOM_MAX_BYTES
    watchdog = _Watchdog(time.monotonic() + settings.NEWSROOM_FETCH_TIMEOUT)
    try:
        return _follow(url, limit=limit, watchdog=watchdog)
    except FetchError:
        if watchdog.fired:  # whatever broke, it broke because the deadline cut it
            raise _too_slow() from None
        raise
    finally:
        watchdog.stop()


def _follow(url: str, *, limit: int, watchdog: _Watchdog) -> Fetched:
    deadline = watchdog.deadline
    seen: set[str] = set()
    for _hop in range(settings.NEWSROOM_FETCH_MAX_REDIRECTS + 1):
        seen.add(url)
        scheme, host, port, target = _split(url)
        address = _resolve(host, port, deadline=deadline)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _too_slow()
        pool = _pool(scheme, host, address, port, remaining, watchdog)
        try:
            response = _request(pool, scheme, host, port, target)
            try:
                if response.status in _REDIRECTS and response.headers.get("Location"):
                    following = urljoin(url, response.headers["Location"])
                    if following in seen:
                        raise FetchError(_("The link redirects in a loop."), code="redirect_loop")
                    url = following
                    continue
                page = _body(response, url=url, limit=limit, deadline=deadline)
                if watchdog.fired:  # a cut connection reads as the end of a page without a length
                    raise _too_slow()
                return page
            finally:
                response.release_conn()
        finally:
            pool.close()
            watchdog.stop()  # this hop's connection is closed: let go of its watch
    raise FetchError(
        _("The link redirects more than %(count)s times.")
        % {"count": settings.NEWSROOM_FETCH_MAX_REDIRECTS},
        code="redirect_loop",
    )


def _pool(scheme: str, host: str, address: str, port: int, remaining: float, watchdog: _Watchdog):
    """A one-connection pool to the checked ``address`` (nothing is connected yet)."""
    timeout = urllib3.Timeout(connect=min(remaining, 5.0), read=remaining)
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, port, timeout=timeout, retries=False, maxsize=1,
            server_hostname=host, assert_hostname=host, watchdog=watchdog,
        )  # fmt: skip
        pool.ConnectionCls = _HTTPSConnection
    else:
        pool = urllib3.HTTPConnectionPool(
            address, port, timeout=timeout, retries=False, maxsize=1, watchdog=watchdog
        )
        pool.ConnectionCls = _HTTPConnection
    return pool


def _request(pool, scheme: str, host: str, port: int, target: str):
    """The response (headers read, body not yet) to one GET of ``target``."""
    default_port = 443 if scheme == "https" else 80
    headers = {
        "Host": host if port == default_port else f"{host}:{port}",
        "User-Agent": USER_AGENT,
        "Accept": _ACCEPT,
    }
    try:
        response = pool.urlopen(
            "GET", target, headers=headers, redirect=False, preload_content=False,
            assert_same_host=False,
        )  # fmt: skip
    except urllib3.exceptions.NewConnectionError as exc:  # (a ConnectTimeoutError subclass)
        raise FetchError(
            _("The site %(host)s could not be reached.") % {"host": host}, code="unreachable"
        ) from exc
    except (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError) as exc:
        raise _too_slow() from exc
    except urllib3.exceptions.HTTPError as exc:
        raise FetchError(
            _("The site %(host)s could not be reached.") % {"host": host}, code="unreachable"
        ) from exc
    return response


def _body(response, *, url: str, limit: int, deadline: float) -> Fetched:
    if response.status >= 400:
        raise FetchError(
            _("The site answered with error %(status)s.") % {"status": response.status},
            code="http_error",
        )
    content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type and content_type not in _TYPES:
        raise FetchError(
            _("This link is not a web page (it is %(type)s).") % {"type": content_type},
            code="not_html",
        )
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise FetchError(_("The page is larger than %(mb)s MB.") % {"mb": limit // 2**20}, code="too_big")
    chunks, size = [], 0
    try:
        while True:
            if time.monotonic() > deadline:
                raise _too_slow()
            chunk = response.read(_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise FetchError(
                    _("The page is larger than %(mb)s MB.") % {"mb": limit // 2**20}, code="too_big"
                )
            chunks.append(chunk)
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise _too_slow() from exc
    except urllib3.exceptions.HTTPError as exc:
        raise FetchError(_("The connection broke while reading the page."), code="unreachable") from exc
    data = b"".join(chunks)
    if content_type != "application/pdf" and b"\x00" in data[:4096]:
        raise FetchError(_("This link is a binary file, not a web page."), code="not_html")
    return Fetched(url=url, content_type=content_type, data=data)
