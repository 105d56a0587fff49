"""A private claim (and a team claim) never reaches anyone who may not see it, by any route:
user by user (author, team viewer, outsider, anonymous) over every path that shows claims."""

from __future__ import annotations

import pytest
from django.test import Client

from activity.models import Event
from reader.live import _backlog, subscriber
from annotations import selectors
from tests import factories
from tests.factories import make_team

pytestmark = pytest.mark.django_db

PRIVATE_TEXT, TEAM_TEXT, PUBLIC_TEXT = "120 people", "fewer than 100", "second meeting"


@pytest.fixture
def world(story, article, article_2):
    author = factories.make_user(username="tac-gia")
    teammate = factories.make_user(username="dong-doi")
    outsider = factories.make_user(username="nguoi-ngoai")
    team = make_team(name="Bàn tin", members={author: "annotator", teammate: "viewer"})
    private = factories.make_claim(article=article, author=author, text=PRIVATE_TEXT,
                                     visibility="private", note="secret-private-note")
    team_claim = factories.make_claim(article=article_2, author=author, text=TEAM_TEXT,
                                        visibility="team", team=team, note="secret-team-note")
    public = factories.make_claim(article=article_2, author=author, text=PUBLIC_TEXT)
    public_a = factories.make_claim(article=article, author=author, text="Monday")
    private_link = factories.make_link(claim_a=private, claim_b=public)
    team_link = factories.make_link(claim_a=public_a, claim_b=team_claim)
    public_link = factories.make_link(claim_a=public_a, claim_b=public, relation="agrees")
    return {
        "story": story,
        "users": {"author": author, "teammate": teammate, "outsider": outsider, "anon": None},
        "claims": {"private": private, "team": team_claim, "public": public},
        "links": {"private": private_link, "team": team_link, "public": public_link},
    }


#: Which of the claims (and links) each user may see.
EXPECTED = {
    "author": {"private", "team", "public"},
    "teammate": {"team", "public"},
    "outsider": {"public"},
    "anon": {"public"},
}
USERS = list(EXPECTED)


def sub_may_see(event, user) -> bool:
    return event.visibility == "public" or (user is not None and event.owner_id == user.pk)


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _marks(html: str, world) -> set[str]:
    return {
        name for name, claim in world["claims"].items() if f'id="claim-{claim.pk}"' in html
    }


@pytest.mark.parametrize("who", USERS)
def test_reader_page_and_fragment(world, who):
    client = _client(world["users"][who])
    url = world["story"].get_absolute_url()
    for response in (client.get(url), client.get(url, HTTP_HX_REQUEST="true")):
        assert response.status_code == 200
        html = response.content.decode()
        assert _marks(html, world) == EXPECTED[who]
        for secret, name in (("secret-private-note", "private"), ("secret-team-note", "team")):
            if name not in EXPECTED[who]:
                assert secret not in html


@pytest.mark.parametrize("who", USERS)
def test_selecting_a_claim_by_url_and_the_connections_panel(world, who):
    client = _client(world["users"][who])
    url = world["story"].get_absolute_url()
    for name, claim in world["claims"].items():
        html = client.get(url, {"claim": claim.pk}, HTTP_HX_REQUEST="true").content.decode()
        shown = f'data-selected-claim="{claim.pk}"' in html
        assert shown == (name in EXPECTED[who]), (who, name)
    html = client.get(url, {"panel": "connections"}, HTTP_HX_REQUEST="true").content.decode()
    for name, link in world["links"].items():
        # A link's panel entry carries both quotes; a hidden claim's quote must not appear.
        quote = {"private": PRIVATE_TEXT, "team": TEAM_TEXT, "public": "Monday"}[name]
        if name != "public":
            assert (quote in _panel(html)) == (name in EXPECTED[who]), (who, name)


def _panel(html: str) -> str:
    start = html.find('class="side-panel')
    return html[start:] if start >= 0 else html


@pytest.mark.parametrize("who", USERS)
def test_export_selectors(world, who):
    user = world["users"][who]
    claims = set(selectors.claims_visible_to(user=user).values_list("pk", flat=True))
    links = set(selectors.links_visible_to(user=user).values_list("pk", flat=True))
    assert claims == {world["claims"][n].pk for n in EXPECTED[who]} | {
        c.pk for c in selectors.claims_visible_to(user=None) if c.exact == "Monday"
    }
    assert links == {world["links"][n].pk for n in EXPECTED[who]}


@pytest.mark.parametrize("who", USERS)
def test_claim_and_link_urls_404_for_hidden_objects(world, who):
    client = _client(world["users"][who])
    for name, claim in world["claims"].items():
        response = client.post(f"/claims/{claim.pk}/edit/", {"note": "x", "version": claim.version})
        if name not in EXPECTED[who]:
            assert response.status_code in (302, 404), (who, name)  # anonymous: to login
            assert response.status_code != 302 or world["users"][who] is None
    for name, link in world["links"].items():
        response = client.post(f"/links/{link.pk}/delete/")
        if name not in EXPECTED[who]:
            assert response.status_code in (302, 404), (who, name)
    if who != "author":
        for name, claim in world["claims"].items():
            claim.refresh_from_db()
            assert claim.note != "x", (who, name)
        assert all(type(link).objects.filter(pk=link.pk).exists() for link in world["links"].values())


@pytest.mark.parametrize("who", USERS)
def test_search_shows_no_hidden_claim_text(world, who):
    html = _client(world["users"][who]).get("/search/", {"q": "meeting"}).content.decode()
    assert "secret-private-note" not in html and "secret-team-note" not in html


@pytest.mark.parametrize("who", USERS)
def test_activity_feed(world, who):
    html = _client(world["users"][who]).get(
        f"/stories/{world['story'].slug}/activity/"
    ).content.decode()
    for name, text in (("private", PRIVATE_TEXT), ("team", TEAM_TEXT), ("public", PUBLIC_TEXT)):
        assert (text in html) == (name in EXPECTED[who]), (who, name)


@pytest.mark.parametrize("who", USERS)
def test_live_backlog_and_fan_out(world, who):
    user = world["users"][who]
    story = world["story"]
    # A resume after event 1 of the world: everything since, as the stream would send it.
    first = Event.objects.filter(story=story).order_by("id").first()
    ids = {m["id"] for m in _backlog(user=user, story=story, last_id=first.pk, since=None)}
    ids |= {first.pk} if sub_may_see(first, user) else set()
    expected_objects = {
        ("claim", world["claims"][n].pk) for n in EXPECTED[who]
    } | {("link", world["links"][n].pk) for n in EXPECTED[who]}
    seen_objects = {(e.object_type, e.object_id) for e in Event.objects.filter(pk__in=ids)}
    assert expected_objects <= seen_objects
    hidden = {("claim", world["claims"][n].pk) for n in {"private", "team", "public"} - EXPECTED[who]}
    hidden |= {("link", world["links"][n].pk) for n in {"private", "team", "public"} - EXPECTED[who]}
    assert not hidden & seen_objects
    # The in-memory check the listener applies to each notified event agrees with the database.
    sub = subscriber(
        story_id=story.pk,
        user_id=user.pk if user else None,
        team_ids=frozenset(user.memberships.values_list("team_id", flat=True)) if user else frozenset(),
    )
    for event in Event.objects.filter(story=story):
        row = {"visibility": event.visibility, "owner_id": event.owner_id, "team_id": event.team_id}
        assert sub.may_see(row) == (event.pk in ids), (who, event)
