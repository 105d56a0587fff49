from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from annotations.models import ClaimLink
from tests import factories
from articles.models import Article
from opendata import services


def word_spans(article, *, first: int, count: int) -> list[tuple[int, int]]:
    """(start, end) of ``count`` single words of ``article``, from its ``first``-th word on."""
    words = list(re.finditer(r"\w+", article.body))[first : first + count]
    return [(m.start(), m.end()) for m in words]


@pytest.fixture
def demo(db, fast_password_hasher, settings):
    """The demo story (five Vietnamese articles) with lan's claims (one with a note and tags),
    two links (one confirmed, with a rationale), and minh's private claim."""
    settings.DEBUG = True  # the demo password is refused otherwise
    call_command(
        "load_demo", no_progress=True, empty=True, stdout=io.StringIO(), stderr=io.StringIO()
    )
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.all()}
    articles = list(Article.objects.filter(story__slug="deepseek-r1").order_by("position", "pk"))
    claims = []
    for i, article in enumerate(articles):
        (start, _e), *_rest, (_s, end) = word_spans(article, first=10, count=4)
        claims.append(
            factories.make_claim(
                article=article,
                author=users["lan"],
                start=start,
                end=end,
                note="Con số này khác các bài khác." if i == 0 else "",
                tags=["chi phí", "gpu"] if i == 0 else [],
            )
        )
    link_1 = factories.make_link(
        claim_a=claims[0], claim_b=claims[1], relation="contradicts", rationale="Khác số liệu."
    )
    link_2 = factories.make_link(claim_a=claims[1], claim_b=claims[2], relation="agrees")
    from curation.services import links_review

    links_review(user=users["curator"], links=[link_2], decision="confirmed")
    (start, _e), *_rest, (_s, end) = word_spans(articles[0], first=20, count=3)
    private = factories.make_claim(
        article=articles[0],
        author=users["minh"],
        start=start,
        end=end,
        note="minh's secret note",
        visibility="private",
    )
    return {
        "users": users,
        "articles": articles,
        "claims": claims,
        "links": [link_1, link_2],
        "private": private,
        "story": articles[0].story,
    }


@pytest.fixture
def token_client(db):
    """A client for ``user`` that sends a personal Bearer token (no session, no CSRF)."""

    def make(user) -> Client:
        _token, raw = services.token_create(user=user, name="tests")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


def counts() -> tuple[int, int]:
    from annotations.models import Claim

    return Claim.objects.count(), ClaimLink.objects.count()
