"""Settings for the test suite: the site's settings as a developer runs them (`make run` sets
DEBUG=1), so tests need no secret in the environment. pytest-django still runs every test with
DEBUG off, as production does."""

import os

os.environ.setdefault("DEBUG", "1")

from config.settings import *  # noqa: E402,F403

# A test that locks itself out (django-axes) must not lock out the next one: tests that check
# the throttle turn it on (see tests/test_throttling.py).
AXES_ENABLED = False
