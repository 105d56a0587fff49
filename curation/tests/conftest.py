from __future__ import annotations

import pytest

from tests import factories
from annotations.tests.conftest import article, article_2, story  # noqa: F401  (shared fixtures)


@pytest.fixture
def curator(db):
    return factories.make_user(username="cura", is_staff=True)


@pytest.fixture
def annotator(db):
    return factories.make_user(username="ann")
