"""The reader's caches after a write: the cached rows brought up to date with only the rows the
write touched (reader/rowdelta.py), and paragraphs redrawn only where their marks changed
(reader/drawcache.py). Each test compares with what a reader with no cache at all would show,
so a cache serving anything stale fails them."""

from __future__ import annotations

import random
import re
import warnings
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import CacheKeyWarning, caches
from django.db import connection
from django.test import Client

from annotations import permissions, services
from annotations.models import AnnotationChange, Claim, ClaimLink
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

    # Deletions are named in the change log like any other write: the rows gone are dropped.
    Verdict.objects.filter(link=link).delete()
    _check(story, viewers, whole=False)
    assert not any(link.pk in rows.verdict_links for rows in _cached(story, author)[0].values())
    ClaimLink.objects.filter(pk=second.pk).delete()
    _check(story, viewers, whole=False)
    services.claim_delete(user=other_user, claim=Claim.objects.get(pk=new.pk))
    _check(story, viewers, whole=False)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM annotations_claimlink WHERE id = %s", [link.pk])
    _check(story, viewers, whole=False)

    # Writes and a deletion in one transaction (as a merge does).
    from django.db import transaction

    third = services.link_create(author=author, claim_a=claims["team"], claim_b=claims["other"],
                                 relation="qualifies")[0]  # fmt: skip
    _check(story, viewers, whole=False)
    with transaction.atomic():
        Claim.objects.filter(pk=claims["team"].pk).update(visibility="public", team=None)
        ClaimLink.objects.filter(pk=third.pk).delete()
        factories.make_claim(article=article_2, author=author, text="Monday", visibility="team", team=team)
    _check(story, viewers, whole=False)

    # A change written before the log named its rows (both lists null) cannot be applied.
    factories.make_claim(article=article, author=author, start=0, end=3)
    AnnotationChange.objects.filter(article_id=article.pk).update(claim_ids=None, link_ids=None)
    _check(story, viewers, whole=True)


#: What differs between two views of the same page: the CSRF token, the live stream's start.
PER_REQUEST = re.compile(r'(X-CSRFToken": "|name="csrfmiddlewaretoken" value="|data-since=")[^"]+')


def test_every_kind_of_write_draws_as_a_reader_with_no_cache_would(
    story, article, article_2, author, other_user, desk, monkeypatch
):
    """After each write, every viewer's page in every view (a filter, a selection, layers) is
    the page a process with nothing cached draws; and the written column was updated from its
    drawing before the write (``Column.updated``, the paragraphs under the changed claims
    only), not built again."""
    claims, link, viewers, team = desk
    clients = {}
    for name, user in viewers.items():
        clients[name] = Client()
        if user.is_authenticated:
            clients[name].force_login(user)
    views = [{}, {"only": "contradicts"}, {"claim": claims["public"].pk}, {"layers": "mine,public"},
             {"marks": "dense"}]  # fmt: skip
    url = f"/stories/{story.slug}/"
    builds = []
    real_build = presenters.Column.build.__func__

    def counting_build(cls, *args, **kwargs):
        builds.append(args[0])
        return real_build(cls, *args, **kwargs)

    monkeypatch.setattr(presenters.Column, "build", classmethod(counting_build))

    def pages() -> dict:
        return {
            (name, tuple(view.items())): PER_REQUEST.sub(r"\1", client.get(url, view).content.decode())
            for name, client in clients.items() for view in views
        }

    pages()
    curator = factories.make_user(is_staff=True)
    made = {}
    body = article.body
    moved = (body.index("The mayor"), body.index("The mayor") + len("The mayor"))
    writes = [
        lambda: made.update(new=factories.make_claim(
            article=article, author=other_user, text="next month", visibility="public",
        )),
        # Re-anchored into another paragraph (as after an edit of the article): both redrawn.
        lambda: Claim.objects.filter(pk=made["new"].pk).update(
            start=moved[0], end=moved[1], exact=body[moved[0]:moved[1]]
        ),
        lambda: services.link_create(author=author, claim_a=claims["team"], claim_b=claims["other"],
                                     relation="agrees"),  # fmt: skip
        lambda: Claim.objects.filter(pk=claims["public"].pk).update(visibility="private"),
        lambda: Claim.objects.filter(pk=claims["public"].pk).update(visibility="public"),
        lambda: Claim.objects.filter(pk=claims["other"].pk).update(visibility="team", team=team),
        lambda: Claim.objects.filter(pk=claims["other"].pk).update(visibility="public", team=None),
        lambda: ClaimLink.objects.filter(pk=link.pk).update(status=ClaimLink.Status.CONFIRMED),
        lambda: curation_services.verdict_set(
            user=curator, link=ClaimLink.objects.get(pk=link.pk),
            rated_claim=claims["public"], rating="unresolved", evidence="Both say so.",
        ),
        lambda: Verdict.objects.filter(link=link).delete(),
        lambda: ClaimLink.objects.filter(pk=link.pk).update(relation="agrees"),
        lambda: type(author).objects.filter(pk=author.pk).update(username="ana2"),
        lambda: ClaimLink.objects.filter(claim_a=claims["team"]).delete(),
        lambda: Claim.objects.filter(pk=claims["team"].pk).update(status=Claim.Status.ORPHANED),
    ]
    for step, write in enumerate(writes):
        write()
        builds.clear()
        after = pages()
        assert builds == [], step  # every column updated, none built again
        caches["default"].clear()
        cold = pages()
        assert cold == after, step


