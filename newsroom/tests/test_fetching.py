"""Fetching links safely (``newsroom.fetching``), against the local page server."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from newsroom import fetching
from newsroom.fetching import FetchError, fetch

from .pageserver import Handler


def test_fetches_a_saved_page_with_a_descriptive_user_agent(page_server, fetch_local):
    page = fetch(f"{page_server}/pages/reuters.com.parasite.html")
    assert page.content_type == "text/html"
    assert b"Parasite" in page.data
    assert Handler.user_agents[-1] == fetching.USER_AGENT
    assert "Parallax" in fetching.USER_AGENT


def test_follows_a_few_redirects(page_server, fetch_local):
    page = fetch(f"{page_server}/hops/3")
    assert page.url.endswith("/pages/reuters.com.parasite.html")


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/hops/5", "redirect_loop"),  # more than NEWSROOM_FETCH_MAX_REDIRECTS
        ("/loop", "redirect_loop"),
        ("/slow", "timeout"),
        ("/binary", "not_html"),
        ("/png", "not_html"),
        ("/huge", "too_big"),
        ("/missing", "http_error"),
    ],
)
def test_bad_links_get_their_own_error(page_server, fetch_local, settings, path, code):
    settings.NEWSROOM_FETCH_TIMEOUT = 1.0
    with pytest.raises(FetchError) as caught:
        fetch(page_server + path)
    assert caught.value.code == code
    assert str(caught.value)


def test_unreachable_host(fetch_local):
    # A port nobody listens on at an allowed address: connection refused.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError) as caught:
        fetch(f"http://127.0.0.1:{port}/")
    assert caught.value.code == "unreachable"


def test_unknown_host_name():
    with pytest.raises(FetchError) as caught:
        fetch("http://no-such-host.invalid/")
    assert caught.value.code == "unreachable"


# --- SSRF: one test per refused kind of address; nothing is connected to --------------------


@pytest.fixture
def no_connections(monkeypatch):
    """Fail the test if the fetcher opens a connection at all."""

    def refuse(*args, **kwargs):
        raise AssertionError("the fetcher connected to a refused address")

    monkeypatch.setattr(fetching, "_request", refuse)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",  # loopback
        "http://127.10.0.1:8080/admin",  # loopback, another address of 127/8
        "http://[::1]/",  # IPv6 loopback
        "http://localhost/",  # a name that resolves to loopback
        "http://10.1.2.3/",  # private
        "http://192.168.0.1/",  # private
        "http://172.16.5.4/",  # private
        "http://169.254.169.254/latest/meta-data/",  # link-local (cloud metadata)
        "http://[fe80::1]/",  # IPv6 link-local
        "http://0.0.0.0/",  # unspecified
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
        "http://100.64.0.1/",  # shared address space (carrier NAT)
        "http://2130706433/",  # 127.0.0.1 written as one number
    ],
)
def test_private_addresses_are_refused(no_connections, url):
    with pytest.raises(FetchError) as caught:
        fetch(url)
    assert caught.value.code == "private"
    assert "Refused" in str(caught.value)


def test_a_name_resolving_to_a_private_address_is_refused(no_connections, monkeypatch):
    monkeypatch.setattr(
        socket, "getaddrinfo",
        lambda host, port, *args, **kw: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))],
    )  # fmt: skip
    with pytest.raises(FetchError) as caught:
        fetch("http://news.example.com/story")
    assert caught.value.code == "private"


@pytest.mark.parametrize(
    "target", ["http://127.0.0.2/", "http://169.254.169.254/", "http://[::1]/", "http://10.0.0.1/"]
)
def test_a_redirect_to_a_private_address_is_refused(page_server, fetch_local, target):
    # The first hop (127.0.0.1, allowed for the test server) is fetched; the second is checked
    # on its resolved address and refused before any connection.
    with pytest.raises(FetchError) as caught:
        fetch(f"{page_server}/redirect?to={target}")
    assert caught.value.code == "private"


def test_only_http_and_https(no_connections):
    for url in ("file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/"):
        with pytest.raises(FetchError) as caught:
            fetch(url)
        assert caught.value.code == "scheme"


def test_connects_to_the_checked_address_not_a_second_lookup(page_server, fetch_local, monkeypatch):
    """DNS rebinding: the name is resolved once per hop and the connection goes to that address."""
    answers = iter(["127.0.0.1", "10.0.0.1"])
    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kw):
        if host == "rebind.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real(host, port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    port = page_server.rsplit(":", 1)[1]
    page = fetch(f"http://rebind.test:{port}/pages/reuters.com.parasite.html")
    assert b"Parasite" in page.data


# --- the deadline holds against a server that drips its answer -------------------------------


@pytest.mark.parametrize("path", ["/drip/headers", "/drip/body"])
def test_the_deadline_cuts_a_server_that_drips_its_answer(page_server, fetch_local, settings, path):
    # Each byte comes 0.1 s after the last, well within urllib3's read timeout; only the
    # fetch's own deadline stops it (the server would go on for 20 s).
    settings.NEWSROOM_FETCH_TIMEOUT = 1.0
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(page_server + path)
    assert caught.value.code == "timeout"
    assert time.monotonic() - started < 1.0 + 2.0  # the deadline, and room for loaded cores


@pytest.fixture
def dripping_tls_server():
    """A TCP server that answers a TLS ClientHello with the header of a 16 KB handshake record,
    then its bytes one every 0.1 s: the handshake never ends, and no single read times out."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)
    stop = threading.Event()

    def serve() -> None:
        try:
            conn, _address = listener.accept()
        except OSError:
            return
        with conn:
            try:
                conn.recv(4096)  # the ClientHello
                conn.sendall(b"\x16\x03\x03\x40\x00")
                while not stop.wait(0.1):
                    conn.sendall(b"\x00")
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{listener.getsockname()[1]}/"
    stop.set()
    listener.close()
    thread.join(5)


