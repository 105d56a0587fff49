"""Presence, the stream's resume window and the activity feed's query count."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from activity.models import Event, Presence
from reader.live import RESUME_OVERLAP, _backlog
from tests import factories

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_resume_resends_events_committed_out_of_order(claim, claim_2, author, story):
    # Ids are handed out at INSERT and seen at COMMIT: an event with a smaller id can become
    # visible after the client saw a larger one. The resume window sends it again.
    events = list(Event.objects.order_by("id"))
    last = events[-1]
    ids = [m["id"] for m in _backlog(user=author, story=story, last_id=last.pk, since=None)]
    assert ids == [e.pk for e in events]  # all within the window: the browser drops repeats
    Event.objects.filter(pk=events[0].pk).update(created_at=last.created_at - 2 * RESUME_OVERLAP)
    ids = [m["id"] for m in _backlog(user=author, story=story, last_id=last.pk, since=None)]
    assert ids == [e.pk for e in events[1:]]
    # A first connection gets what happened since the page was rendered.
    since = last.created_at + datetime.timedelta(seconds=60)
    assert _backlog(user=author, story=story, last_id=0, since=since) == []
    assert [m["id"] for m in _backlog(user=author, story=story, last_id=0, since=last.created_at)] == [
        e.pk for e in events[1:]
    ]


def test_presence_update_records_the_column(story, article, article_2, author):
    client = _client(author)
    url = f"/stories/{story.slug}/presence/"
    assert client.post(url, {"article": article_2.pk}).status_code == 204
    assert Presence.objects.get(story=story, user=author).article_id == article_2.pk
    other = factories.make_article()
    assert client.post(url, {"article": other.pk}).status_code == 404
    assert Presence.objects.get(story=story, user=author).article_id == article_2.pk
    assert Client().post(url, {"article": article.pk}).status_code == 302  # log in first
    assert client.post("/stories/no-such-story/presence/", {"article": 1}).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_stream_for_an_unknown_story_is_404(author):
    assert _client(author).get("/stories/no-such-story/live/").status_code == 404


def test_activity_feed_query_count(story, article, author, django_assert_num_queries):
    client = Client()
    url = f"/stories/{story.slug}/activity/"
    texts = ["120 people", "Monday", "meeting"]
    for text in texts:
        factories.make_claim(article=article, author=author, text=text)
    with django_assert_num_queries(2):  # story, events with actors and teams
        small = client.get(url, HTTP_HX_REQUEST="true")
    for i in range(27):
        factories.make_claim(article=article, author=factories.make_user(), text="meeting")
    with django_assert_num_queries(2):
        big = client.get(url, HTTP_HX_REQUEST="true")
    assert small.content.decode().count("data-event=") == 3
    assert big.content.decode().count("data-event=") == 30
    assert 'id="feed"' in big.content.decode() and "<html" not in big.content.decode()


@pytest.mark.django_db(transaction=True)
def test_stream_under_wsgi_is_refused_at_once_instead_of_hanging(story, author):
    # Django buffers an async iterator whole under WSGI: an endless stream would never answer.
    response = _client(author).get(f"/stories/{story.slug}/live/")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "ASGI" in response.content.decode()
