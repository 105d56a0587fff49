from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from annotations import permissions, selectors, services
from annotations.models import ClaimLink

from . import factories

pytestmark = pytest.mark.django_db


def touch_claim(claim) -> tuple:
    """Everything the reader templates read from a claim row."""
    return (
        claim.exact,
        claim.article.short_label,
        claim.article.language,
        claim.author.get_username(),
        claim.agrees_count if hasattr(claim, "agrees_count") else None,
    )


def touch_link(link) -> tuple:
    return (
        link.relation,
        link.get_status_display(),
        link.author.get_username(),
        touch_claim(link.claim_a),
        touch_claim(link.claim_b),
    )


@pytest.mark.parametrize(("claims_per_article", "links"), [(1, 3), (10, 30)])
def test_story_selectors_use_a_fixed_number_of_queries(
    django_assert_num_queries, claims_per_article, links
):
    story, _articles, claims, made = factories.story_with_annotations(
        articles=3, claims_per_article=claims_per_article, links=links
    )
    assert len(claims) == 3 * claims_per_article >= 3
    assert len(made) == links
    with django_assert_num_queries(1):
        rows = list(selectors.claims_for_story(story=story))
        [touch_claim(c) for c in rows]
    assert len(rows) == len(claims)
    with django_assert_num_queries(1):
        link_rows = list(selectors.links_for_story(story=story))
        [touch_link(link) for link in link_rows]
    assert len(link_rows) == links
    with django_assert_num_queries(1):
        only = list(selectors.links_for_story(story=story, relation="contradicts"))
    assert only and all(link.relation == "contradicts" for link in only)
    with django_assert_num_queries(1):
        connections = selectors.claim_connections(claim=claims[0])
        for items in connections.by_relation.values():
            [touch_claim(item.claim) for item in items]
            [item.link.author.get_username() for item in items]
    assert connections.total >= 1


@pytest.mark.parametrize(("claims_per_article", "links"), [(0, 0), (1, 3), (10, 30)])
def test_story_annotations_uses_the_same_queries_for_any_size(
    django_assert_num_queries, claims_per_article, links
):
    story, _articles, claims, made = factories.story_with_annotations(
        articles=3, claims_per_article=claims_per_article, links=links
    )
    # Three queries (articles, claims, links), even for a story with no annotations.
    with django_assert_num_queries(3):
        notes = selectors.story_annotations(story=story)
        [touch_claim(c) for c in notes.claims]
        [touch_link(link) for link in notes.links]
        by_article = notes.claims_by_article()
        for claim in notes.claims[:3]:
            notes.connections(claim.pk)
    assert [c.pk for c in notes.claims] == [c.pk for c in selectors.claims_for_story(story=story)]
    assert {link.pk for link in notes.links} == {link.pk for link in made}
    assert sum(len(v) for v in by_article.values()) == len(claims)
    # The link's claims are the very objects in ``claims``.
    for link in notes.links:
        assert link.claim_a is notes.by_id[link.claim_a_id]
        assert link.claim_b is notes.by_id[link.claim_b_id]
    # Counts agree with the SQL-counted selector.
    expected = {
        c.pk: (c.agrees_count, c.contradicts_count, c.qualifies_count)
        for c in selectors.claims_for_story(story=story)
    }
    got = {c.pk: (c.agrees_count, c.contradicts_count, c.qualifies_count) for c in notes.claims}
    assert got == expected
    assert sum(len(v) for v in notes.links_by_relation().values()) == links


def test_claims_for_story_orders_and_counts_links(story, author):
    first = factories.article_create(story=story, position=0)
    second = factories.article_create(story=story, position=1)
    third = factories.article_create(story=story, position=2)
    late = factories.claim_create(article=first, author=author, text="Monday")
    early = factories.claim_create(article=first, author=author, text="120 people")
    b = factories.claim_create(article=second, author=author, text="fewer than 100")
    c = factories.claim_create(article=third, author=author, text="fewer than 100")
    factories.link_create(claim_a=early, claim_b=b, relation="contradicts")
    factories.link_create(claim_a=c, claim_b=early, relation="contradicts")
    factories.link_create(claim_a=early, claim_b=b, relation="qualifies")
    factories.link_create(claim_a=b, claim_b=c, relation="agrees")
    factories.claim_create(author=author, text="Monday")  # another story: not included

    rows = list(selectors.claims_for_story(story=story))
    assert [r.pk for r in rows] == [early.pk, late.pk, b.pk, c.pk]
    counts = {r.pk: (r.agrees_count, r.contradicts_count, r.qualifies_count) for r in rows}
    assert counts == {
        early.pk: (0, 2, 1),
        late.pk: (0, 0, 0),
        b.pk: (1, 1, 1),
        c.pk: (1, 1, 0),
    }
    assert {
        link.claim_a_id for link in selectors.links_for_story(story=story, relation="agrees")
    } == {min(b.pk, c.pk)}
    assert list(selectors.links_for_story(story=story, relation="nonsense")) == []


