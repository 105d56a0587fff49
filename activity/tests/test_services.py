"""The event log: every annotation write appends one event in its transaction, with the
visibility of its object, and notifies listeners only on commit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from activity.models import Event
from annotations.permissions import visible_events
from curation.selectors import object_history
from annotations import services
from annotations.models import Claim, ClaimLink
from tests import factories
from tests.factories import make_team

pytestmark = pytest.mark.django_db


def test_claim_create_update_delete_record_events(claim, claim_2, author):
    link = factories.make_link(claim_a=claim, claim_b=claim_2)
    services.claim_update(user=author, claim=claim, note="checked", expected_version=1)
    services.claim_delete(user=author, claim=claim)
    events = list(Event.objects.order_by("id"))
    assert [(e.object_type, e.verb) for e in events] == [
        ("claim", "created"),
        ("claim", "created"),
        ("link", "created"),
        ("claim", "updated"),
        ("claim", "deleted"),
    ]
    updated, deleted = events[3], events[4]
    assert (updated.before["note"], updated.after["note"]) == ("", "checked")
    assert updated.after["version"] == 2
    assert deleted.after is None
    assert deleted.before["exact"] == "120 people"
    # The links that went with the claim are kept so it can be restored whole.
    assert [row["id"] for row in deleted.before["links"]] == [link.pk]
    assert all(e.story_id == claim.article.story_id and e.actor_id == author.pk for e in events)


def test_link_update_and_delete_record_events(claim, claim_2, author):
    link = factories.make_link(claim_a=claim, claim_b=claim_2)
    services.link_update(user=author, link=link, relation="agrees")
    services.link_delete(user=author, link=link)
    rows = list(object_history(user=author, object_type="link", object_id=link.pk))
    assert [e.verb for e in rows] == ["deleted", "updated", "created"]  # newest first
    assert (rows[1].before_shown["relation"], rows[1].after_shown["relation"]) == (
        "contradicts", "agrees",
    )


def test_event_copies_visibility_and_is_filtered(article, author, other_user):
    member = factories.make_user()
    team = make_team(members={author: "annotator", member: "viewer"})
    private = factories.make_claim(article=article, author=author, text="120 people",
                                     visibility="private")
    team_claim = factories.make_claim(article=article, author=author, text="Monday",
                                        visibility="team", team=team)
    public = factories.make_claim(article=article, author=author, text="meeting")
    by_object = {e.object_id: e for e in Event.objects.all()}
    assert by_object[private.pk].visibility == "private"
    assert by_object[private.pk].owner_id == author.pk
    assert (by_object[team_claim.pk].visibility, by_object[team_claim.pk].team_id) == ("team", team.pk)

    def seen(user):
        return {e.object_id for e in visible_events(user).filter(story=article.story)}

    assert seen(author) == {private.pk, team_claim.pk, public.pk}
    assert seen(member) == {team_claim.pk, public.pk}
    assert seen(other_user) == {public.pk}
    assert seen(None) == {public.pk}


def test_failed_write_records_no_event(article, author):
    with pytest.raises(ValidationError):
        services.claim_create(author=author, article=article, start=0, end=5, exact="wrong")
    assert not Event.objects.exists()


def test_viewer_cannot_annotate_for_team_and_nothing_is_written(article, author):
    team = make_team(members={author: "viewer"})
    with pytest.raises(PermissionDenied):
        factories.make_claim(article=article, author=author, visibility="team", team=team)
    assert not Claim.objects.exists() and not Event.objects.exists()


def test_forged_team_and_bad_visibility_are_refused(article, author, other_user):
    foreign = make_team(members={other_user: "admin"})
    with pytest.raises(PermissionDenied):
        factories.make_claim(article=article, author=author, visibility="team", team=foreign)
    with pytest.raises(ValidationError):
        factories.make_claim(article=article, author=author, visibility="team", team=999999)
    with pytest.raises(ValidationError):
        factories.make_claim(article=article, author=author, visibility="team")
    with pytest.raises(ValidationError):
        factories.make_claim(article=article, author=author, visibility="everyone")
    with pytest.raises(ValidationError):
        factories.make_claim(article=article, author=author, visibility="public", team=foreign)
    assert not Claim.objects.exists() and not Event.objects.exists()


def test_link_visibility_never_wider_than_its_claims(article, article_2, author):
    team = make_team(members={author: "annotator"})
    private = factories.make_claim(article=article, author=author, text="120 people",
                                     visibility="private")
    team_claim = factories.make_claim(article=article_2, author=author, text="fewer than 100",
                                        visibility="team", team=team)
    public = factories.make_claim(article=article_2, author=author, text="Organisers")
    link = factories.make_link(claim_a=private, claim_b=public)
    assert link.visibility == "private"
    link = factories.make_link(claim_a=factories.make_claim(article=article, author=author,
                                                                text="Monday"),
                                 claim_b=team_claim)
    assert (link.visibility, link.team_id) == ("team", team.pk)
    with pytest.raises(ValidationError):
        services.link_create(author=author, claim_a=private, claim_b=team_claim,
                             relation="agrees", visibility="public")
    assert ClaimLink.objects.count() == 2
