"""Claim and link actions over HTTP, as htmx calls them (``HX-Request``): what works, and every
bad input of the claims issue answered with a clear 4xx message and the database unchanged."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from annotations import services
from annotations.models import Claim, ClaimLink
from articles.models import Article

from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "reader"}
POPUP = HX  # a refused action answers in the reader (its alert or the claim panel)


def _snapshot() -> tuple[list[tuple], list[tuple]]:
    """Every claim and link row, to prove a refused request changed nothing."""
    claims = list(Claim.objects.order_by("pk").values_list())
    links = list(ClaimLink.objects.order_by("pk").values_list())
    return claims, links


@pytest.fixture
def ana_client(client, author):
    client.force_login(author)
    return client


@pytest.fixture
def bao_client(other_user):
    client = Client()
    client.force_login(other_user)
    return client


def _create(client, article: Article, text: str, **extra):
    start = article.body.index(text)
    data = {"start": start, "end": start + len(text), "exact": text, "offsets": "codepoint"}
    return client.post(f"/articles/{article.pk}/claims/", {**data, **extra}, **POPUP)


# ------------------------------------------------------------------------------ claims


def test_anyone_may_read_but_writing_needs_a_login(client, article, claim):
    assert client.get(f"/stories/{article.story.slug}/").status_code == 200
    before = _snapshot()
    response = _create(client, article, "The mayor")
    assert response.status_code == 403
    assert "Log in to highlight" in response.content.decode()
    plain = client.post(f"/articles/{article.pk}/claims/", {"start": 0, "end": 3, "exact": "Off"})
    assert plain.status_code == 302 and "/accounts/login/" in plain["Location"]
    assert _snapshot() == before


def test_highlight_returns_the_reader_fragment_with_the_new_mark(ana_client, article, author):
    response = _create(ana_client, article, "The mayor disputed the figure", note="Phủ nhận",
                       tags="số liệu, Mayor")  # fmt: skip
    assert response.status_code == 200
    claim = Claim.objects.get()
    assert (claim.author, claim.exact, claim.note, claim.tags) == (
        author, "The mayor disputed the figure", "Phủ nhận", ["số liệu", "mayor"]
    )  # fmt: skip
    html = response.content.decode()
    assert f'id="claim-{claim.pk}"' in html
    assert "<html" not in html  # a fragment, not the page
    assert f"claim={claim.pk}" in response["HX-Push-Url"]


def _column_hx(article) -> dict:
    """The headers htmx sends for the Highlight button: it swaps the column's text."""
    return {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": f"article-{article.pk}"}


@pytest.mark.parametrize("existing", [3, 30])
def test_highlight_button_gets_its_paragraphs_redrawn_by_the_server(
    ana_client, story, author, existing, django_assert_num_queries
):
    """The answer is the paragraph the new mark went into (drawn by the server, like every mark),
    in the same number of queries however many claims the story has."""
    lines = [f"Claim number {i} says something." for i in range(existing)] + ["The new words."]
    article = factories.make_article(story=story, body="\n".join(lines))
    factories.make_article(story=story, body="Another column.", position=1)
    for i in range(existing):
        _create(ana_client, article, f"Claim number {i}")
    ana_client.get(story.get_absolute_url())  # the other claims' rows and columns are cached
    text = "The new words"
    start = article.body.index(text)
    data = {"start": start, "end": start + len(text), "exact": text, "offsets": "codepoint"}
    # Session, user, article; savepoint, INSERT, event, pg_notify, release (the write); the
    # story's articles with versions, the person's memberships; the rows the new claim touched,
    # applied to this article's cached rows (one query, reader/rowdelta.py; the other column's
    # come from the cache).
    with django_assert_num_queries(11):
        response = ana_client.post(f"/articles/{article.pk}/claims/", data, **_column_hx(article))
    assert response.status_code == 200
    claim = Claim.objects.get(exact=text)
    html = response.content.decode()
    # Only the paragraph the new claim is in, drawn by the server, swapping itself in by id.
    new_start = article.body.index("The new words")
    assert html.count("<p ") == 1 and 'id="reader"' not in html
    assert html.startswith(f'<p data-start="{new_start}" id="p{article.pk}-{new_start}" hx-swap-oob="true">')
    assert response["HX-Reswap"] == "none"
    assert f'<mark data-claim="{claim.pk}" class="claim state-unlinked vis-public" id="claim-{claim.pk}"' in html
    assert f'aria-label="Claim by {author.username}, public: “{text}” (not linked yet)"' in html
    trigger = json.loads(response["HX-Trigger-After-Settle"])
    assert trigger == {"parallax:claim-created": {"claim": claim.pk, "message": "Claim highlighted."}}


def test_a_refused_highlight_answers_in_the_popup_and_changes_nothing(ana_client, article):
    before = _snapshot()
    start = article.body.index("The mayor")
    bad = ana_client.post(
        f"/articles/{article.pk}/claims/",
        {"start": start, "end": start + 9, "exact": "nope", "offsets": "codepoint"},
        **_column_hx(article),
    )
    assert bad.status_code == 422
    assert bad["HX-Retarget"] == "#popup-message" and bad["HX-Reswap"] == "innerHTML"
    assert "no longer matches" in bad.content.decode() and "<p" not in bad.content.decode()
    assert _snapshot() == before


def test_browser_offsets_in_utf16_units_around_a_character_outside_the_bmp(ana_client, story):
    body = "Chi phí 𝕏 là 5,6 triệu USD theo báo cáo 😀 của công ty.\n"
    article = factories.make_article(story=story, body=body)
    text = "5,6 triệu USD"
    start = body.index(text)
    # Each of 𝕏 and 😀 is one code point but two UTF-16 units, as the browser counts.
    utf16_start = len(body[:start].encode("utf-16-le")) // 2
    assert utf16_start == start + 1
    response = ana_client.post(
        f"/articles/{article.pk}/claims/",
        {"start": utf16_start, "end": utf16_start + len(text), "exact": text, "offsets": "utf16"},
        **POPUP,
    )
    assert response.status_code == 200, response.content
    claim = Claim.objects.get()
    assert (claim.start, claim.end) == (start, start + len(text))
    assert body[claim.start : claim.end] == text
    # A span over the astral character itself round-trips too.
    emoji_at = len(body[: body.index("😀")].encode("utf-16-le")) // 2
    response = ana_client.post(
        f"/articles/{article.pk}/claims/",
        {"start": emoji_at, "end": emoji_at + 2, "exact": "😀", "offsets": "utf16"},
        **POPUP,
    )
    assert response.status_code == 200, response.content
    assert Claim.objects.get(exact="😀").start == body.index("😀")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start": 30, "end": 10, "exact": "x"}, "Start must be before end"),
        ({"start": 10, "end": 10_000, "exact": "x"}, "out of range"),
        ({"start": -1, "end": 5, "exact": "Offic"}, "Start"),
        ({"start": "abc", "end": 5, "exact": "Offic"}, "Start"),
        ({"start": 0, "end": 9, "exact": "Somebody "}, "no longer matches"),
        ({"start": 9, "end": 10, "exact": " "}, "not just spaces"),
        ({"start": 0, "end": 9, "exact": "Officials", "offsets": "bytes"}, ""),
    ],
    ids=["reversed", "out-of-range", "negative", "not-a-number", "exact-mismatch",
         "whitespace", "unknown-unit"],  # fmt: skip
)
def test_bad_claim_input_is_refused_with_a_message_and_changes_nothing(
    ana_client, article, claim, data, message
):
    before = _snapshot()
    response = ana_client.post(
        f"/articles/{article.pk}/claims/", {"offsets": "codepoint", **data}, **POPUP
    )
    assert 400 <= response.status_code < 500
    body = response.content.decode()
    assert 'role="alert"' in body and message in body
    assert _snapshot() == before


