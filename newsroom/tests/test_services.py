"""Editing an article (``newsroom.services.article_edit``): claims follow their words or are
orphaned, each move is one history event, and a refused edit writes nothing."""

from __future__ import annotations

import io
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activity.models import Event
from annotations.models import Claim
from tests import factories
from articles.models import Article
from newsroom import selectors, services
from newsroom.services import article_edit
from suggestions.models import SuggestionRun

BODY = (
    "Officials said 120 people attended the meeting on Monday.\n"
    "\n"
    "The mayor disputed the figure, saying fewer than 100 came.\n"
    "Organisers expect a second meeting next month.\n"
)


def _edit(article: Article, body: str) -> services.ArticleEdit:
    return article_edit(user=None, article=article, body=body)


def _fresh(claim: Claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


@pytest.fixture
def art(db):
    return factories.make_article(body=BODY)


def test_text_inserted_before_a_claim_moves_it_onto_the_same_words(art):
    claim = factories.make_claim(article=art, text="fewer than 100")
    _edit(art, "Breaking: an update.\n\n" + BODY)
    moved = _fresh(claim)
    art.refresh_from_db()
    assert moved.status == Claim.Status.ACTIVE
    assert moved.start == claim.start + len("Breaking: an update.\n\n")
    assert art.body[moved.start : moved.end] == "fewer than 100"
    assert moved.body_hash == art.body_hash
    assert moved.version == claim.version + 1


def test_claim_before_the_edit_keeps_its_offsets(art):
    claim = factories.make_claim(article=art, text="120 people")
    _edit(art, BODY.replace("next month", "in the spring"))
    kept = _fresh(claim)
    assert (kept.start, kept.end, kept.status) == (claim.start, claim.end, "active")
    assert kept.version == claim.version  # nothing about it changed


def test_a_claims_words_edited_slightly_follow_the_edit(art):
    claim = factories.make_claim(article=art, text="saying fewer than 100 came")
    _edit(art, BODY.replace("fewer than 100 came", "fewer than 110 came"))
    moved = _fresh(claim)
    art.refresh_from_db()
    assert moved.status == Claim.Status.ACTIVE
    assert moved.exact == "saying fewer than 110 came"
    assert art.body[moved.start : moved.end] == moved.exact


def test_a_claims_words_removed_orphan_it_and_keep_its_links(art):
    other = factories.make_article(story=art.story)
    claim = factories.make_claim(article=art, text="The mayor disputed the figure")
    link = factories.make_link(
        claim_a=claim, claim_b=factories.make_claim(article=other, text="120 people")
    )
    _edit(art, BODY.replace("The mayor disputed the figure, saying fewer than 100 came.\n", ""))
    orphan = _fresh(claim)
    assert orphan.status == Claim.Status.ORPHANED
    # Never silently moved: the old quote and offsets are kept for the curator.
    assert (orphan.exact, orphan.start, orphan.end) == (claim.exact, claim.start, claim.end)
    assert link.__class__.objects.filter(pk=link.pk).exists()


def test_the_same_quote_twice_is_told_apart_by_its_context(db):
    body = "Monday: the meeting was full. Tuesday: the meeting was full. Wednesday: quiet.\n"
    art = factories.make_article(body=body)
    second = factories.make_claim(article=art, text="the meeting was full", occurrence=1)
    _edit(art, "Sunday: rain. " + body)
    moved = _fresh(second)
    art.refresh_from_db()
    assert moved.status == Claim.Status.ACTIVE
    assert art.body[moved.start - len("Tuesday: ") : moved.start] == "Tuesday: "
    # And with the first occurrence's sentence cut, the second still stays put.
    first = factories.make_claim(article=art, text="the meeting was full", occurrence=0)
    _edit(art, art.body.replace("Monday: the meeting was full. ", ""))
    art.refresh_from_db()
    assert _fresh(first).status == Claim.Status.ORPHANED  # not moved onto Tuesday's words
    moved = _fresh(second)
    assert art.body[moved.start - len("Tuesday: ") : moved.end] == "Tuesday: the meeting was full"


def test_preview_lists_the_claims_an_edit_would_orphan_without_writing(
    art, django_assert_num_queries
):
    claim = factories.make_claim(article=art, text="Organisers expect")
    for text in ("120 people", "The mayor", "fewer than 100"):
        factories.make_claim(article=art, text=text)
    already = factories.make_claim(article=art, text="second meeting")
    Claim.objects.filter(pk=already.pk).update(status=Claim.Status.ORPHANED)
    new_body = BODY.replace("Organisers expect a second", "Nobody expects a")
    with django_assert_num_queries(2):  # the old body, the claims
        orphans = selectors.orphans_preview(article=art, new_body=new_body)
    # The claim orphaned before is not counted again.
    assert [(a.claim_id, a.exact) for a in orphans] == [(claim.pk, "Organisers expect")]
    assert _fresh(claim).status == Claim.Status.ACTIVE
    art.refresh_from_db()
    assert art.body == BODY


def _sentences(body: str) -> list[tuple[int, int]]:
    """Every sentence-ish span of the body (between . ! ? or line ends), trimmed."""
    spans = []
    for match in re.finditer(r"[^.!?\n]+", body):
        start, end = match.span()
        text = match.group()
        start += len(text) - len(text.lstrip())
        end -= len(text) - len(text.rstrip())
        if end - start >= 12:
            spans.append((start, end))
    return spans


def test_trimming_the_demo_boilerplate_keeps_every_claim_on_its_words(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "test-demo-password")
    call_command("load_demo", "--no-progress", "--empty", stdout=io.StringIO(), stderr=io.StringIO())
    article = Article.objects.get(story__slug="deepseek-r1", source__name="Markettimes")
    author = factories.make_user()
    notice_end = article.body.index("Cảm ơn bạn!\n") + len("Cảm ơn bạn!\n")
    claims = []
    for start, end in _sentences(article.body):
        if start >= notice_end:
            claims.append(factories.make_claim(article=article, author=author, start=start, end=end))
    ad_claim = factories.make_claim(
        article=article, author=author, text="Vui lòng cho phép quảng cáo"
    )
    assert len(claims) > 50
    before = {c.pk: c.exact for c in claims}

    new_body = article.body[notice_end:].lstrip("\n")
    _edit(article, new_body)

    article.refresh_from_db()
    after = Claim.objects.filter(pk__in=before)
    assert {c.status for c in after} == {Claim.Status.ACTIVE}
    for claim in after:
        assert article.body[claim.start : claim.end] == before[claim.pk] == claim.exact
    # The ad notice itself is gone, so the claim on it is orphaned, not moved elsewhere.
    assert _fresh(ad_claim).status == Claim.Status.ORPHANED


# --- history, permissions, all or nothing ---------------------------------------------------------


@pytest.fixture
def curator(db):
    return factories.make_user(username="cura", is_staff=True)


EDIT_VERBS = ["reanchored", "orphaned"]


def _edit_events():
    return Event.objects.filter(object_type="claim", verb__in=EDIT_VERBS)


def _claims(article: Article) -> dict[int, tuple]:
    return {
        c.pk: (c.start, c.end, c.exact, c.prefix, c.suffix, c.status, c.version, c.body_hash)
        for c in Claim.objects.filter(article=article)
    }


def test_an_edit_records_one_event_per_moved_claim_and_history_shows_them(art, curator, client):
    kept = factories.make_claim(article=art, text="120 people")
    moved = [
        factories.make_claim(article=art, text=text)
        for text in ("The mayor disputed", "fewer than 100", "second meeting")
    ]
    inserted = "A correction was added here.\n"
    new_body = BODY.replace("The mayor", inserted + "The mayor")
    edit = article_edit(user=curator, article=art, body=new_body)
    assert (edit.moved, edit.orphaned) == (3, 0)
    assert art.body == new_body  # the caller's instance follows

    events = list(_edit_events().order_by("object_id"))
    assert [(e.object_id, e.verb, e.actor_id) for e in events] == [
        (c.pk, "reanchored", curator.pk) for c in moved
    ]
    for event, claim in zip(events, moved, strict=True):
        assert event.before["start"] == claim.start
        assert event.after["start"] == claim.start + len(inserted)
        assert event.after["anchoring"] == "moved"
        assert event.story_id == art.story_id
    assert not _edit_events().filter(object_id=kept.pk).exists()

    client.force_login(curator)
    html = client.get(reverse("curation:story_history", args=[art.story.slug])).content.decode()
    assert html.count("verb-reanchored") == 3
    url = reverse("curation:object_history", args=["claim", moved[0].pk])
    assert "reanchored" in client.get(url).content.decode()


def test_an_orphaned_claim_records_an_event_and_comes_back_when_its_words_do(art, curator):
    claim = factories.make_claim(article=art, text="The mayor disputed the figure")
    without = BODY.replace("The mayor disputed the figure, saying fewer than 100 came.\n", "")
    assert article_edit(user=curator, article=art, body=without).orphaned == 1
    orphaned = _edit_events().get(object_id=claim.pk)
    assert orphaned.verb == "orphaned"
    assert (orphaned.before["status"], orphaned.after["status"]) == ("active", "orphaned")

    article_edit(user=curator, article=art, body=BODY)  # the words put back
    back = _edit_events().filter(object_id=claim.pk).latest("id")
    assert (back.verb, back.after["status"], back.after["anchoring"]) == (
        "reanchored", "active", "kept"
    )
    assert _fresh(claim).status == Claim.Status.ACTIVE
    assert _edit_events().filter(object_id=claim.pk).count() == 2


def test_a_private_claims_event_keeps_its_visibility(art, curator):
    private = factories.make_claim(article=art, text="fewer than 100", visibility="private")
    article_edit(user=curator, article=art, body="Update.\n" + BODY)
    event = _edit_events().get(object_id=private.pk)
    assert (event.visibility, event.owner_id) == ("private", private.author_id)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"title": "x" * 501}, ValidationError),
        ({"body": " \n\t "}, ValidationError),
        ({"body": None}, ValidationError),
        ({"translated_from_url": "not a url"}, ValidationError),
        ({"story": None}, TypeError),
        ({"body_hash": "0" * 64}, TypeError),
    ],
)
def test_a_refused_edit_writes_nothing(art, curator, settings, fields, error):
    settings.SUGGESTIONS_AUTO_REFRESH = True
    factories.make_claim(article=art, text="fewer than 100")
    before = _claims(art)
    with pytest.raises(error):
        article_edit(user=curator, article=art, **{"body": "New start.\n" + BODY} | fields)
    fresh = Article.objects.get(pk=art.pk)
    assert (fresh.body, fresh.title, fresh.body_hash) == (BODY, art.title, art.body_hash)
    assert _claims(art) == before
    assert not _edit_events().exists()
    assert not SuggestionRun.objects.exists()


