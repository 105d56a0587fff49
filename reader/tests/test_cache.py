"""The reader's caches after a write: the cached rows brought up to date with only the rows the
write touched (reader/rowdelta.py), and paragraphs redrawn only where their marks changed
(reader/drawcache.py). Each test compares with what a reader with no cache at all would show,
so a cache serving anything stale fails them."""

from __future__ import annotations

import random
import warnings
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import CacheKeyWarning, caches
from django.db import connection
from django.test import Client

from annotations import permissions, services
from annotations.models import Claim, ClaimLink
from annotations.selectors import ClaimRow, claim_rows, link_rows, story_articles
from curation import services as curation_services
from curation.models import Verdict
from curation.selectors import verdict_link_ids
from reader import drawcache, presenters
from reader.marks import MarkStyle, draw_column

from tests import factories

pytestmark = [pytest.mark.django_db]


# ------------------------------------------------------------------------------ rows


def _uncached(article_id: int, user) -> presenters.ArticleRows:
    """What a reader with no cache reads for ``user``."""
    claims = claim_rows(article_ids=[article_id], user=user)[article_id]
    links = link_rows(article_ids=[article_id], user=user)[article_id]
    verdicts = verdict_link_ids({link.pk for link in links if link.relation == "contradicts"})
    return presenters.ArticleRows(
        tuple(claims), tuple(links), frozenset(link.pk for link in links if link.pk in verdicts)
    )


def _cached(story, user) -> tuple[dict[int, presenters.ArticleRows], bool]:
    """The reader's rows for ``user`` (through its cache), and whether it read them whole."""
    articles = story_articles(story=story)
    loader = presenters._Loader(
        user=user, team_ids=permissions.team_ids(user), articles=articles, layers=None
    )
    with mock.patch.object(presenters, "claim_rows", wraps=presenters.claim_rows) as read:
        rows = loader.rows()
    return rows, read.called


@pytest.fixture
def desk(story, article, article_2, author, other_user):
    """Ana's claims (public and for her team, which Cy is in), Bao's, a contradiction."""
    cy = factories.make_user(username="cy")
    team = factories.make_team(members={author: "annotator", cy: "viewer"})
    claims = {
        "public": factories.make_claim(article=article, author=author, text="120 people"),
        "team": factories.make_claim(
            article=article, author=author, text="Officials", visibility="team", team=team
        ),
        "other": factories.make_claim(article=article_2, author=other_user, text="Monday"),
    }
    link = services.link_create(
        author=author, claim_a=claims["public"], claim_b=claims["other"], relation="contradicts"
    )[0]
    viewers = {"anonymous": AnonymousUser(), "ana": author, "bao": other_user, "cy": cy}
    return claims, link, viewers, team


def _check(story, viewers, *, whole: bool) -> None:
    """Every viewer's cached rows equal what they would read uncached; ``whole``: whether the
    rows had to be read whole (a deletion) or could be brought up to date."""
    for name, user in viewers.items():
        rows, read = _cached(story, user)
        for article_id, cached in rows.items():
            assert cached == _uncached(article_id, user), (name, article_id)
        assert read == whole, name