def test_a_span_over_2000_characters_is_refused(ana_client, story):
    body = ("Một câu rất dài về chi phí đào tạo. " * 80).strip() + "\n"
    article = factories.make_article(story=story, body=body)
    before = _snapshot()
    response = ana_client.post(
        f"/articles/{article.pk}/claims/",
        {"start": 0, "end": 2001, "exact": body[:2001], "offsets": "codepoint"},
        **POPUP,
    )
    assert response.status_code == 422
    assert "at most 2,000 characters" in response.content.decode()
    assert _snapshot() == before


def test_claim_on_an_unknown_article_is_404(ana_client, claim):
    before = _snapshot()
    response = ana_client.post(
        "/articles/999999/claims/", {"start": 0, "end": 3, "exact": "Off"}, **POPUP
    )
    assert response.status_code == 404
    assert _snapshot() == before


def test_double_submit_of_a_highlight_stores_one_claim(ana_client, article):
    first = _create(ana_client, article, "120 people attended")
    second = _create(ana_client, article, "120 people attended")
    assert first.status_code == 200 and second.status_code == 200
    assert Claim.objects.count() == 1


def test_missing_csrf_token_is_refused(author, article):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    before = _snapshot()
    text = "Officials said"
    response = client.post(
        f"/articles/{article.pk}/claims/",
        {"start": 0, "end": len(text), "exact": text, "offsets": "codepoint"},
        **HX,
    )
    assert response.status_code == 403
    assert _snapshot() == before


