"""The server ``make run`` starts (``python -m config.serve``: pages on WSGI, the live stream on
ASGI, one URL), run for a test against the test database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

PROJECT = Path(__file__).resolve().parents[1]


@contextmanager
def process_group(argv: list[str], *, env: dict | None = None, ready=None, name: str):
    """Run ``argv`` in a process group of its own until the block ends (then the group is
    stopped: a server and its workers); wait first, up to 60 s, until ``ready()`` is true."""
    log = tempfile.NamedTemporaryFile(prefix=f"parallax-{name}-", suffix=".log")
    process = subprocess.Popen(argv, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while ready is not None and not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{Path(log.name).read_text()}")
            time.sleep(0.2)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


@contextmanager
def one_url_server():
    """Start it on a free port, yield its URL once it answers, stop it (and its worker) after."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DEBUG": "1",  # static files from the finders; no collectstatic in tests
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            urllib.request.urlopen(url + "/search", timeout=5)  # noqa: S310 - our own server
        except OSError:
            return False
        return True

    argv = [sys.executable, "-m", "config.serve", "--port", str(port), "--no-access-log"]
    with process_group(argv, env=env, ready=ready, name="serve"):
        yield url