def test_private_claims_and_their_links_are_only_shown_to_their_author(
    story, article, article_2, author, other_user
):
    public = factories.claim_create(article=article, author=author, text="120 people")
    private = factories.claim_create(
        article=article_2, author=other_user, text="fewer than 100", visibility="private"
    )
    services.link_create(author=other_user, claim_a=public, claim_b=private, relation="contradicts")

    for viewer in (None, AnonymousUser(), author):
        assert [c.pk for c in selectors.claims_for_story(story=story, user=viewer)] == [public.pk]
        assert list(selectors.links_for_story(story=story, user=viewer)) == []
        row = selectors.claims_for_story(story=story, user=viewer).get()
        assert row.contradicts_count == 0  # the hidden link is not counted either
        with pytest.raises(Http404):
            permissions.claim_access(viewer, private.pk)
        assert selectors.claim_connections(claim=public, user=viewer).total == 0

    assert {c.pk for c in selectors.claims_for_story(story=story, user=other_user)} == {
        public.pk,
        private.pk,
    }
    assert len(selectors.links_for_story(story=story, user=other_user)) == 1
    assert permissions.claim_access(other_user, private.pk) == private

    # The bulk reader selector applies the same rules.
    for viewer in (None, author):
        notes = selectors.story_annotations(story=story, user=viewer)
        assert [c.pk for c in notes.claims] == [public.pk]
        assert notes.links == []
        assert notes.claims[0].contradicts_count == 0
    notes = selectors.story_annotations(story=story, user=other_user)
    assert len(notes.claims) == 2 and len(notes.links) == 1


def test_claim_connections_groups_by_relation(story, author):
    arts = [factories.article_create(story=story, position=i) for i in range(3)]
    hub = factories.claim_create(article=arts[0], author=author, text="120 people")
    x = factories.claim_create(article=arts[1], author=author, text="fewer than 100")
    y = factories.claim_create(article=arts[2], author=author, text="fewer than 100")
    factories.link_create(claim_a=x, claim_b=hub, relation="contradicts")
    factories.link_create(claim_a=hub, claim_b=y, relation="contradicts")
    factories.link_create(claim_a=hub, claim_b=y, relation="qualifies")
    factories.link_create(claim_a=x, claim_b=y, relation="agrees")  # not touching hub

    connections = selectors.claim_connections(claim=hub)
    assert list(connections.by_relation) == ["agrees", "contradicts", "qualifies"]
    grouped = {rel: [i.claim.pk for i in items] for rel, items in connections.by_relation.items()}
    assert grouped == {"agrees": [], "contradicts": [x.pk, y.pk], "qualifies": [y.pk]}
    assert connections.counts() == {"agrees": 0, "contradicts": 2, "qualifies": 1}
    assert connections.claim_ids() == {x.pk, y.pk}
    assert all(
        item.relation == item.link.relation
        for items in connections.by_relation.values()
        for item in items
    )

    # The same grouping from links already loaded for the whole story, without queries.
    links = list(selectors.links_for_story(story=story))
    regrouped = selectors.group_links(claim_id=hub.pk, links=links)
    assert {rel: [i.claim.pk for i in items] for rel, items in regrouped.items()} == grouped
    assert ClaimLink.objects.count() == 4


# --- row versions: what lets the reader reuse what it drew ---------------------------------------


def test_annotation_version_tells_every_change_to_the_rows_apart(
    django_assert_num_queries, story, article, article_2, author, other_user
):
    """The version read without the rows equals the version of the rows read, and every write
    that changes what a reader could be shown gives a version never seen before, whichever code
    path made it: services, a bulk update, raw SQL, all within one transaction (as here)."""
    from django.db import connection

    from teams.models import Membership
    from teams.tests.factories import team_create

    team = team_create(members={author: "annotator"})
    seen: set[str] = set()

    def check(user=None, layers=None) -> str:
        with django_assert_num_queries(1):
            version = selectors.annotation_version(story=story, user=user, layers=layers)
        with django_assert_num_queries(2):
            rows = selectors.annotation_rows(story=story, user=user, layers=layers)
        assert rows.version == version
        return version

    def changed(user=None) -> None:
        version = check(user)
        assert version not in seen
        seen.add(version)

    changed()  # no claims yet
    claim = factories.claim_create(article=article, author=author, text="120 people")
    changed()
    assert check() == check()  # reading changes nothing
    other = factories.claim_create(article=article_2, author=author, text="Monday")
    changed()
    link, _created = services.link_create(author=author, claim_a=claim, claim_b=other, relation="agrees")
    changed()
    services.link_update(user=author, link=link, relation="contradicts")
    changed()
    ClaimLink.objects.filter(pk=link.pk).update(rationale="bulk")  # no service, no updated_at
    changed()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE annotations_claim SET note = 'raw' WHERE id = %s", [claim.pk])
    changed()
    before_rename = check()
    type(author).objects.filter(pk=author.pk).update(username="ana2")  # the author's name shows
    changed()
    # The name back as it was: the rows are as they were, and so is the version.
    type(author).objects.filter(pk=author.pk).update(username="ana")
    assert check() == before_rename

    # Visibility: Bao sees the team claim only while he is in the team.
    factories.claim_create(article=article, author=author, text="the figure", visibility="team", team=team)
    bao_before = check(other_user)
    membership = Membership.objects.create(team=team, user=other_user, role="viewer")
    bao_member = check(other_user)
    assert bao_member != bao_before
    assert len(selectors.annotation_rows(story=story, user=other_user).claims) == 3
    membership.delete()
    assert check(other_user) == bao_before  # the same rows as before he joined: the same version
    assert len(selectors.annotation_rows(story=story, user=other_user).claims) == 2

    # Layers choose rows too; no layer at all reads nothing and still has a version.
    assert check(author, frozenset({"mine"})) != check(author, frozenset({"public"}))
    with django_assert_num_queries(0):  # claims and links are known to be none
        nothing = selectors.annotation_rows(story=story, user=author, layers=frozenset())
    assert nothing.claims == {} and nothing.links == ()
    assert selectors.annotation_version(story=story, user=author, layers=frozenset()) == nothing.version

    services.claim_delete(user=author, claim=other)
    changed(author)