def test_author_edits_note_and_tags(ana_client, claim):
    response = ana_client.post(
        f"/claims/{claim.pk}/edit/",
        {"note": "Con số của ban tổ chức", "tags": "attendance", "version": claim.version},
        **HX,
    )
    assert response.status_code == 200
    claim.refresh_from_db()
    assert (claim.note, claim.tags, claim.version) == ("Con số của ban tổ chức", ["attendance"], 2)


def test_stale_edit_is_a_409_conflict_showing_the_current_note(ana_client, claim):
    ana_client.post(f"/claims/{claim.pk}/edit/", {"note": "Mới nhất", "version": 1}, **HX)
    before = _snapshot()
    response = ana_client.post(f"/claims/{claim.pk}/edit/", {"note": "Cũ", "version": 1}, **HX)
    assert response.status_code == 409
    assert "Mới nhất" in response.content.decode()
    assert _snapshot() == before


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_someone_elses_claim_cannot_be_changed(bao_client, claim, action):
    before = _snapshot()
    response = bao_client.post(f"/claims/{claim.pk}/{action}/", {"note": "hijack", "version": 1},
                               **HX)  # fmt: skip
    assert response.status_code in (403, 404)
    assert _snapshot() == before


def test_unknown_claim_ids_are_404(ana_client, claim):
    before = _snapshot()
    assert ana_client.post("/claims/999999/edit/", {"note": "x", "version": 1}, **HX).status_code == 404
    assert ana_client.post("/claims/999999/delete/", **HX).status_code == 404
    assert _snapshot() == before


def test_deleting_a_linked_claim_asks_first_then_removes_its_links(ana_client, claim, claim_2, author):
    factories.make_link(claim_a=claim, claim_b=claim_2, author=author, relation="contradicts")
    ask = ana_client.get(f"/claims/{claim.pk}/delete/", **HX)
    assert ask.status_code == 200
    assert "Delete this claim and its 1 link?" in ask.content.decode()
    assert Claim.objects.filter(pk=claim.pk).exists() and ClaimLink.objects.count() == 1
    done = ana_client.post(f"/claims/{claim.pk}/delete/", **HX)
    assert done.status_code == 200
    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert ClaimLink.objects.count() == 0
    assert Claim.objects.filter(pk=claim_2.pk).exists()


# ------------------------------------------------------------------------------ links


