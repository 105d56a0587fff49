"""The rule book (annotations/permissions.py): the rule on facts and as a queryset filter agree,
the access helpers answer 404 or 403, and curating a story needs a role in its desk."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404

from activity.models import Event
from annotations import permissions
from annotations.models import Claim
from teams import services as team_services
from tests.factories import make_team

from tests import factories


def touch_claim(claim) -> tuple:
    """Everything the reader's panels read from a claim."""
    return (claim.exact, claim.article.short_label, claim.article.language, claim.author.get_username())


def touch_link(link) -> tuple:
    return (link.relation, link.get_status_display(), link.author.get_username(),
            touch_claim(link.claim_a), touch_claim(link.claim_b))

pytestmark = pytest.mark.django_db


def test_sees_and_visible_q_agree_on_every_combination(story, article):
    """Each visibility x owner x team-membership case, checked in Python and in SQL."""
    owner = factories.make_user(username="owner")
    member = factories.make_user(username="member")
    viewer = factories.make_user(username="viewer")
    outsider = factories.make_user(username="outsider")
    team = make_team(name="Desk A", members={owner: "annotator", member: "annotator", viewer: "viewer"})
    other_team = make_team(name="Desk B", members={outsider: "admin", owner: "annotator"})
    texts = ["120 people", "Monday", "the meeting", "the figure", "fewer than 100", "next month"]
    cases = [("public", None), ("private", None), ("team", team), ("team", other_team)]
    claims = [
        factories.make_claim(article=article, author=owner, text=text, visibility=v, team=t)
        for text, (v, t) in zip(texts, cases, strict=False)
    ]
    for user in (owner, member, viewer, outsider, AnonymousUser(), None):
        in_sql = set(Claim.objects.filter(permissions.visible_q(user)).values_list("pk", flat=True))
        teams = permissions.team_ids(user)
        in_python = {
            c.pk
            for c in claims
            if permissions.sees(
                visibility=c.visibility, owner_id=c.author_id, team_id=c.team_id,
                user_id=getattr(user, "pk", None), team_ids=teams,
            )
        }
        assert in_sql == in_python
        assert in_python == {c.pk for c in claims if permissions.can_see(user, c)}
        assert in_python == {c.pk for c in claims if permissions.can_see(user, c, teams=teams)}
    # Spelled out: the team's viewer sees the team's claim, not the other team's.
    member_view = {c.pk for c in claims if permissions.can_see(viewer, c)}
    assert member_view == {claims[0].pk, claims[2].pk}


def test_claim_access_loads_everything_the_reader_touches(
    django_assert_num_queries, claim, claim_2
):
    link = factories.make_link(claim_a=claim, claim_b=claim_2)
    with django_assert_num_queries(1):
        got = permissions.claim_access(None, str(claim.pk))
        assert got.article.story.slug == "meeting"
        touch_claim(got)
    with django_assert_num_queries(1):
        got_link = permissions.link_access(None, link.pk)
        assert got_link.claim_a.article.story.slug == "meeting"
        touch_link(got_link)
    for bad in (999_999, "abc", None, "", "-1", "99999999999999999999", "1\x00"):
        with pytest.raises(Http404):
            permissions.claim_access(None, bad)
        with pytest.raises(Http404):
            permissions.link_access(None, bad)


