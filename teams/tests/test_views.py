"""Team pages and member management; the reader's layers and new-claim visibility."""

from __future__ import annotations

import pytest
from django.test import Client

from activity.models import Event
from annotations.models import Claim
from tests import factories
from teams.models import Membership, Team
from tests.factories import make_team

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_user():
    return factories.make_user(username="quan-tri")


@pytest.fixture
def team(admin_user):
    return make_team(name="Bàn tin", slug="ban-tin", members={admin_user: "admin"})


def test_create_team_makes_the_creator_admin(admin_user):
    response = _client(admin_user).post("/teams/new/", {"name": "  Fact   desk "})
    team = Team.objects.get(name="Fact desk")
    assert response.status_code == 302 and response["Location"] == team.get_absolute_url()
    assert Membership.objects.get(team=team).role == "admin"


def test_create_team_with_bad_name_changes_nothing(admin_user, team):
    client = _client(admin_user)
    assert client.post("/teams/new/", {"name": "   "}).status_code == 422
    response = client.post("/teams/new/", {"name": "bàn TIN"})
    assert response.status_code == 422 and "exists already" in response.content.decode()
    assert Team.objects.count() == 1


def test_team_list_and_detail_query_counts(admin_user, django_assert_num_queries):
    client = _client(admin_user)
    for n in range(3):
        make_team(members={admin_user: "admin", factories.make_user(): "viewer"})
    with django_assert_num_queries(3):  # session, user, teams with counts and roles
        small = client.get("/teams/")
    for n in range(27):
        make_team(members={admin_user: "viewer"})
    with django_assert_num_queries(3):
        big = client.get("/teams/")
    assert small.content.decode().count('href="/teams/team-') == 3
    assert big.content.decode().count('href="/teams/team-') == 30


def test_team_list_counts_every_member_and_names_the_role_in_the_reader_language(admin_user):
    """The count was taken after filtering to the current user ("1 member" for three), and
    the role showed as its raw value, untranslated."""
    make_team(name="Demo desk", members={
        admin_user: "curator", factories.make_user(): "annotator", factories.make_user(): "viewer",
    })
    client = _client(admin_user)
    html = client.get("/teams/").content.decode()
    assert "3 members" in html and "1 member," not in html
    assert "your role: Curator" in html
    html = client.get("/teams/", headers={"accept-language": "vi"}).content.decode()
    assert "vai trò của bạn: Người biên tập" in html


def test_team_detail_members_and_recent_work(admin_user, team, article, django_assert_num_queries):
    members = [factories.make_user() for _ in range(3)]
    for m in members:
        Membership.objects.create(team=team, user=m, role="annotator")
    for i, text in enumerate(["120 people", "Monday", "meeting"]):
        factories.make_claim(article=article, author=members[i], text=text, visibility="team",
                               team=team)
    client = _client(admin_user)
    with django_assert_num_queries(5):  # session, user, team, members, events
        html = client.get(f"/teams/{team.slug}/").content.decode()
    assert all(f'data-member="{m.username}"' in html for m in members)
    assert "120 people" in html and "Monday" in html
    for _ in range(27):
        Membership.objects.create(team=team, user=factories.make_user(), role="viewer")
    with django_assert_num_queries(5):
        client.get(f"/teams/{team.slug}/")


def test_team_page_is_404_for_non_members_and_anonymous(team, other_user):
    assert _client(other_user).get(f"/teams/{team.slug}/").status_code == 404
    assert Client().get(f"/teams/{team.slug}/").status_code == 302  # to the login page


def test_admin_adds_changes_and_removes_members(admin_user, team, other_user):
    client = _client(admin_user)
    url = f"/teams/{team.slug}/members/"
    response = client.post(url, {"username": other_user.username, "role": "viewer"},
                           HTTP_HX_REQUEST="true", HTTP_HX_TARGET="members")
    assert response.status_code == 200 and 'id="members"' in response.content.decode()
    assert Membership.objects.get(team=team, user=other_user).role == "viewer"
    client.post(url, {"username": other_user.username, "role": "curator"})
    assert Membership.objects.get(team=team, user=other_user).role == "curator"
    response = client.post(f"/teams/{team.slug}/members/{other_user.pk}/remove/")
    assert response.status_code == 302
    assert not Membership.objects.filter(team=team, user=other_user).exists()