def _link(client, a, b, relation="contradicts", **extra):
    data = {"claim": a.pk, "other": b.pk, "relation": relation, **extra}
    return client.post("/links/", data, **HX)


def test_link_two_claims_and_change_its_relation(ana_client, claim, claim_2):
    response = _link(ana_client, claim, claim_2, rationale="120 ≠ dưới 100")
    assert response.status_code == 200
    link = ClaimLink.objects.get()
    assert (link.relation, link.rationale) == ("contradicts", "120 ≠ dưới 100")
    assert 'class="link-item rel-contradicts"' in response.content.decode()
    response = ana_client.post(f"/links/{link.pk}/edit/", {"relation": "qualifies"}, **HX)
    assert response.status_code == 200
    link.refresh_from_db()
    assert link.relation == "qualifies"


def test_same_pair_and_relation_twice_gives_back_the_existing_link(ana_client, claim, claim_2):
    assert _link(ana_client, claim, claim_2).status_code == 200
    assert _link(ana_client, claim_2, claim).status_code == 200  # either direction
    assert ClaimLink.objects.count() == 1


@pytest.mark.parametrize(
    ("relation", "message"),
    [("refutes", "Unknown relation “refutes”"), ("", "Choose a relation")],
)
def test_unknown_relation_is_refused(ana_client, claim, claim_2, relation, message):
    before = _snapshot()
    response = _link(ana_client, claim, claim_2, relation=relation)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert _snapshot() == before


def test_self_link_and_same_article_link_are_refused(ana_client, claim, article, author):
    same_article = factories.make_claim(article=article, author=author, text="The mayor")
    before = _snapshot()
    itself = _link(ana_client, claim, claim)
    assert itself.status_code == 422
    assert "cannot be linked to itself" in itself.content.decode()
    same = _link(ana_client, claim, same_article)
    assert same.status_code == 422
    assert "two different articles" in same.content.decode()
    assert _snapshot() == before


def test_link_with_unknown_claim_ids(ana_client, claim):
    before = _snapshot()
    unknown_first = ana_client.post(
        "/links/", {"claim": 999999, "other": claim.pk, "relation": "agrees"}, **HX
    )
    assert unknown_first.status_code == 404
    unknown_other = ana_client.post(
        "/links/", {"claim": claim.pk, "other": 999999, "relation": "agrees"}, **HX
    )
    assert unknown_other.status_code == 409
    assert "nothing was linked" in unknown_other.content.decode()
    assert _snapshot() == before


def test_someone_elses_link_cannot_be_changed_or_removed(bao_client, claim, claim_2, author):
    link = factories.make_link(claim_a=claim, claim_b=claim_2, author=author, relation="agrees")
    before = _snapshot()
    edit = bao_client.post(f"/links/{link.pk}/edit/", {"relation": "contradicts"}, **HX)
    delete = bao_client.post(f"/links/{link.pk}/delete/", **HX)
    assert edit.status_code in (403, 404) and delete.status_code in (403, 404)
    assert _snapshot() == before


def test_link_actions_need_a_login(client, claim, claim_2):
    before = _snapshot()
    response = client.post("/links/", {"claim": claim.pk, "other": claim_2.pk,
                                       "relation": "agrees"})  # fmt: skip
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert _snapshot() == before


# ------------------------------------------------------------------------------ query counts


def _reader_queries(client, django_assert_num_queries, story, expected: int, **params):
    with django_assert_num_queries(expected):
        response = client.get(f"/stories/{story.slug}/", params, **HX)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("path", ["reader", "connections", "selected"])
