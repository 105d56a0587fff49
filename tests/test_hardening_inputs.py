"""Issue 14: each input the audit saw answered with a 500 now gets a 4xx and changes nothing."""

from __future__ import annotations

import json

import pytest
from django.test import AsyncClient, Client

from annotations.models import Claim, ClaimLink
from tests import factories

pytestmark = pytest.mark.django_db

LD = "application/ld+json"


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.fixture
def writer():
    user = factories.make_user(username="writer")
    client = Client()
    client.force_login(user)
    return user, client


def _counts():
    return Claim.objects.count(), ClaimLink.objects.count()


@pytest.mark.parametrize(
    "query",
    [
        "page=-1",
        "page=99999999999999999999",
        "page=9223372036854775808",
        "page=1e3",
        "story=%00",
        "story=a%00b",
        "page=%00",
    ],
)
def test_container_query_errors_are_4xx(query):
    factories.make_claim()
    response = Client().get(f"/annotations/?{query}")
    assert 400 <= response.status_code < 500, response.content[:300]


def test_a_nul_byte_anywhere_in_a_query_is_400():
    story = factories.make_story()
    for url in [f"/stories/{story.slug}/?claim=%00", "/search/?q=a%00b", "/?x=%00"]:
        assert Client().get(url).status_code == 400, url


@pytest.mark.parametrize(
    "path", ["/annotations/", "/annotations/import"]
)
def test_json_nested_100000_levels_is_400(writer, path):
    _user, client = writer
    before = _counts()
    response = client.post(path, _deep(100_000), content_type=LD)
    assert response.status_code == 400, response.content[:300]
    assert "deep" in response.json()["detail"]
    assert _counts() == before


def test_json_nested_100000_levels_to_put_is_400(writer):
    user, client = writer
    claim = factories.make_claim(author=user)
    etag = client.get(f"/annotations/claim-{claim.pk}")["ETag"]
    response = client.put(
        f"/annotations/claim-{claim.pk}", _deep(100_000), content_type=LD, HTTP_IF_MATCH=etag
    )
    assert response.status_code == 400
    # Deep, but not past Python's recursion limit: still refused, before anything walks it.
    response = client.put(
        f"/annotations/claim-{claim.pk}", _deep(500), content_type=LD, HTTP_IF_MATCH=etag
    )
    assert response.status_code == 400


@pytest.mark.parametrize("bad", ["a\u0000b", "\ud800", "x\udfffy"])
def test_textual_body_with_nul_or_lone_surrogate_is_refused_by_the_api(writer, bad):
    user, client = writer
    article = factories.make_article()
    start = article.body.index(article.body.split()[0])
    end = start + len(article.body.split()[0])
    annotation = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "motivation": "commenting",
        "body": {"type": "TextualBody", "value": bad, "purpose": "commenting"},
        "target": {
            "source": f"http://testserver/annotations/articles/{article.pk}",
            "selector": [
                {"type": "TextQuoteSelector", "exact": article.body[start:end]},
                {"type": "TextPositionSelector", "start": start, "end": end},
            ],
        },
    }
    before = _counts()
    # json.dumps writes \ud800 as an escape, which is how a client sends it.
    response = client.post("/annotations/", json.dumps(annotation), content_type=LD)
    assert response.status_code in (400, 422), response.content[:300]
    assert _counts() == before


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "since", ["99999999999999999999", "9223372036854775807", "-99999999999", "1e9", "%00"]
)
def test_live_stream_with_a_timestamp_out_of_range_is_400(since):
    from asgiref.sync import async_to_sync

    story = factories.make_story()
    response = async_to_sync(AsyncClient().get)(f"/stories/{story.slug}/live/?since={since}")
    assert response.status_code == 400
