"""A local web server for the fetching tests, the browser test and the benchmark (the machines
have no internet): it serves the saved news pages in ``pages/`` and a few misbehaving routes.

- ``/pages/<name>``: a saved page (text/html);
- ``/redirect?to=<url>``: 302 to ``to``; ``/loop``: redirects to itself; ``/hops/<n>``: n redirects;
- ``/slow``: answers after ``SLOW`` seconds; ``/binary``: an octet-stream; ``/png``: a PNG
  labelled text/html; ``/empty``: a page with no article text; ``/huge``: more than the limit;
- ``/drip/headers``, ``/drip/body``: a status line, then header bytes (or, after the headers,
  page bytes) one every ``DRIP`` seconds, for ``DRIP_FOR`` seconds: each byte comes well within a
  read timeout, the whole answer never does;
- ``/pdf``: the sample PDF (application/pdf);
- ``/missing``: 404.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PAGES = Path(__file__).parent / "pages"
SAMPLES = Path(__file__).parent / "samples"
SLOW = 3.0
HUGE = 6 * 1024 * 1024
DRIP = 0.1
DRIP_FOR = 20.0
EMPTY_PAGE = b"<html><head><title>Nothing</title></head><body><nav><a href='/'>Home</a></nav></body></html>"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(200)


class Handler(BaseHTTPRequestHandler):
    user_agents: list[str] = []

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes = b"", content_type: str = "text/html; charset=utf-8", **headers) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _drip(self, byte: bytes) -> None:
        until = time.monotonic() + DRIP_FOR
        try:
            while time.monotonic() < until:
                self.wfile.write(byte)
                time.sleep(DRIP)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802
        Handler.user_agents.append(self.headers.get("User-Agent", ""))
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        if path.startswith("/pages/"):
            page = PAGES / path.removeprefix("/pages/")
            if page.parent == PAGES and page.is_file():
                return self._send(200, page.read_bytes())
            return self._send(404, b"not found")
        if path == "/redirect":
            return self._send(302, Location=query.get("to", ["/"])[0])
        if path == "/loop":
            return self._send(302, Location="/loop")
        if path.startswith("/hops/"):
            n = int(path.rsplit("/", 1)[1])
            target = f"/hops/{n - 1}" if n > 1 else "/pages/reuters.com.parasite.html"
            return self._send(302, Location=target)
        if path == "/slow":
            time.sleep(SLOW)
            return self._send(200, b"<html><body><p>late</p></body></html>")
        if path == "/binary":
            return self._send(200, bytes(range(256)) * 4, content_type="application/octet-stream")
        if path == "/png":
            return self._send(200, PNG, content_type="text/html")
        if path == "/empty":
            return self._send(200, EMPTY_PAGE)
        if path == "/huge":
            return self._send(200, b"<p>" + b"x" * HUGE + b"</p>")
        if path == "/drip/headers":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
            return self._drip(b"a")
        if path == "/drip/body":  # no length: the page ends when the connection does
            self.wfile.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<p>"
            )
            return self._drip(b"a")
        if path == "/pdf":
            pdf = (SAMPLES / "article.pdf").read_bytes()
            return self._send(200, pdf, content_type="application/pdf")
        return self._send(404, b"not found")


@contextmanager
def serving():
    """A running page server on 127.0.0.1; yields its base URL (``http://127.0.0.1:<port>``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
