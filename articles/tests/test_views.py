"""Views: home, the reader (full page and htmx fragment), search, 404s, languages, escaping."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from articles import selectors
from textkernel.text import paragraphs

from .factories import article_factory, source_factory, story_factory, story_with_articles

pytestmark = pytest.mark.django_db

READER_HX = {"HX-Request": "true", "HX-Target": "reader"}
SEARCH_HX = {"HX-Request": "true", "HX-Target": "search-results"}


class ReaderParser(HTMLParser):
    """Collects columns (``[data-article]``) and their ``<p data-start>`` paragraphs, with the
    exact text between the tags, and flags any tag nested inside a paragraph."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.columns: list[dict] = []
        self._p: dict | None = None
        self.html_lang: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if self._p is not None:
            self._p["nested_tags"].append(tag)
        if "data-article" in attrs:
            self.columns.append({"pk": int(attrs["data-article"]), "paragraphs": [], "lang": None})
        if tag == "div" and "column-body" in (attrs.get("class") or "") and self.columns:
            self.columns[-1]["lang"] = attrs.get("lang")
        if tag == "p" and "data-start" in attrs:
            self._p = {"start": int(attrs["data-start"]), "text": "", "nested_tags": []}
            self.columns[-1]["paragraphs"].append(self._p)

    def handle_endtag(self, tag):
        if tag == "p":
            self._p = None

    def handle_data(self, data):
        if self._p is not None:
            self._p["text"] += data


def parse(response) -> ReaderParser:
    parser = ReaderParser()
    parser.feed(response.content.decode())
    return parser