def test_member_management_refuses_bad_input_and_non_admins(admin_user, team, other_user):
    Membership.objects.create(team=team, user=other_user, role="annotator")
    before = sorted(Membership.objects.values_list("user_id", "role"))
    admin = _client(admin_user)
    url = f"/teams/{team.slug}/members/"
    assert admin.post(url, {"username": "nobody-here", "role": "viewer"}).status_code == 422
    assert admin.post(url, {"username": other_user.username, "role": "owner"}).status_code == 422
    # The last admin cannot step down or be removed.
    assert admin.post(url, {"username": admin_user.username, "role": "viewer"}).status_code == 422
    member = _client(other_user)
    assert member.post(url, {"username": other_user.username, "role": "admin"}).status_code == 403
    assert member.post(f"/teams/{team.slug}/members/{admin_user.pk}/remove/").status_code == 403
    assert sorted(Membership.objects.values_list("user_id", "role")) == before


def test_reader_layers_toggle_what_is_shown(admin_user, team, article):
    mine = factories.make_claim(article=article, author=admin_user, text="120 people",
                                  visibility="private")
    teammate = factories.make_user()
    Membership.objects.create(team=team, user=teammate, role="annotator")
    team_claim = factories.make_claim(article=article, author=teammate, text="Monday",
                                        visibility="team", team=team)
    public = factories.make_claim(article=article, text="meeting")
    client = _client(admin_user)
    url = article.story.get_absolute_url()

    def shown(layers=None):
        params = {} if layers is None else {"layers": layers}
        html = client.get(url, params).content.decode()
        return {c.pk for c in (mine, team_claim, public) if f'id="claim-{c.pk}"' in html}

    assert shown() == {mine.pk, team_claim.pk, public.pk}
    assert shown("mine") == {mine.pk}
    assert shown(f"team:{team.pk}") == {team_claim.pk}
    assert shown("public") == {public.pk}
    assert shown("none") == set()
    # A forged team layer shows nothing the user may not see.
    other_team = make_team(members={factories.make_user(): "admin"})
    factories.make_claim(article=article, author=other_team.memberships.get().user,
                           text="second", visibility="team", team=other_team)
    assert shown(f"team:{other_team.pk}") == set()
    html = client.get(url).content.decode()
    assert 'data-layer="mine"' in html and f'data-layer="team:{team.pk}"' in html


def test_new_claim_visibility_choice_applies_and_is_checked(admin_user, team, article, other_user):
    client = _client(admin_user)
    assert client.post("/reader/visibility/", {"as": f"team:{team.pk}"},
                       HTTP_HX_REQUEST="true").status_code == 204
    start = article.body.index("120 people")
    response = client.post(
        f"/articles/{article.pk}/claims/",
        {"start": start, "end": start + 10, "exact": "120 people"},
    )
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert (claim.visibility, claim.team_id) == ("team", team.pk)
    assert Event.objects.get().team_id == team.pk
    # A team the user is not in, or only views: refused.
    foreign = make_team(members={other_user: "admin"})
    Membership.objects.create(team=foreign, user=admin_user, role="viewer")
    assert client.post("/reader/visibility/", {"as": f"team:{foreign.pk}"}).status_code == 403
    assert client.post("/reader/visibility/", {"as": "everyone"}).status_code == 403


def test_viewer_posting_a_team_claim_gets_403_and_nothing_is_written(team, article, other_user):
    Membership.objects.create(team=team, user=other_user, role="viewer")
    start = article.body.index("Monday")
    response = _client(other_user).post(
        f"/articles/{article.pk}/claims/",
        {"start": start, "end": start + 6, "exact": "Monday", "visibility": "team", "team": team.pk},
    )
    assert response.status_code == 403
    assert not Claim.objects.exists() and not Event.objects.exists()


def test_forged_team_id_on_a_claim_is_refused(team, article, other_user):
    start = article.body.index("Monday")
    client = _client(other_user)
    for team_id, status in ((team.pk, 403), (987654, 422), ("abc", 422)):
        response = client.post(
            f"/articles/{article.pk}/claims/",
            {"start": start, "end": start + 6, "exact": "Monday", "visibility": "team",
             "team": team_id},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == status, team_id
    assert not Claim.objects.exists()