def test_reader_fragments_use_the_same_number_of_queries_for_3_or_30_claims(
    client, author, django_assert_num_queries, path
):
    client.force_login(author)
    small = factories.make_story_with_annotations(articles=3, claims_per_article=1, links=2)
    large = factories.make_story_with_annotations(articles=3, claims_per_article=10, links=30)

    def get(story, claims):
        params = {}
        url = f"/stories/{story.slug}/"
        if path == "connections":
            url = f"/stories/{story.slug}/connections/"
        if path == "selected":
            # A claim with a contradiction among its links, so its panel looks verdicts up too.
            contradiction = ClaimLink.objects.filter(
                claim_a__in=claims, relation="contradicts"
            ).first()
            params = {"claim": contradiction.claim_a_id}
        return client.get(url, params, **HX)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        response = get(small[0], small[2])
    assert response.status_code == 200
    with django_assert_num_queries(len(few.captured_queries)):
        response = get(large[0], large[2])
    assert response.status_code == 200
    assert response.content.decode().count("<mark ") >= 30


# ------------------------------------------------------------------------------ the column cache


def _column(client, story, article, **params) -> str:
    """The marked-up text of one column as the reader serves it."""
    html = client.get(f"/stories/{story.slug}/", params, **HX).content.decode()
    start = html.index(f'id="article-{article.pk}"')
    return html[start : html.index("</div>", start)]


def test_cached_columns_follow_every_change_that_shows(client, story, article, author, other_user):
    from newsroom.services import article_edit

    claim = factories.make_claim(article=article, author=author, text="120 people")
    first = _column(client, story, article)
    assert _column(client, story, article) == first  # drawn again, or from the cache: the same
    assert 'aria-label="Claim by ana, public: “120 people” (not linked yet)"' in first

    # A private claim of Bao's shows to Bao only, however the cache was filled.
    factories.make_claim(article=article, author=other_user, text="the figure", visibility="private")
    bao = Client()
    bao.force_login(other_user)
    assert 'data-claim="' in _column(bao, story, article)
    assert "the figure</mark>" in _column(bao, story, article)
    assert "the figure</mark>" not in _column(client, story, article)
    assert _column(client, story, article) == first

    # Its author renamed, a link made, the selection, the filter: each redraws the marks.
    type(author).objects.filter(pk=author.pk).update(username="ana2")
    renamed = _column(client, story, article)
    assert "Claim by ana2," in renamed and "Claim by ana," not in renamed
    other = factories.make_claim(
        article=factories.make_article(story=story, position=1), author=author, text="Monday"
    )
    services.link_create(author=author, claim_a=claim, claim_b=other, relation="contradicts")
    linked = _column(client, story, article)
    assert 'data-badges="✗1"' in linked and "has-contradicts" in linked
    assert "is-selected" in _column(client, story, article, claim=claim.pk)
    assert "is-dimmed" in _column(client, story, article, only="agrees")

    # The text edited after the claim (no claim moves): the new words show.
    body = Article.objects.get(pk=article.pk).body
    edited = body.replace("next month", "in May")
    article_edit(user=None, article=Article.objects.get(pk=article.pk), body=edited)
    assert "in May" in _column(client, story, article)

    # The text edited above the claim: the mark moves with its words.
    article_edit(user=None, article=Article.objects.get(pk=article.pk), body="Update: " + article.body)
    moved = _column(client, story, article)
    assert moved != linked and ">120 people</mark>" in moved
    assert moved.index("Update:") < moved.index("120 people</mark>")


def _read_rows(client, story, **params) -> tuple[str, bool]:
    """The reader's HTML, and whether it read annotation rows (rather than reusing them)."""
    from unittest import mock

    from reader import presenters

    with mock.patch.object(presenters, "claim_rows", wraps=presenters.claim_rows) as read:
        html = client.get(f"/stories/{story.slug}/", params, **HX).content.decode()
    return html, read.called


