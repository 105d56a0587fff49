"""Curation services: permissions first, clear errors, nothing written on bad input."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from annotations.models import Claim, ClaimLink
from tests import factories
from curation import services
from curation.models import CanonicalClaim, CanonicalMember, LinkReview, OrphanDismissal, Verdict


@pytest.fixture
def link(article, article_2, annotator):
    a = factories.make_claim(article=article, author=annotator, text="120 people")
    b = factories.make_claim(article=article_2, author=annotator, text="fewer than 100")
    return factories.make_link(claim_a=a, claim_b=b, relation="contradicts", author=annotator)


def test_links_review_confirms_and_records_reason(curator, link):
    services.links_review(user=curator, links=[link], decision="confirmed", reason="checked")
    link.refresh_from_db()
    assert link.status == ClaimLink.Status.CONFIRMED
    review = LinkReview.objects.get(link=link)
    assert (review.reviewer, review.reason) == (curator, "checked")


def test_reject_needs_a_reason_and_changes_nothing_without(curator, link):
    with pytest.raises(ValidationError, match="Say why"):
        services.links_review(user=curator, links=[link], decision="rejected", reason="  ")
    link.refresh_from_db()
    assert link.status == ClaimLink.Status.PROPOSED
    assert not LinkReview.objects.exists()


def test_non_curator_cannot_review(annotator, link):
    with pytest.raises(PermissionDenied):
        services.links_review(user=annotator, links=[link], decision="confirmed")
    link.refresh_from_db()
    assert link.status == ClaimLink.Status.PROPOSED


@pytest.mark.parametrize("hidden", ["link", "claim"])
def test_a_link_made_private_since_the_page_was_drawn_is_not_reviewed(curator, link, hidden):
    """The reviewer's page listed the link; its author then made it (or one of its claims)
    private. The review reads it again under its lock through the visibility rule."""
    if hidden == "link":
        ClaimLink.objects.filter(pk=link.pk).update(visibility="private")
    else:
        Claim.objects.filter(pk=link.claim_a_id).update(visibility="private")
    with pytest.raises(ValidationError, match="no longer shared with you"):
        services.links_review(user=curator, links=[link], decision="confirmed", reason="ok")
    link.refresh_from_db()
    assert link.status == ClaimLink.Status.PROPOSED
    assert not LinkReview.objects.exists()


def test_canonical_claim_gathers_claims_from_the_story(curator, link, story):
    canonical = services.canonical_create(
        user=curator, story=story, statement="About 100 people came",
        claims=[link.claim_a, link.claim_b],
    )
    assert sorted(canonical.members.values_list("claim_id", flat=True)) == sorted(
        [link.claim_a_id, link.claim_b_id]
    )
    services.canonical_update(
        user=curator, canonical=canonical, stances={link.claim_b_id: "contradicts"}
    )
    assert CanonicalMember.objects.get(claim=link.claim_b).stance == "contradicts"


def test_canonical_claim_refuses_other_stories_and_taken_claims(curator, link, story):
    foreign = factories.make_claim(text="120 people")  # its own story
    with pytest.raises(ValidationError, match="different stories"):
        services.canonical_create(
            user=curator, story=story, statement="x", claims=[link.claim_a, foreign]
        )
    assert not CanonicalClaim.objects.exists()
    services.canonical_create(user=curator, story=story, statement="x", claims=[link.claim_a])
    with pytest.raises(ValidationError, match="already belongs"):
        services.canonical_create(user=curator, story=story, statement="y", claims=[link.claim_a])
    assert CanonicalClaim.objects.count() == 1


def test_canonical_needs_curator_and_statement(annotator, curator, story, link):
    with pytest.raises(PermissionDenied):
        services.canonical_create(user=annotator, story=story, statement="x")
    with pytest.raises(ValidationError, match="cannot be empty"):
        services.canonical_create(user=curator, story=story, statement="   ")
    assert not CanonicalClaim.objects.exists()


def test_verdict_on_a_contradiction(curator, link):
    verdict = services.verdict_set(
        user=curator, link=link, rated_claim=link.claim_b, rating="refuted",
        evidence="Ticket count was 120.", url="https://example.org/count",
    )
    assert Verdict.objects.get(link=link) == verdict
    again = services.verdict_set(
        user=curator, link=link, rated_claim=link.claim_b, rating="misleading", evidence="Hmm."
    )
    assert again.pk == verdict.pk and Verdict.objects.get().rating == "misleading"


def test_verdict_refused_on_a_link_that_is_not_a_contradiction(curator, article, article_2):
    a = factories.make_claim(article=article, text="the meeting")
    b = factories.make_claim(article=article_2, text="the figure")
    agrees = factories.make_link(claim_a=a, claim_b=b, relation="agrees")
    with pytest.raises(ValidationError, match="Verdicts settle contradictions"):
        services.verdict_set(
            user=curator, link=agrees, rated_claim=a, rating="supported", evidence="x"
        )
    assert not Verdict.objects.exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"rating": "true"}, "Unknown rating"),
        ({"evidence": ""}, "cannot be empty"),
        ({"url": "javascript:alert(1)"}, "full web address"),
    ],
)
def test_verdict_bad_input(curator, link, change, message):
    data = {"rating": "supported", "evidence": "Seen it.", "url": ""} | change
    with pytest.raises(ValidationError, match=message):
        services.verdict_set(user=curator, link=link, rated_claim=link.claim_a, **data)
    assert not Verdict.objects.exists()


def test_verdict_by_non_curator_is_denied(annotator, link):
    with pytest.raises(PermissionDenied):
        services.verdict_set(
            user=annotator, link=link, rated_claim=link.claim_a, rating="supported", evidence="x"
        )


def test_merge_duplicate_claims_moves_links(curator, article, article_2):
    ana, bao = factories.make_user(), factories.make_user()
    keep = factories.make_claim(article=article, author=ana, text="120 people attended")
    dup = factories.make_claim(article=article, author=bao, text="120 people")
    other = factories.make_claim(article=article_2, author=bao, text="fewer than 100")
    link = factories.make_link(claim_a=dup, claim_b=other, relation="contradicts", author=bao)
    result = services.claims_merge(user=curator, claims=[dup, keep])
    assert result.kept == keep and result.removed == 1 and result.links_moved == 1
    assert not Claim.objects.filter(pk=dup.pk).exists()
    link.refresh_from_db()
    assert {link.claim_a_id, link.claim_b_id} == {keep.pk, other.pk}


def test_merge_refuses_other_stories_articles_and_gaps(curator, article, article_2):
    a = factories.make_claim(article=article, text="120 people")
    b = factories.make_claim(text="120 people")
    with pytest.raises(ValidationError, match="different stories"):
        services.claims_merge(user=curator, claims=[a, b])
    c = factories.make_claim(article=article_2, text="120 people")
    with pytest.raises(ValidationError, match="same article"):
        services.claims_merge(user=curator, claims=[a, c])
    d = factories.make_claim(article=article, text="Monday")
    with pytest.raises(ValidationError, match="do not overlap"):
        services.claims_merge(user=curator, claims=[a, d])
    assert Claim.objects.count() == 4


def test_merge_by_non_curator_is_denied(annotator, article):
    a = factories.make_claim(article=article, text="120 people")
    b = factories.make_claim(article=article, text="120 people attended")
    with pytest.raises(PermissionDenied):
        services.claims_merge(user=annotator, claims=[a, b])
    assert Claim.objects.count() == 2


def test_orphan_reattach_and_dismiss(curator, article):
    claim = factories.make_claim(article=article, text="120 people")
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.ORPHANED)
    claim.refresh_from_db()
    services.orphan_dismiss(user=curator, claim=claim, reason="ad text")
    assert OrphanDismissal.objects.filter(claim=claim).exists()
    start = article.body.index("fewer")
    services.claim_reattach(user=curator, claim=claim, start=start, end=start + 14)
    claim.refresh_from_db()
    assert (claim.status, claim.exact) == ("active", "fewer than 100")
    assert not OrphanDismissal.objects.filter(claim=claim).exists()
    with pytest.raises(ValidationError, match="not orphaned"):
        services.claim_reattach(user=curator, claim=claim, start=0, end=5)


def test_reattach_and_dismiss_read_the_orphan_again_under_the_lock(curator, article):
    """The curator's page may be stale. The services look the claim up again, locked, through
    the rule book's access helper, and refuse instead of moving a claim another curator already
    put back, dismissing a claim that is no longer an orphan, or acting on one its author has
    since made private."""
    from activity.models import Event

    claim = factories.make_claim(article=article, text="120 people")
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.ORPHANED)
    claim.refresh_from_db()
    stale = Claim.objects.select_related("article__story").get(pk=claim.pk)
    start = article.body.index("fewer")
    services.claim_reattach(user=curator, claim=claim, start=start, end=start + 14)
    events = Event.objects.count()
    with pytest.raises(ValidationError, match="not orphaned"):
        services.claim_reattach(user=curator, claim=stale, start=0, end=3)
    with pytest.raises(ValidationError, match="not orphaned"):
        services.orphan_dismiss(user=curator, claim=stale, reason="ad text")
    claim.refresh_from_db()
    assert (claim.status, claim.exact) == ("active", "fewer than 100")

    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.ORPHANED, visibility="private")
    with pytest.raises(ValidationError, match="deleted"):
        services.orphan_dismiss(user=curator, claim=stale, reason="ad text")
    with pytest.raises(ValidationError, match="deleted"):
        services.claim_reattach(user=curator, claim=stale, start=start, end=start + 14)
    assert not OrphanDismissal.objects.exists()
    assert Event.objects.count() == events


def test_reattach_out_of_range_changes_nothing(curator, article):
    claim = factories.make_claim(article=article, text="120 people")
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.ORPHANED)
    claim.refresh_from_db()
    with pytest.raises(ValidationError, match="inside the article"):
        services.claim_reattach(user=curator, claim=claim, start=5, end=10**6)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ORPHANED


def test_curation_changes_are_recorded_in_the_event_log(curator, link, story):
    from activity.models import Event

    services.links_review(user=curator, links=[link], decision="rejected", reason="Off topic")
    canonical = services.canonical_create(
        user=curator, story=story, statement="Turnout", claims=[link.claim_a]
    )
    services.canonical_update(user=curator, canonical=canonical, statement="Turnout on Monday")
    reviewed = Event.objects.get(object_type="link", object_id=link.pk, verb="reviewed")
    assert reviewed.before["status"] == "proposed" and reviewed.after["status"] == "rejected"
    assert reviewed.after["reason"] == "Off topic" and reviewed.actor == curator
    updated = Event.objects.get(object_type="canonicalclaim", object_id=canonical.pk,
                                verb="updated")
    assert (updated.before["statement"], updated.after["statement"]) == (
        "Turnout", "Turnout on Monday"
    )


def test_review_queue_team_filter(curator, story, article, article_2):
    from django.apps import apps

    from curation.selectors import QueueFilters, review_queue

    Team, Membership = apps.get_model("teams", "Team"), apps.get_model("teams", "Membership")
    desk = Team.objects.create(name="Desk", slug="desk")
    member, outsider = factories.make_user(), factories.make_user()
    Membership.objects.create(team=desk, user=member, role="annotator")
    a = factories.make_claim(article=article, text="120 people")
    b = factories.make_claim(article=article_2, text="fewer than 100")
    c = factories.make_claim(article=article_2, text="Monday")
    mine = factories.make_link(claim_a=a, claim_b=b, relation="contradicts", author=member)
    factories.make_link(claim_a=a, claim_b=c, relation="agrees", author=outsider)
    found = review_queue(user=curator, filters=QueueFilters(story=story, team_id=desk.pk))
    assert [link.pk for link in found] == [mine.pk]
