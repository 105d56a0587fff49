"""The production split behind nginx (issue 18): deploy/nginx-parallax.conf, as docs/deployment.md
shows it, in front of the two servers production runs (config/serve.py: gunicorn for pages,
fragments, writes and the API; uvicorn for the live stream).

Only ports, the certificate (self-signed, made here) and the static folder are swapped for the
test's own; the routing is the file's. Checked: HTTP redirects to HTTPS; pages and static files
answer; the live stream answers through nginx with its first events at once and a new event
within seconds (not held in a buffer); and the routing, by stopping one server at a time: with
the ASGI server down pages still answer and the stream fails, with the WSGI server down the
stream still answers and pages fail.

Debian's nginx is needed: ``make test`` installs it as root (``make check-deploy`` runs only this
test); without it the test is skipped, except in CI where that is a failure.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import make_article, make_claim
from config import serve
from tests.servers import process_group

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PROJECT = Path(__file__).resolve().parents[1]
SITE = PROJECT / "deploy" / "nginx-parallax.conf"
HOST = "parallax.example.org"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _swap(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{SITE.name} should contain {old!r} once"
    return text.replace(old, new)


def _listening(port: int):
    def ready() -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    return ready


class Site:
    """nginx with the site file, and the two servers behind it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.ports = {name: _free_port() for name in ("http", "https", "pages", "live")}
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "1",  # static files from the finders; no collectstatic in tests
            "ALLOWED_HOSTS": HOST,
            "BEHIND_TLS_PROXY": "1",
        }
        self.stack = ExitStack()

    def start_pages(self):
        argv = serve.pages_command(host="127.0.0.1", port=self.ports["pages"])
        ready = _listening(self.ports["pages"])
        server = process_group(argv, env=self.env, name="deploy-pages", ready=ready)
        return self.stack.enter_context(server)

    def start_live(self):
        argv = serve.live_command(host="127.0.0.1", port=self.ports["live"])
        ready = _listening(self.ports["live"])
        server = process_group(argv, env=self.env, name="deploy-live", ready=ready)
        return self.stack.enter_context(server)

    def start_nginx(self) -> None:
        f = self.folder
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", f"/CN={HOST}", "-keyout", str(f / "key.pem"), "-out", str(f / "cert.pem")],
            check=True, capture_output=True,
        )  # fmt: skip
        f.chmod(0o755)  # nginx's workers run as another user when it is started as root
        (f / "static").mkdir(mode=0o755)
        (f / "static" / "probe.txt").write_text("served by nginx\n")
        site, port = SITE.read_text(), self.ports
        site = _swap(site, "server 127.0.0.1:8001;", f"server 127.0.0.1:{port['pages']};")
        site = _swap(site, "server 127.0.0.1:8002;", f"server 127.0.0.1:{port['live']};")
        site = _swap(site, "listen 80;", f"listen 127.0.0.1:{port['http']};")
        site = _swap(site, "listen 443 ssl http2;", f"listen 127.0.0.1:{port['https']} ssl http2;")
        site = _swap(site, f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(f / "cert.pem"))
        site = _swap(site, f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(f / "key.pem"))
        site = _swap(site, "/srv/parallax/app/staticfiles/", f"{f / 'static'}/")
        (f / "site.conf").write_text(site)
        temp = "".join(
            f"  {kind}_temp_path {f}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (f / "nginx.conf").write_text(
            f"pid {f}/nginx.pid;\nerror_log {f}/error.log;\nevents {{}}\nhttp {{\n"
            f"  include /etc/nginx/mime.types;\n  access_log {f}/access.log;\n{temp}"
            f"  include {f}/site.conf;\n}}\n"
        )
        argv = [NGINX, "-p", str(f), "-c", str(f / "nginx.conf"), "-g", "daemon off;"]
        ready = _listening(self.ports["https"])
        self.stack.enter_context(process_group(argv, name="deploy-nginx", ready=ready))

    def https(self, path: str, *, timeout: float = 20) -> tuple[int, bytes]:
        conn = http.client.HTTPSConnection("127.0.0.1", self.ports["https"], timeout=timeout,
                                           context=ssl._create_unverified_context())  # fmt: skip
        try:
            conn.request("GET", path, headers={"Host": HOST})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    @contextmanager
    def stream(self, path: str):
        """A raw TLS connection reading ``path``'s event stream; yields a function that reads
        until ``marker`` arrived (or ``seconds`` passed) and returns all bytes read so far."""
        context = ssl._create_unverified_context()
        raw = socket.create_connection(("127.0.0.1", self.ports["https"]), timeout=20)
        with context.wrap_socket(raw, server_hostname=HOST) as sock:
            request = f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept: text/event-stream\r\n\r\n"
            sock.sendall(request.encode())
            received = bytearray()

            def until(marker: bytes, seconds: float = 15) -> bytes:
                deadline = time.monotonic() + seconds
                while marker not in received and time.monotonic() < deadline:
                    sock.settimeout(max(0.1, deadline - time.monotonic()))
                    try:
                        chunk = sock.recv(65536)
                    except TimeoutError:
                        break
                    if not chunk:
                        break
                    received.extend(chunk)
                return bytes(received)

            yield until