def test_only_curators_may_edit(art):
    claim = factories.make_claim(article=art, text="fewer than 100")
    annotator = factories.make_user(username="ann")
    with pytest.raises(PermissionDenied):
        article_edit(user=annotator, article=art, body="New.\n" + BODY)
    assert Article.objects.get(pk=art.pk).body == BODY
    assert _fresh(claim).start == claim.start
    assert not _edit_events().exists()


def test_a_failure_half_way_rolls_every_claim_back(art, curator, monkeypatch):
    claims = [factories.make_claim(article=art, text=t) for t in ("The mayor", "next month")]
    before = _claims(art)
    seen = []

    def failing(events):
        # The claims are written by the time the events are.
        seen.extend(Claim.objects.filter(pk__in=[c.pk for c in claims]).values_list("start"))
        raise RuntimeError("the event log is down")

    monkeypatch.setattr(services, "record_events", failing)
    with pytest.raises(RuntimeError):
        article_edit(user=curator, article=art, body="Inserted.\n" + BODY)
    assert sorted(seen) == [(c.start + len("Inserted.\n"),) for c in claims]
    assert _claims(art) == before
    assert Article.objects.get(pk=art.pk).body == BODY


def test_suggestions_are_refreshed_once_the_edit_commits(
    art, curator, settings, django_capture_on_commit_callbacks
):
    settings.SUGGESTIONS_AUTO_REFRESH = True
    with django_capture_on_commit_callbacks() as callbacks:
        article_edit(user=curator, article=art, title="Only the title")
    assert callbacks == [] and not SuggestionRun.objects.exists()  # the text did not change
    with django_capture_on_commit_callbacks() as callbacks:
        article_edit(user=curator, article=art, body="New.\n" + BODY)
    assert len(callbacks) == 1  # starts the run after the commit
    assert SuggestionRun.objects.filter(story=art.story, status="queued").count() == 1
    with django_capture_on_commit_callbacks() as callbacks:
        article_edit(user=curator, article=art, body=BODY, refresh_suggestions=False)
    assert callbacks == [] and SuggestionRun.objects.count() == 1


