"""Serve Parallax on one URL with one command: ``python -m config.serve [--host H] [--port P]``.

Runs granian (a Rust HTTP server) with config.dispatch: the live stream through Django's ASGI
handler, everything else through its WSGI handler, in one process. ``make run`` and the browser
tests of the live session use it.

Production splits the two halves across two servers behind a load balancer (docs/deployment.md,
deploy/nginx-parallax.conf): ``pages_command`` (WSGI) and ``live_command`` (ASGI) are those
servers' command lines, used as they are by the benchmarks (bench/common.py) and the test of the
nginx configuration (tests/test_deploy.py); the systemd units in docs/deployment.md run the same.
"""

from __future__ import annotations

import argparse
import os
import sys


def command(*, host: str, port: int, access_log: bool = True) -> list[str]:
    """The granian command line (also used by bench/server.py to measure this set-up)."""
    return [
        sys.executable, "-m", "granian", "config.dispatch:application",
        # asginl: ASGI without the lifespan protocol, which Django does not use.
        "--interface", "asginl", "--host", host, "--port", str(port), "--workers", "1",
        "--no-ws", "--log-level", "warning", *(["--access-log"] if access_log else []),
        # Open live streams never end by themselves: stop the worker anyway after 3 s (browsers
        # reconnect when the server is back).
        "--workers-kill-timeout", "3",
    ]  # fmt: skip


def pages_command(*, host: str, port, workers: int = 1, threads: int = 8) -> list[str]:
    """The WSGI server for pages, fragments, writes and the API: gunicorn's threaded worker."""
    return [
        sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"{host}:{port}",
        "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
        "--log-level", "warning",
    ]  # fmt: skip


def live_command(*, host: str, port, workers: int = 1) -> list[str]:
    """The ASGI server for the live stream: uvicorn on Django's ASGI handler."""
    return [
        sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", host,
        "--port", str(port), "--workers", str(workers), "--lifespan", "off",
        "--no-access-log", "--log-level", "warning", "--timeout-graceful-shutdown", "3",
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-access-log", action="store_true")
    args = parser.parse_args(argv)
    argv = command(host=args.host, port=args.port, access_log=not args.no_access_log)
    sys.stdout.flush()
    os.execv(argv[0], argv)  # the server replaces this process: one process group, Ctrl-C stops it


if __name__ == "__main__":
    main()