def test_claim_access_for_edit_is_403_for_others_and_404_when_hidden(claim, author, other_user):
    assert permissions.claim_access(author, claim.pk, for_="edit") == claim
    for someone in (other_user, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            permissions.claim_access(someone, claim.pk, for_="edit")
    with pytest.raises(Http404):
        permissions.claim_access(author, claim.pk + 1000, for_="edit")
    private = factories.make_claim(
        article=claim.article, author=other_user, text="Monday", visibility="private"
    )
    with pytest.raises(Http404):  # not 403: that would tell them it exists
        permissions.claim_access(author, private.pk, for_="edit")
    assert permissions.claim_access(other_user, private.pk, for_="edit") == private


def test_claim_access_locks_only_the_claim_row(claim, author):
    with transaction.atomic():
        locked = permissions.claim_access(author, claim.pk, lock=True, for_="edit")
        assert locked.pk == claim.pk


def test_a_team_viewer_sees_but_cannot_edit_their_own_team_work(article):
    author = factories.make_user(username="former-annotator")
    team = make_team(name="Desk", members={author: "annotator"})
    claim = factories.make_claim(
        article=article, author=author, text="Monday", visibility="team", team=team
    )
    assert permissions.can_edit(author, claim)
    team.memberships.filter(user=author).update(role="viewer")
    assert permissions.can_see(author, claim)
    assert not permissions.can_edit(author, claim)
    with pytest.raises(PermissionDenied, match="read its work"):
        permissions.claim_access(author, claim.pk, for_="edit")


# --- curating: a role in the story's desk, or staff -------------------------------------------


def test_curating_needs_the_curator_or_admin_role_in_the_story_desk(story):
    staff = factories.make_user(username="staff", is_staff=True)
    curator = factories.make_user(username="desk-curator")
    annotator = factories.make_user(username="desk-annotator")
    desk = make_team(name="Owning desk", members={curator: "curator", annotator: "annotator"})
    assert permissions.can_curate(staff, story)  # site-wide: staff only
    assert not permissions.can_curate(curator, story)
    story.desk = desk
    story.save()
    assert permissions.can_curate(curator, story)
    assert permissions.can_curate(staff, story)
    assert not permissions.can_curate(annotator, story)
    assert not permissions.can_curate(AnonymousUser(), story)
    inactive = factories.make_user(username="gone", is_staff=True, is_active=False)
    assert not permissions.can_curate(inactive, story)


def test_creating_a_team_gives_no_rights_over_other_desks_stories(story):
    """The escalation the audit found: creating a team made you curator of every story."""
    desk_admin = factories.make_user(username="desk-admin")
    story.desk = make_team(name="Owning desk", members={desk_admin: "admin"})
    story.save()
    climber = factories.make_user(username="climber")
    own = team_services.team_create(creator=climber, name="My own desk")
    assert own.memberships.get(user=climber).role == "admin"
    assert not permissions.can_curate(climber, story)
    assert permissions.curates_any(climber)  # of stories their team owns: none yet
    own_story = factories.make_story(slug="own-story", desk=own)
    assert permissions.can_curate(climber, own_story)
    with pytest.raises(PermissionDenied):
        permissions.story_access(climber, story.slug, for_="curate")
    assert permissions.story_access(climber, own_story.slug, for_="curate") == own_story


def test_curated_q_matches_can_curate(story):
    curator = factories.make_user(username="c")
    desk = make_team(name="Desk", members={curator: "curator"})
    mine = factories.make_story(slug="mine", desk=desk)
    others = factories.make_story(slug="others", desk=make_team(name="Other desk"))
    from articles.models import Story

    stories = [story, mine, others]
    for user in (curator, factories.make_user(username="s", is_staff=True), None):
        in_sql = set(Story.objects.filter(permissions.curated_q(user)).values_list("pk", flat=True))
        assert in_sql == {s.pk for s in stories if permissions.can_curate(user, s)}


def test_can_create_story():
    staff = factories.make_user(username="staff", is_staff=True)
    curator, annotator = factories.make_user(username="c"), factories.make_user(username="a")
    desk = make_team(name="Desk", members={curator: "curator", annotator: "annotator"})
    assert permissions.can_create_story(staff, None)
    assert permissions.can_create_story(staff, desk)
    assert permissions.can_create_story(curator, desk)
    assert not permissions.can_create_story(curator, None)
    assert not permissions.can_create_story(annotator, desk)
    assert not permissions.can_create_story(AnonymousUser(), desk)


# --- history: snapshots filtered for the viewer ---------------------------------------------------


def test_visible_snapshot_drops_links_the_viewer_may_not_see(article, article_2):
    author, linker, outsider = (factories.make_user(username=n) for n in ("a", "l", "o"))
    public = factories.make_claim(article=article, author=author, text="120 people")
    theirs = factories.make_claim(article=article_2, author=linker, text="fewer than 100")
    from annotations import services

    private_link, _ = services.link_create(
        author=linker, claim_a=public, claim_b=theirs, relation="contradicts",
        rationale="secret-rationale", visibility="private",
    )
    services.claim_delete(user=author, claim=public)
    event = Event.objects.get(object_type="claim", object_id=public.pk, verb="deleted")
    assert [link["id"] for link in event.before["links"]] == [private_link.pk]
    assert permissions.visible_snapshot(outsider, event.before)["links"] == []
    assert permissions.visible_snapshot(author, event.before)["links"] == []
    assert [link["id"] for link in permissions.visible_snapshot(linker, event.before)["links"]] == [
        private_link.pk
    ]
    assert permissions.visible_snapshot(outsider, None) is None


@pytest.mark.parametrize(
    ("visibility", "purpose"), list(itertools.product(["public"], ["see", "curate"]))
)
def test_event_access(story, article, visibility, purpose):
    author = factories.make_user(username="a")
    claim = factories.make_claim(article=article, author=author, text="Monday", visibility=visibility)
    event = Event.objects.get(object_type="claim", object_id=claim.pk)
    if purpose == "see":
        assert permissions.event_access(None, event.pk) == event
    else:
        with pytest.raises(PermissionDenied):
            permissions.event_access(author, event.pk, for_="curate")
        staff = factories.make_user(username="s", is_staff=True)
        assert permissions.event_access(staff, event.pk, for_="curate") == event
    with pytest.raises(Http404):
        permissions.event_access(None, "nope")
