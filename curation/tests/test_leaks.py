"""The three leaks and the curator escalation the route-by-route audit found (issue 12), each as
it was reported. Every test failed before the rule book and passes now."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations import services as annotation_services
from annotations.models import Claim, ClaimLink
from tests import factories
from curation import services
from curation.models import CanonicalClaim, OrphanDismissal
from teams import services as team_services
from tests.factories import make_team

pytestmark = pytest.mark.django_db

SECRET = "private-rationale-marker"


@pytest.fixture
def desk_story(story):
    """The story belongs to a desk with a curator."""
    desk_curator = factories.make_user(username="desk-curator")
    story.desk = make_team(name="Owning desk", members={desk_curator: "curator"})
    story.save()
    story.desk_curator = desk_curator
    return story


def test_deleting_a_public_claim_does_not_publish_a_private_link_on_it(
    client, story, article, article_2
):
    """Leak 1: the ``deleted`` event keeps snapshots of every link; any logged-in user could
    read a private link's rationale on the story history and on the claim's history page."""
    author, linker, outsider = (factories.make_user(username=n) for n in ("ana", "bao", "chi"))
    public = factories.make_claim(article=article, author=author, text="120 people")
    other = factories.make_claim(article=article_2, author=linker, text="fewer than 100")
    annotation_services.link_create(
        author=linker, claim_a=public, claim_b=other, relation="contradicts", rationale=SECRET,
        visibility="private",
    )
    annotation_services.claim_delete(user=author, claim=public)

    pages = [
        reverse("curation:story_history", kwargs={"slug": story.slug}),
        reverse("curation:object_history", kwargs={"object_type": "claim", "object_id": public.pk}),
    ]
    client.force_login(outsider)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200
        assert "120 people" in response.content.decode()  # the public claim's own history shows
        assert SECRET not in response.content.decode(), url
    client.force_login(linker)  # the link's author still sees their own link in it
    assert SECRET in client.get(pages[1]).content.decode()


def test_restore_brings_back_only_the_links_the_restorer_may_see(story, article, article_2):
    author, linker = factories.make_user(username="ana"), factories.make_user(username="bao")
    staff = factories.make_user(username="staff", is_staff=True)
    public = factories.make_claim(article=article, author=author, text="120 people")
    other = factories.make_claim(article=article_2, author=linker, text="fewer than 100")
    annotation_services.link_create(
        author=linker, claim_a=public, claim_b=other, relation="contradicts", rationale=SECRET,
        visibility="private",
    )
    annotation_services.link_create(author=author, claim_a=public, claim_b=other, relation="agrees")
    annotation_services.claim_delete(user=author, claim=public)
    from activity.models import Event

    event = Event.objects.get(verb="deleted", object_type="claim", object_id=public.pk)
    result = services.claim_restore(user=staff, event=event)
    assert (result.links_restored, result.links_hidden) == (1, 1)
    assert list(ClaimLink.objects.values_list("relation", flat=True)) == ["agrees"]


def test_another_desks_admin_cannot_see_or_dismiss_a_private_orphan(client, desk_story, article):
    """Leak 2: orphaned claims ignored visibility; another desk's admin saw a private orphan's
    quote and author, and could dismiss it."""
    author = factories.make_user(username="orphan-author")
    orphan = factories.make_claim(
        article=article, author=author, text="120 people", visibility="private"
    )
    Claim.objects.filter(pk=orphan.pk).update(status=Claim.Status.ORPHANED)
    other_admin = factories.make_user(username="other-desk-admin")
    team_services.team_create(creator=other_admin, name="Another desk")

    client.force_login(other_admin)
    orphans_url = reverse("curation:orphans", kwargs={"slug": desk_story.slug})
    assert client.get(orphans_url).status_code == 403
    dismiss = reverse("curation:orphan_action", kwargs={"pk": orphan.pk, "action": "dismiss"})
    assert client.post(dismiss, {"reason": "x"}).status_code == 404  # not even told it exists
    assert not OrphanDismissal.objects.exists()

    # The desk's own curator curates the story, but a private orphan is still its author's.
    client.force_login(desk_story.desk_curator)
    html = client.get(orphans_url).content.decode()
    assert "120 people" not in html and "orphan-author" not in html
    assert client.post(dismiss, {"reason": "x"}).status_code == 404
    assert not OrphanDismissal.objects.exists()


def test_a_canonical_claims_page_lists_only_the_member_claims_the_visitor_may_see(
    client, story, article, article_2
):
    """Leak 3: a canonical claim's page listed team-only member claims to anonymous visitors
    (the matrix filtered them correctly)."""
    staff = factories.make_user(username="staff", is_staff=True)
    member = factories.make_user(username="member")
    team = make_team(name="Desk", members={member: "annotator"})
    public = factories.make_claim(article=article, author=member, text="120 people")
    team_only = factories.make_claim(
        article=article_2, author=member, text="fewer than 100", visibility="team", team=team
    )
    canonical = services.canonical_create(
        user=staff, story=story, statement="How many came", claims=[public, team_only]
    )
    url = reverse("curation:canonical_detail", kwargs={"pk": canonical.pk})
    html = client.get(url).content.decode()
    assert "120 people" in html and "fewer than 100" not in html
    client.force_login(member)
    assert "fewer than 100" in client.get(url).content.decode()


def test_creating_a_team_does_not_make_you_curator_of_another_desks_story(
    client, desk_story, article, article_2
):
    """The escalation: creating a team makes you its admin, and ``is_curator`` counted 'admin of
    any team' whatever the story. Such a user rewrote another desk's canonical statement and
    reviewed its links."""
    annotator = factories.make_user(username="ann")
    a = factories.make_claim(article=article, author=annotator, text="120 people")
    b = factories.make_claim(article=article_2, author=annotator, text="fewer than 100")
    link = factories.make_link(claim_a=a, claim_b=b, relation="contradicts", author=annotator)
    canonical = services.canonical_create(
        user=desk_story.desk_curator, story=desk_story, statement="The desk's wording", claims=[a]
    )

    climber = factories.make_user(username="climber")
    client.force_login(climber)
    client.post(reverse("teams:team_create"), {"name": "My own desk"})
    assert climber.memberships.get().role == "admin"

    detail = reverse("curation:canonical_detail", kwargs={"pk": canonical.pk})
    assert client.post(detail, {"statement": "Rewritten"}).status_code == 403
    canonical.refresh_from_db()
    assert canonical.statement == "The desk's wording"
    queue = reverse("curation:review_queue")
    response = client.post(queue, {"links": [link.pk], "decision": "confirmed", "reason": "x"})
    assert response.status_code in (403, 404, 422)
    link.refresh_from_db()
    assert link.status == ClaimLink.Status.PROPOSED
    # ... and the queue lists nothing of that story to them.
    assert "120 people" not in client.get(queue).content.decode()
    verdict = reverse("curation:verdict", kwargs={"link_pk": link.pk})
    assert client.get(verdict).status_code == 403
    assert not CanonicalClaim.objects.exclude(statement="The desk's wording").exists()
