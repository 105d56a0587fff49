"""The admin acts only through the curation services: reviews with reasons, merges and
verdicts."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from annotations.models import Claim, ClaimLink
from tests import factories
from curation.models import LinkReview, Verdict


@pytest.fixture
def admin_client(client, curator):
    curator.is_superuser = True
    curator.save()
    client.force_login(curator)
    return client


def _links(n=2):
    story, arts, claims, links = factories.make_story_with_annotations(
        articles=2, claims_per_article=2, links=n
    )
    return links


def test_admin_bulk_confirm_asks_for_a_reason_then_uses_the_service(admin_client):
    links = _links()
    url = reverse("admin:annotations_claimlink_changelist")
    data = {"action": "mark_confirmed", ACTION_CHECKBOX_NAME: [l.pk for l in links]}
    response = admin_client.post(url, data)
    assert response.status_code == 200 and "Reason" in response.content.decode()
    assert not LinkReview.objects.exists()
    response = admin_client.post(url, data | {"apply": "1", "reason": "Checked both"})
    assert response.status_code == 302
    assert set(ClaimLink.objects.values_list("status", flat=True)) == {"confirmed"}
    assert LinkReview.objects.filter(reason="Checked both").count() == 2


def test_admin_reject_without_reason_changes_nothing(admin_client):
    links = _links(1)
    url = reverse("admin:annotations_claimlink_changelist")
    data = {"action": "mark_rejected", ACTION_CHECKBOX_NAME: [links[0].pk], "apply": "1"}
    response = admin_client.post(url, data)
    assert response.status_code == 200 and "Say why" in response.content.decode()
    assert ClaimLink.objects.get().status == "proposed"


def test_admin_merge_duplicates_and_refuse_other_stories(admin_client, article):
    a = factories.make_claim(article=article, text="120 people attended")
    b = factories.make_claim(article=article, text="120 people")
    url = reverse("admin:annotations_claim_changelist")
    response = admin_client.post(
        url, {"action": "merge_duplicates", ACTION_CHECKBOX_NAME: [a.pk, b.pk]}, follow=True
    )
    assert "Merged 1 claim" in response.content.decode()
    assert list(Claim.objects.values_list("pk", flat=True)) == [a.pk]
    foreign = factories.make_claim(text="120 people")
    response = admin_client.post(
        url, {"action": "merge_duplicates", ACTION_CHECKBOX_NAME: [a.pk, foreign.pk]}, follow=True
    )
    assert "different stories" in response.content.decode()
    assert Claim.objects.count() == 2


def test_admin_verdict_on_a_non_contradiction_is_a_form_error(admin_client, article, article_2):
    a = factories.make_claim(article=article, text="120 people")
    b = factories.make_claim(article=article_2, text="fewer than 100")
    link = factories.make_link(claim_a=a, claim_b=b, relation="agrees")
    url = reverse("admin:curation_verdict_add")
    data = {"link": link.pk, "rated_claim": a.pk, "rating": "supported", "evidence": "x", "url": ""}
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Verdicts settle contradictions" in response.content.decode()
    assert not Verdict.objects.exists()
    contra = factories.make_link(claim_a=a, claim_b=b, relation="contradicts")
    response = admin_client.post(url, data | {"link": contra.pk})
    assert response.status_code == 302
    assert Verdict.objects.get().link == contra


def test_admin_pages_render_with_history(admin_client, article):
    claim = factories.make_claim(article=article, text="120 people")
    for name, args in [
        ("admin:annotations_claim_changelist", []),
        ("admin:annotations_claim_change", [claim.pk]),
        ("admin:annotations_claimlink_changelist", []),
        ("admin:curation_canonicalclaim_changelist", []),
        ("admin:curation_verdict_changelist", []),
    ]:
        response = admin_client.get(reverse(name, args=args))
        assert response.status_code == 200, name
    html = admin_client.get(reverse("admin:annotations_claim_change", args=[claim.pk])).content
    assert b"Recorded history" in html and b"created" in html


def test_admin_is_closed_to_non_staff(client, annotator):
    client.force_login(annotator)
    response = client.get(reverse("admin:annotations_claimlink_changelist"))
    assert response.status_code == 302 and "login" in response["Location"]