def test_the_deadline_cuts_a_tls_handshake_that_drips(dripping_tls_server, fetch_local, settings):
    settings.NEWSROOM_FETCH_TIMEOUT = 1.0
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(dripping_tls_server)
    assert caught.value.code == "timeout"
    assert time.monotonic() - started < 1.0 + 2.0


def test_the_deadline_holds_against_a_slow_name_lookup(no_connections, settings, monkeypatch):
    # getaddrinfo has no timeout: a resolver that retries can hold a fetch for tens of seconds.
    settings.NEWSROOM_FETCH_TIMEOUT = 1.0
    real = socket.getaddrinfo

    def slow(host, port, *args, **kw):
        if host == "slow-dns.example.com":
            time.sleep(5)
        return real(host, port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch("http://slow-dns.example.com/story")
    assert caught.value.code == "timeout"
    assert time.monotonic() - started < 1.0 + 2.0


def test_a_pdf_link_is_read_like_an_uploaded_pdf(page_server, fetch_local):
    page = fetch(f"{page_server}/pdf")
    assert page.content_type == "application/pdf"
    assert page.data.startswith(b"%PDF-")


def test_a_redirect_to_a_name_resolving_to_a_private_address_is_refused(
    page_server, fetch_local, monkeypatch
):
    real_resolve, real_pool = socket.getaddrinfo, fetching._pool

    def resolve(host, port, *args, **kw):
        if host == "intranet.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.20.30.40", port))]
        return real_resolve(host, port, *args, **kw)

    connected = []

    def pool(scheme, host, address, *args):
        connected.append(address)
        return real_pool(scheme, host, address, *args)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(fetching, "_pool", pool)
    with pytest.raises(FetchError) as caught:
        fetch(f"{page_server}/redirect?to=http://intranet.example.com/admin")
    assert caught.value.code == "private"
    assert connected == ["127.0.0.1"]  # the first hop only; nothing went to 10.20.30.40
