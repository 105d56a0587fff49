"""Dense columns (issue 18): above ``settings.READER_DENSE_CLAIMS`` claims a column sends its
claims as data (``.claim-data``) for static/js/dense.js to draw, not as ``<mark>`` elements;
``?marks=server`` draws marks whatever the count (the no-JS fallback), ``?marks=dense`` sends
data whatever the count. docs/page-hooks.md, "Dense columns"."""

from __future__ import annotations

import html
import re

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reader import presenters
from tests import factories

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "reader"}
DATA = re.compile(
    r'<div class="claim-data" hidden data-claim-styles="([^"]*)" data-claims="([^"]*)"[^>]*></div>'
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    caches[presenters.READER_CACHE].clear()


def decode(page: str) -> list[list[tuple[int, int, int, set[str]]]]:
    """Each dense column's claims as (pk, start, end, classes), in page order."""
    columns = []
    for styles, records in DATA.findall(page):
        looks = [set(look.split()) for look in html.unescape(styles).split("|")]
        claims, pk = [], 0
        for record in records.split():
            dpk, start, length, look = (int(n, 36) for n in record.split(","))
            pk += dpk
            claims.append((pk, start, start + length, looks[look]))
        columns.append(claims)
    return columns


def column_html(page: str, article) -> str:
    start = page.index(f'id="article-{article.pk}"')
    return page[start:page.index("</section>", start)]


@pytest.fixture
def crowded(story, article, article_2, author):
    """Three claims (two overlapping) on ``article``, one on ``article_2``."""
    claims = [
        factories.make_claim(article=article, author=author, text="120 people"),
        factories.make_claim(article=article, author=author, text="people attended the meeting"),
        factories.make_claim(article=article, author=author, text="The mayor disputed"),
    ]
    factories.make_claim(article=article_2, author=author, text="Organisers expect")
    return claims


def test_a_column_above_the_threshold_sends_its_claims_as_data(client, settings, story, article, article_2, crowded):
    settings.READER_DENSE_CLAIMS = 2
    page = client.get(f"/stories/{story.slug}/").content.decode()
    dense, plain = column_html(page, article), column_html(page, article_2)
    assert "<mark" not in dense and 'class="claim-data"' in dense
    assert 'data-claim-list="%d"' % article.pk in page and "<noscript>" in page
    # The text is the plain paragraphs, with the same hook as with marks.
    assert f'<p data-start="0" id="p{article.pk}-0">{html.escape(article.body.splitlines()[0])}</p>' in dense
    [claims] = decode(page)
    assert [(pk, start, end) for pk, start, end, _css in claims] == sorted(
        (c.pk, c.start, c.end) for c in crowded
    )
    assert all({"state-unlinked", "vis-public"} <= css for *_rest, css in claims)
    # Below the threshold: server-drawn marks, as before.
    assert "<mark data-claim" in plain and "claim-data" not in plain
    # Without JavaScript, the dense column links to the same view with server-drawn marks.
    fallback = re.search(r'<noscript><p class="claim-list-fallback"><a href="([^"]+)"', page)
    assert fallback and "marks=server" in html.unescape(fallback.group(1))


def test_a_column_at_the_threshold_keeps_its_marks(client, settings, story, article, crowded):
    settings.READER_DENSE_CLAIMS = 3
    page = client.get(f"/stories/{story.slug}/").content.decode()
    assert "claim-data" not in page and column_html(page, article).count('id="claim-') == 3


def test_marks_parameter_forces_either_way(client, settings, story, article, article_2, crowded):
    settings.READER_DENSE_CLAIMS = 2
    server = client.get(f"/stories/{story.slug}/", {"marks": "server"}).content.decode()
    assert "claim-data" not in server and column_html(server, article).count('id="claim-') == 3
    dense = client.get(f"/stories/{story.slug}/", {"marks": "dense"}).content.decode()
    assert "<mark" not in dense and len(decode(dense)) == 2
    # A dense column says so in its class (the CSS keys on it, not on what dense.js sets).
    assert dense.count('class="column-body is-dense"') == 2 and "is-dense" not in server
    # The view state keeps it: links in the page carry marks=server.
    assert "marks=server" in server
    assert "claim-data" in client.get(f"/stories/{story.slug}/", {"marks": "bogus"}).content.decode()


def test_selected_and_linked_claims_carry_their_state_in_the_data(client, settings, story, article, article_2, crowded, author):
    settings.READER_DENSE_CLAIMS = 0
    other = factories.make_claim(article=article_2, author=author, text="fewer than 100")
    factories.make_link(claim_a=crowded[0], claim_b=other, relation="contradicts", author=author)
    page = client.get(f"/stories/{story.slug}/", {"claim": crowded[0].pk}).content.decode()
    first, second = ({pk: css for pk, _s, _e, css in column} for column in decode(page))
    assert {"is-selected", "state-contradicted", "has-contradicts"} <= first[crowded[0].pk]
    assert "is-selected" not in first[crowded[1].pk] and "is-related" not in first[crowded[1].pk]
    assert {"is-related", "state-contradicted"} <= second[other.pk]


def test_others_private_and_team_claims_never_appear_in_the_data(client, settings, story, article, author, other_user):
    settings.READER_DENSE_CLAIMS = 0
    team = factories.make_team(members={other_user: "annotator"})
    public = factories.make_claim(article=article, author=author, text="120 people")
    private = factories.make_claim(article=article, author=other_user, text="the meeting", visibility="private")
    teamed = factories.make_claim(
        article=article, author=other_user, text="The mayor", visibility="team", team=team.pk
    )

    def seen(user) -> set[int]:
        client.logout()
        if user:
            client.force_login(user)
        page = client.get(f"/stories/{story.slug}/").content.decode()
        listed = client.get(
            f"/stories/{story.slug}/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"claim-list-{article.pk}"
        ).content.decode()
        data = {pk for column in decode(page) for pk, *_rest in column}
        assert data == {int(pk) for pk in re.findall(r'data-claim="(\d+)"', listed)}
        return data

    assert seen(None) == {public.pk}
    assert seen(author) == {public.pk}
    assert seen(other_user) == {public.pk, private.pk, teamed.pk}


def test_the_claim_list_names_each_claim_and_opens_its_panel(client, settings, story, article, crowded):
    settings.READER_DENSE_CLAIMS = 0
    response = client.get(
        f"/stories/{story.slug}/", {"only": "contradicts"}, HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"claim-list-{article.pk}",
    )
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert page.count("<li>") == 3
    assert "Claim by ana, public: “120 people” (not linked yet)" in html.unescape(page)
    assert f"claim={crowded[0].pk}" in page and "only=contradicts" in page
    hidden = client.get(
        f"/stories/{story.slug}/", {"hide": str(article.pk)}, HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"claim-list-{article.pk}",
    )
    assert hidden.status_code == 404
    bogus = client.get(f"/stories/{story.slug}/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="claim-list-x")
    assert bogus.status_code == 404


def test_a_dense_page_and_its_list_take_the_same_queries_for_3_or_30_claims(
    client, settings, author, django_assert_num_queries
):
    settings.READER_DENSE_CLAIMS = 0
    client.force_login(author)
    small = factories.make_story_with_annotations(articles=3, claims_per_article=1, links=2)
    large = factories.make_story_with_annotations(articles=3, claims_per_article=10, links=30)
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/stories/{small[0].slug}/", **HX).status_code == 200
    caches[presenters.READER_CACHE].clear()
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(f"/stories/{large[0].slug}/", **HX).content.decode()
    assert sum(len(column) for column in decode(page)) == 30 and "<mark" not in page
    article = large[1][0]
    with django_assert_num_queries(5):  # rows cached by the page
        listed = client.get(
            f"/stories/{large[0].slug}/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"claim-list-{article.pk}"
        )
    assert listed.content.decode().count("<li>") == 10


def test_a_highlight_in_a_dense_column_sends_the_column_back_with_its_new_claim(
    client, settings, story, article, author, crowded
):
    settings.READER_DENSE_CLAIMS = 2
    client.force_login(author)
    start = article.body.index("Organisers")
    response = client.post(
        f"/articles/{article.pk}/claims/",
        {"start": start, "end": start + len("Organisers"), "exact": "Organisers"},
        HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"article-{article.pk}",
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#article-{article.pk}" and response["HX-Reswap"] == "innerHTML"
    [claims] = decode(response.content.decode())
    assert len(claims) == 4 and (start, start + len("Organisers")) in [(s, e) for _pk, s, e, _css in claims]
    assert "<mark" not in response.content.decode()
