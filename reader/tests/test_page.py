"""The reading page: columns, paragraphs, the view state in the URL, fragments, 404s, escaping
and pinned query counts."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from textkernel.text import paragraphs
from tests.factories import make_article, make_source, make_story, make_story_with_articles

pytestmark = pytest.mark.django_db

READER_HX = {"HX-Request": "true", "HX-Target": "reader"}
XSS = "<script>alert(1)</script>"

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


def test_reader_shows_one_column_per_article_with_exact_paragraphs(client):
    story, articles = make_story_with_articles(3)
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
    story = make_story()
    make_article(story=story, body="  Thụt lề  đầu dòng\nA & B < C\n\n\tTab\n")
    content = read(client, story).content.decode()
    raw = re.findall(r'<p data-start="(\d+)"[^>]*>(.*?)</p>', content, flags=re.S)
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
    story = make_story()
    make_article(
        story=story,
        source=make_source(name="Markettimes"),
        title="Startup AI Trung Quốc",
        author="Thái Linh",
        translated_from="Financial Times",
        translated_from_url="https://www.ft.com/content/x",
    )
    make_article(story=story, source=None, title="Không có nguồn")
    content = read(client, story).content.decode()
    assert '<div class="column-source">Markettimes</div>' in content
    assert re.search(r'<h2 class="column-title"[^>]*lang="vi">Startup AI Trung Quốc</h2>', content)
    assert re.search(r"<dt>Author</dt><dd[^>]*>Thái Linh</dd>", content)
    assert "<dt>Translated from</dt>" in content
    assert (
        'href="https://www.ft.com/content/x" rel="noopener noreferrer">Financial Times</a>'
        in content
    )
    # No outlet: the column is named by its title's first words, as everywhere else.
    assert '<div class="column-source">Không có nguồn</div>' in content
    assert "Source not named" not in content
    assert content.count("<dt>Author</dt>") == 1  # only articles with an author say so


def test_columns_are_labelled_alike_in_reader_panel_matrix_and_csv(client):
    """One rule names a column (``Article.short_label``): the outlet, else the title's first
    words. Before, the reader said "Source not named" where panels cut the title."""
    from tests.factories import make_claim

    story = make_story()
    unnamed = make_article(story=story, source=None, title="Phát hiện mới cho thấy mô hình AI")
    make_article(story=story, source=make_source(name="Markettimes"))
    claim = make_claim(article=unnamed, text="120 people")
    label = "Phát hiện mới cho…"
    assert unnamed.short_label == label
    reader = read(client, story, claim=claim.pk).content.decode()
    assert f'<div class="column-source">{label}</div>' in reader
    assert f'<div class="claim-source">{label}</div>' in reader  # the claim panel
    assert f'data-tab="{unnamed.pk}" lang="vi">{label}</a>' in reader  # the phone tab
    matrix = client.get(f"/stories/{story.slug}/matrix/").content.decode()
    assert f">{label}</th>" in matrix
    csv_text = client.get(f"/stories/{story.slug}/matrix.csv").content.decode()
    assert f"{label} stance" in csv_text
    assert "Source not named" not in reader + matrix + csv_text


def test_reader_order_param_changes_rendered_order(client):
    story, (a, b, c) = make_story_with_articles(3)
    response = read(client, story, order=f"{c.pk},{a.pk},{b.pk}")
    assert column_order(response) == [c.pk, a.pk, b.pk]


def test_reader_order_param_partial_and_unknown(client):
    story, (a, b, c) = make_story_with_articles(3)
    response = read(client, story, order=f"999,{b.pk}")
    assert column_order(response) == [b.pk, a.pk, c.pk]


def test_reader_hide_param_hides_column_and_shows_chip(client):
    story, (a, b, c) = make_story_with_articles(3)
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
    story, (a, b, c) = make_story_with_articles(3)
    content = read(client, story).content.decode()
    hide_b = re.search(rf'href="([^"]+)"[^>]*data-focus-key="hide-{b.pk}"', content).group(1)
    hidden_page = client.get(html.unescape(hide_b)).content.decode()
    show_b = re.search(rf'href="([^"]+)"[^>]*data-focus-key="show-{b.pk}"', hidden_page).group(1)
    assert column_order(client.get(html.unescape(show_b))) == [a.pk, b.pk, c.pk]


def test_reader_controls_encode_the_next_view_state(client):
    story, (a, b, c) = make_story_with_articles(3)
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
    story, articles = make_story_with_articles(2)
    response = read(client, story, hide=",".join(str(a.pk) for a in articles))
    assert response.status_code == 200
    content = response.content.decode()
    assert column_order(response) == []
    assert "Every column is hidden." in content
    assert f'href="{story.get_absolute_url()}"' in content


def test_reader_story_without_articles(client):
    story = make_story()
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
    story, articles = make_story_with_articles(2)
    response = read(client, story, **params)
    assert response.status_code == 200


def test_reader_htmx_returns_only_the_fragment(client):
    story, articles = make_story_with_articles(2)
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
    story, _ = make_story_with_articles(1)
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


def test_reader_rejects_post(client):
    story, _ = make_story_with_articles(1)
    assert client.post(story.get_absolute_url()).status_code == 405


#: Story, its articles with sources and annotation versions, then the rows: the claims (with
#: their authors' names) and the links. Pinned: a change here is a change in shape.
READER_QUERIES = 4
#: ... after a write to one article whose rows the reader holds: the story, its articles, and
#: the rows the write touched (one query, reader/rowdelta.py).
READER_QUERIES_AFTER_WRITE = 3
#: ... and when no article changed since the reader last drew them: the story and its articles
#: only (reader.presenters.reader_annotations).
READER_QUERIES_UNCHANGED = 2


def test_reader_query_count_is_the_same_for_2_and_5_articles(client, django_assert_num_queries):
    two, _ = make_story_with_articles(2)
    five, _ = make_story_with_articles(5)
    with django_assert_num_queries(READER_QUERIES):
        response = read(client, two)
    assert len(column_order(response)) == 2
    with django_assert_num_queries(READER_QUERIES):
        response = read(client, five)
    assert len(column_order(response)) == 5
    with django_assert_num_queries(READER_QUERIES_UNCHANGED):
        response = client.get(five.get_absolute_url(), headers=READER_HX)
    assert len(column_order(response)) == 5
    # A change to the rows (here a new claim): the rows it touched are read and applied.
    from tests.factories import make_claim

    make_claim(article=five.articles.order_by("pk").first())
    with django_assert_num_queries(READER_QUERIES_AFTER_WRITE):
        response = client.get(five.get_absolute_url(), headers=READER_HX)
    assert response.content.decode().count("<mark ") == 1


def test_reader_query_count_for_a_logged_in_user(client, django_assert_num_queries, settings):
    from django.contrib.auth import get_user_model

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = get_user_model().objects.create_user("reader", password="pw-for-tests")
    client.force_login(user)
    two, _ = make_story_with_articles(2)
    five, _ = make_story_with_articles(5)
    read(client, two)
    # + session, user, and the reader's team memberships (what they see, the layer toggles and
    # the new-claim visibility).
    with django_assert_num_queries(READER_QUERIES_UNCHANGED + 3):
        read(client, two)
    with django_assert_num_queries(READER_QUERIES + 3):
        read(client, five)


def test_reader_escapes_titles_and_bodies(client):
    story = make_story(title=f"Story {XSS}")
    make_article(
        story=story,
        title=XSS,
        author='"><img src=x onerror=alert(2)>',
        source=make_source(name=f"Outlet {XSS}"),
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




def test_boilerplate_paragraphs_are_marked_for_the_sentence_picker(client):
    """The J/K picker (static/js/annotate.js) skips the paragraphs a column lists in
    data-skip-starts: what textkernel.boilerplate finds (an ad notice, image markdown), and
    nothing else."""
    story = make_story()
    body = (
        "Chúng tôi sử dụng quảng cáo để giữ cho nội dung của chúng tôi miễn phí cho bạn.\n"
        "Officials said 120 people attended.\n"
        "![](https://example.com/a.jpg)\n"
        "The mayor disputed the figure.\n"
    )
    article = make_article(story=story, body=body)
    content = read(client, story).content.decode()
    (skip,) = re.findall(rf'id="article-{article.pk}"[^>]*data-skip-starts="([^"]*)"', content)
    assert skip == f"0,{body.index('![')}"


@pytest.mark.parametrize(
    "language, shown",
    [("en", "1 Dec 2026"), ("vi", "1 thg 12, 2026")],
)
def test_dates_name_the_month_in_the_reader_language(client, language, shown):
    """"12/01/2026" is 1 December to an American reader and 12 January to a Vietnamese one."""
    import datetime

    story = make_story()
    make_article(story=story, published_on=datetime.date(2026, 12, 1))
    content = client.get(story.get_absolute_url(), headers={"accept-language": language}).content.decode()
    assert f'<time datetime="2026-12-01">{shown}</time>' in content
    assert "12/01/2026" not in content and "01/12/2026" not in content


@pytest.mark.parametrize(
    "language, hint",
    [
        ("en", "(click or tap it, or Tab to it and press Enter)"),
        ("vi", "(bấm hoặc chạm vào nó, hoặc Tab tới rồi nhấn Enter)"),
    ],
)
def test_link_mode_hint_names_touch_too(client, language, hint):
    """On a phone a claim is tapped, not clicked: the link-mode hint says both, in the reader's
    language."""
    from tests.factories import make_claim, make_user

    story = make_story()
    article = make_article(story=story, body="Một câu về chi phí đào tạo.")
    make_article(story=story)
    author = make_user()
    claim = make_claim(article=article, author=author, text="chi phí")
    client.force_login(author)
    content = client.get(
        story.get_absolute_url(), {"claim": claim.pk}, headers={"accept-language": language}
    ).content.decode()
    assert f"{hint}" in html.unescape(content)