def column_order(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-article="(\d+)"', response.content.decode())]


def read(client, story, **params):
    return client.get(story.get_absolute_url(), params)


# --- home ------------------------------------------------------------------------------------


def test_home_lists_stories_with_counts(client):
    story, _ = story_with_articles(3, title="Chuyện DeepSeek")
    story_factory(title="Chuyện trống")
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
    assert "manage.py load_demo" in response.content.decode()


def test_home_singular_count(client):
    story_with_articles(1)
    assert "1 article<" in client.get("/").content.decode()


def test_home_query_count_is_the_same_for_1_and_3_stories(client, django_assert_num_queries):
    story_with_articles(2)
    with django_assert_num_queries(1):
        client.get("/")
    story_with_articles(3)
    story_with_articles(1)
    with django_assert_num_queries(1):
        response = client.get("/")
    assert response.content.decode().count('class="story-card"') == 3


def test_home_rejects_post(client):
    assert client.post("/").status_code == 405


# --- reader ----------------------------------------------------------------------------------


def test_reader_shows_one_column_per_article_with_exact_paragraphs(client):
    story, articles = story_with_articles(3)
    response = read(client, story)
    assert response.status_code == 200
    page = parse(response)
    assert [c["pk"] for c in page.columns] == [a.pk for a in articles]
    for column, article in zip(page.columns, articles, strict=True):
        expected = paragraphs(article.body)
        assert [(p["start"], p["text"]) for p in column["paragraphs"]] == expected
        for p in column["paragraphs"]:
            assert article.body[p["start"] : p["start"] + len(p["text"])] == p["text"]
            assert p["nested_tags"] == []
        assert column["lang"] == "vi"


def test_reader_paragraph_markup_has_no_extra_characters(client):
    story = story_factory()
    article_factory(story=story, body="  Thụt lề  đầu dòng\nA & B < C\n\n\tTab\n")
    content = read(client, story).content.decode()
    raw = re.findall(r'<p data-start="(\d+)">(.*?)</p>', content, flags=re.S)
    assert [(int(start), html.unescape(text)) for start, text in raw] == [
        (0, "  Thụt lề  đầu dòng"),
        (20, "A & B < C"),
        (31, "\tTab"),
    ]
    assert "A &amp; B &lt; C" in content


def test_reader_paragraphs_of_the_demo_texts(client, monkeypatch, settings):
    from django.core.management import call_command

    from articles.models import Article

    monkeypatch.setenv("DEMO_PASSWORD", "x-demo-password")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_demo", "--no-progress", stdout=open("/dev/null", "w"))
    articles = {a.pk: a for a in Article.objects.all()}
    page = parse(client.get("/stories/deepseek-r1/"))
    assert len(page.columns) == 5
    for column in page.columns:
        body = articles[column["pk"]].body
        assert len(column["paragraphs"]) > 5
        for p in column["paragraphs"]:
            assert body[p["start"] : p["start"] + len(p["text"])] == p["text"]


def test_reader_column_header(client):
    story = story_factory()
    article_factory(
        story=story,
        source=source_factory(name="Markettimes"),
        title="Startup AI Trung Quốc",
        author="Thái Linh",
        translated_from="Financial Times",
        translated_from_url="https://www.ft.com/content/x",
    )
    article_factory(story=story, source=None, title="Không có nguồn")
    content = read(client, story).content.decode()
    assert '<div class="column-source">Markettimes</div>' in content
    assert re.search(r'<h2 class="column-title"[^>]*lang="vi">Startup AI Trung Quốc</h2>', content)
    assert re.search(r"<dt>Author</dt><dd[^>]*>Thái Linh</dd>", content)
    assert "<dt>Translated from</dt>" in content
    assert (
        'href="https://www.ft.com/content/x" rel="noopener noreferrer">Financial Times</a>'
        in content
    )
    assert '<div class="column-source">Source not named</div>' in content
    assert content.count("<dt>Author</dt>") == 1  # only articles with an author say so


def test_reader_order_param_changes_rendered_order(client):
    story, (a, b, c) = story_with_articles(3)
    response = read(client, story, order=f"{c.pk},{a.pk},{b.pk}")
    assert column_order(response) == [c.pk, a.pk, b.pk]


def test_reader_order_param_partial_and_unknown(client):
    story, (a, b, c) = story_with_articles(3)
    response = read(client, story, order=f"999,{b.pk}")
    assert column_order(response) == [b.pk, a.pk, c.pk]


def test_reader_hide_param_hides_column_and_shows_chip(client):
    story, (a, b, c) = story_with_articles(3)
    response = read(client, story, hide=str(b.pk))
    assert column_order(response) == [a.pk, c.pk]
    content = response.content.decode()
    assert f'data-focus-key="show-{b.pk}"' in content
    assert f"Show {b.source.name}" in content
    chip = re.search(rf'<a class="chip" href="([^"]+)"[^>]*data-focus-key="show-{b.pk}"', content)
    query = parse_qs(urlsplit(html.unescape(chip.group(1))).query)
    assert "hide" not in query
    assert query["tab"] == [str(b.pk)]


def test_reader_showing_a_hidden_column_restores_its_place(client):
    story, (a, b, c) = story_with_articles(3)
    content = read(client, story).content.decode()
    hide_b = re.search(rf'href="([^"]+)"[^>]*data-focus-key="hide-{b.pk}"', content).group(1)
    hidden_page = client.get(html.unescape(hide_b)).content.decode()
    show_b = re.search(rf'href="([^"]+)"[^>]*data-focus-key="show-{b.pk}"', hidden_page).group(1)
    assert column_order(client.get(html.unescape(show_b))) == [a.pk, b.pk, c.pk]


def test_reader_controls_encode_the_next_view_state(client):
    story, (a, b, c) = story_with_articles(3)
    content = read(client, story).content.decode()

    def link(key: str) -> dict:
        href = re.search(rf'href="([^"]+)"[^>]*data-focus-key="{key}"', content).group(1)
        return parse_qs(urlsplit(html.unescape(href)).query)

    assert link(f"right-{a.pk}")["order"] == [f"{b.pk},{a.pk},{c.pk}"]
    assert link(f"left-{c.pk}")["order"] == [f"{a.pk},{c.pk},{b.pk}"]
    assert link(f"hide-{b.pk}")["hide"] == [str(b.pk)]
    assert f'data-focus-key="left-{a.pk}"' not in content  # first column cannot move left
    assert f'data-focus-key="right-{c.pk}"' not in content


def test_reader_hiding_everything_shows_the_empty_state(client):
    story, articles = story_with_articles(2)
    response = read(client, story, hide=",".join(str(a.pk) for a in articles))
    assert response.status_code == 200
    content = response.content.decode()
    assert column_order(response) == []
    assert "Every column is hidden." in content
    assert f'href="{story.get_absolute_url()}"' in content


def test_reader_story_without_articles(client):
    story = story_factory()
    content = read(client, story).content.decode()
    assert "This story has no articles yet." in content


@pytest.mark.parametrize(
    "params",
    [
        {"order": "x,y,,-3", "hide": "%%%"},
        {"tab": "abc"},
        {"order": "9" * 40},
        {"hide": ",".join(str(i) for i in range(1000))},
    ],
)
def test_reader_garbage_params_are_harmless(client, params):
    story, articles = story_with_articles(2)
    response = read(client, story, **params)
    assert response.status_code == 200


def test_reader_htmx_returns_only_the_fragment(client):
    story, articles = story_with_articles(2)
    response = client.get(story.get_absolute_url(), {"hide": articles[0].pk}, headers=READER_HX)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert '<header class="site-header"' not in content
    assert content.lstrip().startswith('<div id="reader"')
    assert column_order(response) == [articles[1].pk]
    assert response["HX-Push-Url"].startswith(story.get_absolute_url() + "?")
    assert f"hide={articles[0].pk}" in response["HX-Push-Url"]


def test_reader_full_page_is_not_a_fragment(client):
    story, _ = story_with_articles(1)
    response = read(client, story)
    assert "<html" in response.content.decode()
    assert "HX-Push-Url" not in response


def test_reader_unknown_story_is_a_custom_404(client):
    response = client.get("/stories/no-such-story/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    content = response.content.decode()
    assert "We could not find that page" in content
    assert 'href="/"' in content


def test_unknown_url_is_a_custom_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_reader_rejects_post(client):
    story, _ = story_with_articles(1)
    assert client.post(story.get_absolute_url()).status_code == 405


#: Story, its articles with sources, the version of the annotation rows, then the rows: claims
#: and links, each with its author's name. Pinned: a change here is a change in shape.
READER_QUERIES = 5
#: ... and when the rows have not changed since the reader last drew them: story, articles and
#: the version only (annotations.presenters.reader_annotations).
READER_QUERIES_UNCHANGED = 3


def test_reader_query_count_is_the_same_for_2_and_5_articles(client, django_assert_num_queries):
    two, _ = story_with_articles(2)
    five, _ = story_with_articles(5)
    with django_assert_num_queries(READER_QUERIES):
        response = read(client, two)
    assert len(column_order(response)) == 2
    with django_assert_num_queries(READER_QUERIES):
        response = read(client, five)
    assert len(column_order(response)) == 5
    with django_assert_num_queries(READER_QUERIES_UNCHANGED):
        response = client.get(five.get_absolute_url(), headers=READER_HX)
    assert len(column_order(response)) == 5
    # A change to the rows (here a new claim) and they are read again.
    from annotations.tests.factories import claim_create

    claim_create(article=five.articles.order_by("pk").first())
    with django_assert_num_queries(READER_QUERIES):
        response = client.get(five.get_absolute_url(), headers=READER_HX)
    assert response.content.decode().count("<mark ") == 1


def test_reader_query_count_for_a_logged_in_user(client, django_assert_num_queries, settings):
    from django.contrib.auth import get_user_model

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = get_user_model().objects.create_user("reader", password="pw-for-tests")
    client.force_login(user)
    two, _ = story_with_articles(2)
    five, _ = story_with_articles(5)
    read(client, two)
    # + session, user, and the reader's team memberships (layer toggles, new-claim visibility).
    with django_assert_num_queries(READER_QUERIES_UNCHANGED + 3):
        read(client, two)
    with django_assert_num_queries(READER_QUERIES + 3):
        read(client, five)


# --- search ----------------------------------------------------------------------------------


@pytest.fixture
def searchable(db):
    story = story_factory(slug="deepseek", title="DeepSeek R1")
    hit = article_factory(
        story=story, title="Chi phí thật", body="Họ nói chi phí đào tạo chỉ là 6 triệu USD.\n"
    )
    miss = article_factory(story=story, title="Nvidia", body="Cổ phiếu giảm mạnh.\n")
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


@pytest.mark.parametrize("query", ["chi:*", "chi & (", "'", "\\", "a'b", "-", "\x00", "chi<->phí"])
def test_search_odd_syntax_never_500s(client, searchable, query):
    assert client.get("/search", {"q": query}).status_code == 200


def test_search_query_with_nul_byte_never_500s(client, searchable):
    response = client.get("/search", {"q": "chi\x00phi dao"})
    assert response.status_code == 200


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
    story = story_factory()
    for i in range(3):
        article_factory(story=story, body=f"chi phí {i}\n")
    with django_assert_num_queries(1):
        client.get("/search", {"q": "chi phi"})
    for i in range(7):
        article_factory(story=story, body=f"chi phí thêm {i}\n")
    with django_assert_num_queries(1):
        response = client.get("/search", {"q": "chi phi"})
    assert "10 results" in response.content.decode()


# --- escaping --------------------------------------------------------------------------------

XSS = "<script>alert(1)</script>"


def test_reader_escapes_titles_and_bodies(client):
    story = story_factory(title=f"Story {XSS}")
    article_factory(
        story=story,
        title=XSS,
        author='"><img src=x onerror=alert(2)>',
        source=source_factory(name=f"Outlet {XSS}"),
        body=f"Body {XSS} and <b>bold</b>\n",
    )
    content = read(client, story).content.decode()
    assert XSS not in content
    assert "<img src=x" not in content
    assert "<b>bold</b>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    hidden = client.get(
        story.get_absolute_url(), {"hide": story.articles.get().pk}
    ).content.decode()
    assert XSS not in hidden


def test_search_escapes_titles_and_headlines(client):
    story = story_factory(title=f"Story {XSS}")
    article_factory(
        story=story,
        title=f"{XSS} chi phí",
        body=f"Chi phí <img src=x onerror=alert(1)> {XSS} đào tạo\n",
        source=source_factory(name=f"<i>{XSS}</i>"),
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
    story_with_articles(1)
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
