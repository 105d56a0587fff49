"""Views: home, search, 404s, languages, escaping (the reader is reader/tests/test_page.py)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from articles import selectors, views
from articles.models import Article, Story

from tests.factories import make_article, make_source, make_story, make_story_with_articles, make_user

pytestmark = pytest.mark.django_db

READER_HX = {"HX-Request": "true", "HX-Target": "reader"}
SEARCH_HX = {"HX-Request": "true", "HX-Target": "search-results"}


# --- home ------------------------------------------------------------------------------------


def test_home_lists_stories_with_counts(client):
    story, _ = make_story_with_articles(3, title="Chuyện DeepSeek")
    make_story(title="Chuyện trống")
    response = client.get("/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Chuyện DeepSeek" in content
    assert "3 articles" in content
    assert "0 articles" in content
    assert f'href="{story.get_absolute_url()}"' in content


def test_home_empty_state(client):
    response = client.get("/")
    assert "No stories yet." in response.content.decode()
    # Issue 16: stories are made in the browser; the page no longer sends users to a shell.
    assert "manage.py" not in response.content.decode()
    assert "Curators of a desk can create stories" in response.content.decode()


def test_home_singular_count(client):
    make_story_with_articles(1)
    assert "1 article<" in client.get("/").content.decode()


def test_home_query_count_is_the_same_for_1_and_3_stories(client, django_assert_num_queries):
    make_story_with_articles(2)
    with django_assert_num_queries(1):
        client.get("/")
    make_story_with_articles(3)
    make_story_with_articles(1)
    with django_assert_num_queries(1):
        response = client.get("/")
    assert response.content.decode().count('class="story-card"') == 3


def test_home_rejects_post(client):
    assert client.post("/").status_code == 405


def test_unknown_url_is_a_custom_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


#: and links, each with its author's name. Pinned: a change here is a change in shape.
#: the version only (reader.presenters.reader_annotations).
# --- search ----------------------------------------------------------------------------------


@pytest.fixture
def searchable(db):
    story = make_story(slug="deepseek", title="DeepSeek R1")
    hit = make_article(
        story=story, title="Chi phí thật", body="Họ nói chi phí đào tạo chỉ là 6 triệu USD.\n"
    )
    miss = make_article(story=story, title="Nvidia", body="Cổ phiếu giảm mạnh.\n")
    return hit, miss


def test_search_finds_without_diacritics_and_marks_accented_words(client, searchable):
    hit, miss = searchable
    response = client.get(reverse("articles:search"), {"q": "chi phi dao tao"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "1 result" in content
    assert "<mark>phí</mark>" in content
    assert "<mark>đào</mark> <mark>tạo</mark>" in content
    assert f'href="/stories/deepseek/?tab={hit.pk}#article-{hit.pk}"' in content
    assert "Cổ phiếu" not in content
    assert selectors.MARK_START not in content and selectors.MARK_STOP not in content


def test_search_is_case_insensitive_and_accepts_diacritics(client, searchable):
    for query in ("DAO TAO", "đào tạo"):
        content = client.get("/search", {"q": query}).content.decode()
        assert "1 result" in content, query


def test_search_no_results(client, searchable):
    content = client.get("/search", {"q": "blockchain"}).content.decode()
    assert "No article mentions “blockchain”" in content


def test_search_page_without_query_has_no_error(client):
    response = client.get("/search")
    assert response.status_code == 200
    assert 'role="alert"' not in response.content.decode()


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("", "Type a few words to search for."),
        ("   ", "Type a few words to search for."),
        ("a" * 501, "That query is 501 characters long; please keep it under 500."),
        ("!!!", "Search for words or numbers, not only punctuation."),
        ("&&& ||| ((", "Search for words or numbers, not only punctuation."),
    ],
    ids=["empty", "blank", "501", "bangs", "operators"],
)
def test_search_bad_queries_get_a_friendly_answer(client, searchable, query, words):
    response = client.get("/search", {"q": query})
    assert response.status_code == 200
    content = response.content.decode()
    assert f'<p class="form-error" role="alert">{words}</p>' in content


@pytest.mark.parametrize("query", ["chi:*", "chi & (", "'", "\\", "a'b", "-", "chi<->phí"])
def test_search_odd_syntax_never_500s(client, searchable, query):
    assert client.get("/search", {"q": query}).status_code == 200


def test_search_query_with_nul_byte_is_refused_at_the_edge(client, searchable):
    # Issue 14: a NUL byte in any query is a 400 before a view runs (config/middleware.py).
    for query in ["chi\x00phi dao", "\x00"]:
        response = client.get("/search", {"q": query})
        assert response.status_code == 400


def test_search_htmx_returns_the_results_fragment(client, searchable):
    response = client.get("/search", {"q": "chi phi"}, headers=SEARCH_HX)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert content.lstrip().startswith('<div id="search-results"')
    assert "<mark>phí</mark>" in content


def test_search_htmx_error_fragment(client):
    response = client.get("/search", {"q": "!!!"}, headers=SEARCH_HX)
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert 'role="alert"' in response.content.decode()


def test_search_query_count_is_constant(client, django_assert_num_queries):
    story = make_story()
    for i in range(3):
        make_article(story=story, body=f"chi phí {i}\n")
    # The search generation, then the search.
    with django_assert_num_queries(2):
        client.get("/search", {"q": "chi phi"})
    for i in range(7):
        make_article(story=story, body=f"chi phí thêm {i}\n")
    with django_assert_num_queries(2):
        response = client.get("/search", {"q": "chi phi"})
    assert "10 results" in response.content.decode()
    # The same query again, nothing written: the results come from the cache.
    with django_assert_num_queries(1):
        again = client.get("/search", {"q": "chi  phi"})
    assert "10 results" in again.content.decode()


def test_search_cache_follows_every_write(client):
    """Cached results never outlive a change to an article, its story or its source, whether
    made through the ORM, a bulk update or a delete."""
    story = make_story(title="Old story title")
    article = make_article(story=story, title="First chip news", body="Nvidia ships.\n")
    assert "First chip news" in client.get("/search", {"q": "nvidia"}).content.decode()
    Article.objects.filter(pk=article.pk).update(title="Renamed chip news")
    content = client.get("/search", {"q": "nvidia"}).content.decode()
    assert "Renamed chip news" in content and "Old story title" in content
    Story.objects.filter(pk=story.pk).update(title="New story title")
    assert "New story title" in client.get("/search", {"q": "nvidia"}).content.decode()
    make_article(story=story, title="Second chip news", body="More Nvidia.\n")
    assert "2 results" in client.get("/search", {"q": "nvidia"}).content.decode()
    Article.objects.filter(pk=article.pk).delete()
    content = client.get("/search", {"q": "nvidia"}).content.decode()
    assert "1 result" in content and "Renamed chip news" not in content


def test_search_reads_the_generation_at_most_once_per_freshness_window(
    client, settings, django_assert_num_queries, monkeypatch
):
    settings.SEARCH_FRESHNESS_SECONDS = 60
    monkeypatch.setattr(selectors, "_generation", None)
    story = make_story()
    make_article(story=story, body="Nvidia ships.\n")
    with django_assert_num_queries(2):
        client.get("/search", {"q": "nvidia"})
    with django_assert_num_queries(0):
        assert "1 result" in client.get("/search", {"q": "nvidia"}).content.decode()
    make_article(story=story, body="More Nvidia.\n")
    # Within the window the cached page may be a write behind; after it, never.
    monkeypatch.setattr(selectors, "_generation", (selectors._generation[0], -1e9))
    with django_assert_num_queries(2):
        assert "2 results" in client.get("/search", {"q": "nvidia"}).content.decode()


def test_search_cache_is_per_language(client):
    story = make_story()
    make_article(story=story, body="chi phí đào tạo\n")
    english = client.get("/search", {"q": "chi phi"}).content.decode()
    vietnamese = client.get(
        "/search", {"q": "chi phi"}, headers={"Accept-Language": "vi"}
    ).content.decode()
    assert "1 result" in english
    assert "1 result" not in vietnamese


def test_search_snippet_escapes_the_text_around_the_marks(client):
    story = make_story()
    make_article(story=story, body="Mở đầu.\nTheo <b>nguồn</b> & chi phí đào tạo thấp.\n")
    content = client.get("/search", {"q": "dao tao"}).content.decode()
    assert "Theo &lt;b&gt;nguồn&lt;/b&gt; &amp; chi phí <mark>đào</mark> <mark>tạo</mark> thấp." in content
    assert "Mở đầu." not in content


# --- escaping --------------------------------------------------------------------------------

XSS = "<script>alert(1)</script>"


def test_search_escapes_titles_and_headlines(client):
    story = make_story(title=f"Story {XSS}")
    make_article(
        story=story,
        title=f"{XSS} chi phí",
        body=f"Chi phí <img src=x onerror=alert(1)> {XSS} đào tạo\n",
        source=make_source(name=f"<i>{XSS}</i>"),
    )
    response = client.get("/search", {"q": "chi phi alert"})
    content = response.content.decode()
    assert "1 result" in content
    assert XSS not in content
    assert "<img" not in content
    assert "<i>" not in content
    assert "<mark>phí</mark>" in content
    assert "&lt;script&gt;" in content


def test_search_query_is_escaped_when_echoed(client):
    content = client.get("/search", {"q": f"{XSS} nothing-matches"}).content.decode()
    assert XSS not in content


# --- languages -------------------------------------------------------------------------------


def _vi(text: str) -> str:
    with translation.override("vi"):
        return translation.gettext(text)


def test_default_language_is_english(client):
    content = client.get("/").content.decode()
    assert '<html lang="en">' in content
    assert ">Stories<" in content


def test_accept_language_vi_gives_vietnamese(client):
    make_story_with_articles(1)
    response = client.get("/", headers={"Accept-Language": "vi,en;q=0.5"})
    content = response.content.decode()
    assert '<html lang="vi">' in content
    assert _vi("Stories") != "Stories", "no Vietnamese translation compiled (locale/vi)"
    assert f">{_vi('Stories')}<" in content
    assert response["Content-Language"] == "vi"


def test_accept_language_vi_for_search_errors(client):
    content = client.get("/search", {"q": ""}, headers={"Accept-Language": "vi"}).content.decode()
    assert _vi("Type a few words to search for.") in content
    assert _vi("Type a few words to search for.") != "Type a few words to search for."


def test_accept_language_vi_for_404(client):
    response = client.get("/stories/none/", headers={"Accept-Language": "vi"})
    assert response.status_code == 404
    assert _vi("We could not find that page") in response.content.decode()


def test_unknown_accept_language_falls_back_to_english(client):
    content = client.get("/", headers={"Accept-Language": "fr-FR,fr"}).content.decode()
    assert '<html lang="en">' in content


def test_language_switcher_is_on_every_page(client):
    content = client.get("/").content.decode()
    assert 'action="/i18n/setlang/"' in content
    assert 'name="csrfmiddlewaretoken"' in content
    assert '<option value="vi" lang="vi">Tiếng Việt</option>' in content


def test_set_language_switches_and_redirects(client):
    response = client.post("/i18n/setlang/", {"language": "vi", "next": "/search"})
    assert response.status_code == 302
    assert response["Location"] == "/search"
    content = client.get("/").content.decode()
    assert '<html lang="vi">' in content
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "vi"}).content.decode()


def test_set_language_ignores_offsite_next(client):
    response = client.post("/i18n/setlang/", {"language": "vi", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_set_language_requires_csrf_token():
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    assert response.status_code == 403
    # With the token from the page's switcher form it works.
    page = csrf_client.get("/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = csrf_client.post(
        "/i18n/setlang/", {"language": "vi", "next": "/", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert '<html lang="vi">' in csrf_client.get("/").content.decode()


@pytest.mark.django_db
def test_favicon_is_linked_and_favicon_ico_redirects_to_it(client):
    page = client.get("/")
    assert b'rel="icon"' in page.content and b"favicon.svg" in page.content
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")


def _csrf_values(content: str) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', content)) | set(
        re.findall(r'"X-CSRFToken": "([^"]+)"', content)
    )


def test_cached_search_page_carries_each_visitors_own_csrf_token(db):
    story = make_story()
    make_article(story=story, body="Nvidia ships.\n")
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page_one = first.get("/search", {"q": "nvidia"}).content.decode()
    page_two = second.get("/search", {"q": "nvidia"}).content.decode()  # from the cache
    assert views.CSRF_PLACEHOLDER not in page_one + page_two
    assert "1 result" in page_two
    token = _csrf_values(page_two).pop()
    # The second visitor's token works for the second visitor's language switch.
    response = second.post("/i18n/setlang/", {"language": "vi", "next": "/search",
                                              "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_search_page_of_a_signed_in_user_is_never_served_from_the_anonymous_cache(client):
    story = make_story()
    make_article(story=story, body="Nvidia ships.\n")
    assert "Log in" in client.get("/search", {"q": "nvidia"}).content.decode()
    client.force_login(make_user(username="searcher"))
    content = client.get("/search", {"q": "nvidia"}).content.decode()
    assert "searcher" in content and "1 result" in content