def test_a_write_committed_after_a_later_one_shows_at_the_next_write(story, article, author):
    """A change's id is taken when it is written: a write can commit after a later one whose id
    a reader already took as the version. The next delta still applies it (its transaction was
    running when the rows were read: rowdelta's snapshot window)."""
    factories.make_claim(article=article, author=author, text="120 people")
    _cached(story, author)
    late = factories.make_claim(article=article, author=author, text="Officials")
    # As if another transaction had written it and committed late: its change's id is below
    # the version already seen (the test's writes share one transaction: give it another).
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE annotations_annotationchange SET id = -id,"
            " xid = (pg_current_xact_id()::text::bigint + 1)::text::xid8"
            " WHERE id = (SELECT max(id) FROM annotations_annotationchange WHERE article_id = %s)",
            [article.pk],
        )
    rows, _read = _cached(story, author)
    assert late.pk not in {c.pk for c in rows[article.pk].claims}  # the version did not move
    factories.make_claim(article=article, author=author, start=0, end=3)
    rows, read = _cached(story, author)
    assert rows[article.pk] == _uncached(article.pk, author) and not read
    assert late.pk in {c.pk for c in rows[article.pk].claims}


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


def _change(rng: random.Random, claims: dict, style: MarkStyle, pk: int, change: str) -> MarkStyle:
    """One random change to claim ``pk`` (``new``: a new claim numbered ``pk``), in place in
    ``claims``; the style after it."""
    row = claims.get(pk)
    if change == "new":
        claims[pk] = _random_claim(rng, pk)
    elif change == "gone" and len(claims) > 3:
        del claims[pk]
    elif change == "author":
        claims[pk] = row._replace(author_name=row.author_name + "x")
    elif change == "visibility":
        claims[pk] = row._replace(visibility="public" if row.visibility != "public" else "private")
    elif change == "exact":
        claims[pk] = row._replace(exact=row.exact[::-1])
    elif change == "start":
        start = rng.randrange(0, len(BODY) - 5)  # re-anchored, maybe to another paragraph
        claims[pk] = row._replace(start=start, end=min(len(BODY), start + rng.randint(1, 60)))
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
    return style


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
            if change == "new":
                pk = max(claims) + 1
            style = _change(rng, claims, style, pk, change)
            rows = sorted(claims.values(), key=lambda c: (c.start, c.end, c.pk))
            spans.clear()
            drawn = drawcache.draw(cache=cache, body_id=body_id, body=BODY, claims=rows, style=style)
            assert drawn == real(body=BODY, claims=rows, style=style), (step, change)
            if change == "nothing":
                assert spans == []  # all from the memo


def test_a_drawing_after_a_write_redraws_where_the_changed_claims_are(settings):
    """Random changes to one claim at a time (its row, or what the style says of it): the
    drawing before the change with only the paragraphs under that claim's old and new offsets
    looked at again (``draw(previous=, changed=)``) equals the whole column drawn afresh."""
    rng = random.Random(15)
    cache = caches["default"]
    claims = {pk: _random_claim(rng, pk) for pk in range(1, 25)}
    style = MarkStyle(counts={}, settled=frozenset())
    body_id = presenters.text_id(BODY)
    rows = sorted(claims.values(), key=lambda c: (c.start, c.end, c.pk))
    previous = drawcache.draw(cache=cache, body_id=body_id, body=BODY, claims=rows, style=style)
    for step in range(150):
        pk = rng.choice(list(claims))
        change = rng.choice(["new", "gone", "author", "visibility", "exact", "start", "end", "counts", "settled"])
        if change == "new":
            pk = max(claims) + 1
        old = claims.get(pk)
        style = _change(rng, claims, style, pk, change)
        if step % 10 == 0:
            cache.clear()  # some paragraphs drawn, not found in the memo
        rows = sorted(claims.values(), key=lambda c: (c.start, c.end, c.pk))
        changed = [(c.start, c.end) for c in (old, claims.get(pk)) if c is not None]
        drawn = drawcache.draw(
            cache=cache, body_id=body_id, body=BODY, claims=rows, style=style, previous=previous,
            changed=changed,
        )
        assert drawn == drawcache.draw_column(body=BODY, claims=rows, style=style), (step, change)
        previous = drawn


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
