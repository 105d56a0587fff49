"""The benchmarks' baselines (config/bench_urls.py) do what docs/benchmarks.md says they do:
the bare-INSERT view runs the real login and CSRF checks and then exactly one INSERT, and the
static-bytes view returns a page's bytes without touching the database again."""

from __future__ import annotations

import pytest
from django.test import Client

from annotations.models import Claim
from tests.factories import make_article, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.urls("config.bench_urls")]


@pytest.fixture
def writer():
    """A logged-in client that enforces CSRF like a browser does, and its CSRF token."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(username="bench-writer"))
    client.get("/")
    return client, client.cookies["csrftoken"].value


def _fields(article, start=0, end=9):
    return {"article": article.pk, "start": start, "end": end, "exact": article.body[start:end]}


def test_bare_insert_is_one_insert_after_session_and_user(writer, django_assert_num_queries):
    client, token = writer
    article = make_article()
    with django_assert_num_queries(3) as captured:  # session, user, the INSERT
        response = client.post(
            "/bench/bare-insert/", _fields(article), HTTP_X_CSRFTOKEN=token, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    statements = [q["sql"] for q in captured.captured_queries]
    assert [s.split()[0] for s in statements] == ["SELECT", "SELECT", "INSERT"], statements
    claim = Claim.objects.get()
    assert (claim.article_id, claim.start, claim.end) == (article.pk, 0, 9)
    assert claim.author.username == "bench-writer"


@pytest.mark.django_db(transaction=True)  # autocommit, as served: a conflict must not poison it
def test_bare_insert_refuses_missing_csrf_anonymous_and_repeats(writer):
    client, token = writer
    article = make_article()
    assert client.post("/bench/bare-insert/", _fields(article)).status_code == 403
    anonymous = Client()
    assert anonymous.post("/bench/bare-insert/", _fields(article)).status_code == 403
    assert not Claim.objects.exists()
    first = client.post("/bench/bare-insert/", _fields(article), HTTP_X_CSRFTOKEN=token)
    again = client.post("/bench/bare-insert/", _fields(article), HTTP_X_CSRFTOKEN=token)
    assert (first.status_code, again.status_code) == (200, 409)
    bad = client.post("/bench/bare-insert/", {"article": article.pk}, HTTP_X_CSRFTOKEN=token)
    assert bad.status_code == 400
    assert Claim.objects.count() == 1


def test_static_bytes_returns_the_page_bytes_from_memory(client, django_assert_num_queries):
    page = client.get("/")
    assert page.status_code == 200
    client.get("/bench/static-bytes/?of=/")  # captures the bytes
    with django_assert_num_queries(0):
        copy = client.get("/bench/static-bytes/?of=/")
    assert copy.status_code == 200
    assert copy["Content-Type"] == page["Content-Type"]
    assert abs(len(copy.content) - len(page.content)) <= 64  # CSRF tokens differ per response
    assert client.get("/bench/static-bytes/?of=/bench/static-bytes/").status_code == 404
