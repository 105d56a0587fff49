"""Admin for Source, Story and Article: list pages without N+1, search and filters. (The
article's own form, which goes through ``newsroom``, is tested in ``newsroom/tests``.)"""

from __future__ import annotations


import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


from tests.factories import make_article, make_source, make_story

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]

CHANGELISTS = [
    "admin:articles_article_changelist",
    "admin:articles_story_changelist",
    "admin:articles_source_changelist",
]


def _make_rows(n: int) -> None:
    """``n`` stories, ``n`` sources and ``n`` articles (each story gets one, one source each)."""
    for i in range(n):
        story = make_story(title=f"Chuyện {i}")
        make_article(
            story=story, source=make_source(), title=f"Bài {i}", author=f"Tác giả {i}"
        )


@pytest.mark.parametrize("name", CHANGELISTS)
def test_changelist_query_count_does_not_grow_with_rows(
    admin_client, django_assert_num_queries, name
):
    url = reverse(name)
    admin_client.get(url)  # warm the session and content types
    _make_rows(3)
    with CaptureQueriesContext(connection) as three:
        response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    _make_rows(7)
    with django_assert_num_queries(len(three)):
        response = admin_client.get(url)
    assert response.context["cl"].result_count == 10


def test_article_changelist_shows_related_names(admin_client):
    story = make_story(title="DeepSeek R1")
    make_article(
        story=story, source=make_source(name="Markettimes"), translated_from="Financial Times"
    )
    content = admin_client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert "DeepSeek R1" in content
    assert "Markettimes" in content
    assert "Financial Times" in content


def test_story_and_source_changelists_show_article_counts(admin_client):
    story = make_story(title="Đếm bài")
    source = make_source(name="Nhà Đầu Tư")
    for _ in range(3):
        make_article(story=story, source=source)
    story_cl = admin_client.get(reverse("admin:articles_story_changelist")).context["cl"]
    source_cl = admin_client.get(reverse("admin:articles_source_changelist")).context["cl"]
    assert story_cl.result_list[0].article_count == 3
    assert source_cl.result_list[0].article_count == 3


@pytest.mark.parametrize(
    ("name", "query", "expected"),
    [
        ("admin:articles_article_changelist", "Startup", 1),
        ("admin:articles_article_changelist", "Markettimes", 1),  # source__name
        ("admin:articles_article_changelist", "Thái Linh", 1),  # author
        ("admin:articles_article_changelist", "deepseek", 2),  # story__title
        ("admin:articles_story_changelist", "deepseek", 1),
        ("admin:articles_source_changelist", "market", 1),
        ("admin:articles_article_changelist", "nothing-like-this", 0),
    ],
)
def test_changelist_search(admin_client, name, query, expected):
    story = make_story(title="DeepSeek R1", slug="deepseek-r1")
    make_article(story=story, title="Startup AI", source=make_source(name="Markettimes"))
    make_article(story=story, title="Cuộc đua AI", source=None, author="Thái Linh")
    make_story(title="Khác", slug="other")
    response = admin_client.get(reverse(name), {"q": query})
    assert response.status_code == 200
    assert response.context["cl"].result_count == expected


def test_article_changelist_filters(admin_client):
    story = make_story()
    make_article(story=story, translated_from="Financial Times")
    make_article(story=story)
    make_article()
    url = reverse("admin:articles_article_changelist")
    assert admin_client.get(url, {"story__id__exact": story.pk}).context["cl"].result_count == 2
    assert (
        admin_client.get(url, {"translated_from": "Financial Times"}).context["cl"].result_count
        == 1
    )


def test_story_change_page_with_inline_articles(admin_client):
    story = make_story()
    for _ in range(3):
        make_article(story=story)
    response = admin_client.get(reverse("admin:articles_story_change", args=[story.pk]))
    assert response.status_code == 200


def test_admin_requires_staff(client):
    response = client.get(reverse("admin:articles_article_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
