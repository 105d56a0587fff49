"""Reads for claims and links: rows per article in a fixed number of queries, visibility from
the rule book, and the annotation version that every write moves, whoever makes it."""

from __future__ import annotations

import pytest
from django.db import connection

from annotations import selectors, services
from annotations.models import Claim, ClaimLink

from tests import factories

pytestmark = pytest.mark.django_db


def _versions(story) -> dict[int, int]:
    return {a.pk: a.annotation_version for a in selectors.story_articles(story=story)}


@pytest.mark.parametrize(("claims_per_article", "links"), [(1, 2), (10, 20)])
def test_rows_take_two_queries_whatever_the_counts(
    django_assert_num_queries, claims_per_article, links
):
    story, arts, claims, made = factories.make_story_with_annotations(
        articles=3, claims_per_article=claims_per_article, links=links
    )
    ids = [a.pk for a in arts]
    with django_assert_num_queries(1):
        articles = selectors.story_articles(story=story)
    assert [a.pk for a in articles] == ids and all(a.annotation_version > 0 for a in articles)
    with django_assert_num_queries(2):
        claim_rows = selectors.claim_rows(article_ids=ids, user=None)
        link_rows = selectors.link_rows(article_ids=ids, user=None)
    assert sum(len(rows) for rows in claim_rows.values()) == 3 * claims_per_article
    # A link is listed under both its articles.
    assert sum(len(rows) for rows in link_rows.values()) == 2 * len(made)
    first = claim_rows[ids[0]]
    assert [row.start for row in first] == sorted(row.start for row in first)
    assert first[0].author_name == claims[0].author.username


def test_rows_follow_the_rule_book(story, article, article_2, author, other_user):
    public = factories.make_claim(article=article, author=author, text="120 people")
    private = factories.make_claim(
        article=article_2, author=other_user, text="fewer than 100", visibility="private"
    )
    services.link_create(author=other_user, claim_a=public, claim_b=private, relation="contradicts")
    ids = [article.pk, article_2.pk]
    for viewer in (None, author):
        rows = selectors.claim_rows(article_ids=ids, user=viewer)
        assert [r.pk for r in rows[article.pk] + rows[article_2.pk]] == [public.pk]
        assert selectors.link_rows(article_ids=ids, user=viewer) == {article.pk: [], article_2.pk: []}
    rows = selectors.claim_rows(article_ids=ids, user=other_user)
    assert {r.pk for r in rows[article.pk] + rows[article_2.pk]} == {public.pk, private.pk}
    assert len(selectors.link_rows(article_ids=[article.pk], user=other_user)[article.pk]) == 1


def test_every_write_moves_the_annotation_version_whoever_makes_it(
    story, article, article_2, author
):
    """Services, the admin's bulk updates, raw SQL and a renamed author: each moves the version of
    exactly the articles whose marks or counts it changes (triggers append the change)."""
    article_3 = factories.make_article(story=story, position=2)
    seen = _versions(story)
    assert seen == {article.pk: 0, article_2.pk: 0, article_3.pk: 0}

    def moved() -> set[int]:
        nonlocal seen
        now = _versions(story)
        changed = {pk for pk in now if now[pk] != seen[pk]}
        assert all(now[pk] > seen[pk] for pk in changed)  # versions only grow
        seen = now
        return changed

    claim = factories.make_claim(article=article, author=author, text="120 people")
    assert moved() == {article.pk}
    other = factories.make_claim(article=article_2, author=author, text="Monday")
    assert moved() == {article_2.pk}
    link, _ = services.link_create(author=author, claim_a=claim, claim_b=other, relation="agrees")
    assert moved() == {article.pk, article_2.pk}
    assert moved() == set()  # reading changes nothing
    ClaimLink.objects.filter(pk=link.pk).update(relation="contradicts")  # behind the services
    assert moved() == {article.pk, article_2.pk}
    with connection.cursor() as cursor:
        cursor.execute("UPDATE annotations_claim SET note = 'raw' WHERE id = %s", [claim.pk])
    assert moved() == {article.pk}
    # A claim's visibility changes the link counts of the claims it is linked to.
    Claim.objects.filter(pk=claim.pk).update(visibility="private")
    assert moved() == {article.pk, article_2.pk}
    type(author).objects.filter(pk=author.pk).update(username="ana2")  # names show in the marks
    assert moved() == {article.pk, article_2.pk}
    type(author).objects.filter(pk=author.pk).update(last_login=None)  # not the name: no change
    assert moved() == set()
    # A bulk update of many claims of one article is one change.
    factories.make_claim(article=article_3, author=author, text="Officials")
    factories.make_claim(article=article_3, author=author, text="Monday")
    moved()
    from annotations.models import AnnotationChange

    before = AnnotationChange.objects.count()
    Claim.objects.filter(article=article_3).update(note="bulk")
    assert AnnotationChange.objects.count() == before + 1
    assert moved() == {article_3.pk}
    services.claim_delete(user=author, claim=other)  # the claim and its link
    assert moved() == {article.pk, article_2.pk}
