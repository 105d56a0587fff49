"""Settings for benchmarks (bench/): the site's settings plus a baseline view.

Used only by the scripts in bench/, which also set DEBUG=0, SECRET_KEY, ALLOWED_HOSTS and a
DATABASE_URL pointing at a dedicated benchmark database.
"""

import os
from pathlib import Path

from config.settings import *  # noqa: F403
from config.settings import STATIC_ROOT

ROOT_URLCONF = "config.bench_urls"

# The benchmarks make their sessions with the test client's force_login, which logs in without a
# request (so without an address); django-axes, which only watches logins, refuses those. Pages
# and writes are measured with every other middleware as served.
AXES_ENABLED = False

# collectstatic goes to a temporary folder so benchmarks never touch the project's staticfiles/.
STATIC_ROOT = Path(os.environ.get("BENCH_STATIC_ROOT") or STATIC_ROOT)


class SyncOnlyMiddleware:
    """A no-op middleware that can only run synchronously (see bench/server.py).

    Placed last, it makes Django run the whole middleware stack in one thread under ASGI instead
    of hopping between the event loop and a thread for each middleware hook. It would also force
    async views (live streams) through a thread, so it is only an experiment here.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)


if os.environ.get("BENCH_SYNC_ONLY_MIDDLEWARE") == "1":
    from config.settings import MIDDLEWARE

    MIDDLEWARE = [*MIDDLEWARE, "config.bench_settings.SyncOnlyMiddleware"]

# The benchmarks talk plain HTTP to 127.0.0.1 (no TLS proxy in front), so cookies must not be
# Secure-only or the browser benchmark could not keep its session and CSRF cookies.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