def test_cached_rows_follow_every_kind_of_write_for_every_viewer(
    story, article, article_2, author, other_user, desk
):
    claims, link, viewers, team = desk
    for user in viewers.values():
        _cached(story, user)  # read whole, and cached

    # A new claim (private to Bao), an edit that shows nowhere, a new link.
    new = factories.make_claim(article=article, author=other_user, text="next month",
                               visibility="private")  # fmt: skip
    _check(story, viewers, whole=False)
    current = Claim.objects.get(pk=claims["public"].pk)
    services.claim_update(user=author, claim=current, note="Checked.", tags=[],
                          expected_version=current.version)  # fmt: skip
    _check(story, viewers, whole=False)
    second = services.link_create(author=author, claim_a=claims["team"], claim_b=claims["other"],
                                  relation="agrees")[0]  # fmt: skip
    _check(story, viewers, whole=False)

    # Visibility and status behind the services' back (bulk update, raw SQL), at either end.
    Claim.objects.filter(pk=claims["public"].pk).update(visibility="private")
    _check(story, viewers, whole=False)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE annotations_claim SET visibility = 'public' WHERE id = %s",
                       [claims["public"].pk])  # fmt: skip
    _check(story, viewers, whole=False)
    Claim.objects.filter(pk=claims["other"].pk).update(visibility="team", team=team)
    _check(story, viewers, whole=False)
    Claim.objects.filter(pk=claims["other"].pk).update(visibility="public", team=None)
    Claim.objects.filter(pk=new.pk).update(status=Claim.Status.ORPHANED)
    _check(story, viewers, whole=False)

    # A link's relation, review and visibility; a verdict set, then changed.
    ClaimLink.objects.filter(pk=second.pk).update(relation="contradicts")
    _check(story, viewers, whole=False)
    ClaimLink.objects.filter(pk=link.pk).update(status=ClaimLink.Status.CONFIRMED)
    _check(story, viewers, whole=False)
    ClaimLink.objects.filter(pk=second.pk).update(visibility="private", team=None)
    _check(story, viewers, whole=False)
    curator = factories.make_user(is_staff=True)
    link = ClaimLink.objects.get(pk=link.pk)
    curation_services.verdict_set(user=curator, link=link, rated_claim=link.claim_a,
                                  rating="unresolved", evidence="Both say so.")  # fmt: skip
    _check(story, viewers, whole=False)
    assert all(link.pk in rows.verdict_links for rows in _cached(story, author)[0].values())
    curation_services.verdict_set(user=curator, link=link, rated_claim=link.claim_b,
                                  rating="refuted", evidence="No.")  # fmt: skip
    _check(story, viewers, whole=False)

    # An author renamed: the marks say who.
    type(author).objects.filter(pk=author.pk).update(username="ana2")
    _check(story, viewers, whole=False)
    assert "ana2" in {c.author_name for c in _cached(story, author)[0][article.pk].claims}

    # Deletions leave nothing to read: the rows are read whole, right.
    Verdict.objects.filter(link=link).delete()
    _check(story, viewers, whole=True)
    ClaimLink.objects.filter(pk=second.pk).delete()
    _check(story, viewers, whole=True)
    services.claim_delete(user=other_user, claim=Claim.objects.get(pk=new.pk))
    _check(story, viewers, whole=True)

    # A write and a deletion in one transaction (as a merge does): still read whole.
    from django.db import transaction

    with transaction.atomic():
        Claim.objects.filter(pk=claims["team"].pk).update(visibility="public", team=None)
        ClaimLink.objects.filter(pk=link.pk).delete()
    _check(story, viewers, whole=True)


def test_rows_are_read_whole_again_after_a_few_deltas(story, article, author):
    factories.make_claim(article=article, author=author, text="120 people")
    _cached(story, author)
    for step in range(presenters.DELTAS_BEFORE_READ + 1):
        factories.make_claim(article=article, author=author, start=step, end=step + 5)
        rows, read = _cached(story, author)
        assert rows[article.pk] == _uncached(article.pk, author)
        assert read == (step == presenters.DELTAS_BEFORE_READ), step


# ------------------------------------------------------------------------------ paragraphs

BODY = "\n".join(
    ["First line with several words in it.", "", "Second line, a little longer than the first."]
    + [f"Line {n}: more words to mark here and there." for n in range(3, 12)]
)


def _random_claim(rng: random.Random, pk: int) -> ClaimRow:
    start = rng.randrange(0, len(BODY) - 5)
    end = min(len(BODY), start + rng.randint(1, 120))  # some cross paragraphs
    return ClaimRow(
        pk=pk, article_id=1, start=start, end=end, exact=BODY[start:end], status="active",
        visibility=rng.choice(["public", "private", "team"]), team_id=None, author_id=1,
        author_name=rng.choice(["ana", "bao"]),
    )


