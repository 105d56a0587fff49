"""HEAD is answered wherever GET is (uptime checks and link checkers send it): the same status
and headers, no body, and the same permission checks. The live stream stays GET-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def story():
    story, articles = factories.make_story_with_articles(2)
    factories.make_claim(article=articles[0])
    return story


@pytest.mark.parametrize(
    "name",
    ["reader:story_read", "reader:story_activity", "curation:matrix", "curation:matrix_csv"],
)
def test_head_answers_like_get_without_a_body(client, story, name):
    url = reverse(name, kwargs={"slug": story.slug})
    got, head = client.get(url), client.head(url)
    assert got.status_code == 200
    assert head.status_code == 200
    assert head.content == b""
    assert head["Content-Type"] == got["Content-Type"]


@pytest.mark.parametrize("name", ["reader:story_connections", "curation:story_history"])
def test_head_answers_what_get_answers(client, story, name):
    url = reverse(name, kwargs={"slug": story.slug})
    assert client.head(url).status_code == client.get(url).status_code != 405


def test_head_on_pages_without_parameters(client):
    for url in (reverse("articles:home"), reverse("articles:search") + "?q=chi+ph%C3%AD"):
        assert client.head(url).status_code == 200


def test_head_keeps_the_permission_checks(client):
    private = factories.make_claim(visibility="private")
    # A private claim's history is refused to a visitor, by GET and by HEAD alike.
    url = reverse(
        "curation:object_history", kwargs={"object_type": "claim", "object_id": private.pk}
    )
    refused = client.get(url).status_code
    assert refused in (302, 403, 404)
    assert client.head(url).status_code == refused


def test_the_live_stream_stays_get_only(client, story):
    url = reverse("reader:story_stream", kwargs={"slug": story.slug})
    assert client.head(url).status_code == 405
