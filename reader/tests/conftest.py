"""Reuse the annotations fixtures (story, articles, users, claims)."""

from annotations.tests.conftest import (  # noqa: F401
    article,
    article_2,
    author,
    claim,
    claim_2,
    other_user,
    story,
)
