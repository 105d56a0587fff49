"""The article admin: saving goes through ``article_edit`` (normalised, hashed, claims follow and
history records it), and the form asks before an edit orphans claims."""

from __future__ import annotations

import unicodedata

import pytest
from django.urls import reverse

from activity.models import Event
from annotations.models import Claim
from tests import factories
from articles.models import Article
from textkernel.text import body_hash

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]

BODY = (
    "Officials said 120 people attended the meeting on Monday.\n"
    "\n"
    "The mayor disputed the figure, saying fewer than 100 came.\n"
    "Organisers expect a second meeting next month.\n"
)


@pytest.fixture
def article(db):
    return factories.make_article(body=BODY)


def _form_data(article: Article, **changes) -> dict:
    data = {
        "source": article.source_id or "",
        "position": article.position,
        "title": article.title,
        "author": article.author,
        "published_on": "",
        "language": article.language,
        "translated_from": article.translated_from,
        "translated_from_url": article.translated_from_url,
        "body": article.body,
    }
    return data | changes


def _change_url(article: Article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


def test_change_form_save_normalises_and_rehashes(admin_client, article):
    old_hash = article.body_hash
    assert admin_client.get(_change_url(article)).status_code == 200
    nfd = unicodedata.normalize("NFD", "Chi phí đào tạo")
    response = admin_client.post(
        _change_url(article), _form_data(article, body=f"{nfd}\r\nDòng hai  \r\n\r\n")
    )
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else ""
    )
    article.refresh_from_db()
    assert article.body == "Chi phí đào tạo\nDòng hai\n"
    assert article.body_hash == body_hash(article.body) != old_hash


def test_add_form_creates_a_hashed_article(admin_client):
    story = factories.make_story()
    data = _form_data(Article(language="vi", position=0, title="Mới"), body="Dòng một\r\nDòng hai")
    response = admin_client.post(reverse("admin:articles_article_add"), data | {"story": story.pk})
    assert response.status_code == 302
    article = Article.objects.get(story=story)
    assert article.body == "Dòng một\nDòng hai\n"
    assert article.body_hash == body_hash(article.body)


@pytest.mark.parametrize("body", ["   ", "\x01\x02"])
def test_change_form_rejects_a_blank_body(admin_client, article, body):
    response = admin_client.post(_change_url(article), _form_data(article, body=body))
    assert response.status_code == 200  # the form comes back with an error, no 500
    assert response.context["adminform"].form.errors
    article.refresh_from_db()
    assert article.body == BODY


def test_the_story_of_an_article_cannot_be_changed(admin_client, article):
    other = factories.make_story()
    data = _form_data(article, title="Renamed") | {"story": other.pk}
    story_id = article.story_id
    assert admin_client.post(_change_url(article), data).status_code == 302
    article.refresh_from_db()
    assert (article.story_id, article.title) == (story_id, "Renamed")


def test_an_edit_that_would_orphan_claims_asks_first(admin_client, article):
    claim = factories.make_claim(article=article, text="The mayor disputed the figure")
    new_body = article.body.replace("The mayor disputed the figure, ", "")
    response = admin_client.post(_change_url(article), _form_data(article, body=new_body))
    assert response.status_code == 200
    assert "would orphan 1 claim" in response.content.decode()
    assert "“The mayor disputed the figure”" in response.content.decode()
    article.refresh_from_db()
    assert article.body == BODY
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.ACTIVE
    assert not Event.objects.filter(verb="orphaned").exists()

    response = admin_client.post(
        _change_url(article), _form_data(article, body=new_body, orphan_ok="on"), follow=True
    )
    assert "0 followed their words, 1 orphaned" in response.content.decode()
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.ORPHANED
    event = Event.objects.get(verb="orphaned")
    assert (event.object_id, event.actor.username) == (claim.pk, response.context["user"].username)


def test_an_already_orphaned_claim_is_not_counted_again(admin_client, article):
    claim = factories.make_claim(article=article, text="The mayor disputed the figure")
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.ORPHANED)
    new_body = article.body.replace("next month", "in June")
    response = admin_client.post(_change_url(article), _form_data(article, body=new_body))
    assert response.status_code == 302


def test_an_edit_that_keeps_every_claim_saves_directly(admin_client, article):
    claim = factories.make_claim(article=article, text="fewer than 100")
    response = admin_client.post(
        _change_url(article), _form_data(article, body="Advert.\n\n" + article.body)
    )
    assert response.status_code == 302
    moved = Claim.objects.get(pk=claim.pk)
    article.refresh_from_db()
    assert article.body[moved.start : moved.end] == "fewer than 100"
    assert Event.objects.filter(object_id=claim.pk).latest("id").verb == "reanchored"