def test_the_history_page_query_count_does_not_grow_with_reanchored_claims(art, curator, client):
    client.force_login(curator)
    url = reverse("curation:story_history", args=[art.story.slug])
    for text in ("120 people", "the meeting", "Monday"):
        factories.make_claim(article=art, text=text)
    _edit(art, "One.\n" + art.body)
    client.get(url)
    with CaptureQueriesContext(connection) as three:
        assert client.get(url).content.decode().count("verb-reanchored") == 3
    for text in ("The mayor", "fewer than 100", "came", "Organisers", "next month"):
        factories.make_claim(article=art, text=text)
    _edit(art, "Two.\n" + art.body)
    with CaptureQueriesContext(connection) as eleven:
        assert client.get(url).content.decode().count("verb-reanchored") == 3 + 8
    assert len(eleven) == len(three)


def test_the_activity_feed_names_re_anchored_and_orphaned_claims(art, curator, client):
    factories.make_claim(article=art, text="fewer than 100")
    factories.make_claim(article=art, text="The mayor disputed the figure")
    article_edit(user=curator, article=art, body="New.\n" + BODY.replace("The mayor disputed", "A"))
    url = reverse("reader:story_activity", args=[art.story.slug])
    html = client.get(url).content.decode()
    assert "re-anchored (text edited)" in html and "orphaned (text edited)" in html
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "đã neo lại (bài được sửa)" in html and "làm mất neo (bài được sửa)" in html


def test_a_metadata_edit_from_a_stale_copy_leaves_the_text_and_claims_alone(art, curator):
    claim = factories.make_claim(article=art, text="fewer than 100")
    stale = Article.objects.get(pk=art.pk)
    article_edit(user=curator, article=art, body="New.\n" + BODY)
    moved = _claims(art)
    article_edit(user=curator, article=stale, title="Retitled")  # stale.body is the old text
    fresh = Article.objects.get(pk=art.pk)
    assert (fresh.title, fresh.body) == ("Retitled", "New.\n" + BODY)
    assert _claims(art) == moved
    assert _fresh(claim).start == claim.start + len("New.\n")