def test_memoised_paragraphs_are_always_the_full_drawing(settings):
    """Random claims and styles, changed one thing at a time: the memo's drawing equals the
    whole column drawn afresh after every change (every field a mark shows is in the
    fingerprint), and paragraphs no change touched are not drawn again."""
    rng = random.Random(18)
    cache = caches["default"]
    claims = {pk: _random_claim(rng, pk) for pk in range(1, 25)}
    style = MarkStyle(counts={}, settled=frozenset())
    body_id = presenters.text_id(BODY)
    spans = []
    real = drawcache.draw_column

    def spying(**kwargs):
        spans.append(kwargs["span"])
        return real(**kwargs)

    with mock.patch.object(drawcache, "draw_column", spying):
        for step in range(150):
            pk = rng.choice(list(claims))
            change = rng.choice(
                ["new", "gone", "author", "visibility", "exact", "end", "counts", "settled",
                 "selected", "related", "only", "nothing"]
            )
            row = claims[pk]
            if change == "new":
                claims[max(claims) + 1] = _random_claim(rng, max(claims) + 1)
            elif change == "gone" and len(claims) > 3:
                del claims[pk]
            elif change == "author":
                claims[pk] = row._replace(author_name=row.author_name + "x")
            elif change == "visibility":
                claims[pk] = row._replace(visibility="public" if row.visibility != "public" else "private")
            elif change == "exact":
                claims[pk] = row._replace(exact=row.exact[::-1])
            elif change == "end":
                claims[pk] = row._replace(end=min(len(BODY), row.end + 3))
            elif change == "counts":
                counts = dict(style.counts)
                counts[pk] = {"agrees": rng.randint(0, 2), "contradicts": rng.randint(0, 1)}
                style = MarkStyle(**{**vars(style), "counts": counts})
            elif change == "settled":
                style = MarkStyle(**{**vars(style), "settled": style.settled ^ {pk}})
            elif change == "selected":
                style = MarkStyle(**{**vars(style), "selected_id": pk})
            elif change == "related":
                style = MarkStyle(**{**vars(style), "related_ids": style.related_ids ^ {pk}})
            elif change == "only":
                style = MarkStyle(**{**vars(style), "only": rng.choice(["", "agrees", "contradicts"])})
            rows = sorted(claims.values(), key=lambda c: (c.start, c.end, c.pk))
            spans.clear()
            drawn = drawcache.draw(cache=cache, body_id=body_id, body=BODY, claims=rows, style=style)
            assert drawn == real(body=BODY, claims=rows, style=style), (step, change)
            if change == "nothing":
                assert spans == []  # all from the memo


def test_one_new_claim_redraws_its_paragraph_only(client, story, article, author, monkeypatch):
    factories.make_claim(article=article, author=author, text="120 people")
    client.get(f"/stories/{story.slug}/")
    spans = []
    real = drawcache.draw_column

    def spying(**kwargs):
        spans.append(kwargs["span"])
        return real(**kwargs)

    monkeypatch.setattr(drawcache, "draw_column", spying)
    claim = factories.make_claim(article=article, author=author, text="Officials")
    html = client.get(f"/stories/{story.slug}/").content.decode()
    paragraph = next(
        start for start, line in drawcache.paragraphs(article.body)
        if start <= claim.start < start + len(line)
    )
    assert spans == [(paragraph, paragraph + 1)]
    assert f'<mark data-claim="{claim.pk}"' in html


def test_a_drawing_is_shared_only_by_viewers_who_see_the_same_marks(
    client, story, article, author, other_user
):
    factories.make_claim(article=article, author=author, text="120 people")
    private = factories.make_claim(article=article, author=other_user, text="Officials",
                                   visibility="private")  # fmt: skip
    bao = Client()
    bao.force_login(other_user)
    for first, second in ((bao, client), (client, bao)):
        caches["default"].clear()
        first.get(f"/stories/{story.slug}/")
        assert (f'data-claim="{private.pk}"' in second.get(f"/stories/{story.slug}/").content.decode()) == (
            second is bao
        )


def test_reader_cache_keys_are_safe_for_any_cache(client, story, article, author, claim_2):
    """No CacheKeyWarning (spaces, control characters, over 250 characters) whatever the view:
    layers, a selection, a filter, a signed-in viewer in teams."""
    factories.make_team(members={author: "annotator"})
    claim = factories.make_claim(article=article, author=author, text="120 people")
    services.link_create(author=author, claim_a=claim, claim_b=claim_2, relation="agrees")
    client.force_login(author)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        for params in ({}, {"layers": "mine,public"}, {"claim": claim.pk, "only": "agrees"},
                       {"panel": "connections", "layers": "none"}):  # fmt: skip
            assert client.get(f"/stories/{story.slug}/", params).status_code == 200
