"""Curation pages: permissions (403 for non-curators), htmx fragments, PRG fallbacks and pinned
query counts (3 vs 30 rows: an N+1 would show)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from annotations import services as annotation_services
from annotations.models import Claim, ClaimLink
from tests import factories
from curation import services
from curation.models import CanonicalClaim, LinkReview, Verdict

HX = {"HTTP_HX_REQUEST": "true"}


def _story_with(n_claims: int, *, links: int = 0):
    story, arts, claims, made = factories.make_story_with_annotations(
        articles=3, claims_per_article=n_claims, links=links
    )
    return story, arts, claims, made


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


@pytest.mark.parametrize("n", [1, 10])
def test_matrix_query_count_does_not_grow_with_claims(client, curator, n, django_assert_num_queries):
    story, arts, claims, links = _story_with(n, links=n)
    services.canonical_create(
        user=curator, story=story, statement="Gathered", claims=[claims[0], claims[n]]
    )
    client.force_login(curator)
    url = reverse("curation:matrix", kwargs={"slug": story.slug})
    # session + user, story, articles, canonical claims, claims, contradictions
    with django_assert_num_queries(7):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="m-row') == 1 + (3 * n - 2)
    assert f"?claim={claims[0].pk}#claim-{claims[0].pk}" in html


def test_matrix_marks_conflicting_rows_and_shows_silence(client, curator, story, article, article_2):
    a = factories.make_claim(article=article, text="120 people")
    b = factories.make_claim(article=article_2, text="fewer than 100")
    third = factories.make_article(story=story, position=2)
    canonical = services.canonical_create(
        user=curator, story=story, statement="How many came", claims=[a]
    )
    services.canonical_add_claims(user=curator, canonical=canonical, claims=[b], stance="contradicts")
    html = client.get(reverse("curation:matrix", kwargs={"slug": story.slug}), **HX).content.decode()
    assert 'id="matrix"' in html and "<html" not in html  # the fragment only
    assert "is-conflict" in html
    assert "stance-silent" in html and third.source.name in html


def test_matrix_csv_export(client, curator, story, article, article_2):
    a = factories.make_claim(article=article, text="120 people")
    b = factories.make_claim(article=article_2, text="fewer than 100")
    services.canonical_create(user=curator, story=story, statement="Count", claims=[a, b])
    response = client.get(reverse("curation:matrix_csv", kwargs={"slug": story.slug}))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][2] == "Count"
    assert rows[1][4:6] == ["asserts", "120 people"]
    assert rows[1][7:9] == ["asserts", "fewer than 100"]


def test_gather_claims_from_the_matrix(curator_client, story, article, article_2):
    a = factories.make_claim(article=article, text="120 people")
    b = factories.make_claim(article=article_2, text="fewer than 100")
    url = reverse("curation:canonical_create", kwargs={"slug": story.slug})
    response = curator_client.post(url, {"claims": [a.pk, b.pk], "statement": "Turnout"}, **HX)
    assert response.status_code == 200 and 'id="matrix"' in response.content.decode()
    canonical = CanonicalClaim.objects.get()
    assert canonical.members.count() == 2
    # Without htmx: redirect back to the matrix (PRG).
    c = factories.make_claim(article=article, text="Monday")
    response = curator_client.post(url, {"claims": [c.pk], "canonical": canonical.pk})
    assert response.status_code == 302 and canonical.members.count() == 3


def test_gather_by_non_curator_is_403_and_writes_nothing(client, annotator, story, article):
    a = factories.make_claim(article=article, text="120 people")
    client.force_login(annotator)
    url = reverse("curation:canonical_create", kwargs={"slug": story.slug})
    response = client.post(url, {"claims": [a.pk], "statement": "x"})
    assert response.status_code == 403
    assert not CanonicalClaim.objects.exists()


def test_gather_claim_from_another_story_is_a_clear_error(curator_client, story, article):
    a = factories.make_claim(article=article, text="120 people")
    foreign = factories.make_claim(text="120 people")
    url = reverse("curation:canonical_create", kwargs={"slug": story.slug})
    response = curator_client.post(url, {"claims": [a.pk, foreign.pk], "statement": "x"}, **HX)
    assert response.status_code == 422
    assert "different stories" in response.content.decode()
    assert not CanonicalClaim.objects.exists()


@pytest.mark.parametrize("n", [3, 30])
def test_review_queue_query_count(curator_client, n, django_assert_num_queries):
    story, arts, claims, links = _story_with(4, links=n)
    url = reverse("curation:review_queue") + f"?story={story.slug}&status=proposed"
    # session, user, story, the story and team filter choices, count, page of links, reviews
    with django_assert_num_queries(8):
        response = curator_client.get(url, **HX)
    assert response.content.decode().count('class="queue-item') == n


def test_review_queue_filters(curator_client):
    story, arts, claims, links = _story_with(3, links=6)
    ClaimLink.objects.filter(pk=links[0].pk).update(status="confirmed")
    url = reverse("curation:review_queue")
    html = curator_client.get(url, {"story": story.slug, "relation": "agrees"}).content.decode()
    agrees = [l for l in links[1:] if l.relation == "agrees"]
    assert html.count('class="queue-item') == len(agrees)
    html = curator_client.get(url, {"story": story.slug, "status": "confirmed"}).content.decode()
    assert html.count('class="queue-item') == 1


def test_bulk_confirm_and_reject(curator_client, curator):
    story, arts, claims, links = _story_with(3, links=3)
    url = reverse("curation:review_queue") + f"?story={story.slug}"
    ids = [l.pk for l in links[:2]]
    response = curator_client.post(url, {"links": ids, "decision": "confirmed"}, **HX)
    assert response.status_code == 200
    assert set(ClaimLink.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"confirmed"}
    # Reject without a reason: 422, nothing changes.
    response = curator_client.post(url, {"links": [links[2].pk], "decision": "rejected"}, **HX)
    assert response.status_code == 422 and "Say why" in response.content.decode()
    assert ClaimLink.objects.get(pk=links[2].pk).status == "proposed"
    response = curator_client.post(
        url, {"links": [links[2].pk], "decision": "rejected", "reason": "Not the same subject"}
    )
    assert response.status_code == 302
    assert LinkReview.objects.get(link=links[2]).reason == "Not the same subject"


def test_review_queue_is_403_for_non_curators(client, annotator):
    story, arts, claims, links = _story_with(2, links=1)
    client.force_login(annotator)
    assert client.get(reverse("curation:review_queue")).status_code == 403
    response = client.post(
        reverse("curation:review_queue"), {"links": [links[0].pk], "decision": "confirmed"}
    )
    assert response.status_code == 403
    assert ClaimLink.objects.get(pk=links[0].pk).status == "proposed"


def test_verdict_page_and_reader_shows_it(curator_client, story, article, article_2):
    a = factories.make_claim(article=article, text="120 people")
    b = factories.make_claim(article=article_2, text="fewer than 100")
    link = factories.make_link(claim_a=a, claim_b=b, relation="contradicts")
    url = reverse("curation:verdict", kwargs={"link_pk": link.pk})
    assert curator_client.get(url).status_code == 200
    response = curator_client.post(
        url, {"rated_claim": b.pk, "rating": "refuted", "evidence": "Door count: 120."}
    )
    assert response.status_code == 302
    assert Verdict.objects.get().rating == "refuted"
    html = curator_client.get(response["Location"]).content.decode()
    assert "Door count: 120." in html and "verdict-refuted" in html


def test_verdict_on_agreement_is_a_clear_error(curator_client, story, article, article_2):
    a = factories.make_claim(article=article, text="120 people")
    b = factories.make_claim(article=article_2, text="fewer than 100")
    link = factories.make_link(claim_a=a, claim_b=b, relation="agrees")
    url = reverse("curation:verdict", kwargs={"link_pk": link.pk})
    response = curator_client.post(url, {"rated_claim": a.pk, "rating": "supported", "evidence": "x"})
    assert response.status_code == 422
    assert "Verdicts settle contradictions" in response.content.decode()
    assert not Verdict.objects.exists()


def test_reader_shows_link_status(client, curator, story, article, article_2):
    a = factories.make_claim(article=article, text="120 people")
    b = factories.make_claim(article=article_2, text="fewer than 100")
    link = factories.make_link(claim_a=a, claim_b=b, relation="contradicts")
    services.links_review(user=curator, links=[link], decision="confirmed")
    html = client.get(story.get_absolute_url(), {"claim": a.pk}).content.decode()
    assert "status-confirmed" in html


def test_agreement_page(curator_client, story, article, article_2):
    lan, minh = factories.make_user(), factories.make_user()
    a1 = factories.make_claim(article=article, author=lan, text="120 people")
    a2 = factories.make_claim(article=article_2, author=lan, text="fewer than 100")
    b1 = factories.make_claim(article=article, author=minh, text="120 people attended")
    b2 = factories.make_claim(article=article_2, author=minh, text="fewer than 100 came")
    factories.make_link(claim_a=a1, claim_b=a2, relation="contradicts", author=lan)
    factories.make_link(claim_a=b1, claim_b=b2, relation="qualifies", author=minh)
    html = curator_client.get(
        reverse("curation:agreement", kwargs={"slug": story.slug})
    ).content.decode()
    assert 'data-stat="kappa"' in html and "1 disagreement" in html
    # One pair: no bare κ = 0.000, but "needs more data" (and the figure as provisional).
    assert re.search(r'data-stat="kappa"><span class="needs-data">needs more data</span>', html)
    assert "it means little below 10" in html


def test_agreement_page_shows_the_figures_from_the_minimum_sample_on(
    curator_client, story, article, article_2
):
    from curation.agreement import MIN_UNITS

    lan, minh = factories.make_user(), factories.make_user()
    words = ["Officials", "said", "120", "people", "attended", "the", "meeting", "on", "Monday.", "Organisers"]
    assert len(words) >= MIN_UNITS
    for n, word in enumerate(words[:MIN_UNITS]):
        for author, relation in ((lan, "agrees"), (minh, "agrees" if n % 2 else "qualifies")):
            a = factories.make_claim(article=article, author=author, text=word)
            b = factories.make_claim(article=article_2, author=author, text=word)
            factories.make_link(claim_a=a, claim_b=b, relation=relation, author=author)
    html = curator_client.get(
        reverse("curation:agreement", kwargs={"slug": story.slug})
    ).content.decode()
    assert "needs more data" not in html
    assert re.search(r'data-stat="kappa">-?\d\.\d{3}</dd>', html)


def test_orphans_page_reattach_and_dismiss(curator_client, story, article):
    claim = factories.make_claim(article=article, text="120 people")
    from newsroom.services import article_edit

    article_edit(user=None, article=article, body=article.body.replace("Officials said 120 people", "Some"))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ORPHANED
    url = reverse("curation:orphans", kwargs={"slug": story.slug})
    html = curator_client.get(url).content.decode()
    assert f'data-orphan="{claim.pk}"' in html
    start = article.body.index("the meeting")
    response = curator_client.post(
        reverse("curation:orphan_action", kwargs={"pk": claim.pk, "action": "reattach"}),
        {"start": start, "end": start + 11}, **HX,
    )
    assert response.status_code == 200 and f'data-orphan="{claim.pk}"' not in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ACTIVE and claim.exact == "the meeting"


def test_history_and_restore_a_deleted_claim_with_its_links(curator_client, story, article, article_2):
    author = factories.make_user()
    a = factories.make_claim(article=article, author=author, text="120 people")
    b = factories.make_claim(article=article_2, author=author, text="fewer than 100")
    c = factories.make_claim(article=article_2, author=author, text="Monday")
    factories.make_link(claim_a=a, claim_b=b, relation="contradicts", author=author)
    factories.make_link(claim_a=a, claim_b=c, relation="agrees", author=author)
    annotation_services.claim_delete(user=author, claim=a)
    assert not ClaimLink.objects.exists()
    html = curator_client.get(
        reverse("curation:story_history", kwargs={"slug": story.slug})
    ).content.decode()
    assert "Restore with its links" in html
    from activity.models import Event

    event = Event.objects.get(object_type="claim", object_id=a.pk, verb="deleted")
    response = curator_client.post(reverse("curation:claim_restore", kwargs={"event_pk": event.pk}))
    assert response.status_code == 302
    restored = Claim.objects.get(pk=a.pk)
    assert restored.exact == "120 people"
    assert ClaimLink.objects.filter(claim_a=restored).count() == 2
    html = curator_client.get(
        reverse("curation:object_history", kwargs={"object_type": "claim", "object_id": a.pk})
    ).content.decode()
    assert "restored" in html and "deleted" in html


def test_restore_by_non_curator_is_403(client, annotator, story, article):
    a = factories.make_claim(article=article, author=annotator, text="120 people")
    annotation_services.claim_delete(user=annotator, claim=a)
    from activity.models import Event

    event = Event.objects.get(object_type="claim", verb="deleted")
    client.force_login(annotator)
    response = client.post(reverse("curation:claim_restore", kwargs={"event_pk": event.pk}))
    assert response.status_code == 403
    assert not Claim.objects.exists()


def test_canonical_page_rewords_changes_stances_and_removes(curator_client, curator, story, article, article_2):
    a = factories.make_claim(article=article, text="120 people")
    b = factories.make_claim(article=article_2, text="fewer than 100")
    canonical = services.canonical_create(user=curator, story=story, statement="Turnout", claims=[a, b])
    url = reverse("curation:canonical_detail", kwargs={"pk": canonical.pk})
    assert "Turnout" in curator_client.get(url).content.decode()
    response = curator_client.post(
        url, {"statement": "Turnout on Monday", f"stance-{b.pk}": "contradicts", "remove": [a.pk]}
    )
    assert response.status_code == 302
    canonical.refresh_from_db()
    assert canonical.statement == "Turnout on Monday"
    assert list(canonical.members.values_list("claim_id", "stance")) == [(b.pk, "contradicts")]
    response = curator_client.post(url, {"statement": ""}, **HX)
    assert response.status_code == 422 and "cannot be empty" in response.content.decode()
    response = curator_client.post(url, {"action": "delete"})
    assert response.status_code == 302 and not CanonicalClaim.objects.exists()


@pytest.mark.parametrize(
    "name, kwargs, method",
    [
        ("curation:agreement", {"slug": "meeting"}, "get"),
        ("curation:orphans", {"slug": "meeting"}, "get"),
        ("curation:verdict", None, "post"),
        ("curation:canonical_detail", None, "post"),
    ],
)
def test_curator_pages_are_403_for_annotators(client, annotator, curator, story, article, article_2, name, kwargs, method):
    a = factories.make_claim(article=article, text="120 people")
    b = factories.make_claim(article=article_2, text="fewer than 100")
    link = factories.make_link(claim_a=a, claim_b=b, relation="contradicts")
    canonical = services.canonical_create(user=curator, story=story, statement="T", claims=[a])
    if kwargs is None:
        kwargs = {"link_pk": link.pk} if name == "curation:verdict" else {"pk": canonical.pk}
    client.force_login(annotator)
    data = {"rated_claim": a.pk, "rating": "supported", "evidence": "x", "statement": "Hacked"}
    response = getattr(client, method)(reverse(name, kwargs=kwargs), data if method == "post" else None)
    assert response.status_code == 403
    assert not Verdict.objects.exists()
    assert CanonicalClaim.objects.get().statement == "T"


def test_orphan_dismiss_keeps_the_claim(curator_client, story, article):
    claim = factories.make_claim(article=article, text="120 people")
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.ORPHANED)
    url = reverse("curation:orphan_action", kwargs={"pk": claim.pk, "action": "dismiss"})
    response = curator_client.post(url, {"reason": "Ad text"})
    assert response.status_code == 302
    assert Claim.objects.filter(pk=claim.pk, status="orphaned").exists()
    html = curator_client.get(reverse("curation:orphans", kwargs={"slug": story.slug})).content.decode()
    assert f'data-orphan="{claim.pk}"' not in html and "No orphaned claims" in html
