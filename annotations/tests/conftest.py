from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def author(db):
    return factories.make_user(username="ana")


@pytest.fixture
def other_user(db):
    return factories.make_user(username="bao")


@pytest.fixture
def story(db):
    return factories.make_story(slug="meeting")


@pytest.fixture
def article(story):
    return factories.make_article(story=story, position=0)


@pytest.fixture
def article_2(story):
    return factories.make_article(story=story, position=1)


@pytest.fixture
def claim(article, author):
    return factories.make_claim(article=article, author=author, text="120 people")


@pytest.fixture
def claim_2(article_2, author):
    return factories.make_claim(article=article_2, author=author, text="fewer than 100")
