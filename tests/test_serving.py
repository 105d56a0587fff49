"""One URL, two interfaces (issue 18): config.dispatch sends the live stream to Django's ASGI
handler and every other request to its WSGI handler; ``make run`` serves it with one command
(config/serve.py). The routing is checked in-process (which handler Django says served each
request), and the whole server is started as ``make run`` starts it and asked for a page, a
write and the stream through its one URL."""

from __future__ import annotations

import asyncio
import inspect
import socket
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_started
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from config import dispatch, serve
from tests import servers


def _patterns(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def test_the_live_path_is_exactly_the_async_views():
    """Every coroutine view is routed to ASGI and nothing else: a new async view must be added
    to LIVE_PATH (and to the load balancer configurations), or it would run under WSGI."""
    stream = reverse("reader:story_stream", kwargs={"slug": "deepseek-r1"})
    assert dispatch.LIVE_PATH.match(stream)
    async_routes = [
        route for route, pattern in _patterns(get_resolver())
        if inspect.iscoroutinefunction(getattr(pattern.callback, "__wrapped__", pattern.callback))
        or asyncio.iscoroutinefunction(pattern.callback)
    ]  # fmt: skip
    assert async_routes == ["stories/<slug:slug>/live/"]
    for path in ("/stories/deepseek-r1/", "/stories/deepseek-r1/activity/", "/stories/x/live/y/",
                 "/stories/a/b/live/", "/search", "/stories/deepseek-r1/presence/"):  # fmt: skip
        assert not dispatch.LIVE_PATH.match(path), path


def _run(coroutine):
    """Run ``coroutine`` to its end in a thread of its own (the browser tests' Playwright keeps
    an event loop running in this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _request(path: str, *, method: str = "GET") -> dict:
    """Send one HTTP request through config.dispatch in-process; the status, the body and the
    class of the Django handler that served it."""
    served_by = []

    def record(sender, **kwargs):
        served_by.append(sender)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }  # fmt: skip

    async def run():
        app = ApplicationCommunicator(dispatch.application, scope)
        await app.send_input({"type": "http.request", "body": b"", "more_body": False})
        start = await app.receive_output(timeout=20)
        body = b""
        while True:
            message = await app.receive_output(timeout=20)
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        return start["status"], body

    request_started.connect(record)
    try:
        status, body = _run(run())
    finally:
        request_started.disconnect(record)
    return {"status": status, "body": body, "served_by": served_by}


@pytest.mark.django_db(transaction=True)
def test_pages_go_through_wsgi_and_the_live_stream_through_asgi():
    page = _request("/search")
    assert page["status"] == 200 and b'role="search"' in page["body"]
    assert page["served_by"] == [WSGIHandler]
    # The stream of a story that does not exist answers at once (404), through ASGI.
    live = _request("/stories/no-such-story/live/")
    assert live["status"] == 404
    assert live["served_by"] == [ASGIHandler]
    # A write is a page too: a POST without CSRF token is refused by the WSGI side's middleware.
    write = _request("/links/", method="POST")
    assert write["status"] == 403 and write["served_by"] == [WSGIHandler]


def test_lifespan_is_answered():
    async def run():
        app = ApplicationCommunicator(dispatch.application, {"type": "lifespan"})
        await app.send_input({"type": "lifespan.startup"})
        started = await app.receive_output(timeout=5)
        await app.send_input({"type": "lifespan.shutdown"})
        stopped = await app.receive_output(timeout=5)
        return started["type"], stopped["type"]

    assert _run(run()) == ("lifespan.startup.complete", "lifespan.shutdown.complete")


# --- the one server, as make run starts it ------------------------------------------------------


@pytest.fixture
def one_url_server():
    with servers.one_url_server() as url:
        yield url


def test_serve_runs_one_granian_with_the_dispatcher():
    argv = serve.command(host="127.0.0.1", port=8123)
    assert argv[1:4] == ["-m", "granian", "config.dispatch:application"]
    assert argv[argv.index("--workers") + 1] == "1"


@pytest.mark.django_db(transaction=True)
def test_one_url_serves_pages_writes_and_an_unbuffered_live_stream(one_url_server):
    from annotations.models import Claim
    from tests.factories import make_article, make_user

    article = make_article()
    story = article.story
    make_user(username="reader-one", password="a long demo password 1")
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    # A page and a login (a write) through the one URL.
    page = opener.open(f"{one_url_server}/accounts/login/", timeout=20)
    assert page.status == 200
    token = next(c.value for c in jar if c.name == "csrftoken")
    login = urllib.request.Request(
        f"{one_url_server}/accounts/login/",
        data=urllib.parse.urlencode({"username": "reader-one", "password": "a long demo password 1",
                                     "csrfmiddlewaretoken": token}).encode(),  # fmt: skip
        headers={"Referer": f"{one_url_server}/accounts/login/"},
    )
    assert opener.open(login, timeout=20).status == 200  # redirected home, logged in
    # The stream through the same URL: its first events arrive while it stays open.
    host, port = one_url_server.removeprefix("http://").split(":")
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    with socket.create_connection((host, int(port)), timeout=20) as stream:
        stream.sendall(
            f"GET /stories/{story.slug}/live/ HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Accept: text/event-stream\r\nCookie: {cookies}\r\n\r\n".encode()
        )
        received = b""
        deadline = time.monotonic() + 20
        while b"event: ready" not in received and time.monotonic() < deadline:
            received += stream.recv(65536)
        assert received.startswith(b"HTTP/1.1 200"), received[:200]
        assert b"text/event-stream" in received.lower()
        assert b"event: ready" in received  # not held back until the stream ends
        # A highlight posted through the one URL (WSGI) reaches the open stream (ASGI).
        token = next(c.value for c in jar if c.name == "csrftoken")
        highlight = urllib.request.Request(
            f"{one_url_server}/articles/{article.pk}/claims/",
            data=urllib.parse.urlencode({"start": 0, "end": 5, "exact": article.body[:5]}).encode(),
            headers={"X-CSRFToken": token, "HX-Request": "true",
                     "Referer": f"{one_url_server}/stories/{story.slug}/"},  # fmt: skip
        )
        assert opener.open(highlight, timeout=20).status == 200  # the reader, redrawn
        claim = Claim.objects.get(article=article)
        deadline = time.monotonic() + 20
        while f'"object_id":{claim.pk}'.encode() not in received.replace(b" ", b""):
            assert time.monotonic() < deadline, received[-500:]
            received += stream.recv(65536)
