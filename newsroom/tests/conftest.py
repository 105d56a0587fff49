import pytest

from .pageserver import serving


@pytest.fixture(scope="session")
def page_server():
    """Base URL of the local server of saved news pages (see ``pageserver.py``)."""
    with serving() as base:
        yield base


@pytest.fixture
def fetch_local(settings):
    """Let links lead to 127.0.0.1 (only that address: the SSRF tests use others)."""
    settings.NEWSROOM_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.NEWSROOM_FETCH_BACKGROUND = False
    settings.NEWSROOM_FETCH_TIMEOUT = 2.0
