"""Project-wide pytest fixtures: the Playwright browser (Debian's Chromium) and its pages.

Browser tests live in ``tests/e2e/`` (and ``<app>/tests/e2e/``), are marked ``e2e`` and use
pytest-django's ``live_server`` with a transactional database. Playwright cannot download its own
browsers here, so it drives ``/usr/bin/chromium`` through ``executable_path``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("PARALLAX_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def pytest_configure(config: pytest.Config) -> None:
    # Tests serve static files from the finders; an uncollected STATIC_ROOT is expected here.
    config.addinivalue_line(
        "filterwarnings", "ignore:No directory at:UserWarning:django.core.handlers.base"
    )
    # Serve the live server on 127.0.0.1 (not "localhost"), so the browser tests can assert that
    # every request stays on 127.0.0.1. An explicit --liveserver or
    # DJANGO_LIVE_TEST_SERVER_ADDRESS still wins.
    if not (
        config.getoption("liveserver", default=None)
        or os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS")
    ):
        config.option.liveserver = "127.0.0.1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last. Playwright's sync API keeps an asyncio loop running in the main
    thread from the first browser test to the end of the session, and Django's async views
    (the live stream) cannot be driven from a thread with a running loop; running every other
    test first keeps the outcome independent of which app's tests are collected first."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.fixture(autouse=True)
def _live_server_settles(request):
    """After a browser test, wait for the live server to finish the requests the page had in
    flight (closing the page does not stop them) before the database is flushed: a request
    still writing while the flush truncates the tables deadlocks it, and the next test then
    starts on a dirty database. Runs after the page fixtures close (they are set up later) and
    before pytest-django's flush (set up earlier)."""
    yield
    if request.node.get_closest_marker("e2e") is None:
        return
    import threading
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        busy = [t for t in threading.enumerate() if "process_request_thread" in t.name and t.is_alive()]
        if not busy:
            return
        busy[0].join(timeout=0.2)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run."""
    if not CHROMIUM.exists():
        message = (
            f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"Browser tests cannot run in CI: {message}", pytrace=False)
        pytest.skip(message)
    # Playwright's sync API keeps an asyncio loop running in this (the main) thread, which trips
    # Django's async-unsafe guard on every ORM call the test itself makes (load_demo, flushes).
    # The ORM is still only used synchronously from this thread, so the guard is a false alarm.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    from playwright.sync_api import expect

    # expect() has its own default (5 s), apart from the context's: give it the same.
    expect.set_options(timeout=BROWSER_WAIT_MS)
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


#: How long a browser test waits for what the page shows (and for an action). Sized for a
#: loaded 2-core CI machine: on one, a test that waited Playwright's default 5 s for a swap that
#: took 6 went red with nothing broken (issue 14). A passing test never waits this long.
BROWSER_WAIT_MS = 30_000


def _new_page(browser, viewport: dict, **options):
    context = browser.new_context(viewport=viewport, locale="en-US", **options)
    context.set_default_timeout(BROWSER_WAIT_MS)
    return context, context.new_page()


@pytest.fixture
def page(browser):
    """A desktop-sized page (1440x900, en-US) in a fresh browser context."""
    context, page = _new_page(browser, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    """A phone-sized page (390x844, touch, en-US) in a fresh browser context."""
    context, page = _new_page(browser, PHONE, is_mobile=True, has_touch=True)
    yield page
    context.close()


@pytest.fixture
def fast_password_hasher(settings):
    """Hash passwords with MD5 for this test only: load_demo sets three passwords, and the
    production hasher spends ~0.5 s on each. Never use it for tests about hashing itself."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_background_suggestions(settings):
    """No background threads recomputing suggestions behind a test's back (they would outlive
    its database); the suggestions tests turn this on where they test it."""
    settings.SUGGESTIONS_AUTO_REFRESH = False


@pytest.fixture(autouse=True)
def _search_sees_every_write(settings):
    """Search re-reads its generation on every request, so a test sees its own writes at once
    (articles/tests/test_views.py tests the freshness window itself)."""
    settings.SEARCH_FRESHNESS_SECONDS = 0


@pytest.fixture(autouse=True)
def _reset_active_language():
    """LocaleMiddleware activates the request's language in the test's thread and never
    deactivates it, so one ``Accept-Language: vi`` request would turn every later gettext in
    the run Vietnamese. Start and end every test with the default language."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_caches():
    """Each test starts with empty caches, so a page's query count does not depend on which
    tests ran before it (the reader reads no annotation rows when it has drawn them before)."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