@pytest.fixture
def site():
    if not Path(NGINX).exists():
        message = "Debian's nginx is missing (make check-deploy installs it as root)."
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with tempfile.TemporaryDirectory(prefix="parallax-nginx-") as folder:
        made = Site(Path(folder))
        with made.stack:
            yield made


def test_nginx_routes_pages_to_wsgi_and_the_live_stream_unbuffered_to_asgi(site):
    article = make_article()
    live_path = f"/stories/{article.story.slug}/live/"
    pages = site.start_pages()
    live = site.start_live()
    site.start_nginx()

    # HTTP is redirected; pages and static files answer over HTTPS.
    plain = http.client.HTTPConnection("127.0.0.1", site.ports["http"], timeout=20)
    plain.request("GET", "/search", headers={"Host": HOST})
    redirect = plain.getresponse()
    assert redirect.status == 301 and redirect.getheader("Location") == f"https://{HOST}/search"
    status, body = site.https("/search")
    assert status == 200 and b'role="search"' in body
    assert site.https("/static/probe.txt") == (200, b"served by nginx\n")

    # The stream: its first events at once, then a new claim's event within seconds.
    with site.stream(live_path) as until:
        head = until(b"event: ready")
        assert head.startswith(b"HTTP/1.1 200") and b"text/event-stream" in head.lower(), head[:300]
        assert b"event: ready" in head
        claim = make_claim(article=article, text=article.body.split()[0])
        marker = f'"object_id":{claim.pk},'.encode()
        assert marker in until(marker, seconds=15), "the claim's event did not come through"

    # Routing: without the ASGI server, pages still answer and only the stream fails...
    os.killpg(live.pid, signal.SIGTERM)
    live.wait(15)
    assert site.https("/search")[0] == 200
    assert site.https(live_path)[0] == 502
    # ... and without the WSGI server, the stream still answers and pages fail.
    site.start_live()
    os.killpg(pages.pid, signal.SIGTERM)
    pages.wait(15)
    assert site.https("/search")[0] == 502
    with site.stream(live_path) as until:
        head = until(b"event: ready")
        assert head.startswith(b"HTTP/1.1 200") and b"event: ready" in head, head[:300]


def test_the_documented_configuration_is_the_tested_file():
    docs = (PROJECT / "docs" / "deployment.md").read_text()
    assert f"```nginx\n{SITE.read_text()}```" in docs
    # The live location routes the same paths as make run's dispatcher.
    from config.dispatch import LIVE_PATH

    assert f"location ~ {LIVE_PATH.pattern} {{" in SITE.read_text()
