"""Concurrent team work against real Postgres, with real threads: no silent overwrite, one link
per pair, and a clear message when linking a claim someone just deleted."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from activity.models import Event
from annotations import services
from annotations.models import Claim, ClaimLink
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _race(*jobs):
    """Run ``jobs`` in threads released together; return their results or exceptions."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait()
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_saves_of_one_note_give_one_conflict_with_the_current_text():
    claim = factories.make_claim(text="120 people")
    author = claim.author

    def save(note):
        return lambda: services.claim_update(
            user=author, claim=Claim.objects.get(pk=claim.pk), note=note, expected_version=1
        )

    results = _race(save("first version"), save("second version"))
    conflicts = [r for r in results if isinstance(r, ValidationError)]
    saved = [r for r in results if isinstance(r, Claim)]
    assert len(conflicts) == 1 and len(saved) == 1
    claim.refresh_from_db()
    assert claim.version == 2 and claim.note == saved[0].note
    assert conflicts[0].error_list[0].code == "conflict"
    assert claim.note in conflicts[0].messages[0]  # shows the text that won
    assert Event.objects.filter(object_id=claim.pk, verb="updated").count() == 1


def test_conflict_over_http_is_409_with_the_current_text():
    claim = factories.make_claim(text="120 people")
    client = Client()
    client.force_login(claim.author)
    url = f"/claims/{claim.pk}/edit/"
    assert client.post(url, {"note": "mine first", "version": 1}, HTTP_HX_REQUEST="true").status_code == 200
    # The edit form sits in the claim's panel: the page it was sent from has ?claim=<pk>.
    current = f"http://testserver{claim.article.story.get_absolute_url()}?claim={claim.pk}"
    response = client.post(
        url, {"note": "stale edit", "version": 1}, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=current
    )
    assert response.status_code == 409
    assert "mine first" in response.content.decode()
    claim.refresh_from_db()
    assert claim.note == "mine first"


def test_two_people_linking_the_same_pair_at_once_make_one_link():
    story = factories.make_story()
    a = factories.make_claim(article=factories.make_article(story=story), text="120 people")
    b = factories.make_claim(article=factories.make_article(story=story), text="fewer than 100")
    users = [factories.make_user(), factories.make_user()]

    def link(user):
        return lambda: services.link_create(author=user, claim_a=a, claim_b=b, relation="contradicts")

    for _round in range(3):
        ClaimLink.objects.all().delete()
        results = _race(link(users[0]), link(users[1]))
        assert not any(isinstance(r, Exception) for r in results), results
        assert ClaimLink.objects.filter(relation="contradicts").count() == 1
        assert sorted(created for _link, created in results) == [False, True]
        assert len({lk.pk for lk, _created in results}) == 1


def test_linking_a_claim_that_was_just_deleted_says_so():
    story = factories.make_story()
    a = factories.make_claim(article=factories.make_article(story=story), text="120 people")
    b = factories.make_claim(article=factories.make_article(story=story), text="fewer than 100")
    linker = factories.make_user()
    stale_b = Claim.objects.select_related("article").get(pk=b.pk)  # loaded before the delete
    services.claim_delete(user=b.author, claim=b)
    with pytest.raises(ValidationError) as caught:
        services.link_create(author=linker, claim_a=a, claim_b=stale_b, relation="agrees")
    assert caught.value.error_list[0].code == "gone"
    assert not ClaimLink.objects.exists()
    # Over HTTP: a clear 409 message, nothing written.
    client = Client()
    client.force_login(linker)
    response = client.post(
        "/links/", {"claim": a.pk, "other": b.pk, "relation": "agrees"}, HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    assert "deleted" in response.content.decode()
    assert not ClaimLink.objects.exists()


def test_delete_racing_a_link_leaves_no_link_to_a_missing_claim():
    story = factories.make_story()
    a = factories.make_claim(article=factories.make_article(story=story), text="120 people")
    b = factories.make_claim(article=factories.make_article(story=story), text="fewer than 100")
    linker = factories.make_user()
    results = _race(
        lambda: services.claim_delete(user=b.author, claim=Claim.objects.get(pk=b.pk)),
        lambda: services.link_create(author=linker, claim_a=a, claim_b=b, relation="agrees"),
    )
    assert all(r is None or not isinstance(r, Exception) or isinstance(r, ValidationError) for r in results), results
    assert not Claim.objects.filter(pk=b.pk).exists()
    assert not ClaimLink.objects.exists()