def test_the_reader_reuses_its_rows_only_while_they_are_unchanged(story, article, author, other_user):
    from teams.models import Membership
    from tests.factories import make_team

    team = make_team(members={author: "annotator"})
    claim = factories.make_claim(article=article, author=author, text="120 people",
                                   visibility="team", team=team)  # fmt: skip
    bao = Client()
    bao.force_login(other_user)
    html, read = _read_rows(bao, story)
    assert read and "120 people</mark>" not in html
    html, read = _read_rows(bao, story)
    assert not read and "120 people</mark>" not in html  # unchanged: nothing read

    membership = Membership.objects.create(team=team, user=other_user, role="viewer")
    html, read = _read_rows(bao, story)
    assert read and "120 people</mark>" in html  # he sees it as soon as he joins
    membership.delete()
    html, read = _read_rows(bao, story)
    assert not read and "120 people</mark>" not in html  # the rows he saw before: reused
    Membership.objects.create(team=team, user=other_user, role="viewer")
    assert "120 people</mark>" in _read_rows(bao, story)[0]

    # A bulk update behind the services' back, and raw SQL: both show at once.
    Claim.objects.filter(pk=claim.pk).update(visibility="private", team=None)
    html, read = _read_rows(bao, story)
    assert "120 people</mark>" not in html  # (the rows he saw before he joined: reused)
    html, read = _read_rows(Client(), story)
    assert "120 people</mark>" not in html
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE annotations_claim SET visibility = 'public', team_id = NULL")
    assert "120 people</mark>" in _read_rows(Client(), story)[0]

    # Selecting a claim reuses the rows too, and the panel shows the claim.
    _read_rows(bao, story)
    html, read = _read_rows(bao, story, claim=claim.pk)
    assert not read and "is-selected" in html and f'data-panel-claim="{claim.pk}"' in html


def test_a_change_to_one_columns_claims_redraws_that_column_only(
    client, story, article, article_2, author, monkeypatch
):
    from reader import marks

    drawn = []
    draw = marks.rendering.render_paragraphs

    def counting(*, body, claims, span=None):
        drawn.append(body)
        return draw(body=body, claims=claims, span=span)

    monkeypatch.setattr(marks.rendering, "render_paragraphs", counting)
    claim = factories.make_claim(article=article, author=author, text="120 people")
    factories.make_claim(article=article_2, author=author, text="Monday")
    client.get(f"/stories/{story.slug}/", **HX)
    assert sorted(drawn) == sorted([article.body, article_2.body])  # a first view draws both
    drawn.clear()
    client.get(f"/stories/{story.slug}/", **HX)
    assert drawn == []  # nothing changed: both from the cache

    factories.make_claim(article=article, author=author, text="Officials")
    html = client.get(f"/stories/{story.slug}/", **HX).content.decode()
    assert drawn == [article.body] and ">Officials</mark>" in html
    drawn.clear()

    # A link changes the counts the marks show in both columns: both are drawn again.
    other = Claim.objects.get(article=article_2)
    services.link_create(author=author, claim_a=claim, claim_b=other, relation="agrees")
    html = client.get(f"/stories/{story.slug}/", **HX).content.decode()
    assert sorted(drawn) == sorted([article.body, article_2.body])
    assert html.count('data-badges="✓1"') == 2


def test_link_form_never_offers_a_claim_in_the_same_column():
    """link_to naming a claim in the selected claim's own article (an old or hand-made URL)
    shows no link form, but why; a claim in another column still gets the form."""
    story = factories.make_story()
    article = factories.make_article(story=story)
    other_article = factories.make_article(story=story)
    author = factories.make_user()
    a = factories.make_claim(article=article, author=author, text="120 people")
    same = factories.make_claim(article=article, author=author, text="fewer than 100")
    other = factories.make_claim(article=other_article, author=author, text="fewer than 100")
    client = Client()
    client.force_login(author)
    html = client.get(story.get_absolute_url(), {"claim": a.pk, "link_to": same.pk}).content.decode()
    assert 'class="link-form"' not in html
    assert "Link claims from two different articles." in html
    html = client.get(story.get_absolute_url(), {"claim": a.pk, "link_to": other.pk}).content.decode()
    assert 'class="link-form"' in html and f'name="other" value="{other.pk}"' in html
