from __future__ import annotations

import pytest

from . import factories


@pytest.fixture
def author(db):
    return factories.user_create(username="ana")


@pytest.fixture
def other_user(db):
    return factories.user_create(username="bao")


@pytest.fixture
def story(db):
    return factories.story_create(slug="meeting")


@pytest.fixture
def article(story):
    return factories.article_create(story=story, position=0)


@pytest.fixture
def article_2(story):
    return factories.article_create(story=story, position=1)


@pytest.fixture
def claim(article, author):
    return factories.claim_create(article=article, author=author, text="120 people")


@pytest.fixture
def claim_2(article_2, author):
    return factories.claim_create(article=article_2, author=author, text="fewer than 100")
