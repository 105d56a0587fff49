"""One ASGI application that routes by path: the live stream to Django's ASGI handler, every other
request (pages, fragments, writes, the API, static files) to Django's WSGI handler, run in a pool
of threads by a2wsgi.

Why: only the live stream needs ASGI (it holds a connection open for minutes), and Django's ASGI
handler costs every other request a hop between the event loop and a thread per middleware: the
same bytes from memory are answered about 5x faster through WSGI (docs/benchmarks.md, issue 18).

This is what ``make run`` serves on one URL (config/serve.py). Production runs the two halves as
separate servers behind a load balancer that routes the same path pattern (docs/deployment.md).
"""

from __future__ import annotations

import os
import re

from a2wsgi import WSGIMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from config.asgi import application as asgi_application  # noqa: E402
from config.wsgi import application as wsgi_application  # noqa: E402

#: The paths served through ASGI: reader.urls' ``story_stream`` (``stories/<slug>/live/``), the
#: only async view. The nginx and HAProxy configurations in docs/deployment.md route the same
#: pattern; tests check that it matches that view and no other.
LIVE_PATH = re.compile(r"^/stories/[-a-zA-Z0-9_]+/live/$")

#: Threads running synchronous Django views (per process), like gunicorn's ``--threads``.
WSGI_THREADS = int(os.environ.get("WSGI_THREADS", "8"))

pages = WSGIMiddleware(wsgi_application, workers=WSGI_THREADS)


async def application(scope, receive, send) -> None:
    if scope["type"] == "lifespan":  # Django has nothing to start or stop
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "http" and LIVE_PATH.match(scope["path"]):
        await asgi_application(scope, receive, send)
    else:
        # a2wsgi hands receive() to asyncio.run_coroutine_threadsafe, which takes coroutines
        # only; granian's receive() returns another awaitable.
        async def read_body():
            return await receive()

        await pages(scope, read_body, send)
