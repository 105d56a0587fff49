"""A link someone may not follow gets a real page (issue 12, item 1): a styled 403 that says why,
or a 404 that does not reveal the object exists, each with the site's navigation. Never a bare
"403 Forbidden"."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests import factories
from tests.factories import make_team

pytestmark = pytest.mark.django_db


def _site_page(response) -> str:
    """The response's HTML, checked to be the site's page: its header, search and navigation."""
    html = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert '<header class="site-header">' in html
    assert 'class="site-nav"' in html and 'role="search"' in html
    assert f'href="{reverse("articles:home")}"' in html
    assert "403 Forbidden" not in html
    return html


def _without_tokens(response) -> str:
    """The page without what differs between any two responses: CSRF tokens, and its own path
    (the language switch comes back to it)."""
    html = response.content.decode().replace(response.wsgi_request.path, "PATH")
    return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1", html)


def test_a_page_someone_may_not_use_is_the_styled_403_with_the_reason(client):
    desk_curator = factories.make_user(username="desk-curator")
    story = factories.make_story(slug="desk-story")
    story.desk = make_team(name="Owning desk", members={desk_curator: "curator"})
    story.save()
    client.force_login(factories.make_user(username="outsider"))

    response = client.get(reverse("curation:orphans", kwargs={"slug": story.slug}))

    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]
    html = _site_page(response)
    assert "You cannot do this here" in html
    assert "Only the curators of this story&#x27;s desk can do this." in html  # the reason
    assert ">outsider<" in html  # the header knows who is signed in


def test_a_hidden_object_is_the_same_404_as_a_missing_one(client):
    """Someone else's private claim answers exactly like an id that was never used."""
    owner = factories.make_user(username="owner")
    article = factories.make_article(story=factories.make_story(slug="s"), body="A private note here.")
    hidden = factories.make_claim(article=article, author=owner, text="private note",
                                  visibility="private")
    client.force_login(factories.make_user(username="outsider"))

    def history(pk: int):
        return client.get(
            reverse("curation:object_history", kwargs={"object_type": "claim", "object_id": pk})
        )

    of_hidden, of_missing = history(hidden.pk), history(hidden.pk + 1000)

    assert of_hidden.status_code == of_missing.status_code == 404
    assert "404.html" in [t.name for t in of_hidden.templates]
    html = _site_page(of_hidden)
    assert "We could not find that page" in html and "private note" not in html
    _site_page(of_missing)
    assert _without_tokens(of_hidden) == _without_tokens(of_missing)
    client.force_login(owner)  # the same URL works for the one who may see it
    assert history(hidden.pk).status_code == 200
